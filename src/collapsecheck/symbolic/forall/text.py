"""An invariant of the prove engine in the model's own names, one conjunct per line.

``∀ p. collapse@xas_store:retry_fill ∧ p < collapse.index → slot[p] ∈ {PAGE, RETRY}``: enum members, lock
owners and step labels instead of numbers, ``p`` for the quantified page. This module prints; it must not
build formulas or decide anything.
"""

from __future__ import annotations

from types import SimpleNamespace

from collapsecheck.model.core import Property
from collapsecheck.symbolic.forall.columns import PAGE, Clause, Column, Columns
from collapsecheck.symbolic.invariant import Printer


class InvariantText:
    def __init__(self, cols: Columns) -> None:
        keys = [SimpleNamespace(name=name, sort=sort) for name, sort, _ in cols.base if sort is not None]
        self.printer = Printer(SimpleNamespace(keys=keys, model=cols.system.model))  # type: ignore[arg-type]

    @staticmethod
    def _name(name: str) -> str:
        return name.replace(f"[{PAGE}]", "[p]").replace(PAGE, "p") if PAGE in name else name

    def atom(self, col: Column, values: tuple[int, ...] | list[int]) -> str:
        vs = sorted(set(values))
        if col.pair is not None:
            a, b = (self._name(x) for x in col.name.split(" ? "))
            op = {(-1,): "<", (0,): "=", (1,): ">", (-1, 0): "≤", (0, 1): "≥", (-1, 1): "≠"}.get(tuple(vs))
            return f"{a} {op} {b}" if op else "true"
        if col.is_bool:
            if len(vs) == 2:
                return "true"
            return self._name(col.name) if vs[0] else f"¬{self._name(col.name)}"
        text = self.printer.membership(col.name, vs)
        text = text.replace(" == ", " = ").replace(" in {", " ∈ {")
        if col.name.endswith(".pc"):
            return text
        return self._name(text) if PAGE in text else text

    def clause(self, c: Clause) -> str:
        concl = self.atom(c.col, c.values)
        body = concl if not c.premises else \
            " ∧ ".join(self.atom(col, (v,)) for col, v in c.premises) + " → " + concl
        return f"∀ p. {body}" if c.paged else body

    def lines(self, clauses: list[Clause], props: list[Property]) -> list[str]:
        out = [self.clause(c) for c in clauses]
        out += [f"property {p.name}" for p in props]
        return out
