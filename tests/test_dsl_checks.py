"""Definition-time checks that keep a model from silently meaning something else (issue 13), the built-in
lock check, blocking acquisitions in branches, run-time model errors in every engine, and coverage."""

from __future__ import annotations

import re

import pytest
from click.testing import CliRunner

from collapsecheck.orchestration import engines, loader
from collapsecheck.cli import main
from collapsecheck.engine_config import CheckConfig
from collapsecheck.errors import ModelError
from collapsecheck.explicit import engine
from collapsecheck.result import Verdict

HEAD = "from collapsecheck.dsl import *\n\n\ndef build(m):\n"


def _model(write_model, body: str, name: str = "m.py"):
    return write_model(HEAD + "\n".join("    " + ln for ln in body.strip("\n").split("\n")) + "\n", name)


def _error(path, **params) -> str:
    with pytest.raises(ModelError) as info:
        loader.build(path, params)
    return str(info.value)


def test_duplicate_update_target_in_a_dict_literal_is_refused_at_its_line(write_model):
    path = _model(write_model, """
flag = m.var("flag", BOOL, init=False)
t = m.thread("t")
t.step("set", do={flag: True,
                  flag: False})
m.always("never_set", Not(flag))
""")
    msg = _error(path)
    assert re.match(r".*m\.py:8: thread variable t, step 'set': this dict names flag twice", msg), msg
    # Through the CLI: exit 2 and no traceback, where the author's model (flag set) is violated.
    res = CliRunner().invoke(main, ["verify", str(path)])
    assert res.exit_code == 2 and "m.py:8" in res.output and "Traceback" not in res.output


def test_duplicate_target_through_a_spread_dict_is_refused(write_model):
    path = _model(write_model, """
n = m.var("n", IntRange(0, 3), init=0)
t = m.thread("t")
common = {n: 1}
t.step("set", do={**common, n: 2})
""")
    assert "names n twice" in _error(path)


def test_aliased_array_writes_are_still_refused(write_model):
    path = _model(write_model, """
arr = m.var("arr", Array(BOOL, 2), init=False)
t = m.thread("t")
i = t.local("i", IntRange(0, 1), init=0)
t.step("set", do={arr[0]: True, arr[i]: False})
""")
    assert "distinct constant indices" in _error(path)


def test_ghost_read_in_a_guard_is_refused(write_model):
    path = _model(write_model, """
x = m.var("x", BOOL, init=False)
g = m.ghost("g", BOOL, init=False)
t = m.thread("t")
t.step("note", do={g: True})
t.step("use", when=g, do={x: True})
""")
    msg = _error(path)
    assert "m.py:9" in msg and "step 'use'" in msg and "ghost variable g is read in the guard" in msg
    assert "m.var" in msg


def test_ghost_flowing_into_a_variable_a_guard_reads_is_refused(write_model):
    path = _model(write_model, """
x = m.var("x", BOOL, init=False)
y = m.var("y", BOOL, init=False)
g = m.ghost("g", BOOL, init=False)
t = m.thread("t")
t.step("copy", do={x: g})
t.step("use", when=x, do={y: True})
""")
    msg = _error(path)
    assert "step 'copy'" in msg and "ghost variable g is read in the new value of x" in msg
    assert "x decides behaviour" in msg


def test_ghost_feeding_only_ghosts_and_properties_is_fine(write_model):
    path = _model(write_model, """
x = m.var("x", BOOL, init=False)
g = m.ghost("g", BOOL, init=False)
h = m.ghost("h", BOOL, init=False)
t = m.thread("t")
t.step("act", do={x: True, g: True})
t.step("log", do={h: And(g, x)})
m.always("logged", Implies(t.done, h))
""")
    assert engine.check(loader.build(path))[0].verdict == Verdict.HOLDS


def test_duplicate_case_label_and_constant_index_out_of_range(write_model):
    path = _model(write_model, """
x = m.var("x", BOOL, init=False)
t = m.thread("t")
t.branch("b", case(when=x, label="same"), otherwise(label="same"))
""")
    assert "case label 'same' is used twice" in _error(path)
    path = _model(write_model, """
a = m.var("a", Array(BOOL, 2), init=False)
t = m.thread("t")
t.step("s", when=a[2])
""", "m2.py")
    msg = _error(path)
    assert "m2.py:7" in msg and re.search(r"index 2 is (always )?outside a\[0..1\]", msg)


