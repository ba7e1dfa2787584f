"""Entry point of the explicit engine for the registry: limits, progress figures, result.

Kept apart from ``engine.py`` so the search itself stays free of terminal handling: the search reports
its figures (states, states/s, queue, depth, memory) to ``progress``, which paints them on a terminal.
It must not decide verdicts (``engine.verdict_of`` does).
"""

from __future__ import annotations

import time

from collapsecheck import progress as status
from collapsecheck.engine_config import CheckConfig
from collapsecheck.explicit import engine
from collapsecheck.limits import LimitReached, rss_bytes
from collapsecheck.model.core import Model
from collapsecheck.result import CheckResult


def _progress_figures() -> object:
    """Called by the search about once a second: its figures, for the display and for limit messages."""
    start = time.monotonic()

    def show(found: object, states: list) -> None:
        elapsed = time.monotonic() - start
        done = getattr(found, "next", 0)
        depth_of = getattr(found, "depth_of", None)
        status.figures(states=len(states), states_per_s=int(len(states) / max(elapsed, 1e-9)),
                       queue=len(states) - done, transitions=getattr(found, "transitions", 0),
                       depth=depth_of(done) if depth_of is not None and done < len(states) else 0,
                       memory_mb=int(rss_bytes() / 2**20))

    return show


def run(model: Model, config: CheckConfig) -> CheckResult:
    progress = _progress_figures()
    opts = config.options
    mb = opts.get("max_memory_mb")
    result, ex = engine.check(model, max_states=config.max_states, timeout=config.timeout,
                              progress=progress, record_edges=config.graph,  # type: ignore[arg-type]
                              max_memory=int(mb) * 2**20 if mb else None, por=bool(opts.get("por")),
                              symmetry=bool(opts.get("symmetry")))
    # Under reductions the traces were rebuilt by an unreduced search already; re-ordering them would
    # need the full graph, which is what the reduction avoided.
    if opts.get("fewest_switches", True) and not ex.reduction and ex.found.error is None:
        # Same length, fewest events, then fewest thread switches: a counterexample that reads like the
        # CPU A / CPU B story of a commit message.
        from collapsecheck.explicit.shortest_events import prefer_fewest_events

        status.phase("fewest events, then thread switches, among the shortest counterexamples")
        try:
            prefer_fewest_events(result, ex)
        except LimitReached:
            result.extra["fewest_switches"] = False  # the verdict and the (shortest, BFS) traces stand
    if opts.get("coverage"):
        if result.bound == "exhaustive" and not ex.reduction:
            from collapsecheck.explicit import coverage

            result.extra["coverage"] = coverage.compute(ex)
        else:
            result.extra["coverage"] = {"not_computed": f"the search was not complete and unreduced ({result.bound})"}
    result.artifacts["exploration"] = ex
    return result
