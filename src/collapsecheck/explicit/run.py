"""Entry point of the explicit engine for the registry: limits, optional progress display, result.

Kept apart from ``engine.py`` so the search itself stays free of terminal handling. It must not decide
verdicts (``engine.verdict_of`` does).
"""

from __future__ import annotations

import sys
import time

from collapsecheck.engine_config import CheckConfig
from collapsecheck.explicit import engine
from collapsecheck.model.core import Model
from collapsecheck.result import CheckResult


def _progress_printer() -> object:
    """One status line on stderr, rewritten at most once a second by the search."""
    start = time.monotonic()

    def show(found: object, states: list) -> None:
        elapsed = time.monotonic() - start
        done = getattr(found, "next", 0)
        depth_of = getattr(found, "depth_of", None)
        depth = depth_of(done) if depth_of is not None and done < len(states) else 0
        sys.stderr.write(f"\r  states {len(states):>11,}  {len(states) / max(elapsed, 1e-9):>9,.0f}/s  "
                         f"queue {len(states) - done:>10,}  depth {depth:>4}  {elapsed:7.1f} s  "
                         f"mem {engine.rss_bytes() / 2**20:>7,.0f} MB ")
        sys.stderr.flush()

    return show


def run(model: Model, config: CheckConfig) -> CheckResult:
    progress = _progress_printer() if config.progress and sys.stderr.isatty() else None
    opts = config.options
    mb = opts.get("max_memory_mb")
    result, ex = engine.check(model, max_states=config.max_states, timeout=config.timeout,
                              progress=progress, record_edges=config.graph,  # type: ignore[arg-type]
                              max_memory=int(mb) * 2**20 if mb else None, por=bool(opts.get("por")),
                              symmetry=bool(opts.get("symmetry")))
    if progress is not None:
        sys.stderr.write("\n")
    # Under reductions the traces were rebuilt by an unreduced search already; re-ordering them would
    # need the full graph, which is what the reduction avoided.
    if opts.get("fewest_switches", True) and not ex.reduction and ex.found.error is None:
        # Same length, fewest events, then fewest thread switches: a counterexample that reads like the
        # CPU A / CPU B story of a commit message.
        from collapsecheck.explicit.shortest_events import prefer_fewest_events

        prefer_fewest_events(result, ex)
    if opts.get("coverage"):
        if result.bound == "exhaustive" and not ex.reduction:
            from collapsecheck.explicit import coverage

            result.extra["coverage"] = coverage.compute(ex)
        else:
            result.extra["coverage"] = {"not_computed": f"the search was not complete and unreduced ({result.bound})"}
    result.artifacts["exploration"] = ex
    return result
