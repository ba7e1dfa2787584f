"""The one exception type the trace linter raises for bad input.

It carries a file and line so the CLI can print ``path:line: message`` and exit 2. It must not be
used for findings (those are :class:`~collapsecheck.tracelint.report.Finding` values): an input
error means the linter could not read or understand the input at all.
"""

from __future__ import annotations


class LintInputError(Exception):
    """A file could not be read, or a macro in it could not be parsed."""

    def __init__(self, path: str, line: int | None, message: str) -> None:
        self.path = path
        self.line = line
        self.message = message
        where = f"{path}:{line}" if line is not None else path
        super().__init__(f"{where}: {message}")
