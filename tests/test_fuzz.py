"""Fuzzing, deterministic (seeded), sized for CI.

1. Broken model files: >= 1,000 mutants of the shipped models and toys (deleted or duplicated lines,
   swapped names, wrong sorts and ranges, bad parameters, duplicate dict keys, bad indices) go through the
   CLI in-process. Each must either be rejected with exit 2 and a model file:line (a bad parameter: exit 2
   naming the parameter), or still be a valid model that gets a verdict; never a traceback or an internal
   error.
2. Agreement: >= 1,000 small random valid models on which the explicit engine and every engine in
   ``AGREEING`` agree on the verdict, the first violated property and the shortest trace length (run in
   two worker processes: z3 dominates the time).
3. Prove-engine agreement: small random *size-generic* models with a page array (``tests/toys/random_pages.py``,
   one model per seed, some with bugs): whenever ``--engine prove`` at ``pages=N`` proves a target, explicit
   enumeration at pages 2, 3, 4 and 5 finds no violation of it (so a target explicit violates at any of
   those sizes is never proved).

The counts are printed in the pytest summary (``conftest.pytest_terminal_summary``).
"""

from __future__ import annotations

import multiprocessing
import random
import re
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

from collapsecheck.cli import main

import fuzzgen

N_MUTANTS = 1000
N_MODELS = 1000
N_PAGED = 32  # random size-generic models for the prove engine (1-9 s each: prove + explicit at 2..5)
PAGED_SIZES = range(2, 6)
PAGED_TOY = Path(__file__).parent / "toys" / "random_pages.py"
# Engines compared with the explicit engine on every random model; adding one is one line.
AGREEING = ["bmc", "pdr"]
VALID_EXITS = {0, 10, 11, 12, 13, 14, 15}
FUZZ_STATS: dict[str, str] = {}


def test_broken_model_files_are_rejected_cleanly(tmp_path):
    runner = CliRunner()
    srcs = [(p, p.read_text(), params) for p, params in fuzzgen.sources()]
    rnd = random.Random(20261207)
    counts = {"rejected": 0, "valid": 0}
    failures: list[str] = []
    t0, c0 = time.monotonic(), time.process_time()
    for i in range(N_MUTANTS):
        path, text, params = srcs[i % len(srcs)]
        kind, mutated, ps = fuzzgen.mutate(text, params, rnd)
        f = tmp_path / f"m{i}_{path.name}"
        f.write_text(mutated)
        args = ["verify", str(f), "--engine", "explicit", "--max-states", "300", "--timeout", "20", "--no-progress"]
        for k, v in ps.items():
            args += ["-p", f"{k}={v}"]
        res = runner.invoke(main, args)
        out = res.output
        where = f"mutant {i} ({kind} of {path.name}, params {ps})"
        if "Traceback" in out or "internal error" in out or res.exit_code not in VALID_EXITS | {2}:
            failures.append(f"{where}: exit {res.exit_code}: {out[-300:]!r} {res.exception!r}")
        elif res.exit_code == 2:
            named = re.search(rf"{re.escape(f.name)}:\d+", out) or (
                kind == "param" and re.search(r"parameter", out))
            if not named:
                failures.append(f"{where}: exit 2 without the model file:line: {out[-300:]!r}")
            counts["rejected"] += 1
        else:
            counts["valid"] += 1
    FUZZ_STATS["broken model files"] = (
        f"{N_MUTANTS} mutants tried: {counts['rejected']} rejected cleanly (exit 2, file:line), "
        f"{counts['valid']} still valid and verified; {len(failures)} failures "
        f"({time.monotonic() - t0:.1f} s, {time.process_time() - c0:.1f} s CPU)")
    assert not failures, "\n".join(failures[:10])
    assert counts["rejected"] >= N_MUTANTS // 4  # the mutations do break models


def _in_two_workers(work, n: int) -> tuple[dict[str, int], list[str]]:  # type: ignore[no-untyped-def]
    """``work(seeds)`` over seeds 0..n-1 in two forked processes (z3 dominates the time): summed counts and
    all problems."""
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(2) as pool:
        parts = pool.map(work, [range(k, n, 2) for k in range(2)])
    counts: dict[str, int] = {}
    problems: list[str] = []
    for c, p in parts:
        for k, v in c.items():
            counts[k] = counts.get(k, 0) + v
        problems += p
    return counts, problems


