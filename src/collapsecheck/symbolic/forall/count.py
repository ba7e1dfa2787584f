"""Count terms ``#{p : φ(p)}`` and candidate linear equalities over them, mined from whole sample states.

Some invariants are about how many pages are in a state, not about one page: a scanner counts holes into a
scalar, a second loop re-counts them, and "the two counts are equal" means every counted hole is still
owned. No clause over one page says that. A *cell predicate* ``φ`` is a conjunction of at most two value
atoms (``cell ∈ V``) of distinct page arrays at the same page; its count ``#φ`` is an integer of each state.
A :class:`CountEq` is ``[thread@step →] scale·#φ = const + Σ coef·s`` where each ``s`` is an integer scalar
of that thread (a loop index, a counter), a global integer, or the page count ``N``.

Mining (:func:`mine`) reads whole sample states (not the per-page rows): per program-counter value of a
thread that owns integer scalars, every predicate's count is fitted as a linear function of ``1``, ``N``
and those scalars by exact rational elimination, verified on every sampled state at that step. Predicates
with the same count on every sampled state are merged (the simplest kept). Samples only propose: Houdini
and the re-check decide, with the axioms of ``count_axioms.py``. JSON for certificates:
``{"count": [[cell, [values]], …], "scale": k, "const": c, "scalars": [[name, coef], …], "if": [[pc, v]]}``.
This module must not run solvers, print invariants or know any model.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import z3

from collapsecheck.expr.sorts import BoolSort, IntRange
from collapsecheck.model.core import Model
from collapsecheck.symbolic.forall.columns import PAGE, Columns

MAX_COEF = 4  # |coefficient| after scaling to integers: larger fits are coincidences of the small samples
MAX_CANDIDATES = 400  # per inference: beyond, the predicates with the fewest fits go first
MAX_STATES = 40_000  # distinct (step, scalars, cells) states read per sample size

Atom = tuple[int, tuple[int, ...]]  # (position in Columns.base of a page cell, values)


@dataclass(frozen=True)
class Pred:
    """``∧ cell_k[p] ∈ V_k`` over distinct page arrays (positions of ``Columns.base``); ``label`` names the
    count's Z3 function, ``bools`` says which cells are Boolean."""

    atoms: tuple[Atom, ...]
    label: str
    bools: tuple[bool, ...]

    @staticmethod
    def of(cols: Columns, atoms: tuple[Atom, ...]) -> "Pred":
        label = " & ".join(f"{cols.base[i][0]} in {list(vs)}" for i, vs in atoms)
        return Pred(atoms, label, tuple(isinstance(cols.base[i][1], BoolSort) for i, _ in atoms))

    def holds(self, cells: dict[int, int]) -> bool:
        return all(cells[i] in vs for i, vs in self.atoms)

    def at(self, values: dict[int, z3.ExprRef]) -> z3.BoolRef:
        """``φ`` of cell values (a Z3 term per position)."""
        out = []
        for (i, vs), is_bool in zip(self.atoms, self.bools):
            v = values[i]
            out.append(z3.Or([(v if x else z3.Not(v)) if is_bool else v == x for x in vs]))  # type: ignore[misc]
        return out[0] if len(out) == 1 else z3.And(out)


def arrays_of(pred: Pred, terms: list[z3.ExprRef]) -> list[z3.ArrayRef]:
    """The Z3 arrays a predicate reads, from the cell terms ``Select(array, page)`` of ``Columns.terms``."""
    out: list[z3.ArrayRef] = []
    for i, _ in pred.atoms:
        t = terms[i]
        assert z3.is_select(t), t
        out.append(t.arg(0))  # type: ignore[arg-type]
    return out


def count_term(pred: Pred, arrays: list[z3.ArrayRef]) -> z3.ArithRef:
    """``#φ`` of the state whose arrays are ``arrays``: an uninterpreted function of them, so a step that
    leaves them unchanged leaves the count unchanged by congruence alone; ``count_axioms`` constrains it."""
    f = z3.Function("#{" + pred.label + "}", *[a.sort() for a in arrays], z3.IntSort())
    return f(*arrays)  # type: ignore[no-any-return]


