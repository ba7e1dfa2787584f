"""Proof by closure: an inductive invariant that is a set of (abstract) states, completed and checked by Z3.

Start from sample states (the reachable states of the reference semantics for a fixed size; for the
page-count reduction, the abstract states reachable at small sizes from ``abstract.py``). Describe each
by its *cube*: every finite-valued key and, for the page-count-valued ones (a loop index, a counter, the
tracked pages, the size itself), only their order (``index < p0``, ``nr_none == pages``). The invariant
is "the state's cube is one of these", written as a shared decision diagram (``mdd.py``). Z3 then looks
for an initial state outside it, or a step from inside it to outside it, at *every* size the system
covers; each state it finds adds its cube, until there is none. The result is an inductive invariant,
checked again by ``invariant.recheck``; every target it excludes is proved.

Without a reduction the samples are the exact reachable set, so Z3 must find nothing: a step it does find
means the Z3 encoding and the reference semantics disagree, which is reported as an internal error. This
module must not decide verdicts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import z3

from collapsecheck import progress
from collapsecheck.errors import InternalError
from collapsecheck.expr.sorts import BoolSort, EnumSort, IntRange, OwnerSort
from collapsecheck.model.core import Model
from collapsecheck.symbolic import mdd
from collapsecheck.symbolic.encode import Havoc, from_z3
from collapsecheck.symbolic.invariant import Invariant, Printer
from collapsecheck.symbolic.lemmas import Column, Columns, Clause, mine
from collapsecheck.symbolic.system import Frame, System, Target

BATCH = 64  # states Z3 is asked for per round before the diagram is rebuilt
MAX_ROUNDS = 400
DIGEST_LIMIT = 5000  # above this many cubes the printed invariant gives only its size


@dataclass
class Closure:
    invariant: Invariant | None
    proved: list[Target] = field(default_factory=list)
    unproved: list[Target] = field(default_factory=list)
    rounds: int = 0
    added: int = 0  # cubes Z3 found beyond the samples
    reason: str = ""


class Cubes:
    """The cube columns of a system, ordered for small diagrams (program counters first)."""

    def __init__(self, system: System) -> None:
        self.system = system
        self.columns = Columns(system)
        self._memo: dict[int, tuple] = {}
        cols = self.columns.cols
        pcs = [c for c in cols if c.name.endswith(".pc")]
        signs = [c for c in cols if c.pair is not None]
        scalars = [c for c in cols if c.pair is None and "[" not in c.name and c not in pcs]
        elems = [c for c in cols if c.pair is None and "[" in c.name]
        self.cols: list[Column] = pcs + signs + scalars + elems
        sorts = dict(self.columns.base)
        self.sizes: list[int] = []
        for c in self.cols:
            if c.pair is not None:
                self.sizes.append(3)
                continue
            s = sorts[c.name]
            if c.name.endswith(".pc"):
                t = system.model.thread(c.name[:-3])
                self.sizes.append(len(t.steps) + 1)
            elif isinstance(s, BoolSort):
                self.sizes.append(2)
            elif isinstance(s, (IntRange, EnumSort, OwnerSort)):
                self.sizes.append(len(list(s.values())))
            else:
                self.sizes.append(0)

    def cube(self, row: tuple) -> tuple:
        return tuple(c.value(row) for c in self.cols)

    def formula(self, diagram: mdd.Diagram, f: Frame) -> z3.BoolRef:
        # Translating a large diagram costs seconds of Python; build it once per diagram over a template
        # frame and let Z3 substitute each frame's terms (the engines ask for it ~20 times per diagram).
        cached = self._memo.get(id(diagram))
        if cached is None or cached[0] is not diagram:
            tmpl = self.columns.terms(self.system.frame("mddtemplate"))
            form = diagram.to_z3(lambda col, v: self.cols[col].atom(tmpl, v), lambda col: self.sizes[col])
            cached = self._memo[id(diagram)] = (diagram, tmpl, form)
        _, tmpl, form = cached
        pairs = [(a, b) for a, b in zip(tmpl, self.columns.terms(f)) if not a.eq(b)]
        return z3.substitute(form, *pairs) if pairs else form

    def cube_formula(self, cube: tuple, f: Frame) -> z3.BoolRef:
        terms = self.columns.terms(f)
        return z3.And([c.atom(terms, v) for c, v in zip(self.cols, cube)])

    def row_of(self, zm: z3.ModelRef, f: Frame) -> tuple:
        vals = []
        for t in self.columns.terms(f):
            v = zm.eval(t, model_completion=True)
            vals.append(int(z3.is_true(v)) if z3.is_bool(v) else v.as_long())  # type: ignore[attr-defined]
        return tuple(vals)


def new_solver(system: System) -> z3.Solver:
    return z3.Solver() if system.reduction is not None else z3.SolverFor("QF_FD")


def close(system: System, rows: set[tuple], targets: list[Target], deadline: float, exact: bool) -> Closure:
    """Complete the sample cubes to an inductive set (or give up at the deadline), then check targets."""
    cb = Cubes(system)
    cubes = {cb.cube(r) for r in rows}
    x, y = system.frame("x"), system.frame("y")
    step = new_solver(system)
    ht = Havoc("t", system.sizes)
    step.add(system.param_constraints(), system.domain(x), system.domain(y),
             system.trans(x, y, z3.Int("sel"), ht))
    init = new_solver(system)
    hi = Havoc("i", system.sizes)
    init.add(system.param_constraints(), system.domain(x), system.init(x, hi), *hi.side)
    out = Closure(None)
    diagram = mdd.Diagram(sorted(cubes), len(cb.cols))
    for rnd in range(MAX_ROUNDS):
        out.rounds = rnd + 1
        progress.figures(round=out.rounds, abstract_states=len(cubes))
        new: set[tuple] = set()
        for solver, frame, pre in ((init, x, None), (step, y, x)):
            solver.push()
            if pre is not None:
                solver.add(cb.formula(diagram, pre))
            solver.add(z3.Not(cb.formula(diagram, frame)))
            while len(new) < BATCH:
                left = deadline - time.monotonic()
                if left <= 0:
                    solver.pop()
                    out.reason = f"time limit after {out.rounds} rounds ({len(cubes)} abstract states)"
                    return out
                solver.set("timeout", max(1, int(left * 1000)))
                r = solver.check()
                if r == z3.unknown:
                    solver.pop()
                    out.reason = f"Z3 answered unknown ({solver.reason_unknown()})"
                    return out
                if r == z3.unsat:
                    break
                cube = cb.cube(cb.row_of(solver.model(), frame))
                if exact:
                    raise InternalError(_disagreement(system, solver.model(), pre, frame, pre is None))
                new.add(cube)
                solver.add(z3.Not(cb.cube_formula(cube, frame)))
            solver.pop()
        if not new:
            break
        cubes |= new
        out.added += len(new)
        diagram = mdd.Diagram(sorted(cubes), len(cb.cols))
    else:
        out.reason = f"no fixpoint after {MAX_ROUNDS} rounds"
        return out
    for tg in targets:
        s = new_solver(system)
        he = Havoc(f"e{tg.name}", system.sizes)
        s.add(system.param_constraints(), system.domain(x), cb.formula(diagram, x), system.target(tg, x, he), *he.side)
        s.set("timeout", max(1, int((deadline - time.monotonic()) * 1000)))
        (out.proved if s.check() == z3.unsat else out.unproved).append(tg)
    final = diagram
    parts = digest(system, cb, cubes, out.proved)
    text = "; ".join(parts)
    # The final round above asked exactly the re-check's validity questions of this diagram (no initial
    # state outside it, no step leaving it, no state in it reaching a proved target): mark it so the
    # portfolio does not ask them twice.
    out.invariant = Invariant(lambda f: cb.formula(final, f), text, "closure", len(cubes),
                              {"abstract_states": len(cubes), "diagram_nodes": len(final),
                               "added_by_z3": out.added, "rounds": out.rounds, "rechecked": True}, parts)
    return out


def digest(system: System, cb: Cubes, cubes: set[tuple], proved: list[Target]) -> list[str]:
    """The invariant in words, one line each: its size, then the two-literal facts it implies about the
    proved properties' variables (every one of these holds on all of its states)."""
    red = system.reduction
    head = (f"the state is one of {len(cubes)} abstract states over "
            + ", ".join(c.name.replace(" ? ", " vs ") for c in cb.cols[:6]) + ", ...")
    if red is not None:
        head = f"for every {red.label}: " + head
    names: set[str] = set()
    from collapsecheck.expr.nodes import AtStep, VarRef, walk

    for tg in proved:
        if tg.prop is None:
            continue
        for node in walk(tg.prop.expr):
            if isinstance(node, VarRef):
                names.add(node.name)
            if isinstance(node, AtStep):
                names.add(f"{node.thread}.pc")
    printer = Printer(system)

    class _Cols:  # the cube positions as columns of their own, for mining the cubes
        cols = [Column(c.name, pos, None, c.pair is None, c.is_bool) for pos, c in enumerate(cb.cols)]

    if len(cubes) > DIGEST_LIMIT:  # mining is quadratic in the columns times the cubes: seconds each 1000s
        return [head, f"(implied facts not listed above {DIGEST_LIMIT} states)"]
    facts: list[str] = []
    for c in mine(_Cols(), cubes, triples=False):  # type: ignore[arg-type]
        base = c.col.name.split("[")[0]
        if c.premises and (base in names or c.col.name in names) and len(facts) < 40:
            facts.append(_clause_text(printer, c))
    return [head] + [f"it implies: {f}" for f in sorted(facts)]


