"""``reports/summary.md``: a generated table with one row per manifest entry, linking each entry's page.

Deterministic: no timestamps, no absolute paths and no timings, so the file can be committed and diffed
(CI fails when regenerating it changes it). Times differ on every run and would make every commit dirty;
they are printed by the gate and carried by ``--format junit``/``json`` instead. It must not run engines.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from collapsecheck.report.instance import HEADER, expected_text, slug

if TYPE_CHECKING:
    from collapsecheck.result.rows import Row

COLUMNS = ("model", "parameters", "engine(s)", "expected", "observed", "states", "depth", "trace", "status")


def summary_row(row: "Row") -> list[str]:
    """The cells of one entry: engines joined; states and depth from the explicit engine when it ran."""
    e = row.entry
    engines = ", ".join(row.results) or ", ".join(e.engines)
    if row.error:
        return [e.model, e.param_text, engines, expected_text(row), "error", "", "", "", "ERROR"]
    observed: list[str] = []
    for r in row.results.values():
        text = str(r.verdict) + (f" ({r.property})" if r.property else "")
        if text not in observed:
            observed.append(text)
    main = row.results.get("explicit") or row.primary
    states = str(main.stats.states) if main is not None else ""
    depth = str(main.stats.depth) if main is not None else ""
    trace = ""
    if main is not None:
        t = main.violations.get(e.property) if e.property else None
        t = t if t is not None else main.trace
        trace = str(len(t)) if t is not None else ""
    return [e.model, e.param_text, engines, expected_text(row), "; ".join(observed), states, depth, trace,
            row.status]


def summary_markdown(rows: "list[Row]") -> str:
    lines = [HEADER, "", "# collapsecheck verification summary", "",
             "One row per entry of `models/manifest.toml`; each entry links to its page (verdict, figures, "
             "counterexample diagram and trace). Run times are left out on purpose so this file only "
             "changes when a result does.", "",
             "| " + " | ".join(COLUMNS) + " | page |", "|" + "---|" * (len(COLUMNS) + 1)]
    for row in rows:
        cells = [c.replace("|", "\\|") for c in summary_row(row)]
        name = slug(row.entry.model, row.entry.params)
        lines.append("| " + " | ".join(cells) + f" | [md]({name}.md), [html]({name}.html) |")
    return "\n".join(lines) + "\n"
