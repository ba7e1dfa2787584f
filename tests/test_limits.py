"""Every limit holds in every phase of every engine: a tiny --max-states, --timeout or --max-memory ends the
run within the limit plus about a second, as `inconclusive` naming the phase it was in and what it had
reached — never a hang, an OOM kill, a traceback or "holds". Bad sizes are refused at once."""

from __future__ import annotations

import time

import pytest
import z3
from click.testing import CliRunner

from collapsecheck import limits, progress
from collapsecheck.orchestration import engines, verify
from collapsecheck.cli import main
from collapsecheck.engine_config import CheckConfig
from collapsecheck.result import Verdict
from tests.conftest import MODELS, build_model

UFFD = "collapse_file_vs_uffd_register"
SLACK = 1.5  # the limit plus about a second (the watchdog's grace and tick, a loaded machine)


def timed(engine: str, model, **cfg):
    t0 = time.monotonic()
    res = verify.check_model(model, engine, CheckConfig(**cfg))
    return res, time.monotonic() - t0


# ---------------------------------------------------------------------------------- explicit engine
def test_explicit_counts_initial_states_before_listing_them():
    # pages=14: ~229,000 initial states used to be listed (and stored) before the state limit was looked at.
    model = build_model(UFFD, variant="post_fix", pages=14)
    res, took = timed("explicit", model, max_states=1000)
    assert res.verdict == Verdict.INCONCLUSIVE and took < 5
    assert res.stats.states == 0 and "initial states" in res.message and "--max-states 1,000" in res.message


def test_explicit_deadline_holds_while_filtering_initial_states():
    # pages=20: about 2^20 x 20 initial value combinations; the clock is looked at while filtering them.
    model = build_model(UFFD, variant="post_fix", pages=20)
    res, took = timed("explicit", model, max_states=10**9, timeout=0.5)
    assert res.verdict == Verdict.INCONCLUSIVE and took < 0.5 + SLACK
    assert "time limit" in res.message and "initial" in res.message


def test_explicit_state_limit_in_the_search_says_what_it_reached():
    res, _ = timed("explicit", build_model(UFFD, variant="post_fix", pages=2), max_states=100)
    assert res.verdict == Verdict.INCONCLUSIVE and res.bound == "partial (states limit)"
    assert "after" in res.message and 100 <= res.stats.states < 2000 and res.stats.transitions > 0


@pytest.mark.parametrize("engine", ["explicit", "bmc", "kind", "pdr"])
def test_tiny_timeout_on_every_engine(engine):
    # The explicit engine checks pages=2 in a fraction of 0.1 s: give it 800,000 states to search.
    model = build_model(UFFD, variant="post_fix", pages=7 if engine == "explicit" else 2)
    res, took = timed(engine, model, timeout=0.1)
    assert res.verdict == Verdict.INCONCLUSIVE, res.message
    assert took < 0.1 + SLACK


@pytest.mark.parametrize("engine", ["explicit", "bmc", "pdr"])
def test_tiny_memory_limit_on_every_engine(engine):
    # A limit below what this process already uses: a clean inconclusive naming the memory limit.
    model = build_model(UFFD, variant="post_fix", pages=3)
    below = max(1, limits.rss_bytes() // 2**20 - 5)
    res, took = timed(engine, model, options={"max_memory_mb": below})
    assert res.verdict == Verdict.INCONCLUSIVE and took < 5
    assert "memory" in res.message


def test_pdr_member_shares_hold_at_512_pages():
    # The Houdini member used to enumerate sample states at 512 pages past any deadline.
    model = build_model(UFFD, variant="post_fix", pages=512)
    res, took = timed("pdr", model, timeout=4)
    assert res.verdict == Verdict.INCONCLUSIVE and took < 4 + SLACK
    assert not res.extra.get("invariant")


# ---------------------------------------------------------------------------------- the watchdog
def _forever(model, config):
    progress.phase("an enumeration that never looks at the clock")
    n = 0
    while True:
        n += 1
        if n % 100_000 == 0:
            progress.figures(items=n)


def _z3_forever(model, config):
    progress.phase("a Z3 query without a timeout")
    s = z3.Solver()
    xs = [z3.Int(f"x{i}") for i in range(40)]
    s.add(z3.Sum([a * a * a for a in xs]) == 12345678901, *[a > 1 for a in xs])
    s.check()
    while True:  # if Z3 gave up, the watchdog still stops the Python that follows
        pass


@pytest.mark.parametrize("fn,phase", [(_forever, "never looks"), (_z3_forever, "Z3 query")])
def test_watchdog_stops_code_that_ignores_the_deadline(monkeypatch, fn, phase):
    monkeypatch.setitem(engines.REGISTRY, "stubborn", f"{__name__}:{fn.__name__}")
    model = build_model(UFFD, variant="post_fix", pages=2)
    res, took = timed("stubborn", model, timeout=0.5)
    assert res.verdict == Verdict.INCONCLUSIVE and took < 0.5 + SLACK
    assert phase in res.extra["limit"]["phase"] and "time limit" in res.message


def test_nested_scope_stops_only_its_own_body():
    with limits.watch(5.0, None, "test", False):
        with limits.scope(time.monotonic() + 0.2, "a member") as token:
            with pytest.raises(limits.LimitReached) as e:
                while True:
                    pass
        assert e.value.scope is token
        time.sleep(1.2)  # the run goes on: no further interrupt for the finished scope
    assert limits.deadline() == float("inf")  # nothing raises outside a run


def test_limits_do_nothing_outside_a_run():
    limits.check()
    with limits.scope(time.monotonic() - 1, "past") as token:
        assert token is None


# ---------------------------------------------------------------------------------- the command line
@pytest.mark.parametrize("args", [
    ["-p", "pages=100000"],
    ["--max-states", "1"],
    ["--timeout", "0.1"],
    ["--max-memory", "50"],
])
@pytest.mark.parametrize("engine", ["explicit", "bmc", "kind", "pdr"])
def test_bad_input_is_a_clean_inconclusive_or_refusal(engine, args):
    if args[0] == "--max-states" and engine != "explicit":
        args = args + ["--timeout", "3"]  # no state store to bound: the run is bounded by its time limit
    if args[0] == "--timeout" and engine == "explicit":
        args = args + ["-p", "pages=7"]  # big enough not to finish within 0.1 s
    t0 = time.monotonic()
    res = CliRunner().invoke(main, ["verify", str(MODELS / f"{UFFD}.py"), "-p", "variant=post_fix",
                                    "--engine", engine, *args])
    took = time.monotonic() - t0
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert "Traceback" not in res.output and "internal error" not in res.output
    if "pages=100000" in args:
        assert res.exit_code == 2 and "above 4096" in res.stderr and took < 5
    elif "--max-memory" in args and engine == "explicit":
        assert res.exit_code in (0, 13) and took < 10  # holds, truthfully, if the run stayed below 50 MB
    else:
        assert res.exit_code == 13, res.output
        assert took < 10
