"""Output states only what was measured; the manifest is validated at each key's own line; every command
works from any directory or says clearly why not; the progress display appears on a terminal only."""

from __future__ import annotations

import io
import shutil
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from collapsecheck import progress
from collapsecheck.orchestration import verify
from collapsecheck.cli import main
from collapsecheck.engine_config import CheckConfig
from collapsecheck.report.text import format_result, gate_line
from collapsecheck.result import Verdict
from tests.conftest import MODELS, TOYS, build_toy


def run(*args: str):
    return CliRunner().invoke(main, list(args))


def toy(name: str) -> str:
    return str(TOYS / f"{name}.py")


# ----------------------------------------------------------------------------------- result lines
def test_bmc_without_violation_is_bounded_exit_14_and_prints_no_state_count():
    res = run("verify", toy("lost_update"), "--engine", "bmc", "--depth", "12")
    assert res.exit_code == 14, res.output
    assert "BOUNDED" in res.output and "no violation up to depth 12 (bounded)" in res.output
    assert " states" not in res.output.split("\n")[1] and "solver queries" in res.output


def test_symbolic_proof_prints_its_invariant_one_conjunct_per_line():
    res = run("verify", toy("mutex_broken"), "-p", "atomic=true", "--engine", "pdr", "--portfolio", "houdini")
    assert res.exit_code == 0, res.output
    lines = res.output.splitlines()
    k = next(i for i, line in enumerate(lines) if "inductive invariant [houdini" in line)
    body = [line for line in lines[k + 1:] if line.startswith("      ")]
    assert len(body) >= 2 and all(len(line) < 200 for line in body)
    assert "0 states" not in res.output


def test_a_violation_carries_no_invariant():
    res = run("verify", str(MODELS / "collapse_file_vs_uffd_register.py"), "-p", "variant=pre_fix", "-p", "pages=2",
              "--engine", "pdr")
    assert res.exit_code == 10, res.output
    assert "inductive invariant" not in res.output


def test_bmc_says_what_it_did_not_search_never_not_reached():
    res = run("verify", str(MODELS / "collapse_file_vs_uffd_register.py"), "-p", "variant=pre_fix", "-p", "pages=2",
              "--engine", "bmc")
    assert res.exit_code == 10, res.output
    assert "not searched beyond depth" in res.output and "the verdict was settled there" in res.output
    witnesses = next(line for line in res.output.splitlines() if line.strip().startswith("witnesses:"))
    assert "not reached" not in witnesses.replace("not searched", "")


def test_explicit_limit_says_witnesses_were_not_reached_in_what_was_searched():
    res = run("verify", str(MODELS / "collapse_file_vs_uffd_register.py"), "--max-states", "1500")
    assert res.exit_code == 13
    assert "not reached in the" in res.output and "NEVER" not in res.output


def test_gate_line_is_never_both_inconclusive_and_proved_and_names_the_compared_subset():
    model = build_toy("spin_forever", fixed=True)
    results = {n: verify.check_model(model, n, CheckConfig(timeout=30)) for n in ("explicit", "pdr")}
    entry = verify.manifest.Entry(model="spin_forever", params={"fixed": True}, expect=Verdict.HOLDS)
    row = verify.Row(entry, results, model)
    row.problems = verify.compare(entry, results, [p.name for p in model.properties])
    row.notes, more = verify.outside_comparison(results)
    line = gate_line(row)
    assert "inconclusive, proved" not in line
    assert "safety properties proved" in line and "progress properties not checked" in line
    assert "compared on safety properties only" in line and "retrier_makes_progress" in line


def test_gate_shows_a_violation_outside_the_compared_subset():
    model = build_toy("spin_forever")
    results = {n: verify.check_model(model, n, CheckConfig(timeout=30)) for n in ("explicit", "pdr")}
    notes, _ = verify.outside_comparison(results)
    assert any("retrier_makes_progress violated" in n and "not checked by pdr" in n for n in notes), notes


def test_diagram_of_a_model_that_holds_says_so_in_english(tmp_path):
    res = run("diagram", toy("lost_update"), "-o", str(tmp_path / "x.txt"))
    assert res.exit_code == 2
    assert "holds: there is no counterexample to draw" in res.stderr and "is holds" not in res.stderr


# ----------------------------------------------------------------------------------- manifest
def _project(tmp_path: Path, manifest: str) -> Path:
    (tmp_path / "models").mkdir()
    shutil.copy(TOYS / "lost_update.py", tmp_path / "models" / "lost_update.py")
    (tmp_path / "models" / "manifest.toml").write_text(textwrap.dedent(manifest).lstrip("\n"))
    return tmp_path


