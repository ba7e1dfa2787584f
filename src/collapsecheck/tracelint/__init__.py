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
from collections.abc import Iterable, Sequence

from collapsecheck.tracelint import (
    check_assign,
    check_callsite,
    check_enum,
    check_printk,
    check_proto,
    runner,
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
    format_sarif,
    format_text,
    render,
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
    "format_sarif",
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


FORMATS = ("text", "json", "sarif")


def main(
    paths: PathArg | Sequence[PathArg],
    enum_source: PathArg | None = None,
    callsites: Iterable[PathArg] = (),
    fmt: str = "text",
    *,
    tree: PathArg | None = None,
    callsite_root: PathArg | None = None,
    severity: str = WARNING,
    jobs: int | None = None,
    progress: bool | None = None,
) -> int:
    """Run the linter and print its report; returns the exit code: 0 no error findings (warnings
    allowed), 1 error findings, 2 bad usage or nothing could be read at all.

    One header file is linted alone (with ``--enum``/``--callsite`` if given; a file that cannot
    be read is exit 2). Several paths, a directory, or ``--callsites ROOT`` run the tree mode:
    every header on all cores, unreadable files and events skipped with a note and counted."""
    prog = "collapsecheck lint-trace"
    if fmt not in FORMATS:
        print(f"{prog}: unknown output format '{fmt}' (use {', '.join(FORMATS)})", file=sys.stderr)
        return 2
    if severity not in (ERROR, WARNING):
        print(f"{prog}: unknown severity '{severity}' (use error or warning)", file=sys.stderr)
        return 2
    items = [paths] if isinstance(paths, (str, os.PathLike)) else list(paths)
    names = [os.fspath(p) for p in items]
    callsites = list(callsites)
    tree_name = os.fspath(tree) if tree is not None else None
    if tree_name is not None and not os.path.isdir(tree_name):
        print(f"{prog}: --tree {tree_name}: not a directory (give the kernel source root)", file=sys.stderr)
        return 2
    root = os.fspath(callsite_root) if callsite_root is not None else None
    if root is not None and not os.path.isdir(root):
        print(f"{prog}: --callsites {root}: not a directory (give the kernel source root)", file=sys.stderr)
        return 2
    if not names and root is not None:
        names = [root]  # --callsites ROOT alone: the tree's headers and its call sites
    if not names:
        print(f"{prog}: give at least one header or directory", file=sys.stderr)
        return 2
    single = len(names) == 1 and not os.path.isdir(names[0]) and root is None
    if single:
        return _main_single(names[0], enum_source, callsites, fmt, tree_name, severity)
    if enum_source is not None or callsites:
        print(f"{prog}: --enum and --callsite take one header; for a tree use --callsites ROOT",
              file=sys.stderr)
        return 2
    report = runner.run(names, tree_name, root, jobs, progress)
    if report.files == 0 and report.c_files == 0:
        missing = [n.path for n in report.notes if n.line == 0]
        what = f"no such file or directory: {', '.join(missing)}" if missing else "no trace headers found"
        print(f"{prog}: {what}", file=sys.stderr)
        return 2
    sys.stdout.write(render(fmt, report, severity, runner.iter_notes_by_reason(report.notes)))
    if report.files and report.unreadable == report.files and not report.calls:
        return 2  # nothing could be read: not "clean"
    return 1 if report.errors else 0


def _main_single(
    header: str, enum_source: PathArg | None, callsites: list[PathArg], fmt: str,
    tree: str | None, severity: str,
) -> int:
    reason = runner.precheck(header) if os.path.exists(header) else None
    try:
        if reason is not None:
            raise LintInputError(header, None, reason)
        single = lint_header(header, enum_source, callsites, tree)
    except LintInputError as e:
        print(f"collapsecheck lint-trace: {e}", file=sys.stderr)
        return 2
    sys.stdout.write(render(fmt, single, severity))
    return single.exit_code
