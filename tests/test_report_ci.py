"""CI formats: SARIF 2.1.0 (validated against the OASIS schema shipped in tests/data/report), JUnit XML
(read back with junitparser, a standard JUnit reader), GitHub annotations and the step summary, and the
CLI options that emit them."""
from __future__ import annotations

import json
import os
import shutil
import xml.etree.ElementTree as ET
from pathlib import Path

import jsonschema
import pytest
from click.testing import CliRunner

from collapsecheck import verify
from collapsecheck.cli import main
from collapsecheck.engines import CheckConfig
from collapsecheck.report.github import annotations, escape_data, escape_property, step_summary
from collapsecheck.report.junit import junit_xml
from collapsecheck.report.sarif import sarif_log

ROOT = Path(__file__).resolve().parent.parent
SCHEMA = json.loads((ROOT / "tests" / "data" / "report" / "sarif-schema-2.1.0.json").read_text())

MANIFEST = """\
[[check]]
engines = ["explicit"]
model = "toy_slots"
expect = "violated"
property = "reader_sees_full_slots"
trace_len = 5

[[check]]
engines = ["explicit"]
model = "toy_slots"
params = { early_flag = false }
expect = "violated"
property = "reader_sees_full_slots"

[[check]]
model = "broken"
expect = "holds"
"""


@pytest.fixture(scope="module")
def project(tmp_path_factory):
    """models/ with a passing entry, a mismatch (the fixed toy holds) and a model that does not build."""
    root = tmp_path_factory.mktemp("proj")
    (root / "models").mkdir()
    shutil.copy(ROOT / "tests" / "data" / "report" / "toy_slots.py", root / "models" / "toy_slots.py")
    (root / "models" / "broken.py").write_text("def build(m):\n    m.var('x', 42)\n")
    (root / "models" / "manifest.toml").write_text(MANIFEST)
    return root


@pytest.fixture(scope="module")
def rows(project):
    # Locations are relative to the working directory, which CI sets to the project root.
    here = os.getcwd()
    os.chdir(project)
    try:
        got, general = verify.run_gate(Path("models") / "manifest.toml", CheckConfig())
    finally:
        os.chdir(here)
    assert [r.status for r in got] == ["PASS", "FAIL", "ERROR"] and general == []
    return got


def validate(log):
    jsonschema.Draft4Validator.check_schema(SCHEMA)
    jsonschema.validate(log, SCHEMA, cls=jsonschema.Draft4Validator)


def test_sarif_validates_and_locates_findings(rows):
    log = sarif_log(rows, "models/manifest.toml")
    validate(log)
    run = log["runs"][0]
    results = {(r["ruleId"], r["level"]) for r in run["results"]}
    assert ("toy_slots/reader_sees_full_slots", "note") in results  # the expected violation
    assert ("toy_slots/reader_sees_full_slots", "error") in results  # expected to fail, but it holds
    assert ("collapsecheck/model-error", "error") in results
    assert {r["id"] for r in run["tool"]["driver"]["rules"]} == {x for x, _ in results}
    for r in run["results"]:
        assert run["tool"]["driver"]["rules"][r["ruleIndex"]]["id"] == r["ruleId"]
    note = next(r for r in run["results"] if r["level"] == "note")
    loc = note["locations"][0]["physicalLocation"]
    line = loc["region"]["startLine"]
    text = (ROOT / "tests" / "data" / "report" / "toy_slots.py").read_text().splitlines()
    assert loc["artifactLocation"]["uri"].endswith("toy_slots.py")
    assert "reader_sees_full_slots" in text[line - 1]  # the property's own line (Property.loc)


def test_sarif_counterexample_is_a_thread_flow_per_thread(rows):
    log = sarif_log(rows[:1])
    validate(log)
    flows = log["runs"][0]["results"][0]["codeFlows"][0]["threadFlows"]
    assert [f["id"] for f in flows] == ["writer", "reader"]
    orders = [(f["id"], loc["executionOrder"]) for f in flows for loc in f["locations"]]
    assert orders == [("writer", 1), ("writer", 2), ("writer", 3), ("writer", 4), ("reader", 5)]
    first = flows[0]["locations"][0]
    assert first["kinds"] == ["acquire", "lock"] and first["state"] == {"lock": {"text": "nobody -> writer"}}
    assert "danger" in flows[1]["locations"][0]["kinds"]
    text = (ROOT / "tests" / "data" / "report" / "toy_slots.py").read_text().splitlines()
    line = first["location"]["physicalLocation"]["region"]["startLine"]
    assert '"spin_lock"' in text[line - 1]  # each step points at the model line that defines it


def test_sarif_for_the_real_gate_validates():
    got, _ = verify.run_gate(ROOT / "models" / "manifest.toml", CheckConfig(), only=["collapse_file_lock_sequence"],
                             engine_override=["explicit"])
    validate(sarif_log(got))


def test_junit_reads_back_with_a_standard_reader(rows, tmp_path):
    junitparser = pytest.importorskip("junitparser")
    path = tmp_path / "j.xml"
    path.write_text(junit_xml(rows))
    xml = junitparser.JUnitXml.fromfile(str(path))
    suites = list(xml)
    assert [s.name for s in suites] == ["toy_slots", "broken"]
    cases = [(c.classname, c.name, c.is_passed) for s in suites for c in s]
    assert cases == [("toy_slots", "(defaults)", True), ("toy_slots", "early_flag=False", False),
                     ("broken", "(defaults)", False)]
    assert suites[0].tests == 2 and suites[0].failures == 1 and suites[1].errors == 1
    failed = list(suites[0])[1]
    (failure,) = failed.result
    assert failure.type == "ManifestMismatch" and "expected violated" in failure.text


