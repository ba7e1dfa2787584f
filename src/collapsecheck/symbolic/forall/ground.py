"""The array encoding of a frozen model with its page quantifiers *grounded*.

Every array over the page size is one Z3 ``Array(Int, Int|Bool)``; the page count is a Z3 term: a free
``Int`` (every page count from the model's minimum on) or a literal such as 512. Element writes are
``Store``; a whole-array write (``ArrayOf``) is a fresh array constrained element by element.

Page quantifiers never reach Z3 as quantifiers. ``ForAll i. P(i)`` becomes a fresh Boolean ``b`` with a
witness ``w`` (``not b -> not P(w)``, exact) and the instantiations ``b -> P(t)`` at every term ``t`` of a
finite *term set* (array indices read or written, witnesses, the skolem page of the goal). ``Exists`` is the
dual; a count is an integer tied to both. Whole-array writes and the element domains are constrained at the
same terms. Every concrete state extends to a model of these constraints in which each encoded formula has
its concrete value, so the encoding over-approximates the model: an UNSAT answer is a proof, a SAT answer may
be spurious. This module builds terms and constraints only: it must not create solvers or decide anything.
"""

from __future__ import annotations

from typing import Callable

import z3

from collapsecheck.errors import ModelError
from collapsecheck.expr.nodes import ArrayOf, Count, Elem, Expr, Quant, VarRef, show, walk
from collapsecheck.expr.sorts import ArraySort, BoolSort, IntRange, Size
from collapsecheck.model.core import Model, VarDecl
from collapsecheck.symbolic.encode import ArrayVal, Encoder, Havoc, Sizes, domain, value_term, z3_sort
from collapsecheck.symbolic.reduction import _full_init
from collapsecheck.symbolic.system import System

Key = tuple  # ("v", decl id) | ("pc", thread) | ("a", decl id)
Body = Callable[[z3.ArithRef], z3.BoolRef]


class Ground(Havoc):
    """Fresh values of one query, its term set, and the instantiations deferred until the set is complete."""

    def __init__(self, tag: str, sizes: Sizes) -> None:
        super().__init__(tag, sizes)
        self.terms: list[z3.ArithRef] = []
        self._seen: set[int] = set()
        self._holes: set[int] = set()
        self.pending: list[tuple[z3.BoolRef, Body, z3.ArithRef]] = []

    def placeholder(self) -> z3.ArithRef:
        """A page constant that stands for "the bound page" in a body built once and substituted per term;
        it never enters the term set."""
        p = z3.Int(f"~P{len(self.vars)}@{self.tag}")
        self.vars.append(p)
        self._holes.add(p.get_id())
        return p

    def _has_hole(self, t: z3.ExprRef) -> bool:
        return t.get_id() in self._holes or any(self._has_hole(c) for c in t.children())

    def add_term(self, t: z3.ArithRef) -> None:
        if self._holes and self._has_hole(t):
            return
        t = z3.simplify(t)
        if t.get_id() not in self._seen:
            self._seen.add(t.get_id())
            self.terms.append(t)

    def witness(self, n: z3.ArithRef) -> z3.ArithRef:
        w = z3.Int(f"~w{len(self.vars)}@{self.tag}")
        self.vars.append(w)
        self.side.append(z3.And(0 <= w, w < n))
        self.add_term(w)
        return w

    def defer(self, guard: z3.BoolRef, body: Body, n: z3.ArithRef) -> None:
        """``guard -> body(t)`` for every term ``t`` with ``0 <= t < n``, once the term set is known."""
        self.pending.append((guard, body, n))

    def finalize(self, rounds: int = 2) -> list[z3.BoolRef]:
        """Instantiate every deferred body at every term. Instantiating can create new terms and deferred
        bodies (nested quantifiers); those are taken ``rounds`` levels deep, the rest stays unconstrained
        (which only weakens the encoding)."""
        out: list[z3.BoolRef] = []
        done: dict[int, int] = {}
        inside: dict[tuple[int, int], z3.BoolRef] = {}
        for _ in range(rounds):
            n_terms = len(self.terms)
            for k in range(len(self.pending)):
                guard, body, n = self.pending[k]
                for t in self.terms[done.get(k, 0):n_terms]:
                    key = (t.get_id(), n.get_id())
                    if key not in inside:
                        inside[key] = z3.And(0 <= t, t < n)
                    pre = inside[key] if z3.is_true(guard) else z3.And(guard, inside[key])
                    out.append(z3.Implies(pre, body(t)))
                done[k] = n_terms
        out += self.side
        self.side = []
        return out


