"""The ``collapsecheck`` command line (click). Parsing and dispatch only: no logic lives here.

Exit codes of ``verify MODEL``: 0 holds, 10 violated, 11 deadlock, 12 vacuous (a witness never reached),
13 inconclusive (a limit was hit or a solver gave up), 14 bounded (no violation up to a depth, no proof),
15 model run-time error (verdict ``error``: a reachable step assigns or indexes out of range), 2 usage or
model error. ``verify`` without a model
runs the manifest gate: 0 every entry matched, 1 some entry did not, 2 a model or the manifest is invalid.
70 is an internal error of collapsecheck itself.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any, Callable

import click

from collapsecheck import __version__
from collapsecheck.errors import CollapsecheckError, InternalError
from collapsecheck.result import EXIT_USAGE

EXIT_INTERNAL = 70
# --prove-skip: the prove engine's option that leaves each strengthening pass out
PROVE_SKIP = {"cti": ("cti_rounds", "0"), "counts": ("counts", "off"), "linear": ("linear", "off")}


def _guard(fn: Callable[[], int]) -> None:
    """Run a command body; errors become one paragraph on stderr and an exit code, never a traceback."""
    try:
        code = fn()
    except InternalError as e:
        click.echo(f"internal error: {e}", err=True)
        sys.exit(EXIT_INTERNAL)
    except CollapsecheckError as e:
        click.echo(f"error: {e}", err=True)
        sys.exit(EXIT_USAGE)
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        sys.exit(130)
    except BrokenPipeError:  # the reader of stdout went away (`| head`): stop quietly, as a shell tool does
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(141)
    except Exception as e:  # noqa: BLE001
        if os.environ.get("COLLAPSECHECK_DEBUG"):
            raise
        click.echo(f"internal error: {type(e).__name__}: {e} (set COLLAPSECHECK_DEBUG=1 for a traceback; "
                   "please report it)", err=True)
        sys.exit(EXIT_INTERNAL)
    sys.exit(code)


def _models_option(fn: Callable[..., None]) -> Callable[..., None]:
    return click.option("--models", "models", type=click.Path(file_okay=False, path_type=Path), default=None,
                        metavar="DIR", help="Folder of model files (default: models/ in this folder or the "
                                            "nearest one above).")(fn)


def _params(pairs: tuple[str, ...]) -> dict[str, str]:
    from collapsecheck.errors import UsageError

    out: dict[str, str] = {}
    for p in pairs:
        if "=" not in p:
            raise UsageError(f"-p expects key=value, got {p!r}")
        k, v = p.split("=", 1)
        out[k.strip()] = v
    return out


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="collapsecheck")
def main() -> None:
    """Model checker for the Linux kernel's huge-page collapse concurrency (khugepaged, MADV_COLLAPSE).

    \b
    Exit codes of `verify MODEL`: 0 holds, 10 violated, 11 deadlock, 12 vacuous,
    13 inconclusive, 14 bounded (no violation up to a depth), 15 model run-time error
    (out-of-range value or index), 2 usage or model error.
    `verify` with no MODEL runs every entry of models/manifest.toml: 0 all match, 1 mismatch, 2 error.
    """


@main.command()
@click.argument("model", required=False)
@_models_option
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE", help="Model build parameter.")
@click.option("--engine", "engine_names", multiple=True,
              help="Engine(s): explicit, bmc, kind, pdr, prove, all. On the gate it replaces the engines of the "
                   "entries that run the explicit engine; the 512-page and every-N entries keep theirs.")
@click.option("--format", "fmt", type=click.Choice(["text", "commit", "json", "junit", "sarif"]), default="text",
              show_default=True, help="stdout format; commit: counterexamples as CPU columns (one model).")
@click.option("--junit", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write JUnit XML (one test case per manifest entry) to this file.")
@click.option("--sarif", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Also write SARIF 2.1.0 (one result per violated or mismatched property) to this file.")
@click.option("--max-states", type=click.IntRange(1), default=5_000_000, show_default=True,
              help="Stop (inconclusive) after this many distinct states.")
@click.option("--timeout", type=click.FloatRange(0, min_open=True), default=600.0, show_default=True,
              help="Seconds per engine run, every engine and phase, before giving up (inconclusive).")
@click.option("--depth", type=click.IntRange(1), default=40, show_default=True, help="Bound for bmc/kind.")
@click.option("--manifest", "manifest_path", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Manifest for the gate (default: manifest.toml in the models folder); its models are "
                   "looked up in its own folder unless --models says otherwise.")
@click.option("--only", multiple=True, help="Gate: run only these models.")
@click.option("--skip", multiple=True, help="Gate: skip these models.")
@click.option("--budget", type=click.Choice(["fast", "all"]), default="all", show_default=True)
@click.option("--update", is_flag=True, help="Gate: rewrite the states/trace_len pins in the manifest.")
@click.option("--reports", "reports_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Gate: where to write reports (default: reports/ beside the manifest, or beside its "
                   "folder when that folder is models/).")
@click.option("--no-reports", is_flag=True, help="Gate: do not write reports/.")
@click.option("--progress/--no-progress", default=True, help="Progress on stderr when it is a terminal.")
@click.option("--coverage", is_flag=True,
              help="Explicit engine: list steps, branch/choose cases and property disjuncts never exercised "
                   "(the gate warns about any not in the entry's `uncovered` list).")
@click.option("--max-memory", type=click.IntRange(1), default=None, metavar="MB",
              help="Stop (inconclusive) once resident memory exceeds this many MB (every engine).")
@click.option("--por/--no-por", default=False, show_default=True,
              help="Explicit engine: partial-order reduction (same verdicts, fewer states; pins not compared).")
@click.option("--symmetry/--no-symmetry", default=False, show_default=True,
              help="Explicit engine: symmetry reduction over interchangeable threads (same verdicts).")
@click.option("--symbolic-size", default=None, metavar="SIZE",
              help="bmc/kind/pdr: prove for every value of this size (e.g. pages), by the page-count reduction.")
@click.option("--encoding", type=click.Choice(["auto", "flat", "reduced"]), default="auto", show_default=True,
              help="bmc/kind/pdr: one variable per page (flat) or the page-count reduction (auto: reduced "
                   "above 8 pages).")
@click.option("--portfolio", default=None, metavar="M1,M2,...",
              help="pdr: proof members to try, in order (spacer, spacer-global, closure, houdini, kind).")
@click.option("--full-trace", is_flag=True,
              help="Show every step of a counterexample (by default purely local steps are folded).")
@click.option("--write-certificate", is_flag=True,
              help="prove: store the re-checked invariant in models/certificates/ (re-checked, never trusted, "
                   "on later runs).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None,
              help="Gate: worker processes, one entry each at a time [default: all cores; 1: none]; "
                   "--max-memory holds per worker.")
@click.option("--prove-skip", multiple=True, type=click.Choice(["cti", "counts", "linear"]),
              help="prove: leave out a strengthening pass (counterexample loop, count terms, linear "
                   "equalities): faster inference, possibly fewer targets proved.")
def verify(model: str | None, params: tuple[str, ...], engine_names: tuple[str, ...], fmt: str, max_states: int,
           timeout: float, depth: int, manifest_path: Path | None, only: tuple[str, ...], skip: tuple[str, ...],
           budget: str, update: bool, reports_dir: Path | None, no_reports: bool, progress: bool,
           junit: Path | None, sarif: Path | None, max_memory: int | None, por: bool, symmetry: bool,
           symbolic_size: str | None, encoding: str, portfolio: str | None, full_trace: bool,
           coverage: bool, models: Path | None, write_certificate: bool, prove_skip: tuple[str, ...],
           jobs: int | None) -> None:
    """Check MODEL, or with no MODEL run every manifest entry (the CI gate).

    MODEL is a model name under models/ (collapse_file_vs_uffd_register) or a path to a model .py
    file (./my_race.py); -p sets its build() parameters.

    \b
    Exit codes: 0 holds, 10 violated, 11 deadlock, 12 vacuous, 13 inconclusive,
    14 bounded (no violation up to a depth), 15 model run-time error (verdict error: out-of-range value or array index,
    with the trace that reaches it), 2 usage or model error (file:line).
    Gate (no MODEL): 0 every entry as expected, 1 a mismatch, 2 an error.
    """
    from collapsecheck.orchestration import commands

    symbolic = {k: v for k, v in (("symbolic_size", symbolic_size), ("encoding", encoding),
                                  ("portfolio", portfolio)) if v is not None and v != "auto"}
    if write_certificate:
        symbolic["write_certificate"] = "yes"
    symbolic.update(PROVE_SKIP[name] for name in prove_skip)
    opts = dict(engines=list(engine_names), fmt=fmt, max_states=max_states, timeout=timeout, depth=depth,
                progress=progress, junit=junit, sarif=sarif, max_memory=max_memory, por=por, symmetry=symmetry,
                symbolic={**symbolic, "coverage": True} if coverage else symbolic, models=models)
    if model is None:
        _guard(lambda: commands.gate(manifest_path, only, skip, budget, update, reports_dir, no_reports, jobs=jobs,
                                     **opts))
    else:
        _guard(lambda: commands.verify_one(model, _params(params), full_trace=full_trace, **opts))


@main.command()
@click.argument("model")
@_models_option
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE")
@click.option("--json", "as_json", is_flag=True, help="Dump the frozen model as JSON.")
def show(model: str, params: tuple[str, ...], as_json: bool, models: Path | None) -> None:
    """Print MODEL: its variables, threads, steps and properties."""
    from collapsecheck.orchestration import commands

    _guard(lambda: commands.show(model, _params(params), as_json, models))


@main.command()
@click.argument("model")
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE", help="Model build parameter.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Output file: .dot/.svg/.png (Graphviz swimlanes), .mmd (Mermaid), .txt (CPU columns).")
@click.option("--property", "prop", default=None, help="Draw this violated property's counterexample.")
@click.option("--fewest-switches/--bfs-order", default=True, show_default=True,
              help="Among the shortest counterexamples, draw one with the fewest events, then the fewest "
                   "thread switches.")
@click.option("--notes/--no-notes", default=True, show_default=True, help="Column with each step's doc string.")
@click.option("--full-trace", is_flag=True,
              help="Draw every step (by default purely local steps are folded and listed).")
@click.option("--max-states", type=click.IntRange(1), default=5_000_000, show_default=True)
@click.option("--timeout", type=click.FloatRange(0, min_open=True), default=600.0, show_default=True)
@_models_option
def diagram(model: str, params: tuple[str, ...], output: Path, prop: str | None, fewest_switches: bool,
            notes: bool, full_trace: bool, max_states: int, timeout: float, models: Path | None) -> None:
    """Draw MODEL's counterexample as a sequence diagram (one lane per thread)."""
    from collapsecheck.orchestration import figures

    _guard(lambda: figures.diagram(model, _params(params), output, prop, fewest_switches, notes, max_states,
                                   timeout, full_trace, models))