def test_whole_array_used_where_no_engine_can_encode_it_is_refused(write_model):
    path = _model(write_model, """
a = m.var("a", Array(BOOL, 2), init=False)
c = m.var("c", BOOL, init=False)
t = m.thread("t")
t.step("s", when=a == ArrayOf(2, lambda i: True), do={c: True})
""")
    msg = _error(path)
    assert "m.py:8" in msg and "only two array variables can be compared whole" in msg


def test_blocking_acquisition_in_a_branch_case_waits(write_model):
    # The example: with the lock held by `holder`, the otherwise case must not fire while the
    # case's own condition holds; the thread waits for the lock, as spin_lock does.
    path = _model(write_model, """
xa = kernel.SpinLock(m, "xa")
skipped = m.var("skipped", BOOL, init=False)
h = m.thread("holder")
h.step("lock", xa.lock(h))
h.step("unlock", xa.unlock(h))
t = m.thread("truncate")
t.branch("remove", case(xa.briefly(), when=True, label="delete under xa_lock"),
         otherwise(do={skipped: True}, label="skip"))
m.always("never_skips", Not(skipped))
""")
    res, _ = engine.check(loader.build(path))
    assert res.verdict == Verdict.HOLDS


def test_blocking_acquisition_in_choose_or_unconditioned_before_other_cases_is_refused(write_model):
    path = _model(write_model, """
xa = kernel.SpinLock(m, "xa")
t = m.thread("t")
t.choose("c", case(xa.lock(t), label="lock"), case(label="other"))
""")
    msg = _error(path)
    assert "spin_lock(xa) waits for a lock inside a case of choose" in msg and "trylock" in msg
    path = _model(write_model, """
sem = kernel.RwSem(m, "mmap_lock")
t = m.thread("t")
t.branch("b", case(sem.down_write(t), label="locked"), otherwise(goto="END", label="busy"))
""", "m2.py")
    assert "can never be taken" in _error(path)


def test_rwsem_write_trylock_and_write_briefly(write_model):
    path = _model(write_model, """
sem = kernel.RwSem(m, "mmap_lock")
got = m.var("got", BOOL, init=False)
r = m.thread("reader")
r.step("down_read", sem.down_read(r))
r.step("up_read", sem.up_read(r))
w = m.thread("writer")
w.branch("try", case(sem.down_write_trylock(w), do={got: True}, label="locked"),
         otherwise(goto="brief", label="contended"))
w.step("up", sem.up_write(w))
w.step("brief", sem.write_briefly())
m.sometimes("trylock_fails", And(w.at("brief"), Not(got)))
m.sometimes("trylock_succeeds", got)
""")
    res, _ = engine.check(loader.build(path))
    assert res.verdict == Verdict.HOLDS and all(v is not None for v in res.witnesses.values())


LEAK = """
sem = kernel.RwSem(m, "mmap_lock")
err = m.var("err", BOOL, init=OneOf(False, True))
t = m.thread("t")
t.step("down_write", sem.down_write(t))
t.branch("work", case(when=err, goto="END", label="error path: forgets up_write"), otherwise(label="ok"))
t.step("up_write", sem.up_write(t))
"""


@pytest.mark.parametrize("eng", ["explicit", "bmc", "pdr"])
def test_thread_ending_with_a_lock_held_is_a_violation(write_model, eng):
    path = _model(write_model, LEAK)
    res = engines.get(eng)(loader.build(path), CheckConfig(depth=6))
    assert res.verdict == Verdict.VIOLATED and res.property == "locks_released_at_exit"
    assert len(res.trace) == 2 and res.trace.steps[-1].case == "error path: forgets up_write"


def test_declared_lock_held_at_exit_is_accepted(write_model):
    path = _model(write_model, LEAK + 'm.allow_held_at_exit(sem, t, why="test: the kernel returns locked")\n')
    assert engine.check(loader.build(path))[0].verdict == Verdict.HOLDS
    path = _model(write_model, LEAK + 'm.allow_held_at_exit(sem, t)\n', "m2.py")
    assert "needs why=" in _error(path)


RANGE = """
n = m.var("n", IntRange(0, 2), init=0)
a = m.thread("a")
a.step("inc1", do={n: n + 1})
a.step("inc2", do={n: n + 1})
b = m.thread("b")
b.step("inc", do={n: n + 1})
"""


@pytest.mark.parametrize("eng", ["explicit", "bmc", "kind", "pdr"])
def test_run_time_error_is_a_verdict_with_trace_and_line(write_model, eng):
    path = _model(write_model, RANGE)
    res = engines.get(eng)(loader.build(path), CheckConfig(depth=6))
    assert res.verdict == Verdict.ERROR and res.verdict.exit_code == 15
    assert len(res.trace) == 2 and re.search(r"m\.py:(8|10): .*outside its range", res.message)
    assert res.extra["model_error"]["line"] in (8, 10)


