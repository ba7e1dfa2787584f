"""Findings, the lint report, and its text and JSON renderings.

Output is deterministic: findings are sorted by (file, line, rule, message), paths are printed as
the caller gave them, and nothing depends on time or the host. This module must not run checks.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field

from collapsecheck.tracelint.events import Note

ERROR = "error"
WARNING = "warning"

RULES: dict[str, str] = {
    "T1": "TP_PROTO and TP_ARGS (and a DEFINE_EVENT and its class) disagree",
    "T2": "a TP_STRUCT__entry field and what TP_fast_assign stores in it disagree",
    "T3": "a TP_printk conversion does not fit its argument",
    "T4": "a trace_<event>() call passes the wrong number, kind or order of arguments, or values "
          "the event should derive",
    "T5": "an EM()/EMe() list does not mirror its enum, or is malformed",
    "T6": "an EM()/EMe() list is ordered differently from its enum (informational)",
}


@dataclass(frozen=True, slots=True, order=True)
class Finding:
    path: str
    line: int
    rule: str
    message: str
    severity: str = ERROR
    event: str | None = None

    def to_text(self) -> str:
        return f"{self.path}:{self.line}: {self.severity}[{self.rule}]: {self.message}"

    def to_dict(self) -> dict[str, object]:
        return {
            "path": self.path,
            "line": self.line,
            "rule": self.rule,
            "severity": self.severity,
            "message": self.message,
            "event": self.event,
        }


@dataclass(frozen=True, slots=True)
class LintReport:
    header: str
    files: tuple[str, ...]  # every file read, header first
    events: int
    em_lists: int
    findings: tuple[Finding, ...] = field(default=())
    notes: tuple[Note, ...] = field(default=())

    @property
    def skipped(self) -> int:
        return sum(1 for n in self.notes if n.skipped)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == ERROR)

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == WARNING)

    @property
    def exit_code(self) -> int:
        return 1 if self.errors else 0


@dataclass(slots=True)
class TreeReport:
    files: int = 0
    unreadable: int = 0
    events: int = 0
    em_lists: int = 0
    c_files: int = 0
    calls: int = 0
    findings: tuple[Finding, ...] = ()
    notes: tuple[Note, ...] = ()
    paths: tuple[str, ...] = field(default=())

    @property
    def skipped_events(self) -> int:
        return sum(1 for n in self.notes if n.skipped and n.line > 0)

    @property
    def errors(self) -> int:
        return sum(1 for f in self.findings if f.severity == "error")

    @property
    def warnings(self) -> int:
        return sum(1 for f in self.findings if f.severity == "warning")


def sort_findings(findings: list[Finding]) -> tuple[Finding, ...]:
    unique = set(findings)
    return tuple(sorted(unique, key=lambda f: (f.path, f.line, f.rule, f.message, f.severity)))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def format_text(report: LintReport, severity: str = WARNING) -> str:
    lines = [f.to_text() for f in visible(report.findings, severity)]
    lines += [n.to_text() for n in report.notes]
    lines.append(
        f"{_plural(report.errors, 'error')}, {_plural(report.warnings, 'warning')} "
        f"({_plural(report.events, 'event')}, {_plural(report.em_lists, 'EM list')} "
        f"in {report.header})"
        + (f"; {_plural(report.skipped, 'event')} skipped" if report.skipped else "")
    )
    return "\n".join(lines) + "\n"


def format_json(report: LintReport, severity: str = WARNING) -> str:
    doc = {
        "header": report.header,
        "files": list(report.files),
        "events": report.events,
        "em_lists": report.em_lists,
        **_common_json(report, severity),
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def _common_json(report: LintReport | TreeReport, severity: str) -> dict[str, object]:
    """The keys a single-header and a tree document share."""
    return {
        "errors": report.errors,
        "warnings": report.warnings,
        "findings": [f.to_dict() for f in visible(report.findings, severity)],
        "notes": [{"path": n.path, "line": n.line, "message": n.message, "skipped": n.skipped}
                  for n in report.notes],
        "rules": RULES,
    }


def render(
    fmt: str, report: LintReport | TreeReport, severity: str, reasons: dict[str, int] | None = None
) -> str:
    """The report in the chosen format (text, json or sarif)."""
    if fmt == "sarif":
        return format_sarif(visible(report.findings, severity), report.notes)
    if isinstance(report, TreeReport):
        if fmt == "json":
            return format_tree_json(report, severity)
        return format_tree_text(report, severity, reasons)
    return format_json(report, severity) if fmt == "json" else format_text(report, severity)


def visible(findings: tuple[Finding, ...], severity: str) -> tuple[Finding, ...]:
    """``--severity error`` shows errors only; ``warning`` (the default) shows both."""
    return tuple(f for f in findings if severity == WARNING or f.severity == ERROR)


def _by_rule(findings: tuple[Finding, ...]) -> str:
    counts: dict[tuple[str, str], int] = {}
    for f in findings:
        counts[(f.rule, f.severity)] = counts.get((f.rule, f.severity), 0) + 1
    return ", ".join(f"{rule} {sev} {n}" for (rule, sev), n in sorted(counts.items())) or "none"


def format_tree_text(report: TreeReport, severity: str = WARNING, reasons: dict[str, int] | None = None) -> str:
    shown = visible(report.findings, severity)
    lines = [f.to_text() for f in shown]
    lines += [n.to_text() for n in report.notes if n.skipped]
    lines.append(
        f"{_plural(report.errors, 'error')}, {_plural(report.warnings, 'warning')} in "
        f"{_plural(report.files, 'header')} ({report.unreadable} unreadable), "
        f"{_plural(report.events, 'event')} ({report.skipped_events} skipped), "
        f"{_plural(report.em_lists, 'EM list')}"
        + (f"; {_plural(report.calls, 'call site')} in {_plural(report.c_files, 'C file')}"
           if report.c_files else "")
    )
    lines.append(f"findings by rule: {_by_rule(report.findings)}")
    if reasons:
        lines.append("skipped: " + "; ".join(f"{n} x {r}" for r, n in reasons.items()))
    if severity == ERROR and report.warnings:
        lines.append(f"({_plural(report.warnings, 'warning')} not shown: --severity warning shows them)")
    return "\n".join(lines) + "\n"


def format_tree_json(report: TreeReport, severity: str = WARNING) -> str:
    doc = {
        "headers": list(report.paths),
        "files": report.files,
        "unreadable": report.unreadable,
        "events": report.events,
        "skipped_events": report.skipped_events,
        "em_lists": report.em_lists,
        "c_files": report.c_files,
        "calls": report.calls,
        **_common_json(report, severity),
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


SARIF_SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"


def format_sarif(findings: tuple[Finding, ...], notes: tuple[Note, ...] = ()) -> str:
    """SARIF 2.1.0: one result per finding with its file:line region, so code scanning shows
    them; skipped events are tool notifications, not results."""
    rules = [
        {"id": rid, "shortDescription": {"text": text},
         "defaultConfiguration": {"level": "warning" if rid == "T6" else "error"}}
        for rid, text in sorted(RULES.items())
    ]
    index = {r["id"]: k for k, r in enumerate(rules)}
    results = [
        {
            "ruleId": f.rule,
            "ruleIndex": index[f.rule],
            "level": "error" if f.severity == ERROR else "warning",
            "message": {"text": f.message},
            "locations": [{
                "physicalLocation": {
                    "artifactLocation": {"uri": _uri(f.path)},
                    "region": {"startLine": max(f.line, 1)},
                }
            }],
        }
        for f in findings
    ]
    notifications = [
        {
            "level": "note",
            "message": {"text": n.message},
            "locations": [{"physicalLocation": {
                "artifactLocation": {"uri": _uri(n.path)},
                **({"region": {"startLine": n.line}} if n.line > 0 else {}),
            }}],
        }
        for n in notes if n.skipped
    ]
    doc = {
        "$schema": SARIF_SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {"name": "collapsecheck lint-trace", "rules": rules}},
            "invocations": [{"executionSuccessful": True,
                             "toolExecutionNotifications": notifications}],
            "results": results,
        }],
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"


def _uri(path: str) -> str:
    # Relative paths stay relative (code scanning resolves them against the checkout).
    if os.path.isabs(path):
        return "file://" + path.replace(os.sep, "/")
    path = path.replace(os.sep, "/")
    return path[2:] if path.startswith("./") else path
