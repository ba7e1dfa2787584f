"""Where the explicit engine spends its time: cProfile by function, and line_profiler over the generated
hot loop (its source is registered with ``linecache`` so every generated line is shown with its cost).

    python bench/profile_explicit.py [--model NAME] [-p key=value ...] [--lines] [--top 15]

Figures, not assertions. ``--lines`` needs ``pip install line-profiler``.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import pstats
import time
from pathlib import Path

from collapsecheck.orchestration import loader
from collapsecheck.explicit import engine
from collapsecheck.explicit.codegen import compile_model

ROOT = Path(__file__).resolve().parent.parent


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--model", default="collapse_file_lock_sequence")
    ap.add_argument("-p", dest="params", action="append", default=[])
    ap.add_argument("--lines", action="store_true", help="line-by-line profile of the generated search")
    ap.add_argument("--top", type=int, default=15)
    args = ap.parse_args()
    params = {"variant": "post_fix", "pages": "5", **dict(p.split("=", 1) for p in args.params)}
    model = loader.build(ROOT / "models" / f"{args.model}.py", params)
    print(f"{args.model} {' '.join(f'{k}={v}' for k, v in params.items())}")

    comp = compile_model(model)
    t0 = time.perf_counter()
    ex = engine.explore(model, compiled=comp)
    plain = time.perf_counter() - t0
    print(f"unprofiled: {len(ex.packed):,} states, {ex.found.transitions:,} transitions, {plain:.2f} s, "
          f"{len(ex.packed) / plain:,.0f} states/s")
    print(f"transition-cache entries per thread: {[len(c) for c in comp.caches]}; "
          f"property-cache entries: {[len(c) for c in comp.prop_caches]}")

    comp.clear_caches()
    prof = cProfile.Profile()
    prof.enable()
    engine.explore(model, compiled=comp)
    prof.disable()
    out = io.StringIO()
    pstats.Stats(prof, stream=out).sort_stats("tottime").print_stats(args.top)
    print(out.getvalue())

    if args.lines:
        from line_profiler import LineProfiler

        comp.clear_caches()
        lp = LineProfiler(comp.explore, comp.check)
        lp.runcall(engine.explore, model, compiled=comp)
        # The generated source has no file: print each profiled line next to its source text.
        src = comp.source.splitlines()
        for (_, first, name), timings in lp.get_stats().timings.items():
            total = sum(t for _, _, t in timings) or 1
            print(f"--- generated {name}: {total * lp.get_stats().unit:.3f} s (line-profiled)")
            for line, hits, t in sorted(timings):
                print(f"{line:>5} {hits:>9} {100 * t / total:5.1f}%  {src[line - 1][:100]}")


if __name__ == "__main__":
    main()
