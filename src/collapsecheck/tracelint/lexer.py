"""A C tokenizer, as far as the trace linter needs one.

It turns header or source text into identifiers, numbers, string and character literals and
punctuators, each with the physical line it starts on. It removes comments, splices
backslash-newlines (keeping the original line numbers), sets preprocessor directives apart from
ordinary code, and drops the regions of ``#if 0`` (and the ``#else`` of ``#if 1``).

It must not expand macros, follow ``#include`` or evaluate any other ``#if``: the linter checks
every configuration a header can be built in, so both sides of an ``#ifdef`` stay visible.
"""

from __future__ import annotations

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


def _splice(text: str) -> tuple[str, list[int]]:
    """Remove backslash-newlines and normalise CRLF, remembering each character's physical line."""
    out: list[str] = []
    lines: list[int] = []
    line = 1
    i = 0
    n = len(text)
    while i < n:
        c = text[i]
        if c == "\\":
            # GCC accepts (with a warning) blanks between the backslash and the newline.
            k = i + 1
            while k < n and text[k] in " \t":
                k += 1
            if k < n and text[k] == "\n":
                line += 1
                i = k + 1
                continue
            if k + 1 < n and text[k] == "\r" and text[k + 1] == "\n":
                line += 1
                i = k + 2
                continue
        if c == "\r":
            if i + 1 < n and text[i + 1] == "\n":
                i += 1
                continue
            c = "\n"
        out.append(c)
        lines.append(line)
        if c == "\n":
            line += 1
        i += 1
    return "".join(out), lines


class _Conditionals:
    """The ``#if`` stack; only a literal ``#if 0`` / ``#if 1`` decides anything."""

    def __init__(self, path: str) -> None:
        self._path = path
        # Each frame: "if0" (skipping), "if1" (taken, else skipped), "skip" (after if1), "open".
        self._stack: list[tuple[str, int]] = []

    @property
    def skipping(self) -> bool:
        return any(state in ("if0", "skip") for state, _ in self._stack)

    def apply(self, name: str, tokens: list[Token], line: int) -> None:
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


def tokenize(text: str, path: str) -> Lexed:
    """Tokenize ``text``; raise :class:`LintInputError` on an unterminated comment or literal."""
    s, line_of = _splice(text)
    n = len(s)
    tokens: list[Token] = []
    directives: list[Directive] = []
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
        if not was_skipping and name not in ("if", "ifdef", "ifndef", "elif", "else", "endif"):
            directives.append(Directive(name, line, tuple(dtoks), function_like))
        function_like = False

    while i < n:
        c = s[i]
        if c == "\n":
            finish_directive()
            at_line_start = True
            i += 1
            continue
        if c in " \t\f\v":
            i += 1
            continue
        if s.startswith("/*", i):
            end = s.find("*/", i + 2)
            if end < 0:
                raise LintInputError(path, line_of[i], "unterminated /* comment")
            # A comment counts as one space, so a comment spanning lines does not end a directive.
            i = end + 2
            continue
        if s.startswith("//", i):
            end = s.find("\n", i)
            i = n if end < 0 else end
            continue
        line = line_of[i]
        if c == "#" and at_line_start and directive is None:
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
        if directive is None and conds.skipping and c in "\"'":
            # Like GCC, tolerate a stray quote in a skipped block ("#if 0 ... don't ... #endif").
            try:
                _, i = _scan_literal(s, i, line, path)
            except LintInputError:
                end = s.find("\n", i)
                i = n if end < 0 else end
            continue
        tok, i = _scan_token(s, i, line, path)
        if directive is not None:
            directive[2].append(tok)
            if directive[0] == "define" and len(directive[2]) == 1 and i < n and s[i] == "(":
                function_like = True
        elif not conds.skipping:
            tokens.append(tok)
    finish_directive()
    conds.finish()
    return Lexed(path, tuple(tokens), tuple(directives))


def _scan_token(s: str, i: int, line: int, path: str) -> tuple[Token, int]:
    n = len(s)
    c = s[i]
    if c.isalpha() or c == "_" or c == "$":
        j = i + 1
        while j < n and (s[j].isalnum() or s[j] in "_$"):
            j += 1
        word = s[i:j]
        if word in _STRING_PREFIXES and j < n and s[j] in "\"'":
            tok, end = _scan_literal(s, j, line, path)
            return Token(tok.kind, word + tok.text, line), end
        return Token(IDENT, word, line), j
    if c.isdigit() or (c == "." and i + 1 < n and s[i + 1].isdigit()):
        j = i + 1
        while j < n:
            d = s[j]
            if d.isalnum() or d in "_.":
                j += 1
            elif d in "+-" and s[j - 1] in "eEpP":
                j += 1
            elif d == "'" and j + 1 < n and s[j + 1].isalnum():
                j += 1  # C23 digit separator
            else:
                break
        return Token(NUMBER, s[i:j], line), j
    if c in "\"'":
        return _scan_literal(s, i, line, path)
    for p in _PUNCTUATORS:
        if s.startswith(p, i):
            return Token(PUNCT, p, line), i + len(p)
    return Token(PUNCT, c, line), i + 1


def _scan_literal(s: str, i: int, line: int, path: str) -> tuple[Token, int]:
    quote = s[i]
    j = i + 1
    n = len(s)
    while j < n:
        d = s[j]
        if d == "\\":
            j += 2
            continue
        if d == quote:
            kind = STRING if quote == '"' else CHAR
            return Token(kind, s[i : j + 1], line), j + 1
        if d == "\n":
            break
        j += 1
    what = "string" if quote == '"' else "character"
    raise LintInputError(path, line, f"unterminated {what} literal")


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
