"""One manifest entry and what came of it: :class:`Entry` (the expectation) and :class:`Row` (its results).

These are the records the gate produces and every page, summary and CI format reads. They are plain data:
this module must not load manifests, run engines, compare expectations or format anything (the
orchestration fills them in; ``collapsecheck.report`` renders them).
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass, field
from typing import Any

from collapsecheck.errors import SourceLoc
from collapsecheck.model.core import Model
from collapsecheck.result.check import CheckResult, Verdict


# An entry without `engines` runs these (the manifest header says so). The proof engine and the pdr
# closure cross-check are asked for by name: the gate must stay under a minute.
DEFAULT_ENGINES = ["explicit"]


@dataclass
class Entry:
    """One manifest check."""

    model: str
    params: dict[str, Any]
    expect: Verdict
    property: str | None = None
    trace_len: int | None = None
    states: int | None = None
    engines: list[str] = field(default_factory=lambda: list(DEFAULT_ENGINES))
    bug: str = ""
    note: str = ""
    budget: str = "fast"
    witnesses: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    uncovered: list[str] = field(default_factory=list)  # coverage items expected never to be exercised
    proved: list[str] | None = None  # prove engine: exactly these targets are proved (the others are not)
    line: int = 0
    file: str = ""
    key_lines: dict[str, int] = field(default_factory=dict, repr=False)  # key -> its line in the manifest

    @builtins.property
    def param_text(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.params.items())

    @builtins.property
    def key(self) -> str:
        return f"{self.model}[{self.param_text}]" if self.params else self.model

    def loc(self, key: str | None = None) -> SourceLoc:
        """``file:line`` of ``key`` in this entry (of the ``[[check]]`` line when the key is absent)."""
        return SourceLoc(self.file, self.key_lines.get(key or "", self.line) or self.line)


@dataclass
class Row:
    """One manifest entry's outcome."""

    entry: Entry
    results: dict[str, CheckResult] = field(default_factory=dict)
    model: Model | None = None
    problems: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)  # what the comparison did not cover (not failures)
    warnings: list[str] = field(default_factory=list)  # e.g. coverage items the entry does not expect

    @property
    def ok(self) -> bool:
        return not self.problems and self.error is None

    @property
    def status(self) -> str:
        return "ERROR" if self.error else ("PASS" if self.ok else "FAIL")

    @property
    def primary(self) -> CheckResult | None:
        return next(iter(self.results.values()), None)


__all__ = ["DEFAULT_ENGINES", "Entry", "Row"]
