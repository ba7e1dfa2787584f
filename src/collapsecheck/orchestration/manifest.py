"""``models/manifest.toml``: the expected verdict of every (model, parameters) instance.

Loads and validates the file against :data:`SCHEMA` (one place for every key): unknown keys, wrong values
and impossible combinations are errors at the line of the key itself (found by a light scan of the text,
since ``tomllib`` keeps no positions). An entry without ``engines`` runs :data:`DEFAULT_ENGINES`. It also
rewrites the count pins on ``--update``. It must not run engines.
"""

from __future__ import annotations

import difflib
import re
import tomllib
from pathlib import Path
from typing import Any

from collapsecheck.errors import SourceLoc, UsageError, relpath
from collapsecheck.result import Verdict
from collapsecheck.result.rows import DEFAULT_ENGINES, Entry  # the record a manifest check loads into

BUDGETS = ("fast", "slow")


# ------------------------------------------------------------------------------------------- schema
# One place for every key an entry may have: key -> (check, what to write). A check returns None when the
# value is right, else what is wrong. Adding a key is one line here (and one field of Entry if the gate
# reads it).
def _str(v: Any) -> str | None:
    return None if isinstance(v, str) else "must be a string"


def _count(v: Any) -> str | None:
    return None if isinstance(v, int) and not isinstance(v, bool) and v >= 0 else "must be a whole number >= 0"


def _names(nonempty: bool) -> Any:
    def check(v: Any) -> str | None:
        if not (isinstance(v, list) and all(isinstance(x, str) for x in v)):
            return "must be a list of strings"
        return "must not be empty" if nonempty and not v else None
    return check


def _one_of(*allowed: str) -> Any:
    return lambda v: None if v in allowed else f"must be one of {', '.join(allowed)}, got {v!r}"


def _verdict(v: Any) -> str | None:
    return None if v in {x.value for x in Verdict} else \
        f"must be one of {', '.join(x.value for x in Verdict)}, got {v!r}"


def _engines(v: Any) -> str | None:
    from collapsecheck.orchestration import engines

    bad = _names(True)(v)
    if bad:
        return bad
    unknown = [e for e in v if e not in engines.available()]
    return f"names unknown engine(s) {', '.join(unknown)}; engines: {', '.join(engines.available())}" if unknown \
        else None


def _params(v: Any) -> str | None:
    if not isinstance(v, dict):
        return "must be an inline table, e.g. params = { variant = \"pre_fix\", pages = 2 }"
    bad = [k for k, x in v.items() if not isinstance(x, (str, int, bool)) or isinstance(x, float)]
    return f"values must be strings, whole numbers or booleans ({', '.join(bad)} is not)" if bad else None


OPTIONS: dict[str, Any] = {  # entry options, passed to the engines (CheckConfig.options)
    "symbolic_size": _str,
    "encoding": _one_of("auto", "flat", "reduced"),
    "portfolio": _str,
    "por": lambda v: None if isinstance(v, bool) else "must be true or false",
    "symmetry": lambda v: None if isinstance(v, bool) else "must be true or false",
    "fewest_switches": lambda v: None if isinstance(v, bool) else "must be true or false",
    "max_memory_mb": _count,
    "pump": _one_of("on", "off"),  # bmc at a fixed large size: pump small-size counterexamples first
    "cti_rounds": _count,  # prove: rounds of the counterexample loop (0 leaves it out)
    "counts": _one_of("on", "off"),  # prove: the count-term pass
    "linear": _one_of("on", "off"),  # prove: the linear-equality pass
    "shorter_search": lambda v: None if isinstance(v, (int, float)) and not isinstance(v, bool) and v >= 0
    else "must be a number of seconds >= 0",
}


def _options(v: Any) -> str | None:
    if not isinstance(v, dict):
        return "must be an inline table, e.g. options = { encoding = \"reduced\" }"
    for k, x in v.items():
        if k not in OPTIONS:
            return f"has unknown option {k!r}; options: {', '.join(OPTIONS)}"
        bad = OPTIONS[k](x)
        if bad:
            return f"option {k} {bad}"
    return None


SCHEMA: dict[str, tuple[Any, str]] = {
    "model": (_str, 'the model\'s name under models/, e.g. model = "collapse_file_vs_uffd_register"'),
    "params": (_params, "the model's build parameters"),
    "expect": (_verdict, "the expected verdict"),
    "property": (_str, "the always-property that fails (required when expect = \"violated\")"),
    "trace_len": (_count, "the shortest counterexample's length in steps"),
    "states": (_count, "the explicit engine's distinct state count"),
    "engines": (_engines, f"the engines to run (default {DEFAULT_ENGINES})"),
    "witnesses": (_names(True), "sometimes-properties that must be reached"),
    "uncovered": (_names(False), "coverage items expected never to be exercised"),
    "proved": (_names(False), "prove engine: exactly these targets are proved (may be empty)"),
    "bug": (_str, "the kernel commit the entry is about"),
    "note": (_str, "free text"),
    "budget": (_one_of(*BUDGETS), "fast or slow (--budget fast runs only fast entries)"),
    "options": (_options, "engine options"),
}
KEYS = set(SCHEMA)