def _clause_text(printer: Printer, c: Clause) -> str:
    def lit(col: Column, vals: tuple[int, ...]) -> str:
        if " ? " in col.name:
            a, b = col.name.split(" ? ")
            ops = sorted({">" if v > 0 else "<" if v < 0 else "==" for v in vals})
            op = {("<",): "<", ("==",): "==", (">",): ">", ("<", "=="): "<=", ("==", ">"): ">=",
                  ("<", ">"): "!="}.get(tuple(ops), " or ".join(ops))
            return f"{a} {op} {b}"
        return printer.membership(col.name, list(vals)) if printer.members(col.name) is not None else (
            col.name if vals == (1,) and col.is_bool else f"not {col.name}" if vals == (0,) and col.is_bool
            else f"{col.name} in {{{', '.join(map(str, vals))}}}")

    prem = " and ".join(lit(col, (v,)) for col, v in c.premises)
    return f"{prem} -> {lit(c.col, c.values)}" if prem else lit(c.col, c.values)


def _disagreement(system: System, zm: z3.ModelRef, pre: Frame | None, frame: Frame, initial: bool) -> str:
    model: Model = system.model
    from collapsecheck.symbolic.trace import state_of

    if initial:
        return (f"the Z3 encoding of {model.name} has an initial state the reference semantics does not: "
                f"{state_of(model, frame, zm)}")
    return (f"the Z3 encoding of {model.name} has a step the reference semantics does not: from "
            f"{state_of(model, pre, zm)} to {state_of(model, frame, zm)}")  # type: ignore[arg-type]


_ = from_z3
