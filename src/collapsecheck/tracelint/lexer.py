"""A C tokenizer, as far as the trace linter needs one.

It turns header or source text into identifiers, numbers, string and character literals and
punctuators, each with the physical line it starts on. It removes comments, splices
backslash-newlines (keeping the original line numbers), sets preprocessor directives apart from
ordinary code, and drops the regions of ``#if 0`` (and the ``#else`` of ``#if 1``).

It must not expand macros, follow ``#include`` or evaluate any other ``#if``: the linter checks
every configuration a header can be built in, so both sides of an ``#ifdef`` stay visible.
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from collapsecheck.tracelint.errors import LintInputError

IDENT = "ident"
NUMBER = "number"
STRING = "string"
CHAR = "char"
PUNCT = "punct"

# Longest first, so that the scan can take the first match.
_PUNCTUATORS = (
    "...", "<<=", ">>=",
    "->", "++", "--", "<<", ">>", "<=", ">=", "==", "!=", "&&", "||",
    "*=", "/=", "%=", "+=", "-=", "&=", "^=", "|=", "##",
)
# Directives whose rest of line is free text: an apostrophe in "#error don't" is not a literal.
_FREE_TEXT_DIRECTIVES = frozenset({"error", "warning", "pragma", "ident", "sccs"})
_STRING_PREFIXES = frozenset({"L", "u", "U", "u8"})


@dataclass(frozen=True, slots=True)
class Token:
    kind: str
    text: str
    line: int

    def is_ident(self, text: str | None = None) -> bool:
        return self.kind == IDENT and (text is None or self.text == text)

    def is_punct(self, text: str) -> bool:
        return self.kind == PUNCT and self.text == text


@dataclass(frozen=True, slots=True)
class Directive:
    """One preprocessor line: ``name`` is e.g. ``define``; ``tokens`` follow the name."""

    name: str
    line: int
    tokens: tuple[Token, ...]
    # For "#define NAME(": the "(" touches the name, so NAME takes parameters.
    function_like: bool = False


@dataclass(frozen=True, slots=True)
class Lexed:
    path: str
    tokens: tuple[Token, ...]
    directives: tuple[Directive, ...]
    # Lines of #if/#ifdef/#elif/#else/#endif outside #if 0: code between them is configuration
    # dependent, and both sides are in ``tokens``.
    conditionals: tuple[int, ...] = ()


_SPLICE = re.compile(r"\\[ \t]*\r?\n|\r\n?")


def _splice(text: str) -> tuple[str, Callable[[int], int]]:
    """Remove backslash-newlines and normalise CRLF; returns the text and a function giving the
    physical line of a position in it. (GCC accepts blanks between the backslash and the newline.)"""
    pieces: list[str] = []
    splices: list[int] = []  # positions in the output where a spliced line ended
    last = 0
    out_len = 0
    for m in _SPLICE.finditer(text):
        chunk = text[last : m.start()]
        pieces.append(chunk)
        out_len += len(chunk)
        if m.group(0).startswith("\\"):
            splices.append(out_len)
        else:
            pieces.append("\n")  # CRLF or a lone CR ends a line
            out_len += 1
        last = m.end()
    pieces.append(text[last:])
    s = "".join(pieces)
    newlines = [m.start() for m in re.finditer("\n", s)]

    def line_of(pos: int) -> int:
        return 1 + bisect_left(newlines, pos) + bisect_right(splices, pos)

    return s, line_of


class _Conditionals:
    """The ``#if`` stack; only a literal ``#if 0`` / ``#if 1`` decides anything."""

    def __init__(self, path: str) -> None:
        self._path = path
        # Each frame: "if0" (skipping), "if1" (taken, else skipped), "skip" (after if1), "open".
        self._stack: list[tuple[str, int]] = []
        # Recomputed on each directive, read on every token.
        self.skipping = False

    def apply(self, name: str, tokens: list[Token], line: int) -> None:
        self._apply(name, tokens, line)
        self.skipping = any(state in ("if0", "skip") for state, _ in self._stack)

    def _apply(self, name: str, tokens: list[Token], line: int) -> None:
        if name in ("if", "ifdef", "ifndef"):
            state = "open"
            if name == "if" and len(tokens) == 1 and tokens[0].kind == NUMBER:
                if tokens[0].text == "0":
                    state = "if0"
                elif tokens[0].text == "1":
                    state = "if1"
            self._stack.append((state, line))
        elif name in ("elif", "else", "elifdef", "elifndef"):
            if not self._stack:
                raise LintInputError(self._path, line, f"#{name} without a matching #if")
            state, start = self._stack[-1]
            if state == "if1":
                self._stack[-1] = ("skip", start)
            elif state == "if0":
                self._stack[-1] = ("open", start)
        elif name == "endif":
            if not self._stack:
                raise LintInputError(self._path, line, "#endif without a matching #if")
            self._stack.pop()

    def finish(self) -> None:
        if self._stack:
            _, line = self._stack[-1]
            raise LintInputError(self._path, line, "this #if has no matching #endif")


_PUNCT_RE = "|".join(re.escape(p) for p in _PUNCTUATORS)
_TOKEN = re.compile(
    r"(?P<nl>\n)|(?P<ws>[ \t\f\v]+)|(?P<bc>/\*.*?\*/)|(?P<ubc>/\*)|(?P<lc>//[^\n]*)"
    r"|(?P<id>[A-Za-z_$][A-Za-z0-9_$]*)"
    r"|(?P<num>\.?[0-9](?:[eEpP][+-]|[A-Za-z0-9_.]|'(?=[A-Za-z0-9]))*)"
    r"|(?P<str>\"(?:\\.|[^\"\\\n])*\"|'(?:\\.|[^'\\\n])*')|(?P<uq>[\"'])"
    rf"|(?P<p>{_PUNCT_RE}|.)",
    re.S,
)
_COND_DIRECTIVES = frozenset({"if", "ifdef", "ifndef", "elif", "else", "endif"})


