"""Fewest context switches among the shortest counterexamples (explicit/switches.py).

Checked against brute force (every path of the shortest length) on toys, and on the kernel models for
what the manifest relies on: the length never changes, the trace replays and ends in a violation."""
from __future__ import annotations

from pathlib import Path

import pytest

from collapsecheck.orchestration import loader
from collapsecheck.engine_config import CheckConfig
from collapsecheck.expr.evaluate import evaluate
from collapsecheck.explicit import engine
from collapsecheck.explicit.run import run
from collapsecheck.explicit.switches import count_switches, fewest_switch_path, prefer_fewest_switches
from collapsecheck.model import semantics

ROOT = Path(__file__).resolve().parent.parent


def build(spec: str, **params):
    path = ROOT / spec if spec.endswith(".py") else ROOT / "models" / f"{spec}.py"
    return loader.build(path, params)


def brute_min_switches(model, prop, length):
    """Fewest switches over every path of ``length`` steps ending in a state that violates ``prop``."""
    best = None

    def violates(s):
        return not evaluate(prop.expr, semantics.StateView(model, s))

    def walk(s, depth, last, switches):
        nonlocal best
        if best is not None and switches >= best and depth < length:
            return
        if depth == length:
            if violates(s) and (best is None or switches < best):
                best = switches
            return
        for aid, nxt in semantics.successors(model, s):
            t = model.actions[aid].thread
            walk(nxt, depth + 1, t, switches + (last is not None and last != t))

    for s in semantics.initial_states(model):
        walk(s, 0, None, 0)
    return best


@pytest.mark.parametrize("spec,params", [("tests/toys/lost_update.py", {"locked": False}),
                                         ("tests/toys/mutex_broken.py", {}),
                                         ("tests/data/report/toy_slots.py", {})])
def test_matches_brute_force_on_toys(spec, params):
    model = build(spec, **params)
    res, ex = engine.check(model)
    prop = model.property(res.property)
    length = len(res.trace)
    prefer_fewest_switches(res, ex)
    assert len(res.trace) == length
    assert count_switches(res.trace) == brute_min_switches(model, prop, length)


def test_fewer_switches_same_length_on_late_check_mutant():
    model = build("collapse_file_vs_uffd_register", variant="late_check_no_retry", pages=2)
    bfs, ex = engine.check(model)
    res = run(model, CheckConfig())
    assert len(res.trace) == len(bfs.trace) == 25  # the manifest pins trace_len = 25
    assert count_switches(bfs.trace) == 4 and count_switches(res.trace) == 3
    # The chosen trace is real: it replays from its initial state and ends violating the property.
    states = semantics.replay(model, res.trace.states[0], [s.action for s in res.trace.steps])
    assert states[-1] == res.trace.states[-1]
    assert not evaluate(model.property(res.property).expr, semantics.StateView(model, states[-1]))
    assert res.trace.states[0] in semantics.initial_states(model)


def test_option_keeps_bfs_trace():
    model = build("collapse_file_vs_uffd_register", variant="late_check_no_retry", pages=2)
    res = run(model, CheckConfig(options={"fewest_switches": False}))
    assert count_switches(res.trace) == 4


def test_deterministic_choice():
    model = build("collapse_file_vs_uffd_register", variant="pre_fix", pages=3)
    a = [s.action for s in run(model, CheckConfig()).trace.steps]
    b = [s.action for s in run(model, CheckConfig()).trace.steps]
    assert a == b


def test_every_violation_keeps_its_length():
    model = build("collapse_file_vs_uffd_register", variant="pre_fix", pages=2)
    bfs, ex = engine.check(model)
    lengths = {n: len(t) for n, t in bfs.violations.items()}
    prefer_fewest_switches(bfs, ex)
    assert {n: len(t) for n, t in bfs.violations.items()} == lengths
    assert bfs.trace is bfs.violations[bfs.property]


def test_deadlock_path_is_reordered_too():
    model = build("tests/toys/abba_deadlock.py")
    res, ex = engine.check(model)
    assert res.trace is not None and res.deadlock is not None
    n = len(res.deadlock)
    prefer_fewest_switches(res, ex)
    assert len(res.deadlock) == n and len(res.trace) == n
    assert semantics.blocked_threads(model, res.deadlock.states[-1])


def test_no_target_at_that_depth_gives_none():
    model = build("tests/toys/mutex_broken.py")
    ex = engine.explore(model, record_edges=True)
    assert fewest_switch_path(ex, set(), 3) is None
