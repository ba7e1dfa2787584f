"""Interpreter 2 of the expression language: an expression tree becomes a Z3 term.

It walks the same nodes as ``expr/evaluate.py`` (the reference) and ``explicit/codegen.py``, so a model is
never written twice. Values: ``BOOL`` is a Z3 Bool; bounded ints, enum members, lock owners and program
counters are Z3 Ints (their ranges are separate domain constraints, see :func:`domain`).

Arrays come in two representations:

- :class:`FlatArray`: one term per element (a fixed page count; quantifiers are unrolled, exact).
- :class:`TrackedArray`: only the elements at a few *tracked* page indices ``p0, p1, ...`` (the page-count
  reduction of ``reduction.py``). Reading any other element gives a fresh, unconstrained value of the
  element sort (a *havoc*), and a quantifier over the pages becomes "the tracked instances, and a havoc
  bool for all the others". Every concrete value is one of the possible abstract values, so the encoding
  over-approximates the model: proofs stay sound, counterexamples must be concretised and replayed.

:meth:`Encoder.reach` is the property form: a ``ForAll`` that a violation must break (or an ``Exists`` a
witness must meet) is *instantiated* at a tracked index instead of being abstracted, which is what makes
per-page properties provable. This module builds terms only: it must not create solvers or decide
anything, and it must not know about engines.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

import z3

from collapsecheck.errors import ModelError
from collapsecheck.expr.nodes import (
    And,
    Arith,
    ArrayOf,
    AtStep,
    BoundVar,
    Cmp,
    Const,
    Count,
    Elem,
    Expr,
    Implies,
    Ite,
    Not,
    Or,
    Quant,
    SizeRef,
    VarRef,
    show,
)
from collapsecheck.expr.sorts import ArraySort, BoolSort, Bound, EnumSort, IntRange, OwnerSort, Size, Sort
from collapsecheck.model.core import Model, VarDecl


# ---------------------------------------------------------------------------------------------- sorts
def z3_sort(sort: Sort) -> z3.SortRef:
    """Bool for ``BOOL``; Int for every other scalar sort (ranges are domain constraints)."""
    if isinstance(sort, ArraySort):
        raise TypeError("array sorts have no scalar Z3 sort")
    return z3.BoolSort() if isinstance(sort, BoolSort) else z3.IntSort()


def value_term(sort: Sort, value: int) -> z3.ExprRef:
    """The Z3 literal of a stored value of ``sort``."""
    return z3.BoolVal(bool(value)) if isinstance(sort, BoolSort) else z3.IntVal(int(value))


def from_z3(sort: Sort, val: z3.ExprRef) -> int:
    """A model value back as the explicit engine stores it (bool for ``BOOL``, int otherwise)."""
    if isinstance(sort, BoolSort):
        return z3.is_true(val)
    if not z3.is_int_value(val):
        raise ValueError(f"expected an integer value, got {val}")
    return val.as_long()  # type: ignore[no-any-return,attr-defined]


class Sizes:
    """The values of the model's sizes: a number each, or for the abstracted size possibly a Z3 variable."""

    def __init__(self, values: dict[str, int], abstract: str | None = None,
                 abstract_term: z3.ArithRef | None = None) -> None:
        self.values = dict(values)
        self.abstract = abstract
        self.abstract_term = abstract_term

    def term(self, b: Bound) -> z3.ArithRef:
        if isinstance(b, Size):
            if b.name == self.abstract and self.abstract_term is not None:
                return self.abstract_term + b.offset if b.offset else self.abstract_term
            return z3.IntVal(self.values.get(b.name, b.base) + b.offset)
        return z3.IntVal(int(b))

    def is_abstract(self, b: Bound) -> bool:
        return isinstance(b, Size) and b.name == self.abstract

    def concrete(self, b: Bound) -> int:
        if isinstance(b, Size):
            return self.values.get(b.name, b.base) + b.offset
        return int(b)