# ------------------------------------------------------------------------------------------- lines
_KEY_LINE = re.compile(r"""^\s*("[^"]*"|'[^']*'|[A-Za-z0-9_-]+)\s*(?:\.\s*[A-Za-z0-9_"'-]+\s*)*=""")
_TABLE_LINE = re.compile(r"^\s*\[\[?\s*([^\]]*?)\s*\]\]?\s*(#.*)?$")


def scan_lines(text: str) -> tuple[list[tuple[int, dict[str, int]]], dict[str, int]]:
    """A light scan of the TOML text (tomllib keeps no positions): for each ``[[check]]`` its line and the
    line of each of its keys; and the line of each top-level key or table. Lines inside multi-line strings
    and arrays that do not start with ``key =`` are skipped."""
    entries: list[tuple[int, dict[str, int]]] = []
    top: dict[str, int] = {}
    current: dict[str, int] | None = None
    in_string = False
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        was_in_string = in_string
        if line.count('"""') % 2 or line.count("'''") % 2:
            in_string = not in_string  # a multi-line string opens or closes on this line
        if was_in_string or not line or line.startswith("#"):
            continue
        m = _TABLE_LINE.match(line)
        if m and line.startswith("["):
            name = m.group(1).strip()
            if name == "check" and line.startswith("[["):
                current = {}
                entries.append((n, current))
            else:
                current = None
                top.setdefault(name.split(".")[0], n)
            continue
        k = _KEY_LINE.match(raw)
        if k:
            key = k.group(1).strip("\"'")
            (current if current is not None else top).setdefault(key, n)
    return entries, top


def item_line(text_lines: list[str], start: int, item: str) -> int:
    """The line, from ``start`` on, that holds the quoted string ``item`` (a list element); else ``start``."""
    for n in range(start, min(len(text_lines), start + 200) + 1):
        if f'"{item}"' in text_lines[n - 1] or f"'{item}'" in text_lines[n - 1]:
            return n
    return start


# ------------------------------------------------------------------------------------------- load
def load(path: Path) -> list[Entry]:
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as e:
        raise UsageError(f"cannot read manifest {relpath(str(path))}: {e.strerror}") from None
    fname = relpath(str(path))
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as e:
        m = re.search(r"line (\d+)", str(e))
        raise UsageError(f"manifest is not valid TOML: {e}", SourceLoc(fname, int(m.group(1)) if m else 1)) from None
    blocks, top = scan_lines(text)
    unknown_top = sorted(set(data) - {"check"})
    if unknown_top:
        raise UsageError(f"manifest: unknown top-level key or table {', '.join(unknown_top)}; only [[check]] "
                         "tables are allowed", SourceLoc(fname, top.get(unknown_top[0], 1)))
    checks = data.get("check", [])
    if not isinstance(checks, list):
        raise UsageError("manifest: 'check' must be written as [[check]] tables", SourceLoc(fname, top.get("check", 1)))
    lines = text.splitlines()
    entries = []
    for k, raw in enumerate(checks):
        line, keys = blocks[k] if k < len(blocks) else (1, {})
        entries.append(_entry(raw, fname, line, keys, lines))
    return entries


def _entry(raw: dict[str, Any], fname: str, line: int, keys: dict[str, int], text_lines: list[str]) -> Entry:
    def bad(msg: str, key: str | None = None) -> UsageError:
        return UsageError(f"manifest entry: {msg}", SourceLoc(fname, keys.get(key or "", line) or line))

    for key in raw:
        if key not in SCHEMA:
            close = difflib.get_close_matches(key, SCHEMA, 1)
            hint = f"did you mean {close[0]!r}? " if close else ""
            raise bad(f"unknown key {key!r}; {hint}allowed: {', '.join(SCHEMA)}", key)
    for key, value in raw.items():
        problem = SCHEMA[key][0](value)
        if problem:
            raise bad(f"'{key}' {problem} ({SCHEMA[key][1]})", key)
    for key in ("model", "expect"):
        if key not in raw:
            raise bad(f"'{key}' is required ({SCHEMA[key][1]})")
    e = Entry(model=raw["model"], params=dict(raw.get("params", {})), expect=Verdict(raw["expect"]), line=line,
              file=fname, key_lines=dict(keys))
    for key in ("property", "trace_len", "states", "bug", "note", "budget", "engines", "witnesses", "uncovered",
                "options"):
        if key in raw:
            v = raw[key]
            setattr(e, key, list(v) if isinstance(v, list) else dict(v) if isinstance(v, dict) else v)
    for w in e.witnesses:  # list items get their own lines, for the gate's witness check
        e.key_lines.setdefault(f"witnesses:{w}", item_line(text_lines, keys.get("witnesses", line), w))
    if e.expect == Verdict.VIOLATED and not e.property:
        raise bad("an expected violation must name the 'property' that fails, e.g. property = \"name\"", "expect")
    if e.property and e.expect != Verdict.VIOLATED:
        raise bad("'property' only applies to expect = \"violated\"", "property")
    if e.expect not in (Verdict.VIOLATED, Verdict.DEADLOCK) and e.trace_len is not None:
        raise bad("'trace_len' only applies to expected violations and deadlocks", "trace_len")
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
