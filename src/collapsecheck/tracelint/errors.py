"""The one exception type the trace linter raises for bad input.

It is a :class:`collapsecheck.errors.UsageError` carrying the file and line, so that both
``tracelint.main`` and the CLI's error guard print ``path:line: message`` and exit 2. It must not
be used for findings (those are :class:`~collapsecheck.tracelint.report.Finding` values): an input
error means the linter could not read or understand the input at all.
"""

from __future__ import annotations

from collapsecheck.errors import SourceLoc, UsageError


class LintInputError(UsageError):
    """A file could not be read, or a macro in it could not be parsed."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        # Without a line, the path goes in front as the context: "path: message".
        loc = SourceLoc(path, line) if line is not None else None
        super().__init__(message, loc, "" if line is not None else path)
        self.path = path
        self.line = line