def domain(sort: Sort, x: z3.ExprRef, sizes: Sizes) -> z3.BoolRef:
    """The constraint that ``x`` is a value of ``sort``."""
    if isinstance(sort, BoolSort):
        return z3.BoolVal(True)
    if isinstance(sort, IntRange):
        return z3.And(sizes.term(sort.lo) <= x, x <= sizes.term(sort.hi))
    if isinstance(sort, EnumSort):
        return z3.And(0 <= x, x < len(sort.members))
    if isinstance(sort, OwnerSort):
        return z3.And(0 <= x, x <= len(sort.names))
    raise TypeError(f"no domain for sort {sort}")


# --------------------------------------------------------------------------------------------- arrays
class ArrayVal:
    """How one array variable is represented in one state frame."""

    elem: Sort

    def read(self, idx: z3.ArithRef, havoc: "Havoc") -> z3.ExprRef:
        raise NotImplementedError


@dataclass
class FlatArray(ArrayVal):
    elem: Sort
    elems: list[z3.ExprRef]
    name: str = ""

    def read(self, idx: z3.ArithRef, havoc: "Havoc") -> z3.ExprRef:
        if z3.is_int_value(idx):
            k = idx.as_long()  # type: ignore[attr-defined]
            # An out-of-range read makes the explicit engine stop with a model error; here it is a havoc.
            return self.elems[k] if 0 <= k < len(self.elems) else havoc.fresh(self.elem)
        out = havoc.fresh(self.elem)
        for k in reversed(range(len(self.elems))):
            out = z3.If(idx == k, self.elems[k], out)
        return out


@dataclass
class TrackedArray(ArrayVal):
    elem: Sort
    copies: list[z3.ExprRef]  # the element at each tracked index
    indices: list[z3.ArithRef]  # the tracked indices p0, p1, ...
    name: str = ""

    def read(self, idx: z3.ArithRef, havoc: "Havoc") -> z3.ExprRef:
        # An untracked page has one (unknown) value during a step: reads of the same element in one
        # encoding site share their havoc, as reads of a real page in one atomic step agree.
        out = havoc.fresh(self.elem, key=(self.name, idx.get_id()))
        for p, c in reversed(list(zip(self.indices, self.copies))):
            out = z3.If(idx == p, c, out)
        return out


class State(Protocol):
    """The terms of one state frame."""

    def scalar(self, decl: VarDecl) -> z3.ExprRef: ...

    def pc(self, thread: int) -> z3.ArithRef: ...

    def array(self, decl: VarDecl) -> ArrayVal: ...


@dataclass
class Havoc:
    """Fresh values for one encoding site (a transition, a property check), with their domain constraints.

    Engines quantify these existentially: in BMC they are ordinary free constants of the frame, in Horn
    clauses they are declared body variables."""

    tag: str
    sizes: Sizes
    vars: list[z3.ExprRef] = field(default_factory=list)
    side: list[z3.BoolRef] = field(default_factory=list)
    memo: dict[object, z3.ExprRef] = field(default_factory=dict)

    def fresh(self, sort: Sort, key: object = None) -> z3.ExprRef:
        if key is not None and key in self.memo:
            return self.memo[key]
        v = z3.Const(f"~h{len(self.vars)}@{self.tag}", z3_sort(sort))
        if key is not None:
            self.memo[key] = v
        self.vars.append(v)
        d = domain(sort, v, self.sizes)
        if not z3.is_true(d):
            self.side.append(d)
        return v

    def fresh_bool(self) -> z3.BoolRef:
        v = z3.Bool(f"~h{len(self.vars)}@{self.tag}")
        self.vars.append(v)
        return v


