"""Expand a header's own helper macros inside its event definitions, with a real C preprocessor.

Trace headers wrap parts of their events in macros they define themselves (``TP_STRUCT__entry_x``
wrappers, ``TP_PROTO`` held in an object-like macro, ``show_dev(dev)`` expanding to two printk
arguments, ``DEFINE_FOO_EVENT(name)`` generating whole events). The linter reads events only
after those macros are expanded, so it checks what the compiler sees.

Expansion is done by pcpp (a C99 preprocessor in Python) on the tokens of one event invocation,
with the definitions that are in force at that line: from the same file (``#define``/``#undef``
in order) and, given ``--tree``, from the files it ``#include``s that exist in that tree. The
kernel's event machinery (TRACE_EVENT and friends, TP_* wrappers, field macros, __print_*
helpers, EM/EMe) is never expanded: those are what the checks read.

This module must not interpret events and must not raise on bad macros: when expansion fails the
caller gets None and keeps the unexpanded tokens.
"""

from __future__ import annotations

import functools
import io
import os
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from pcpp import Preprocessor  # type: ignore[import-untyped]

from collapsecheck.tracelint.errors import LintInputError
from collapsecheck.tracelint.lexer import IDENT, Directive, Token, tokenize

# Names that keep their meaning for the checks and therefore are never expanded (the caller adds
# the event, field, assign and print macros it reads).
BASE_PROTECTED = frozenset({
    "TP_PROTO", "TP_ARGS", "PARAMS", "TP_STRUCT__entry", "TP_fast_assign", "TP_printk",
    "TP_CONDITION", "__entry", "EM", "EMe", "TRACE_DEFINE_ENUM", "TRACE_DEFINE_SIZEOF",
    "__perf_task", "__perf_count", "__perf_addr", "TRACE_SYSTEM", "TRACE_INCLUDE_FILE",
    "TRACE_INCLUDE_PATH", "TRACE_SYSTEM_VAR", "TRACE_HEADER_MULTI_READ",
})
# Only #includes of these shapes are followed (with --tree): helper headers of a subsystem, never
# the generic kernel headers, which define thousands of unrelated macros.
_MAX_INCLUDE_DEPTH = 2
_MAX_INCLUDE_BYTES = 2 * 1024 * 1024


@dataclass(frozen=True, slots=True)
class Macro:
    name: str
    line: int  # of the #define; 0 for one read from an included file
    source: str  # "NAME(params) body" or "NAME body", as pcpp's define() takes it
    function_like: bool
    body: tuple[Token, ...]

    @property
    def body_names(self) -> frozenset[str]:
        return frozenset(t.text for t in self.body if t.kind == IDENT)


def _render(tokens: Sequence[Token], first_line: int | None = None) -> str:
    """Tokens back to text, keeping their relative lines so pcpp's line numbers map back."""
    out: list[str] = []
    line = tokens[0].line if first_line is None and tokens else (first_line or 1)
    for tok in tokens:
        if tok.line > line:
            out.append("\n" * (tok.line - line))
            line = tok.line
        elif out:
            out.append(" ")
        out.append(tok.text)
    return "".join(out)


def _macro(d: Directive) -> Macro | None:
    if not d.tokens or d.tokens[0].kind != IDENT:
        return None
    name = d.tokens[0].text
    rest = d.tokens[1:]
    if d.function_like:
        # Parameters end at the first ')'; the body follows.
        close = next((k for k, t in enumerate(rest) if t.is_punct(")")), None)
        if close is None:
            return None
        params = " ".join(t.text for t in rest[: close + 1])
        body = rest[close + 1 :]
        source = f"{name}{params} {' '.join(t.text for t in body)}"
    else:
        body = rest
        source = f"{name} {' '.join(t.text for t in body)}"
    return Macro(name, d.line, source, d.function_like, tuple(body))


