"""Whole-tree speed of ``collapsecheck lint-trace``: every trace header and every call site.

Usage: python bench/lint_tree.py KERNEL_ROOT [--jobs N] [--headers-only]

Prints files, events, skipped events, call sites, findings by severity, wall seconds, the CPU
seconds of all processes, and the load average before and after (the target, < 30 s wall on
2 cores, assumes the cores are otherwise idle: a high load average means the wall time measured
contention, and CPU seconds / cores is then the better estimate). Nothing here is a unit test.
"""

from __future__ import annotations

import argparse
import os
import resource
import sys
import time

from collapsecheck.tracelint.runner import run


def _cpu() -> float:
    own = resource.getrusage(resource.RUSAGE_SELF)
    kids = resource.getrusage(resource.RUSAGE_CHILDREN)
    return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("root", help="kernel source root")
    ap.add_argument("--jobs", type=int, default=None, help="worker processes (default: all cores)")
    ap.add_argument("--headers-only", action="store_true", help="skip the call-site pass")
    opts = ap.parse_args()
    if not os.path.isdir(opts.root):
        print(f"lint_tree: {opts.root}: not a directory", file=sys.stderr)
        return 2
    load_before = os.getloadavg()[0]
    t0, c0 = time.perf_counter(), _cpu()
    report = run(
        [opts.root], tree=opts.root, callsite_root=None if opts.headers_only else opts.root,
        jobs=opts.jobs, progress=False,
    )
    wall, cpu = time.perf_counter() - t0, _cpu() - c0
    jobs = opts.jobs or os.cpu_count() or 1
    print(f"headers:        {report.files} ({report.unreadable} unreadable)")
    print(f"events:         {report.events} ({report.skipped_events} skipped)")
    print(f"EM lists:       {report.em_lists}")
    print(f"C files:        {report.c_files} ({report.calls} trace_<event>() calls checked)")
    print(f"findings:       {report.errors} errors, {report.warnings} warnings")
    print(f"seconds:        {wall:.1f} wall, {cpu:.1f} CPU over {jobs} workers "
          f"(CPU/workers = {cpu / jobs:.1f})")
    print(f"load average:   {load_before:.1f} before, {os.getloadavg()[0]:.1f} after "
          f"({os.cpu_count()} cores)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
