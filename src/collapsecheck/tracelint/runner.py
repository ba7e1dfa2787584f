"""Lint many trace headers (and, optionally, a tree's call sites) in one process on every core.

It finds the headers under the given paths (``*.h`` files that define trace events), lints each
in a worker process, gathers the results in path order (so output does not depend on scheduling),
then checks every ``trace_<event>()`` call of a kernel tree's ``.c`` files against the events
read. A file that cannot be read is skipped with a note, never the whole run; an unexpected
exception in a worker becomes a note naming the file, not a traceback.

This module must not contain checks or formatting: it schedules the ones in this package.
"""

from __future__ import annotations

import multiprocessing
import os
import re
import sys
from collections.abc import Callable, Iterable, Sequence
from typing import Any
from dataclasses import dataclass

from collapsecheck.tracelint import callsites as callsite_check
from collapsecheck.tracelint import check_assign, check_enum, check_printk, check_proto
from collapsecheck.tracelint.errors import LintInputError
from collapsecheck.tracelint.events import Event, Note, read_header
from collapsecheck.tracelint.report import Finding, TreeReport, sort_findings

# A header defining trace events: one of the event macros at the start of a line, then "(".
_DEFINES_EVENTS = re.compile(
    rb"^[ \t]*(TRACE_EVENT|DECLARE_EVENT_CLASS|DEFINE_EVENT|DECLARE_TRACE)\w*[ \t]*\(", re.M
)
MAX_FILE_BYTES = 4 * 1024 * 1024  # the largest kernel trace header is ~150 KB
_SKIP_DIRS = frozenset({".git", ".svn", ".hg", "__pycache__"})


@dataclass(frozen=True, slots=True)
class FileResult:
    path: str
    events: int = 0
    em_lists: int = 0
    findings: tuple[Finding, ...] = ()
    notes: tuple[Note, ...] = ()
    unreadable: bool = False
    sigs: tuple[callsite_check.Signature, ...] = ()  # kept only when call sites are checked


_MARKERS = (b"TRACE_EVENT", b"DECLARE_EVENT_CLASS", b"DEFINE_EVENT", b"DECLARE_TRACE")


def defines_events(path: str) -> bool:
    try:
        with open(path, "rb") as f:
            data = f.read(MAX_FILE_BYTES + 1)
    except OSError:
        return False
    # A plain substring test first: most headers mention none of the macros.
    return any(m in data for m in _MARKERS) and _DEFINES_EVENTS.search(data) is not None


def candidates(paths: Sequence[str]) -> tuple[list[tuple[str, bool]], list[Note]]:
    """(path, found by directory search) for every file to consider; files given by name are
    linted as they are, ``*.h`` files found in directories only if they define trace events
    (which the workers check, so that reading the tree is spread over the cores)."""
    items: list[tuple[str, bool]] = []
    notes: list[Note] = []
    seen: set[str] = set()
    for p in paths:
        if os.path.isdir(p):
            for root, dirs, names in os.walk(p):
                dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
                for name in sorted(names):
                    full = os.path.join(root, name)
                    if name.endswith(".h") and full not in seen:
                        seen.add(full)
                        items.append((full, True))
        elif os.path.exists(p):
            if p not in seen:
                seen.add(p)
                items.append((p, False))
        else:
            notes.append(Note(p, 0, "no such file or directory"))
    return items, notes


def discover(paths: Sequence[str]) -> tuple[list[str], list[Note]]:
    """The headers a run over ``paths`` lints (directory search done here, serially)."""
    items, notes = candidates(paths)
    return [p for p, searched in items if not searched or defines_events(p)], notes


def precheck(path: str) -> str | None:
    """Why a file cannot be a trace header at all (binary, too large), or None."""
    try:
        size = os.path.getsize(path)
        with open(path, "rb") as f:
            head = f.read(8192)
    except OSError as e:
        return f"cannot read file: {e.strerror or e}"
    if size > MAX_FILE_BYTES:
        return (f"file is {size / 1048576:.1f} MiB, over the {MAX_FILE_BYTES // 1048576} MiB limit "
                "for a trace header; not read")
    if b"\0" in head:
        return "binary file (NUL bytes), not a C header; not read"
    return None


