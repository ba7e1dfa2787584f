"""Sound axioms for the count terms ``#φ`` of ``count.py`` in one grounded query.

``#φ`` of a state is ``count.count_term``: an uninterpreted function of the arrays ``φ`` reads, so two frames
with the same arrays have the same count (congruence; this is the frame axiom of every step that writes
none of them). Every constraint below is a consequence of the definition ``#φ = |{p ∈ [0, N) : φ(p)}|``
in every state, so adding them never excludes a concrete state and an UNSAT answer stays a proof:

- *range*: ``0 ≤ #φ ≤ N`` (a subset of ``N`` pages);
- *linking*, at every page term ``t`` of the query with ``0 ≤ t < N`` (only at terms, so no quantifier):
  ``φ(t) → #φ ≥ 1`` (``t`` is a member), ``#φ = 0 → ¬φ(t)`` (contrapositive), ``#φ = N → φ(t)`` (every page
  of the range is a member);
- *element stores*: when every array ``φ`` reads is, after the step, the pre-state array or a chain of
  stores into it at indices ``i_1 … i_k``, the two states differ only at those pages, so
  ``#φ' = #φ + Σ_j [0 ≤ i_j < N ∧ i_j ∉ {i_1 … i_(j-1)}]·([φ'(i_j)] − [φ(i_j)])`` (each page counted once;
  a store outside the range changes no page of it);
- *whole-array writes*: only when ``φ`` after the step is valid (or unsatisfiable) at an arbitrary page,
  checked by a small solver call on the write's body at a fresh page, is ``#φ' = N`` (or ``0``); otherwise
  the new count is left unconstrained beyond range and linking (weaker, never wrong);
- *initial states*: when every value the initial declaration allows for the cells ``φ`` reads satisfies
  ``φ`` (or none does), ``#φ = N`` (or ``0``); arrays that may start with any value get no axiom.

This module builds constraints; its only solver calls are the pointwise validity checks of whole-array
writes. It must not decide anything about the model.
"""

from __future__ import annotations

import itertools

import z3

from collapsecheck.expr.nodes import ArrayOf, VarRef
from collapsecheck.model.core import VarDecl
from collapsecheck.symbolic.forall.columns import Columns
from collapsecheck.symbolic.forall.count import CountEq, Pred, count_term
from collapsecheck.symbolic.forall.ground import Frame, Ground, nested
from collapsecheck.symbolic.reduction import _full_init

CHECK_MS = 2000  # one pointwise validity check (unknown: no axiom)


def _linking(c: z3.ArithRef, at: z3.BoolRef, n: z3.ArithRef) -> z3.BoolRef:
    """At one page term: the page counted means a count of at least 1; a count of 0 or N decides it. (The
    predicate at the term is built once: building it is most of the gate's certificate re-check time.)"""
    return z3.And(z3.Implies(at, c >= 1), z3.Implies(c == 0, z3.Not(at)), z3.Implies(c == n, at))


