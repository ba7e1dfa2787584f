"""The sequence chart of a counterexample: lanes (threads), rows (steps in global order) and the ending.

This is the one description every figure is drawn from (Graphviz swimlanes in ``dot.py``, Mermaid in
``mermaid.py``, the commit-message columns in ``columns.py``), so they all agree on what a trace shows.
Everything is derived from the model and the trace; nothing here knows a particular kernel model. It must
not format text for a specific output or run engines.
"""

from __future__ import annotations

from dataclasses import dataclass

from collapsecheck.errors import SourceLoc
from collapsecheck.expr.evaluate import evaluate
from collapsecheck.expr.nodes import And, AtStep, Elem, Expr, Quant, VarRef
from collapsecheck.expr.printer import show, show_bound
from collapsecheck.expr.sorts import ArraySort, bound_value
from collapsecheck.model.core import Model, Property
from collapsecheck.model.semantics import StateView
from collapsecheck.report.events import Event, Folded, Kind, classify, fold_steps, held_locks, trace_events
from collapsecheck.result import CheckResult, Trace, Verdict

# A violated ``all(...)`` over 512 pages has up to 512 false instances: this many are listed, then a count.
MAX_FALSE_INSTANCES = 4
MAX_HOLDS = 6  # conjuncts that hold, listed with their values before a counted mark


@dataclass(frozen=True)
class Row:
    """One step: which lane acts, the kernel function (step) and outcome (case), what changed."""

    number: int  # 1-based position in the trace
    lane: str
    step: str
    case: str | None
    events: tuple[Event, ...]
    doc: str = ""
    loc: SourceLoc | None = None
    last: bool = False  # the step after which the property is violated (or the deadlock is reached)
    carried: tuple[tuple[int, Event], ...] = ()  # local changes of this lane's folded steps (step number)


@dataclass(frozen=True)
class Ending:
    """How the trace ends: the violated property and the values it reads, a deadlock, or a run-time model
    error (``detail``: its message with the failing case's or property's file:line)."""

    kind: str  # "violated" | "deadlock" | "cycle" | "error"
    title: str  # "violated: no_missing_page_becomes_present"
    detail: str  # the property's expression, the deadlock message, or the error message
    doc: str
    reads: tuple[tuple[str, str], ...]  # (variable, value in the final state)
    loc: SourceLoc | None = None
    clauses: tuple["Clause", ...] = ()  # the property's conjuncts with their values in the final state
    held: tuple[tuple[str, str], ...] = ()  # (lock, holder) of every lock held in the final state


@dataclass(frozen=True)
class Clause:
    """One conjunct of a violated property (or one instance of a top-level ``all``), whether it holds in
    the final state, and the value of everything it reads there."""

    holds: bool
    text: str
    values: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class Chart:
    title: str
    lanes: tuple[str, ...]  # every thread, in model declaration order
    idle: tuple[str, ...]  # the lanes that never move in this trace
    initial: tuple[tuple[str, str], ...]  # interesting initial values
    rows: tuple[Row, ...]
    ending: Ending | None
    cycle_start: int | None = None  # lassos: rows from this number on repeat forever
    switches: int = 0
    total: int = 0  # steps in the full trace (rows may leave folded ones out)
    folded: tuple[Folded, ...] = ()  # purely local steps left out of ``rows``
    held: tuple[tuple[str, str], ...] = ()  # (lock, holder) at the last state

    @property
    def fold_note(self) -> str:
        return fold_note(list(self.folded), self.total)


def fold_note(folded: list[Folded], total: int) -> str:
    """One line saying how many steps were folded, which, and where to see them (empty when none was)."""
    if not folded:
        return ""
    which = ", ".join(f"{f.thread}:{f.step} ({f.number})" for f in folded)
    return (f"{len(folded)} of {total} steps folded (purely local: no shared change, no input of the "
            f"property): {which}; --full-trace shows every step")


def _value_text(model: Model, state: tuple, name: str) -> str:
    """A variable's value in a state (arrays as a list), or a program counter as a step label."""
    for d in model.all_vars():
        if d.qualname == name:
            base = model.layout.slot_of(d)
            if d.width > 1 or d.sort is not d.elem_sort:
                return "[" + ", ".join(d.elem_sort.show(state[base + k]) for k in range(d.width)) + "]"
            return d.sort.show(state[base])
    for t in model.threads:
        if t.name == name:
            return t.label_of(state[model.layout.pc_slot[t.index]])
    return "?"


