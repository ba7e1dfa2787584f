"""Graphviz DOT text of a counterexample sequence chart: swimlanes, one row per step, top to bottom.

Layout (the recipe that worked in the tooling notes): ``newrank``, one ``rank=same`` subgraph per row,
invisible edges that fix the column order inside a row, and heavily weighted dashed lifelines that keep
each column straight. Columns: the step number, one lane per acting thread, then one column per shared
array of an enumeration (the page cache), drawn as a strip of coloured cells so a slot going
HOLE -> HUGE is visible at a glance. Lock acquire/release, flag flips and ghost observations are badges
inside the acting thread's box; the violated property closes the chart with the values it reads.

The text is built by hand in a fixed order, so it is byte-identical across runs. This module must not run
``dot`` (``render.py`` does) or decide anything about the trace (``sequence.py`` does).
"""

from __future__ import annotations

import textwrap
from html import escape

from collapsecheck.model.core import Model
from collapsecheck.report.events import Event, Kind
from collapsecheck.report.sequence import Chart, Row

# Cell colours for enumeration members, by member index (HOLE, PAGE, RETRY, HUGE in the page cache).
MEMBER_COLOURS = ("#ffffff", "#cfe2f3", "#ffe599", "#c9a0ff", "#b6d7a8", "#f4cccc", "#d9d9d9", "#fce5cd")
ACQUIRE_BG = "#c8e6c9"
RELEASE_BG = "#eceff1"
FLAG_BG = "#ffd8a8"
GHOST_FG = "#6a1b9a"
VIOLATION = "#c62828"
LANE_HEAD_BG = "#e3ecf7"
CPU = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
NOTE_WIDTH = 46
NOTE_PX = 270


def _h(text: object) -> str:
    """Escape text for an HTML-like label (graphviz also needs ``]`` and quotes left alone there)."""
    return escape(str(text), quote=False)


def _q(text: str) -> str:
    return '"' + text.replace("\\", "\\\\").replace('"', '\\"') + '"'


def enum_arrays(model: Model, chart: Chart) -> list[tuple[str, tuple[str, ...], str]]:
    """(name, members, doc) of every shared, non-ghost array of an enumeration the trace changes."""
    changed = {e.var.split("[")[0] for r in chart.rows for e in r.events if e.kind == Kind.SLOT}
    out = []
    for d in model.globals:
        if d.qualname in changed and not d.ghost:
            members = getattr(d.elem_sort, "members", ())
            out.append((d.qualname, tuple(members), d.doc))
    return out


def _colour(members: tuple[str, ...], value: str) -> str:
    k = members.index(value) if value in members else len(MEMBER_COLOURS) - 2
    return MEMBER_COLOURS[k % len(MEMBER_COLOURS)]


def _strip(values: list[str], members: tuple[str, ...], changed: set[int], index_row: bool = False) -> str:
    """An HTML table: one cell per array element, coloured by value; changed cells framed thickly."""
    cells = []
    for k, v in enumerate(values):
        border = "3" if k in changed else "1"
        text = f"<b>{_h(v)}</b>" if k in changed else _h(v)
        cells.append(f'<td border="{border}" bgcolor="{_colour(members, v)}" width="52">{text}</td>')
    rows = "<tr>" + "".join(cells) + "</tr>"
    if index_row:
        rows = "<tr>" + "".join(f'<td border="0"><font point-size="8">[{k}]</font></td>'
                                for k in range(len(values))) + "</tr>" + rows
    return f'<<table border="0" cellborder="1" cellspacing="2" cellpadding="3">{rows}</table>>'


def _badge(e: Event) -> str:
    small = '<font point-size="9">{}</font>'
    if e.kind == Kind.ACQUIRE:
        return f'<tr><td bgcolor="{ACQUIRE_BG}" align="left">' + small.format(f"lock {_h(e.lock)}") + "</td></tr>"
    if e.kind == Kind.RELEASE:
        return f'<tr><td bgcolor="{RELEASE_BG}" align="left">' + small.format(f"unlock {_h(e.lock)}") + "</td></tr>"
    if e.kind == Kind.HANDOFF:
        return '<tr><td align="left">' + small.format(_h(f"{e.lock}: {e.old} \u2192 {e.new}")) + "</td></tr>"
    if e.kind == Kind.FLAG:
        return (f'<tr><td bgcolor="{FLAG_BG}" align="left">'
                + small.format(f"<b>{_h(e.var)} \u2190 {_h(e.new)}</b>") + "</td></tr>")
    if e.kind == Kind.GHOST:
        return ('<tr><td align="left">' + small.format(f'<font color="{GHOST_FG}"><i>{_h(e.var)} \u2190 '
                                                          f"{_h(e.new)}</i></font>") + "</td></tr>")
    if e.kind == Kind.VALUE:
        return '<tr><td align="left">' + small.format(_h(f"{e.var}: {e.old} \u2192 {e.new}")) + "</td></tr>"
    return ""  # slot changes are drawn in their array column; locals are left to the text trace


