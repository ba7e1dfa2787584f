"""Enumerates the initial states quickly, in exactly the order of ``semantics.initial_states``.

The reference enumerates the full product of every slot's initial choices and filters it with the
interpreter, which is exponential in the page count twice over (e.g. 147,456 combinations for 2,268
initial states of the lock-sequence model at six pages). Here slots are grouped into components that
``assume_init`` constraints connect; each component's combinations are filtered alone, and the surviving
states are sorted by the reference's product order (slot by slot, by the position of the value among
that slot's choices). This module must not change which states are initial; a test compares it with the
reference on every manifest model.

Limits hold here too: the number of initial states is counted (the product of the components' sizes)
before any is listed, and a count above the state budget, the deadline or the memory limit raise
:class:`Refused` instead of listing millions of states first.
"""

from __future__ import annotations

import itertools
import math
import time
from typing import Callable

from collapsecheck.explicit.footprint import reads
from collapsecheck.expr.evaluate import evaluate
from collapsecheck.model import semantics
from collapsecheck.model.core import Model

CHECK_EVERY = 4096  # combinations filtered between two looks at the clock and the memory


class Refused(Exception):
    """The initial states were not listed: a limit (``kind``: states, time or memory) came first."""

    def __init__(self, kind: str, text: str) -> None:
        super().__init__(text)
        self.kind, self.text = kind, text


class Budget:
    """The limits the enumeration honours: a state count, a deadline, a memory check."""

    def __init__(self, max_states: int | None = None, deadline: float | None = None,
                 memcheck: Callable[[], bool] | None = None) -> None:
        self.max_states, self.deadline, self.memcheck = max_states, deadline, memcheck

    def tick(self, what: str) -> None:
        if self.deadline is not None and time.monotonic() > self.deadline:
            raise Refused("time", f"the time limit came while {what}")
        if self.memcheck is not None and self.memcheck():
            raise Refused("memory", f"the memory limit came while {what}")

    def count(self, n: int, exact: bool) -> None:
        if self.max_states is not None and n > self.max_states:
            many = f"{n:,} initial states, more than" if exact else "more initial states than"
            raise Refused("states", f"the model has {many} --max-states {self.max_states:,}; "
                                    "none was searched")


def choices(model: Model) -> list[tuple[int, ...]]:
    """Initial choices of every slot (program counters start at 0)."""
    out: list[tuple[int, ...]] = []
    for slot in model.layout.slots:
        out.append((0,) if slot.decl is None else slot.decl.init[slot.elem])
    return out


def components(model: Model) -> tuple[list[list[int]], list[list[int]]]:
    """Slots grouped by the constraints that read them together, and the constraints of each group.

    Slots with a single choice or read by no constraint are their own group with no constraint."""
    n = len(model.layout)
    parent = list(range(n))

    def find(k: int) -> int:
        while parent[k] != k:
            parent[k] = parent[parent[k]]
            k = parent[k]
        return k

    cons_slots = [sorted(reads(model, c)) for c in model.init_constraints]
    for sl in cons_slots:
        for a, b in zip(sl, sl[1:]):
            parent[find(a)] = find(b)
    groups: dict[int, list[int]] = {}
    for k in range(n):
        groups.setdefault(find(k), []).append(k)
    comps = sorted(groups.values())
    root_of = {find(g[0]): i for i, g in enumerate(comps)}
    cons: list[list[int]] = [[] for _ in comps]
    for ci, sl in enumerate(cons_slots):
        if sl:
            cons[root_of[find(sl[0])]].append(ci)
        else:
            cons[0].append(ci)  # a constraint that reads nothing filters everything or nothing
    return comps, cons


def factored(model: Model, check: Callable[[int, tuple], bool] | None = None, budget: Budget | None = None
             ) -> list[tuple[list[int], list[tuple[int, ...]]]]:
    """(slots, allowed value combinations) per component: the initial states are their product.
    ``check(ci, state)`` evaluates constraint ``ci`` (default: the interpreter); only the slots of the
    constraint's component are meaningful in ``state``. ``budget`` stops the filtering at a limit."""
    budget = budget or Budget()
    ch = choices(model)
    base = [c[0] for c in ch]
    comps, cons = components(model)
    if check is None:
        def check(ci: int, s: tuple) -> bool:
            return bool(evaluate(model.init_constraints[ci], semantics.StateView(model, s)))
    out: list[tuple[list[int], list[tuple[int, ...]]]] = []
    for slots, cis in zip(comps, cons):
        ok: list[tuple[int, ...]] = []
        total = math.prod(len(ch[k]) for k in slots)
        for n, combo in enumerate(itertools.product(*(ch[k] for k in slots))):
            if n % CHECK_EVERY == CHECK_EVERY - 1:
                budget.tick(f"filtering initial value combinations ({n + 1:,} of {total:,} tried, "
                            f"{len(ok):,} kept, in a group of {len(slots)} variables)")
                budget.count(len(ok), exact=False)
            if cis:
                s = list(base)
                for k, v in zip(slots, combo):
                    s[k] = v
                st = tuple(s)
                if not all(check(ci, st) for ci in cis):
                    continue
            ok.append(combo)
        out.append((slots, ok))
    return out


def count(parts: list[tuple[list[int], list[tuple[int, ...]]]]) -> int:
    return math.prod(len(combos) for _, combos in parts)


def initial_states(model: Model, check: Callable[[int, tuple], bool] | None = None,
                   budget: Budget | None = None) -> list[tuple]:
    """The initial states as tuples, in the reference order (counted against ``budget`` first)."""
    budget = budget or Budget()
    ch = choices(model)
    base = [c[0] for c in ch]
    parts = factored(model, check, budget)
    budget.count(count(parts), exact=True)
    rank = [{v: i for i, v in enumerate(c)} for c in ch]
    out = []
    for n, pick in enumerate(itertools.product(*(combos for _, combos in parts))):
        if n % CHECK_EVERY == CHECK_EVERY - 1:
            budget.tick("listing initial states")
        s = list(base)
        for (slots, _), combo in zip(parts, pick):
            for k, v in zip(slots, combo):
                s[k] = v
        out.append(tuple(s))
    out.sort(key=lambda s: tuple(rank[k][v] for k, v in enumerate(s)))
    return out


__all__ = ["initial_states", "factored", "components", "choices", "count", "Budget", "Refused"]
