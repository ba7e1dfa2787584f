"""A counterexample as a Mermaid ``sequenceDiagram``, which GitHub renders natively in Markdown, pull
request comments and ``$GITHUB_STEP_SUMMARY``: no Graphviz needed.

Participants are the threads plus one per page-cache array; a step that changes the page cache is a
message to that array, any other step a note over its thread; the violating step sits in a red block and
the violated property closes the diagram with its conjuncts' values, the locks held and the folded steps.
Every change the text trace shows is in a note (locals too, without their thread prefix). Text is
sanitised for Mermaid (``;`` and ``#`` are entity-coded). It must not compute anything about the trace
(``sequence.py`` does).
"""

from __future__ import annotations

from collapsecheck.report.columns import change_text
from collapsecheck.report.events import Kind
from collapsecheck.report.sequence import Chart, Row
from collapsecheck.report.text import wrap_words

NOTE_WIDTH = 90  # Mermaid does not wrap notes: long ones are broken at spaces with <br/>


def _m(text: str) -> str:
    """Mermaid-safe text: ``#`` and ``;`` end statements or start entities, so encode them."""
    return text.replace("#", "#35;").replace(";", "#59;").replace("\n", " ")


def _changes(r: Row) -> list[str]:
    return [change_text(e, r.lane, "→") + f" (step {n}, folded)" for n, e in r.carried] + \
        [change_text(e, r.lane, "→") for e in r.events]


def _lines(text: str) -> str:
    return "<br/>".join(_m(x) for x in wrap_words(text, NOTE_WIDTH))


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
        out.append(f"    Note over {first},{last}: "
                   + _lines("initially: " + ", ".join(f"{n} = {v}" for n, v in chart.initial)))
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
        end = chart.ending
        body = [_m(end.title)] + ([_lines(end.detail)] if end.kind == "error" else [])
        for c in end.clauses:
            body.append(_lines(("holds: " if c.holds else "FALSE: ") + c.text))
            if c.values:
                body.append(_lines("with " + ", ".join(f"{n} = {v}" for n, v in c.values)))
        if not end.clauses:
            body += [f"{_m(n)} = {_m(v)}" for n, v in end.reads]
        body.append(_lines("locks held: " + (", ".join(f"{lk} by {who}" for lk, who in chart.held)
                                             if chart.held else "none")))
        out.append(f"    Note over {last_lane}: " + "<br/>".join(body))
    if chart.folded and chart.rows:
        out.append(f"    Note over {pid[chart.lanes[0]]},{pid[chart.lanes[-1]]}: {_lines(chart.fold_note)}")
    return "\n".join(out) + "\n"