def lint_file(path: str, tree: str | None, keep_events: bool = False) -> FileResult:
    """Lint one header; never raises."""
    reason = precheck(path)
    if reason is not None:
        return FileResult(path, notes=(Note(path, 0, reason),), unreadable=True)
    try:
        header = read_header(path, tree)
        findings: list[Finding] = []
        extra: list[Note] = []
        for rule, check in (("T1", check_proto.check), ("T2", check_assign.check),
                            ("T3", check_printk.check)):
            findings += _guarded(rule, check, header.events, extra)
        for lst in header.em_lists:
            findings += check_enum.check_shape(lst, path)
    except LintInputError as e:
        return FileResult(path, notes=(Note(path, e.line or 0, f"file skipped: {e.message}"),),
                          unreadable=True)
    except Exception as e:  # noqa: BLE001 - one bad file must not stop a tree run
        return FileResult(path, notes=(Note(path, 0, f"file skipped: internal error in the linter "
                                                     f"({type(e).__name__}: {e}); please report it"),),
                          unreadable=True)
    notes = header.notes + tuple(extra)
    if not header.events and not header.em_lists:
        notes += (Note(path, 0, "no trace events found in this file", False),)
    return FileResult(path, len(header.events), len(header.em_lists), tuple(findings), notes,
                      False, callsite_check.event_signatures(header.events) if keep_events else ())


def _guarded(rule: str, check: Callable[[Sequence[Event]], list[Finding]], events: Sequence[Event],
             notes: list[Note]) -> list[Finding]:
    """Run one rule over a header's events; if it fails on some event, run it event by event
    (each with the header's classes, which DEFINE_EVENTs refer to) and note the events it could
    not check, so that one odd event costs only its own check."""
    try:
        return check(events)
    except Exception:  # noqa: BLE001
        pass
    classes = [ev for ev in events if ev.is_class]
    found: list[Finding] = []
    for ev in events:
        try:
            found += check([ev] if ev.is_class else [*classes, ev])
        except Exception as e:  # noqa: BLE001
            notes.append(Note(ev.path, ev.line, f"{ev.name}: rule {rule} skipped: internal error in the "
                                                f"linter ({type(e).__name__}: {e}); please report it"))
    return found


# Worker state, set before the pool forks (or in each worker's initializer).
_STATE: dict[str, object] = {}


def _init(state: dict[str, object]) -> None:
    _STATE.update(state)


def _lint_task(item: tuple[str, bool]) -> FileResult | None:
    path, searched = item
    if searched and (not os.path.isfile(path) or not defines_events(path)):
        return None  # found by directory search but defines no trace events: not a trace header
    return lint_file(path, _STATE.get("tree"), bool(_STATE.get("keep_events")))  # type: ignore[arg-type]


def _callsite_task(path: str) -> tuple[list[Finding], int, Note | None]:
    sigs = _STATE["sigs"]
    try:
        with open(path, "rb") as f:
            src = f.read(MAX_FILE_BYTES + 1)
        if len(src) > MAX_FILE_BYTES:
            return [], 0, Note(path, 0, "call sites not checked: file over the size limit")
        findings, calls = callsite_check.check_source(path, src, sigs)  # type: ignore[arg-type]
        return findings, calls, None
    except Exception as e:  # noqa: BLE001
        return [], 0, Note(path, 0, f"call sites not checked: {type(e).__name__}: {e}")


def c_sources(root: str) -> list[str]:
    out: list[str] = []
    for base, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d not in _SKIP_DIRS)
        out += [os.path.join(base, n) for n in sorted(names) if n.endswith(".c")]
    return out