def _step_label(r: Row) -> str:
    parts = [f"<tr><td><b>{_h(r.step)}</b></td></tr>"]
    if r.case:
        parts.append(f'<tr><td><font point-size="9"><i>{_h(r.case)}</i></font></td></tr>')
    parts += [b for b in (_badge(e) for e in r.events) if b]
    return '<<table border="0" cellborder="0" cellspacing="1" cellpadding="1">' + "".join(parts) + "</table>>"


def _lane_head(chart: Chart, k: int, lane: str) -> str:
    extra = "".join(f'<br/><font point-size="9">{_h(n.split(".", 1)[1])} = {_h(v)}</font>'
                    for n, v in chart.initial if n.startswith(lane + "."))
    cpu = f"CPU {CPU[k]}" if k < len(CPU) else f"CPU {k}"
    if lane in chart.idle:
        return f'<<font color="#757575"><b>{_h(lane)}</b><br/><font point-size="9">{cpu}: never runs</font></font>>'
    return f'<<b>{_h(lane)}</b><br/><font point-size="9">{cpu}</font>{extra}>'


def chart_dot(model: Model, chart: Chart, notes: bool = True) -> str:
    """The DOT text of the chart (deterministic). ``notes``: a right-hand column with each step's doc
    string from the model (what the kernel does there), wrapped and shortened."""
    arrays = enum_arrays(model, chart)
    notes = notes and any(r.doc for r in chart.rows)
    current = {name: [v.strip() for v in dict(chart.initial).get(name, "[]").strip("[]").split(",")]
               for name, _, _ in arrays}
    lanes = list(chart.lanes)
    lane_id = {ln: k for k, ln in enumerate(lanes)}
    cols = [f"L{k}" for k in range(len(lanes))] + [f"A{k}" for k in range(len(arrays))] + (["N"] if notes else [])
    head = f"{chart.title}: {len(chart.rows)} steps, {chart.switches} thread switch" \
           + ("es" if chart.switches != 1 else "")
    out = [
        "digraph counterexample {",
        f'  graph [newrank=true, rankdir=TB, splines=line, nodesep=0.25, ranksep=0.12, fontname="Helvetica", '
        f'fontsize=13, labelloc=t, label={_q(head)}];',
        '  node [fontname="Helvetica", fontsize=11, margin="0.08,0.03"];',
        '  edge [arrowhead=none, fontname="Helvetica"];',
        "  // header row: lanes and the page-cache strips with their initial contents",
        "  { rank=same;",
        '    H_n [shape=plaintext, label="step"];',
    ]
    for k, ln in enumerate(lanes):
        look = 'style="rounded,dashed", color="#9e9e9e"' if ln in chart.idle else \
            f'style="rounded,filled", fillcolor="{LANE_HEAD_BG}"'
        out.append(f"    H_L{k} [shape=box, {look}, label={_lane_head(chart, k, ln)}];")
    for k, (name, members, doc) in enumerate(arrays):
        out.append(f"    H_A{k} [shape=plaintext, tooltip={_q(doc or name)}, label=<<table border=\"0\" "
                   f"cellborder=\"0\"><tr><td><b>{_h(name)}</b> (initially)</td></tr>"
                   f"<tr><td>{_strip(current[name], members, set(), True)[1:-1]}</td></tr></table>>];")
    if notes:
        out.append(f'    H_N [shape=plaintext, label=<<table border="0"><tr><td width="{NOTE_PX}" align="left">'
                   '<font color="#616161">what the step does (model doc)</font></td></tr></table>>];')
    out.append("  }")
    out.append("  " + " -> ".join(["H_n"] + [f"H_{c}" for c in cols]) + " [style=invis];")
    for r in chart.rows:
        out += _row(r, lanes, lane_id, arrays, current, notes)
    out += _lifelines(chart, cols)
    if chart.ending is not None:
        out += _ending(chart, lane_id)
    out.append("}")
    return "\n".join(out) + "\n"


def _note(doc: str, width: int = NOTE_WIDTH, lines: int = 2) -> str:
    """A step's doc string, wrapped to ``lines`` lines of ``width`` characters (shortened with ...)."""
    wrapped = textwrap.wrap(" ".join(doc.split()), width) or [""]
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        wrapped[-1] = wrapped[-1][: width - 3].rstrip() + "..."
    body = "<br/>".join(_h(w) for w in wrapped)
    # A fixed-width, left-aligned cell: centred nodes of different widths would leave a ragged edge.
    return (f'<<table border="0" cellpadding="0"><tr><td width="{NOTE_PX}" align="left" balign="left">'
            f'<font color="#616161" point-size="9">{body}</font></td></tr></table>>')


