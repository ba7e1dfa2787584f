"""Enumerates the initial states quickly, in exactly the order of ``semantics.initial_states``.

The reference enumerates the full product of every slot's initial choices and filters it with the
interpreter, which is exponential in the page count twice over (e.g. 147,456 combinations for 2,268
initial states of the lock-sequence model at six pages). Here slots are grouped into components that
``assume_init`` constraints connect; each component's combinations are filtered alone, and the surviving
states are sorted by the reference's product order (slot by slot, by the position of the value among
that slot's choices). This module must not change which states are initial; a test compares it with the
reference on every manifest model.
"""

from __future__ import annotations

import itertools
from typing import Callable

from collapsecheck.explicit.footprint import reads
from collapsecheck.expr.evaluate import evaluate
from collapsecheck.model import semantics
from collapsecheck.model.core import Model


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


def factored(model: Model, check: Callable[[int, tuple], bool] | None = None
             ) -> list[tuple[list[int], list[tuple[int, ...]]]]:
    """(slots, allowed value combinations) per component: the initial states are their product.
    ``check(ci, state)`` evaluates constraint ``ci`` (default: the interpreter); only the slots of the
    constraint's component are meaningful in ``state``."""
    ch = choices(model)
    base = [c[0] for c in ch]
    comps, cons = components(model)
    if check is None:
        def check(ci: int, s: tuple) -> bool:
            return bool(evaluate(model.init_constraints[ci], semantics.StateView(model, s)))
    out: list[tuple[list[int], list[tuple[int, ...]]]] = []
    for slots, cis in zip(comps, cons):
        ok = []
        for combo in itertools.product(*(ch[k] for k in slots)):
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


def initial_states(model: Model, check: Callable[[int, tuple], bool] | None = None) -> list[tuple]:
    """The initial states as tuples, in the reference order."""
    ch = choices(model)
    base = [c[0] for c in ch]
    parts = factored(model, check)
    rank = [{v: i for i, v in enumerate(c)} for c in ch]
    out = []
    for pick in itertools.product(*(combos for _, combos in parts)):
        s = list(base)
        for (slots, _), combo in zip(parts, pick):
            for k, v in zip(slots, combo):
                s[k] = v
        out.append(tuple(s))
    out.sort(key=lambda s: tuple(rank[k][v] for k, v in enumerate(s)))
    return out


__all__ = ["initial_states", "factored", "components", "choices"]
