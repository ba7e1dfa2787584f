"""DOT text of a small model's reachable interleaving graph, with the counterexample highlighted.

Nodes are states (their id; with few states also each thread's position and the shared variables), edges
are transitions coloured by thread and labelled with the step. Initial states are bold, the counterexample
path is thick and red, its violating state filled red, witness states (the first state reaching each
``sometimes`` property) green and labelled with the witness, deadlocks black. Above ``cap`` states it
refuses with the size instead of producing an unreadable picture. Deterministic text. It draws a
``result.statespace.StateGraph``: it must not run the search (``orchestration/figures.py`` does), reach
into an engine, or decide verdicts.
"""

from __future__ import annotations

from html import escape
from collapsecheck.errors import UsageError
from collapsecheck.result import CheckResult, Trace
from collapsecheck.result.statespace import StateGraph

DEFAULT_CAP = 500
DETAIL_LIMIT = 60  # states up to which nodes show their content, not just their id
THREAD_COLOURS = ("#1565c0", "#2e7d32", "#ef6c00", "#6a1b9a", "#00838f", "#ad1457", "#5d4037", "#455a64")


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def too_large(n: int, cap: int, at_least: bool = False) -> UsageError:
    size = f"at least {n:,}" if at_least else f"{n:,}"
    return UsageError(f"the reachable graph has {size} states, over the cap of {cap:,}; a picture that big is "
                      "unreadable (pass --cap N to draw it anyway, or use a smaller instance such as pages=1)")


def _state_label(ex: StateGraph, sid: int, detail: bool) -> str:
    if not detail:
        return f'"{sid}"'
    model, s = ex.model, ex.states[sid]
    pcs = ", ".join(f"{t.name}@{t.label_of(s[model.layout.pc_slot[t.index]])}" for t in model.threads)
    shared = []
    for d in model.globals:
        base = model.layout.slot_of(d)
        if d.sort is not d.elem_sort:
            shared.append(f"{d.qualname}=[" + ",".join(d.elem_sort.show(s[base + k]) for k in range(d.width)) + "]")
        else:
            shared.append(f"{d.qualname}={d.sort.show(s[base])}")
    body = "<br/>".join(escape(x) for x in [f"#{sid}", pcs] + shared)
    return f'<<font point-size="8">{body}</font>>'


def path_ids(ex: StateGraph, trace: Trace | None) -> list[int]:
    """State ids along a trace (its states are looked up in the store)."""
    if trace is None or not trace.states:
        return []
    index = {s: k for k, s in enumerate(ex.states)}
    return [index[s] for s in trace.states if s in index]


def graph_dot(ex: StateGraph, res: CheckResult, cap: int = DEFAULT_CAP) -> str:
    """The DOT text; raises a usage error naming the size when the graph has more than ``cap`` states."""
    n = len(ex.states)
    if n > cap or not ex.complete:
        raise too_large(n, cap)
    model = ex.model
    detail = n <= DETAIL_LIMIT
    path = path_ids(ex, res.trace)
    on_path = set(zip(path, path[1:]))
    bad = path[-1] if path and res.trace is not None and res.property else None
    witness: dict[int, list[str]] = {}
    for k, p in enumerate(model.sometimes):
        sid = ex.witnesses[k]
        if sid >= 0:
            witness.setdefault(sid, []).append(p.name)
    dead = {ex.deadlock} if ex.deadlock >= 0 else set()
    title = f"{model.name} [{model.param_text}]: {n} states, {len(ex.edges[0])} transitions, verdict {res.verdict}"
    legend = " ".join(f'<font color="{THREAD_COLOURS[t.index % len(THREAD_COLOURS)]}">{escape(t.name)}</font>'
                      for t in model.threads)
    label = f"<{escape(title)}<br/><font point-size=\"10\">edge colour = thread: {legend}; red: the counterexample; " \
            "green: witnesses</font>>"
    out = ["digraph states {",
           f'  graph [rankdir=TB, fontname="Helvetica", labelloc=t, label={label}, ranksep=0.35];',
           '  node [fontname="Helvetica", fontsize=9, shape=box, style="rounded", margin="0.04,0.02"];',
           '  edge [fontname="Helvetica", fontsize=7, arrowsize=0.6];']
    for sid in range(n):
        attrs = [f"label={_state_label(ex, sid, detail)}"]
        if sid < ex.n_initial:
            attrs.append("penwidth=2.5")
        if sid == bad:
            attrs += ['style="rounded,filled"', 'fillcolor="#ef9a9a"', 'color="#c62828"']
        elif sid in witness:
            attrs += ['style="rounded,filled"', 'fillcolor="#c8e6c9"',
                      f"xlabel={_q(', '.join(witness[sid]))}", 'fontcolor="#1b5e20"']
        elif sid in dead:
            attrs += ['style="rounded,filled"', 'fillcolor="#424242"', 'fontcolor="white"']
        out.append(f"  s{sid} [{', '.join(attrs)}];")
    src, dst, act = ex.edges
    for a, b, c in sorted(zip(src, dst, act)):
        t = model.actions[c].thread
        colour = THREAD_COLOURS[t % len(THREAD_COLOURS)]
        step = model.threads[t].steps[model.actions[c].step].name
        attrs = [f'color="{colour}"', f"label={_q(step)}", f'fontcolor="{colour}"']
        if (a, b) in on_path:
            attrs = ['color="#c62828"', "penwidth=3", f"label={_q(step)}", 'fontcolor="#c62828"']
        out.append(f"  s{a} -> s{b} [{', '.join(attrs)}];")
    out.append("}")
    return "\n".join(out) + "\n"
