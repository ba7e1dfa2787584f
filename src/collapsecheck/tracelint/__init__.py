"""``collapsecheck lint-trace``: check a kernel trace-event header against its own ABI rules.

Rules (see docs/lint-trace.md): T1 TP_PROTO vs TP_ARGS; T2 fields vs TP_fast_assign; T3 TP_printk
conversions vs arguments; T4 call sites of ``trace_<event>()`` (needs call-site sources); T5 an
EM()/EMe() list vs the enum it mirrors (needs ``--enum``, except the EMe/duplicate checks); T6 the
same list's order (warning).

This module wires reading, checks and reporting together and owns the exit codes: 0 no errors
(warnings allowed), 1 errors found, 2 bad input. It must not contain checks itself.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterable

from collapsecheck.tracelint import (
    check_assign,
    check_callsite,
    check_enum,
    check_printk,
    check_proto,
)
from collapsecheck.tracelint.cenum import find_enums
from collapsecheck.tracelint.errors import LintInputError
from collapsecheck.tracelint.events import read_header
from collapsecheck.tracelint.lexer import read_source
from collapsecheck.tracelint.report import (
    ERROR,
    RULES,
    WARNING,
    Finding,
    LintReport,
    format_json,
    format_text,
    sort_findings,
)

__all__ = [
    "ERROR",
    "RULES",
    "WARNING",
    "Finding",
    "LintInputError",
    "LintReport",
    "format_json",
    "format_text",
    "lint_header",
    "main",
]

PathArg = str | os.PathLike[str]


def lint_header(
    header_path: PathArg,
    enum_source: PathArg | None = None,
    callsite_sources: Iterable[PathArg] = (),
    tree: PathArg | None = None,
) -> LintReport:
    """Lint one trace header; raises :class:`LintInputError` when an input cannot be used at all
    (an event that cannot be read is skipped and listed in ``notes``)."""
    header_name = os.fspath(header_path)
    header = read_header(header_name, os.fspath(tree) if tree is not None else None)
    findings: list[Finding] = []
    findings += check_proto.check(header.events)
    findings += check_assign.check(header.events)
    findings += check_printk.check(header.events)
    files = [header_name]

    callsites = [read_source(os.fspath(p)) for p in callsite_sources]
    files += [c.path for c in callsites]
    findings += check_callsite.check(header.events, callsites)

    for lst in header.em_lists:
        findings += check_enum.check_shape(lst, header_name)
    if enum_source is not None:
        enum_name = os.fspath(enum_source)
        files.append(enum_name)
        enums = find_enums(read_source(enum_name))
        if not header.em_lists:
            raise LintInputError(
                header_name, None,
                "--enum was given but the header has no #define'd EM()/EMe() list to compare "
                "with an enum",
            )
        matched = [(lst, check_enum.best_enum(lst, enums)) for lst in header.em_lists]
        pairs = [(lst, en) for lst, en in matched if en is not None]
        if not pairs:
            lists = ", ".join(lst.name for lst in header.em_lists)
            raise LintInputError(
                enum_name, None,
                f"no enum in this file shares at least half of its members with {lists} from "
                f"{header_name} ({len(enums)} enum{'s' if len(enums) != 1 else ''} found); pass "
                "the source that declares the mirrored enum",
            )
        for lst, en in pairs:
            findings += check_enum.check_against_enum(lst, en, header_name)

    return LintReport(
        header=header_name,
        files=tuple(files),
        events=len(header.events),
        em_lists=len(header.em_lists),
        findings=sort_findings(findings),
        notes=header.notes,
    )


def main(
    header: PathArg,
    enum_source: PathArg | None = None,
    callsites: Iterable[PathArg] = (),
    fmt: str = "text",
) -> int:
    """Run the linter and print its report; returns the exit code (0 clean, 1 errors, 2 bad input)."""
    if fmt not in ("text", "json"):
        print(f"collapsecheck lint-trace: unknown output format '{fmt}' (use text or json)", file=sys.stderr)
        return 2
    try:
        report = lint_header(header, enum_source, callsites)
    except LintInputError as e:
        print(f"collapsecheck lint-trace: {e}", file=sys.stderr)
        return 2
    sys.stdout.write(format_json(report) if fmt == "json" else format_text(report))
    return report.exit_code
