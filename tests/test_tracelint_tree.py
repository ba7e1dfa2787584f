"""Tests for ``lint-trace`` over a tree: directory search, header-local macros expanded, events
skipped (not files), false-positive classes gone with their real twins still found, call sites
checked with tree-sitter, bad input, output formats.

The fixtures in tests/data/tracelint/tree/ form a tiny kernel-like tree written for these tests;
they paraphrase kernel idioms and contain no kernel source.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from collapsecheck.tracelint import main
from collapsecheck.tracelint.report import TreeReport
from collapsecheck.tracelint.runner import discover, iter_notes_by_reason, run

TREE = Path(__file__).parent / "data" / "tracelint" / "tree"
SCHEMA = Path(__file__).parent / "data" / "report" / "sarif-schema-2.1.0.json"


def rel(path: str) -> str:
    return os.path.relpath(path, TREE)


def findings(report: TreeReport) -> list[tuple[str, int, str, str]]:
    return [(rel(f.path), f.line, f.rule, f.severity) for f in report.findings]


def message(report: TreeReport, name: str, line: int, rule: str) -> str:
    hits = [f.message for f in report.findings if rel(f.path) == name and f.line == line and f.rule == rule]
    assert len(hits) == 1, (name, line, rule, hits)
    return hits[0]


@pytest.fixture(scope="module")
def tree_report() -> TreeReport:
    return run([str(TREE)], tree=str(TREE), callsite_root=str(TREE), jobs=1, progress=False)


WRAPPED = "include/trace/events/widget_wrapped.h"
RECORDS = "include/trace/events/widget_records.h"
LISTS = "include/trace/events/widget_lists.h"
READ_C = "fs/blobfs/read.c"

EXPECTED = [
    (READ_C, 10, "T4", "error"),
    (READ_C, 11, "T4", "error"),
    (READ_C, 12, "T4", "error"),
    (READ_C, 13, "T4", "error"),
    (READ_C, 15, "T4", "error"),
    (READ_C, 30, "T4", "error"),
    (READ_C, 38, "T4", "warning"),
    ("fs/blobfs/trace.h", 40, "T2", "error"),
    (LISTS, 14, "T5", "error"),
    (RECORDS, 31, "T2", "warning"),
    (RECORDS, 46, "T2", "error"),
    (RECORDS, 47, "T2", "warning"),
    (RECORDS, 51, "T2", "error"),
    (RECORDS, 54, "T3", "error"),
    (WRAPPED, 40, "T1", "error"),
    (WRAPPED, 64, "T3", "error"),
    (WRAPPED, 98, "T1", "error"),
    (WRAPPED, 113, "T3", "error"),
]


def test_tree_findings_are_exactly_the_planted_defects(tree_report: TreeReport) -> None:
    assert findings(tree_report) == EXPECTED


def test_directory_search_finds_headers_that_define_events() -> None:
    files, notes = discover([str(TREE)])
    assert notes == []
    assert sorted(rel(f) for f in files) == [
        "drivers/widget/unterminated_trace.h",
        "fs/blobfs/trace.h",
        LISTS,
        RECORDS,
        WRAPPED,
    ]  # helper headers without events, binary and empty files are not picked up


def test_no_file_refused_and_unreadable_events_counted(tree_report: TreeReport) -> None:
    assert (tree_report.files, tree_report.unreadable) == (5, 0)
    skipped = [(rel(n.path), n.line) for n in tree_report.notes if n.skipped]
    assert skipped == [("drivers/widget/unterminated_trace.h", 11), ("fs/blobfs/trace.h", 19)]
    assert tree_report.skipped_events == 2
    # The good event before the unterminated one and after the unparseable one are still read.
    assert tree_report.events == 17
    assert iter_notes_by_reason(tree_report.notes) == {
        "a prototype or field type that is not C": 1,
        "unbalanced brackets": 1,
    }


# --- macros the header defines are expanded ---------------------------------------------------


def test_wrapper_macros_are_expanded(tree_report: TreeReport) -> None:
    # TP_STRUCT__entry_widget(...) adds 'unit', written by widget_store_unit(): no finding on
    # widget_open; an object-like macro holding TP_PROTO; show_widget_dev() gives two arguments.
    assert not [f for f in tree_report.findings if f.event == "widget_open"]
    # The defect behind the wrapper is found (it was invisible while the file was refused).
    assert "TP_ARGS(..., to, from)" in message(tree_report, WRAPPED, 40, "T1")


def test_generated_events_and_digit_names_are_read(tree_report: TreeReport) -> None:
    assert "'irq' (int) arrives in the struct widget * slot 'w'" in message(tree_report, WRAPPED, 98, "T1")
    noted = {n.message for n in tree_report.notes}
    assert not [m for m in noted if "2d_widget_irq" in m]


def test_included_helper_is_expanded_only_with_tree() -> None:
    header = str(TREE / WRAPPED)
    with_tree = run([header, str(TREE / LISTS)], tree=str(TREE), jobs=1, progress=False)
    without = run([header, str(TREE / LISTS)], tree=None, jobs=1, progress=False)
    assert (WRAPPED, 113, "T3", "error") in findings(with_tree)
    assert (WRAPPED, 113, "T3", "error") not in findings(without)  # unknown helper: silent


# --- false-positive classes: gone, and a real defect of the same shape is still found -----------


def test_e_terminator_fp_gone_and_trailing_comma_still_found(tree_report: TreeReport) -> None:
    lists = [f for f in tree_report.findings if rel(f.path) == LISTS]
    assert [(f.line, f.rule) for f in lists] == [(14, "T5")]  # widget_modes only
    assert "widget_modes: the last entry EM(WIDGET_MODE_B" in lists[0].message


def test_multi_argument_printk_helper(tree_report: TreeReport) -> None:
    # widget_open prints show_widget_dev() with "%d,%d": clean; widget_close with "%d": found.
    assert "argument 2 'MINOR(__entry->dev)' is never printed" in message(tree_report, WRAPPED, 64, "T3")


def test_pointer_typedef_fp_gone_and_integer_with_p_still_found(tree_report: TreeReport) -> None:
    assert not [f for f in tree_report.findings if f.event == "widget_record" and f.rule == "T3"]
    assert "'%p' prints '__entry->cookie' (unsigned int)" in message(tree_report, RECORDS, 54, "T3")


def test_bool_in_u8_fp_gone_and_bool_in_address_still_found(tree_report: TreeReport) -> None:
    record = [f for f in tree_report.findings if f.event == "widget_record"]
    assert [(f.line, f.severity) for f in record] == [(31, "warning")]  # the pointer->bool flag only
    assert "an unsigned long field fed from a bool" in message(tree_report, RECORDS, 51, "T2")


def test_indirect_writes_fp_gone_and_unwritten_printed_field_is_error(tree_report: TreeReport) -> None:
    # addr (cast pointer), label (helper), tag (entry->), unit ((lvalue)), has_buf (plain and
    # data_loc members of the same name) are all written in widget_record.
    assert "TP_printk prints them" in message(tree_report, RECORDS, 46, "T2")
    assert "assign it or drop the field" in message(tree_report, RECORDS, 47, "T2")


def test_ifdef_inside_printk_is_a_note_not_a_finding(tree_report: TreeReport) -> None:
    assert not [f for f in tree_report.findings if f.event == "widget_stats"]
    notes = [n for n in tree_report.notes if "widget_stats" in n.message]
    assert len(notes) == 1 and not notes[0].skipped


# --- call sites ----------------------------------------------------------------------------------


def test_callsites(tree_report: TreeReport) -> None:
    assert (tree_report.c_files, tree_report.calls) == (1, 10)
    assert "write trace_blobfs_read(b, pos, len)" in message(tree_report, READ_C, 10, "T4")
    assert "passes 2 arguments but TP_PROTO(struct blob *b, unsigned long pos, unsigned int len)" in (
        message(tree_report, READ_C, 11, "T4")
    )
    assert "argument 2 'where' is a pointer, but TP_PROTO parameter 'unsigned long pos'" in (
        message(tree_report, READ_C, 12, "T4")
    )
    assert "argument 1 '7' is an integer" in message(tree_report, READ_C, 13, "T4")
    # Named like parameter 2 and declared with its type: it belongs there (the ext4 shape).
    assert ("it is the value of parameter 2 'unsigned long pos' (same name, same type), which "
            "receives 'b->size' instead; pass 'pos' as argument 2 and a 'unsigned int len' value as "
            "argument 3") in message(tree_report, READ_C, 15, "T4")
    assert "pass 'len' as argument 3 and a 'unsigned long pos' value as argument 2" in (
        message(tree_report, READ_C, 30, "T4")
    )
    # The same name without a declaration in sight: only a warning that names both slots.
    warn = message(tree_report, READ_C, 38, "T4")
    assert "named like parameter 2 'unsigned long pos', which receives 'b->size'" in warn
    # blob_seek(): names look swapped but the caller's declared types match the slots: nothing.
    assert not [f for f in tree_report.findings if f.event == "widget_seek" and f.rule == "T4"]


# --- bad input -----------------------------------------------------------------------------------


def test_bad_files_are_notes_and_exit_code_follows_findings(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    big = tmp_path / "huge_trace.h"
    big.write_text("/* padding */\n" * 800_000)  # ~11 MB
    binary = TREE / "drivers/widget/firmware_trace.h"
    empty = TREE / "drivers/widget/empty_trace.h"
    cut = TREE / "drivers/widget/unterminated_trace.h"
    code = main([str(big), str(binary), str(empty), str(cut)], jobs=1, progress=False)
    out, err = capsys.readouterr()
    assert code == 0 and err == "" and "Traceback" not in out
    assert f"{big}: note: file is 10.7 MiB, over the 4 MiB limit" in out
    assert f"{binary}: note: binary file (NUL bytes)" in out
    assert f"{cut}:11: note: TRACE_EVENT(...) skipped" in out
    assert "in 4 headers (2 unreadable), 1 event (1 skipped)" in out
    # With an error finding among them, the exit code says so.
    code = main([str(binary), str(TREE / WRAPPED)], jobs=1, progress=False)
    capsys.readouterr()
    assert code == 1
    # Nothing readable at all: exit 2 (not "clean").
    assert main([str(binary), str(big)], jobs=1, progress=False) == 2
    out, err = capsys.readouterr()
    assert main(str(binary)) == 2
    out, err = capsys.readouterr()
    assert err.count("\n") == 1 and "binary file" in err


def test_usage_errors_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    assert main([str(tmp_path / "none"), str(tmp_path / "other")], progress=False) == 2
    assert "no such file or directory" in capsys.readouterr().err
    assert main([str(TREE)], callsite_root=str(tmp_path / "missing"), progress=False) == 2
    assert main([str(TREE)], severity="info", progress=False) == 2
    assert main([str(TREE), str(TREE)], enum_source=str(TREE / READ_C), progress=False) == 2


# --- output --------------------------------------------------------------------------------------


def test_severity_error_hides_warnings_but_counts_them(capsys: pytest.CaptureFixture[str]) -> None:
    code = main([str(TREE)], tree=str(TREE), severity="error", jobs=1, progress=False)
    out, _ = capsys.readouterr()
    assert code == 1
    assert "warning[" not in out and "error[T1]" in out
    assert "(2 warnings not shown: --severity warning shows them)" in out


def test_json_is_deterministic_across_job_counts(capsys: pytest.CaptureFixture[str]) -> None:
    outs = []
    for jobs in (1, 2):
        main([str(TREE)], tree=str(TREE), callsite_root=str(TREE), fmt="json", jobs=jobs, progress=False)
        outs.append(capsys.readouterr().out)
    assert outs[0] == outs[1]
    doc = json.loads(outs[0])
    assert (doc["files"], doc["events"], doc["skipped_events"], doc["calls"]) == (5, 17, 2, 10)
    assert (doc["errors"], doc["warnings"]) == (15, 3)
    assert set(doc["findings"][0]) == {"path", "line", "rule", "severity", "message", "event"}


def test_sarif_validates_and_has_one_result_per_finding(capsys: pytest.CaptureFixture[str]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    main([str(TREE)], tree=str(TREE), callsite_root=str(TREE), fmt="sarif", jobs=1, progress=False)
    doc = json.loads(capsys.readouterr().out)
    jsonschema.validate(doc, json.loads(SCHEMA.read_text()))
    results = doc["runs"][0]["results"]
    assert len(results) == len(EXPECTED)
    first = results[0]["locations"][0]["physicalLocation"]
    assert first["artifactLocation"]["uri"].endswith("fs/blobfs/read.c")
    assert first["region"] == {"startLine": 10}
    notes = doc["runs"][0]["invocations"][0]["toolExecutionNotifications"]
    assert len(notes) == 2


def test_single_header_sarif(capsys: pytest.CaptureFixture[str]) -> None:
    jsonschema = pytest.importorskip("jsonschema")
    code = main(str(TREE / WRAPPED), fmt="sarif")
    doc = json.loads(capsys.readouterr().out)
    jsonschema.validate(doc, json.loads(SCHEMA.read_text()))
    assert code == 1
    assert [r["ruleId"] for r in doc["runs"][0]["results"]] == ["T1", "T3", "T1"]


def test_no_progress_output_when_not_a_terminal(capsys: pytest.CaptureFixture[str]) -> None:
    main([str(TREE)], jobs=1)  # progress=None: decided by isatty(), false under pytest
    assert capsys.readouterr().err == ""


def test_single_header_callsite_order_is_error_only_when_certain() -> None:
    from collapsecheck.tracelint import lint_header

    report = lint_header(str(TREE / "fs/blobfs/trace.h"), callsite_sources=[str(TREE / READ_C)])
    order = [(f.line, f.severity) for f in report.findings
             if f.rule == "T4" and ("named like" in f.message or "different order" in f.message)]
    # This mode does not read the caller's declarations: one-sided matches stay warnings.
    assert order == [(10, "error"), (15, "warning"), (30, "warning"), (38, "warning")]
    swapped = next(f for f in report.findings if f.line == 10)
    assert swapped.message.endswith("pass them in TP_PROTO order: trace_blobfs_read(b, pos, len)")


def test_config_wrapped_list_entries_are_entries() -> None:
    from collapsecheck.tracelint.events import read_header

    header = read_header(str(TREE / LISTS))
    speeds = next(lst for lst in header.em_lists if lst.name == "widget_speeds")
    assert [e.code for e in speeds.entries] == ["WIDGET_SLOW", "WIDGET_TURBO", "WIDGET_FAST"]
    assert [lst.name for lst in header.em_lists] == [
        "widget_states", "widget_modes", "widget_families", "widget_speeds",
    ]
    assert header.notes == ()


def test_a_check_failing_on_one_event_costs_only_that_event(monkeypatch: pytest.MonkeyPatch) -> None:
    from collapsecheck.tracelint import check_printk, runner

    real = check_printk.check

    def flaky(events):  # type: ignore[no-untyped-def]
        if any(ev.name == "widget_open" for ev in events):
            raise ValueError("unforeseen shape")
        return real(events)

    monkeypatch.setattr(check_printk, "check", flaky)
    result = runner.lint_file(str(TREE / WRAPPED), str(TREE))
    assert not result.unreadable
    lines = [(f.line, f.rule) for f in result.findings]
    assert (64, "T3") in lines and (113, "T3") in lines  # other events' printk still checked
    notes = [n.message for n in result.notes]
    assert any(m.startswith("widget_open: rule T3 skipped: internal error") for m in notes)


def test_unknown_assign_macro_makes_writes_unknown(tree_report: TreeReport) -> None:
    # WIDGET_REMOTE_STORE(w) may write 'unit': no "never written" finding for widget_remote.
    assert not [f for f in tree_report.findings if f.event == "widget_remote"]


def test_quoted_include_and_unknown_macro_arguments(tree_report: TreeReport) -> None:
    # 'size' is written by a helper from "blobfs_helpers.h" (read even without --tree), 'owner'
    # by an unknown macro that gets it as a whole argument; 'spare', only read, is still found.
    alone = run([str(TREE / "fs/blobfs/trace.h")], jobs=1, progress=False)
    stat = [(f.line, f.rule, f.severity) for f in alone.findings if f.event == "blobfs_stat"]
    assert stat == [(40, "T2", "error")]
    assert "field 'spare' is declared" in message(tree_report, "fs/blobfs/trace.h", 40, "T2")