def read_vars(expr: Expr) -> list[str]:
    """Variables (and threads whose position it tests) a property reads, in first-use order."""
    out: list[str] = []

    def walk(e: Expr) -> None:
        if isinstance(e, VarRef):
            if e.name not in out:
                out.append(e.name)
        elif isinstance(e, AtStep):
            if e.thread not in out:
                out.append(e.thread)
        for c in e.children():
            if isinstance(c, Expr):
                walk(c)

    walk(expr)
    return out


def _initial(model: Model, trace: Trace) -> list[tuple[str, str]]:
    """Every variable's initial value, in declaration order (globals, then each thread's locals)."""
    if not trace.states:
        return [(n, v) for n, v in trace.initial.items() if not n.endswith(".pc")]
    return [(d.qualname, _value_text(model, trace.states[0], d.qualname)) for d in model.all_vars()]


def _reads_of(model: Model, e: Expr, state: tuple, bound: dict[int, int]) -> list[tuple[str, str]]:
    """(name, value) of everything ``e`` reads in ``state`` (array elements by index when the index is
    known under ``bound``; the whole array otherwise), in first-use order."""
    out: list[tuple[str, str]] = []
    view = StateView(model, state)

    def add(name: str, value: str) -> None:
        if (name, value) not in out:
            out.append((name, value))

    def walk(x: Expr) -> None:
        if isinstance(x, Elem):
            try:
                i = evaluate(x.index, view, bound)
            except KeyError:  # indexed by an inner quantifier's variable: show the whole array
                walk(x.array)
            else:
                decl = x.array.decl
                assert isinstance(decl.sort, ArraySort)
                if isinstance(i, int) and 0 <= i < decl.sort.size_v:
                    add(f"{decl.qualname}[{i}]", decl.sort.elem.show(state[model.layout.slot_of(decl, i)]))
                walk(x.index)
            return
        if isinstance(x, VarRef):
            add(x.name, _value_text(model, state, x.name))
        elif isinstance(x, AtStep):
            add(show(x), "true" if view.at_step(x.thread, x.labels) else "false")
        for c in x.children():
            if isinstance(c, Expr):
                walk(c)

    walk(e)
    return out


def clauses(model: Model, expr: Expr, state: tuple) -> list[Clause]:
    """The property's top-level conjuncts (``and`` flattened, a top-level ``all`` instantiated per index)
    with their truth and values in ``state``. Of an ``all`` only the false instances are listed (at most
    MAX_FALSE_INSTANCES, then a counted mark), then one clause saying the other instances hold."""
    view = StateView(model, state)
    out: list[Clause] = []
    todo = list(expr.args) if isinstance(expr, And) else [expr]
    for c in todo:
        if isinstance(c, Quant) and c.kind == "forall":
            n = bound_value(c.var.size)
            bad = [k for k in range(n) if not evaluate(c.body, view, {id(c.var): k})]
            name = "i"
            for k in bad[:MAX_FALSE_INSTANCES]:
                out.append(Clause(False, show_bound(c.body, {id(c.var): k}) + f"  ({name} = {k})",
                                  tuple(_reads_of(model, c.body, state, {id(c.var): k}))))
            if len(bad) > MAX_FALSE_INSTANCES:
                out.append(Clause(False, f"... and {len(bad) - MAX_FALSE_INSTANCES} more false instances of "
                                         f"{show(c)} (the values above list the whole state)", ()))
            if len(bad) < n:
                out.append(Clause(True, f"{show_bound(c.body, {id(c.var): name})} for the other {n - len(bad)} "
                                        f"value(s) of {name}", ()))
            continue
        holds = bool(evaluate(c, view))
        out.append(Clause(holds, show(c), tuple(_reads_of(model, c, state, {}))))
    # A conjunction written over every page may have hundreds of conjuncts: the false ones are all kept
    # (a false ``all`` is capped above), the ones that hold beyond MAX_HOLDS are counted, with a mark.
    held = [c for c in out if c.holds and not c.text.endswith("value(s) of i")]
    if len(held) > MAX_HOLDS:
        drop = set(map(id, held[MAX_HOLDS:]))
        out = [c for c in out if id(c) not in drop]
        out.append(Clause(True, f"... and {len(drop)} more conjuncts that hold (the expression above lists "
                                "them all)", ()))
    return out


