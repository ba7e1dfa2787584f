"""Houdini over grounded ∀-clauses: the largest inductive subset of the candidates, and a small core of it.

One solver per *query*: initial states, and each action symbolically executed from a state ``x`` (the
same shape as the independent re-check's queries, so what survives here is what the re-check accepts).
In each, every candidate is assumed in ``x`` at every term of that query's term set, behind an assumption
literal, and checked after the step at one skolem page ``sk``. A satisfying assignment of "some live
candidate fails at ``sk``" kills the candidates it falsifies; sweeps over the queries repeat until no
candidate dies. The always properties are candidates too (they may be lemmas of each other); deadlock
freedom and range safety are consequences checked against what survived. :meth:`Houdini.core` picks, by
unsat cores, what the proved targets need (closed under consecution). This module infers; it must not
decide verdicts, print or re-check.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable, Union

import z3

from collapsecheck.model.core import Property
from collapsecheck.symbolic.forall.columns import Clause, Columns
from collapsecheck.symbolic.forall.count import CountEq
from collapsecheck.symbolic.forall.count_axioms import CountAxioms, preds_of
from collapsecheck.symbolic.forall.ground import ArraySystem, Frame, Ground, action_label
from collapsecheck.symbolic.forall.linear import Equality

Item = Union[Clause, Equality, CountEq, Property]
Progress = Callable[[str], None]


class OutOfTime(Exception):
    """The deadline passed inside a phase (the message names it)."""


def left_ms(deadline: float) -> int:
    left = deadline - time.monotonic()
    if left <= 0:
        raise OutOfTime("time limit")
    return max(1, int(left * 1000))


@dataclass
class Query:
    """One solver: ``goals[i]`` is item i after the step (or in the initial state); ``lits[i]`` assumes
    item i before it (None for initiation)."""

    name: str
    solver: z3.Solver
    goals: list[z3.BoolRef]
    lits: list[z3.BoolRef] | None
    # what :meth:`Houdini.extend` needs to add items later: the pre-state terms the items are assumed at,
    # the step's substitution into the post-state and the skolem page of the goals
    terms: list[z3.ArithRef] = field(default_factory=list)
    subst: list = field(default_factory=list)
    sk: z3.ArithRef | None = None


@dataclass
class Outcome:
    kept: list[Item]
    killed_by: dict[str, str] = field(default_factory=dict)  # property name -> where it failed
    rounds: int = 0
    candidates: int = 0


class Houdini:
    def __init__(self, system: ArraySystem, cols: Columns, items: list[Item], deadline: float,
                 progress: Progress | None = None) -> None:
        self.system, self.cols, self.items = system, cols, items
        self.lits = [z3.Bool(f"~item{i}") for i in range(len(items))]
        self.x = system.frame("x")
        self.P = z3.Int("~P")
        self.counts = CountAxioms(cols, preds_of(items))  # no count equalities: adds nothing
        # clause templates over x and the placeholder page P: substituted, not rebuilt, per term and action
        self.tmpl: list[z3.BoolRef | None] = [None if isinstance(it, Property) else self._template(it)
                                              for it in items]
        self.queries: list[Query] = [self._init_query()]
        for a in system.model.actions:
            if time.monotonic() > deadline:
                raise OutOfTime("encoding the candidates")
            if progress:
                progress(f"encoding {len(items)} candidates for action {a.id + 1}/{len(system.model.actions)}")
            self.queries.append(self._action_query(a.id))
        self.alive: list[int] = []

    # ----------------------------------------------------------------------------------- building
    def _template(self, it: Item) -> z3.BoolRef:
        """A clause or equality (the same interface) over x at P, in range when it is about a page."""
        f = it.formula(self.cols.terms(self.x, self.P))  # type: ignore[union-attr]
        return z3.Implies(z3.And(0 <= self.P, self.P < self.system.n), f) if it.paged else f  # type: ignore[union-attr]

    def _post(self, it: Item, k: int, f: Frame, sk: z3.ArithRef, g: Ground, subst: list) -> z3.BoolRef:
        if isinstance(it, Property):
            return self.system.holds(it.expr, f, g)
        return z3.substitute(self.tmpl[k], *subst, (self.P, sk)) if subst else \
            z3.substitute(self.tmpl[k], (self.P, sk))

    def _assume(self, solver: z3.Solver, g: Ground, pre_props: dict[int, z3.BoolRef]) -> None:
        for k, (lit, it) in enumerate(zip(self.lits, self.items)):
            if isinstance(it, Property):
                solver.add(z3.Implies(lit, pre_props[k]))
            elif it.paged:
                solver.add(z3.Implies(lit, z3.And([z3.substitute(self.tmpl[k], (self.P, t)) for t in g.terms])))
            else:
                solver.add(z3.Implies(lit, self.tmpl[k]))

    def _init_query(self) -> Query:
        s = self.system
        g = Ground("i", s.sizes)
        x0 = self.x
        sk = z3.Int("sk")
        g.add_term(sk)
        facts = [s.params(), 0 <= sk, sk < s.n, s.domain(x0, g), s.init(x0, g)]
        self.counts.init(x0, g)
        goals = [self._post(it, k, x0, sk, g, []) for k, it in enumerate(self.items)]
        solver = z3.Solver()
        solver.add(*facts, *g.finalize())
        return Query("initial states", solver, goals, None, sk=sk)

    def _action_query(self, aid: int) -> Query:
        s = self.system
        g = Ground(f"a{aid}", s.sizes)
        x = self.x
        sk = z3.Int("sk")
        g.add_term(sk)
        s.index_terms(x, g)
        en, nxt, _ = s.action(aid, x, g)
        y = s.successor(x, nxt)
        self.counts.frame(x, g)
        self.counts.step(aid, x, nxt, g)
        subst = [(x.vals[k], v) for k, v in nxt.items()]
        goals = [self._post(it, k, y, sk, g, subst) for k, it in enumerate(self.items)]
        pre_props = {k: s.holds(it.expr, x, g) for k, it in enumerate(self.items) if isinstance(it, Property)}
        facts = [s.params(), 0 <= sk, sk < s.n, en, s.domain(x, g), s.domain(y, g)]
        solver = z3.Solver()
        solver.set("core.minimize", True)
        solver.add(*facts, *g.finalize())
        self._assume(solver, g, pre_props)
        return Query(f"not preserved by {action_label(s.model, aid)}", solver, goals, self.lits, g.terms, subst, sk)

    def consequence_query(self, name: str) -> Query:
        """``deadlock`` / ``range`` of a state satisfying the live items (goal: the target is reachable)."""
        s = self.system
        g = Ground(f"c{name}", s.sizes)
        x = self.x
        s.index_terms(x, g)
        tgt = s.deadlock(x, g) if name == "deadlock" else \
            z3.Or([s.action(a.id, x, g)[2] for a in s.model.actions])
        pre_props = {k: s.holds(it.expr, x, g) for k, it in enumerate(self.items) if isinstance(it, Property)}
        self.counts.frame(x, g)
        solver = z3.Solver()
        solver.set("core.minimize", True)
        solver.add(s.params(), s.domain(x, g), tgt, *g.finalize())
        self._assume(solver, g, pre_props)
        return Query(name, solver, [], self.lits, g.terms)

    # ------------------------------------------------------------------------------------ fixpoint
    def _check(self, q: Query, alive: list[int], deadline: float, goal: z3.BoolRef | None) -> z3.CheckSatResult:
        ms = left_ms(deadline)  # before the push: an expired deadline must leave the solver as it was
        q.solver.push()
        if goal is not None:
            q.solver.add(goal)
        q.solver.set("timeout", ms)
        r = q.solver.check(*([q.lits[i] for i in alive] if q.lits is not None else []))
        if r == z3.unknown:
            reason = q.solver.reason_unknown()
            q.solver.pop()
            raise OutOfTime(f"{q.name}: Z3 answered unknown ({reason})")
        return r

    def extend(self, clauses: list[Clause]) -> list[int]:
        """Add candidate clauses to every query already built (the counterexample-to-induction loop's
        clauses); returns their item indices. Properties cannot be added."""
        first = len(self.items)
        for it in clauses:
            self.lits.append(z3.Bool(f"~item{len(self.items)}"))
            self.items.append(it)
            self.tmpl.append(self._template(it))
        for q in self.queries:
            assert q.sk is not None
            for k in range(first, len(self.items)):
                tm = self.tmpl[k]
                q.goals.append(z3.substitute(tm, *q.subst, (self.P, q.sk)))
                if q.lits is None:
                    continue
                body = z3.And([z3.substitute(tm, (self.P, t)) for t in q.terms]) if self.items[k].paged else tm
                q.solver.add(z3.Implies(self.lits[k], body))  # type: ignore[union-attr]
        return list(range(first, len(self.items)))

    def run(self, deadline: float, progress: Progress | None = None, start: list[int] | None = None,
            settled: set[int] | None = None) -> Outcome:
        """Houdini from all items, or from the items ``start`` (the rest stays dead). ``settled``: items of
        ``start`` already known inductive on their own (an earlier run's survivors): assuming more items
        only strengthens the pre-state, so they are assumed but never asked again."""
        alive = list(range(len(self.items))) if start is None else sorted(set(start))
        asked = [i for i in alive if i not in (settled or set())]
        out = Outcome([], candidates=len(self.items))
        stable = 0
        k = 0
        while asked and stable < len(self.queries):
            q = self.queries[k % len(self.queries)]
            k += 1
            out.rounds += 1
            if progress:
                progress(f"houdini: {len(alive)} candidates left, query {out.rounds} ({q.name})")
            r = self._check(q, alive, deadline, z3.Or([z3.Not(q.goals[i]) for i in asked]))
            if r == z3.unsat:
                q.solver.pop()
                stable += 1
                continue
            stable = 0
            zm = q.solver.model()
            dead = [i for i in asked if z3.is_false(zm.eval(q.goals[i], model_completion=True))] or [asked[-1]]
            q.solver.pop()
            for i in dead:
                if isinstance(self.items[i], Property):
                    out.killed_by[self.items[i].name] = q.name  # type: ignore[union-attr]
            gone = set(dead)
            alive = [i for i in alive if i not in gone]
            asked = [i for i in asked if i not in gone]
            k -= 1  # ask the same query again until it holds
        out.kept = [self.items[i] for i in alive]
        self.alive = alive
        return out

    # ------------------------------------------------------------------------------ consequences
    def consequence(self, name: str, deadline: float) -> tuple[bool, list[int]]:
        q = self.consequence_query(name)
        r = self._check(q, self.alive, deadline, None)
        core = self._core(q) if r == z3.unsat else []
        q.solver.pop()
        return r == z3.unsat, core

    def _core(self, q: Query) -> list[int]:
        index = {lit.get_id(): i for i, lit in enumerate(self.lits)}
        return sorted(index[c.get_id()] for c in q.solver.unsat_core())

    def core(self, seeds: list[int], deadline: float, progress: Progress | None = None) -> list[int]:
        """Live items ``seeds`` need, closed under consecution: per query, one unsat core for all of them."""
        needed: set[int] = set(seeds)
        explained: dict[str, set[int]] = {}
        changed = True
        while changed:
            changed = False
            for q in self.queries[1:]:
                todo = needed - explained.get(q.name, set())
                if not todo:
                    continue
                if progress:
                    progress(f"minimising: {len(needed)} conjuncts needed ({q.name})")
                goal = z3.Or([z3.Not(q.goals[i]) for i in sorted(todo)])
                # What is already needed often suffices: ask with it alone first, so cores stay small.
                r = self._check(q, sorted(needed), deadline, goal)
                if r != z3.unsat:
                    q.solver.pop()
                    r = self._check(q, self.alive, deadline, goal)
                core = self._core(q) if r == z3.unsat else list(self.alive)
                q.solver.pop()
                explained[q.name] = explained.get(q.name, set()) | todo
                new = set(core) - needed
                if new:
                    needed |= new
                    changed = True
        return sorted(needed)