def nested(e: Expr) -> bool:
    """``e`` contains a quantifier or count (whose encoding creates fresh values)."""
    return any(isinstance(x, (Quant, Count)) for x in walk(e))


class ZArray(ArrayVal):
    """One array of one frame as a Z3 array; reads record their index as a term when it is a page index."""

    def __init__(self, elem: object, arr: z3.ArrayRef, paged: bool) -> None:
        self.elem = elem  # type: ignore[assignment]
        self.arr = arr
        self.paged = paged

    def read(self, idx: z3.ArithRef, havoc: Havoc) -> z3.ExprRef:
        if self.paged and isinstance(havoc, Ground):
            havoc.add_term(idx)
        return z3.Select(self.arr, idx)


class PageEncoder(Encoder):
    """``encode.Encoder`` with quantifiers and counts over the page size grounded (see the module doc)."""

    def _aggregate(self, e: Quant | Count, st, hv, b):  # type: ignore[no-untyped-def,override]
        if not (self.sizes.is_abstract(e.var.size) and isinstance(hv, Ground)):
            return super()._aggregate(e, st, hv, b)
        n = self.sizes.term(e.var.size)

        def direct(t: z3.ArithRef) -> z3.BoolRef:
            inner = dict(b)
            inner[id(e.var)] = t
            return self.term(e.body, st, hv, inner)  # type: ignore[return-value]

        body: Body = direct
        if not nested(e.body):
            # Built once at a placeholder page and substituted per term (re-encoding per term is slow). Not
            # with a nested page quantifier: its Boolean would have to mean one thing per outer page.
            hole = hv.placeholder()
            tmpl = direct(hole)
            body = lambda t: z3.substitute(tmpl, (hole, t))  # noqa: E731

        def forall() -> z3.BoolRef:
            bb = hv.fresh_bool()
            w = hv.witness(n)
            hv.side.append(z3.Implies(z3.Not(bb), z3.Not(body(w))))
            hv.defer(bb, body, n)
            return bb

        def exists() -> z3.BoolRef:
            bb = hv.fresh_bool()
            w = hv.witness(n)
            hv.side.append(z3.Implies(bb, body(w)))
            hv.defer(z3.Not(bb), lambda t: z3.Not(body(t)), n)
            return bb

        if isinstance(e, Count):
            c = z3.Int(f"~c{len(hv.vars)}@{hv.tag}")
            hv.vars.append(c)
            ex, al = exists(), forall()
            hv.side += [0 <= c, c <= n, (c >= 1) == ex, (c == n) == al]
            return c
        return forall() if e.kind == "forall" else exists()

    def _array_cmp(self, e, st, hv, b):  # type: ignore[no-untyped-def,override]
        raise ModelError(f"{show(e)}: the prove engine does not encode whole-array comparisons")


class Frame:
    """The terms of one state: a term per scalar and program counter, a Z3 array per array variable."""

    def __init__(self, system: "ArraySystem", vals: dict[Key, z3.ExprRef]) -> None:
        self.system = system
        self.vals = vals

    def scalar(self, decl: VarDecl) -> z3.ExprRef:
        return self.vals[("v", id(decl))]

    def pc(self, thread: int) -> z3.ArithRef:
        return self.vals[("pc", thread)]  # type: ignore[return-value]

    def array(self, decl: VarDecl) -> ZArray:
        assert isinstance(decl.sort, ArraySort)
        return ZArray(decl.sort.elem, self.vals[("a", id(decl))], self.system.paged(decl))  # type: ignore[arg-type]


