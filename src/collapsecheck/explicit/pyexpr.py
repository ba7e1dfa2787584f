"""Model expressions as Python source over a packed state (the expression half of ``codegen.py``).

A slot is read as a bit field of the int ``s`` (``packing.py``): either into a local ``v<slot>`` extracted
once at the top of the generated function, or inline (``inline=True``) so that a short-circuiting test
only reads what it gets to. An array element with a run-time index is read at ``offset + width * index``.
Quantifiers and counts are unrolled over the fixed page count. Index and range failures are reported
through numbered sites (``checks``) that the compiled module turns into ``ModelError``. This module writes
source text only; it must not compile or run it.
"""

from __future__ import annotations

from collapsecheck.errors import ModelError
from collapsecheck.explicit.packing import Packing
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
from collapsecheck.expr.sorts import ArraySort, IntRange, bound_value
from collapsecheck.model.core import Model


class PyExpr:
    """Translates expressions of one model to Python source over its packing."""

    def __init__(self, model: Model, packing: Packing) -> None:
        self.m = model
        self.lay = model.layout
        self.pk = packing
        self.checks: list[str] = []  # messages for run-time range/index failures, by site number
        self.check_locs: list[object] = []  # the model file:line of each site (the case or property)
        self.site_loc: object = None  # set by the generator to the case or property being written
        self.inline = False  # read slots straight from ``s`` instead of from extracted locals

    def const_value(self, e: Expr, sub: dict[int, int]) -> int | None:
        if isinstance(e, Const):
            return int(e.value)
        if isinstance(e, SizeRef):
            return e.size.value
        if isinstance(e, BoundVar):
            return sub.get(id(e))
        if isinstance(e, Arith):
            a, b = self.const_value(e.lhs, sub), self.const_value(e.rhs, sub)
            if a is None or b is None:
                return None
            return a + b if e.op == "+" else a - b
        return None

    def fail_site(self, msg: str) -> int:
        self.checks.append(msg)
        self.check_locs.append(self.site_loc)
        return len(self.checks) - 1

    def slot(self, decl: object, elem: int = 0) -> int:
        return self.lay.slot_of(decl, elem)  # type: ignore[arg-type]

    def extract(self, k: int, var: str = "s") -> str:
        """Source reading slot ``k`` of packed state ``var``."""
        o, w, lo = self.pk.offset[k], self.pk.width[k], self.pk.lo[k]
        src = f"(({var} >> {o}) & {(1 << w) - 1})" if o else f"({var} & {(1 << w) - 1})"
        return f"({src} + {lo})" if lo else src

    def var(self, k: int) -> str:
        return self.extract(k) if self.inline else f"v{k}"

    def extract_lines(self, slots: set[int], ind: str) -> list[str]:
        return [f"{ind}v{k} = {self.extract(k)}" for k in sorted(slots)]

    def dyn_elem(self, d: object, idx: str) -> tuple[str, str]:
        """(value source, bit offset source) of ``d[idx]`` with a run-time index."""
        base = self.slot(d)
        o, w, lo = self.pk.offset[base], self.pk.width[base], self.pk.lo[base]
        off = f"({o} + {w} * {idx})" if w != 1 else f"({o} + {idx})"
        val = f"((s >> {off}) & {(1 << w) - 1})"
        return (f"({val} + {lo})" if lo else val), off

    # ------------------------------------------------------------------------------- expressions
    def ex(self, e: Expr, sub: dict[int, int], where: str) -> str:
        x = lambda n: self.ex(n, sub, where)  # noqa: E731
        if isinstance(e, Const):
            return repr(int(e.value))
        if isinstance(e, VarRef):
            d = e.decl
            if isinstance(d.sort, ArraySort):
                return "(" + "".join(f"{self.var(self.slot(d, k))}, " for k in range(d.sort.size_v)) + ")"
            return self.var(self.slot(d))
        if isinstance(e, SizeRef):
            return str(e.size.value)
        if isinstance(e, BoundVar):
            return str(sub[id(e)])
        if isinstance(e, AtStep):
            t = self.m.thread(e.thread)
            pcs = sorted({t.step_index(lab) for lab in e.labels})
            pv = self.var(self.lay.pc_slot[t.index])
            return f"({pv} == {pcs[0]})" if len(pcs) == 1 else f"({pv} in {tuple(pcs)!r})"
        if isinstance(e, Not):
            return f"(not {x(e.arg)})"
        if isinstance(e, And):
            return "(" + " and ".join(x(a) for a in e.args) + ")" if e.args else "True"
        if isinstance(e, Or):
            return "(" + " or ".join(x(a) for a in e.args) + ")" if e.args else "False"
        if isinstance(e, Implies):
            return f"((not {x(e.lhs)}) or {x(e.rhs)})"
        if isinstance(e, Ite):
            return f"({x(e.then)} if {x(e.cond)} else {x(e.other)})"
        if isinstance(e, (Cmp, Arith)):
            return f"({x(e.lhs)} {e.op} {x(e.rhs)})"
        if isinstance(e, Elem):
            d = e.array.decl
            assert isinstance(d.sort, ArraySort)
            n = d.sort.size_v
            k = self.const_value(e.index, sub)
            if k is not None:
                if not 0 <= k < n:
                    raise ModelError(f"{show(e)}: index {k} is outside {d.qualname}[0..{n - 1}]", self.site_loc,  # type: ignore[arg-type]
                                     where)
                return self.var(self.slot(d, k))
            idx = x(e.index)
            assert isinstance(e.index.sort, IntRange)
            if not (e.index.sort.lo_v >= 0 and e.index.sort.hi_v < n):
                site = self.fail_site(f"{where}: index of {show(e)} is outside {d.qualname}[0..{n - 1}]")
                idx = f"_ix({idx}, {n}, {site}, s)"
            return self.dyn_elem(d, idx)[0]
        if isinstance(e, (Quant, Count)):
            parts = []
            for k in range(bound_value(e.var.size)):
                parts.append(self.ex(e.body, {**sub, id(e.var): k}, where))
            if isinstance(e, Count):
                return "(" + " + ".join(f"(1 if {p} else 0)" for p in parts) + ")"
            return "(" + (" and " if e.kind == "forall" else " or ").join(parts) + ")"
        if isinstance(e, ArrayOf):
            raise ModelError(f"{show(e)}: ArrayOf can only be assigned to an array variable", self.site_loc,  # type: ignore[arg-type]
                             where)
        raise TypeError(f"unknown expression node {type(e).__name__}")



__all__ = ["PyExpr"]
