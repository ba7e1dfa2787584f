"""What a running check is doing, and a one-line display of it on a terminal.

Engines say which phase they are in (``phase("houdini: mining lemmas")``) and what they have measured so
far (``figures(states=..., depth=...)``); the gate says which entry it runs (``gate_entry``). The same
record is what a limit reports when it stops a run (``limits.py``: "the phase it was in, and what it had
reached"). :class:`Display` paints the record on stderr, rewritten in place, only when stderr is a
terminal and the user did not pass ``--no-progress``. The painting is driven by the watchdog thread of
``limits.watch``, so an engine never writes to the terminal itself.

This module must not decide verdicts, check limits, or write anything when stderr is not a terminal.
"""

from __future__ import annotations

import sys
import time
from dataclasses import dataclass, field
from typing import Any, TextIO


@dataclass
class Status:
    """The current check: engine, phase, measured figures, and the gate entry it belongs to."""

    engine: str = ""
    phase: str = ""
    started: float = field(default_factory=time.monotonic)
    figures: dict[str, Any] = field(default_factory=dict)
    gate: str = ""  # "entry 3/37 model[params]" while the gate runs
    gate_started: float = 0.0

    def reached(self) -> str:
        """The figures as words: what the run had reached ("states 12,000, depth 7")."""
        return ", ".join(f"{k.replace('_', ' ')} {_fmt(v)}" for k, v in self.figures.items()) or "nothing yet"


STATUS = Status()


def _fmt(v: Any) -> str:
    if isinstance(v, bool):
        return str(v).lower()
    if isinstance(v, int):
        return f"{v:,}"
    if isinstance(v, float):
        return f"{v:,.1f}"
    return str(v)


def start(engine: str) -> None:
    """A new check begins: forget the previous one's phase and figures (the gate entry stays)."""
    STATUS.engine, STATUS.phase, STATUS.figures, STATUS.started = engine, "", {}, time.monotonic()


def phase(text: str) -> None:
    STATUS.phase = text


def figures(**values: Any) -> None:
    """Record measured figures; a value of None removes the figure."""
    for k, v in values.items():
        if v is None:
            STATUS.figures.pop(k, None)
        else:
            STATUS.figures[k] = v


def clear() -> None:
    """A new phase measures new things: forget the figures of the previous one."""
    STATUS.figures = {}


def gate_entry(index: int, total: int, key: str) -> None:
    STATUS.gate, STATUS.gate_started = f"entry {index}/{total} {key}", time.monotonic()


def gate_done() -> None:
    STATUS.gate = ""


def line(width: int = 160) -> str:
    now = time.monotonic()
    parts = []
    if STATUS.gate:
        parts.append(f"{STATUS.gate} ({now - STATUS.gate_started:.0f} s)")
    head = STATUS.engine + (f" [{STATUS.phase}]" if STATUS.phase else "")
    parts.append(f"{head} {now - STATUS.started:.1f} s")
    if STATUS.figures:
        parts.append(STATUS.reached())
    text = "  " + " | ".join(parts)
    return text if len(text) <= width else text[:width - 1] + "…"


class Display:
    """Paints :data:`STATUS` on one terminal line; does nothing unless ``stream`` is a terminal."""

    def __init__(self, enabled: bool, stream: TextIO | None = None) -> None:
        self.stream = stream or sys.stderr
        try:
            self.enabled = enabled and self.stream.isatty()
        except (AttributeError, ValueError):
            self.enabled = False
        self.painted = False

    def paint(self) -> None:
        if not self.enabled:
            return
        try:
            import shutil

            width = shutil.get_terminal_size((160, 24)).columns - 1
            self.stream.write("\r" + line(width) + "\x1b[K")
            self.stream.flush()
            self.painted = True
        except (OSError, ValueError):
            self.enabled = False

    def clear(self) -> None:
        if self.enabled and self.painted:
            try:
                self.stream.write("\r\x1b[K")
                self.stream.flush()
            except (OSError, ValueError):
                pass
        self.painted = False