def test_run_time_error_through_the_cli_exits_15(write_model):
    path = _model(write_model, RANGE)
    res = CliRunner().invoke(main, ["verify", str(path)])
    assert res.exit_code == 15 and "ERROR" in res.output and "Traceback" not in res.output


def test_a_state_whose_step_fails_is_not_a_deadlock(write_model):
    # b's step cannot be evaluated once a has counted to 2: that state is the error's, not a deadlock
    # (every other thread has finished), so no "also: a deadlock" note is made up from it.
    res, _ = engine.check(loader.build(_model(write_model, RANGE)))
    assert res.verdict == Verdict.ERROR and res.deadlock is None
    real = _model(write_model, """
n = m.var("n", IntRange(0, 1), init=0)
go = m.var("go", BOOL, init=OneOf(False, True))
a = m.thread("a")
a.branch("inc", case(when=go, do={n: n + 2}, label="overflows"), otherwise(label="skip"))
c = m.thread("c")
c.step("wait", when=n == 1)
""", "m2.py")
    res, _ = engine.check(loader.build(real))
    assert res.verdict == Verdict.ERROR and res.deadlock is not None  # a real one is still reported
    assert len(res.deadlock) == 1 and res.deadlock.steps[0].case == "skip"


def test_run_time_error_ends_the_trace_in_every_format(write_model, tmp_path):
    # text, commit columns, the diagram's .txt/.mmd/.dot: each ends with the error and its file:line.
    path = _model(write_model, RANGE)
    where = re.compile(r"m\.py:(8|10): model m, thread '(a|b)', step 'inc\d?': n is assigned a value")
    words = lambda text: " ".join(text.split())  # noqa: E731 - lines wrap at spaces anywhere
    out = words(CliRunner().invoke(main, ["verify", str(path)]).output)
    assert re.search(r"=> error after step 2: \S*" + where.pattern, out), out
    out = words(CliRunner().invoke(main, ["verify", str(path), "--format", "commit"]).output)
    assert "=> error after step 2" in out and where.search(out) and "trace to the error of 2 steps" in out, out
    assert len(where.findall(out)) == 1, out  # said once, under the columns
    for suffix in (".txt", ".mmd", ".dot"):
        fig = tmp_path / f"d{suffix}"
        res = CliRunner().invoke(main, ["diagram", str(path), "-o", str(fig)])
        text = words(fig.read_text())
        assert res.exit_code == 0 and "error after step 2" in text.lower() and "m.py:" in text, (suffix, text)


def test_shorter_violation_outranks_a_run_time_error_in_every_engine(write_model):
    path = _model(write_model, RANGE + "m.always('small', n < 1)\n")
    model = loader.build(path)
    for eng in ("explicit", "bmc", "pdr"):
        res = engines.get(eng)(model, CheckConfig(depth=6))
        assert (res.verdict, res.property, len(res.trace)) == (Verdict.VIOLATED, "small", 1), eng


def test_coverage_lists_untaken_cases_and_never_true_disjuncts(write_model):
    path = _model(write_model, """
x = m.var("x", IntRange(0, 2), init=0)
t = m.thread("t")
t.branch("b", case(when=x == 0, do={x: 1}, label="zero"), case(when=x == 2, label="two"),
         otherwise(label="other"))
m.always("p", Or(x < 2, x == 5))
m.always("q", Implies(x == 2, x > 0))
""")
    res = CliRunner().invoke(main, ["verify", str(path), "--coverage"])
    assert res.exit_code == 0
    assert "case t:b[two]" in res.output and "case t:b[other]" in res.output
    assert "never true p: x == 5" in res.output and "never true q: x == 2" in res.output
    assert "case t:b[zero]" not in res.output
    plain = CliRunner().invoke(main, ["verify", str(path)])
    assert "coverage" not in plain.output