class ArraySystem:
    """The grounded array encoding of ``model`` with page size ``page`` worth ``n_term``."""

    def __init__(self, model: Model, page: str, n_term: z3.ArithRef, n_min: int) -> None:
        self.model = model
        self.page = page
        self.n = n_term
        self.n_min = n_min
        self.sizes = Sizes({s.name: s.value for s in model.sizes}, page, n_term)
        self.enc = PageEncoder(model, self.sizes)
        self.scalars: list[tuple[Key, str, object, VarDecl | None]] = []  # key, name, sort, decl
        self.arrays: list[VarDecl] = []
        for d in model.globals:
            self._add(d)
        for t in model.threads:
            self.scalars.append((("pc", t.index), f"{t.name}.pc", IntRange(0, len(t.steps)), None))
            for d in t.locals:
                self._add(d)

    def _add(self, d: VarDecl) -> None:
        if isinstance(d.sort, ArraySort):
            self.arrays.append(d)
        else:
            self.scalars.append((("v", id(d)), d.qualname, d.sort, d))

    def paged(self, d: VarDecl) -> bool:
        return isinstance(d.sort, ArraySort) and self.sizes.is_abstract(d.sort.size)

    def length(self, d: VarDecl) -> z3.ArithRef:
        assert isinstance(d.sort, ArraySort)
        return self.sizes.term(d.sort.size)

    def params(self) -> z3.BoolRef:
        return self.n >= self.n_min if not z3.is_int_value(self.n) else z3.BoolVal(True)

    # ------------------------------------------------------------------------------------ frames
    def frame(self, tag: str) -> Frame:
        vals: dict[Key, z3.ExprRef] = {}
        for key, name, sort, _ in self.scalars:
            vals[key] = z3.Const(f"{name}@{tag}", z3_sort(sort))  # type: ignore[arg-type]
        for d in self.arrays:
            assert isinstance(d.sort, ArraySort)
            vals[("a", id(d))] = z3.Array(f"{d.qualname}@{tag}", z3.IntSort(), z3_sort(d.sort.elem))
        return Frame(self, vals)

    def index_terms(self, f: Frame, g: Ground) -> None:
        """Add the frame's page-valued scalars (loop indices, counters, addresses) to the term set: the
        invariant is assumed at these pages in every query, whether or not the query reads them."""
        for key, _, sort, _ in self.scalars:
            if isinstance(sort, IntRange) and any(self.sizes.is_abstract(b) for b in (sort.lo, sort.hi)):
                g.add_term(f.vals[key])  # type: ignore[arg-type]

    def domain(self, f: Frame, g: Ground) -> z3.BoolRef:
        out = [domain(sort, f.vals[key], self.sizes) for key, _, sort, _ in self.scalars]  # type: ignore[arg-type]
        for d in self.arrays:
            self._each(d, f.vals[("a", id(d))], g, lambda x, d=d: domain(d.sort.elem, x, self.sizes))
        return z3.And([c for c in out if not z3.is_true(c)])

    def _each(self, d: VarDecl, arr: z3.ArrayRef, g: Ground, pred: Callable[[z3.ExprRef], z3.BoolRef]) -> None:
        """``pred`` of every element: deferred for page arrays, element by element for fixed ones."""
        if self.paged(d):
            key = ("each", arr.get_id(), pred.__code__)
            if key in g.memo:  # an array the step left unchanged: already constrained in the pre-state
                return
            g.memo[key] = arr
            g.defer(z3.BoolVal(True), lambda t: pred(z3.Select(arr, t)), self.length(d))
        else:
            for k in range(self.sizes.concrete(d.sort.size)):  # type: ignore[union-attr]
                g.side.append(pred(z3.Select(arr, k)))

    def init(self, f: Frame, g: Ground) -> z3.BoolRef:
        out: list[z3.BoolRef] = []
        for key, _, sort, d in self.scalars:
            x = f.vals[key]
            if d is None:
                out.append(x == 0)
            elif not _full_init(d, self.page):
                out.append(z3.Or([x == value_term(sort, v) for v in d.init[0]]))  # type: ignore[arg-type]
        for d in self.arrays:
            arr = f.vals[("a", id(d))]
            if _full_init(d, self.page):
                continue
            if self.paged(d):
                choices = sorted({v for c in d.init for v in c})
                self._each(d, arr, g, lambda x, d=d, ch=choices: z3.Or([x == value_term(d.sort.elem, v) for v in ch]))
            else:
                for k, ch in enumerate(d.init):
                    g.side.append(z3.Or([z3.Select(arr, k) == value_term(d.sort.elem, v) for v in ch]))
        for c in self.model.init_constraints:
            out.append(self.enc.term(c, f, g))  # type: ignore[arg-type]
        return z3.And(out)

    # ----------------------------------------------------------------------------------- actions
    def guards(self, f: Frame, g: Ground) -> list[list[list[z3.BoolRef]]]:
        return [[[self.enc.term(c.guard, f, g) for c in s.cases] for s in t.steps]  # type: ignore[misc]
                for t in self.model.threads]

    def action(self, aid: int, f: Frame, g: Ground, guards: list[list[list[z3.BoolRef]]] | None = None
               ) -> tuple[z3.BoolRef, dict[Key, z3.ExprRef], z3.BoolRef]:
        """(enabled, {key: next value of each key written}, an update leaves its range)."""
        case, enabled, nxt = self.enabling(aid, f, g, guards)
        bad: list[z3.BoolRef] = []
        enc = self.enc
        for u in case.updates:
            tgt = u.target
            if isinstance(tgt, Elem):
                decl = tgt.array.decl
                assert isinstance(decl.sort, ArraySort)
                idx = enc.term(tgt.index, f, g)
                val = enc.term(u.value, f, g)
                if self.paged(decl):
                    g.add_term(idx)  # type: ignore[arg-type]
                key = ("a", id(decl))
                nxt[key] = z3.Store(nxt.get(key, f.vals[key]), idx, val)  # type: ignore[arg-type]
                bad.append(z3.Not(z3.And(0 <= idx, idx < self.length(decl))))
                bad.append(z3.Not(domain(decl.sort.elem, val, self.sizes)))
                continue
            decl = tgt.decl
            if isinstance(decl.sort, ArraySort):
                fresh = z3.Array(f"~W{len(g.vars)}@{g.tag}", z3.IntSort(), z3_sort(decl.sort.elem))
                g.vars.append(fresh)
                value = u.value
                if isinstance(value, ArrayOf) and not nested(value.body):
                    hole = g.placeholder()
                    tmpl = enc.term(value.body, f, g, {id(value.var): hole})
                    body: Body = (lambda t, h=hole, tm=tmpl: z3.substitute(tm, (h, t)))  # type: ignore[misc]
                elif isinstance(value, ArrayOf):
                    body = (lambda t, v=value: enc.term(v.body, f, g, {id(v.var): t}))  # type: ignore[misc]
                else:
                    assert isinstance(value, VarRef)
                    src = f.vals[("a", id(value.decl))]
                    body = (lambda t, s=src: z3.Select(s, t))  # type: ignore[misc]
                elem = decl.sort.elem
                if self.paged(decl):
                    g.defer(z3.BoolVal(True), lambda t, w=fresh, bd=body: z3.Select(w, t) == bd(t), self.length(decl))
                    if not isinstance(elem, BoolSort):  # some element out of range: a witness page
                        bad.append(z3.Not(domain(elem, body(g.witness(self.length(decl))), self.sizes)))
                else:
                    for k in range(self.sizes.concrete(decl.sort.size)):
                        g.side.append(z3.Select(fresh, k) == body(z3.IntVal(k)))
                nxt[("a", id(decl))] = fresh
                continue
            val = enc.term(u.value, f, g)
            nxt[("v", id(decl))] = val
            bad.append(z3.Not(domain(decl.sort, val, self.sizes)))
        bad = [b for b in bad if not z3.is_false(z3.simplify(b))]
        return enabled, nxt, (z3.And(enabled, z3.Or(bad)) if bad else z3.BoolVal(False))

    def successor(self, f: Frame, nxt: dict[Key, z3.ExprRef]) -> Frame:
        vals = dict(f.vals)
        vals.update(nxt)
        return Frame(self, vals)

    # No case of any thread enabled, some thread neither finished nor at an end label: the flat system's
    # definition, over this system's guards.
    deadlock = System.deadlock
    enabling = System.enabling
    effective = System.effective

    def holds(self, expr: Expr, f: Frame, g: Ground) -> z3.BoolRef:
        return self.enc.term(expr, f, g)  # type: ignore[return-value]


def page_size(model: Model, wanted: str | None) -> Size | None:
    """The size the proof is about: the one given as N, else the largest size arrays are indexed by."""
    sizes = {s.name: s for s in model.sizes}
    if wanted is not None:
        return sizes.get(wanted)
    used = {d.sort.size.name for d in model.all_vars()
            if isinstance(d.sort, ArraySort) and isinstance(d.sort.size, Size)}
    cands = [s for s in model.sizes if s.name in used]
    return max(cands, key=lambda s: s.value) if cands else None



def action_label(model: Model, aid: int) -> str:
    """``thread:step [case]`` of an action, as the reports name it."""
    a = model.actions[aid]
    t = model.threads[a.thread]
    s = t.steps[a.step]
    c = s.cases[a.case]
    return f"{t.name}:{s.name}" + (f" [{c.label}]" if c.label and len(s.cases) > 1 else "")
