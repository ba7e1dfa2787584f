"""Proof and refutation times by page count: explicit engine vs the symbolic engines.

For the post-fix userfaultfd and lock-sequence models: the explicit engine's time (and states) for the
sizes it can reach, and ``pdr``'s time to a proof for N = 2, 3, 4, 8, 64, 512 and for a symbolic N; for the
pre-fix userfaultfd model, ``bmc``'s time to a replayed counterexample at the same sizes. Every symbolic
attempt runs under ``--timeout`` (default 60 s); an attempt that ends inconclusive prints why.

    python bench/symbolic_sizes.py [--timeout 60] [--sizes 2,3,4,8,64,512] [--explicit-limit 4000000]

Figures are wall-clock seconds of one run on this machine; this script asserts nothing.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from collapsecheck.orchestration import engines, loader  # noqa: E402
from collapsecheck.engine_config import CheckConfig  # noqa: E402
from collapsecheck.errors import CollapsecheckError  # noqa: E402


def run(model: str, variant: str, pages: int, engine: str, timeout: float, depth: int, **options: object) -> str:
    m = loader.build(ROOT / "models" / f"{model}.py", {"variant": variant, "pages": pages})
    cfg = CheckConfig(max_states=options.pop("max_states", 5_000_000), timeout=timeout, depth=depth,  # type: ignore[arg-type]
                      options=options)
    t0 = time.monotonic()
    try:
        r = engines.get(engine)(m, cfg)
    except CollapsecheckError as e:
        return f"error: {str(e)[:80]}"
    dt = time.monotonic() - t0
    what = str(r.verdict)
    if r.trace is not None:
        what += f" ({r.property}, {len(r.trace)} steps, replayed)"
    if engine == "explicit":
        what += f", {r.stats.states:,} states"
    elif r.bound.startswith("proved"):
        what += f", {r.extra.get('proved_by', r.bound)}"
    elif str(r.verdict) == "inconclusive":
        what += ": " + "; ".join(a for a in r.extra.get("portfolio", []))[:90]
    return f"{dt:8.2f} s  {what}"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--timeout", type=float, default=60.0)
    ap.add_argument("--sizes", default="2,3,4,8,64,512")
    ap.add_argument("--explicit-limit", type=int, default=4_000_000, help="explicit engine: max states")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    jobs = [("collapse_file_vs_uffd_register", "post_fix"), ("collapse_file_lock_sequence", "post_fix")]
    for model, variant in jobs:
        print(f"\n{model} variant={variant}: proof")
        for n in sizes:
            exp = run(model, variant, n, "explicit", args.timeout, 40, max_states=args.explicit_limit) \
                if n <= 8 else "(not attempted: the state space grows exponentially in N)"
            enc = {"encoding": "flat"} if n <= 4 else {"encoding": "reduced"}
            pdr = run(model, variant, n, "pdr", args.timeout, 40, **enc)
            print(f"  N={n:<4} explicit {exp}")
            print(f"  {'':6} pdr/{enc['encoding']:<7} {pdr}")
        pdr = run(model, variant, 2, "pdr", args.timeout, 40, symbolic_size="pages")
        print(f"  N=sym  pdr/reduced {pdr}")
    print("\ncollapse_file_vs_uffd_register variant=pre_fix: counterexample")
    for n in sizes:
        enc = "flat" if n <= 4 else "reduced"
        print(f"  N={n:<4} bmc/{enc:<7} {run('collapse_file_vs_uffd_register', 'pre_fix', n, 'bmc', args.timeout, 40, encoding=enc)}")
    print(f"  N=sym  bmc/reduced {run('collapse_file_vs_uffd_register', 'pre_fix', 2, 'bmc', args.timeout, 40, symbolic_size='pages')}")


if __name__ == "__main__":
    main()