class MacroTable:
    """The #define/#undef history of one file (plus its resolvable includes), by line."""

    def __init__(
        self, directives: Iterable[Directive], protected: frozenset[str], included: Iterable[Macro] = ()
    ) -> None:
        # name -> [(line, Macro or None for #undef)], in file order.
        self._history: dict[str, list[tuple[int, Macro | None]]] = {}
        self._names: frozenset[str] | None = None
        for m in included:
            if m.name not in protected:
                self._history.setdefault(m.name, []).append((0, m))
        for d in directives:
            if d.name == "define":
                m = _macro(d)
                if m is not None and m.name not in protected:
                    self._history.setdefault(m.name, []).append((d.line, m))
            elif d.name == "undef" and d.tokens and d.tokens[0].kind == IDENT:
                name = d.tokens[0].text
                if name in self._history:
                    self._history[name].append((d.line, None))

    def __contains__(self, name: str) -> bool:
        return name in self._history

    def names(self) -> frozenset[str]:
        if self._names is None:
            self._names = frozenset(self._history)
        return self._names

    def active(self, name: str, line: int) -> Macro | None:
        """The definition in force at ``line``; a macro only defined later still counts (headers
        are read more than once, so a later definition is in force on the next read)."""
        hist = self._history.get(name)
        if not hist:
            return None
        current: Macro | None = None
        seen = False
        for at, m in hist:
            if at > line:
                break
            current, seen = m, True
        if not seen:
            return next((m for _, m in hist if m is not None), None)
        return current

    def all_definitions(self, name: str) -> list[Macro]:
        return [m for _, m in self._history.get(name, ()) if m is not None]

    def closure(self, names: Iterable[str], line: int) -> list[Macro]:
        """The definitions needed to expand ``names`` fully at ``line``."""
        todo = [n for n in names if n in self._history]
        found: dict[str, Macro] = {}
        while todo:
            name = todo.pop()
            if name in found:
                continue
            m = self.active(name, line)
            if m is None:
                continue
            found[name] = m
            todo.extend(n for n in m.body_names if n in self._history and n not in found)
        return [found[k] for k in sorted(found)]

    def expands(self, tokens: Sequence[Token], line: int) -> bool:
        hist = self._history
        return any(t.text in hist and t.kind == IDENT and self.active(t.text, line) is not None
                   for t in tokens)


class _Abort(Exception):
    pass


class _QuietPreprocessor(Preprocessor):  # type: ignore[misc]
    """pcpp's Preprocessor, with its error printing turned into a flag."""

    def __init__(self) -> None:
        super().__init__()
        self.line_directive = None
        self.failed = False

    def on_error(self, file, line, msg):  # type: ignore[no-untyped-def]
        self.failed = True

    def on_include_not_found(self, is_malformed, is_system_include, curdir, includepath):  # type: ignore[no-untyped-def]
        raise _Abort  # event tokens never hold #include; be safe anyway


# One preprocessor per process, reset before each use, and each definition compiled once: building
# a pcpp Preprocessor costs milliseconds, which adds up over thousands of events.
_PP: list[_QuietPreprocessor] = []
_BUILTIN_MACROS: dict[str, object] = {}
_COMPILED: dict[str, object] = {}


def _preprocessor() -> _QuietPreprocessor:
    if not _PP:
        _PP.append(_QuietPreprocessor())
        _BUILTIN_MACROS.update(_PP[0].macros)
    p = _PP[0]
    p.macros = dict(_BUILTIN_MACROS)
    p.failed = False
    return p


