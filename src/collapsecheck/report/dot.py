"""Graphviz DOT text of a counterexample sequence chart: swimlanes, one row per step, top to bottom.

Layout (the recipe that worked in the tooling notes): ``newrank``, one ``rank=same`` subgraph per row,
invisible edges that fix the column order inside a row, and heavily weighted dashed lifelines that keep
each column straight. Columns: the step number, one lane per thread (its head lists the thread's locals
and their initial values), one column per shared array of an enumeration (the page cache), drawn as a
strip of coloured cells so a slot going HOLE -> HUGE is visible at a glance, then one *state column* per
other shared, non-lock, non-ghost variable the trace changes (a pmd value, a refcount), with its
initial value in the head and its new value on every row that changes it. Lock acquire/release, ghost
observations and the thread's own locals (a stale snapshot is often the whole bug) are badges inside the
acting thread's box. Purely local steps are folded (the step-number cell says how many, the ending names
them). Every initial value not shown in a head is listed under the title. The violated property closes
the chart: its conjuncts with the values they read and the locks held. Text wraps at spaces only; a note
too long to show ends in a mark that names the model line where it is written in full.

The text is built by hand in a fixed order, so it is byte-identical across runs. This module must not run
``dot`` (``render.py`` does) or decide anything about the trace (``sequence.py`` does).
"""

from __future__ import annotations

from html import escape
from pathlib import Path

from collapsecheck.model.core import Model
from collapsecheck.report.columns import change_text
from collapsecheck.report.events import LOCK_KINDS, Event, Kind
from collapsecheck.report.sequence import Chart, Row
from collapsecheck.report.text import wrap_words

# Cell colours for enumeration members, by member index (HOLE, PAGE, RETRY, HUGE in the page cache).
MEMBER_COLOURS = ("#ffffff", "#cfe2f3", "#ffe599", "#c9a0ff", "#b6d7a8", "#f4cccc", "#d9d9d9", "#fce5cd")
ACQUIRE_BG = "#c8e6c9"
RELEASE_BG = "#eceff1"
FLAG_BG = "#ffd8a8"
GHOST_FG = "#6a1b9a"
VIOLATION = "#c62828"
LANE_HEAD_BG = "#e3ecf7"
CPU = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
LOCAL_FG = "#37474f"
NOTE_WIDTH = 46
NOTE_LINES = 4
NOTE_PX = 270
CASE_WIDTH = 34  # an outcome (case) label wraps here
END_WIDTH = 110  # the ending box wraps here


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


def value_columns(model: Model, chart: Chart) -> list[tuple[str, str]]:
    """(name, doc) of every shared, non-ghost, non-lock variable the trace changes that is not drawn as
    a strip (scalars such as a pmd value or a refcount, arrays of other sorts), in declaration order."""
    strips = {name for name, _, _ in enum_arrays(model, chart)}
    changed = {e.var.split("[")[0] for r in chart.rows for e in r.events if e.kind in (Kind.FLAG, Kind.VALUE)}
    return [(d.qualname, d.doc) for d in model.globals
            if d.qualname in changed and d.qualname not in strips and not d.ghost]


def _column_of(var: str, columns: list[tuple[str, str]]) -> int | None:
    base = var.split("[")[0]
    for k, (name, _) in enumerate(columns):
        if name == base:
            return k
    return None


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


def _badge(e: Event, lane: str = "", suffix: str = "") -> str:
    small = '<font point-size="9">{}</font>'
    text = change_text(e, lane, "\u2192") + suffix
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
    if e.kind in (Kind.VALUE, Kind.LOCAL):
        return ('<tr><td align="left">' + small.format(f'<font color="{LOCAL_FG}">{_h(text)}</font>')
                + "</td></tr>")
    return ""  # slot changes are drawn in their array column


def _step_label(r: Row, columns: list[tuple[str, str]]) -> str:
    parts = [f"<tr><td><b>{_h(r.step)}</b></td></tr>"]
    if r.case:
        case = "<br/>".join(_h(x) for x in wrap_words(r.case, CASE_WIDTH))
        parts.append(f'<tr><td><font point-size="9"><i>{case}</i></font></td></tr>')
    # Changes with a state column of their own are drawn there, not repeated in the box.
    # Local changes of folded steps first (they happened before this step), marked with their number.
    parts += [b for n, e in r.carried for b in [_badge(e, r.lane, f" (step {n}, folded)")] if b]
    parts += [b for b in (_badge(e, r.lane) for e in r.events if _column_of(e.var, columns) is None
                          or e.kind not in (Kind.FLAG, Kind.VALUE)) if b]
    return '<<table border="0" cellborder="0" cellspacing="1" cellpadding="1">' + "".join(parts) + "</table>>"


