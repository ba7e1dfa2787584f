"""Entry point of the explicit engine for the registry: limits, optional progress display, result.

Kept apart from ``engine.py`` so the search itself stays free of terminal handling. It must not decide
verdicts (``engine.verdict_of`` does).
"""

from __future__ import annotations

import sys
import time

from collapsecheck.engines import CheckConfig
from collapsecheck.explicit import engine
from collapsecheck.model.core import Model
from collapsecheck.result import CheckResult


def _progress_printer() -> object:
    start = time.monotonic()

    def show(found: object, states: list[tuple]) -> None:
        elapsed = time.monotonic() - start
        done = getattr(found, "next", 0)
        sys.stderr.write(f"\r  states {len(states):>10,}  {len(states) / max(elapsed, 1e-9):>9,.0f}/s  "
                         f"queue {len(states) - done:>9,}  {elapsed:6.1f}s  rss {_rss_mb():,.0f} MB ")
        sys.stderr.flush()

    return show


def _rss_mb() -> float:
    try:
        with open("/proc/self/statm") as f:
            import os

            return int(f.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20
    except OSError:
        return 0.0


def run(model: Model, config: CheckConfig) -> CheckResult:
    progress = _progress_printer() if config.progress and sys.stderr.isatty() else None
    result, ex = engine.check(model, max_states=config.max_states, timeout=config.timeout,
                              progress=progress, record_edges=config.graph)  # type: ignore[arg-type]
    if progress is not None:
        sys.stderr.write("\n")
    result.artifacts["exploration"] = ex
    return result