def _pool_map(
    func: Callable[[Any], object], items: Sequence[Any], jobs: int, state: dict[str, object],
    progress: Callable[[int, int], None] | None, chunk: int,
) -> list[object]:
    results: list[object] = []
    if jobs <= 1 or len(items) < 2:
        _init(state)
        for k, item in enumerate(items):
            results.append(func(item))
            if progress is not None:
                progress(k + 1, len(items))
        return results
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    ctx = multiprocessing.get_context(method)
    with ctx.Pool(jobs, initializer=_init, initargs=(state,)) as pool:
        for k, res in enumerate(pool.imap(func, items, chunksize=chunk)):
            results.append(res)
            if progress is not None:
                progress(k + 1, len(items))
    return results


class Progress:
    """A one-line counter on stderr, only when stderr is a terminal."""

    def __init__(self, enabled: bool | None = None) -> None:
        self.enabled = sys.stderr.isatty() if enabled is None else enabled
        self.last = -1

    def stage(self, label: str) -> Callable[[int, int], None] | None:
        if not self.enabled:
            return None
        self.last = -1

        def show(done: int, total: int) -> None:
            pct = done * 100 // max(total, 1)
            if pct != self.last or done == total:
                self.last = pct
                sys.stderr.write(f"\r{label}: {done}/{total} ({pct}%)")
                if done == total:
                    sys.stderr.write("\r\033[K")
                sys.stderr.flush()

        return show


def run(
    paths: Sequence[str],
    tree: str | None = None,
    callsite_root: str | None = None,
    jobs: int | None = None,
    progress: bool | None = None,
) -> TreeReport:
    jobs = jobs or os.cpu_count() or 1
    prog = Progress(progress)
    items, notes = candidates(paths)
    keep = callsite_root is not None
    state: dict[str, object] = {"tree": tree, "keep_events": keep}
    found: list[FileResult | None] = _pool_map(  # type: ignore[assignment]
        _lint_task, items, jobs, state, prog.stage("header files"), 16
    )
    results = [r for r in found if r is not None]
    report = TreeReport(files=len(results), paths=tuple(r.path for r in results))
    findings: list[Finding] = []
    all_notes = list(notes)
    sigs: list[callsite_check.Signature] = []
    for r in results:
        report.events += r.events
        report.em_lists += r.em_lists
        report.unreadable += int(r.unreadable)
        findings += r.findings
        all_notes += r.notes
        sigs += r.sigs
    if callsite_root is not None:
        state = {"sigs": callsite_check.signatures(sigs)}
        sources = c_sources(callsite_root)
        report.c_files = len(sources)
        cres: list[tuple[list[Finding], int, Note | None]] = _pool_map(  # type: ignore[assignment]
            _callsite_task, sources, jobs, state, prog.stage("C files"), 64
        )
        for fs, calls, note in cres:
            findings += fs
            report.calls += calls
            if note is not None:
                all_notes.append(note)
    report.findings = sort_findings(findings)
    report.notes = tuple(sorted(set(all_notes)))
    return report


_REASONS = (
    ("never closed", "unbalanced brackets"),
    ("unbalanced", "unbalanced brackets"),
    ("arguments (", "wrong number of event macro arguments"),
    ("should be TP_", "an event part not written as TP_xxx(...)"),
    ("cannot parse", "a prototype or field type that is not C"),
    ("must be an identifier", "an event name that is not a name"),
    ("unterminated", "unterminated comment or literal"),
    ("binary file", "binary file"),
    ("MiB", "file over the size limit"),
    ("could not expand", "a macro the preprocessor could not expand"),
    ("every entry of one list", "an EM list mixing entry shapes"),
    ("cannot read", "unreadable file"),
    ("internal error", "internal error (please report)"),
)


def iter_notes_by_reason(notes: Iterable[Note]) -> dict[str, int]:
    """Skipped files and events counted by the kind of reason (for the summary)."""
    counts: dict[str, int] = {}
    for n in notes:
        if not n.skipped:
            continue
        reason = next((label for key, label in _REASONS if key in n.message), "other")
        counts[reason] = counts.get(reason, 0) + 1
    return dict(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))