@dataclass(frozen=True)
class CountEq:
    """``guard → scale·#pred = const + Σ coef·scalar`` (scalars by ``Columns.base`` position; ``N`` too)."""

    pred: Pred
    scale: int
    const: int
    scalars: tuple[tuple[int, int], ...]
    guard: tuple[tuple[int, int], ...] = ()  # (position of a program counter, value)
    paged = False  # a statement about the whole state: assumed once per query, not per page

    def formula(self, terms: list[z3.ExprRef]) -> z3.BoolRef:
        cnt = count_term(self.pred, arrays_of(self.pred, terms))
        rhs = z3.Sum([z3.IntVal(self.const)] + [c * terms[i] for i, c in self.scalars])  # type: ignore[misc]
        eq = self.scale * cnt == rhs
        if not self.guard:
            return eq
        return z3.Implies(z3.And([terms[i] == v for i, v in self.guard]), eq)

    def holds(self, cells: list[dict[int, int]], scal: dict[int, int]) -> bool:
        """On one state given as its page cells and its scalars."""
        if not all(scal[i] == v for i, v in self.guard):
            return True
        k = sum(1 for c in cells if self.pred.holds(c))
        return self.scale * k == self.const + sum(c * scal[i] for i, c in self.scalars)

    def to_json(self, cols: Columns) -> dict[str, object]:
        out: dict[str, object] = {"count": [[cols.base[i][0], list(vs)] for i, vs in self.pred.atoms],
                                  "scale": self.scale, "const": self.const,
                                  "scalars": [[cols.base[i][0], c] for i, c in self.scalars]}
        if self.guard:
            out["if"] = [[cols.base[i][0], v] for i, v in self.guard]
        return out


def from_json(cols: Columns, data: dict[str, Any]) -> CountEq:
    """The count equality a certificate stores; ``KeyError`` names a position the model does not have,
    ``ValueError`` a malformed entry."""
    pos = {name: i for i, (name, _, _) in enumerate(cols.base)}
    atoms = []
    for name, vs in data["count"]:
        i = pos[name]
        if cols.base[i][2][0] != "cell" or not vs:  # type: ignore[index]
            raise ValueError(f"{name} is not a page cell")
        atoms.append((i, tuple(int(v) for v in vs)))
    if not atoms or len({i for i, _ in atoms}) != len(atoms):
        raise ValueError("a count needs one or more distinct page cells")
    scalars = []
    for name, c in data["scalars"]:
        i = pos[name]
        if cols.base[i][2][0] not in ("key", "virtual") or name == PAGE:  # type: ignore[index]
            raise ValueError(f"{name} is not a scalar")
        scalars.append((i, int(c)))
    guard = tuple((pos[n], int(v)) for n, v in data.get("if", []))
    if any(cols.base[i][2][0] != "key" for i, _ in guard):  # type: ignore[index]
        raise ValueError("a guard names a state scalar")
    if int(data["scale"]) == 0:
        raise ValueError("scale 0")
    return CountEq(Pred.of(cols, tuple(atoms)), int(data["scale"]), int(data["const"]), tuple(scalars), guard)


# ------------------------------------------------------------------------------------------- mining
def _layout(cols: Columns) -> tuple[list[int], list[int], dict[int, str | None], list[int]]:
    """Positions of page cells, integer scalars (not program counters), each scalar's owner thread, and
    program counters."""
    threads = {t.name for t in cols.system.model.threads}
    cells, ints, pcs = [], [], []
    owner: dict[int, str | None] = {}
    for i, (name, sort, how) in enumerate(cols.base):
        kind = how[0]  # type: ignore[index]
        if kind == "cell":
            cells.append(i)
        elif kind == "key" and how[1][0] == "pc":  # type: ignore[index]
            pcs.append(i)
            owner[i] = name[:-len(".pc")]
        elif kind == "key" and isinstance(sort, IntRange):
            ints.append(i)
            head = name.split(".")[0]
            owner[i] = head if head in threads and "." in name else None
    return cells, ints, owner, pcs


