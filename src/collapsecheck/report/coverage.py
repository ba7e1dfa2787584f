"""``reports/coverage.md``: per manifest entry, what the explicit search never exercised (``--coverage``).

Written only when the gate ran with ``--coverage``; one section per entry, the items named as a manifest
entry's ``uncovered`` list writes them, each marked expected or not. It formats only; it must not run
engines.
"""

from __future__ import annotations

from typing import Any


def coverage_markdown(rows: list[Any]) -> str | None:
    """The page, or None when no row carries coverage."""
    from collapsecheck.result.coverage import items

    sections = []
    for row in rows:
        cov = next((r.extra["coverage"] for r in row.results.values() if "coverage" in r.extra), None)
        if cov is None:
            continue
        head = f"## {row.entry.key}"
        if "not_computed" in cov:
            sections.append(f"{head}\n\nnot computed: {cov['not_computed']}\n")
            continue
        names = items(cov)
        if not names:
            sections.append(f"{head}\n\nevery step, case and property disjunct was exercised\n")
            continue
        expected = set(row.entry.uncovered)
        body = "\n".join(f"- `{n}`" + (" (expected)" if n in expected else " **not expected**") for n in names)
        sections.append(f"{head}\n\n{body}\n")
    if not sections:
        return None
    return ("# Coverage\n\nSteps, branch/choose cases and property disjuncts that the complete explicit search "
            "never exercised (`collapsecheck verify --coverage`). An item a manifest entry lists in "
            "`uncovered` is expected; any other draws a gate warning.\n\n" + "\n".join(sections))
