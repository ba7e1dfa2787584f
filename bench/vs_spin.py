"""collapsecheck's explicit engine against SPIN on the same models, measured side by side in one run.

For every manifest entry, and for the collapse models at growing page counts, it prints the distinct
states (ours and SPIN's, which must be equal), our time (a fresh process: model build, code generation,
search and verdict; peak memory), SPIN's time split into generate (export + ``spin -a``), compile (gcc
-O2) and run (``./pan``, -DNOREDUCE, exact storage), and the ratios. Then the explicit engine over the
whole manifest (``collapsecheck verify --engine explicit``, end to end) against SPIN's generate + compile
+ run over the same models, and the gate as shipped (each entry's engines, pdr included).

    nice python bench/vs_spin.py [--scale-only | --manifest-only] [--max-pages N] [--repeat R]

Figures, not assertions. Run it when ``uptime`` shows a low load: both sides share the machine.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SCALE = [("collapse_file_lock_sequence", "post_fix", range(3, 8)),
         ("collapse_file_vs_uffd_register", "post_fix", range(3, 10))]


def child(model: str, params: dict[str, str]) -> None:
    """Run in a fresh process: build, check, print figures as JSON (time excludes interpreter start)."""
    from collapsecheck.orchestration import loader
    from collapsecheck.explicit import engine

    t0 = time.perf_counter()
    m = loader.build(ROOT / "models" / f"{model}.py", params)
    res, _ = engine.check(m, max_states=50_000_000, timeout=3600)
    dt = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    always = [p.name for p in m.always]
    violated = [n for n in always if n in res.violations]
    verdict = "violated" if violated else ("deadlock" if res.deadlock is not None else "holds")
    print(json.dumps({"states": res.stats.states, "seconds": dt, "peak_mb": peak, "verdict": verdict,
                      "violated": violated, "complete": res.bound == "exhaustive"}))


def ours(model: str, params: dict[str, str]) -> dict:
    arg = json.dumps([model, params])
    out = subprocess.run([sys.executable, __file__, "--child", arg], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


def spin_run(model: str, params: dict[str, str], states: int) -> object:
    from collapsecheck.orchestration import loader
    from collapsecheck.promela import spin

    m = loader.build(ROOT / "models" / f"{model}.py", params)
    with tempfile.TemporaryDirectory() as d:
        return spin.verify(m, Path(d), expected_states=states, opt="-O2")


def row(label: str, model: str, params: dict[str, str], repeat: int) -> dict:
    best_ours, best_spin = None, None
    for _ in range(repeat):
        o = ours(model, params)
        s = spin_run(model, params, o["states"])
        if best_ours is None or o["seconds"] < best_ours["seconds"]:
            best_ours = o
        if best_spin is None or s.run_s < best_spin.run_s:  # type: ignore[attr-defined]
            best_spin = s
    o, s = best_ours, best_spin
    assert o is not None and s is not None
    agree = (s.states == o["states"] and s.verdict == o["verdict"]  # type: ignore[attr-defined]
             and s.violated == o["violated"])  # type: ignore[attr-defined]
    return {"label": label, "states": o["states"], "spin_states": s.states, "agree": agree,  # type: ignore[attr-defined]
            "verdict": o["verdict"], "ours": o["seconds"], "ours_mb": o["peak_mb"],
            "gen": s.generate_s, "comp": s.compile_s, "run": s.run_s, "spin_mb": s.memory_mb}  # type: ignore[attr-defined]


HEAD = (f"{'model':<62} {'states':>10} {'=SPIN':>5} {'verdict':>8} {'ours s':>7} {'MB':>6} "
        f"{'gen s':>6} {'cc s':>6} {'run s':>6} {'MB':>6} {'ours/run':>8} {'spin all/ours':>13}")


def show(r: dict) -> str:
    total = r["gen"] + r["comp"] + r["run"]
    return (f"{r['label']:<62} {r['states']:>10,} {'yes' if r['agree'] else 'NO':>5} {r['verdict']:>8} "
            f"{r['ours']:>7.2f} {r['ours_mb']:>6.0f} {r['gen']:>6.2f} {r['comp']:>6.2f} {r['run']:>6.2f} "
            f"{(r['spin_mb'] or 0):>6.0f} {r['ours'] / r['run']:>7.1f}x {total / r['ours']:>12.1f}x")


def gate_time(*engines: str) -> float:
    """Seconds of ``collapsecheck verify`` end to end (``engines``: override every entry's engines)."""
    flags = [f"--engine={e}" for e in engines]
    t0 = time.perf_counter()
    subprocess.run([sys.executable, "-m", "collapsecheck", "verify", "--no-reports", "--no-progress", *flags],
                   cwd=ROOT, capture_output=True, text=True)
    return time.perf_counter() - t0


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--child", help=argparse.SUPPRESS)
    ap.add_argument("--scale-only", action="store_true")
    ap.add_argument("--manifest-only", action="store_true")
    ap.add_argument("--max-pages", type=int, default=99)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()
    if args.child:
        model, params = json.loads(args.child)
        child(model, params)
        return
    from collapsecheck.orchestration import manifest
    from collapsecheck.promela import spin

    missing = spin.missing_tools()
    if missing:
        sys.exit(f"cannot compare: {missing}")
    print(f"load average before: {os.getloadavg()[0]:.2f}; SPIN: -DNOREDUCE -DSAFETY exact storage, gcc -O2; "
          f"ours/run < 1 means faster than pan alone, spin all/ours > 1 means SPIN end to end is slower")
    print(HEAD)
    spin_total = 0.0
    if not args.scale_only:
        for e in manifest.load(ROOT / "models" / "manifest.toml"):
            r = row(e.key, e.model, {k: str(v) for k, v in e.params.items()}, args.repeat)
            spin_total += r["gen"] + r["comp"] + r["run"]
            print(show(r), flush=True)
        n = len(manifest.load(ROOT / "models" / "manifest.toml"))
        g = gate_time("explicit")
        print(f"\nexplicit engine over the manifest: `collapsecheck verify --engine explicit` end to end {g:.1f} s; "
              f"SPIN generate + compile + run over the same {n} models {spin_total:.1f} s "
              f"({spin_total / g:.1f}x slower)", flush=True)
        full = gate_time()
        print(f"the gate as shipped: `collapsecheck verify` (each entry's engines, pdr included) end to end "
              f"{full:.1f} s\n", flush=True)
    if not args.manifest_only:
        print(HEAD)
        for model, variant, pages in SCALE:
            for n in pages:
                if n > args.max_pages:
                    break
                r = row(f"{model}[variant={variant} pages={n}]", model, {"variant": variant, "pages": str(n)},
                        args.repeat)
                print(show(r), flush=True)
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