def _lane_head(chart: Chart, k: int, lane: str) -> str:
    extra = "".join(f'<br/><font point-size="9">{_h(n.split(".", 1)[1])} = {_h(v)}</font>'
                    for n, v in chart.initial if n.startswith(lane + "."))
    cpu = f"CPU {CPU[k]}" if k < len(CPU) else f"CPU {k}"
    if lane in chart.idle:
        return (f'<<font color="#757575"><b>{_h(lane)}</b><br/><font point-size="9">{cpu}: never runs</font>'
                f"{extra}</font>>")
    return f'<<b>{_h(lane)}</b><br/><font point-size="9">{cpu}</font>{extra}>'


def chart_dot(model: Model, chart: Chart, notes: bool = True) -> str:
    """The DOT text of the chart (deterministic). ``notes``: a right-hand column with each step's doc
    string from the model (what the kernel does there), wrapped and shortened."""
    arrays = enum_arrays(model, chart)
    columns = value_columns(model, chart)
    notes = notes and any(r.doc for r in chart.rows)
    initial = dict(chart.initial)
    current = {name: [v.strip() for v in initial.get(name, "[]").strip("[]").split(",")]
               for name, _, _ in arrays}
    lanes = list(chart.lanes)
    lane_id = {ln: k for k, ln in enumerate(lanes)}
    cols = [f"L{k}" for k in range(len(lanes))] + [f"A{k}" for k in range(len(arrays))] \
        + [f"V{k}" for k in range(len(columns))] + (["N"] if notes else [])
    total = chart.total or len(chart.rows)
    head = f"{chart.title}: {total} steps" + (f", {len(chart.rows)} shown ({len(chart.folded)} purely local "
                                              "folded)" if chart.folded else "") \
        + f", {chart.switches} thread switch" + ("es" if chart.switches != 1 else "")
    # Every initial value is stated: locals in their lane's head, strips and state columns in theirs,
    # everything else (locks, ghosts, shared variables the trace leaves alone) under the title.
    shown = {n for n, _ in chart.initial if any(n.startswith(ln + ".") for ln in lanes)}
    shown |= {name for name, _, _ in arrays} | {name for name, _ in columns}
    rest = [(n, v) for n, v in chart.initial if n not in shown]
    label = _q(head)
    if rest:
        text = "<br/>".join(_h(x) for x in wrap_words("initially: " + "; ".join(f"{n} = {v}" for n, v in rest),
                                                       END_WIDTH + 40))
        label = f'<{_h(head)}<br/><font point-size="9">{text}</font>>'
    out = [
        "digraph counterexample {",
        f'  graph [newrank=true, rankdir=TB, splines=line, nodesep=0.25, ranksep=0.12, fontname="Helvetica", '
        f'fontsize=13, labelloc=t, label={label}];',
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
    for k, (name, doc) in enumerate(columns):
        out.append(f"    H_V{k} [shape=box, style=\"rounded,filled\", fillcolor=\"{FLAG_BG}\", tooltip={_q(doc or name)}, "
                   f"label=<<b>{_h(name)}</b><br/><font point-size=\"9\">initially {_h(initial.get(name, '?'))}"
                   "</font>>];")
    if notes:
        out.append(f'    H_N [shape=plaintext, label=<<table border="0"><tr><td width="{NOTE_PX}" align="left">'
                   '<font color="#616161">what the step does (model doc)</font></td></tr></table>>];')
    out.append("  }")
    out.append("  " + " -> ".join(["H_n"] + [f"H_{c}" for c in cols]) + " [style=invis];")
    prev = 0
    for r in chart.rows:
        out += _row(r, lanes, lane_id, arrays, current, notes, columns, r.number - prev - 1)
        prev = r.number
    out += _lifelines(chart, cols)
    out += _ending(chart, lane_id)
    out.append("}")
    return "\n".join(out) + "\n"


def _note(doc: str, where: str = "", width: int = NOTE_WIDTH, lines: int = NOTE_LINES) -> str:
    """A step's doc string, wrapped at spaces to ``lines`` lines of ``width`` characters; a longer one
    ends in a mark naming ``where`` (the model's file:line) the whole text is."""
    wrapped = wrap_words(" ".join(doc.split()), width)
    cut = ""
    if len(wrapped) > lines:
        wrapped = wrapped[:lines]
        cut = f' <i>[\u2026 cut; in full at {_h(where or "the model file")}]</i>'
    body = "<br/>".join(_h(w) for w in wrapped) + cut
    # A fixed-width, left-aligned cell: centred nodes of different widths would leave a ragged edge.
    return (f'<<table border="0" cellpadding="0"><tr><td width="{NOTE_PX}" align="left" balign="left">'
            f'<font color="#616161" point-size="9">{body}</font></td></tr></table>>')


def _row(r: Row, lanes: list[str], lane_id: dict[str, int], arrays: list[tuple[str, tuple[str, ...], str]],
         current: dict[str, list[str]], notes: bool, columns: list[tuple[str, str]] | None = None,
         folded_before: int = 0) -> list[str]:
    n = r.number
    me = lane_id[r.lane]
    columns = columns or []
    style = f'color="{VIOLATION}", penwidth=2.5' if r.last else "color=black"
    num = f'"{n}"' if not folded_before else \
        f'<{n}<br/><font point-size="8" color="#757575">+{folded_before} folded</font>>'
    out = [f"  // step {n}: {r.lane} {r.step}" + (f" [{r.case}]" if r.case else ""), "  { rank=same;",
           f'    R{n}_n [shape=plaintext, label={num}];']
    for k in range(len(lanes)):
        if k == me:
            out.append(f'    R{n}_L{k} [shape=box, style="rounded", {style}, label={_step_label(r, columns)}];')
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
    for k, (name, _) in enumerate(columns):
        mine = [e for e in r.events if _column_of(e.var, columns) == k and e.kind not in LOCK_KINDS]
        if mine:
            text = "<br/>".join(f"<b>{_h(e.new)}</b>" if e.var == name else f"<b>{_h(e.var[len(name):])} = "
                                f"{_h(e.new)}</b>" for e in mine)
            colour = VIOLATION if r.last else "#1565c0"
            out.append(f'    R{n}_V{k} [shape=box, style="rounded,filled", fillcolor="{FLAG_BG}", color="{colour}", '
                       f"label=<{text}>];")
        else:
            out.append(f'    R{n}_V{k} [shape=point, width=0.04, color="#9e9e9e"];')
    if notes:
        where = f"{Path(r.loc.file).name}:{r.loc.line}" if r.loc is not None else ""
        out.append(f"    R{n}_N [shape=plaintext, label={_note(r.doc, where)}];" if r.doc else
                   f'    R{n}_N [shape=point, width=0.01, style=invis];')
    out.append("  }")
    cols = [f"L{k}" for k in range(len(lanes))] + [f"A{k}" for k in range(len(arrays))] \
        + [f"V{k}" for k in range(len(columns))] + (["N"] if notes else [])
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


def _par(text: str, fmt: str = "{}", width: int = END_WIDTH, first: str = "", rest: str = "") -> str:
    """One left-aligned row of the ending box: ``text`` wrapped at spaces, in 9-point type."""
    body = "<br/>".join(_h(x).replace(" ", "\u00a0", len(first) if k == 0 else len(rest))
                        for k, x in enumerate(wrap_words(text, width, first, rest)))
    return f'<tr><td align="left" balign="left"><font point-size="9">{fmt.format(body)}</font></td></tr>'


def _ending(chart: Chart, lane_id: dict[str, int]) -> list[str]:
    end = chart.ending
    last = chart.rows[-1] if chart.rows else None
    rows: list[str] = []
    if end is not None:
        title = end.title.upper() if end.kind in ("deadlock", "error") else end.title
        rows.append(f'<tr><td align="left"><font color="{VIOLATION}"><b>{_h(title)}</b></font></td></tr>')
        rows.append(_par(end.detail))
        if end.doc:
            rows.append(_par(end.doc, "<i>{}</i>"))
        if end.clauses:
            at = last.number if last is not None else 0
            rows.append(_par(f"in the last state (after step {at}):", "<b>{}</b>"))
            for c in end.clauses:
                mark = "holds" if c.holds else "FALSE"
                rows.append(_par(f"{mark}  {c.text}", "{}" if c.holds else f'<font color="{VIOLATION}">{{}}</font>',
                                 first="  ", rest="         "))
                if c.values:
                    rows.append(_par("with " + ", ".join(f"{n} = {v}" for n, v in c.values), first="         ",
                                     rest="           "))
        elif end.reads:
            rows.append(_par(f"reads, after step {last.number if last else 0}:", "<b>{}</b>"))
            rows += [_par(f"{n} = {v}") for n, v in end.reads]
    if chart.cycle_start is not None:
        rows.append(_par(f"steps {chart.cycle_start + 1}.. repeat forever"))
    rows.append(_par("locks held at the end: " + (", ".join(f"{lk} by {who}" for lk, who in chart.held)
                                                  if chart.held else "none"), "<b>{}</b>"))
    if chart.folded:
        rows.append(_par(chart.fold_note, '<font color="#616161">{}</font>'))
    label = '<<table border="0" cellborder="0" cellspacing="0">' + "".join(rows) + "</table>>"
    out = ["  // the ending: the violated property and the values it reads",
           f'  END [shape=box, style="filled", fillcolor="#ffebee", color="{VIOLATION}", penwidth=2, label={label}];']
    if last is not None:
        out.append(f'  R{last.number}_L{lane_id[last.lane]} -> END [color="{VIOLATION}", penwidth=2, '
                   "arrowhead=normal];")
    return out
