"""Reporters: text, figures, report pages and CI formats; and the ``reports/`` directory writer.

Reporters format results; they never run engines or decide verdicts. Modules: ``text`` (terminal output),
``events``/``sequence`` (what a counterexample shows), ``dot``/``mermaid``/``columns`` (ways to draw it),
``render`` (running Graphviz), ``statespace`` (the reachable-graph picture), ``instance``/``markdown``/
``html``/``summary`` (the ``reports/`` pages), ``sarif``/``junit``/``github`` (CI formats).
"""

from __future__ import annotations

from pathlib import Path


def _write(path: Path, data: bytes) -> None:
    # Rewriting identical bytes is harmless, but skipping it keeps mtimes (and editors) quiet.
    if not path.is_file() or path.read_bytes() != data:
        path.write_bytes(data)


def write_reports(rows: list, out_dir: Path, svg: bool = True) -> None:
    """Write ``summary.md`` and, per manifest entry, ``<instance>.md`` and ``<instance>.html``; for a
    counterexample also ``<instance>.dot`` and (when Graphviz is installed) ``<instance>.svg``.

    Everything is byte-stable for a given Graphviz build. Without ``dot`` a stale ``<instance>.svg`` is
    removed so that no page points at a picture of an older result."""
    from collapsecheck.report.html import page_html
    from collapsecheck.report.instance import gather
    from collapsecheck.report.markdown import page_markdown
    from collapsecheck.report.summary import summary_markdown

    out_dir.mkdir(parents=True, exist_ok=True)
    _write(out_dir / "summary.md", summary_markdown(rows).encode("utf-8"))
    from collapsecheck.report.coverage import coverage_markdown

    cov = coverage_markdown(rows)
    if cov is not None:
        _write(out_dir / "coverage.md", cov.encode("utf-8"))
    for row in rows:
        inst = gather(row, want_svg=svg)
        _write(out_dir / f"{inst.slug}.md", page_markdown(inst).encode("utf-8"))
        _write(out_dir / f"{inst.slug}.html", page_html(inst).encode("utf-8"))
        dot_path, svg_path = out_dir / f"{inst.slug}.dot", out_dir / f"{inst.slug}.svg"
        if inst.figure is not None and inst.figure.dot:
            _write(dot_path, inst.figure.dot.encode("utf-8"))
        elif dot_path.exists():
            dot_path.unlink()
        if inst.figure is not None and inst.figure.svg is not None:
            _write(svg_path, inst.figure.svg)
        elif svg_path.exists():
            svg_path.unlink()
