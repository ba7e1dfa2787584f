"""Partial-order and symmetry reduction keep verdicts: on every manifest model (and on toys built to be
reducible) the reduced searches give the same verdict, the same violated properties, a deadlock exactly
when there is one, and counterexamples that replay through the reference semantics with the unreduced
(shortest) length. The state-count reduction of every model is printed at the end of this module."""

from __future__ import annotations

import pytest

from collapsecheck.orchestration import loader, manifest
from collapsecheck.explicit import engine
from collapsecheck.expr.evaluate import evaluate
from collapsecheck.model import semantics
from collapsecheck.result import Verdict
from tests.conftest import MODELS, TOYS

# The explicit entries (the prove engine's pages=512 / pages=N entries are not enumerable instances).
ENTRIES = [e for e in manifest.load(MODELS / "manifest.toml") if "explicit" in e.engines]
MODES = [("por", True, False), ("symmetry", False, True), ("both", True, True)]
_TABLE: list[tuple[str, int, dict[str, int]]] = []


class _TablePrinter:
    """A plugin registered by this module: pytest calls it when it writes its closing summary."""

    def pytest_terminal_summary(self, terminalreporter) -> None:  # noqa: ANN001
        if not _TABLE:
            return
        tr = terminalreporter
        tr.write_sep("-", "state-count reduction (reduced states, factor)")
        tr.write_line(f"{'model':<64} {'states':>8} " + " ".join(f"{m:>16}" for m, _, _ in MODES))
        for name, full, red in _TABLE:
            cells = " ".join(f"{red[m]:>8} ({full / red[m]:5.2f}x)" for m, _, _ in MODES)
            tr.write_line(f"{name:<64} {full:>8} {cells}")


@pytest.fixture(scope="module", autouse=True)
def reduction_table(request):
    plugin = _TablePrinter()
    if not request.config.pluginmanager.is_registered(plugin):
        request.config.pluginmanager.register(plugin, "collapsecheck-reduction-table")
    yield


def _check_same(model, full, red) -> None:
    assert red.verdict == full.verdict, red.message
    assert red.property == full.property
    assert sorted(red.violations) == sorted(full.violations)
    assert (red.deadlock is None) == (full.deadlock is None)
    assert {k: v is None for k, v in red.witnesses.items()} == {k: v is None for k, v in full.witnesses.items()}
    assert red.stats.states <= full.stats.states
    for name, trace in red.violations.items():
        if name in red.extra.get("cycle_start", {}):
            continue
        states = semantics.replay(model, trace.states[0], [s.action for s in trace.steps])
        assert states[0] in semantics.initial_states(model)
        assert not evaluate(model.property(name).expr, semantics.StateView(model, states[-1]))
        assert len(trace) == len(full.violations[name]), "the rebuilt counterexample must be a shortest one"
    if red.deadlock is not None:
        states = semantics.replay(model, red.deadlock.states[0], [s.action for s in red.deadlock.steps])
        assert not list(semantics.successors(model, states[-1])) and not semantics.terminal_ok(model, states[-1])
        assert len(red.deadlock) == len(full.deadlock)


@pytest.mark.parametrize("entry", ENTRIES, ids=[e.key for e in ENTRIES])
def test_reductions_keep_verdicts_on_every_manifest_model(entry):
    model = loader.build(MODELS / f"{entry.model}.py", entry.params)
    full, _ = engine.check(model)
    counts = {}
    for mode, por, sym in MODES:
        red, ex = engine.check(model, por=por, symmetry=sym)
        _check_same(model, full, red)
        if not model.progress and por:
            assert ex.reduction["por"] is True
        counts[mode] = red.stats.states
    _TABLE.append((entry.key, full.stats.states, counts))


@pytest.mark.parametrize("params", [{}, {"locked": False}, {"cpus": 4, "work": 2}])
def test_interchangeable_cpus_with_local_work_reduce_a_lot(params):
    model = loader.build(TOYS / "percpu_workers.py", params)
    full, _ = engine.check(model)
    for mode, por, sym in MODES:
        red, ex = engine.check(model, por=por, symmetry=sym)
        _check_same(model, full, red)
        assert full.stats.states >= 3 * red.stats.states, (mode, full.stats.states, red.stats.states)
        assert (ex.group is not None) == sym
    _TABLE.append((f"toy percpu_workers {params}", full.stats.states,
                   {m: engine.check(model, por=p, symmetry=s)[0].stats.states for m, p, s in MODES}))


def test_symmetry_is_refused_when_a_property_tells_the_threads_apart():
    # mutex_broken's witness is about cpu0 only: swapping the CPUs would change it. With nothing to
    # reduce, the exact search runs (its state count still compares with the manifest's pins).
    model = loader.build(TOYS / "mutex_broken.py", {})
    res, ex = engine.check(model, symmetry=True)
    assert ex.group is None and not ex.reduction and "reduction" not in res.extra
    assert res.stats.states == engine.check(model)[0].stats.states
    _, ex = engine.check(model, symmetry=True, por=True)
    assert ex.reduction["symmetry"] == "none found" and ex.reduction["por"] is True


def test_symmetric_counterexample_is_a_concrete_replayable_trace():
    model = loader.build(TOYS / "lost_update.py", {"locked": False})
    res, ex = engine.check(model, symmetry=True)
    assert ex.group is not None and res.verdict == Verdict.VIOLATED
    states = semantics.replay(model, res.trace.states[0], [s.action for s in res.trace.steps])
    assert tuple(states) == res.trace.states


def test_cycle_proviso_does_not_let_a_local_loop_hide_a_violation(write_model):
    # "spinner" loops forever on an invisible, independent local step; without the cycle proviso its
    # step alone would be the ample set in every state of the loop and "breaker" would never run.
    path = write_model("""
        from collapsecheck.dsl import *
        def build(m):
            bad = m.var("bad", BOOL, init=False)
            s = m.thread("spinner")
            flip = s.local("flip", BOOL, init=False)
            s.step("spin", do={flip: Not(flip)}, goto="spin")
            b = m.thread("breaker")
            b.step("break_it", do={bad: True})
            m.always("never_bad", Not(bad))
    """)
    model = loader.build(path)
    res, ex = engine.check(model, por=True)
    assert res.verdict == Verdict.VIOLATED and res.property == "never_bad"
    assert ex.reduction["ample_states"] >= 1  # the reduction did act before the proviso stopped it


def test_progress_models_are_searched_unreduced():
    model = loader.build(TOYS / "spin_forever.py", {"fixed": False})
    res, ex = engine.check(model, por=True, symmetry=True)
    assert not ex.reduction and res.verdict == Verdict.VIOLATED
