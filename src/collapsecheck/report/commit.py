"""``verify MODEL --format commit``: a check's verdict, then each counterexample as CPU columns, as text
to paste into a commit message.

A renderer: it reads a model and its results and returns text. It must not run engines, decide
verdicts or write files (``orchestration/commands.py`` prints it).
"""

from __future__ import annotations

from typing import Mapping

from collapsecheck.model.core import Model
from collapsecheck.result import CheckResult, Verdict


def commit_text(model: Model, results: Mapping[str, CheckResult], full: bool = False) -> str:
    """``verify MODEL --format commit``: the verdict, then each counterexample as CPU columns (``full``:
    no step folded)."""
    from collapsecheck.expr.printer import show
    from collapsecheck.report.columns import commit_columns
    from collapsecheck.report.sequence import build_chart
    from collapsecheck.report.text import WIDTH, format_result, wrap_words

    out: list[str] = []
    for r in results.values():
        if r.trace is None:
            out.append(format_result(model, r, full))
            continue
        chart = build_chart(model, r, full=full)
        head = f"{model.name} [{model.param_text}]: {str(r.verdict).upper()}"
        head += f": {r.property}" if r.property else ""
        what = {Verdict.DEADLOCK: "path to the deadlock", Verdict.ERROR: "trace to the error"}.get(
            r.verdict, "counterexample")
        shortest = "not claimed shortest" if r.extra.get("trace_minimal") is False else "shortest"
        out += [head, f"  engine {r.engine} ({r.bound}): {r.stats.states:,} states; {what} of "
                      f"{len(r.trace)} steps ({shortest}), {len(chart.rows)} shown, {chart.switches} thread "
                      "switches", ""]
        out += commit_columns(chart)
        if r.verdict == Verdict.VIOLATED and r.property:
            p = model.property(r.property)
            out += [""] + wrap_words(f"{p.name}: {show(p.expr)}", WIDTH, "    ", "        ")
            out += wrap_words(f"({p.doc})", WIDTH, "    ", "     ") if p.doc else []
        elif r.message and r.verdict != Verdict.ERROR:  # an error's message ends the columns already
            out += ["", f"    {r.message}"]
    return "\n".join(out)
