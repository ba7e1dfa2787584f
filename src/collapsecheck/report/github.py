"""GitHub Actions integration: ``::error`` workflow commands and the job's step summary.

Annotations: one ``::error file=..,line=..,title=..::message`` per *error* finding (a manifest mismatch
or an unexpected violation) at the model file and the property's line, escaped as actions/toolkit does.
GitHub keeps only 10 error annotations per step, so past that a single warning says how many were left
out. Expected violations (reproduced pre-fix bugs) are not annotated: they are the gate working.
Step summary: the summary table plus, per counterexample, a Mermaid sequence diagram (GitHub renders
Mermaid in the summary), failing entries first and expanded. It must not run engines or read the
environment (``commands.py`` decides when to emit these).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from collapsecheck.report.findings import findings
from collapsecheck.report.mermaid import chart_mermaid
from collapsecheck.report.sequence import build_chart
from collapsecheck.report.summary import COLUMNS, summary_row

if TYPE_CHECKING:
    from collapsecheck.result.rows import Row

MAX_ERRORS = 10


def escape_data(text: str) -> str:
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_property(text: str) -> str:
    return escape_data(text).replace(":", "%3A").replace(",", "%2C")


def annotations(rows: "list[Row]", manifest: str = "models/manifest.toml") -> list[str]:
    errors = [f for f in findings(rows, manifest) if f.level == "error"]
    out = []
    for f in errors[:MAX_ERRORS]:
        props = f"file={escape_property(f.loc.file)},line={f.loc.line},title={escape_property(f.title)}"
        out.append(f"::error {props}::{escape_data(f.message)}")
    if len(errors) > MAX_ERRORS:
        out.append(f"::warning title=collapsecheck::{len(errors) - MAX_ERRORS} more finding(s) were not "
                   "annotated (GitHub shows 10 per step); see the job summary")
    return out


def step_summary(rows: "list[Row]") -> str:
    ok = sum(1 for r in rows if r.ok)
    out = [f"## collapsecheck: {ok}/{len(rows)} manifest entries as expected", "",
           "| " + " | ".join(COLUMNS) + " |", "|" + "---|" * len(COLUMNS)]
    out += ["| " + " | ".join(c.replace("|", "\\|") for c in summary_row(r)) + " |" for r in rows]
    out.append("")
    for row in sorted(rows, key=lambda r: r.ok):  # failing entries first (stable sort keeps the order)
        r = row.results.get("explicit") or row.primary
        if r is None or row.model is None:
            continue
        name = row.entry.property if row.entry.property in r.violations else r.property
        trace = r.violations.get(name) if name else r.trace
        if trace is None or not trace.steps:
            continue
        chart = build_chart(row.model, r, trace, name if name in r.violations else None)
        head = f"{row.status} {row.entry.key}: {chart.ending.title if chart.ending else r.verdict}"
        out += [f"<details{' open' if not row.ok else ''}><summary>{head} ({len(trace)} steps)</summary>", "",
                "```mermaid", chart_mermaid(chart).rstrip("\n"), "```", "", "</details>", ""]
    return "\n".join(out) + "\n"