def _agree(seeds: range) -> tuple[dict[str, int], list[str]]:
    from collapsecheck.orchestration import engines
    from collapsecheck.engine_config import CheckConfig

    verdicts: dict[str, int] = {}
    problems = []
    for seed in seeds:
        model = fuzzgen.random_model(seed)
        ref = engines.get("explicit")(model, CheckConfig(max_states=100_000, timeout=60))
        verdicts[str(ref.verdict)] = verdicts.get(str(ref.verdict), 0) + 1
        want = (str(ref.verdict), ref.property, len(ref.trace) if ref.trace is not None else None)
        # Every reachable state is within the explicit search's depth: bmc to one more is complete.
        cfg = CheckConfig(max_states=100_000, timeout=60, depth=ref.stats.depth + 1)
        for name in AGREEING:
            r = engines.get(name)(model, cfg)
            got = (str(r.verdict), r.property, len(r.trace) if r.trace is not None else None)
            if name == "bmc" and want[0] == "holds" and got[0] in ("holds", "bounded"):
                continue  # bmc's "nothing up to the complete depth"
            if got != want:
                problems.append(f"seed {seed}: explicit {want}, {name} {got}")
    return verdicts, problems


def test_random_models_engines_agree():
    t0 = time.monotonic()
    verdicts, problems = _in_two_workers(_agree, N_MODELS)
    FUZZ_STATS["random models"] = (
        f"{N_MODELS} random models, explicit vs {', '.join(AGREEING)}: "
        + ", ".join(f"{n} {k}" for k, n in sorted(verdicts.items()))
        + f"; {len(problems)} disagreements ({time.monotonic() - t0:.1f} s)")
    assert not problems, "\n".join(problems[:10])
    assert len(verdicts) >= 3  # the generator reaches several verdicts, not one


def _prove_agrees(seeds: range) -> tuple[dict[str, int], list[str]]:
    from collapsecheck.engine_config import CheckConfig
    from collapsecheck.orchestration import engines, loader
    from collapsecheck.result import Verdict

    counts = {"models": 0, "proved": 0, "violated": 0, "not proved": 0, "all proved": 0}
    problems = []
    for seed in seeds:
        model = loader.build(PAGED_TOY, {"pages": "N", "seed": seed})
        # No stored certificate can apply: the engine infers afresh every time.
        res = engines.get("prove")(model, CheckConfig(timeout=60, options={"certificates": "/nonexistent-dir"}))
        proved = {t for t, v in res.extra["targets"].items() if v == "proved"}
        counts["models"] += 1
        counts["all proved"] += res.verdict == Verdict.HOLDS
        violated: dict[str, int] = {}  # target -> the least page count at which explicit violates it
        for n in PAGED_SIZES:
            ex = engines.get("explicit")(loader.build(PAGED_TOY, {"pages": n, "seed": seed}), CheckConfig(timeout=60))
            if ex.bound != "exhaustive" and ex.verdict != Verdict.ERROR:
                problems.append(f"seed {seed}: explicit at pages={n} incomplete ({ex.bound})")
            bad = set(ex.violations) | ({"deadlock"} if ex.deadlock is not None else set()) | (
                {"range"} if ex.verdict == Verdict.ERROR else set())
            for t in bad:
                violated.setdefault(t, n)
        for t in res.extra["targets"]:
            counts["proved" if t in proved else "violated" if t in violated else "not proved"] += 1
        for t in sorted(proved & set(violated)):
            problems.append(f"seed {seed}: prove proved {t} for every N, explicit violates it at pages={violated[t]}")
    return counts, problems


def test_random_paged_models_prove_agrees_with_enumeration():
    t0 = time.monotonic()
    counts, problems = _in_two_workers(_prove_agrees, N_PAGED)
    FUZZ_STATS["random paged models"] = (
        f"{counts['models']} random size-generic models, prove at pages=N vs explicit at pages="
        f"{PAGED_SIZES.start}..{PAGED_SIZES.stop - 1}: {counts['all proved']} fully proved; targets: "
        f"{counts['proved']} proved, {counts['violated']} violated by explicit, {counts['not proved']} neither; "
        f"{len(problems)} disagreements ({time.monotonic() - t0:.1f} s)")
    assert not problems, "\n".join(problems[:10])
    # The family reaches both sides: proofs to check and violations the engine must not prove.
    assert counts["proved"] >= counts["models"] and counts["violated"] >= counts["models"] // 4


@pytest.fixture(scope="session", autouse=True)
def _report_fuzz_stats(request):
    yield
    request.config._collapsecheck_fuzz = dict(FUZZ_STATS)  # printed by conftest.pytest_terminal_summary
