"""Explicit-engine throughput on the post-fix userfaultfd model at 2, 3 and 4 pages (and more with -n).

Prints distinct states, transitions, seconds and states/s per size; best of ``--repeat`` runs. Figures,
not assertions: speed targets live here, never in unit tests.

    python bench/states_per_second.py [--pages 2 3 4] [--repeat 3] [--model NAME] [-p key=value ...]
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
    ap.add_argument("-p", dest="params", action="append", default=["variant=post_fix"])
    args = ap.parse_args()
    params = dict(p.split("=", 1) for p in args.params)
    print(f"{args.model} {' '.join(f'{k}={v}' for k, v in params.items())}")
    print(f"{'pages':>5} {'states':>10} {'transitions':>12} {'seconds':>8} {'states/s':>10}")
    for n in args.pages:
        model = loader.build(ROOT / "models" / f"{args.model}.py", {**params, "pages": str(n)})
        best = None
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            res, _ = engine.check(model)
            dt = time.perf_counter() - t0
            best = dt if best is None else min(best, dt)
        assert best is not None
        print(f"{n:>5} {res.stats.states:>10,} {res.stats.transitions:>12,} {best:>8.3f} {res.stats.states / best:>10,.0f}")


if __name__ == "__main__":
    main()
