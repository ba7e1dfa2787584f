"""Refutation at the kernel's size: bmc at pages=512 without a certificate, and the certificate replay.

For every pre-fix model and mutant of the manifest this prints: the time bmc needs at pages=512 when no
counterexample certificate exists, how the counterexample was found (``bmc``: the page-count reduction,
counterexample-guided refinement, concretisation and replay at 512; ``pumped``: the explicit engine's
shortest counterexamples at pages 2, 3, 4 pumped to 512 and replayed, ``symbolic/pump.py``), the time the
pumping took, the violated property and the trace length, whether it is known to be the shortest, and
the time the same check takes when the certificate it stored is replayed (what the gate pays).

The bmc search after pumping only looks for a shorter counterexample, for ``--shorter-search`` seconds:
for a family whose shortest counterexample grows with the page count (one loop iteration per page) the
total is about that, and the depth bmc reached is the lower bound printed with the trace.

    python bench/refute_512.py [--timeout 240] [--shorter-search 60] [--only MODEL[:VARIANT],...] [--pump off]

Each row runs in a fresh certificate folder (a temporary directory), so the figures never depend on the
certificates stored beside the manifest. Timings are wall-clock seconds on whatever else the machine runs.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from collapsecheck.orchestration import loader
from collapsecheck.engine_config import CheckConfig
from collapsecheck.symbolic.engines import run_bmc

ROOT = Path(__file__).resolve().parent.parent
CASES = [
    ("collapse_file_vs_uffd_register", "pre_fix"),
    ("collapse_file_vs_uffd_register", "late_check_no_retry"),
    ("collapse_file_vs_uffd_register", "no_recheck"),
    ("collapse_file_lock_sequence", "pre_fix"),
    ("collapse_file_vs_madvise_collapse", "unlock_before_restore"),
    ("collapse_file_xas_store_enomem", "pre_fix"),
    ("collapse_file_xas_store_enomem", "pre_fix_ndebug"),
    ("collapse_file_xas_store_enomem", "cursor_a2e17cc2"),
    ("collapse_file_xas_store_enomem", "cursor_c8a8f3b4"),
    ("collapse_huge_page_poison", "pre_fix"),
    ("collapse_huge_page_poison", "release_before_repopulate"),
    ("collapse_file_poison", "pre_fix"),
    ("collapse_file_poison", "unlock_before_publish"),
]


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timeout", type=float, default=240.0, help="seconds per bmc run without a certificate")
    ap.add_argument("--depth", type=int, default=40)
    ap.add_argument("--only", default="", help="comma-separated MODEL or MODEL:VARIANT")
    ap.add_argument("--pump", default="on", choices=["on", "off"], help="pump small-size counterexamples first")
    ap.add_argument("--shorter-search", type=float, default=60.0,
                    help="seconds bmc looks for a counterexample shorter than a pumped one")
    args = ap.parse_args()
    only = [x for x in args.only.split(",") if x]
    print(f"{'model':34} {'variant':22} {'bmc@512 s':>9} {'how':7} {'pump s':>6} {'verdict':12} {'len':>5} "
          f"{'shortest':8} {'replay s':>8}  property")
    for name, variant in CASES:
        if only and name not in only and f"{name}:{variant}" not in only:
            continue
        params = {"variant": variant, "pages": 512}
        with tempfile.TemporaryDirectory() as tmp:
            opts = {"certificate_dir": tmp, "pump": args.pump, "shorter_search": args.shorter_search}
            model = loader.build(ROOT / "models" / f"{name}.py", params)
            t0 = time.monotonic()
            res = run_bmc(model, CheckConfig(timeout=args.timeout, depth=args.depth, options=opts,
                                             build=loader.build))
            search = time.monotonic() - t0
            replay = "-"
            if res.trace is not None:
                t1 = time.monotonic()
                again = run_bmc(loader.build(ROOT / "models" / f"{name}.py", params),
                                CheckConfig(timeout=args.timeout, depth=args.depth, options=opts,
                                            build=loader.build))
                assert again.bound.startswith("counterexample certificate"), again.bound
                replay = f"{time.monotonic() - t1:.2f}"
        length = str(len(res.trace)) if res.trace is not None else "-"
        what = res.property or res.bound
        pumped = res.extra.get("pumped")
        how = "-" if res.trace is None else "pumped" if pumped else "bmc"
        pump_s = f"{sum(pumped['seconds'].values()):.1f}" if pumped else "-"
        shortest = "-" if res.trace is None else "no" if res.extra.get("trace_minimal") is False else "yes"
        print(f"{name:34} {variant:22} {search:9.1f} {how:7} {pump_s:>6} {str(res.verdict):12} {length:>5} "
              f"{shortest:8} {replay:>8}  {what}", flush=True)
        if pumped:
            print(f"    {pumped['message']}", flush=True)


if __name__ == "__main__":
    main()