def _row(r: Row, lanes: list[str], lane_id: dict[str, int], arrays: list[tuple[str, tuple[str, ...], str]],
         current: dict[str, list[str]], notes: bool) -> list[str]:
    n = r.number
    me = lane_id[r.lane]
    style = f'color="{VIOLATION}", penwidth=2.5' if r.last else "color=black"
    out = [f"  // step {n}: {r.lane} {r.step}" + (f" [{r.case}]" if r.case else ""), "  { rank=same;",
           f'    R{n}_n [shape=plaintext, label="{n}"];']
    for k in range(len(lanes)):
        if k == me:
            out.append(f'    R{n}_L{k} [shape=box, style="rounded", {style}, label={_step_label(r)}];')
        else:
            out.append(f'    R{n}_L{k} [shape=point, width=0.04, color="#9e9e9e"];')
    touched: list[int] = []
    for k, (name, members, _) in enumerate(arrays):
        changed = set()
        for e in r.events:
            if e.kind == Kind.SLOT and e.var.startswith(name + "["):
                idx = int(e.var[len(name) + 1:-1])
                current[name][idx] = e.new
                changed.add(idx)
        if changed:
            touched.append(k)
            out.append(f"    R{n}_A{k} [shape=plaintext, label={_strip(current[name], members, changed)}];")
        else:
            out.append(f'    R{n}_A{k} [shape=point, width=0.04, color="#9e9e9e"];')
    if notes:
        out.append(f"    R{n}_N [shape=plaintext, label={_note(r.doc)}];" if r.doc else
                   f'    R{n}_N [shape=point, width=0.01, style=invis];')
    out.append("  }")
    cols = [f"L{k}" for k in range(len(lanes))] + [f"A{k}" for k in range(len(arrays))] + (["N"] if notes else [])
    out.append("  " + " -> ".join([f"R{n}_n"] + [f"R{n}_{c}" for c in cols]) + " [style=invis];")
    for k in touched:  # who changed the page cache: an arrow from the acting box to the strip
        colour = VIOLATION if r.last else "#1565c0"
        out.append(f"  R{n}_L{me} -> R{n}_A{k} [constraint=false, arrowhead=normal, color=\"{colour}\", "
                   "penwidth=1.5];")
    return out


def _lifelines(chart: Chart, cols: list[str]) -> list[str]:
    out = ["  // lifelines: heavy weights keep every column straight"]
    nums = ["H_n"] + [f"R{r.number}_n" for r in chart.rows]
    out.append("  " + " -> ".join(nums) + " [style=invis, weight=100];")
    for c in cols:
        chain = [f"H_{c}"] + [f"R{r.number}_{c}" for r in chart.rows]
        look = "style=invis" if c == "N" else 'style=dashed, color="#9e9e9e"'
        out.append("  " + " -> ".join(chain) + f" [{look}, weight=100];")
    return out


def _ending(chart: Chart, lane_id: dict[str, int]) -> list[str]:
    end = chart.ending
    assert end is not None
    last = chart.rows[-1] if chart.rows else None
    title = end.title.upper() if end.kind == "deadlock" else end.title
    rows = [f'<tr><td align="left"><font color="{VIOLATION}"><b>{_h(title)}</b></font></td></tr>',
            f'<tr><td align="left"><font point-size="9">{_h(end.detail)}</font></td></tr>']
    if end.doc:
        rows.append(f'<tr><td align="left"><font point-size="9"><i>{_h(end.doc)}</i></font></td></tr>')
    if end.reads:
        rows.append('<tr><td align="left"><font point-size="9"><b>reads, after step '
                    f'{len(chart.rows)}:</b></font></td></tr>')
        rows += [f'<tr><td align="left"><font point-size="9">{_h(n)} = {_h(v)}</font></td></tr>'
                 for n, v in end.reads]
    if chart.cycle_start is not None:
        rows.append(f'<tr><td align="left"><font point-size="9">steps {chart.cycle_start + 1}.. repeat forever'
                    "</font></td></tr>")
    label = '<<table border="0" cellborder="0" cellspacing="0">' + "".join(rows) + "</table>>"
    out = ["  // the ending: the violated property and the values it reads",
           f'  END [shape=box, style="filled", fillcolor="#ffebee", color="{VIOLATION}", penwidth=2, label={label}];']
    if last is not None:
        out.append(f'  R{last.number}_L{lane_id[last.lane]} -> END [color="{VIOLATION}", penwidth=2, '
                   "arrowhead=normal];")
    return out
