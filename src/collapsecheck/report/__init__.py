"""Reporters: text, summary Markdown, and the ``reports/`` directory writer.

Reporters format results; they never run engines or decide verdicts.
"""

from __future__ import annotations

from pathlib import Path


def write_reports(rows: list, out_dir: Path) -> None:
    """Write ``summary.md`` (and, once available, one page per model) under ``out_dir``."""
    from collapsecheck.report.summary import summary_markdown

    out_dir.mkdir(parents=True, exist_ok=True)
    (out_dir / "summary.md").write_text(summary_markdown(rows), encoding="utf-8")
