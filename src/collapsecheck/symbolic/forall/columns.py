"""Per-page columns of a model, sample rows at small page counts, and candidate clauses mined from them.

A *row* is one reachable state seen from one page ``p0``: every scalar and program counter, every cell of
a fixed-size array, the cell of every page array at ``p0``, and the order (``<``, ``=``, ``>``) of ``p0``,
``0``, the page count ``N``, ``N - 1`` and every scalar whose range grows with ``N`` (loop indices,
counters, addresses) against each other. Values of size-dependent scalars never appear as constants: only
their order does, so a clause mined at 2 or 3 pages can hold at any page count. A *clause* is
``premises -> column in values``; read as ``forall p0``, it is a candidate invariant. Samples only propose:
the Houdini filter (``houdini.py``) and the re-check (``recheck.py``) decide. This module must not run
solvers.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Any

import z3

from collapsecheck.expr.sorts import ArraySort, BoolSort, IntRange, Size, Sort
from collapsecheck.model.core import Model
from collapsecheck.symbolic.forall.ground import ArraySystem, Frame
from collapsecheck.symbolic.lemmas import Column  # a row coordinate: a position, or the order of two

MAX_VALUES = 64  # a finite column with more observed values gets no value atoms (program counters fit)
PAGE = "p0"


@dataclass(frozen=True)
class Clause:
    """``And(col == v for premises) -> conclusion column in values``; ``paged``: it mentions ``p0``."""

    premises: tuple[tuple[Column, int], ...]
    col: Column
    values: tuple[int, ...]
    paged: bool

    def formula(self, terms: list[z3.ExprRef]) -> z3.BoolRef:
        concl = z3.Or([self.col.atom(terms, v) for v in self.values])
        if not self.premises:
            return concl
        return z3.Implies(z3.And([c.atom(terms, v) for c, v in self.premises]), concl)

    def to_json(self) -> dict[str, object]:
        return {"if": [[c.name, v] for c, v in self.premises], "then": [self.col.name, list(self.values)]}

    def positions(self) -> set[int]:
        """``Columns.base`` positions the clause mentions (both sides of an order column)."""
        out: set[int] = set()
        for col in [self.col, *(x for x, _ in self.premises)]:
            out |= set(col.pair) if col.pair is not None else {col.index}
        return out


class Columns:
    """The positions and columns of one encoded system (the same names for every page count)."""

    def __init__(self, system: ArraySystem) -> None:
        self.system = system
        self.base: list[tuple[str, Sort | None, object]] = []  # (name, sort, how to get it)
        for key, name, sort, _ in system.scalars:
            self.base.append((name, sort, ("key", key)))  # type: ignore[arg-type]
        for d in system.arrays:
            assert isinstance(d.sort, ArraySort)
            if system.paged(d):
                self.base.append((f"{d.qualname}[{PAGE}]", d.sort.elem, ("cell", d)))
            else:
                for k in range(system.sizes.concrete(d.sort.size)):
                    self.base.append((f"{d.qualname}[{k}]", d.sort.elem, ("fixed", d, k)))
        for name in (PAGE, "0", "N", "N-1"):
            self.base.append((name, None, ("virtual", name)))
        self.cols: list[Column] = []
        sized: list[int] = []
        for i, (name, sort, _) in enumerate(self.base):
            if sort is None or self._sized(sort):
                sized.append(i)
            else:
                self.cols.append(Column(name, i, None, True, isinstance(sort, BoolSort)))
        consts = {"0", "N", "N-1"}
        for a, b in itertools.combinations(sized, 2):
            if self.base[a][0] in consts and self.base[b][0] in consts:
                continue
            self.cols.append(Column(f"{self.base[a][0]} ? {self.base[b][0]}", -1, (a, b), True))
        # Equality of two cells of one page of the same enumerated sort (``h_data[p] = file_data[p]``: what
        # a copy established, whatever the value): one column instead of a clause per value, which would
        # need one more premise than the templates allow.
        cells = [i for i, (_, sort, how) in enumerate(self.base)
                 if how[0] == "cell" and sort is not None and not isinstance(sort, BoolSort)  # type: ignore[index]
                 and not self._sized(sort)]
        for a, b in itertools.combinations(cells, 2):
            if repr(self.base[a][1]) == repr(self.base[b][1]):
                self.cols.append(Column(f"{self.base[a][0]} == {self.base[b][0]}", -1, (a, b), True, True, True))
        self.by_name = {c.name: c for c in self.cols}
        self.page_pos = {i for i, (name, _, how) in enumerate(self.base) if name == PAGE or how[0] == "cell"}

    def _sized(self, sort: Sort) -> bool:
        return isinstance(sort, IntRange) and any(isinstance(b, Size) and b.name == self.system.page
                                                  for b in (sort.lo, sort.hi))

    def paged(self, col: Column) -> bool:
        return (col.pair is not None and bool(set(col.pair) & self.page_pos)) or col.index in self.page_pos

    def owner(self, col: Column) -> str | None:
        """The thread whose own state a column is (its pc, a local scalar, the order of a local against p0)."""
        threads = [t.name for t in self.system.model.threads]
        if col.pair is not None:
            names = [self.base[i][0] for i in col.pair]
            if PAGE not in names:
                return None
            name = names[1] if names[0] == PAGE else names[0]
        elif col.index in self.page_pos:
            return None
        else:
            name = col.name
        head = name.split(".")[0]
        return head if head in threads and "[" not in name else None

    def terms(self, f: Frame, t: z3.ArithRef) -> list[z3.ExprRef]:
        n = self.system.n
        out: list[z3.ExprRef] = []
        for _, _, how in self.base:
            kind = how[0]  # type: ignore[index]
            if kind == "key":
                out.append(f.vals[how[1]])  # type: ignore[index]
            elif kind == "cell":
                out.append(z3.Select(f.vals[("a", id(how[1]))], t))  # type: ignore[index]
            elif kind == "fixed":
                out.append(z3.Select(f.vals[("a", id(how[1]))], how[2]))  # type: ignore[index]
            else:
                out.append({PAGE: t, "0": z3.IntVal(0), "N": n, "N-1": n - 1}[how[1]])  # type: ignore[index]
        return out

    # ----------------------------------------------------------------------------------- samples
    def rows(self, model: Model, states: list[tuple], n: int) -> set[tuple]:
        """Rows of the states of ``model`` built at page count ``n``, one per state and page."""
        slots = {s.name: i for i, s in enumerate(model.layout.slots)}
        fixed: list[int | None] = []
        for name, _, how in self.base:
            fixed.append(slots[name] if how[0] in ("key", "fixed") else None)  # type: ignore[index]
        cells = [(i, how[1].qualname) for i, (_, _, how) in enumerate(self.base) if how[0] == "cell"]  # type: ignore[index]
        virt = {i: name for i, (name, _, how) in enumerate(self.base) if how[0] == "virtual"}  # type: ignore[index]
        out: set[tuple] = set()
        for p in range(n):
            cell_slot = {i: slots[f"{q}[{p}]"] for i, q in cells}
            vv = {PAGE: p, "0": 0, "N": n, "N-1": n - 1}
            getters = [(fixed[i] if fixed[i] is not None else cell_slot.get(i)) for i in range(len(self.base))]
            for s in states:
                out.add(tuple(int(s[g]) if g is not None else vv[virt[i]] for i, g in enumerate(getters)))
        return out

    # ------------------------------------------------------------------------------------ mining
    def mine(self, rows: set[tuple], scalar_orders: bool = False, ownership: bool = False) -> list[Clause]:
        """Every clause of the templates that holds on all rows and says something: ``col in V``,
        ``a = x -> col in V``, and ``pc = x and (order of p0 against 0, N, N-1) = s -> col in V``.

        ``scalar_orders``: instead, only ``pc = x and (order of p0 against a scalar) = s -> cell in V``
        (``collapse@xas_load ∧ collapse.index < p → ¬collected[p]``), the facts a count's update at a
        loop index needs.
        ``ownership`` (with ``scalar_orders``): also the same with one more of the thread's own locals or one
        cell of ``p0`` as a premise (``_owned``), and two cells of a page, or a program counter and a cell,
        against a third (``_cell_pairs``). The first pass proposes every template; the equality passes pick
        their survivors."""
        data = list(rows)
        cols = self.cols
        vals = [[c.value(r) for r in data] for c in cols]
        dom = [sorted(set(v)) for v in vals]
        usable = [len(d) <= MAX_VALUES for d in dom]
        full = [self._full_domain(c) for c in cols]
        out: list[Clause] = []

        def add(prem: tuple[tuple[Column, int], ...], j: int, values: list[int]) -> None:
            paged = any(self.paged(c) for c, _ in prem) or self.paged(cols[j])
            out.append(Clause(prem, cols[j], tuple(values), paged))

        def implied(prem: tuple[int, ...], j: int) -> None:
            """Every ``∧ premise columns = values → cols[j] in V`` true on the rows that leaves a value out."""
            seen: dict[tuple[int, ...], set[int]] = {}
            for t in set(zip(*(vals[i] for i in prem), vals[j])):
                seen.setdefault(t[:-1], set()).add(t[-1])
            for key, bs in sorted(seen.items()):
                if len(bs) < len(dom[j]):
                    add(tuple((cols[i], v) for i, v in zip(prem, key)), j, sorted(bs))

        for j, c in enumerate(cols):
            if usable[j] and (full[j] is None or len(dom[j]) < full[j]) and not scalar_orders:
                add((), j, dom[j])
        for i, j in itertools.permutations(range(len(cols)), 2):
            if not (usable[i] and usable[j]) or len(dom[j]) < 2 or scalar_orders:
                continue
            implied((i,), j)
        pcs = [i for i, c in enumerate(cols) if c.name.endswith(".pc")]
        signs = [i for i, c in enumerate(cols) if c.pair is not None and c.name.startswith(PAGE + " ?")]
        if scalar_orders:  # scalars come before p0 in ``base``: "collapse.index ? p0"
            signs = [i for i, c in enumerate(cols) if c.pair is not None and c.name.endswith(" ? " + PAGE)]
        about_page = set(self._page_cells(dom, usable)) | set(self._page_equalities(dom, usable))
        for i in pcs:
            for k in signs:
                for j in range(len(cols)):
                    if j in (i, k) or not usable[j] or len(dom[j]) < 2:
                        continue
                    if scalar_orders and j not in about_page:
                        continue
                    implied((i, k), j)  # what pc alone or order alone already says is dropped below
        if not (scalar_orders and ownership):
            return _drop_implied(out)
        orders = _drop_implied(out)
        # The ownership and cell-pair clauses, less those a clause with fewer premises implies: the orders,
        # and "pc = x → cell in V", "cell = v → cell in V" (computed here only to drop what they imply:
        # the first pass proposes them). Without this, "pc ∧ cell → cell" alone is over 2000 clauses on a
        # model with eight page arrays, most of them a program counter's fact restated per cell value.
        out = []
        cells = self._page_cells(dom, usable)
        for i, j in itertools.product([i for i in pcs if usable[i]] + cells, cells):
            if i != j:
                implied((i,), j)
        context = len(out)
        self._owned(dom, usable, pcs, signs, implied)
        self._cell_pairs(dom, usable, pcs, signs, implied)
        new = set(out[context:])
        return orders + [c for c in _drop_implied(orders + out) if c in new]

    def _page_cells(self, dom: list[list[int]], usable: list[bool]) -> list[int]:
        return [j for j, c in enumerate(self.cols) if c.pair is None and c.index in self.page_pos and usable[j]
                and len(dom[j]) >= 2]

    def _page_equalities(self, dom: list[list[int]], usable: list[bool]) -> list[int]:
        return [j for j, c in enumerate(self.cols) if c.eq and self.paged(c) and usable[j] and len(dom[j]) >= 2]

    def _cell_pairs(self, dom: list[list[int]], usable: list[bool], pcs: list[int], signs: list[int],
                    implied: Any) -> None:
        """``a[p0] = v ∧ b[p0] = w → c[p0] in V`` over one page's cells, and ``pc = x ∧ b[p0] = w → c[p0] in
        V``: what a page's history says about it (``known_missing[p] ∧ ¬user_resolved[p] → slot[p] ∈ {HOLE,
        RETRY}``), and what a step says about the pages it holds (``collapse@rollback ∧ collected[p] →
        page_lock[p] = collapse``: after the rollback ``collected`` stays set while the lock is free). The
        conclusion may also be an equality of two cells, or the order of ``p0`` against a thread's scalar
        (``page_lock[p] = collapse ∧ ¬collected[p] → p = collapse.index``: the one page a thread holds
        without having taken it is the one at its loop index)."""
        cells = self._page_cells(dom, usable)
        pairs = [*itertools.combinations(cells, 2), *itertools.product([i for i in pcs if usable[i]], cells)]
        ends = cells + self._page_equalities(dom, usable) + [k for k in signs if usable[k]]
        for a, b in pairs:
            for j in ends:
                if j not in (a, b):
                    implied((a, b), j)

    def _owned(self, dom: list[list[int]], usable: list[bool], pcs: list[int], signs: list[int],
               implied: Any) -> None:
        """``pc = x ∧ local = v ∧ (local page ? p0) = s → cell in V`` over one thread's own columns: what a
        thread at a step knows about the page its own pointer names, given one more of its locals
        (``page_fault@finish_fault ∧ found = SMALL ∧ addr = p → page_lock[p] = page_fault``: which lock it
        holds depends on what it found), or given another cell of that page (``khugepaged@isolate ∧
        khugepaged.index > p ∧ pte_orig[p] = PAGE → page_isolated[p]``: the loop's prefix, told apart by
        what the page was)."""
        cols = self.cols
        cells = self._page_cells(dom, usable)
        for i in pcs:
            who = self.owner(cols[i])
            mine = [k for k in signs if self.owner(cols[k]) == who]
            local = [x for x, c in enumerate(cols) if x != i and c.pair is None and usable[x] and len(dom[x]) >= 2
                     and self.owner(c) == who]
            for k, x, j in itertools.product(mine, local + cells, cells):
                if x != j:
                    implied((i, x, k), j)

    def _full_domain(self, c: Column) -> int | None:
        if c.pair is not None:
            return 2 if c.eq else 3
        return None


def _drop_implied(clauses: list[Clause]) -> list[Clause]:
    """Drop a clause when one with a subset of its premises and the same column says at least as much."""
    best: dict[tuple, set[int]] = {}
    for c in clauses:
        best[(c.premises, c.col.name)] = set(c.values)
    out = []
    for c in clauses:
        weaker = False
        for r in range(len(c.premises)):
            for sub in itertools.combinations(c.premises, r):
                vs = best.get((sub, c.col.name))
                if vs is not None and vs <= set(c.values) and sub != c.premises:
                    weaker = True
                    break
            if weaker:
                break
        if not weaker:
            out.append(c)
    return out
