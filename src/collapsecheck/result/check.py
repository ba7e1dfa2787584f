"""Verdicts, traces, statistics and check results, with a deterministic JSON form.

Engines produce :class:`CheckResult`; reporters and the gate consume it. This module must not run
engines or print.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class Verdict(StrEnum):
    HOLDS = "holds"
    VIOLATED = "violated"
    DEADLOCK = "deadlock"
    VACUOUS = "vacuous"
    INCONCLUSIVE = "inconclusive"
    ERROR = "error"  # a run-time model error (out-of-range value or index) is reachable
    BOUNDED = "bounded"  # no violation up to a depth: a bounded search's best answer, never a proof

    @property
    def exit_code(self) -> int:
        return EXIT_CODES[self]


EXIT_CODES = {
    Verdict.HOLDS: 0,
    Verdict.VIOLATED: 10,
    Verdict.DEADLOCK: 11,
    Verdict.VACUOUS: 12,
    Verdict.INCONCLUSIVE: 13,
    Verdict.ERROR: 15,
    Verdict.BOUNDED: 14,
}
EXIT_MISMATCH = 1
EXIT_USAGE = 2


@dataclass(frozen=True)
class TraceStep:
    """One atomic step of a trace: who did what, and which variables it changed (old, new)."""

    thread: str
    step: str
    case: str | None
    action: int
    changes: tuple[tuple[str, str, str], ...]

    def to_json(self) -> dict[str, Any]:
        return {
            "thread": self.thread,
            "step": self.step,
            "case": self.case,
            "changes": [{"var": n, "old": o, "new": v} for n, o, v in self.changes],
        }


@dataclass(frozen=True)
class Trace:
    """A path from an initial state: the initial values, the steps, and every visited state (as tuples)."""

    initial: dict[str, str]
    steps: tuple[TraceStep, ...]
    states: tuple[tuple, ...] = field(repr=False, compare=False)

    def __len__(self) -> int:
        return len(self.steps)

    def to_json(self) -> list[dict[str, Any]]:
        return [s.to_json() for s in self.steps]


@dataclass
class Stats:
    states: int = 0
    transitions: int = 0
    depth: int = 0
    seconds: float = 0.0

    @property
    def rate(self) -> float:
        return self.states / self.seconds if self.seconds > 0 else 0.0


@dataclass
class CheckResult:
    """What one engine found for one model instance."""

    model: str
    params: dict[str, object]
    engine: str
    verdict: Verdict
    property: str | None = None
    trace: Trace | None = None
    violations: dict[str, Trace] = field(default_factory=dict)
    witnesses: dict[str, int | None] = field(default_factory=dict)
    stats: Stats = field(default_factory=Stats)
    message: str = ""
    unreached: list[str] = field(default_factory=list)
    blocked: list[tuple[str, str]] = field(default_factory=list)
    deadlock: Trace | None = None  # a path to a deadlock, kept even when a violation is the verdict
    bound: str = "exhaustive"
    extra: dict[str, Any] = field(default_factory=dict)  # engine-specific figures, serialised
    artifacts: dict[str, Any] = field(default_factory=dict, repr=False)  # in-memory only (exploration...)

    def to_json(self, expected: str | None = None, timing: bool = True) -> dict[str, Any]:
        out: dict[str, Any] = {
            "model": self.model,
            "params": dict(self.params),
            "engine": self.engine,
            "verdict": str(self.verdict),
            "expected": expected,
            "property": self.property,
            "states": self.stats.states,
            "transitions": self.stats.transitions,
            "depth": self.stats.depth,
            "seconds": round(self.stats.seconds, 3) if timing else None,
            "bound": self.bound,
            "counterexample": self.trace.to_json() if self.trace else None,
            "violated": sorted(self.violations),
            "witnesses": {k: v for k, v in self.witnesses.items()},
            "unreached_steps": list(self.unreached),
            "message": self.message,
        }
        if self.deadlock is not None and self.verdict != Verdict.DEADLOCK:
            out["also_deadlock"] = len(self.deadlock)
        if self.blocked:
            out["blocked"] = [{"thread": t, "step": s} for t, s in self.blocked]
        out.update(self.extra)
        return out
