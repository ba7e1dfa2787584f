"""Findings, the lint report, and its text and JSON renderings.

Output is deterministic: findings are sorted by (file, line, rule, message), paths are printed as
the caller gave them, and nothing depends on time or the host. This module must not run checks.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from collapsecheck.tracelint.events import Note

ERROR = "error"
WARNING = "warning"

RULES: dict[str, str] = {
    "T1": "TP_PROTO and TP_ARGS (and a DEFINE_EVENT and its class) disagree",
    "T2": "a TP_STRUCT__entry field and what TP_fast_assign stores in it disagree",
    "T3": "a TP_printk conversion does not fit its argument",
    "T4": "a call site passes arguments the event should derive, or in the wrong order",
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


def sort_findings(findings: list[Finding]) -> tuple[Finding, ...]:
    unique = set(findings)
    return tuple(sorted(unique, key=lambda f: (f.path, f.line, f.rule, f.message, f.severity)))


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def format_text(report: LintReport) -> str:
    lines = [f.to_text() for f in report.findings]
    lines.append(
        f"{_plural(report.errors, 'error')}, {_plural(report.warnings, 'warning')} "
        f"({_plural(report.events, 'event')}, {_plural(report.em_lists, 'EM list')} "
        f"in {report.header})"
    )
    return "\n".join(lines) + "\n"


def format_json(report: LintReport) -> str:
    doc = {
        "header": report.header,
        "files": list(report.files),
        "events": report.events,
        "em_lists": report.em_lists,
        "errors": report.errors,
        "warnings": report.warnings,
        "findings": [f.to_dict() for f in report.findings],
        "rules": RULES,
    }
    return json.dumps(doc, indent=2, sort_keys=True) + "\n"
