"""Per post-fix family: explicit time at pages 2-4, prove-engine time at pages = 512 and for every page count.

For each family (model, variant): the explicit engine's time and states at 2, 3 and 4 pages (skipped above
``--explicit-limit`` states); ``--engine prove`` with fresh inference (certificates ignored) for every N
(``pages=N``), then at 512 pages (fresh inference), then the certificate re-check the gate runs; the size of
the printed invariant; the targets proved out of all targets (at N and at 512). ``--no-fresh``: the committed
certificates' re-checks only, at N and at 512 (minutes instead of hours; size and targets are then the
certificate's). Every run is under
``--timeout`` seconds; an attempt that stops with an error (a model the engine refuses) prints it in its
cell and the table goes on. Families without a page count (pte-mapped THP) get one row saying so.

    python bench/symbolic_sizes.py [--timeout 900] [--families uffd,lock] [--no-512] [--no-fresh]

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

FAMILIES = {
    "uffd": ("collapse_file_vs_uffd_register", "post_fix"),
    "lock": ("collapse_file_lock_sequence", "post_fix"),
    "madv63": ("collapse_file_vs_madvise_collapse", "v6_3"),
    "madv66": ("collapse_file_vs_madvise_collapse", "v6_6"),
    "enomem": ("collapse_file_xas_store_enomem", "post_fix"),
    "enomem_e8c7": ("collapse_file_xas_store_enomem", "e8c716bc"),
    "fpoison64": ("collapse_file_poison", "v6_4"),
    "fpoison": ("collapse_file_poison", "post_fix"),
    "apoison": ("collapse_huge_page_poison", "post_fix"),
    "ptethp63": ("collapse_pte_mapped_thp_vs_pmd", "v6_3"),
    "ptethp66": ("collapse_pte_mapped_thp_vs_pmd", "v6_6"),
}


def paged(model: str) -> bool:
    return "pages" in loader.parameters(loader.load_module(ROOT / "models" / f"{model}.py"))


def explicit(model: str, variant: str, pages: int, limit: int, timeout: float) -> str:
    try:
        m = loader.build(ROOT / "models" / f"{model}.py", {"variant": variant, "pages": pages})
        t0 = time.monotonic()
        r = engines.get("explicit")(m, CheckConfig(max_states=limit, timeout=timeout))
    except CollapsecheckError as e:
        return f"error: {str(e)[:60]}"
    done = "" if r.bound == "exhaustive" else f" ({r.bound})"
    return f"{time.monotonic() - t0:.1f}s/{r.stats.states}st{done}"


def prove(model: str, variant: str, pages: object, timeout: float, fresh: bool) -> tuple[str, str, str]:
    m = loader.build(ROOT / "models" / f"{model}.py", {"variant": variant, "pages": pages})
    opts = {"certificates": "/nonexistent-certificates"} if fresh else {}
    t0 = time.monotonic()
    try:
        r = engines.get("prove")(m, CheckConfig(timeout=timeout, options=opts))
    except CollapsecheckError as e:
        return f"error: {str(e)[:60]}", "-", "-"
    dt = time.monotonic() - t0
    targets = r.extra.get("targets", {})
    proved = [t for t, v in targets.items() if v == "proved"]
    size = str(len(r.extra.get("forall_invariant", []))) if r.extra.get("forall_invariant") else "-"
    return f"{dt:.0f}s", size, f"{len(proved)}/{len(targets)}" + (f" ({', '.join(proved)})" if proved else "")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--timeout", type=float, default=900.0)
    ap.add_argument("--families", default=",".join(FAMILIES))
    ap.add_argument("--explicit-limit", type=int, default=2_000_000)
    ap.add_argument("--no-512", action="store_true", help="skip the fresh inference at 512 pages")
    ap.add_argument("--no-fresh", action="store_true",
                    help="no fresh inference: the committed certificates' re-checks at N and 512 only (minutes)")
    args = ap.parse_args()
    print("| family | explicit 2 / 3 / 4 pages | prove N (fresh) | prove 512 (fresh) | gate re-check N / 512 "
          "| invariant lines | targets proved (N) |")
    print("|---|---|---|---|---|---|---|")
    unknown = [f for f in args.families.split(",") if f not in FAMILIES]
    if unknown:
        ap.error(f"unknown families {', '.join(unknown)}; known: {', '.join(FAMILIES)}")
    for fam in args.families.split(","):
        model, variant = FAMILIES[fam]
        if not paged(model):
            print(f"| {model} {variant} | - | no page-count parameter: nothing to prove at 512 or N (the explicit "
                  "engine covers the model) | | | | |", flush=True)
            continue
        ex = " / ".join(explicit(model, variant, k, args.explicit_limit, args.timeout) for k in (2, 3, 4))
        cert_n, n_size, n_proved = prove(model, variant, "N", args.timeout, fresh=False)
        if not args.no_fresh:
            n_time, n_size, n_proved = prove(model, variant, "N", args.timeout, fresh=True)
        else:
            n_time = "-"
        if args.no_512 or args.no_fresh:
            t512 = "-"
        else:
            t, _, p512 = prove(model, variant, 512, args.timeout, fresh=True)
            t512 = f"{t}, {p512.split(' ')[0]} proved"
        cert = prove(model, variant, 512, args.timeout, fresh=False)[0]
        print(f"| {model} {variant} | {ex} | {n_time} | {t512} | {cert_n} / {cert} | {n_size} | {n_proved} |",
              flush=True)


if __name__ == "__main__":
    main()