class CountAxioms:
    """The axioms of the counts of ``preds`` (none: every method adds nothing)."""

    def __init__(self, cols: Columns, preds: list[Pred]) -> None:
        self.cols = cols
        self.system = cols.system
        self.preds = list(dict.fromkeys(preds))
        self._pointwise: dict[tuple, int | None] = {}

    def _decl(self, i: int) -> VarDecl:
        return self.cols.base[i][2][1]  # type: ignore[index,no-any-return]

    def _arrays(self, f: Frame, pred: Pred) -> list[z3.ArrayRef]:
        return [f.vals[("a", id(self._decl(i)))] for i, _ in pred.atoms]  # type: ignore[misc]

    def _at(self, pred: Pred, arrays: list[z3.ArrayRef], t: z3.ArithRef) -> z3.BoolRef:
        return pred.at({i: z3.Select(a, t) for (i, _), a in zip(pred.atoms, arrays)})

    def _count(self, pred: Pred, arrays: list[z3.ArrayRef], g: Ground) -> z3.ArithRef:
        """The count of these arrays with its range and linking axioms."""
        n = self.system.n
        c = count_term(pred, arrays)
        key = ("count", c.get_id())
        if key not in g.memo:
            g.memo[key] = c
            g.side += [0 <= c, c <= n]
            g.defer(z3.BoolVal(True), lambda t, c=c, p=pred, a=arrays: _linking(c, self._at(p, a, t), n), n)
        return c

    def frame(self, f: Frame, g: Ground) -> None:
        for p in self.preds:
            self._count(p, self._arrays(f, p), g)

    def init(self, f: Frame, g: Ground) -> None:
        page = self.system.page
        for p in self.preds:
            c = self._count(p, self._arrays(f, p), g)
            decls = [self._decl(i) for i, _ in p.atoms]
            if any(_full_init(d, page) for d in decls):
                continue
            choices = [sorted({int(v) for ch in d.init for v in ch}) for d in decls]
            hits = {p.holds(dict(zip([i for i, _ in p.atoms], vals))) for vals in itertools.product(*choices)}
            if hits == {True}:
                g.side.append(c == self.system.n)
            elif hits == {False}:
                g.side.append(c == 0)

    def step(self, aid: int, x: Frame, nxt: dict, g: Ground) -> None:
        """Axioms for the counts after action ``aid`` (``nxt``: ``ArraySystem.action``'s written keys)."""
        n = self.system.n
        for p in self.preds:
            keys = [("a", id(self._decl(i))) for i, _ in p.atoms]
            pre = self._arrays(x, p)
            post = [nxt.get(k, a) for k, a in zip(keys, pre)]
            if all(a.eq(b) for a, b in zip(pre, post)):
                continue  # the same function application: equal by congruence
            before = self._count(p, pre, g)
            after = self._count(p, post, g)
            idx: list[z3.ArithRef] | None = []
            for a, b in zip(pre, post):
                e = b
                while z3.is_store(e) and not e.eq(a):
                    idx.append(e.arg(1))  # type: ignore[union-attr]
                    e = e.arg(0)
                if not e.eq(a):
                    idx = None
                    break
            if idx is not None:
                delta = []
                for j, i in enumerate(idx):
                    fresh = z3.And([0 <= i, i < n] + [i != k for k in idx[:j]])
                    change = z3.If(self._at(p, post, i), 1, 0) - z3.If(self._at(p, pre, i), 1, 0)
                    delta.append(z3.If(fresh, change, 0))
                g.side.append(after == before + z3.Sum(delta))
                continue
            value = self._pointwise_value(aid, p, x, keys, pre, post)
            if value is not None:
                g.side.append(after == (n if value else 0))

    def _pointwise_value(self, aid: int, p: Pred, x: Frame, keys: list, pre: list, post: list) -> int | None:
        """1 (0) when ``φ`` holds (fails) at every page after action ``aid``, else None."""
        memo = (aid, p)
        if memo in self._pointwise:
            return self._pointwise[memo]
        model = self.system.model
        a = model.actions[aid]
        case = model.threads[a.thread].steps[a.step].cases[a.case]
        scratch = Ground(f"cnt{aid}", self.system.sizes)
        hole = z3.Int(f"~cnt_page@{aid}")
        whole = {}
        for u in case.updates:
            tgt = u.target
            if isinstance(tgt, VarRef) and ("a", id(tgt.decl)) in keys:
                v = u.value
                if isinstance(v, ArrayOf) and not nested(v.body):
                    whole[("a", id(tgt.decl))] = self.system.enc.term(v.body, x, scratch, {id(v.var): hole})
                elif isinstance(v, VarRef):
                    whole[("a", id(tgt.decl))] = z3.Select(x.vals[("a", id(v.decl))], hole)
        cells = {}
        for (i, _), k, b in zip(p.atoms, keys, post):
            if k in whole and z3.is_const(b) and not any(b.eq(v) for v in pre):
                cells[i] = whole[k]  # the fresh array of that whole-array write, cell by cell
            elif z3.is_const(b) and not any(b.eq(v) for v in pre):
                self._pointwise[memo] = None  # a fresh array this analysis cannot read
                return None
            else:
                cells[i] = z3.Select(b, hole)
        phi = p.at(cells)
        out = None
        for val, goal in ((1, z3.Not(phi)), (0, phi)):
            s = z3.Solver()
            s.set("timeout", CHECK_MS)
            s.add(goal)
            if s.check() == z3.unsat:
                out = val
                break
        self._pointwise[memo] = out
        return out


def preds_of(items: list) -> list[Pred]:
    """The predicates the count equalities among ``items`` mention."""
    return [it.pred for it in items if isinstance(it, CountEq)]
