"""The sequence chart of a counterexample: lanes (threads), rows (steps in global order) and the ending.

This is the one description every figure is drawn from (Graphviz swimlanes in ``dot.py``, Mermaid in
``mermaid.py``, the commit-message columns in ``columns.py``), so they all agree on what a trace shows.
Everything is derived from the model and the trace; nothing here knows a particular kernel model. It must
not format text for a specific output or run engines.
"""

from __future__ import annotations

from dataclasses import dataclass

from collapsecheck.errors import SourceLoc
from collapsecheck.expr.nodes import AtStep, Expr, VarRef
from collapsecheck.expr.printer import show
from collapsecheck.expr.sorts import EnumSort
from collapsecheck.model.core import Model, Property
from collapsecheck.report.events import Event, Kind, trace_events
from collapsecheck.result import CheckResult, Trace, Verdict


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


@dataclass(frozen=True)
class Ending:
    """How the trace ends: the violated property and the values it reads, or a deadlock."""

    kind: str  # "violated" | "deadlock" | "cycle"
    title: str  # "violated: no_missing_page_becomes_present"
    detail: str  # the property's expression, or the deadlock message
    doc: str
    reads: tuple[tuple[str, str], ...]  # (variable, value in the final state)
    loc: SourceLoc | None = None


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


def _interesting_initial(model: Model, trace: Trace, events: list[tuple[Event, ...]]) -> list[tuple[str, str]]:
    """Initial values worth stating: nondeterministic choices (which page is a hole, which index faults)
    and shared, non-ghost variables the trace changes (so a reader knows where each value came from)."""
    if not trace.states:
        return []
    changed = {e.var.split("[")[0] for ev in events for e in ev if e.kind not in (Kind.LOCAL, Kind.GHOST)}
    out = []
    for d in model.all_vars():
        nondet = any(len(choices) > 1 for choices in d.init)
        slots = d.sort is not d.elem_sort and isinstance(d.elem_sort, EnumSort)  # a page-cache-like array
        if nondet or (d.thread is None and not d.ghost and d.qualname in changed and slots):
            out.append((d.qualname, _value_text(model, trace.states[0], d.qualname)))
    return out


def _ending(model: Model, res: CheckResult, trace: Trace, prop_name: str | None) -> Ending | None:
    final = trace.states[-1] if trace.states else None
    if prop_name is not None:
        try:
            p: Property = model.property(prop_name)
        except KeyError:
            return None
        reads = tuple((v, _value_text(model, final, v)) for v in read_vars(p.expr)) if final else ()
        kind = "cycle" if p.kind == "progress" else "violated"
        return Ending(kind, f"violated: {p.name}", show(p.expr), p.doc, reads, p.loc)
    if res.verdict == Verdict.DEADLOCK:
        return Ending("deadlock", "deadlock", res.message or "no thread can move", "", (), None)
    return None


def build_chart(model: Model, res: CheckResult, trace: Trace | None = None, prop_name: str | None = None) -> Chart:
    """The chart of ``trace`` (default: the result's primary counterexample) for property ``prop_name``
    (default: the result's property when it was violated)."""
    trace = trace if trace is not None else res.trace
    if trace is None:
        raise ValueError("this result has no counterexample to draw")
    if prop_name is None and res.verdict == Verdict.VIOLATED and trace is res.trace:
        prop_name = res.property
    events = trace_events(model, trace.steps)
    acting = {s.thread for s in trace.steps}
    # Every thread gets a lane, idle ones too: an empty uffd_handler lane *is* the missing uffd event.
    lanes = tuple(t.name for t in model.threads)
    idle = tuple(t.name for t in model.threads if t.name not in acting)
    rows = []
    for k, (st, ev) in enumerate(zip(trace.steps, events), 1):
        step = model.thread(st.thread).steps[model.actions[st.action].step] if st.action < len(model.actions) else None
        rows.append(Row(k, st.thread, st.step, st.case, ev, step.doc if step else "", step.loc if step else None,
                        last=k == len(trace.steps)))
    cyc = res.extra.get("cycle_start", {}).get(prop_name) if prop_name else None
    params = " ".join(f"{k}={v}" for k, v in model.params)
    title = model.name + (f" [{params}]" if params else "")
    switches = sum(1 for a, b in zip(trace.steps, trace.steps[1:]) if a.thread != b.thread)
    return Chart(title, lanes, idle, tuple(_interesting_initial(model, trace, events)), tuple(rows),
                 _ending(model, res, trace, prop_name), cyc, switches)