def test_gate_does_not_load_unlisted_files_and_warns_on_unexpected_coverage(tmp_path, monkeypatch):
    models = tmp_path / "models"
    models.mkdir()
    (models / "m.py").write_text(HEAD + """    x = m.var("x", BOOL, init=False)
    t = m.thread("t")
    t.branch("b", case(when=x, label="never"), otherwise(do={x: True}, label="always"))
""")
    (models / "helper.py").write_text("raise SystemExit('must not be imported')\n")
    (models / "manifest.toml").write_text('[[check]]\nmodel = "m"\nexpect = "holds"\nengines = ["explicit"]\n'
                                          'uncovered = ["case t:b[never]"]\n')
    monkeypatch.chdir(tmp_path)
    res = CliRunner().invoke(main, ["verify", "--coverage", "--no-reports"])
    assert res.exit_code == 0, res.output
    assert "helper.py: not named by any manifest entry" in res.stderr
    assert "never exercised" not in res.stderr
    (models / "manifest.toml").write_text('[[check]]\nmodel = "m"\nexpect = "holds"\nengines = ["explicit"]\n')
    res = CliRunner().invoke(main, ["verify", "--coverage", "--no-reports"])
    assert res.exit_code == 0 and "never exercised: case t:b[never]" in res.stderr


@pytest.mark.parametrize("name,params", [
    ("collapse_file_vs_madvise_collapse", {"variant": "v6_6", "pages": "2"}),
    ("collapse_pte_mapped_thp_vs_pmd", {"variant": "stale_pmd"}),
])
def test_coverage_agrees_with_the_interpreter_over_every_reachable_state(name, params):
    # The engine reads coverage from its transition caches; the reference interpreter (model/semantics.py)
    # recomputes it from the stored states: every pc reached, every case enabled (a branch's first), every
    # property item true somewhere. Both must name the same items.
    from collapsecheck.expr.evaluate import evaluate
    from collapsecheck.expr.nodes import show
    from collapsecheck.explicit.coverage import case_name, property_items
    from collapsecheck.explicit.run import run
    from collapsecheck.model import semantics
    from collapsecheck.model.builder import LOCK_EXIT_PROPERTY
    from collapsecheck.result.coverage import items

    model = loader.build(loader.resolve(name), params)
    res = run(model, CheckConfig(options={"coverage": True}))
    states = [res.artifacts["exploration"].compiled.decode(s) for s in res.artifacts["exploration"].packed]
    pcs = {(t.index, s[model.layout.pc_slot[t.index]]) for s in states for t in model.threads}
    taken = {aid for s in states for aid, _ in semantics.successors(model, s)}
    steps = [f"{t.name}:{st.name}" for t in model.threads for k, st in enumerate(t.steps) if (t.index, k) not in pcs]
    cases = [case_name(model, a.thread, a.step, a.case) for a in model.actions if a.id not in taken
             and f"{model.threads[a.thread].name}:{model.threads[a.thread].steps[a.step].name}" not in steps]
    never: list[str] = []
    for p in model.always + model.sometimes:
        if p.name == LOCK_EXIT_PROPERTY and p.loc is None:
            continue
        for it in property_items(p.expr):
            n = f"{p.name}: {show(it)}"
            if n not in never and not any(evaluate(it, semantics.StateView(model, s)) for s in states):
                never.append(n)
    mine = items({"unreached_steps": steps, "untaken_cases": cases, "never_true": never})
    assert sorted(items(res.extra["coverage"])) == sorted(mine) and mine


def test_verify_model_sarif_reports_a_run_time_error_and_a_deadlock_at_the_model(write_model):
    # `verify MODEL --format sarif` has no manifest entry: the error points at its case's file:line with
    # the trace, a deadlock at the model file with its path, never at a manifest the user did not give.
    import json

    out = CliRunner().invoke(main, ["verify", str(_model(write_model, RANGE)), "--format", "sarif"])
    [res] = json.loads(out.output)["runs"][0]["results"]
    where = res["locations"][0]["physicalLocation"]
    assert out.exit_code == 15 and res["ruleId"] == "collapsecheck/model-error" and "codeFlows" in res
    assert where["artifactLocation"]["uri"].endswith("m.py") and where["region"]["startLine"] in (8, 10)
    dead = _model(write_model, """
lk = kernel.SpinLock(m, "lk")
go = m.var("go", BOOL, init=False)
a = m.thread("a")
a.step("lock", lk.lock(a))
a.step("wait", when=go)
a.step("unlock", lk.unlock(a))
b = m.thread("b")
b.step("lock", lk.lock(b), do={go: True})
b.step("unlock", lk.unlock(b))
""", "d.py")
    out = CliRunner().invoke(main, ["verify", str(dead), "--format", "sarif"])
    [res] = json.loads(out.output)["runs"][0]["results"]
    assert out.exit_code == 11 and "deadlock" in res["message"]["text"] and "codeFlows" in res
    assert res["locations"][0]["physicalLocation"]["artifactLocation"]["uri"].endswith("d.py")
