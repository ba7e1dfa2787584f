"""Linear equalities mined from sample rows: ``k·y = c0 + Σ ci·[a1 ∧ … ∧ am]`` (Daikon-style).

Refcounts are sums over holders: ``ref[p] = [slot[p] = PAGE] + 2·[collected[p] ∧ collapse@…] + [fault@… ∧
found = SMALL ∧ p = addr]``. No clause over a few columns says that, but it is one affine relation between
an integer column ``y`` (a page cell such as ``ref[p0]``, or an integer scalar) and Boolean *features*:
conjunctions of value atoms of the other columns (program counters, enum and Boolean cells and scalars,
the order of ``p0`` against loop indices and addresses). This module finds such relations:

1. the columns ``y`` is a function of on the rows, shrunk greedily (a column is dropped when ``y`` stays a
   function of the rest), so the features stay few;
2. features of growing degree over those columns: single atoms, products of two atoms of different columns,
   products of three atoms of one thread's own columns (its program counter, locals and the order of its
   page-valued locals against ``p0``) or of one of them with two page cells; the first degree at which ``y`` lies in the span of ``1`` and the
   features wins (Occam), features identical on every row are merged (the simplest kept);
3. exact Gaussian elimination over GF(p) on the distinct rows, free features set to 0 (the earliest,
   simplest features carry the relation), the solution reconstructed as rationals and *verified* in exact
   arithmetic on every row before it is proposed.

An :class:`Equality` has the interface of ``columns.Clause``: a Z3 formula over ``Columns.terms``, ``paged``,
JSON for certificates (``{"lin": [y, k], "const": c0, "terms": [[ci, [[column, value], …]], …]}``) read back
by :func:`from_json`. Samples only propose: Houdini (``houdini.py``) and the re-check (``recheck.py``)
decide. This module must not run solvers, print invariants or know any model.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import z3

from collapsecheck.expr.sorts import IntRange
from collapsecheck.symbolic.forall.columns import MAX_VALUES, Columns
from collapsecheck.symbolic.lemmas import Column

PRIME = 2**61 - 1  # elimination field; solutions are verified exactly, so a wrong reconstruction is only lost
MAX_FEATURES = 1500  # per degree step: beyond, the step is skipped (elimination is quadratic in it)
MAX_KEEP = 10  # columns y may depend on (after shrinking); more: no equality is mined for y

Atom = tuple[Column, int]


@dataclass(frozen=True)
class Equality:
    """``scale·col = const + Σ coef·[∧ atoms]``; ``paged``: it mentions ``p0``."""

    col: Column
    scale: int
    const: int
    terms: tuple[tuple[int, tuple[Atom, ...]], ...]
    paged: bool
    guard: tuple[Atom, ...] = ()  # the equality holds where these atoms do (a program counter's value)

    def formula(self, terms: list[z3.ExprRef]) -> z3.BoolRef:
        eq = self._equation(terms)
        return z3.Implies(z3.And([c.atom(terms, v) for c, v in self.guard]), eq) if self.guard else eq

    def _equation(self, terms: list[z3.ExprRef]) -> z3.BoolRef:
        rhs: list[z3.ArithRef] = [z3.IntVal(self.const)]
        for c, atoms in self.terms:
            conj = [col.atom(terms, v) for col, v in atoms]
            cond = conj[0] if len(conj) == 1 else z3.And(conj)
            rhs.append(z3.If(cond, z3.IntVal(c), z3.IntVal(0)))
        return self.scale * self.col.term(terms) == z3.Sum(rhs)  # type: ignore[operator,return-value]

    def to_json(self) -> dict[str, object]:
        out: dict[str, object] = {"lin": [self.col.name, self.scale], "const": self.const,
                                  "terms": [[c, [[col.name, v] for col, v in atoms]] for c, atoms in self.terms]}
        if self.guard:
            out["if"] = [[c.name, v] for c, v in self.guard]
        return out

    def holds(self, row: tuple) -> bool:
        if not all(c.value(row) == v for c, v in self.guard):
            return True
        total = self.const + sum(c for c, atoms in self.terms if all(col.value(row) == v for col, v in atoms))
        return self.scale * self.col.value(row) == total


def from_json(cols: Columns, data: dict[str, Any]) -> Equality:
    """The equality a certificate stores; ``KeyError`` names a column the model does not have."""
    name, scale = data["lin"]
    col = cols.by_name[name]
    terms = tuple((int(c), tuple((cols.by_name[n], int(v)) for n, v in atoms)) for c, atoms in data["terms"])
    if int(scale) == 0 or any(not atoms for _, atoms in terms):
        raise ValueError(f"malformed linear equality {data}")
    guard = tuple((cols.by_name[n], int(v)) for n, v in data.get("if", []))
    paged = cols.paged(col) or any(cols.paged(c) for _, atoms in (*terms, (0, guard)) for c, _ in atoms)
    return Equality(col, int(scale), int(data["const"]), terms, paged, guard)


# ------------------------------------------------------------------------------------------- mining
def _targets(cols: Columns) -> list[Column]:
    """Integer columns with at least three values that are not program counters or size-valued."""
    out = []
    for c in cols.cols:
        if c.pair is not None or c.is_bool or c.name.endswith(".pc"):
            continue
        sort = cols.base[c.index][1]
        if isinstance(sort, IntRange):
            out.append(c)
    return out


def _removal_order(cols: Columns, cand: list[int]) -> list[int]:
    """Which columns to try dropping first: orders between scalars, then plain scalars, then orders of p0,
    then page cells, then program counters (the usual carriers of a refcount, kept longest)."""
    def rank(i: int) -> int:
        c = cols.cols[i]
        if c.pair is not None:
            return 2 if cols.paged(c) else 0
        if c.name.endswith(".pc"):
            return 4
        return 3 if cols.paged(c) else 1
    return sorted(cand, key=lambda i: (rank(i), i))


def _function_of(data: list[tuple], keep: list[int], y: int) -> bool:
    seen: dict[tuple, int] = {}
    for r in data:
        key = tuple(r[k] for k in keep)
        if seen.setdefault(key, r[y]) != r[y]:
            return False
    return True


def mine(cols: Columns, rows: set[tuple]) -> list[Equality]:
    """Equalities for every integer column with three or more values on the rows: unguarded, and guarded by
    each value of a program counter ``y`` depends on. Each holds on every row (checked exactly)."""
    out: list[Equality] = []
    if not _targets(cols) or not rows:
        return out
    data_rows = sorted(rows)
    allv = [[c.value(r) for r in data_rows] for c in cols.cols]
    doms = [sorted(set(v)) for v in allv]
    for y in _targets(cols):
        yi = cols.cols.index(y)
        if len(doms[yi]) < 3:
            continue
        cand = [i for i, c in enumerate(cols.cols)
                if i != yi and 2 <= len(doms[i]) <= MAX_VALUES]
        out += _mine_one(cols, y, yi, cand, allv)
    return out


def _mine_one(cols: Columns, y: Column, yi: int, cand: list[int], allv: list[list[int]]) -> list[Equality]:
    width = len(allv[yi])
    data = sorted({tuple(allv[i][k] for i in cand) + (allv[yi][k],) for k in range(width)})
    pos = {c: j for j, c in enumerate(cand)}
    ycol = len(cand)
    keep = list(range(len(cand)))
    if not _function_of(data, keep, ycol):
        return []
    for i in _removal_order(cols, cand):
        trial = [k for k in keep if k != pos[i]]
        if _function_of(data, trial, ycol):
            keep = trial
    if len(keep) > MAX_KEEP:
        return []
    proj = sorted({tuple(r[k] for k in keep) + (r[ycol],) for r in data})
    kcols = [cols.cols[cand[k]] for k in keep]
    owners = [cols.owner(c) for c in kcols]
    out = _fit(cols, y, kcols, owners, proj, ())
    # Guarded by one program-counter value: ``thread@step → y = …``. A relation that holds everywhere but is
    # inductive only with facts the clauses lack (say, after a whole-array write) fails as a whole; the
    # relation at each step survives or dies on its own.
    for j, c in enumerate(kcols):
        if not c.name.endswith(".pc"):
            continue
        for v in sorted({r[j] for r in proj}):
            sub = [r for r in proj if r[j] == v]
            for eq in _fit(cols, y, kcols, owners, sub, ((j, v),)):
                if eq not in out:
                    out.append(eq)
    return out


def _fit(cols: Columns, y: Column, kcols: list[Column], owners: list[str | None], proj: list[tuple],
         guard: tuple[tuple[int, int], ...]) -> list[Equality]:
    """The equalities of the lowest degree that fit ``proj`` (rows of ``kcols`` values, then ``y``)."""
    fixed = {j for j, _ in guard}
    atoms: list[tuple[int, int]] = []  # (position in kcols, value)
    for j, c in enumerate(kcols):
        if j in fixed:
            continue
        dom = sorted({r[j] for r in proj})
        if len(dom) < 2:
            continue
        atoms += [(j, v) for v in ([1] if c.is_bool else dom)]
    # page cells and orders first, then the threads' own columns: the earliest features carry the relation
    atoms.sort(key=lambda a: (owners[a[0]] is not None, a))
    gd = tuple((kcols[j], v) for j, v in guard)
    by_degree = [[(a,) for a in atoms],
                 [(a, b) for a, b in itertools.combinations(atoms, 2) if a[0] != b[0]],
                 [(a, b, c) for a, b, c in itertools.combinations(atoms, 3)
                  if len({a[0], b[0], c[0]}) == 3 and len({owners[a[0]], owners[b[0]], owners[c[0]]} - {None}) == 1
                  and (owners[a[0]] == owners[b[0]] == owners[c[0]]
                       or sum(owners[x[0]] is None for x in (a, b, c)) == 2)]]

    def holder(f: tuple[tuple[int, int], ...]) -> int:
        """0: page cells alone; 1: one thread's own columns; 2: one thread's with page cells; 3: several."""
        who = {owners[j] for j, _ in f}
        return 0 if who == {None} else 1 if len(who) == 1 else 2 if len(who - {None}) == 1 else 3

    out: list[Equality] = []

    def add(order: list[tuple[tuple[int, int], ...]]) -> bool:
        sol = _solve(proj, order)
        if sol is None:
            return False
        scale, const, coefs = sol
        terms = tuple((c, tuple((kcols[j], v) for j, v in order[f])) for f, c in coefs)
        paged = cols.paged(y) or any(cols.paged(c) for _, at in (*terms, (0, gd)) for c, _ in at)
        eq = Equality(y, scale, const, terms, paged, gd)
        if _verified(eq, proj, kcols) and eq not in out:
            out.append(eq)
        return True

    # Three readings of the same samples: the lowest degree that fits, simplest features first and
    # conjunctions first; and every degree with one holder's features first (page cells alone, then one
    # thread's own columns, then one thread's with the page cells, then across threads). Samples can fit a
    # relation through a reachable-only coincidence (a sum that is right only because some product is 0 on
    # every sample, or a lower degree that fits only at 2 and 3 pages); the readings pick different
    # solutions and Houdini keeps what is inductive.
    feats: list[tuple[tuple[int, int], ...]] = []
    for degree in range(3):
        feats = feats + by_degree[degree]
        if len(feats) > MAX_FEATURES:
            return out
        if add(feats):
            add(sorted(feats, key=lambda f: -len(f)))
            break
    else:
        return out
    every = [f for fs in by_degree for f in fs]
    if len(every) <= MAX_FEATURES:
        add(sorted(every, key=lambda f: (holder(f), len(f))))
    return out


def _verified(eq: Equality, proj: list[tuple], kcols: list[Column]) -> bool:
    at = {id(c): j for j, c in enumerate(kcols)}
    for r in proj:
        if not all(r[at[id(col)]] == v for col, v in eq.guard):
            continue
        total = eq.const + sum(c for c, atoms in eq.terms if all(r[at[id(col)]] == v for col, v in atoms))
        if eq.scale * r[-1] != total:
            return False
    return True


def _solve(proj: list[tuple], feats: list[tuple[tuple[int, int], ...]]
           ) -> tuple[int, int, list[tuple[int, int]]] | None:
    """``y = c0 + Σ x_f·f`` on every row, or None. Identical feature vectors keep their first feature."""
    vecs: dict[tuple, int] = {}
    uniq: list[int] = []
    for f, atoms in enumerate(feats):
        v = tuple(int(all(r[j] == val for j, val in atoms)) for r in proj)
        if any(v) and v not in vecs:
            vecs[v] = f
            uniq.append(f)
    cols_of = [[k for k, f in enumerate(uniq) if _on(proj[i], feats[f])] for i in range(len(proj))]
    k = len(uniq)
    yk = k + 1  # columns: 0 = constant, 1..k = features, k+1 = y
    basis: dict[int, dict[int, int]] = {}
    for i, r in enumerate(proj):
        row = {0: 1}
        for k2 in cols_of[i]:
            row[k2 + 1] = 1
        if r[-1] % PRIME:
            row[yk] = r[-1] % PRIME
        while row:
            p = min(row)
            if p not in basis:
                break
            b, c = basis[p], row[p]
            for col, val in b.items():
                nv = (row.get(col, 0) - c * val) % PRIME
                if nv:
                    row[col] = nv
                else:
                    row.pop(col, None)
        if not row:
            continue
        p = min(row)
        inv = pow(row[p], PRIME - 2, PRIME)
        basis[p] = {c: v * inv % PRIME for c, v in row.items()}
    if yk in basis:
        return None  # y is not in the span of the constant and the features
    # Each basis row reads x_p + Σ b_c·x_c + b_y·y = 0 over the data columns; with y's coefficient -1 in the
    # relation, x_p = b_y - Σ b_c·x_c, free features 0.
    sol: dict[int, int] = {}
    for p in sorted(basis, reverse=True):
        b = basis[p]
        sol[p] = (b.get(yk, 0) - sum(b[c] * sol.get(c, 0) for c in b if c != p and c < yk)) % PRIME
    fr = {c: _rational(v) for c, v in sol.items() if v}
    if any(v is None for v in fr.values()):
        return None
    scale = math.lcm(*(v.denominator for v in fr.values() if v is not None)) if fr else 1
    ints = {c: int(v * scale) for c, v in fr.items() if v is not None}
    const = ints.pop(0, 0)
    coefs = [(uniq[c - 1], v) for c, v in sorted(ints.items())]
    return scale, const, coefs


def _on(r: tuple, atoms: tuple[tuple[int, int], ...]) -> bool:
    return all(r[j] == v for j, v in atoms)


def _rational(v: int) -> Fraction | None:
    """The fraction a/b with small |a|, b that is ``v`` mod PRIME (rational reconstruction)."""
    bound = math.isqrt(PRIME // 2)
    r0, r1, s0, s1 = PRIME, v, 0, 1
    while r1 > bound:
        q = r0 // r1
        r0, r1, s0, s1 = r1, r0 - q * r1, s1, s0 - q * s1
    if s1 == 0 or abs(s1) > bound:
        return None
    return Fraction(r1, s1)