def expand(tokens: Sequence[Token], table: MacroTable, path: str) -> tuple[Token, ...] | None:
    """``tokens`` with every expandable macro expanded, lines kept where text is unchanged and the
    invocation's line for text a macro produced; None if nothing expands or pcpp fails."""
    if not tokens:
        return None
    line0 = tokens[0].line
    known = table.names()
    used = {t.text for t in tokens
            if t.text in known and t.kind == IDENT and table.active(t.text, line0) is not None}
    if not used:
        return None
    p = _preprocessor()
    try:
        for m in table.closure(used, line0):
            compiled = _COMPILED.get(m.source)
            if compiled is None:
                p.define(m.source)
                compiled = _COMPILED[m.source] = p.macros[m.name]
            else:
                p.macros[m.name] = compiled
        p.parse(_render(tokens))
        out = io.StringIO()
        pieces: list[str] = []
        line = 1
        pending_space = False
        while True:
            tok = p.token()
            if tok is None:
                break
            if tok.type in ("CPP_WS", "CPP_NEWLINE") or tok.value.isspace():
                pending_space = True
                continue
            if tok.lineno > line:
                pieces.append("\n" * (tok.lineno - line))
                line = tok.lineno
            elif pending_space:
                pieces.append(" ")
            pending_space = False
            pieces.append(tok.value)
        out.write("".join(pieces))
    except Exception:  # noqa: BLE001 - any pcpp failure only costs this expansion
        return None
    if p.failed:
        return None
    try:
        lexed = tokenize(out.getvalue(), path)
    except LintInputError:
        return None
    shift = line0 - 1
    return tuple(Token(t.kind, t.text, t.line + shift) for t in lexed.tokens)


_INCLUDE = re.compile(r'^\s*#\s*include\s*([<"])([^>"]+)[>"]', re.M)


def included_macros(path: str, tree: str | None, depth: int = 0, seen: set[str] | None = None) -> list[Macro]:
    """Macros defined by the headers ``path`` includes: "quoted" includes next to ``path``
    always, <angled> ones only inside ``tree``; followed ``_MAX_INCLUDE_DEPTH`` levels deep. Generic
    ``<linux/...>``/``<asm/...>`` headers are not followed: they define no trace helpers and
    would pull in thousands of macros."""
    seen = set() if seen is None else seen
    if depth >= _MAX_INCLUDE_DEPTH:
        return []
    try:
        with open(path, "rb") as f:
            text = f.read(_MAX_INCLUDE_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return []
    found: list[Macro] = []
    for quote, name in _INCLUDE.findall(text):
        candidates: list[str] = []
        if quote == '"':
            candidates.append(os.path.join(os.path.dirname(path), name))
        if tree is not None and not name.startswith(("linux/", "asm/", "uapi/", "asm-generic/")):
            candidates += [os.path.join(tree, "include", name), os.path.join(tree, name)]
        for cand in candidates:
            real = os.path.realpath(cand)
            if real in seen or not os.path.isfile(real):
                continue
            if os.path.basename(real) in ("tracepoint.h", "define_trace.h", "trace_events.h"):
                continue
            seen.add(real)
            found += _defined_in(real)
            found += included_macros(real, tree, depth + 1, seen)
            break
    return found


_COMMENT = re.compile(r"/\*.*?\*/|//[^\n]*", re.S)
_DEFINE_LINE = re.compile(r"^\s*#\s*define\b")


@functools.lru_cache(maxsize=512)
def _defined_in(path: str) -> tuple[Macro, ...]:
    """The #defines of one included file (cached: many trace headers include the same helpers).
    Only the #define lines are tokenized: included driver headers are long, and their code is
    not needed."""
    try:
        with open(path, "rb") as f:
            text = f.read(_MAX_INCLUDE_BYTES).decode("utf-8", errors="replace")
    except OSError:
        return ()
    text = _COMMENT.sub(lambda m: "\n" * m.group(0).count("\n") or " ", text.replace("\\\n", ""))
    lines = [ln for ln in text.split("\n") if _DEFINE_LINE.match(ln)]
    try:
        lexed = tokenize("\n".join(lines), path)
    except LintInputError:
        return ()
    out = []
    for d in lexed.directives:
        if d.name == "define":
            m = _macro(d)
            if m is not None:
                out.append(Macro(m.name, 0, m.source, m.function_like, m.body))
    return tuple(out)