def tokenize(text: str, path: str) -> Lexed:
    """Tokenize ``text``; raise :class:`LintInputError` on an unterminated comment or literal."""
    s, line_of = _splice(text)
    n = len(s)
    tokens: list[Token] = []
    directives: list[Directive] = []
    conditionals: list[int] = []
    conds = _Conditionals(path)
    # The directive being read: (name, line, tokens), or None in ordinary code.
    directive: tuple[str, int, list[Token]] | None = None
    function_like = False
    at_line_start = True
    i = 0

    def finish_directive() -> None:
        nonlocal directive, function_like
        if directive is None:
            return
        name, line, dtoks = directive
        directive = None
        was_skipping = conds.skipping
        conds.apply(name, dtoks, line)
        if not was_skipping and name in _COND_DIRECTIVES:
            conditionals.append(line)
        if not was_skipping and name not in _COND_DIRECTIVES:
            directives.append(Directive(name, line, tuple(dtoks), function_like))
        function_like = False

    match = _TOKEN.match
    while i < n:
        m = match(s, i)
        assert m is not None  # the last alternative matches any character
        kind = m.lastgroup
        if kind == "nl":
            finish_directive()
            at_line_start = True
            i += 1
            continue
        if kind in ("ws", "bc", "lc"):
            # A comment counts as one space, so a comment spanning lines does not end a directive.
            i = m.end()
            continue
        if kind == "ubc":
            raise LintInputError(path, line_of(i), "unterminated /* comment")
        line = line_of(i)
        text_ = m.group(0)
        if text_ == "#" and at_line_start and directive is None:
            at_line_start = False
            j = i + 1
            while j < n and s[j] in " \t":
                j += 1
            k = j
            while k < n and (s[k].isalnum() or s[k] == "_"):
                k += 1
            name = s[j:k]
            directive = (name, line, [])
            i = k
            if name in _FREE_TEXT_DIRECTIVES:
                end = s.find("\n", i)
                i = n if end < 0 else end
            continue
        at_line_start = False
        skipping = conds.skipping
        if kind == "uq":
            if directive is None and skipping:
                # Like GCC, tolerate a stray quote in a skipped block ("#if 0 ... don't ... #endif").
                end = s.find("\n", i)
                i = n if end < 0 else end
                continue
            what = "string" if text_ == '"' else "character"
            raise LintInputError(path, line, f"unterminated {what} literal")
        i = m.end()
        if kind == "id":
            if text_ in _STRING_PREFIXES and i < n and s[i] in "\"'":
                lit = _TOKEN.match(s, i)
                if lit is None or lit.lastgroup != "str":
                    if directive is None and skipping:
                        continue
                    raise LintInputError(path, line, "unterminated string literal")
                i = lit.end()
                body = lit.group(0)
                tok = Token(STRING if body[0] == '"' else CHAR, text_ + body, line)
            else:
                tok = Token(IDENT, text_, line)
        elif kind == "num":
            tok = Token(NUMBER, text_, line)
        elif kind == "str":
            tok = Token(STRING if text_[0] == '"' else CHAR, text_, line)
        else:
            tok = Token(PUNCT, text_, line)
        if directive is not None:
            directive[2].append(tok)
            if directive[0] == "define" and len(directive[2]) == 1 and i < n and s[i] == "(":
                function_like = True
        elif not skipping:
            tokens.append(tok)
    finish_directive()
    conds.finish()
    return Lexed(path, tuple(tokens), tuple(directives), tuple(conditionals))


def read_source(path: str) -> Lexed:
    """Read and tokenize a file; a missing or unreadable file is a :class:`LintInputError`."""
    try:
        with open(path, "rb") as f:
            data = f.read()
    except OSError as e:
        reason = e.strerror or str(e)
        raise LintInputError(path, None, f"cannot read file: {reason}") from None
    # Kernel sources are UTF-8; a stray Latin-1 byte in a comment must not stop the check.
    return tokenize(data.decode("utf-8", errors="replace"), path)


def join_tokens(tokens: tuple[Token, ...] | list[Token]) -> str:
    """Render tokens on one line the way kernel code is usually written, for messages."""
    out: list[str] = []
    prev: Token | None = None
    for tok in tokens:
        if prev is not None and _space_between(prev, tok):
            out.append(" ")
        out.append(tok.text)
        prev = tok
    return "".join(out)


_NO_SPACE_AFTER = frozenset({"(", "[", ".", "->", "!", "~", "#", "##"})
_NO_SPACE_BEFORE = frozenset({")", "]", ",", ";", ".", "->", "++", "--", "##"})


def _space_between(a: Token, b: Token) -> bool:
    if a.kind == PUNCT and a.text in _NO_SPACE_AFTER:
        return False
    if b.kind == PUNCT and b.text in _NO_SPACE_BEFORE:
        return False
    if b.is_punct("(") or b.is_punct("["):
        # A call or subscript hugs its name; anything else (e.g. "int (*fn)") keeps the space.
        return a.kind not in (IDENT, NUMBER) and not a.is_punct(")") and not a.is_punct("]")
    if a.is_punct("*") and b.kind == IDENT:
        return False  # "const char *name"
    return True
