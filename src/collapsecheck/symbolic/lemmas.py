"""Candidate invariants mined from reachable sample states, kept only if Z3 proves them inductive.

The candidates are small clauses over the system's state keys ("x = a implies y is one of V",
"pc = k and index > p0 implies slot[p0] is one of V", "nr_none <= index", ...) that hold on every sample
state: reachable states of the model at small sizes, explored with the reference semantics
(``model.semantics``) and projected onto the system's keys (under the page-count reduction: for every
choice of tracked pages). Samples only *propose*; soundness comes from Houdini: Z3 removes every
candidate that some initial state falsifies or that is not preserved by a step from a state satisfying
all remaining candidates, until the rest is inductive. What survives is an inductive invariant of the
symbolic system, at every size the system covers, whatever the samples were.

:func:`support` then picks, by unsat cores, a small subset that is still inductive and implies the proved
targets: that is the invariant printed as the reason a property holds. This module proposes and filters
lemmas; it must not decide verdicts.
"""

from __future__ import annotations

import itertools
import time
from dataclasses import dataclass
from typing import Iterable

import z3

from collapsecheck import progress
from collapsecheck.expr.sorts import ArraySort, BoolSort, EnumSort, IntRange, OwnerSort, Size
from collapsecheck.model.core import Model
from collapsecheck.symbolic.encode import Havoc
from collapsecheck.symbolic.system import Frame, System, Target

MAX_SAMPLE_STATES = 40_000  # per explored size
MAX_VALUES = 12  # finite columns with more values than this get no value atoms


# ------------------------------------------------------------------------------------------ columns
@dataclass(frozen=True)
class Column:
    """One coordinate of a sample row: a parameter or state key (``index`` into the row), or a derived
    comparison of two coordinates (``pair``): ``sign(a - b)`` of two size-valued ones, or with ``eq``
    whether two of one enumerated sort are equal (``h_data[p] = file_data[p]``; boolean)."""

    name: str
    index: int = -1
    pair: tuple[int, int] | None = None
    finite: bool = True
    is_bool: bool = False
    eq: bool = False

    def value(self, row: tuple) -> int:
        if self.pair is None:
            return int(row[self.index])
        a, b = row[self.pair[0]], row[self.pair[1]]
        if self.eq:
            return int(a == b)
        return (a > b) - (a < b)

    def term(self, terms: list[z3.ExprRef]) -> z3.ExprRef:
        if self.pair is None:
            return terms[self.index]
        return terms[self.pair[0]] - terms[self.pair[1]]  # type: ignore[operator]

    def atom(self, terms: list[z3.ExprRef], v: int) -> z3.BoolRef:
        if self.eq:
            assert self.pair is not None
            same = terms[self.pair[0]] == terms[self.pair[1]]
            return same if v else z3.Not(same)  # type: ignore[return-value]
        t = self.term(terms)
        if self.pair is not None:
            return t > 0 if v > 0 else (t < 0 if v < 0 else t == 0)
        if self.is_bool:
            return t if v else z3.Not(t)  # type: ignore[return-value]
        return t == v

    def text(self, v: int) -> str:
        if self.eq:
            a, b = self.name.split(" == ")
            return f"{a} {'==' if v else '!='} {b}"
        if self.pair is not None:
            a, b = self.name.split(" ? ")
            return f"{a} {'>' if v > 0 else '<' if v < 0 else '=='} {b}"
        return f"{self.name}={v}"


