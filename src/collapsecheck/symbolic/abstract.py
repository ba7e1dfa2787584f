"""Explicit exploration of the page-count reduction at a small concrete size: abstract sample states.

The reduced system (``encode.py``/``system.py``) keeps the arrays over the pages only at the tracked
indices; reading any other page is a nondeterministic choice. This module runs that same semantics
explicitly, with the reference interpreter (``expr/evaluate.py``) and an environment that answers reads
of untracked pages with a choice point (one value per page and step, as a real page has), enumerating
every combination of choices. It yields the abstract states reachable at sizes like 2 or 3, for every
choice of tracked pages, as rows in the layout of a :class:`~collapsecheck.symbolic.system.System`.

These rows are only *samples*: ``closure.py`` proves, with Z3 and for every size, that the set they
span is closed under the reduced transition relation (adding what they missed). This module must not
use Z3 and must not decide anything.
"""

from __future__ import annotations

import itertools
from typing import Callable, Iterator

from collapsecheck.errors import ModelError
from collapsecheck.expr.evaluate import evaluate
from collapsecheck.expr.nodes import ArrayOf, Elem, VarRef
from collapsecheck.expr.sorts import ArraySort, BoolSort, IntRange, Size, Sort
from collapsecheck.model.core import Model, Thread, VarDecl
from collapsecheck.symbolic.system import System

# An abstract state: (picks, values) where values maps a slot name to its value: "x" for a scalar,
# "t.pc" for a program counter, "a[j]" for tracked copy j of array a, "a[k]" for element k of a flat one.
AState = tuple


class Chooser:
    """Enumerates every sequence of choices a deterministic computation makes (depth first)."""

    def __init__(self) -> None:
        self.trail: list[list[int]] = []
        self.pos = 0

    def choose(self, options: list[int]) -> int:
        if self.pos < len(self.trail):
            k = self.trail[self.pos][0]
        else:
            self.trail.append([0, len(options)])
            k = 0
        self.pos += 1
        return options[k]

    def advance(self) -> bool:
        self.pos = 0
        while self.trail:
            self.trail[-1][0] += 1
            if self.trail[-1][0] < self.trail[-1][1]:
                return True
            self.trail.pop()
        return False


def every_choice(fn: Callable[[Chooser], object]) -> Iterator[object]:
    ch = Chooser()
    while True:
        yield fn(ch)
        if not ch.advance():
            return


def _values(sort: Sort) -> list[int]:
    return [0, 1] if isinstance(sort, BoolSort) else list(sort.values())


