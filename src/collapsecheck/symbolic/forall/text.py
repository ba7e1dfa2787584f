"""An invariant of the prove engine in the model's own names, one conjunct per line.

``∀ p. collapse@xas_store:retry_fill ∧ p < collapse.index → slot[p] ∈ {PAGE, RETRY}``: enum members, lock
owners and step labels instead of numbers, ``p`` for the quantified page. This module prints; it must not
build formulas or decide anything.
"""

from __future__ import annotations

from collections.abc import Sequence
from types import SimpleNamespace

from collapsecheck.model.core import Property
from collapsecheck.symbolic.forall.columns import PAGE, Clause, Column, Columns
from collapsecheck.symbolic.forall.count import CountEq
from collapsecheck.symbolic.forall.linear import Equality
from collapsecheck.symbolic.invariant import Printer


class InvariantText:
    def __init__(self, cols: Columns) -> None:
        self.cols = cols
        keys = [SimpleNamespace(name=name, sort=sort) for name, sort, _ in cols.base if sort is not None]
        self.printer = Printer(SimpleNamespace(keys=keys, model=cols.system.model))  # type: ignore[arg-type]

    @staticmethod
    def _name(name: str) -> str:
        return name.replace(f"[{PAGE}]", "[p]").replace(PAGE, "p") if PAGE in name else name

    def atom(self, col: Column, values: tuple[int, ...] | list[int]) -> str:
        vs = sorted(set(values))
        if col.eq:
            a, b = (self._name(x) for x in col.name.split(" == "))
            return "true" if len(vs) == 2 else f"{a} {'=' if vs[0] else '≠'} {b}"
        if col.pair is not None:
            a, b = (self._name(x) for x in col.name.split(" ? "))
            op = {(-1,): "<", (0,): "=", (1,): ">", (-1, 0): "≤", (0, 1): "≥", (-1, 1): "≠"}.get(tuple(vs))
            return f"{a} {op} {b}" if op else "true"
        if col.is_bool:
            if len(vs) == 2:
                return "true"
            return self._name(col.name) if vs[0] else f"¬{self._name(col.name)}"
        members = self.printer.members(col.name)
        if members is not None and len(vs) > 2 and 2 * len(vs) > len(members):
            rest = [m for m in members if m not in vs]  # the shorter side: "not one of"
            text = self.printer.membership(col.name, rest)
            text = "¬" + text if col.name.endswith(".pc") else text.replace(" = ", " ≠ ").replace(" == ", " ≠ ") \
                .replace(" in {", " ∉ {")
            return self._name(text) if PAGE in text else text
        text = self.printer.membership(col.name, vs)
        text = text.replace(" == ", " = ").replace(" in {", " ∈ {")
        if col.name.endswith(".pc"):
            return text
        return self._name(text) if PAGE in text else text

    def equality(self, e: Equality, guard_values: list[int] | None = None) -> str:
        """``∀ p. ref[p] = [slot[p] = PAGE] + 2·[collected[p] ∧ collapse@{a, b}] − …``: terms that differ only
        in the value of one program counter print as one bracket with the set of its values."""
        groups: dict[tuple, list[int]] = {}
        order: list[tuple] = []
        for c, atoms in e.terms:
            k = next((i for i, (col, _) in enumerate(atoms) if col.name.endswith(".pc")), None)
            rest = tuple(a for i, a in enumerate(atoms) if i != k)
            key = (c, atoms[k][0] if k is not None else None, tuple((col.name, v) for col, v in rest), rest)
            if key not in groups:
                groups[key] = []
                order.append(key)
            if k is not None:
                groups[key].append(atoms[k][1])
        parts: list[str] = [str(e.const)] if e.const else []
        for key in order:
            c, pc, _, rest = key
            members = self.printer.members(pc.name) if pc is not None else None
            every = members is not None and set(members) <= set(groups[key])  # the step does not matter
            conj = ([self.atom(pc, groups[key])] if pc is not None and not every else []) + \
                [self.atom(col, (v,)) for col, v in rest]
            if not conj:  # a term at every step of that thread: a constant
                parts.append(_constant(parts, c))
                continue
            parts.append(_term(parts, c, f"[{' ∧ '.join(conj)}]"))
        lhs = self._name(e.col.name) if PAGE in e.col.name else e.col.name
        lhs = lhs if e.scale == 1 else f"{e.scale}·{lhs}"
        body = self._guarded(e.guard, guard_values, f"{lhs} = {' '.join(parts) if parts else '0'}")
        return f"∀ p. {body}" if e.paged else body

    def _column(self, i: int) -> Column:
        name, sort, _ = self.cols.base[i]
        return self.cols.by_name.get(name) or Column(name, i, None, True, False)

    def count(self, e: CountEq, guard_values: list[int] | None = None) -> str:
        """``collapse@{a, b} → #{p : slot[p] = RETRY ∧ ¬collected[p]} = nr_none − nr_none_check``."""
        phi = " ∧ ".join(self.atom(self._column(i), vs) for i, vs in e.pred.atoms)
        lhs = f"#{{p : {phi}}}" if e.scale == 1 else f"{e.scale}·#{{p : {phi}}}"
        parts: list[str] = []
        for i, c in e.scalars:
            parts.append(_term(parts, c, self.cols.base[i][0]))
        if e.const or not parts:
            parts.append(_constant(parts, e.const))
        guard = [(self._column(i), v) for i, v in e.guard]
        return self._guarded(guard, guard_values, f"{lhs} = {' '.join(parts)}")

    def _guarded(self, guard: Sequence[tuple[Column, int]], guard_values: list[int] | None, body: str) -> str:
        """``guard → body``; the first guard atom takes ``guard_values`` when given (grouped lines)."""
        if not guard:
            return body
        (gc, gv), rest = guard[0], guard[1:]
        prem = [self.atom(gc, guard_values or [gv])] + [self.atom(c, (v,)) for c, v in rest]
        return " ∧ ".join(prem) + " → " + body

    def _any(self, e: Equality | CountEq, guard_values: list[int] | None = None) -> str:
        return self.count(e, guard_values) if isinstance(e, CountEq) else self.equality(e, guard_values)

    def lines(self, clauses: list[Clause | Equality | CountEq], props: list[Property]) -> list[str]:
        """One line per conjunct; clauses that differ only in the value of one finite premise (a program
        counter, an enum) print as one line with the set of values: ``collapse@{a, b} → ...``; then clauses
        with the same premises print as one line with the conjunction of their conclusions
        (``uffd_event → fault_waiting ∧ uffd_register@END``), in the place of the first of them."""
        groups: dict[tuple, list[int]] = {}
        plain: list[str | tuple[bool, str, str]] = []  # a line, or (paged, premises, conclusion) of a clause
        # guarded (count) equalities that differ only in the guard value print as one line
        same_rhs: dict[tuple, tuple[Equality | CountEq, list[int]]] = {}
        for c in clauses:
            if isinstance(c, (Equality, CountEq)):
                lhs = (c.pred, c.scalars) if isinstance(c, CountEq) else (c.col.name, c.terms)
                key = (type(c), lhs, c.scale, c.const, c.guard[0][0] if c.guard else None, c.guard[1:])
                if c.guard and key in same_rhs:
                    same_rhs[key][1].append(c.guard[0][1])
                elif c.guard:
                    same_rhs[key] = (c, [c.guard[0][1]])
                else:
                    plain.append(self._any(c))
                continue
            k = next((i for i, (col, _) in enumerate(c.premises) if col.pair is None and not col.is_bool), None)
            if k is None:
                plain.append((c.paged, " ∧ ".join(self.atom(col, (v,)) for col, v in c.premises),
                              self.atom(c.col, c.values)))
                continue
            rest = tuple((col.name, v) for i, (col, v) in enumerate(c.premises) if i != k)
            key = (c.paged, c.premises[k][0], rest, c.col, c.values, tuple(c.premises[:k] + c.premises[k + 1:]))
            groups.setdefault(key, []).append(c.premises[k][1])
        entries = list(plain) + [self._any(e, vs) for e, vs in same_rhs.values()]
        for (paged, col, _, concl, values, others), vs in groups.items():
            prem = [self.atom(col, vs)] + [self.atom(o, (v,)) for o, v in others]
            entries.append((paged, " ∧ ".join(prem), self.atom(concl, values)))
        # the same premises (and quantifier): one line; facts without premises stay one per line
        merged: dict[tuple[bool, str], list[str]] = {}
        out_keys: list[str | tuple[bool, str]] = []
        for e in entries:
            if isinstance(e, str) or not e[1]:
                out_keys.append(e if isinstance(e, str) else _implication(*e))
                continue
            key = (e[0], e[1])
            if key not in merged:
                merged[key] = []
                out_keys.append(key)
            if e[2] not in merged[key]:
                merged[key].append(e[2])
        out = [k if isinstance(k, str) else _implication(k[0], k[1], " ∧ ".join(merged[k])) for k in out_keys]
        out += [f"property {p.name}" for p in props]
        return out


def _implication(paged: bool, premises: str, conclusion: str) -> str:
    """``∀ p. premises → conclusion`` (no arrow without premises, no quantifier unless it mentions ``p``)."""
    body = f"{premises} → {conclusion}" if premises else conclusion
    return f"∀ p. {body}" if paged else body


def _term(parts: list[str], c: int, text: str) -> str:
    """``c·text`` as the next term of a sum: ``+ 2·x``, ``− x``, or ``−x``/``x`` first."""
    mag = "" if abs(c) == 1 else f"{abs(c)}·"
    sign = ("− " if c < 0 else "+ ") if parts else ("−" if c < 0 else "")
    return f"{sign}{mag}{text}"


def _constant(parts: list[str], c: int) -> str:
    """The number ``c`` as the next term of a sum (as itself when first)."""
    return f"{'− ' if c < 0 else '+ '}{abs(c)}" if parts else str(c)
