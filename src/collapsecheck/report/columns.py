"""A counterexample in the kernel commit-message style: one column per CPU, time flowing down.

    CPU A (uffd_register)       CPU B (collapse)
    mmap_write_lock
                                xas_next: hole: xas_store(h)
                                  slot[0]: HOLE -> HUGE

Each step is one entry in its thread's column (``step: case``), followed by the changes other threads can
see (slot, flag, observation and value changes; lock operations are already named by the kernel functions
the steps are called after, so they are left out to keep the columns narrow). Plain ASCII arrows, so it can
be pasted into a commit message as is. Threads that never move get no column but a closing note. It must
not compute anything about the trace beyond layout (``sequence.py`` does).
"""

from __future__ import annotations

import textwrap

from collapsecheck.report.events import LOCK_KINDS, Kind
from collapsecheck.report.sequence import Chart, Row

CPU = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MAX_COL = 34
GAP = 2


def _entry(r: Row) -> list[str]:
    head = r.step + (f": {r.case}" if r.case else "")
    out = [head]
    for e in r.events:
        if e.kind in LOCK_KINDS or e.kind == Kind.LOCAL:
            continue
        out.append(f"  {e.var}: {e.old} -> {e.new}")
    return out


def _wrap(lines: list[str], width: int) -> list[str]:
    """Wrap each line to ``width``, keeping its indent; continuation lines are indented two more."""
    out: list[str] = []
    for line in lines:
        text = line.lstrip(" ")
        pad = " " * (len(line) - len(text))
        parts = textwrap.wrap(text, max(8, width - len(pad)), break_on_hyphens=False) or [""]
        out.append(pad + parts[0])
        out += [pad + "  " + p for p in textwrap.wrap(" ".join(parts[1:]), max(8, width - len(pad) - 2),
                                                      break_on_hyphens=False)] if len(parts) > 1 else []
    return out


def commit_columns(chart: Chart, indent: str = "    ") -> list[str]:
    """The trace as side-by-side CPU columns (lines without trailing spaces)."""
    acting = [ln for ln in chart.lanes if ln not in chart.idle]
    cpu = {ln: CPU[k] if k < len(CPU) else str(k) for k, ln in enumerate(chart.lanes)}
    heads = {ln: f"CPU {cpu[ln]} ({ln})" for ln in acting}
    entries = [(r.lane, _entry(r)) for r in chart.rows]
    width = {}
    for ln in acting:
        longest = max([len(heads[ln])] + [len(x) for lane, e in entries if lane == ln for x in e])
        width[ln] = min(longest, MAX_COL)
    col = {ln: k for k, ln in enumerate(acting)}
    start = {}
    pos = 0
    for ln in acting:
        start[ln] = pos
        pos += width[ln] + GAP

    def line(cells: dict[str, str]) -> str:
        text = ""
        for ln in sorted(cells, key=lambda x: col[x]):
            text = text.ljust(start[ln]) + cells[ln]
        return (indent + text).rstrip()

    out = [indent + "initially: " + "; ".join(f"{n} = {v}" for n, v in chart.initial)] if chart.initial else []
    out.append(line(heads))
    for lane, e in entries:
        out += [line({lane: x}) for x in _wrap(e, width[lane])]
    if chart.ending is not None:
        out.append(indent + f"=> {chart.ending.title}")
    if chart.cycle_start is not None:
        out.append(indent + f"   (steps {chart.cycle_start + 1}.. repeat forever)")
    if chart.idle:
        verb = "never runs" if len(chart.idle) == 1 else "never run"
        out.append(indent + "   (" + ", ".join(f"CPU {cpu[ln]} ({ln})" for ln in chart.idle) + f" {verb})")
    return out