def samples(cols: Columns, model: Model, states: list[tuple], n: int, into: set[tuple]) -> None:
    """Add each state as ``(N, scalar values, sorted page cell tuples)`` (scalars in ``Columns.base``
    order of ``_layout``'s program counters then integers)."""
    cells, ints, _, pcs = _layout(cols)
    slots = {s.name: i for i, s in enumerate(model.layout.slots)}
    sc = [slots[cols.base[i][0]] for i in pcs + ints]
    per_page = [[slots[cols.base[i][2][1].qualname + f"[{p}]"] for i in cells] for p in range(n)]  # type: ignore[index]
    added = 0
    for s in states:
        key = (n, tuple(int(s[k]) for k in sc), tuple(sorted(tuple(int(s[k]) for k in pg) for pg in per_page)))
        if key not in into:
            into.add(key)
            added += 1
            if added >= MAX_STATES:
                return


def mine(cols: Columns, data: set[tuple], focus: set[int] | None = None) -> list[CountEq]:
    """Count equalities that hold on every sampled state (see the module doc); with ``focus`` (ids of array
    declarations), only counts of predicates over those arrays."""
    cells, ints, owner, pcs = _layout(cols)
    if not cells or not data:
        return []
    allowed = [focus is None or id(cols.base[i][2][1]) in focus for i in cells]  # type: ignore[index]
    recs = sorted(data)
    sidx = {p: k for k, p in enumerate(pcs + ints)}
    # atoms: cell = v, and cell ≠ v for cells with three or more values
    doms = [sorted({sig[j] for _, _, sigs in recs for sig in sigs}) for j in range(len(cells))]
    atoms: list[tuple[int, tuple[int, ...]]] = []
    for j, dom in enumerate(doms):
        if len(dom) < 2 or not allowed[j]:
            continue
        atoms += [(j, (v,)) for v in dom]
        if len(dom) >= 3:
            atoms += [(j, tuple(x for x in dom if x != v)) for v in dom]
    preds = [(a,) for a in atoms] + [(a, b) for a, b in itertools.combinations(atoms, 2) if a[0] != b[0]]
    # each distinct page signature: which predicates it satisfies
    sig_hits: dict[tuple, list[int]] = {}
    for _, _, sigs in recs:
        for sig in sigs:
            if sig not in sig_hits:
                sig_hits[sig] = [int(all(sig[j] in vs for j, vs in p)) for p in preds]
    counts: dict[tuple, tuple[int, ...]] = {}
    for _, _, sigs in recs:
        if sigs not in counts:
            counts[sigs] = tuple(map(sum, zip(*(sig_hits[s] for s in sigs))))
    # merge predicates with the same count on every state (the simplest, earliest kept); drop constants
    by_vec: dict[tuple, int] = {}
    for k in range(len(preds)):
        vec = tuple(counts[sigs][k] for _, _, sigs in recs)
        if len(set(vec)) > 1 and vec not in by_vec:
            by_vec[vec] = k
    live = sorted(by_vec.values())
    n_pos = next(i for i, (name, _, _) in enumerate(cols.base) if name == "N")
    found: dict[int, list[CountEq]] = {}
    scalar_fit: set[int] = set()
    guards = [(None, None)] + [(i, None) for i in pcs if any(owner[s] == owner[i] for s in ints)]
    for gi, _ in guards:
        feats = [s for s in ints if owner[s] is None or (gi is not None and owner[s] == owner[gi])]
        values = sorted({r[1][sidx[gi]] for r in recs}) if gi is not None else [None]
        for v in values:
            sub = [r for r in recs if gi is None or r[1][sidx[gi]] == v]
            rows = [(1, r[0], *(r[1][sidx[s]] for s in feats)) for r in sub]
            for k, coefs in _fits(rows, [counts[r[2]] for r in sub], live):
                sc = tuple((n_pos if c == 1 else feats[c - 2], x) for c, x in coefs[1] if c >= 1)
                if any(i != n_pos for i, _ in sc):
                    scalar_fit.add(k)
                guard = ((gi, v),) if gi is not None else ()
                pred = Pred.of(cols, tuple((cells[j], vs) for j, vs in preds[k]))
                found.setdefault(k, []).append(CountEq(pred, coefs[0], coefs[2], sc, guard))
    # a predicate is about counting when some step relates it to a scalar; its other fits (say "#φ = 0" at
    # the step where the two counters agree) are kept with it
    out: list[CountEq] = []
    for k in sorted(scalar_fit, key=lambda k: (len(preds[k]), -len(found[k]), k)):
        if len(out) + len(found[k]) > MAX_CANDIDATES:
            break
        out += found[k]
    return out


