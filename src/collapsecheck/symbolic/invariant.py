"""Inductive invariants: the independent re-check, and printing in the model's own names.

An :class:`Invariant` is a formula builder over one state frame. :func:`recheck` asks plain Z3 validity
questions of it, whoever produced it (Spacer, Houdini, the abstract-state closure): initial states satisfy
it, every step from a state satisfying it leads to one satisfying it, and no state satisfying it reaches
a target (a violation, a deadlock, an out-of-range update). Only then may an engine report "proved". The
printer turns Z3 terms back into model text: frame suffixes dropped, enum members, lock owners and step
labels instead of numbers. This module checks and prints; it must not search for invariants.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import z3

from collapsecheck.expr.sorts import BoolSort, EnumSort, IntRange, OwnerSort, Sort
from collapsecheck.symbolic.encode import Havoc
from collapsecheck.symbolic.system import Frame, System, Target


@dataclass
class Invariant:
    """``formula(frame)`` is the invariant in that frame; ``text`` is how it prints."""

    formula: Callable[[Frame], z3.BoolRef]
    text: str
    source: str  # which portfolio member found it
    size: int = 0  # number of clauses or cubes
    details: dict[str, object] = field(default_factory=dict)
    parts: list[str] = field(default_factory=list)  # the conjuncts as printed, one per line (else ``text``)

    def conjuncts(self) -> list[str]:
        """The invariant as a list of conjuncts, for printing one per line."""
        return list(self.parts) if self.parts else [p for p in self.text.split("; ") if p]


def recheck(system: System, inv: Invariant, targets: list[Target], deadline: float) -> list[str]:
    """Every way ``inv`` fails to be an inductive invariant that rules out ``targets`` (empty: it is one)."""
    problems: list[str] = []
    x, y = system.frame("rx"), system.frame("ry")

    def valid(name: str, *facts: z3.BoolRef) -> None:
        left = deadline - time.monotonic()
        s = z3.Solver()
        s.set("timeout", max(1, int(left * 1000)))
        s.add(system.param_constraints(), *facts)
        r = s.check()
        if r == z3.sat:
            problems.append(f"{name}: counterexample found")
        elif r == z3.unknown:
            problems.append(f"{name}: Z3 answered unknown ({s.reason_unknown()})")

    hi = Havoc("ri", system.sizes)
    valid("initial states satisfy it", system.domain(x), system.init(x, hi), *hi.side, z3.Not(inv.formula(x)))
    ht = Havoc("rt", system.sizes)
    valid("every step preserves it", system.domain(x), system.domain(y), inv.formula(x),
          system.trans(x, y, z3.Int("rsel"), ht), z3.Not(inv.formula(y)))
    for tg in targets:
        he = Havoc(f"re{tg.name}", system.sizes)
        valid(f"it rules out {tg.kind} {tg.name}", system.domain(x), inv.formula(x),
              system.target(tg, x, he), *he.side)
    return problems


# -------------------------------------------------------------------------------------------- printing
class Printer:
    """Z3 terms of a system's frames back to model text."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.sorts: dict[str, Sort] = {k.name: k.sort for k in system.keys}
        self.pcs = {f"{t.name}.pc": t for t in system.model.threads}

    def name(self, t: z3.ExprRef) -> str | None:
        if z3.is_const(t) and t.decl().kind() == z3.Z3_OP_UNINTERPRETED:
            return t.decl().name().split("@")[0]
        return None

    def value(self, var: str, v: int) -> str:
        if var in self.pcs:
            t = self.pcs[var]
            return t.label_of(v) if 0 <= v <= t.end else str(v)
        s = self.sorts.get(var)
        if isinstance(s, (EnumSort, OwnerSort)):
            return s.show(v)
        return str(v)

    def members(self, var: str) -> list[int] | None:
        if var in self.pcs:
            return list(range(self.pcs[var].end + 1))
        s = self.sorts.get(var)
        if isinstance(s, EnumSort):
            return list(range(len(s.members)))
        if isinstance(s, OwnerSort):
            return list(range(len(s.names) + 1))
        return None

    def show(self, e: z3.ExprRef) -> str:
        return self._show(e)

    def _show(self, e: z3.ExprRef) -> str:
        n = self.name(e)
        if n is not None:
            return n.replace(".pc", "@pc") if n in self.pcs else n
        if z3.is_true(e):
            return "true"
        if z3.is_false(e):
            return "false"
        if z3.is_int_value(e):
            return str(e.as_long())  # type: ignore[attr-defined]
        if z3.is_not(e):
            inner = e.arg(0)
            cmp = self._compare(inner, negate=True)
            return cmp if cmp is not None else f"not {self._paren(inner)}"
        cmp = self._compare(e)
        if cmp is not None:
            return cmp
        if z3.is_and(e):
            return " and ".join(self._paren(a) for a in e.children())
        if z3.is_or(e):
            return " or ".join(self._paren(a) for a in e.children())
        if z3.is_implies(e):
            return f"{self._paren(e.arg(0))} implies {self._paren(e.arg(1))}"
        if z3.is_app_of(e, z3.Z3_OP_ITE):
            return f"({self._show(e.arg(1))} if {self._show(e.arg(0))} else {self._show(e.arg(2))})"
        if z3.is_add(e):
            return " + ".join(self._paren(a) for a in e.children())
        if z3.is_sub(e):
            return " - ".join(self._paren(a) for a in e.children())
        if z3.is_mul(e):
            return " * ".join(self._paren(a) for a in e.children())
        return str(e)

    def _paren(self, e: z3.ExprRef) -> str:
        text = self._show(e)
        return text if (self.name(e) is not None or z3.is_int_value(e) or " " not in text) else f"({text})"

    def _compare(self, e: z3.ExprRef, negate: bool = False) -> str | None:
        """``x == 2`` with x an enum or program counter as ``x == RETRY`` / ``collapse@xas_load``."""
        ops = {z3.Z3_OP_EQ: "==", z3.Z3_OP_LE: "<=", z3.Z3_OP_GE: ">=", z3.Z3_OP_LT: "<", z3.Z3_OP_GT: ">"}
        if not z3.is_app(e) or e.decl().kind() not in ops or e.num_args() != 2:
            return None
        op = ops[e.decl().kind()]
        a, b = e.arg(0), e.arg(1)
        if z3.is_int_value(a) and self.name(b) is not None:
            a, b = b, a
            op = {"<=": ">=", ">=": "<=", "<": ">", ">": "<"}.get(op, op)
        var = self.name(a)
        if var is None or not z3.is_int_value(b):
            if negate and op == "==":
                return f"{self._paren(a)} != {self._paren(b)}"
            return None
        v = b.as_long()  # type: ignore[attr-defined]
        members = self.members(var)
        if members is None:
            if negate:
                op = {"==": "!=", "<=": ">", ">=": "<", "<": ">=", ">": "<="}[op]
            return f"{var} {op} {v}"
        test = {"==": lambda m: m == v, "<=": lambda m: m <= v, ">=": lambda m: m >= v,
                "<": lambda m: m < v, ">": lambda m: m > v}[op]
        chosen = [m for m in members if test(m) != negate]
        return self.membership(var, chosen)

    def membership(self, var: str, chosen: list[int]) -> str:
        """``var`` is one of ``chosen`` (enum members, pcs as ``thread@step``)."""
        if var in self.pcs:
            t = var[:-3]
            labels = [self.value(var, m) for m in chosen]
            if not labels:
                return "false"
            return f"{t}@{labels[0]}" if len(labels) == 1 else f"{t}@{{{', '.join(labels)}}}"
        shown = [self.value(var, m) for m in chosen]
        if not shown:
            return "false"
        if len(shown) == 1:
            return f"{var} == {shown[0]}"
        return f"{var} in {{{', '.join(shown)}}}"

    def clauses(self, inv: z3.BoolRef) -> list[str]:
        """The invariant as a sorted list of conjuncts, each printed on its own."""
        parts = inv.children() if z3.is_and(inv) else [inv]
        return sorted({self.show(p) for p in parts})


def is_bool_sort(s: Sort) -> bool:
    return isinstance(s, BoolSort)


_ = IntRange
