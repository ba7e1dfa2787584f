"""The explicit engine on textbook toys (pinned state counts and counterexamples), its limits, and its
agreement with the interpreted reference semantics on every reachable state of the kernel models."""

from __future__ import annotations

import re

import pytest

from collapsecheck.errors import ModelError
from collapsecheck.explicit import engine
from collapsecheck.model import semantics
from collapsecheck.result import Verdict
from tests.conftest import MODELS, TOYS, build_model, build_toy
from collapsecheck.orchestration import loader


def steps(trace):
    return [(s.thread, s.step) for s in trace.steps]


def test_lost_update_is_found_with_the_textbook_interleaving():
    res, _ = engine.check(build_toy("lost_update", locked=False))
    assert res.verdict == Verdict.VIOLATED and res.property == "no_lost_update"
    assert steps(res.trace) == [("cpu0", "load"), ("cpu1", "load"), ("cpu0", "store"), ("cpu1", "store")]
    assert (res.stats.states, res.stats.transitions) == (13, 14)


def test_locked_counter_holds_and_its_witness_is_reached():
    res, _ = engine.check(build_toy("lost_update", locked=True))
    assert res.verdict == Verdict.HOLDS
    assert res.witnesses == {"both_finish": 8}
    assert (res.stats.states, res.stats.depth) == (17, 8)


def test_broken_mutual_exclusion():
    res, _ = engine.check(build_toy("mutex_broken"))
    assert res.verdict == Verdict.VIOLATED and res.stats.states == 29
    assert steps(res.trace) == [("cpu0", "test"), ("cpu1", "test"), ("cpu0", "set"), ("cpu1", "set")]
    res, _ = engine.check(build_toy("mutex_broken", atomic=True))
    assert res.verdict == Verdict.HOLDS and res.stats.states == 12


def test_abba_deadlock_is_told_apart_from_termination():
    res, _ = engine.check(build_toy("abba_deadlock"))
    assert res.verdict == Verdict.DEADLOCK
    assert steps(res.trace) == [("cpu0", "lock_first"), ("cpu1", "lock_first")]
    assert res.blocked == [("cpu0", "lock_second"), ("cpu1", "lock_second")]
    assert res.stats.states == 19
    res, _ = engine.check(build_toy("abba_deadlock", ordered=True))
    assert res.verdict == Verdict.HOLDS and res.deadlock is None and res.stats.states == 16


def test_non_progress_cycle_is_a_lasso_and_fairness_excludes_starvation():
    res, _ = engine.check(build_toy("spin_forever", fixed=False))
    assert res.verdict == Verdict.VIOLATED and res.property == "retrier_makes_progress"
    assert steps(res.trace) == [("holder", "spin_lock"), ("retrier", "trylock")]
    assert res.extra["cycle_start"] == {"retrier_makes_progress": 1}
    # With the unlock, the retry loop is only a cycle if the holder is starved: not weakly fair.
    res, _ = engine.check(build_toy("spin_forever", fixed=True))
    assert res.verdict == Verdict.HOLDS


def test_limits_give_inconclusive_never_holds():
    model = build_model("collapse_file_vs_uffd_register", variant="post_fix", pages=2)
    res, _ = engine.check(model, max_states=1000)
    assert res.verdict == Verdict.INCONCLUSIVE and "limit" in res.message and res.bound.startswith("partial")
    res, _ = engine.check(model, timeout=1e-9)
    assert res.verdict == Verdict.INCONCLUSIVE


def test_a_witness_never_reached_is_vacuous(write_model):
    path = write_model("""
        from collapsecheck.dsl import *
        def build(m):
            x = m.var("x", BOOL, init=False)
            t = m.thread("c")
            t.step("s")
            m.sometimes("x_set", x)
    """)
    res, _ = engine.check(loader.build(path))
    assert res.verdict == Verdict.VACUOUS and res.property == "x_set"


def test_value_out_of_range_at_run_time_names_thread_and_step(write_model):
    path = write_model("""
        from collapsecheck.dsl import *
        def build(m):
            x = m.var("x", IntRange(0, 1), init=0)
            t = m.thread("incrementer")
            t.step("inc", do={x: x + 1})
            t.step("inc_again", do={x: x + 1})
    """)
    res, _ = engine.check(loader.build(path))
    assert res.verdict == Verdict.ERROR and res.verdict.exit_code == 15
    assert re.search(r"\.py:6: .*thread 'incrementer', step 'inc_again'.*outside its range", res.message)
    assert res.trace is not None and [s.step for s in res.trace.steps] == ["inc"]


def test_search_is_deterministic():
    model = build_model("collapse_file_vs_uffd_register", variant="pre_fix", pages=2)
    a, ea = engine.check(model)
    b, eb = engine.check(build_model("collapse_file_vs_uffd_register", variant="pre_fix", pages=2))
    assert ea.states == eb.states
    assert a.trace.to_json() == b.trace.to_json()


def _interpreted_graph(model):
    init = semantics.initial_states(model)
    seen = {s: None for s in init}
    work = list(init)
    edges = set()
    while work:
        s = work.pop()
        for aid, t in semantics.successors(model, s):
            edges.add((s, aid, t))
            if t not in seen:
                seen[t] = None
                work.append(t)
    return set(seen), edges


@pytest.mark.parametrize("name,params", [
    ("collapse_file_vs_uffd_register", {"variant": "pre_fix", "pages": 2}),
    ("collapse_file_vs_uffd_register", {"variant": "post_fix", "pages": 2}),
    ("collapse_file_vs_uffd_register", {"variant": "late_check_no_retry", "pages": 2}),
    ("collapse_file_lock_sequence", {"variant": "pre_fix", "pages": 2}),
    ("collapse_file_lock_sequence", {"variant": "post_fix", "pages": 2}),
])
def test_generated_search_agrees_with_the_reference_semantics(name, params):
    model = loader.build(MODELS / f"{name}.py", params)
    ex = engine.explore(model, record_edges=True)
    states, edges = _interpreted_graph(model)
    assert set(ex.states) == states
    src, dst, act = ex.edges
    gen_edges = {(ex.states[a], c, ex.states[b]) for a, b, c in zip(src, dst, act)}
    assert gen_edges == edges
    assert ex.found.transitions == len(edges)


def test_every_counterexample_replays_through_the_reference_semantics():
    for toy, params in (("lost_update", {"locked": False}), ("mutex_broken", {})):
        model = loader.build(TOYS / f"{toy}.py", params)
        res, _ = engine.check(model)
        replayed = semantics.replay(model, res.trace.states[0], [s.action for s in res.trace.steps])
        assert tuple(replayed) == res.trace.states
