"""A counterexample in the kernel commit-message style: one column per CPU, time flowing down.

    CPU A (uffd_register)       CPU B (collapse)
    mmap_write_lock
                                xas_next: hole: xas_store(h)
                                  slot[0]: HOLE -> HUGE

Each step is one entry in its thread's column (``step: case``), followed by everything it changed, as the
text trace of ``verify`` shows it: locks (``lock xa_lock``), slots, flags, observations, shared values and
the thread's own locals (a stale snapshot is often the whole bug), plus local changes of folded steps.
Every value is shown in full; lines wrap at spaces only, so an identifier is never split (a column
widens for a word longer than its width). The ending gives the violated property's conjuncts with their
values, the locks held, and which purely local steps were folded. Plain ASCII arrows, so it can be pasted
into a commit message as is. Threads that never move get no column but a closing note. It must not
compute anything about the trace beyond layout (``sequence.py`` does).
"""

from __future__ import annotations

from collapsecheck.report.events import Event, Kind
from collapsecheck.report.sequence import Chart, Row
from collapsecheck.report.text import WIDTH, wrap_words

CPU = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
MAX_COL = 40
GAP = 2


def change_text(e: Event, lane: str = "", arrow: str = "->") -> str:
    """One change: ``lock xa_lock``, ``unlock mmap_lock (read)``, ``slot[0]: HOLE -> HUGE``; a local of
    ``lane`` without its thread prefix (the lane already names the thread)."""
    if e.kind == Kind.ACQUIRE:
        return f"lock {e.lock}"
    if e.kind == Kind.RELEASE:
        return f"unlock {e.lock}"
    var = e.var[len(lane) + 1:] if e.kind == Kind.LOCAL and lane and e.var.startswith(lane + ".") else e.var
    return f"{var}: {e.old} {arrow} {e.new}"


def _entry(r: Row) -> list[str]:
    head = r.step + (f": {r.case}" if r.case else "")
    # Changes of folded steps first: they happened before this step.
    return [head] + [f"  {change_text(e, r.lane)} (step {n}, folded)" for n, e in r.carried] + \
        [f"  {change_text(e, r.lane)}" for e in r.events]


def _wrap(lines: list[str], width: int) -> list[str]:
    """Wrap each line to ``width`` at spaces, keeping its indent; continuation lines are indented two more."""
    out: list[str] = []
    for line in lines:
        text = line.lstrip(" ")
        pad = " " * (len(line) - len(text))
        out += wrap_words(text, max(8, width), pad, pad + "  ")
    return out


def _longest_word(lines: list[str]) -> int:
    return max([len(w) + 4 for x in lines for w in x.split()] + [0])  # + indent of a continuation line


def commit_columns(chart: Chart, indent: str = "    ") -> list[str]:
    """The trace as side-by-side CPU columns (lines without trailing spaces)."""
    acting = [ln for ln in chart.lanes if ln not in chart.idle]
    cpu = {ln: CPU[k] if k < len(CPU) else str(k) for k, ln in enumerate(chart.lanes)}
    heads = {ln: f"CPU {cpu[ln]} ({ln})" for ln in acting}
    entries = [(r.lane, _entry(r)) for r in chart.rows]
    width = {}
    for ln in acting:
        mine = [x for lane, e in entries if lane == ln for x in e]
        longest = max([len(heads[ln])] + [len(x) for x in mine])
        width[ln] = max(min(longest, MAX_COL), _longest_word(mine))
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

    total = max(pos - GAP, WIDTH - 20)
    out = wrap_words("initially: " + "; ".join(f"{n} = {v}" for n, v in chart.initial), total, indent,
                     indent + "    ") if chart.initial else []
    out.append(line(heads))
    for lane, e in entries:
        out += [line({lane: x}) for x in _wrap(e, width[lane])]
    out += ending_lines(chart, total, indent)
    if chart.idle:
        verb = "never runs" if len(chart.idle) == 1 else "never run"
        out.append(indent + "   (" + ", ".join(f"CPU {cpu[ln]} ({ln})" for ln in chart.idle) + f" {verb})")
    return out


def ending_lines(chart: Chart, width: int, indent: str = "    ") -> list[str]:
    """The ending under the columns: the property's conjuncts and their values in the last state, the
    locks held there, the repeating part of a lasso, and which steps were folded."""
    out: list[str] = []
    end = chart.ending
    if end is not None:
        out.append(indent + f"=> {end.title}")
        if end.kind == "error":  # the failing step and its file:line (a violation's expression is below)
            out += wrap_words(end.detail, width, indent + "   ", indent + "     ")
        for c in end.clauses:
            out += wrap_words(c.text, width, f"{indent}   {'holds ' if c.holds else 'FALSE '} ", indent + "          ")
            if c.values:
                out += wrap_words("with " + ", ".join(f"{n} = {v}" for n, v in c.values), width,
                                  indent + "          ", indent + "            ")
    if chart.cycle_start is not None:
        out.append(indent + f"   (steps {chart.cycle_start + 1}.. repeat forever)")
    out.append(indent + "   locks held at the end: "
               + (", ".join(f"{lk} by {who}" for lk, who in chart.held) if chart.held else "none"))
    if chart.folded:
        out += wrap_words(f"({chart.fold_note})", width, indent + "   ", indent + "    ")
    return out
