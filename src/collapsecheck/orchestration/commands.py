"""Implementations of the CLI commands: orchestrate loader, engines, verify and reporters, print, and
return the exit code. ``cli.py`` only parses arguments and calls these. Nothing here decides verdicts.

One verify request flows down once: options -> ``CheckConfig`` -> ``verify`` (load, run engines,
compare) -> ``Row``s -> renderers (``collapsecheck.report``) -> stdout, ``reports/`` and CI outputs
(``ci.py``) -> exit code.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Iterable

import click

from collapsecheck.engine_config import CheckConfig
from collapsecheck.errors import UsageError, relpath
from collapsecheck.model.describe import model_json, model_text
from collapsecheck.orchestration import ci, engines, loader, manifest, verify
from collapsecheck.report.commit import commit_text
from collapsecheck.report.text import format_result, gate_line
from collapsecheck.result import EXIT_MISMATCH, EXIT_USAGE


def _engine_list(names: list[str], default: list[str]) -> list[str]:
    out: list[str] = []
    for n in names or default:
        for part in n.split(","):
            part = part.strip()
            if part == "all":
                out += [e for e in engines.available() if e not in out]
            elif part and part not in out:
                if part not in engines.available():
                    raise UsageError(f"unknown engine {part!r}; engines: {', '.join(engines.available())}, all")
                out.append(part)
    return out


def _config(max_states: int, timeout: float, depth: int, progress: bool, max_memory: int | None = None,
            por: bool = False, symmetry: bool = False, symbolic: dict[str, str] | None = None) -> CheckConfig:
    options: dict[str, object] = dict(symbolic or {})
    if max_memory is not None:
        options["max_memory_mb"] = max_memory
    if por:
        options["por"] = True
    if symmetry:
        options["symmetry"] = True
    return CheckConfig(max_states=max_states, timeout=timeout, depth=depth, progress=progress, options=options)


def verify_one(spec: str, params: dict[str, str], *, engines: list[str], fmt: str, max_states: int,
               timeout: float, depth: int, progress: bool, junit: Path | None = None,
               sarif: Path | None = None, max_memory: int | None = None, por: bool = False,
               symmetry: bool = False, symbolic: dict[str, str] | None = None, full_trace: bool = False,
               models: Path | None = None) -> int:
    names = _engine_list(engines, ["explicit"])
    if max_states != CheckConfig.max_states and "explicit" not in names:
        click.echo(f"note: --max-states bounds only the explicit engine's stored states; {', '.join(names)} "
                   f"{'stores' if len(names) == 1 else 'store'} no states (bounded by --timeout, --depth and "
                   "--max-memory)", err=True)
    path = loader.resolve(spec, models)
    model = loader.build(path, params)
    cfg = _config(max_states, timeout, depth, progress and fmt == "text", max_memory, por, symmetry, symbolic)
    results = {n: verify.check_model(model, n, cfg) for n in names}
    problems = verify.disagreements(results)
    rows = verify.single_rows(model, results)
    if fmt == "json":
        click.echo(json.dumps({"results": [r.to_json() for r in results.values()], "problems": problems},
                              indent=2))
    elif fmt in ci.MACHINE_FORMATS:
        click.echo(ci.machine_text(fmt, rows), nl=False)
    else:
        click.echo(commit_text(model, results, full_trace) if fmt == "commit" else
                   "\n".join(format_result(model, r, full_trace) for r in results.values()))
        for p in problems:
            click.echo(f"MISMATCH: {p}")
    ci.write_files(rows, junit, sarif)
    ci.github(rows, fmt)
    if problems:
        return EXIT_MISMATCH
    return next(iter(results.values())).verdict.exit_code


def gate(manifest_path: Path | None, only: Iterable[str], skip: Iterable[str], budget: str, update: bool,
         reports_dir: Path | None, no_reports: bool, *, engines: list[str], fmt: str, max_states: int,
         timeout: float, depth: int, progress: bool, junit: Path | None = None, sarif: Path | None = None,
         max_memory: int | None = None, por: bool = False, symmetry: bool = False,
         symbolic: dict[str, str] | None = None, models: Path | None = None, jobs: int | None = None) -> int:
    fmt = "text" if fmt == "commit" else fmt  # the gate's text output is one line per entry
    mpath = manifest_path or loader.models_dir_of(models) / "manifest.toml"
    if not mpath.is_file():
        raise UsageError(f"no manifest at {relpath(str(mpath))}; pass --manifest FILE or --models DIR")
    override = _engine_list(engines, []) or None
    cfg = _config(max_states, timeout, depth, progress and fmt == "text", max_memory, por, symmetry, symbolic)
    def echo(row: verify.Row) -> None:
        if fmt == "text":
            click.echo(gate_line(row))
        for w in row.warnings:
            click.echo(f"warning: {w}", err=True)

    if not only and not skip:
        for w in verify.unlisted_models(manifest.load(mpath), mpath.parent):
            click.echo(f"warning: {w}", err=True)
    t0 = time.monotonic()
    rows, general = verify.run_gate(mpath, cfg, only=only, skip=skip, budget=budget, engine_override=override,
                                    on_row=echo, models_dir=models, jobs=jobs)
    wall = time.monotonic() - t0
    if update:
        edits = manifest.update_pins(mpath, verify.pins_of(rows))
        click.echo(f"updated {edits} pin(s) in {relpath(str(mpath))}", err=True)
    if not no_reports:
        from collapsecheck.report import write_reports

        write_reports(rows, reports_dir or default_reports_dir(mpath))
    failed = [r for r in rows if not r.ok]
    errors = [r for r in rows if r.error]
    if fmt == "json":
        out = []
        for row in rows:
            for r in row.results.values():
                d = r.to_json(str(row.entry.expect))
                d["status"] = row.status
                d["problems"] = row.problems
                d["notes"] = row.notes
                out.append(d)
            if row.error:
                out.append({"model": row.entry.model, "params": row.entry.params, "status": "ERROR",
                            "error": row.error, "expected": str(row.entry.expect)})
        click.echo(json.dumps({"results": out, "problems": general}, indent=2))
    elif fmt in ci.MACHINE_FORMATS:
        click.echo(ci.machine_text(fmt, rows, mpath), nl=False)
    else:
        for g in general:
            click.echo(f"FAIL  {g}")
        total = sum(r.seconds for r in rows)
        click.echo(f"\n{len(rows) - len(failed)}/{len(rows)} manifest entries as expected"
                   + (f", {len(errors)} error(s)" if errors else "")
                   + f" ({wall:.1f} s wall, {total:.1f} s of checks)")
    ci.write_files(rows, junit, sarif, mpath)
    ci.github(rows, fmt, mpath)
    if errors:
        return EXIT_USAGE
    return EXIT_MISMATCH if failed or general else 0


def default_reports_dir(mpath: Path) -> Path:
    """``reports/`` beside the manifest; for a manifest in a ``models/`` folder (the project layout),
    beside that folder, where the project's committed reports are."""
    folder = mpath.resolve().parent
    return folder.parent / "reports" if folder.name == "models" else folder / "reports"


