"""The command line: exit codes per verdict, JSON output, the manifest gate, and bad input reported as
one paragraph with file and line (never a traceback)."""

from __future__ import annotations

import json
import re
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from collapsecheck.cli import main
from tests.conftest import MODELS, TOYS


def run(*args: str, cwd: Path | None = None):
    runner = CliRunner()
    if cwd is None:
        return runner.invoke(main, list(args))
    with runner.isolated_filesystem(temp_dir=cwd):
        return runner.invoke(main, list(args))


def toy(name: str) -> str:
    return str(TOYS / f"{name}.py")


@pytest.mark.parametrize("args,code", [
    ([toy("lost_update")], 0),
    ([toy("lost_update"), "-p", "locked=false"], 10),
    ([toy("abba_deadlock")], 11),
    ([toy("spin_forever")], 10),
    ([str(MODELS / "collapse_file_vs_uffd_register.py"), "--max-states", "1500"], 13),
])
def test_exit_code_per_verdict(args, code):
    res = run("verify", *args)
    assert res.exit_code == code, res.output


def test_vacuous_exit_code(write_model):
    path = write_model("""
        from collapsecheck.dsl import *
        def build(m):
            x = m.var("x", BOOL, init=False)
            t = m.thread("c")
            t.step("s")
            m.sometimes("never", x)
    """)
    res = run("verify", str(path))
    assert res.exit_code == 12 and "never" in res.output


def test_json_output_has_the_documented_shape():
    res = run("verify", toy("lost_update"), "-p", "locked=false", "--format", "json")
    assert res.exit_code == 10
    doc = json.loads(res.stdout)
    (r,) = doc["results"]
    for key in ("model", "params", "engine", "verdict", "expected", "property", "states", "transitions",
                "depth", "seconds", "counterexample"):
        assert key in r
    assert r["verdict"] == "violated" and r["property"] == "no_lost_update" and r["params"] == {"locked": False}
    assert [s["step"] for s in r["counterexample"]] == ["load", "load", "store", "store"]
    assert r["counterexample"][2]["changes"] == [{"var": "count", "old": "0", "new": "1"}]


def test_counterexample_text_reads_like_a_commit_message():
    res = run("verify", str(MODELS / "collapse_file_vs_uffd_register.py"), "-p", "variant=pre_fix", "-p", "pages=2")
    assert res.exit_code == 10
    out = res.output
    assert "VIOLATED: no_missing_page_becomes_present" in out
    assert "  1. uffd_register" in out and "userfaultfd_set_vm_flags" in out and "finish_fault" in out


@pytest.mark.parametrize("text,line,needle", [
    ("from collapsecheck.dsl import *\ndef build(m):\n    x = m.var('x', BOOL, init=False\n", 3, "syntax error"),
    ("from collapsecheck.dsl import *\ndef build(m):\n    x = m.var('x', BOOL, init=False)\n    t = m.thread('c')\n"
     "    t.step('s', do={x: 3})\n", 5, "assigned 3"),
    ("from collapsecheck.dsl import *\ndef build(m):\n    t = m.thread('c')\n    t.step('s', do={undefined_var: 1})\n",
     4, "NameError: name 'undefined_var' is not defined"),
    ("from collapsecheck.dsl import *\ndef build(m):\n    t = m.thread('c')\n    t.step('a', goto='END')\n"
     "    t.step('b')\n", 5, "unreachable"),
])
def test_bad_model_files_exit_2_with_file_and_line(tmp_path, text, line, needle):
    p = tmp_path / "bad_model.py"
    p.write_text(text)
    res = run("verify", str(p))
    assert res.exit_code == 2
    assert f"bad_model.py:{line}:" in res.stderr and needle in res.stderr
    assert "Traceback" not in res.output and "Traceback" not in res.stderr


def test_usage_errors_exit_2():
    assert run("verify", "no_such_model").exit_code == 2
    res = run("verify", toy("lost_update"), "-p", "nonsense=1")
    assert res.exit_code == 2 and "no parameter nonsense" in res.stderr and "locked=True" in res.stderr
    res = run("verify", toy("lost_update"), "-p", "locked=maybe")
    assert res.exit_code == 2 and "true or false" in res.stderr
    assert run("verify", toy("lost_update"), "--engine", "nope").exit_code == 2


def _project(tmp_path: Path, manifest: str, models: dict[str, str]) -> Path:
    (tmp_path / "models").mkdir()
    for name, src in models.items():
        shutil.copy(src, tmp_path / "models" / f"{name}.py")
    (tmp_path / "models" / "manifest.toml").write_text(textwrap.dedent(manifest))
    return tmp_path