def _fits(rows: list[tuple[int, ...]], ys: list[tuple[int, ...]], live: list[int]
          ) -> list[tuple[int, tuple[int, tuple[tuple[int, int], ...], int]]]:
    """For each predicate ``k`` in ``live`` whose count is ``Σ a_c·feature_c`` on every row: ``(k, (scale,
    ((c, coef), …) for c ≥ 1, const))`` with integer coefficients. Features: column 0 the constant, then N,
    then scalars; dependent feature columns are left out (earlier ones kept)."""
    distinct = sorted(set(rows))
    basis: list[int] = []
    for c in range(len(rows[0])):
        if _rank([[r[b] for b in basis + [c]] for r in distinct]) == len(basis) + 1:
            basis.append(c)
    # r independent rows
    chosen: list[tuple[int, ...]] = []
    for r in distinct:
        if _rank([[x[b] for b in basis] for x in chosen + [r]]) == len(chosen) + 1:
            chosen.append(r)
        if len(chosen) == len(basis):
            break
    inv = _inverse([[Fraction(r[b]) for b in basis] for r in chosen])
    pairs = sorted(set(zip(rows, ys)))
    out = []
    for k in live:
        seen: dict[tuple, int] = {}
        if any(seen.setdefault(r, y[k]) != y[k] for r, y in pairs):
            continue  # the count is not a function of the features at this step
        yv = [seen[r] for r in chosen]
        a = [sum(inv[i][j] * yv[j] for j in range(len(yv))) for i in range(len(basis))]
        if any(sum(a[i] * r[b] for i, b in enumerate(basis)) != seen[r] for r in seen):
            continue
        scale = math.lcm(*(x.denominator for x in a))
        ints = [int(x * scale) for x in a]
        if scale > MAX_COEF or any(abs(x) > MAX_COEF * max(1, scale) for x in ints[1:]):
            continue
        terms = tuple((basis[i], x) for i, x in enumerate(ints) if x and basis[i] >= 1)
        const = ints[0] if basis and basis[0] == 0 else 0
        out.append((k, (scale, terms, const)))
    return out


def _rank(m: list[list[int]]) -> int:
    rows = [[Fraction(x) for x in r] for r in m]
    rank, ncols = 0, len(rows[0]) if rows else 0
    for c in range(ncols):
        piv = next((i for i in range(rank, len(rows)) if rows[i][c] != 0), None)
        if piv is None:
            continue
        rows[rank], rows[piv] = rows[piv], rows[rank]
        for i in range(len(rows)):
            if i != rank and rows[i][c] != 0:
                f = rows[i][c] / rows[rank][c]
                rows[i] = [x - f * y for x, y in zip(rows[i], rows[rank])]
        rank += 1
    return rank


def _inverse(m: list[list[Fraction]]) -> list[list[Fraction]]:
    n = len(m)
    a = [row[:] + [Fraction(int(i == j)) for j in range(n)] for i, row in enumerate(m)]
    for c in range(n):
        piv = next(i for i in range(c, n) if a[i][c] != 0)
        a[c], a[piv] = a[piv], a[c]
        p = a[c][c]
        a[c] = [x / p for x in a[c]]
        for i in range(n):
            if i != c and a[i][c] != 0:
                f = a[i][c]
                a[i] = [x - f * y for x, y in zip(a[i], a[c])]
    return [row[n:] for row in a]