def export(spec: str, params: dict[str, str], promela: bool, output: Path | None, models: Path | None = None) -> int:
    if not promela:
        raise UsageError("choose an export format: --promela (SPIN)")
    from collapsecheck.promela.export import export as to_promela

    model = loader.build(loader.resolve(spec, models), params)
    text = to_promela(model).text
    if output is None:
        click.echo(text, nl=False)
    else:
        try:
            output.write_text(text)
        except OSError as e:
            raise UsageError(f"cannot write {output}: {e.strerror or e}") from None
        click.echo(f"wrote {relpath(str(output))}", err=True)
    return 0


def show(spec: str, params: dict[str, str], as_json: bool, models: Path | None = None) -> int:
    model = loader.build(loader.resolve(spec, models), params)
    if as_json:
        click.echo(json.dumps(model_json(model), indent=2))
    else:
        click.echo(model_text(model))
    return 0


def list_models(models: Path | None = None) -> int:
    d = loader.models_dir_of(models)
    mpath = d / "manifest.toml"
    entries = manifest.load(mpath) if mpath.is_file() else []
    for p in sorted(d.glob("*.py")):
        if p.stem.startswith("_"):
            continue
        mine = [e for e in entries if e.model == p.stem]
        click.echo(f"{p.stem}  ({len(mine)} manifest entr{'y' if len(mine) == 1 else 'ies'})")
        for e in mine:
            exp = str(e.expect) + (f"({e.property})" if e.property else "")
            click.echo(f"    {e.param_text or '(defaults)':<40} expect {exp}")
    return 0