def test_gate_passes_fails_and_reports(tmp_path, monkeypatch):
    proj = _project(tmp_path, """
        [[check]]
        model = "lost_update"
        params = { locked = false }
        expect = "violated"
        property = "no_lost_update"
        trace_len = 4
        states = 13

        [[check]]
        model = "lost_update"
        expect = "holds"
    """, {"lost_update": toy("lost_update")})
    monkeypatch.chdir(proj)
    res = run("verify")
    assert res.exit_code == 0, res.output
    assert "2/2 manifest entries as expected" in res.output
    summary = (proj / "reports" / "summary.md").read_text()
    assert "lost_update" in summary and "DO NOT EDIT" in summary
    # A pre-fix model that stops failing is a failure of the gate too.
    text = (proj / "models" / "manifest.toml").read_text().replace('expect = "holds"', 'expect = "violated"\nproperty = "no_lost_update"')
    (proj / "models" / "manifest.toml").write_text(text)
    res = run("verify")
    assert res.exit_code == 1 and "expected violated, observed holds" in res.output


def test_gate_rejects_wrong_pins_and_updates_them(tmp_path, monkeypatch):
    proj = _project(tmp_path, """
        [[check]]
        model = "lost_update"
        params = { locked = false }
        expect = "violated"
        property = "no_lost_update"
        trace_len = 5  # hand-counted, wrong
        states = 99
    """, {"lost_update": toy("lost_update")})
    monkeypatch.chdir(proj)
    res = run("verify")
    assert res.exit_code == 1 and "manifest pins 5" in res.output and "manifest pins 99" in res.output
    assert run("verify", "--update").exit_code == 1
    text = (proj / "models" / "manifest.toml").read_text()
    assert "trace_len = 4  # hand-counted, wrong" in text and "states = 13" in text
    assert run("verify").exit_code == 0


def test_gate_workers_give_the_rows_and_report_bytes_of_one_process(tmp_path, monkeypatch):
    """Entries run in worker processes (the default on several cores) come back in manifest order with the
    same verdicts, problems, errors and report files as in one process."""
    proj = _project(tmp_path, """
        [[check]]
        model = "lost_update"
        params = { locked = false }
        expect = "violated"
        property = "no_lost_update"
        trace_len = 4
        states = 13

        [[check]]
        model = "abba_deadlock"
        expect = "holds"

        [[check]]
        model = "lost_update"
        params = { locked = false }
        expect = "violated"
        property = "no_such_property"

        [[check]]
        model = "lost_update"
        expect = "holds"
    """, {"lost_update": toy("lost_update"), "abba_deadlock": toy("abba_deadlock")})
    monkeypatch.chdir(proj)
    out = {}
    for jobs in ("1", "3"):
        res = run("verify", "-j", jobs, "--reports", f"rep{jobs}")
        assert res.exit_code == 2, res.output  # the unknown property is a manifest error
        lines = res.output.splitlines()
        assert "manifest entries as expected" in lines[-1]
        files = sorted(p.name for p in (proj / f"rep{jobs}").iterdir())
        lines = [re.sub(r"\d+\.\d+s\b", "<time>", x) for x in lines[:-1]]  # per-entry times differ
        out[jobs] = (lines, {f: (proj / f"rep{jobs}" / f).read_bytes() for f in files})
    assert out["1"] == out["3"]
    rows = out["3"][0]
    assert [r.split()[0] for r in rows if r[:1].isupper()] == ["PASS", "FAIL", "ERROR", "PASS"], rows
    assert "summary.md" in out["3"][1]


def test_gate_cost_order_starts_the_symbolic_and_largest_entries_first():
    from collapsecheck.orchestration.gate_pool import cost_order
    from collapsecheck.result.rows import Entry
    from collapsecheck.result import Verdict

    entries = [Entry("a", {}, Verdict.HOLDS, states=10), Entry("b", {}, Verdict.HOLDS, states=500),
               Entry("c", {}, Verdict.HOLDS, engines=["prove"]), Entry("d", {}, Verdict.HOLDS)]
    assert cost_order(entries) == [2, 1, 0, 3]


def test_gate_warns_about_unlisted_py_files_without_loading_them_and_flags_bad_manifests(tmp_path, monkeypatch):
    proj = _project(tmp_path, """
        [[check]]
        model = "lost_update"
        expect = "holds"
    """, {"lost_update": toy("lost_update"), "mutex_broken": toy("mutex_broken")})
    (proj / "models" / "draft_helper.py").write_text("this is not python (\n")  # never loaded
    monkeypatch.chdir(proj)
    res = run("verify")
    assert res.exit_code == 0, res.output
    assert "mutex_broken.py: not named by any manifest entry" in res.stderr
    assert "draft_helper.py: not named by any manifest entry" in res.stderr
    (proj / "models" / "manifest.toml").write_text('[[check]]\nmodel = "lost_update"\nexpect = "fine"\n')
    res = run("verify")
    assert res.exit_code == 2 and "manifest.toml:3" in res.stderr and "'expect' must be one of" in res.stderr


def test_show_prints_threads_steps_and_properties():
    res = run("show", toy("lost_update"), "-p", "locked=false")
    assert res.exit_code == 0
    assert "thread cpu0:" in res.output and "store" in res.output and "always no_lost_update" in res.output
    res = run("show", toy("lost_update"), "--json")
    doc = json.loads(res.output)
    assert [t["name"] for t in doc["threads"]] == ["cpu0", "cpu1"]