def test_junit_follows_surefire_rules(rows):
    root = ET.fromstring(junit_xml(rows, timing=False).encode())
    assert root.tag == "testsuites"
    for suite in root:
        assert suite.tag == "testsuite"
        assert {"name", "tests", "failures", "errors", "skipped", "time"} <= set(suite.attrib)
        assert int(suite.get("tests")) == len(suite.findall("testcase"))
        for case in suite:
            assert {"classname", "name", "time"} <= set(case.attrib)
            assert len(case.findall("failure")) + len(case.findall("error")) <= 1
    assert junit_xml(rows, timing=False) == junit_xml(rows, timing=False)


def test_github_annotations(rows):
    lines = annotations(rows)
    assert len(lines) == 2  # the mismatch and the model error; the expected violation is no alert
    assert lines[0].startswith("::error file=models/toy_slots.py,line=")
    assert "title=toy_slots [early_flag=False] does not match the manifest::" in lines[0]
    assert lines[1].startswith("::error file=models/broken.py,line=2,")
    assert escape_data("50%\nx") == "50%25%0Ax"
    assert escape_property("a:b,c") == "a%3Ab%2Cc"


def test_step_summary_has_mermaid(rows):
    text = step_summary(rows)
    assert text.startswith("## collapsecheck: 1/3 manifest entries as expected")
    assert "```mermaid\nsequenceDiagram" in text and "<details>" in text


def test_cli_gate_formats_and_files(project, monkeypatch, tmp_path):
    monkeypatch.chdir(project)
    summary = tmp_path / "summary.md"
    monkeypatch.setenv("GITHUB_ACTIONS", "true")
    monkeypatch.setenv("GITHUB_STEP_SUMMARY", str(summary))
    res = CliRunner().invoke(main, ["verify", "--no-reports", "--format", "sarif", "--junit", str(tmp_path / "j.xml")])
    assert res.exit_code == 2, res.output  # an entry could not be checked
    validate(json.loads(res.stdout))  # annotations went to stderr, so stdout is pure SARIF
    assert "::error file=models/broken.py" in res.stderr
    assert (tmp_path / "j.xml").read_text().startswith("<?xml")
    assert "```mermaid" in summary.read_text()


def test_cli_single_model_commit_format():
    res = CliRunner().invoke(main, ["verify", str(ROOT / "tests" / "data" / "report" / "toy_slots.py"),
                                    "--format", "commit"])
    assert res.exit_code == 10
    assert "CPU A (writer)" in res.stdout and "=> violated: reader_sees_full_slots" in res.stdout


def test_cli_diagram_and_graph(tmp_path):
    toy = str(ROOT / "tests" / "data" / "report" / "toy_slots.py")
    r = CliRunner().invoke(main, ["diagram", toy, "-o", str(tmp_path / "d.dot")])
    assert r.exit_code == 0 and (tmp_path / "d.dot").read_text().startswith("digraph counterexample {")
    r = CliRunner().invoke(main, ["diagram", toy, "-p", "early_flag=false", "-o", str(tmp_path / "e.dot")])
    assert r.exit_code == 2 and "no counterexample to draw" in r.stderr and "Traceback" not in r.output
    r = CliRunner().invoke(main, ["diagram", toy, "-o", str(tmp_path / "d.gif")])
    assert r.exit_code == 2 and "cannot tell the format" in r.stderr
    r = CliRunner().invoke(main, ["graph", toy, "-o", str(tmp_path / "g.dot")])
    assert r.exit_code == 0 and 'fillcolor="#ef9a9a"' in (tmp_path / "g.dot").read_text()
    r = CliRunner().invoke(main, ["graph", toy, "--cap", "3", "-o", str(tmp_path / "h.dot")])
    assert r.exit_code == 2 and "over the cap of 3" in r.stderr and not (tmp_path / "h.dot").exists()


def test_examples_only_use_existing_options():
    """The shipped workflow and hook definitions must not call options the CLI does not have."""
    import re

    help_text = CliRunner().invoke(main, ["verify", "--help"]).output
    for f in (ROOT / ".pre-commit-hooks.yaml", ROOT / "examples" / "pre-commit-config.yaml",
              ROOT / "examples" / "github-workflow.yml"):
        commands = re.findall(r"collapsecheck verify([^\n'\"|;]*)", f.read_text())
        assert commands, f
        for cmd in commands:
            for opt in re.findall(r"(--[a-z][a-z-]+)", cmd):
                assert opt in help_text, (f.name, opt)


def test_unexpected_deadlock_keeps_its_path(tmp_path, monkeypatch):
    (tmp_path / "models").mkdir()
    shutil.copy(ROOT / "tests" / "toys" / "abba_deadlock.py", tmp_path / "models" / "abba_deadlock.py")
    (tmp_path / "models" / "manifest.toml").write_text('[[check]]\nmodel = "abba_deadlock"\nexpect = "holds"\nengines = ["explicit"]\n')
    monkeypatch.chdir(tmp_path)
    got, _ = verify.run_gate(Path("models") / "manifest.toml", CheckConfig())
    log = sarif_log(got)
    validate(log)
    (res,) = log["runs"][0]["results"]
    assert res["ruleId"] == "collapsecheck/manifest-mismatch" and res["level"] == "error"
    assert res["locations"][0]["physicalLocation"] == {"artifactLocation": {"uri": "models/manifest.toml"},
                                                       "region": {"startLine": 1}}
    assert [f["id"] for f in res["codeFlows"][0]["threadFlows"]] == ["cpu0", "cpu1"]
