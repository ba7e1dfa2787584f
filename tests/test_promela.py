"""The Promela export: SPIN, with exact storage and no partial-order reduction, must store exactly the
states the explicit engine explores and report the same verdicts, on every manifest model.

The SPIN tests need ``spin`` and a C compiler; without them they are skipped with the reason. The export
itself (text, determinism, CLI) is tested everywhere.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from collapsecheck.orchestration import loader, manifest
from collapsecheck.cli import main
from collapsecheck.explicit import engine
from collapsecheck.promela import spin
from collapsecheck.promela.export import export
from tests.conftest import MODELS, TOYS

MISSING = spin.missing_tools()
needs_spin = pytest.mark.skipif(MISSING is not None, reason=f"SPIN comparison skipped: {MISSING}")
# The explicit entries (the prove engine's pages=512 / pages=N entries are not enumerable instances).
ENTRIES = [e for e in manifest.load(MODELS / "manifest.toml") if "explicit" in e.engines]


def _ours(model):
    """Our verdict in SPIN's terms: the violated always-properties (in declaration order), else deadlock,
    else holds (SPIN has no witnesses, so vacuous reads as holds; progress properties are not exported)."""
    res, _ = engine.check(model)
    violated = [p.name for p in model.always if p.name in res.violations]
    verdict = "violated" if violated else ("deadlock" if res.deadlock is not None else "holds")
    return res.stats.states, verdict, violated


def _spin(model, tmp_path: Path, states: int) -> spin.SpinRun:
    return spin.verify(model, tmp_path, expected_states=states, opt="-O0", timeout=600)


@needs_spin
@pytest.mark.parametrize("entry", ENTRIES, ids=[e.key if hasattr(e, "key") else str(e.line) for e in ENTRIES])
def test_spin_agrees_on_every_manifest_model(entry, tmp_path):
    model = loader.build(MODELS / f"{entry.model}.py", entry.params)
    states, verdict, violated = _ours(model)
    run = _spin(model, tmp_path, states)
    assert run.states == states, f"SPIN stored {run.stored} (offset {run.stored - run.states}), we {states}"
    assert (run.verdict, run.violated) == (verdict, violated)


@needs_spin
@pytest.mark.parametrize("toy,params,expect", [
    ("lost_update", {"locked": False}, "violated"),
    ("lost_update", {"locked": True}, "holds"),
    ("mutex_broken", {}, "violated"),
    ("abba_deadlock", {}, "deadlock"),
    ("abba_deadlock", {"ordered": True}, "holds"),
])
def test_spin_agrees_on_the_toys(toy, params, expect, tmp_path):
    model = loader.build(TOYS / f"{toy}.py", params)
    states, verdict, violated = _ours(model)
    assert verdict == expect
    run = _spin(model, tmp_path, states)
    assert (run.states, run.verdict, run.violated) == (states, verdict, violated)


MIXED_INIT = """
    from collapsecheck.dsl import *
    def build(m):
        # No initial state has uniform arrays: SPIN cannot start in one, so init spawns the threads.
        a = m.var("a", Array(IntRange(0, 2), 2), init=[OneOf(0, 1), 2])
        t = m.thread("worker")
        t.step("bump", when=a[0] < 2, do={a[0]: a[0] + 1})
        t.step("drop", do={a[1]: 0})
        m.always("never_both_zero", Not(And(a[0] == 0, a[1] == 0)))
"""


def test_mixed_initial_arrays_fall_back_to_an_init_process_with_offset_one(write_model):
    pm = export(loader.build(write_model(MIXED_INIT)))
    assert pm.state_offset == 1 and "init {" in pm.text and "active proctype" not in pm.text


@needs_spin
def test_the_init_process_fallback_stores_exactly_one_more_state(write_model, tmp_path):
    model = loader.build(write_model(MIXED_INIT))
    states, verdict, violated = _ours(model)
    run = _spin(model, tmp_path, states)
    assert run.stored == states + 1 and run.states == states and run.verdict == verdict == "holds"


@needs_spin
def test_allow_deadlock_is_exported_as_end_labels(write_model, tmp_path):
    path = write_model("""
        from collapsecheck.dsl import *
        def build(m):
            x = m.var("x", BOOL, init=False)
            t = m.thread("waiter")
            t.step("wait", when=x)
            m.allow_deadlock()
    """)
    model = loader.build(path)
    run = _spin(model, tmp_path, 1)
    assert (run.states, run.verdict) == (1, "holds")


TRICKY = """
    from collapsecheck.dsl import *
    def build(m):
        # Every expression form the exporter translates: a guard on another thread's position (a pc
        # variable, since SPIN forbids remote references in d_step), run-time indices on both sides,
        # ArrayOf, Count, Ite, ordered and nondeterministic branches, and swapped simultaneous updates.
        a = m.var("a", Array(IntRange(0, 3), 3), init=OneOf(0, 1))
        x = m.var("x", IntRange(0, 3), init=0)
        y = m.var("y", IntRange(0, 3), init=1)
        p = m.thread("p")
        q = m.thread("q")
        i = p.local("i", IntRange(0, 2), init=OneOf(0, 2))
        p.branch("pick", case(when=a[i] == 0, do={a[i]: 2, i: Ite(i == 2, 0, i + 1)}, label="zero"),
                 otherwise(do={x: y, y: x}, label="swap"))
        p.choose("fork", case(do={a: ArrayOf(3, lambda k: Ite(a[k] == 1, 3, a[k]))}, goto="END"),
                 case(when=Count(3, lambda k: a[k] == 0) >= 1, goto="pick", label="again"))
        q.step("wait", when=p.at("fork", "END"))
        q.step("bump", when=x < 3, do={x: x + 1})
        m.always("x_small", x <= 3)
        m.always("no_three_with_zero", Not(And(a[0] == 3, a[1] == 0, q.done)))
"""


@needs_spin
def test_spin_agrees_on_every_expression_form(write_model, tmp_path):
    model = loader.build(write_model(TRICKY))
    states, verdict, violated = _ours(model)
    assert "p_pc" in export(model).text
    run = _spin(model, tmp_path, states)
    assert (run.states, run.verdict, run.violated) == (states, verdict, violated)


def test_export_is_deterministic_and_names_the_encoding():
    model = loader.build(MODELS / "collapse_file_lock_sequence.py", {"variant": "post_fix", "pages": 2})
    a, b = export(model), export(loader.build(MODELS / "collapse_file_lock_sequence.py",
                                              {"variant": "post_fix", "pages": 2}))
    assert a.text == b.text and a.state_offset == 0
    assert "active proctype collapse()" in a.text and "d_step" in a.text and "end_done" in a.text
    assert "active proctype setup()" in a.text  # 12 initial states, one SPIN start state
    assert "printf" not in a.text  # the plain export carries no test instrumentation
    assert "printf" in export(model, instrument=True).text


def test_cli_export_writes_promela_and_refuses_without_a_format(tmp_path):
    out = tmp_path / "m.pml"
    r = CliRunner().invoke(main, ["export", "--promela", str(TOYS / "lost_update.py"), "-p", "locked=False",
                                  "-o", str(out)])
    assert r.exit_code == 0, r.output
    assert "proctype cpu0()" in out.read_text()
    r = CliRunner().invoke(main, ["export", str(TOYS / "lost_update.py")])
    assert r.exit_code == 2 and "--promela" in r.output and "Traceback" not in r.output
    r = CliRunner().invoke(main, ["export", "--promela", str(TOYS / "lost_update.py"), "-o", str(tmp_path)])
    assert r.exit_code == 2 and "Traceback" not in r.output
