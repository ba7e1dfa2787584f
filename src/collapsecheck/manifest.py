"""``models/manifest.toml``: the expected verdict of every (model, parameters) instance.

Loads and validates the file (unknown keys, wrong types and impossible combinations are errors that name
the line), and rewrites the count pins on ``--update``. It must not run engines.
"""

from __future__ import annotations

import builtins
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from collapsecheck.errors import SourceLoc, UsageError, relpath
from collapsecheck.result import Verdict

KEYS = {"model", "params", "expect", "property", "trace_len", "states", "engines", "bug", "note", "budget",
        "witnesses", "options", "proved"}
BUDGETS = ("fast", "slow")


@dataclass
class Entry:
    """One manifest check."""

    model: str
    params: dict[str, Any]
    expect: Verdict
    property: str | None = None
    trace_len: int | None = None
    states: int | None = None
    engines: list[str] = field(default_factory=lambda: ["explicit"])
    bug: str = ""
    note: str = ""
    budget: str = "fast"
    witnesses: list[str] = field(default_factory=list)
    options: dict[str, Any] = field(default_factory=dict)
    proved: list[str] | None = None  # prove engine: exactly these targets are proved (the others are not)
    line: int = 0

    @builtins.property
    def param_text(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.params.items())

    @builtins.property
    def key(self) -> str:
        return f"{self.model}[{self.param_text}]" if self.params else self.model


def _entry_lines(text: str) -> list[int]:
    return [k + 1 for k, line in enumerate(text.splitlines()) if line.strip() == "[[check]]"]


def load(path: Path) -> list[Entry]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise UsageError(f"cannot read manifest {relpath(str(path))}: {e.strerror}") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"line (\d+)", str(e))
        raise UsageError(f"manifest is not valid TOML: {e}",
                         SourceLoc(relpath(str(path)), int(m.group(1)) if m else 1)) from None
    unknown_top = set(data) - {"check"}
    if unknown_top:
        raise UsageError(f"manifest: unknown top-level key(s) {', '.join(sorted(unknown_top))}; "
                         "only [[check]] tables are allowed", SourceLoc(relpath(str(path)), 1))
    lines = _entry_lines(text)
    entries = []
    for k, raw in enumerate(data.get("check", [])):
        loc = SourceLoc(relpath(str(path)), lines[k] if k < len(lines) else 1)
        entries.append(_entry(raw, loc))
    return entries


def _entry(raw: dict[str, Any], loc: SourceLoc) -> Entry:
    def bad(msg: str) -> UsageError:
        return UsageError(f"manifest entry: {msg}", loc)

    unknown = set(raw) - KEYS
    if unknown:
        raise bad(f"unknown key(s) {', '.join(sorted(unknown))}; allowed: {', '.join(sorted(KEYS))}")
    if not isinstance(raw.get("model"), str):
        raise bad("'model' (a model name under models/) is required")
    try:
        expect = Verdict(raw.get("expect", ""))
    except ValueError:
        raise bad(f"'expect' must be one of {', '.join(v.value for v in Verdict)}, got {raw.get('expect')!r}") from None
    params = raw.get("params", {})
    if not isinstance(params, dict):
        raise bad("'params' must be an inline table, e.g. params = { variant = \"pre_fix\", pages = 2 }")
    e = Entry(model=raw["model"], params=dict(params), expect=expect, line=loc.line)
    for key, typ in (("property", str), ("trace_len", int), ("states", int), ("bug", str), ("note", str),
                     ("budget", str)):
        if key in raw:
            if not isinstance(raw[key], typ) or isinstance(raw[key], bool):
                raise bad(f"'{key}' must be a {typ.__name__}")
            setattr(e, key, raw[key])
    if "proved" in raw:  # may be empty: a prove entry that proves none of its targets says so
        if not (isinstance(raw["proved"], list) and all(isinstance(x, str) for x in raw["proved"])):
            raise bad("'proved' must be a list of target names")
        e.proved = list(raw["proved"])
    for key in ("engines", "witnesses"):
        if key in raw:
            if not (isinstance(raw[key], list) and all(isinstance(x, str) for x in raw[key]) and raw[key]):
                raise bad(f"'{key}' must be a non-empty list of strings")
            setattr(e, key, list(raw[key]))
    if "options" in raw:
        if not isinstance(raw["options"], dict):
            raise bad("'options' must be an inline table")
        e.options = dict(raw["options"])
    if e.budget not in BUDGETS:
        raise bad(f"'budget' must be one of {', '.join(BUDGETS)}")
    if e.expect == Verdict.VIOLATED and not e.property:
        raise bad("an expected violation must name the 'property' that fails")
    if e.expect != Verdict.VIOLATED and e.trace_len is not None and e.expect != Verdict.DEADLOCK:
        raise bad("'trace_len' only applies to expected violations and deadlocks")
    return e


def update_pins(path: Path, pins: dict[int, dict[str, int]]) -> int:
    """Rewrite ``states``/``trace_len`` of the entries starting at the given lines; returns edits made.

    A line-based edit keeps comments and layout, which a TOML round-trip would lose."""
    lines = path.read_text(encoding="utf-8").splitlines()
    starts = [k for k, line in enumerate(lines) if line.strip() == "[[check]]"]
    edits = 0
    for n, start in enumerate(reversed(starts)):
        end = starts[len(starts) - n] if n else len(lines)
        want = pins.get(start + 1)
        if not want:
            continue
        block_end = end
        # Trailing blank lines and the comment lines that introduce the next entry belong to no block.
        while block_end > start + 1 and (not lines[block_end - 1].strip() or lines[block_end - 1].lstrip().startswith("#")):
            block_end -= 1
        for key, value in want.items():
            pat = re.compile(rf"^\s*{key}\s*=")
            for k in range(start + 1, block_end):
                if pat.match(lines[k]):
                    new = f"{key} = {value}"
                    if lines[k].split("#")[0].strip() != new:
                        comment = lines[k][lines[k].index("#"):] if "#" in lines[k] else ""
                        lines[k] = new + (f"  {comment}" if comment else "")
                        edits += 1
                    break
            else:
                lines.insert(block_end, f"{key} = {value}")
                block_end += 1
                edits += 1
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return edits
