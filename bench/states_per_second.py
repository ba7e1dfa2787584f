"""Explicit-engine throughput on the post-fix userfaultfd model at 2, 3 and 4 pages (and more with -n).

Prints distinct states, transitions, seconds and states/s per size; best of ``--repeat`` runs. With
``--run`` it also times the whole registry run (``explicit.run.run``: the search plus the choice of the
counterexample shown, i.e. the fewest-events/fewest-switches pass on violated models) and prints the
counterexample's steps and events. Figures, not assertions: speed targets live here, never in unit tests.

    python bench/states_per_second.py [--pages 2 3 4] [--repeat 3] [--model NAME] [-p key=value ...] [--run]
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from collapsecheck.orchestration import loader
from collapsecheck.explicit import engine

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="collapse_file_vs_uffd_register")
    ap.add_argument("--pages", type=int, nargs="+", default=[2, 3, 4])
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("-p", dest="params", action="append", default=[])
    ap.add_argument("--run", action="store_true", help="also time the registry run (search + trace choice)")
    args = ap.parse_args()
    params = dict(p.split("=", 1) for p in ["variant=post_fix"] + args.params)
    print(f"{args.model} {' '.join(f'{k}={v}' for k, v in params.items())}")
    print(f"{'pages':>5} {'states':>10} {'transitions':>12} {'seconds':>8} {'states/s':>10}"
          + (f" {'run s':>8} {'trace':>6} {'events':>6}" if args.run else ""))
    for n in args.pages:
        model = loader.build(ROOT / "models" / f"{args.model}.py", {**params, "pages": str(n)})
        best = None
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            res, _ = engine.check(model)
            dt = time.perf_counter() - t0
            best = dt if best is None else min(best, dt)
        assert best is not None
        line = f"{n:>5} {res.stats.states:>10,} {res.stats.transitions:>12,} {best:>8.3f} {res.stats.states / best:>10,.0f}"
        if args.run:
            line += _run_figures(model, args.repeat)
        print(line)


def _run_figures(model: object, repeat: int) -> str:
    """Best time of the registry run, and the shown counterexample's steps and events (or "-")."""
    from collapsecheck.engine_config import CheckConfig
    from collapsecheck.explicit.run import run

    best = None
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = run(model, CheckConfig())  # type: ignore[arg-type]
        dt = time.perf_counter() - t0
        best = dt if best is None else min(best, dt)
    steps = events = "-"
    if res.trace is not None:
        steps = str(len(res.trace))
        try:
            from collapsecheck.explicit.shortest_events import count_events

            events = str(count_events(model, res.trace, res.property))
        except ImportError:  # an older tree, for comparisons
            pass
    return f" {best:>8.3f} {steps:>6} {events:>6}"


if __name__ == "__main__":
    main()
