"""Deletion-based minimisation of a proved ∀-invariant: fewer conjuncts, the same proved targets.

Starts from the unsat-core closure :meth:`Houdini.core` returns (inductive, and it excludes every proved
target). In a fixed order — widest clause first (most premises, then most values, then mining order) —
each clause is tentatively left out; it stays out when the rest is still inductive (every action query of
the Houdini instance is UNSAT with the rest assumed before the step and negated after it) and still
excludes each proved consequence target (deadlock freedom, range safety); passes repeat until one removes
nothing, so every clause kept is needed by the others (a local minimum, not the smallest invariant).
Always properties are targets and are never dropped. Two facts keep it cheap and exact:

- a query whose last unsat core does not contain the clause needs no new call (the core alone implies
  the larger set after the step, hence the smaller one);
- after each successful deletion, whatever no query's core uses is dropped too (the union of the cores is
  itself inductive, by the same argument).

The order is deterministic; a time budget (half of what is left before the deadline) or a solver
``unknown`` keeps the clause being tried and, when the budget is spent, stops with the current set, which
is inductive at every step. This module minimises; it must not mine, decide verdicts, print or re-check
(the independent re-check in ``recheck.py`` still checks the result).
"""

from __future__ import annotations

import time
from typing import Callable

import z3

from collapsecheck.model.core import Property
from collapsecheck.symbolic.forall.columns import Clause
from collapsecheck.symbolic.forall.houdini import Houdini, Query

Progress = Callable[[str], None]
BUDGET_SHARE = 0.5  # of the time left before the deadline
MAX_CHECK_S = 20.0  # one query; an unknown answer keeps the clause


def width(c: Clause) -> tuple[int, int]:
    return len(c.premises), len(c.values)


class Minimiser:
    def __init__(self, h: Houdini, consequences: list[str]) -> None:
        self.h = h
        self.queries: list[Query] = list(h.queries[1:])  # initiation holds for every subset
        self.queries += [h.consequence_query(name) for name in consequences]
        self.cores: dict[int, set[int]] = {}
        self.calls = 0

    def _unsat_core(self, qi: int, keep: set[int], until: float) -> set[int] | None:
        """The core of "``keep`` before the step, not ``keep`` after it" (a consequence query: the target
        with ``keep``) when UNSAT; ``None`` when SAT, unknown or out of time."""
        q = self.queries[qi]
        left = until - time.monotonic()
        if left <= 0:
            return None
        self.calls += 1
        q.solver.push()
        try:
            if q.goals:
                q.solver.add(z3.Or([z3.Not(q.goals[i]) for i in sorted(keep)]))
            q.solver.set("timeout", max(1, int(min(left, MAX_CHECK_S) * 1000)))
            assert q.lits is not None
            if q.solver.check(*[q.lits[i] for i in sorted(keep)]) != z3.unsat:
                return None
            index = {lit.get_id(): i for i, lit in enumerate(self.h.lits)}
            return {index[c.get_id()] for c in q.solver.unsat_core()}
        finally:
            q.solver.pop()

    def _widest_first(self, i: int) -> tuple[int, int, int]:
        premises, values = width(self.h.items[i])  # type: ignore[arg-type]
        return -premises, -values, i

    def _closure(self, keep: set[int]) -> set[int]:
        """What the cores use, plus the properties (targets); inductive when every core is within ``keep``."""
        used = {i for core in self.cores.values() for i in core}
        return {i for i in keep if i in used or isinstance(self.h.items[i], Property)}

    def run(self, start: list[int], deadline: float, progress: Progress | None = None) -> list[int]:
        until = time.monotonic() + max(0.0, deadline - time.monotonic()) * BUDGET_SHARE
        keep = set(start)
        for qi in range(len(self.queries)):
            core = self._unsat_core(qi, keep, until)
            if core is None:  # out of budget (or the start is not what it should be): leave it as it is
                return sorted(start)
            self.cores[qi] = core
        keep = self._closure(keep)
        # Leaving a clause out also drops its own consecution goal, so a clause needed earlier may become
        # removable later: passes repeat until one removes nothing (then every kept clause is needed).
        changed, passes = True, 0
        while changed and time.monotonic() < until:
            changed, passes = False, passes + 1
            order = sorted((i for i in keep if isinstance(self.h.items[i], Clause)), key=self._widest_first)
            for n, c in enumerate(order):
                if c not in keep:
                    continue
                if time.monotonic() > until:
                    break
                if progress:
                    progress(f"minimising (pass {passes}): {len(keep)} conjuncts, trying {n + 1}/{len(order)}")
                trial = keep - {c}
                new: dict[int, set[int]] = {}
                for qi in sorted(self.cores):
                    if c not in self.cores[qi]:
                        continue
                    core = self._unsat_core(qi, trial, until)
                    if core is None:
                        break
                    new[qi] = core
                else:
                    self.cores.update(new)
                    keep = self._closure(trial)
                    changed = True
        return sorted(keep)


def minimise(h: Houdini, start: list[int], consequences: list[str], deadline: float,
             progress: Progress | None = None) -> list[int]:
    """``start`` (an inductive set of live items that excludes the proved targets) made smaller."""
    return Minimiser(h, consequences).run(start, deadline, progress)
