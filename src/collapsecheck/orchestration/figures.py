"""Bodies of the figure commands: ``collapsecheck diagram`` (a counterexample's sequence diagram) and
``collapsecheck graph`` (the reachable interleaving graph of a small model).

They load the model, run the explicit engine, hand the result to the reporters and write the file named
by ``-o`` (format by suffix). Without Graphviz an .svg/.png request still writes the .dot beside it and
says so plainly. ``cli.py`` only parses arguments and calls these; verdicts are the engine's.
"""

from __future__ import annotations

from pathlib import Path

import click

from collapsecheck.engine_config import CheckConfig
from collapsecheck.errors import UsageError
from collapsecheck.orchestration import loader
from collapsecheck.result import EXIT_USAGE, Verdict

DIAGRAM_SUFFIXES = (".dot", ".svg", ".png", ".mmd", ".txt")


def _write_or_fallback(dot_text: str, out: Path) -> int:
    from collapsecheck.report.render import RenderUnavailable, write_figure

    try:
        click.echo(write_figure(dot_text, out), err=True)
        return 0
    except RenderUnavailable as e:
        fallback = out.with_suffix(".dot")
        click.echo(f"error: {e}", err=True)
        click.echo(write_figure(dot_text, fallback) + " instead", err=True)
        return EXIT_USAGE


def diagram(spec: str, params: dict[str, str], output: Path, prop: str | None, fewest_switches: bool,
            notes: bool, max_states: int, timeout: float, full: bool = False,
            models: Path | None = None) -> int:
    """Write the sequence diagram of MODEL's counterexample: .dot/.svg/.png (Graphviz swimlanes),
    .mmd (Mermaid) or .txt (commit-message columns)."""
    from collapsecheck.orchestration import engines
    from collapsecheck.report.columns import commit_columns
    from collapsecheck.report.dot import chart_dot
    from collapsecheck.report.mermaid import chart_mermaid
    from collapsecheck.report.sequence import build_chart

    if output.suffix.lower() not in DIAGRAM_SUFFIXES:
        raise UsageError(f"cannot tell the format of {output}: use one of {', '.join(DIAGRAM_SUFFIXES)}")
    model = loader.build(loader.resolve(spec, models), params)
    cfg = CheckConfig(max_states=max_states, timeout=timeout, options={"fewest_switches": fewest_switches})
    res = engines.run("explicit", model, cfg)
    if prop is not None:
        if prop not in [p.name for p in model.properties]:
            raise UsageError(f"model {model.name} has no property {prop!r}; properties: "
                             + ", ".join(p.name for p in model.properties))
        if prop not in res.violations:
            raise UsageError(f"property {prop} is not violated in {model.name} [{model.param_text}]: "
                             "there is no counterexample to draw")
        trace = res.violations[prop]
    else:
        trace, prop = res.trace, res.property if res.verdict == Verdict.VIOLATED else None
    if trace is None:
        state = {Verdict.HOLDS: "holds", Verdict.VACUOUS: "is vacuous (a witness is never reached)",
                 Verdict.INCONCLUSIVE: "is inconclusive"}.get(res.verdict, f"ends in {res.verdict}")
        raise UsageError(f"{model.name} [{model.param_text}] {state}: there is no counterexample to draw"
                         + (f" ({res.message})" if res.message else ""))
    chart = build_chart(model, res, trace, prop, full)
    suffix = output.suffix.lower()
    if suffix in (".mmd", ".txt"):
        text = chart_mermaid(chart) if suffix == ".mmd" else "\n".join(commit_columns(chart)) + "\n"
        try:
            output.parent.mkdir(parents=True, exist_ok=True)
            output.write_text(text, encoding="utf-8")
        except OSError as e:
            raise UsageError(f"cannot write {output}: {e.strerror}") from None
        click.echo(f"wrote {output}", err=True)
        return 0
    return _write_or_fallback(chart_dot(model, chart, notes=notes), output)


def graph(spec: str, params: dict[str, str], output: Path, cap: int, timeout: float,
          models: Path | None = None) -> int:
    """Write the reachable interleaving graph of a small model, the counterexample highlighted."""
    from collapsecheck.explicit import engine
    from collapsecheck.explicit.graph import state_graph
    from collapsecheck.explicit.shortest_events import prefer_fewest_events
    from collapsecheck.report.render import FORMATS
    from collapsecheck.report.statespace import graph_dot, too_large

    if output.suffix.lower().lstrip(".") not in FORMATS:
        raise UsageError(f"cannot tell the format of {output}: use .dot, .svg or .png")
    model = loader.build(loader.resolve(spec, models), params)
    # One state past the cap is enough to know the graph is too large, without exploring all of it.
    ex = engine.explore(model, max_states=cap, timeout=timeout, record_edges=True)
    if ex.found.stop is not None:
        if ex.found.note:  # stopped before the search: too many initial states, or a limit while counting
            raise UsageError(f"no graph drawn: {ex.found.note}")
        if ex.found.stop == "states":
            raise too_large(len(ex.states), cap, at_least=True)
        raise UsageError(f"the search hit the time limit after {len(ex.states):,} states; no graph drawn")
    res = engine.verdict_of(ex)
    prefer_fewest_events(res, ex)  # the same counterexample as `diagram` and `verify` show
    return _write_or_fallback(graph_dot(state_graph(ex), res, cap), output)
