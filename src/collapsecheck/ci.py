"""CI-facing outputs of ``collapsecheck verify``: JUnit/SARIF on stdout or in files, the commit-message
text of one model, and, under GitHub Actions, error annotations and the job's step summary.

This module decides *when* to emit (``--format``, ``--junit``/``--sarif`` paths, ``GITHUB_ACTIONS=true``,
``$GITHUB_STEP_SUMMARY``) and where to write; the formats themselves live in ``collapsecheck.report``.
It must not decide verdicts or compare expectations (``verify.py`` does).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Mapping

import click

from collapsecheck import manifest, verify
from collapsecheck.errors import UsageError, relpath
from collapsecheck.model.core import Model
from collapsecheck.result import CheckResult, Verdict

MACHINE_FORMATS = ("junit", "sarif")


def single_rows(model: Model, results: Mapping[str, CheckResult]) -> list[verify.Row]:
    """A one-entry gate row for ``verify MODEL``: the implicit expectation of a bare check is "holds"."""
    entry = manifest.Entry(model=model.name, params=dict(model.params), expect=Verdict.HOLDS)
    row = verify.Row(entry, dict(results), model)
    row.problems = verify.compare(entry, results)
    return [row]


def machine_text(fmt: str, rows: list[verify.Row], manifest_path: Path | None = None) -> str:
    mpath = relpath(str(manifest_path)) if manifest_path else "models/manifest.toml"
    if fmt == "junit":
        from collapsecheck.report.junit import junit_xml

        return junit_xml(rows)
    from collapsecheck.report.sarif import sarif_text

    return sarif_text(rows, mpath)


def write_files(rows: list[verify.Row], junit: Path | None, sarif: Path | None,
                manifest_path: Path | None = None) -> None:
    for fmt, path in (("junit", junit), ("sarif", sarif)):
        if path is None:
            continue
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(machine_text(fmt, rows, manifest_path), encoding="utf-8")
        except OSError as e:
            raise UsageError(f"cannot write {path}: {e.strerror}") from None
        click.echo(f"wrote {relpath(str(path))} ({fmt})", err=True)


def github(rows: list[verify.Row], fmt: str, manifest_path: Path | None = None,
           env: Mapping[str, str] | None = None) -> None:
    """Under GitHub Actions: annotations (on stdout for text output, else stderr, so a JSON/SARIF/JUnit
    document on stdout stays valid; the runner reads workflow commands from both) and the step summary."""
    env = os.environ if env is None else env
    if env.get("GITHUB_ACTIONS") != "true":
        return
    from collapsecheck.report.github import annotations, step_summary

    mpath = relpath(str(manifest_path)) if manifest_path else "models/manifest.toml"
    for line in annotations(rows, mpath):
        click.echo(line, err=fmt != "text")
    target = env.get("GITHUB_STEP_SUMMARY")
    if target:
        try:
            with open(target, "a", encoding="utf-8") as f:
                f.write(step_summary(rows))
        except OSError as e:
            click.echo(f"warning: cannot append to $GITHUB_STEP_SUMMARY ({target}): {e.strerror}", err=True)


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
        out += [head, f"  engine {r.engine} ({r.bound}): {r.stats.states:,} states; counterexample of "
                      f"{len(r.trace)} steps (shortest), {len(chart.rows)} shown, {chart.switches} thread "
                      "switches", ""]
        out += commit_columns(chart)
        if r.verdict == Verdict.VIOLATED and r.property:
            p = model.property(r.property)
            out += [""] + wrap_words(f"{p.name}: {show(p.expr)}", WIDTH, "    ", "        ")
            out += wrap_words(f"({p.doc})", WIDTH, "    ", "     ") if p.doc else []
        elif r.message:
            out += ["", f"    {r.message}"]
    return "\n".join(out)
