"""Cost of choosing the counterexample shown, after the search: fewest switches (the former pass) against
fewest events then fewest switches (``explicit/shortest_events.py``), on one exploration, alternating,
best of ``--repeat``; and the steps, events and switches of each choice. The search itself is not timed
here (``states_per_second.py`` does that). Figures, not assertions.

    python bench/trace_selection.py [--model NAME] [-p key=value ...] [--pages 2 4 6] [--repeat 5]
"""

from __future__ import annotations

import argparse
import copy
import time
from pathlib import Path

from collapsecheck.orchestration import loader
from collapsecheck.explicit import engine
from collapsecheck.explicit.shortest_events import count_events, prefer_fewest_events
from collapsecheck.explicit.switches import count_switches, prefer_fewest_switches

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="collapse_file_vs_uffd_register")
    ap.add_argument("--pages", type=int, nargs="+", default=[2, 4, 6])
    ap.add_argument("--repeat", type=int, default=5)
    ap.add_argument("-p", dest="params", action="append", default=[])
    args = ap.parse_args()
    params = dict(p.split("=", 1) for p in ["variant=pre_fix"] + args.params)
    print(f"{args.model} {' '.join(f'{k}={v}' for k, v in params.items())}")
    print(f"{'pages':>5} {'states':>9} {'search s':>9} {'switches s':>10} {'events s':>9}  "
          f"{'steps':>5} {'ev(bfs)':>7} {'ev(sw)':>6} {'ev(ev)':>6} {'sw(sw)':>6} {'sw(ev)':>6}")
    for n in args.pages:
        model = loader.build(ROOT / "models" / f"{args.model}.py", {**params, "pages": str(n)})
        t0 = time.perf_counter()
        res, ex = engine.check(model)
        search = time.perf_counter() - t0
        if res.trace is None:
            print(f"{n:>5} {res.stats.states:>9,} {search:>9.3f}  (no counterexample)")
            continue
        best = {"sw": float("inf"), "ev": float("inf")}
        out = {}
        for _ in range(args.repeat):
            for key, fn in (("sw", prefer_fewest_switches), ("ev", prefer_fewest_events)):
                r = copy.copy(res)
                r.violations = dict(res.violations)
                t0 = time.perf_counter()
                fn(r, ex)
                best[key] = min(best[key], time.perf_counter() - t0)
                out[key] = r.trace
        prop = res.property
        print(f"{n:>5} {res.stats.states:>9,} {search:>9.3f} {best['sw']:>10.3f} {best['ev']:>9.3f}  "
              f"{len(res.trace):>5} {count_events(model, res.trace, prop):>7} "
              f"{count_events(model, out['sw'], prop):>6} {count_events(model, out['ev'], prop):>6} "
              f"{count_switches(out['sw']):>6} {count_switches(out['ev']):>6}")


if __name__ == "__main__":
    main()