@main.command()
@click.argument("model")
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE", help="Model build parameter.")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Output file: .dot, .svg or .png.")
@click.option("--cap", type=click.IntRange(1), default=500, show_default=True,
              help="Refuse graphs with more states than this.")
@click.option("--timeout", type=click.FloatRange(0, min_open=True), default=600.0, show_default=True)
@_models_option
def graph(model: str, params: tuple[str, ...], output: Path, cap: int, timeout: float, models: Path | None) -> None:
    """Draw the reachable interleaving graph of a small MODEL, the counterexample highlighted."""
    from collapsecheck.orchestration import figures

    _guard(lambda: figures.graph(model, _params(params), output, cap, timeout, models))


@main.command()
@click.argument("model")
@click.option("-p", "--param", "params", multiple=True, metavar="KEY=VALUE", help="Model build parameter.")
@click.option("--promela", is_flag=True, help="Write the model as Promela for SPIN (same state count).")
@click.option("-o", "--output", type=click.Path(dir_okay=False, path_type=Path), default=None,
              help="Output file (default: stdout).")
@_models_option
def export(model: str, params: tuple[str, ...], promela: bool, output: Path | None, models: Path | None) -> None:
    """Export MODEL to another checker's language (--promela: SPIN)."""
    from collapsecheck.orchestration import commands

    _guard(lambda: commands.export(model, _params(params), promela, output, models))