class Explorer:
    """The reduced semantics of ``model`` (a small instance) with tracked pages chosen per state."""

    def __init__(self, system: System, model: Model) -> None:
        red = system.reduction
        assert red is not None
        self.system = system
        self.model = model
        self.size = red.size
        self.n = {s.name: s.value for s in model.sizes}[red.size]
        self.k = len(system.tracked)
        self.pins = [(j, v) for j, v in system.pinned_values]
        self.tracked_names = {d.qualname for d in model.all_vars()
                              if isinstance(d.sort, ArraySort) and isinstance(d.sort.size, Size)
                              and d.sort.size.name == red.size}
        self.threads = {t.name: t for t in model.threads}

    # ---------------------------------------------------------------------------------- reading
    def env(self, picks: tuple[int, ...], vals: dict[str, int], ch: Chooser) -> "Env":
        return Env(self, picks, vals, ch)

    # --------------------------------------------------------------------------------- initial
    def initial(self) -> Iterator[AState]:
        red = self.system.reduction
        assert red is not None
        m = self.model
        for picks in itertools.product(range(self.n + red.array_offset), repeat=self.k):
            slots: list[tuple[str, list[int]]] = []
            for d in m.all_vars():
                if d.qualname in self.tracked_names:
                    choices = sorted({v for c in d.init for v in c})
                    slots += [(f"{d.qualname}[{j}]", choices) for j in range(self.k)]
                elif isinstance(d.sort, ArraySort):
                    slots += [(f"{d.qualname}[{i}]", list(d.init[i])) for i in range(d.sort.size_v)]
                else:
                    slots.append((d.qualname, list(d.init[0])))
            names = [s for s, _ in slots]
            for combo in itertools.product(*[c for _, c in slots]):
                vals = dict(zip(names, combo))
                for t in m.threads:
                    vals[f"{t.name}.pc"] = 0
                if any(vals[v] != picks[j] for j, v in self.pins):
                    continue
                if any(picks[i] == picks[j] and vals[f"{d}[{i}]"] != vals[f"{d}[{j}]"]
                       for d in self.tracked_names for i in range(self.k) for j in range(i)):
                    continue
                if self._may_hold(picks, vals):
                    yield (picks, tuple(sorted(vals.items())))

    def _may_hold(self, picks: tuple[int, ...], vals: dict[str, int]) -> bool:
        def run(ch: Chooser) -> bool:
            env = self.env(picks, vals, ch)
            return all(evaluate(c, env) for c in self.model.init_constraints)

        return any(every_choice(run))  # type: ignore[arg-type]

    # ----------------------------------------------------------------------------- successors
    def successors(self, st: AState) -> Iterator[AState]:
        picks, items = st
        vals = dict(items)
        for t in self.model.threads:
            pc = vals[f"{t.name}.pc"]
            if pc >= len(t.steps):
                continue
            yield from self._step(picks, vals, t, pc)

    def _step(self, picks: tuple[int, ...], vals: dict[str, int], t: Thread, pc: int) -> Iterator[AState]:
        step = t.steps[pc]

        def run(ch: Chooser) -> list[AState]:
            env = self.env(picks, vals, ch)
            out = []
            for ci, c in enumerate(step.cases):
                if evaluate(c.guard, env):
                    nxt = self._fire(env, picks, vals, t, ci)
                    if nxt is not None:
                        out.append(nxt)
                    if step.ordered:
                        break
            return out

        for found in every_choice(run):
            yield from found  # type: ignore[misc]

    def _fire(self, env: "Env", picks: tuple[int, ...], vals: dict[str, int], t: Thread, ci: int
              ) -> AState | None:
        case = t.steps[vals[f"{t.name}.pc"]].cases[ci]
        new = dict(vals)
        writes: list[tuple[str, object, Sort]] = []
        for u in case.updates:
            tgt = u.target
            if isinstance(tgt, Elem):
                d = tgt.array.decl
                idx = evaluate(tgt.index, env)
                val = evaluate(u.value, env)
                assert isinstance(d.sort, ArraySort)
                if not (isinstance(idx, int) and 0 <= idx < d.sort.size_v):
                    return None  # an index error: the explicit engine stops with a model error here
                if d.qualname in self.tracked_names:
                    writes += [(f"{d.qualname}[{j}]", val, d.sort.elem) for j, p in enumerate(picks) if p == idx]
                else:
                    writes.append((f"{d.qualname}[{idx}]", val, d.sort.elem))
                continue
            d = tgt.decl
            if isinstance(d.sort, ArraySort):
                if d.qualname in self.tracked_names:
                    for j, p in enumerate(picks):
                        val = self._elem_value(u.value, env, p)
                        writes.append((f"{d.qualname}[{j}]", val, d.sort.elem))
                else:
                    for k in range(d.sort.size_v):
                        writes.append((f"{d.qualname}[{k}]", self._elem_value(u.value, env, k), d.sort.elem))
                continue
            writes.append((d.qualname, evaluate(u.value, env), d.sort))
        for name, val, sort in writes:
            if isinstance(sort, IntRange) and not sort.contains(val):  # type: ignore[arg-type]
                return None  # out of range: the range target, found by the symbolic search
            new[name] = int(val)  # type: ignore[call-overload]
        new[f"{t.name}.pc"] = case.goto
        return (picks, tuple(sorted(new.items())))

    def _elem_value(self, value: object, env: "Env", k: int) -> object:
        if isinstance(value, ArrayOf):
            return evaluate(value.body, env, {id(value.var): k})
        assert isinstance(value, VarRef)
        return env.read_elem(value.decl, k)

    # ------------------------------------------------------------------------------ exploring
    def explore(self, limit: int) -> list[AState]:
        seen = dict.fromkeys(self.initial())
        work = list(seen)
        i = 0
        while i < len(work) and len(work) < limit:
            for nxt in self.successors(work[i]):
                if nxt not in seen:
                    seen[nxt] = None
                    work.append(nxt)
            i += 1
        return work

    def rows(self, states: list[AState]) -> set[tuple]:
        """The states as rows of the system (parameters, then keys in system order)."""
        system = self.system
        red = system.reduction
        assert red is not None
        names = []
        for key in system.keys:
            if key.decl is not None and system.is_tracked(key.decl):
                names.append(f"{key.decl.qualname}[{key.elem}]")
            else:
                names.append(key.name)
        out = set()
        head_n = (self.n,) if red.symbolic else ()
        tail_n = () if red.symbolic else (self.n,)
        for picks, items in states:
            vals = dict(items)
            out.add(head_n + picks + tuple(vals[nm] for nm in names) + tail_n)
        return out


class Env:
    """Reads an abstract state for ``evaluate``; untracked pages are choice points, fixed per step."""

    def __init__(self, ex: Explorer, picks: tuple[int, ...], vals: dict[str, int], ch: Chooser) -> None:
        self.ex = ex
        self.picks = picks
        self.vals = vals
        self.ch = ch
        self.memo: dict[tuple[str, int], int] = {}

    def read(self, decl: VarDecl) -> int:
        return self.vals[decl.qualname]

    def read_elem(self, decl: VarDecl, index: int) -> int:
        name = decl.qualname
        if name not in self.ex.tracked_names:
            return self.vals[f"{name}[{index}]"]
        for j, p in enumerate(self.picks):
            if p == index:
                return self.vals[f"{name}[{j}]"]
        key = (name, index)
        got = self.memo.get(key)
        if got is None:
            got = self.memo[key] = self.ch.choose(_values(decl.elem_sort))
        return got

    def at_step(self, thread: str, labels: tuple[str, ...]) -> bool:
        t = self.ex.threads[thread]
        pc = self.vals[f"{thread}.pc"]
        return any(pc == t.step_index(lab) for lab in labels)


_ = ModelError