# -------------------------------------------------------------------------------------------- encoder
class Encoder:
    """Encodes expressions of one model against state frames.

    ``tracked`` are the tracked page indices of the abstracted size (empty without the reduction)."""

    def __init__(self, model: Model, sizes: Sizes, tracked: list[z3.ArithRef] | None = None) -> None:
        self.model = model
        self.sizes = sizes
        self.tracked = list(tracked or [])
        self._threads = {t.name: t for t in model.threads}

    # ----------------------------------------------------------------------------- value encoding
    def term(self, e: Expr, st: State, hv: Havoc, bound: dict[int, z3.ExprRef] | None = None) -> z3.ExprRef:
        """The value of ``e`` in frame ``st`` (an over-approximation where the reduction abstracts)."""
        b = bound if bound is not None else {}

        def t(x: Expr) -> z3.ExprRef:
            return self.term(x, st, hv, b)

        if isinstance(e, Const):
            return value_term(e.sort, e.value)
        if isinstance(e, VarRef):
            if isinstance(e.sort, ArraySort):
                raise ModelError(f"{show(e)}: a whole array can only be indexed or assigned")
            return st.scalar(e.decl)
        if isinstance(e, SizeRef):
            return self.sizes.term(e.size)
        if isinstance(e, BoundVar):
            return b[id(e)]
        if isinstance(e, AtStep):
            th = self._threads[e.thread]
            pcs = sorted({th.step_index(lab) for lab in e.labels})
            pc = st.pc(th.index)
            return z3.Or([pc == k for k in pcs]) if len(pcs) > 1 else pc == pcs[0]
        if isinstance(e, Not):
            return z3.Not(t(e.arg))
        if isinstance(e, And):
            return z3.And([t(a) for a in e.args]) if e.args else z3.BoolVal(True)
        if isinstance(e, Or):
            return z3.Or([t(a) for a in e.args]) if e.args else z3.BoolVal(False)
        if isinstance(e, Implies):
            return z3.Implies(t(e.lhs), t(e.rhs))
        if isinstance(e, Ite):
            return z3.If(t(e.cond), t(e.then), t(e.other))
        if isinstance(e, Cmp):
            if isinstance(e.lhs.sort, ArraySort):
                return self._array_cmp(e, st, hv, b)
            x, y = t(e.lhs), t(e.rhs)
            return {"==": lambda: x == y, "!=": lambda: x != y, "<": lambda: x < y, "<=": lambda: x <= y,
                    ">": lambda: x > y, ">=": lambda: x >= y}[e.op]()
        if isinstance(e, Arith):
            x, y = t(e.lhs), t(e.rhs)
            return x + y if e.op == "+" else x - y
        if isinstance(e, Elem):
            return st.array(e.array.decl).read(t(e.index), hv)
        if isinstance(e, (Quant, Count)):
            return self._aggregate(e, st, hv, b)
        if isinstance(e, ArrayOf):
            raise ModelError(f"{show(e)}: ArrayOf can only be assigned to an array variable")
        raise TypeError(f"unknown expression node {type(e).__name__}")

    def _aggregate(self, e: Quant | Count, st: State, hv: Havoc, b: dict[int, z3.ExprRef]) -> z3.ExprRef:
        size = e.var.size
        if not self.sizes.is_abstract(size):
            parts = []
            for k in range(self.sizes.concrete(size)):
                inner = dict(b)
                inner[id(e.var)] = z3.IntVal(k)
                parts.append(self.term(e.body, st, hv, inner))
            if isinstance(e, Count):
                return z3.Sum([z3.If(p, 1, 0) for p in parts]) if parts else z3.IntVal(0)
            if e.kind == "forall":
                return z3.And(parts) if parts else z3.BoolVal(True)
            return z3.Or(parts) if parts else z3.BoolVal(False)
        # The reduction: the tracked instances are exact, the rest of the range is one havoc value.
        n = self.sizes.term(size)
        inst = []
        for p in self.tracked:
            inner = dict(b)
            inner[id(e.var)] = p
            inst.append((p < n, self.term(e.body, st, hv, inner)))
        if isinstance(e, Count):
            return hv.fresh(IntRange(0, size))
        rest = hv.fresh_bool()
        if e.kind == "forall":
            return z3.And([z3.Implies(r, v) for r, v in inst] + [rest])
        return z3.Or([z3.And(r, v) for r, v in inst] + [rest])

    def _array_cmp(self, e: Cmp, st: State, hv: Havoc, b: dict[int, z3.ExprRef]) -> z3.BoolRef:
        if not (isinstance(e.lhs, VarRef) and isinstance(e.rhs, VarRef)):
            raise ModelError(f"{show(e)}: only array variables can be compared")
        x, y = st.array(e.lhs.decl), st.array(e.rhs.decl)
        if isinstance(x, FlatArray) and isinstance(y, FlatArray):
            eq = z3.And([a == c for a, c in zip(x.elems, y.elems)])
        elif isinstance(x, TrackedArray) and isinstance(y, TrackedArray):
            eq = z3.And([a == c for a, c in zip(x.copies, y.copies)] + [hv.fresh_bool()])
        else:
            raise ModelError(f"{show(e)}: arrays of different sizes cannot be compared")
        if e.op == "==":
            return eq
        if e.op == "!=":
            return z3.Not(eq)
        raise ModelError(f"{show(e)}: arrays can only be compared with == and !=")

    # -------------------------------------------------------------------------- property encoding
    def reach(self, e: Expr, st: State, hv: Havoc, want: bool = True,
              bound: dict[int, z3.ExprRef] | None = None, alloc: list[int] | None = None) -> z3.BoolRef:
        """A formula that can be true in the abstract state whenever ``e == want`` in a concrete one.

        Quantifiers over the abstracted size whose witness decides the outcome (``Exists`` wanted true,
        ``ForAll`` wanted false) take the next tracked index: the tracked indices are arbitrary, so some
        run tracks the concrete witness. Without the reduction this is the exact value."""
        b = bound if bound is not None else {}
        al = alloc if alloc is not None else [0]
        if isinstance(e, Not):
            return self.reach(e.arg, st, hv, not want, b, al)
        if isinstance(e, (And, Or)) and e.args:
            conj = isinstance(e, And) == want
            if conj:
                return z3.And([self.reach(a, st, hv, want, b, al) for a in e.args])
            return z3.Or(self._alternatives([(a, want) for a in e.args], st, hv, b, al))
        if isinstance(e, Implies):
            if not want:
                return z3.And(self.reach(e.lhs, st, hv, True, b, al), self.reach(e.rhs, st, hv, False, b, al))
            return z3.Or(self._alternatives([(e.lhs, False), (e.rhs, True)], st, hv, b, al))
        if isinstance(e, Quant) and self.sizes.is_abstract(e.var.size) and (e.kind == "exists") == want:
            if al[0] >= len(self.tracked):
                raise ModelError(f"{show(e)}: the reduction needs more tracked pages than it was given")
            p = self.tracked[al[0]]
            al[0] += 1
            inner = dict(b)
            inner[id(e.var)] = p
            return z3.And(p < self.sizes.term(e.var.size), self.reach(e.body, st, hv, want, inner, al))
        v = self.term(e, st, hv, b)
        return v if want else z3.Not(v)

    def _alternatives(self, parts: list[tuple[Expr, bool]], st: State, hv: Havoc, b: dict[int, z3.ExprRef],
                      al: list[int]) -> list[z3.BoolRef]:
        """Disjuncts, each allowed the same tracked indices: only one of them has to hold in a concrete state,
        so a run that tracks that one's witnesses exists whichever it is (the tracked indices are
        arbitrary). Sharing them keeps a disjunction of many quantified parts (the built-in lock check, one
        part per thread and lock) within the tracked pages."""
        start, most, out = al[0], al[0], []
        for a, w in parts:
            al[0] = start
            out.append(self.reach(a, st, hv, w, b, al))
            most = max(most, al[0])
        al[0] = most
        return out


def witnesses_needed(e: Expr, abstract: str, want: bool = True) -> int:
    """How many tracked indices :meth:`Encoder.reach` takes for ``e == want`` (quantifiers over ``abstract``):
    the sum over the parts that must all hold, the most any one alternative needs where one part suffices."""
    if isinstance(e, Not):
        return witnesses_needed(e.arg, abstract, not want)
    if isinstance(e, (And, Or)):
        counts = [witnesses_needed(a, abstract, want) for a in e.args]
        return sum(counts) if isinstance(e, And) == want else max(counts, default=0)
    if isinstance(e, Implies):
        lhs, rhs = witnesses_needed(e.lhs, abstract, not want), witnesses_needed(e.rhs, abstract, want)
        return max(lhs, rhs) if want else lhs + rhs
    if isinstance(e, Quant) and isinstance(e.var.size, Size) and e.var.size.name == abstract \
            and (e.kind == "exists") == want:
        return 1 + witnesses_needed(e.body, abstract, want)
    return 0