@main.command(name="list")
@_models_option
def list_(models: Path | None) -> None:
    """List the models and their manifest entries."""
    from collapsecheck.orchestration import commands

    _guard(lambda: commands.list_models(models))


@main.command(name="lint-trace")
@click.argument("paths", nargs=-1)
@click.option("--enum", "enum_source", metavar="SOURCE", help="C file with the enum the EM()/EMe() list mirrors (one header).")
@click.option("--callsite", "callsites", multiple=True, metavar="SOURCE", help="C file calling trace_<event>() (one header).")
@click.option("--callsites", "callsite_root", metavar="KERNEL_ROOT",
              help="Check every trace_<event>() call in the .c files of this tree (and lint its headers if no PATH).")
@click.option("--tree", metavar="KERNEL_ROOT", help="Kernel root in which #included helper headers are resolved.")
@click.option("--format", "fmt", type=click.Choice(["text", "json", "sarif"]), default="text", show_default=True)
@click.option("--severity", type=click.Choice(["error", "warning"]), default="warning", show_default=True,
              help="Lowest severity shown (the exit code counts errors either way).")
@click.option("--jobs", "-j", type=click.IntRange(min=1), default=None, help="Worker processes [default: all cores].")
@click.option("--progress/--no-progress", default=None, help="Progress line on stderr [default: when it is a terminal].")
def lint_trace(
    paths: tuple[str, ...], enum_source: str | None, callsites: tuple[str, ...], callsite_root: str | None,
    tree: str | None, fmt: str, severity: str, jobs: int | None, progress: bool | None,
) -> None:
    """Check kernel trace headers (files, or directories searched for *.h defining trace events):
    TP_PROTO/TP_ARGS, fields, TP_printk, EM lists, and trace_<event>() call sites.

    Exit 0 no errors (warnings allowed), 1 findings of severity error, 2 bad usage or nothing readable."""
    from collapsecheck import tracelint

    _guard(lambda: tracelint.main(
        paths, enum_source, callsites, fmt, tree=tree, callsite_root=callsite_root,
        severity=severity, jobs=jobs, progress=progress,
    ))


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, indent=2, sort_keys=False))


if __name__ == "__main__":
    main()