def error_title(steps: int) -> str:
    """How a trace to a run-time model error ends: the message then says which step or property failed."""
    return f"error after step {steps}" if steps else "error in the initial state"


def _ending(model: Model, res: CheckResult, trace: Trace, prop_name: str | None) -> Ending | None:
    final = trace.states[-1] if trace.states else None
    if prop_name is not None:
        try:
            p: Property = model.property(prop_name)
        except KeyError:
            return None
        reads = tuple((v, _value_text(model, final, v)) for v in read_vars(p.expr)) if final else ()
        kind = "cycle" if p.kind == "progress" else "violated"
        cl = tuple(clauses(model, p.expr, final)) if final is not None and kind == "violated" else ()
        return Ending(kind, f"violated: {p.name}", show(p.expr), p.doc, reads, p.loc, cl,
                      tuple(held_locks(model, trace)))
    if res.verdict == Verdict.DEADLOCK:
        return Ending("deadlock", "deadlock", res.message or "no thread can move", "", (), None,
                      held=tuple(held_locks(model, trace)))
    if res.verdict == Verdict.ERROR and trace is res.trace:
        # The trace ends in the state where a step cannot be evaluated: the message names the step and
        # its file:line, so every figure says why the trace stops there.
        err = res.extra.get("model_error", {})
        loc = SourceLoc(err["file"], err["line"]) if err.get("file") and err.get("line") else None
        return Ending("error", error_title(len(trace.steps)),
                      res.message or "run-time model error", "", (), loc, held=tuple(held_locks(model, trace)))
    return None


def build_chart(model: Model, res: CheckResult, trace: Trace | None = None, prop_name: str | None = None,
                full: bool = False) -> Chart:
    """The chart of ``trace`` (default: the result's primary counterexample) for property ``prop_name``
    (default: the result's property when it was violated). Purely local steps are folded out of the
    rows (their local changes carried to the lane's next row) unless ``full``."""
    trace = trace if trace is not None else res.trace
    if trace is None:
        raise ValueError("this result has no counterexample to draw")
    if prop_name is None and res.verdict == Verdict.VIOLATED and trace is res.trace:
        prop_name = res.property
    events = trace_events(model, trace.steps)
    cyc = res.extra.get("cycle_start", {}).get(prop_name) if prop_name else None
    shown, folded = fold_steps(model, trace, prop_name, full or cyc is not None)  # a lasso is drawn whole
    acting = {s.thread for s in trace.steps}
    # Every thread gets a lane, idle ones too: an empty uffd_handler lane *is* the missing uffd event.
    lanes = tuple(t.name for t in model.threads)
    idle = tuple(t.name for t in model.threads if t.name not in acting)
    rows = []
    slots = {s.name: s for s in model.layout.slots}
    for sh in shown:
        k, st = sh.number, sh.step
        step = model.thread(st.thread).steps[model.actions[st.action].step] if st.action < len(model.actions) else None
        carried = tuple((n, classify(model, v, o, w, slots)) for n, v, o, w in sh.carried)
        moves = tuple(Event(Kind.VALUE, n, o, w) for n, o, w in sh.moves)
        rows.append(Row(k, st.thread, st.step, st.case, events[k - 1] + moves, step.doc if step else "",
                        step.loc if step else None, last=k == len(trace.steps), carried=carried))
    params = " ".join(f"{k}={v}" for k, v in model.params)
    title = model.name + (f" [{params}]" if params else "")
    switches = sum(1 for a, b in zip(trace.steps, trace.steps[1:]) if a.thread != b.thread)
    ending = _ending(model, res, trace, prop_name)
    return Chart(title, lanes, idle, tuple(_initial(model, trace)), tuple(rows), ending, cyc, switches,
                 len(trace.steps), tuple(folded), tuple(held_locks(model, trace)))