class Columns:
    """The coordinates of a system's rows: its parameters and keys, plus size comparisons."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.base: list[tuple[str, object]] = []  # (name, sort) per row position
        red = system.reduction
        if red is not None and red.symbolic:
            self.base.append((red.size, None))
        for j in range(len(system.tracked)):
            self.base.append((f"p{j}", None))
        for k in system.keys:
            self.base.append((k.name, k.sort))
        self.cols: list[Column] = []
        sized: list[int] = []
        for i, (name, sort) in enumerate(self.base):
            if sort is None or (isinstance(sort, IntRange) and red is not None
                                and (self._sized(sort.lo) or self._sized(sort.hi))):
                sized.append(i)
                continue
            self.cols.append(Column(name, i, None, True, isinstance(sort, BoolSort)))
        self.n_size = len(self.base)  # a constant size gets a virtual row position at the end
        if red is not None and not red.symbolic:
            self.base.append((red.size, None))
            sized.append(self.n_size)
        for a, b in itertools.combinations(sized, 2):
            self.cols.append(Column(f"{self.base[a][0]} ? {self.base[b][0]}", -1, (a, b)))

    def _sized(self, b: object) -> bool:
        red = self.system.reduction
        return isinstance(b, Size) and red is not None and b.name == red.size

    def terms(self, f: Frame) -> list[z3.ExprRef]:
        out = list(self.system.params) + f.terms()
        red = self.system.reduction
        if red is not None and not red.symbolic:
            out.append(self.system.sizes.term(Size(red.size, 0)))
        return out


# ------------------------------------------------------------------------------------------ samples
def explore_states(model: Model, limit: int = MAX_SAMPLE_STATES) -> list[tuple]:
    """Reachable states of a small instance, breadth first, with the reference semantics."""
    from collapsecheck.symbolic.samples import explore  # samples imports bmc; keep lemmas import-light

    return explore(model, limit).states


def project(system: System, model: Model, states: Iterable[tuple], n: int | None) -> set[tuple]:
    """Rows of the system for concrete states of ``model`` (at size ``n`` under the reduction)."""
    slots = {s.name: i for i, s in enumerate(model.layout.slots)}
    red = system.reduction
    k = len(system.tracked)
    choices: list[tuple[int, ...]] = [()]
    if red is not None:
        assert n is not None
        choices = list(itertools.product(range(n + red.array_offset), repeat=k))
    rows: set[tuple] = set()
    for pick in choices:
        getters = []
        for key in system.keys:
            name = key.name
            if red is not None and key.decl is not None and system.is_tracked(key.decl):
                name = f"{key.decl.qualname}[{pick[key.elem]}]"
            getters.append(slots[name])
        head: tuple = ((n,) if red is not None and red.symbolic else ()) + pick
        tail = (n,) if red is not None and not red.symbolic else ()
        pins = system.pinned_values if red is not None else []
        for s in states:
            if any(s[slots[v]] != pick[j] for j, v in pins):
                continue
            rows.add(head + tuple(int(s[g]) for g in getters) + tail)
    return rows


# ------------------------------------------------------------------------------------------- mining
@dataclass
class Clause:
    """``And(premises) implies column in values``."""

    premises: tuple[tuple[Column, int], ...]
    col: Column
    values: tuple[int, ...]

    def formula(self, terms: list[z3.ExprRef]) -> z3.BoolRef:
        concl = z3.Or([self.col.atom(terms, v) for v in self.values])
        if not self.premises:
            return concl
        return z3.Implies(z3.And([c.atom(terms, v) for c, v in self.premises]), concl)


def mine(cols: Columns, rows: set[tuple], triples: bool = True, deadline: float | None = None) -> list[Clause]:
    """Every clause of the templates that holds on all rows and says something.

    Quadratic in the columns times the rows (minutes at 512 pages): raises ``TimeoutError`` once past
    ``deadline``, checked once per column pair."""
    def late() -> None:
        if deadline is not None and time.monotonic() > deadline:
            raise TimeoutError(f"mining candidate lemmas: time limit after {len(out):,} candidates")

    data = list(rows)
    columns = cols.cols
    vals = [[c.value(r) for r in data] for c in columns]
    domain = [sorted(set(v)) for v in vals]
    usable = [len(d) <= MAX_VALUES for d in domain]
    out: list[Clause] = []
    for i, c in enumerate(columns):
        if usable[i] and c.pair is not None and len(domain[i]) < 3:
            out.append(Clause((), c, tuple(domain[i])))
        elif usable[i] and c.pair is None and not c.is_bool and len(domain[i]) <= MAX_VALUES:
            out.append(Clause((), c, tuple(domain[i])))
        elif c.is_bool and len(domain[i]) == 1:
            out.append(Clause((), c, tuple(domain[i])))
    pcs = [i for i, c in enumerate(columns) if c.name.endswith(".pc")]
    sign = [i for i, c in enumerate(columns) if c.pair is not None and c.name.startswith("p")
            and c.name.split(" ? ")[0][1:].isdigit() and not c.name.split(" ? ")[1][1:].isdigit()]
    for i, j in itertools.permutations(range(len(columns)), 2):
        if not (usable[i] and usable[j]):
            continue
        late()
        seen: dict[int, set[int]] = {}
        for a, b in zip(vals[i], vals[j]):
            seen.setdefault(a, set()).add(b)
        for a, bs in seen.items():
            if len(bs) < len(domain[j]):
                out.append(Clause(((columns[i], a),), columns[j], tuple(sorted(bs))))
    if triples:
        for i in pcs:
            for k in sign:
                for j in range(len(columns)):
                    if j in (i, k) or not usable[j]:
                        continue
                    late()
                    seen2: dict[tuple[int, int], set[int]] = {}
                    for a, s, b in zip(vals[i], vals[k], vals[j]):
                        seen2.setdefault((a, s), set()).add(b)
                    for (a, s), bs in seen2.items():
                        if len(bs) < len(domain[j]):
                            out.append(Clause(((columns[i], a), (columns[k], s)), columns[j], tuple(sorted(bs))))
    return out


# ------------------------------------------------------------------------------------------ Houdini
@dataclass
class Lemmas:
    """Inductive lemmas of a system and the targets they rule out."""

    clauses: list[Clause]
    proved: list[Target]  # targets whose negation is part of the inductive invariant
    iterations: int
    seconds: float


class Step:
    """A solver holding one transition x -> y of the system (and, for initiation, the initial frame)."""

    def __init__(self, system: System, cols: Columns) -> None:
        self.system = system
        self.x, self.y = system.frame("x"), system.frame("y")
        self.tx, self.ty = cols.terms(self.x), cols.terms(self.y)
        hv = Havoc("t", system.sizes)
        sel = z3.Int("sel")
        self.solver = z3.Solver()
        self.solver.add(system.param_constraints(), system.domain(self.x), system.domain(self.y),
                        system.trans(self.x, self.y, sel, hv))
        hi = Havoc("i", system.sizes)
        self.init = z3.Solver()
        self.init.add(system.param_constraints(), system.domain(self.x), system.init(self.x, hi), *hi.side)


def houdini(system: System, cols: Columns, clauses: list[Clause], targets: list[Target], deadline: float
            ) -> Lemmas:
    """The largest subset of ``clauses`` and target negations that is inductive (Houdini's fixpoint)."""
    t0 = time.monotonic()
    st = Step(system, cols)
    items: list[tuple[z3.BoolRef, z3.BoolRef, object]] = []
    for n, c in enumerate(clauses):
        if n % 256 == 0 and time.monotonic() > deadline:
            raise TimeoutError(f"Houdini ran out of time encoding candidate {n:,} of {len(clauses):,}")
        items.append((c.formula(st.tx), c.formula(st.ty), c))
    for tg in targets:
        hx, hy = Havoc(f"x{tg.name}", system.sizes), Havoc(f"y{tg.name}", system.sizes)
        fx = z3.Not(system.target(tg, st.x, hx))
        fy = z3.And(hy.side + [z3.Not(system.target(tg, st.y, hy))]) if hy.side else \
            z3.Not(system.target(tg, st.y, hy))
        # In the pre-state a target's havoc values are fixed free constants: assuming "no violation for
        # these values" is weaker than "for all values", so it stays sound.
        items.append((fx, fy, tg))
    alive = list(range(len(items)))
    iterations = 0
    for solver, side in ((st.init, "x"), (st.solver, "y")):
        while alive:
            if time.monotonic() > deadline:
                raise TimeoutError("Houdini ran out of time")
            iterations += 1
            progress.figures(iteration=iterations, lemmas_alive=len(alive))
            solver.push()
            if side == "y":
                solver.add(z3.And([items[i][0] for i in alive]))
            solver.add(z3.Not(z3.And([items[i][0 if side == "x" else 1] for i in alive])))
            solver.set("timeout", max(1, int((deadline - time.monotonic()) * 1000)))
            r = solver.check()
            if r == z3.unknown:
                solver.pop()
                raise TimeoutError(f"Houdini: Z3 answered unknown ({solver.reason_unknown()})")
            if r == z3.unsat:
                solver.pop()
                break
            m = solver.model()
            k = 0 if side == "x" else 1
            dead = {i for i in alive if not z3.is_true(m.eval(items[i][k], model_completion=True))}
            solver.pop()
            if not dead:  # the model falsified the conjunction through a havoc side condition
                dead = {alive[-1]}
            alive = [i for i in alive if i not in dead]
    kept = [items[i][2] for i in alive]
    return Lemmas([c for c in kept if isinstance(c, Clause)], [t for t in kept if isinstance(t, Target)],
                  iterations, time.monotonic() - t0)


def support(system: System, cols: Columns, lemmas: Lemmas, deadline: float) -> list[Clause]:
    """A subset of the lemmas that, with the proved targets, is still inductive (by unsat cores)."""
    st = Step(system, cols)
    lits = [z3.Bool(f"lemma{i}") for i in range(len(lemmas.clauses))]
    for lit, c in zip(lits, lemmas.clauses):
        st.solver.add(z3.Implies(lit, c.formula(st.tx)))
    for tg in lemmas.proved:
        st.solver.add(z3.Not(system.target(tg, st.x, Havoc(f"x{tg.name}", system.sizes))))
    goals: list[z3.BoolRef] = []
    for tg in lemmas.proved:
        hy = Havoc(f"y{tg.name}", system.sizes)
        goals.append(z3.And([system.target(tg, st.y, hy)] + hy.side))
    needed: set[int] = set()
    queue = list(goals)
    done_lemmas: set[int] = set()
    while queue:
        if time.monotonic() > deadline:
            return lemmas.clauses
        g = queue.pop()
        st.solver.push()
        st.solver.add(g)
        r = st.solver.check(*lits)
        core = st.solver.unsat_core() if r == z3.unsat else lits
        st.solver.pop()
        for lit in core:
            i = lits.index(lit)
            if i not in needed:
                needed.add(i)
            if i not in done_lemmas:
                done_lemmas.add(i)
                queue.append(z3.Not(lemmas.clauses[i].formula(st.ty)))
    return [lemmas.clauses[i] for i in sorted(needed)]


def samples_for(system: System, models: list[tuple[Model, int | None]], cols: Columns) -> set[tuple]:
    rows: set[tuple] = set()
    for model, n in models:
        rows |= project(system, model, explore_states(model), n)
    return rows


_ = (ArraySort, EnumSort, OwnerSort)