@pytest.mark.parametrize("body,line,words", [
    ('model = "lost_update"\nexpect = "holds"\nwitnesess = ["both_finish"]\n', 5, "did you mean 'witnesses'"),
    ('model = "lost_update"\nexpect = "holds"\nbudget = "slowish"\n', 5, "'budget' must be one of"),
    ('model = "lost_update"\nexpect = "holds"\nengines = ["explicit", "pdrr"]\n', 5, "unknown engine(s) pdrr"),
    ('model = "lost_update"\nexpect = "holds"\nstates = -3\n', 5, "'states' must be a whole number"),
    ('model = "lost_update"\nexpect = "holds"\noptions = { encodng = "flat" }\n', 5, "unknown option 'encodng'"),
    ('model = "lost_update"\nparams = { locked = false }\nexpect = "violated"\nproperty = "no_lost_updat"\n', 6,
     "no property 'no_lost_updat'"),
    ('model = "lost_update"\nexpect = "holds"\nwitnesses = [\n  "both_finish",\n  "both_finsh",\n]\n', 7,
     "no witness 'both_finsh'"),
])
def test_every_manifest_mistake_is_exit_2_at_its_own_line(tmp_path, monkeypatch, body, line, words):
    proj = _project(tmp_path, "# header\n[[check]]\n" + body)
    monkeypatch.chdir(proj)
    res = run("verify", "--no-reports")
    assert res.exit_code == 2, res.output
    assert f"manifest.toml:{line}:" in res.output + res.stderr and words in res.output + res.stderr


def test_manifest_schema_accepts_this_rounds_keys(tmp_path):
    proj = _project(tmp_path, """
        [[check]]
        model = "lost_update"
        params = { pages = "N" }
        expect = "holds"
        engines = ["explicit", "bmc"]
        uncovered = ["cpu0:load"]
    """)
    (entry,) = verify.manifest.load(proj / "models" / "manifest.toml")
    assert entry.params == {"pages": "N"} and entry.uncovered == ["cpu0:load"] and entry.engines == ["explicit", "bmc"]


def test_manifest_default_engines_is_documented_and_used(tmp_path):
    proj = _project(tmp_path, '[[check]]\nmodel = "lost_update"\nexpect = "holds"\n')
    (entry,) = verify.manifest.load(proj / "models" / "manifest.toml")
    assert entry.engines == verify.manifest.DEFAULT_ENGINES == ["explicit"]
    shipped = (Path(__file__).resolve().parent.parent / "models" / "manifest.toml").read_text()
    assert 'engines (default ["explicit"])' in shipped  # the manifest's own header says so


# ----------------------------------------------------------------------------------- any directory
def test_outside_a_project_commands_say_why_and_exit_2(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for args in (["list"], ["verify"], ["diagram", "collapse_file_vs_uffd_register", "-o", "x.png"],
                 ["show", "collapse_file_vs_uffd_register"]):
        res = run(*args)
        assert res.exit_code == 2, (args, res.output)
        assert "--models DIR" in res.stderr


def test_models_option_and_paths_work_from_anywhere(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    res = run("list", "--models", str(MODELS))
    assert res.exit_code == 0 and "collapse_file_vs_uffd_register" in res.output
    res = run("show", "collapse_file_vs_uffd_register", "--models", str(MODELS))
    assert res.exit_code == 0
    res = run("verify", toy("lost_update"))
    assert res.exit_code == 0


def test_reports_go_beside_a_custom_manifest(tmp_path, monkeypatch):
    d = tmp_path / "elsewhere" / "checks"
    d.mkdir(parents=True)
    shutil.copy(TOYS / "lost_update.py", d / "lost_update.py")
    (d / "my.toml").write_text('[[check]]\nmodel = "lost_update"\nexpect = "holds"\nengines = ["explicit"]\n')
    monkeypatch.chdir(tmp_path)
    res = run("verify", "--manifest", str(d / "my.toml"))
    assert res.exit_code == 0, res.output
    assert (d / "reports" / "summary.md").is_file() and not (tmp_path / "elsewhere" / "reports").exists()


# ----------------------------------------------------------------------------------- progress
class _Tty(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_progress_paints_on_a_terminal_only():
    progress.start("bmc")
    progress.phase("bounded search")
    progress.figures(depth=7, solver_s=1.5)
    progress.gate_entry(3, 37, "model[pages=2]")
    tty, pipe = _Tty(), io.StringIO()
    progress.Display(True, tty).paint()
    progress.Display(True, pipe).paint()
    progress.Display(False, _Tty()).paint()
    progress.gate_done()
    assert "entry 3/37 model[pages=2]" in tty.getvalue() and "depth 7" in tty.getvalue()
    assert "bmc [bounded search]" in tty.getvalue() and pipe.getvalue() == ""


def test_no_progress_output_when_stderr_is_not_a_terminal():
    res = run("verify", toy("lost_update"), "--engine", "explicit", "--engine", "bmc", "--depth", "5")
    assert "\r" not in res.stderr and "\x1b" not in res.stderr


def test_format_result_for_a_limit_says_phase_and_reached():
    model = build_toy("lost_update")
    res = verify.check_model(model, "explicit", CheckConfig(max_states=2))
    text = format_result(model, res)
    assert "INCONCLUSIVE" in text and "states limit" in text
