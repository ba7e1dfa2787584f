"""Exceptions that carry a source location, so every user-facing error names file and line.

This module only defines error types; it must not print or decide exit codes (that is ``cli.py``'s job).
"""

from __future__ import annotations

import os
import sys
from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class SourceLoc:
    """A ``file:line`` in a model file (paths are kept relative to the working directory)."""

    file: str
    line: int

    def __str__(self) -> str:
        return f"{self.file}:{self.line}"


def relpath(path: str) -> str:
    """Path relative to the working directory when below it, so messages and reports hold no absolute paths."""
    try:
        rel = os.path.relpath(path)
    except ValueError:
        return path
    return path if rel.startswith("..") else rel


_PACKAGE_DIR = os.path.dirname(os.path.abspath(__file__))


def caller_loc() -> SourceLoc | None:
    """The innermost stack frame outside the collapsecheck package: the model line that made the call."""
    frame = sys._getframe(1)
    while frame is not None:
        filename = os.path.abspath(frame.f_code.co_filename)
        if not filename.startswith(_PACKAGE_DIR + os.sep):
            return SourceLoc(relpath(filename), frame.f_lineno)
        frame = frame.f_back
    return None


class CollapsecheckError(Exception):
    """Base of all errors reported to the user as one paragraph (never as a traceback)."""

    def __init__(self, message: str, loc: SourceLoc | None = None, context: str = "") -> None:
        super().__init__(message)
        self.message = message
        self.loc = loc
        self.context = context

    def __str__(self) -> str:
        where = f"{self.loc}: " if self.loc else ""
        ctx = f"{self.context}: " if self.context else ""
        return f"{where}{ctx}{self.message}"


class ModelError(CollapsecheckError):
    """A mistake in a model, found while building, validating or running it."""


class ModelRuntimeError(ModelError):
    """A model error that only a search can find: a step assigns a value outside a variable's range or
    indexes an array outside its bounds in some reachable state. Engines turn it into the verdict
    ``error`` with the shortest trace to that state (``trace``; ``state`` is the engine's own encoding of
    the state, for the engine to find it)."""

    def __init__(self, message: str, loc: SourceLoc | None = None, context: str = "", state: object = None) -> None:
        super().__init__(message, loc, context)
        self.state = state
        self.trace: object = None


class ModelTypeError(ModelError):
    """An expression mixes sorts that do not fit (e.g. a bool compared with an enum)."""


class UsageError(CollapsecheckError):
    """Bad command-line input or a bad manifest entry."""


class InternalError(CollapsecheckError):
    """A bug in collapsecheck itself (e.g. a symbolic trace that does not replay)."""
