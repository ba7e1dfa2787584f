"""A counterexample as a Mermaid ``sequenceDiagram``, which GitHub renders natively in Markdown, pull
request comments and ``$GITHUB_STEP_SUMMARY``: no Graphviz needed.

Participants are the threads plus one per page-cache array; a step that changes the page cache is a
message to that array, any other step a note over its thread; the violating step sits in a red block and
the violated property closes the diagram. Text is sanitised for Mermaid (``;`` and ``#`` are entity-coded).
It must not compute anything about the trace (``sequence.py`` does).
"""

from __future__ import annotations

from collapsecheck.report.events import Kind
from collapsecheck.report.sequence import Chart, Row


def _m(text: str) -> str:
    """Mermaid-safe text: ``#`` and ``;`` end statements or start entities, so encode them."""
    return text.replace("#", "#35;").replace(";", "#59;").replace("\n", " ")


def _changes(r: Row) -> list[str]:
    out = []
    for e in r.events:
        if e.kind == Kind.ACQUIRE:
            out.append(f"lock {e.lock}")
        elif e.kind == Kind.RELEASE:
            out.append(f"unlock {e.lock}")
        elif e.kind != Kind.LOCAL:
            out.append(f"{e.var}: {e.old} → {e.new}")
    return out


def chart_mermaid(chart: Chart) -> str:
    """The Mermaid source (deterministic, no fences)."""
    pid = {ln: f"T{k}" for k, ln in enumerate(chart.lanes)}
    arrays = sorted({e.var.split("[")[0] for r in chart.rows for e in r.events if e.kind == Kind.SLOT})
    aid = {a: f"S{k}" for k, a in enumerate(arrays)}
    out = ["sequenceDiagram"]
    for ln in chart.lanes:
        out.append(f"    participant {pid[ln]} as {_m(ln)}" + (" (never runs)" if ln in chart.idle else ""))
    for a in arrays:
        out.append(f"    participant {aid[a]} as {_m(a)}")
    if chart.initial:
        first, last = pid[chart.lanes[0]], (aid[arrays[-1]] if arrays else pid[chart.lanes[-1]])
        out.append(f"    Note over {first},{last}: initially: "
                   + _m(", ".join(f"{n} = {v}" for n, v in chart.initial)))
    for r in chart.rows:
        text = f"{r.number}. {r.step}" + (f" [{r.case}]" if r.case else "")
        body = "<br/>".join(_m(x) for x in [text] + _changes(r))
        if r.last:
            out.append("    rect rgb(255, 205, 210)")
        slot_arrays = [a for a in arrays if any(e.kind == Kind.SLOT and e.var.startswith(a + "[") for e in r.events)]
        if slot_arrays:
            out.append(f"    {pid[r.lane]}->>{aid[slot_arrays[0]]}: {body}")
        else:
            out.append(f"    Note over {pid[r.lane]}: {body}")
        if r.last:
            out.append("    end")
    if chart.ending is not None and chart.rows:
        last_lane = pid[chart.rows[-1].lane]
        out.append(f"    Note over {last_lane}: {_m(chart.ending.title)}"
                   + "".join(f"<br/>{_m(n)} = {_m(v)}" for n, v in chart.ending.reads))
    return "\n".join(out) + "\n"
