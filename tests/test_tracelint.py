"""Tests for ``collapsecheck.tracelint`` (the ``lint-trace`` command).

Every rule has a defect fixture that must produce exactly the listed findings (rule, line,
severity, and the key words of the message) and a fixed twin that must lint clean. The fixtures
in tests/data/tracelint/ are small headers written for these tests, not kernel source.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from collapsecheck.tracelint import (
    LintInputError,
    LintReport,
    format_json,
    format_text,
    lint_header,
    main,
)
from collapsecheck.tracelint.cenum import find_enums
from collapsecheck.tracelint.check_enum import _longest_increasing
from collapsecheck.tracelint.cparse import parse_declarations, parse_expression, type_names
from collapsecheck.tracelint.ctype import describe
from collapsecheck.tracelint.invocations import split_top_level
from collapsecheck.tracelint.lexer import tokenize
from collapsecheck.tracelint.printf import parse_format

DATA = Path(__file__).parent / "data" / "tracelint"


def fixture(name: str) -> str:
    return str(DATA / name)


def lint(header: str, enum: str | None = None, callsites: tuple[str, ...] = ()) -> LintReport:
    return lint_header(
        fixture(header),
        fixture(enum) if enum else None,
        [fixture(c) for c in callsites],
    )


def summary(report: LintReport) -> list[tuple[str, int, str, str]]:
    """(file name, line, rule, severity) of every finding, in report order."""
    return [(Path(f.path).name, f.line, f.rule, f.severity) for f in report.findings]


def message(report: LintReport, line: int, rule: str) -> str:
    found = [f.message for f in report.findings if f.line == line and f.rule == rule]
    assert len(found) == 1, found
    return found[0]


def run_main(capsys: pytest.CaptureFixture[str], *args: object) -> tuple[int, str, str]:
    code = main(*args)  # type: ignore[arg-type]
    out, err = capsys.readouterr()
    return code, out, err


# --- T1 (and T3): mm_khugepaged_collapse_file, 4c9473e87e75 vs 37f0b47c5143 ----------------------


def test_collapse_file_args_swapped_reports_proto_order_and_decimal_address() -> None:
    report = lint("collapse_file_args_swapped.h")
    assert summary(report) == [
        ("collapse_file_args_swapped.h", 17, "T1", "error"),
        ("collapse_file_args_swapped.h", 40, "T3", "error"),
    ]
    t1 = message(report, 17, "T1")
    assert t1.startswith("mm_khugepaged_collapse_file: TP_ARGS(..., addr, is_shmem, ...)")
    assert "TP_PROTO(..., bool is_shmem, unsigned long addr, ...)" in t1
    assert "'addr' (unsigned long) arrives in the bool slot 'is_shmem' and collapses to 0/1" in t1
    t3 = message(report, 40, "T3")
    assert "'%ld' prints '__entry->addr' (unsigned long), an address, as a signed decimal" in t3
    assert t3.endswith("print addresses in hex with %lx")
    assert report.exit_code == 1


def test_collapse_file_fixed_is_clean() -> None:
    report = lint("collapse_file_fixed.h")
    assert report.findings == ()
    assert report.exit_code == 0
    assert report.events == 1


def test_collapse_file_exit_codes_through_main(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, fixture("collapse_file_args_swapped.h"), None, (), "text")
    assert code == 1
    assert f"{fixture('collapse_file_args_swapped.h')}:17: error[T1]: mm_khugepaged_collapse_file:" in out
    assert out.rstrip().endswith(
        f"2 errors, 0 warnings (1 event, 0 EM lists in {fixture('collapse_file_args_swapped.h')})"
    )
    assert err == ""
    code, out, err = run_main(capsys, fixture("collapse_file_fixed.h"), None, (), "text")
    assert code == 0
    assert out.startswith("0 errors, 0 warnings")


# --- T4: call-site order ----------------------------------------------------------------------------


def test_callsite_passing_fixed_order_to_the_swapped_proto_is_reported() -> None:
    report = lint("collapse_file_args_swapped.h", callsites=("collapse_file_callsite.c",))
    assert ("collapse_file_callsite.c", 16, "T4", "error") in summary(report)
    msg = message(report, 16, "T4")
    assert msg.startswith("trace_mm_khugepaged_collapse_file() passes arguments in a different order")
    assert "'addr' is argument 4 but TP_PROTO parameter 5" in msg
    assert "'is_shmem' is argument 5 but TP_PROTO parameter 4" in msg
    assert "'addr' (unsigned long) lands in the bool 'is_shmem' and becomes 0/1" in msg


def test_callsite_in_proto_order_is_not_an_order_problem() -> None:
    # The pre-fix caller matched the pre-fix TP_PROTO: only the header itself is wrong.
    report = lint("collapse_file_args_swapped.h", callsites=("collapse_file_callsite_prefix.c",))
    assert [s[2] for s in summary(report)] == ["T1", "T3"]


def test_callsite_with_fixed_header_is_clean() -> None:
    report = lint("collapse_file_fixed.h", callsites=("collapse_file_callsite.c",))
    assert report.findings == ()
    assert report.files == (fixture("collapse_file_fixed.h"), fixture("collapse_file_callsite.c"))


# --- T4: the dereferenced filename, d41fd2016ed0 vs 045634ff1e86 ------------------------------------


def test_scan_file_header_alone_cannot_see_the_dereference() -> None:
    assert lint("scan_file_filename_deref.h").findings == ()


def test_scan_file_filename_deref_callsite_is_reported() -> None:
    report = lint("scan_file_filename_deref.h", callsites=("scan_file_filename_deref_callsite.c",))
    assert summary(report) == [("scan_file_filename_deref_callsite.c", 13, "T4", "error")]
    msg = report.findings[0].message
    assert msg.startswith(
        "trace_mm_khugepaged_scan_file() argument 3 'file->f_path.dentry->d_iname' dereferences "
        "'file' at the call site to fill 'const char *filename'"
    )
    assert "pass 'file' to the tracepoint and dereference it in TP_fast_assign" in msg
    assert report.findings[0].event == "mm_khugepaged_scan_file"


def test_scan_file_fixed_with_its_callsite_is_clean(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(
        capsys, fixture("scan_file_fixed.h"), None, [fixture("scan_file_fixed_callsite.c")], "text"
    )
    assert code == 0
    assert out.startswith("0 errors, 0 warnings")


def test_callsite_corner_cases() -> None:
    report = lint("callsite_misc.h", callsites=("callsite_misc.c",))
    # Line 12 is a comment, 14 passes computed values, 16 is the _rcuidle form with the right
    # arguments, 17 is a member call, 19 is under #if 0 and 5 is a #define body: all silent.
    assert summary(report) == [
        ("callsite_misc.c", 13, "T4", "warning"),
        ("callsite_misc.c", 15, "T4", "error"),
        ("callsite_misc.c", 22, "T4", "error"),
    ]
    assert "derive 'start' from it in TP_fast_assign" in message(report, 13, "T4")
    assert message(report, 15, "T4").startswith(
        "trace_mm_bare_event_tp() passes 3 arguments but TP_PROTO of mm_bare_event"
    )
    assert "the event already receives 'vma', so derive the string from it" in message(report, 22, "T4")
    assert report.exit_code == 1


# --- T2 -------------------------------------------------------------------------------------------


def test_assign_type_mismatch() -> None:
    report = lint("assign_type_mismatch.h")
    assert summary(report) == [
        ("assign_type_mismatch.h", 19, "T2", "warning"),
        ("assign_type_mismatch.h", 20, "T2", "error"),
        ("assign_type_mismatch.h", 26, "T2", "error"),
        ("assign_type_mismatch.h", 27, "T2", "error"),
        ("assign_type_mismatch.h", 28, "T2", "warning"),
        ("assign_type_mismatch.h", 29, "T2", "error"),
        ("assign_type_mismatch.h", 30, "T2", "warning"),
        ("assign_type_mismatch.h", 31, "T2", "error"),
        ("assign_type_mismatch.h", 32, "T2", "error"),
        ("assign_type_mismatch.h", 33, "T2", "error"),
        ("assign_type_mismatch.h", 34, "T2", "error"),
    ]
    assert "field 'status' is declared in TP_STRUCT__entry but TP_fast_assign never writes it" in (
        message(report, 19, "T2")
    )
    assert "__string(name, len) copies a C string from parameter 'int len'" in message(report, 20, "T2")
    assert (
        "field 'unsigned long addr' (line 15) is assigned from parameter 'bool addr': an unsigned "
        "long field fed from a bool can only record 0/1"
    ) in message(report, 26, "T2")
    assert "a bool field keeps only 0/1 of the unsigned long value" in message(report, 27, "T2")
    assert "the 32-bit field truncates the 64-bit unsigned long value" in message(report, 28, "T2")
    assert (
        "field 'struct page *page' (line 18) is assigned from parameter 'struct folio *folio'"
    ) in message(report, 29, "T2")
    assert "copies from a different source than __string(name, len)" in message(report, 30, "T2")
    assert "use __assign_str(label)" in message(report, 31, "T2")
    assert "'comm' is an __array() field and cannot be assigned" in message(report, 32, "T2")
    assert "__assign_str(comm) fills a __string() field" in message(report, 33, "T2")
    assert "TP_STRUCT__entry declares no field 'result'" in message(report, 34, "T2")


def test_assign_type_fixed_is_clean() -> None:
    assert lint("assign_type_fixed.h").findings == ()


# --- T3 -------------------------------------------------------------------------------------------


def test_printk_mismatch() -> None:
    report = lint("printk_mismatch.h")
    assert summary(report) == [
        ("printk_mismatch.h", line, "T3", "error") for line in (28, 29, 30, 31, 32, 34, 36, 50, 62, 75)
    ]
    expected = {
        28: "'%d' prints '__entry->mm' (struct mm_struct *), a pointer, with an integer conversion",
        29: "'%ld' prints '__entry->addr' (unsigned long), an address, as a signed decimal",
        30: "'%lx' prints '__entry->is_shmem' (bool), a bool passed as a 32-bit int, but '%lx' reads a 64-bit value",
        31: "'%u' prints '__entry->bytes' (u64 {aka unsigned long long}), a 64-bit value, but '%u' reads "
        "32 bits; print it with %llu",
        32: "'%s' prints '__entry->nr' (int), but %s needs a C string; print it with %d",
        34: "'%p' prints '__entry->nr' (int), but %p needs a pointer",
        36: "'name' is a __string() field whose record slot is an offset/length word; print __get_str(name)",
        50: "TP_printk format has 3 conversions (%d %d %d) but 2 arguments: conversion 3 '%d' has no argument",
        62: "'%f' in TP_printk: the kernel's vsnprintf has no floating-point conversions",
        75: "TP_STRUCT__entry of mm_printk_unknown_field declares no field 'nr_pages'",
    }
    for line, text in expected.items():
        assert text in message(report, line, "T3"), line


def test_printk_fixed_is_clean() -> None:
    report = lint("printk_fixed.h")
    assert report.findings == ()
    assert report.events == 4


# --- T1: classes and macro variants ---------------------------------------------------------------


def test_event_class_mismatch() -> None:
    report = lint("event_class_mismatch.h")
    assert summary(report) == [
        ("event_class_mismatch.h", 28, "T1", "error"),
        ("event_class_mismatch.h", 34, "T1", "error"),
        ("event_class_mismatch.h", 41, "T1", "error"),
        ("event_class_mismatch.h", 41, "T1", "error"),
        ("event_class_mismatch.h", 42, "T1", "error"),
        ("event_class_mismatch.h", 48, "T1", "warning"),
        ("event_class_mismatch.h", 56, "T1", "error"),
        ("event_class_mismatch.h", 70, "T1", "error"),
        ("event_class_mismatch.h", 85, "T3", "error"),
        ("event_class_mismatch.h", 91, "T1", "error"),
    ]
    by_line = {f.line: f.message for f in report.findings}
    assert by_line[28].startswith("mm_collapse_begin: TP_ARGS(..., result, addr) lists the parameters")
    end = "TP_PROTO parameter 2 'bool addr' differs from 'unsigned long addr' in class mm_collapse_class"
    assert end in by_line[34]
    retry = [f.message for f in report.findings if f.line == 41]
    permuted = "TP_PROTO names (..., result, addr) are those of class mm_collapse_class in another order"
    assert any(permuted in m for m in retry)
    assert any("parameter 2 'int result' differs from 'unsigned long addr'" in m for m in retry)
    assert "parameter 3 'unsigned long addr' differs from 'int result'" in by_line[42]
    assert "event class 'mm_other_class' is not defined in this header" in by_line[48]
    assert "TP_ARGS(mm) has 1 name but TP_PROTO declares 2 parameters (mm, result): it lacks 'result'" in by_line[56]
    assert "TP_ARGS entry 'nr + 1' is not a parameter name" in by_line[70]
    assert by_line[85].startswith("mm_collapse_print: '%d' prints '__entry->addr' (unsigned long), a 64-bit value")
    assert "TP_ARGS names 'mm' twice" in by_line[91]


def test_event_class_fixed_is_clean() -> None:
    report = lint("event_class_fixed.h")
    assert report.findings == ()
    assert report.events == 11


def test_perf_markers_in_tp_args_stand_for_the_name(tmp_path: Path) -> None:
    header = tmp_path / "perf.h"
    header.write_text(
        "DECLARE_TRACE(sched_stat_x,\n"
        "\tTP_PROTO(struct task_struct *tsk, u64 delay),\n"
        "\tTP_ARGS(__perf_task(tsk), __perf_count(delay)));\n"
    )
    assert lint_header(header).findings == ()


# --- T5 / T6 --------------------------------------------------------------------------------------


def test_scan_status_fixed_mirrors_the_enum() -> None:
    report = lint("scan_status_fixed.h", enum="scan_result_enum.c")
    assert report.findings == ()
    assert report.em_lists == 1


def test_scan_status_missing_value() -> None:
    report = lint("scan_status_missing.h", enum="scan_result_enum.c")
    assert summary(report) == [("scan_status_missing.h", 8, "T5", "error")]
    assert report.findings[0].message == (
        f"SCAN_STATUS has no entry for SCAN_STORE_FAILED (enum scan_result, "
        f"{fixture('scan_result_enum.c')}:22); __print_symbolic prints that value as a bare "
        'number, so add EM(SCAN_STORE_FAILED, "...") after EM(SCAN_PAGE_HAS_PRIVATE, ...)'
    )


def test_scan_status_missing_value_needs_the_enum() -> None:
    assert lint("scan_status_missing.h").findings == ()


def test_scan_status_last_entry_not_eme() -> None:
    # Checked from the header alone, with or without --enum.
    for enum in (None, "scan_result_enum.c"):
        report = lint("scan_status_no_eme.h", enum=enum)
        assert summary(report) == [("scan_status_no_eme.h", 19, "T5", "error")]
        assert "the last entry EM(SCAN_PAGE_FILLED, \"page_filled\") leaves a trailing comma" in (
            report.findings[0].message
        )


def test_scan_status_eme_not_last() -> None:
    report = lint("scan_status_eme_not_last.h", enum="scan_result_enum.c")
    assert summary(report) == [("scan_status_eme_not_last.h", 15, "T5", "error")]
    assert "EMe(SCAN_PAGE_HAS_PRIVATE, ...) is not the last entry" in report.findings[0].message
    assert "SCAN_STORE_FAILED on line 16 runs into it" in report.findings[0].message


def test_scan_status_extra_and_duplicate() -> None:
    report = lint("scan_status_extra_dup.h", enum="scan_result_enum.c")
    assert summary(report) == [
        ("scan_status_extra_dup.h", 13, "T5", "error"),
        ("scan_status_extra_dup.h", 16, "T5", "error"),
    ]
    assert "SCAN_SWAP_CACHE_PAGE is not a member of enum scan_result" in message(report, 13, "T5")
    assert "SCAN_PMD_NONE is listed twice (first at line 12)" in message(report, 16, "T5")


def test_scan_status_reordered_is_only_a_warning(capsys: pytest.CaptureFixture[str]) -> None:
    report = lint("scan_status_reordered.h", enum="scan_result_enum.c")
    assert summary(report) == [("scan_status_reordered.h", 18, "T6", "warning")]
    assert "SCAN_COPY_MC is out of enum scan_result order (the enum declares it right after SCAN_STORE_FAILED)" in (
        report.findings[0].message
    )
    code, out, _ = run_main(
        capsys, fixture("scan_status_reordered.h"), fixture("scan_result_enum.c"), (), "text"
    )
    assert code == 0
    assert ":18: warning[T6]: SCAN_STATUS:" in out


def test_enum_members_sharing_a_value() -> None:
    report = lint("scan_status_fixed.h", enum="scan_result_dup_value.c")
    assert summary(report) == [("scan_result_dup_value.c", 17, "T5", "error")]
    assert report.findings[0].message == (
        "enum scan_result: SCAN_PAGE_FILLED has the same value (16) as SCAN_COPY_MC; SCAN_STATUS "
        "is looked up by value, so SCAN_PAGE_FILLED prints as SCAN_COPY_MC's string"
    )


def test_enum_values_and_best_match() -> None:
    enums = find_enums(tokenize((DATA / "scan_result_enum.c").read_text(), "e.c"))
    assert [e.name for e in enums] == ["enum khugepaged_mode", "enum scan_result"]
    scan = enums[1]
    assert (scan.line, scan.members[0].name, scan.members[-1].name) == (13, "SCAN_FAIL", "SCAN_PAGE_FILLED")
    assert [m.value for m in scan.members] == list(range(11))
    dup = find_enums(tokenize((DATA / "scan_result_dup_value.c").read_text(), "d.c"))[0]
    assert [m.value for m in dup.members][-3:] == [8, 16, 16]


# --- preprocessing --------------------------------------------------------------------------------


def test_comments_strings_if0_and_line_splices() -> None:
    report = lint("preproc.h")
    # Both sides of #ifdef are read; #if 0 and the #else of #if 1 are not; spliced lines keep
    # their own numbers.
    assert report.events == 2
    assert summary(report) == [
        ("preproc.h", 22, "T1", "error"),
        ("preproc.h", 48, "T3", "error"),
    ]
    assert message(report, 22, "T1").startswith("spliced_event: TP_ARGS(second, first)")


# --- bad input: the unreadable event is skipped with a note, never the whole file ---------------


@pytest.mark.parametrize(
    ("name", "line", "text"),
    [
        ("bad_unbalanced.h", 6, "TRACE_EVENT(...) opened at line 5 is never closed: TP_ARGS(...) on line 7 "
                                "sits inside the '(' opened on line 6"),
        ("bad_bracket.h", 6, "in TRACE_EVENT(...) opened at line 5: ']' closes the '(' of line 6"),
        ("bad_arity.h", 5, "TRACE_EVENT(...) takes 6 arguments (name, proto, args, struct, assign, print) but has 5"),
        ("bad_proto.h", 7, "cannot parse TP_PROTO of DECLARE_TRACE(mm_bad_proto): 'unsigned long addr bool "
                           "is_shmem' is not a C parameter declaration"),
        ("bad_wrapper.h", 7, "argument 3 of DECLARE_TRACE(...) should be TP_ARGS(...) but is '(mm, nr)'"),
        ("bad_em.h", 5, "EM list SCAN_STATUS skipped: EMe() has 1 argument but EM() on line 4 has 2"),
    ],
)
def test_bad_event_is_skipped_with_a_note(
    capsys: pytest.CaptureFixture[str], name: str, line: int, text: str
) -> None:
    report = lint(name)
    assert [(n.line, n.skipped) for n in report.notes] == [(line, True)]
    assert text in report.notes[0].message
    code, out, err = run_main(capsys, fixture(name), None, (), "text")
    assert code == 0 and err == ""
    assert f"{fixture(name)}:{line}: note: " in out
    assert "Traceback" not in out + err


def test_unterminated_comment_skips_the_file_exit_2(capsys: pytest.CaptureFixture[str]) -> None:
    # A file whose tokens cannot be read at all: one line naming file:line, exit 2 (nothing checked).
    with pytest.raises(LintInputError) as info:
        lint("bad_comment.h")
    assert (info.value.path, info.value.line) == (fixture("bad_comment.h"), 4)
    code, out, err = run_main(capsys, fixture("bad_comment.h"), None, (), "text")
    assert (code, out) == (2, "")
    assert err == f"collapsecheck lint-trace: {fixture('bad_comment.h')}:4: unterminated /* comment\n"


def test_missing_files_exit_2(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    missing = str(tmp_path / "nope.h")
    code, _, err = run_main(capsys, missing, None, (), "text")
    assert (code, err) == (2, f"collapsecheck lint-trace: {missing}: cannot read file: No such file or directory\n")
    code, _, err = run_main(capsys, fixture("collapse_file_fixed.h"), None, [missing], "text")
    assert code == 2 and missing in err
    code, _, err = run_main(capsys, fixture("scan_status_fixed.h"), missing, (), "text")
    assert code == 2 and missing in err


def test_enum_option_without_a_match_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, _, err = run_main(
        capsys, fixture("scan_status_fixed.h"), fixture("collapse_file_callsite.c"), (), "text"
    )
    assert code == 2
    assert "no enum in this file shares at least half of its members with SCAN_STATUS" in err
    code, _, err = run_main(capsys, fixture("collapse_file_fixed.h"), fixture("scan_result_enum.c"), (), "text")
    assert code == 2
    assert "the header has no #define'd EM()/EMe() list" in err


def test_unknown_format_exits_2(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run_main(capsys, fixture("collapse_file_fixed.h"), None, (), "xml")
    assert (code, out) == (2, "")
    assert "unknown output format 'xml'" in err


# --- output ---------------------------------------------------------------------------------------


def test_json_output_is_sorted_and_complete(capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run_main(
        capsys,
        fixture("collapse_file_args_swapped.h"),
        None,
        [fixture("collapse_file_callsite.c")],
        "json",
    )
    assert code == 1
    doc = json.loads(out)
    assert (doc["errors"], doc["warnings"], doc["events"]) == (3, 0, 1)
    keys = [(f["path"], f["line"], f["rule"]) for f in doc["findings"]]
    assert keys == sorted(keys)
    assert [(Path(p).name, line, rule) for p, line, rule in keys] == [
        ("collapse_file_args_swapped.h", 17, "T1"),
        ("collapse_file_args_swapped.h", 40, "T3"),
        ("collapse_file_callsite.c", 16, "T4"),
    ]
    assert set(doc["findings"][0]) == {"path", "line", "rule", "severity", "message", "event"}
    assert sorted(doc["rules"]) == ["T1", "T2", "T3", "T4", "T5", "T6"]


def test_output_is_deterministic() -> None:
    first = lint("event_class_mismatch.h")
    second = lint("event_class_mismatch.h")
    assert format_text(first) == format_text(second)
    assert format_json(first) == format_json(second)
    keys = [(f.path, f.line, f.rule, f.message) for f in first.findings]
    assert keys == sorted(keys)
    for line in format_text(first).splitlines()[:-1]:
        assert line.startswith(fixture("event_class_mismatch.h") + ":")
        assert "[T" in line


# --- building blocks ------------------------------------------------------------------------------


def test_lexer_keeps_physical_lines_and_drops_comments() -> None:
    lexed = tokenize('a /* x\n y */ b \\\n c "s\\"(" // d\n#define X(y) y \\\n  + 1\n#if 0\nq\n#endif\nz', "t.h")
    assert [(t.text, t.line) for t in lexed.tokens] == [("a", 1), ("b", 2), ("c", 3), ('"s\\"("', 3), ("z", 9)]
    (define,) = lexed.directives
    assert (define.name, define.line, define.function_like) == ("define", 4, True)
    assert [t.line for t in define.tokens] == [4, 4, 4, 4, 4, 5, 5]


def test_lexer_tolerates_stray_quotes_only_in_skipped_blocks() -> None:
    assert [t.text for t in tokenize("a\n#if 0\ndon't \"x\n#endif\nb", "t.h").tokens] == ["a", "b"]
    assert [t.text for t in tokenize("#error don't\nc", "t.h").tokens] == ["c"]


def test_ifdef_inside_the_record_keeps_both_branches(tmp_path: Path) -> None:
    header = tmp_path / "ifdef.h"
    header.write_text(
        "TRACE_EVENT(mm_ifdef,\n"
        "\tTP_PROTO(int a, u64 b),\n"
        "\tTP_ARGS(a, b),\n"
        "\tTP_STRUCT__entry(\n"
        "\t\t__field(int, a)\n"
        "#ifdef CONFIG_B\n"
        "\t\t__field(u64, b)\n"
        "#endif\n"
        "\t),\n"
        "\tTP_fast_assign(\n"
        "\t\t__entry->a = a;\n"
        "#ifdef CONFIG_B\n"
        "\t\t__entry->b = b;\n"
        "#endif\n"
        "\t),\n"
        "\tTP_printk(\"a=%d b=%d\", __entry->a, __entry->b)\n"
        ");\n"
    )
    report = lint_header(header)
    assert [(f.line, f.rule) for f in report.findings] == [(16, "T3")]
    assert "'%d' prints '__entry->b' (u64 {aka unsigned long long}), a 64-bit value" in report.findings[0].message


def test_lexer_rejects_unterminated_literals() -> None:
    with pytest.raises(LintInputError, match=r"t\.h:2: unterminated string literal"):
        tokenize('ok\n"open\n', "t.h")
    with pytest.raises(LintInputError, match="no matching #endif"):
        tokenize("#ifdef X\n", "t.h")


def test_printf_parser_follows_vsnprintf() -> None:
    convs = parse_format([("a=%-08lx %% b=%pISpc c=%*.*d ", 1), ("d=%hhu e=%Lu f=%zu g=%q", 2)])
    assert [(c.text, c.conv, c.length, c.stars, c.line) for c in convs] == [
        ("%-08lx", "x", "l", 0, 1),
        ("%pISpc", "p", "", 0, 1),
        ("%*.*d", "d", "", 2, 1),
        ("%hhu", "u", "hh", 0, 2),
        ("%Lu", "u", "L", 0, 2),
        ("%zu", "u", "z", 0, 2),
        ("%q", "q", "", 0, 2),
    ]
    assert convs[1].ext == "ISpc"
    assert convs[-1].problem is not None and convs[0].problem is None


def test_proto_parsing_with_kernel_typedefs_and_function_pointers() -> None:
    toks = tokenize(
        "struct mm_struct *mm, pgoff_t index, u64 __user *ubuf,\n"
        "  void (*cb)(struct page *, my_cookie_t), const char *name", "p.h"
    ).tokens
    decls = split_top_level(toks)
    params = parse_declarations(decls, "p.h", "TP_PROTO", 1)
    assert [p.name for p in params] == ["mm", "index", "ubuf", "cb", "name"]
    assert [p.line for p in params] == [1, 1, 1, 2, 2]
    assert describe(params[1].ctype) == "pgoff_t {aka unsigned long}"
    assert params[2].ctype.canonical() == "unsigned long long *"
    assert params[4].ctype.is_string
    assert type_names(decls[3], named=True) == {"my_cookie_t"}


def test_expression_parsing_returns_none_for_non_c() -> None:
    toks = tokenize('__print_flags(f, "|", { 1, "A" })', "x.h").tokens
    assert parse_expression(toks, "x.h") is None
    node = parse_expression(tokenize("(u64)__entry->a", "x.h").tokens, "x.h")
    assert type(node).__name__ == "Cast"


def test_longest_increasing_subsequence() -> None:
    assert _longest_increasing([0, 1, 3, 2, 4]) in ({0, 1, 2, 4}, {0, 1, 3, 4})
    assert _longest_increasing([]) == set()
    assert _longest_increasing([2, 1, 0]) in ({0}, {1}, {2})
