"""Find macro invocations in a token stream and split their argument lists.

An invocation is ``NAME ( arg , arg , ... )`` where commas only separate arguments at the
outermost level: parentheses, brackets and braces nest (as in the preprocessor, plus braces so
that ``{a, b}`` initialisers in ``__print_flags`` stay one argument). This module must not
interpret what the arguments mean; the event builder does that.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from collapsecheck.tracelint.errors import LintInputError
from collapsecheck.tracelint.lexer import IDENT, PUNCT, Token, join_tokens

_OPEN = {"(": ")", "[": "]", "{": "}"}
_CLOSE = {")", "]", "}"}


@dataclass(frozen=True, slots=True)
class Arg:
    tokens: tuple[Token, ...]
    line: int  # of the first token, or of the delimiter before an empty argument

    @property
    def text(self) -> str:
        return join_tokens(self.tokens)

    def single_ident(self) -> str | None:
        if len(self.tokens) == 1 and self.tokens[0].kind == IDENT:
            return self.tokens[0].text
        return None


@dataclass(frozen=True, slots=True)
class Invocation:
    name: str
    line: int
    args: tuple[Arg, ...]
    end: int  # index of the token after the closing parenthesis


def parse_call(tokens: Sequence[Token], i: int, path: str) -> Invocation:
    """Parse the invocation whose name is ``tokens[i]`` and whose ``(`` is ``tokens[i + 1]``."""
    name_tok = tokens[i]
    open_tok = tokens[i + 1]
    stack: list[Token] = [open_tok]
    args: list[Arg] = []
    current: list[Token] = []
    current_line = open_tok.line
    # A TP_xxx(...) part nested inside another bracket of the same macro shows where a ')' went
    # missing: valid event macros only have them at the top level of their arguments.
    misplaced: tuple[Token, Token] | None = None
    j = i + 2
    while j < len(tokens):
        tok = tokens[j]
        if (
            misplaced is None
            and len(stack) >= 2
            and tok.kind == IDENT
            and tok.text.startswith("TP_")
            and j + 1 < len(tokens)
            and tokens[j + 1].is_punct("(")
        ):
            misplaced = (tok, stack[-1])
        if tok.kind == PUNCT and tok.text in _OPEN:
            stack.append(tok)
        elif tok.kind == PUNCT and tok.text in _CLOSE:
            opener = stack.pop()
            if _OPEN[opener.text] != tok.text:
                raise LintInputError(
                    path,
                    tok.line,
                    f"in {name_tok.text}(...) opened at line {name_tok.line}: '{tok.text}' closes "
                    f"the '{opener.text}' of line {opener.line}; the brackets are unbalanced",
                )
            if not stack:
                args.append(Arg(tuple(current), current[0].line if current else current_line))
                # "NAME()" has no arguments rather than one empty one.
                if len(args) == 1 and not args[0].tokens:
                    args = []
                return Invocation(name_tok.text, name_tok.line, tuple(args), j + 1)
        elif tok.is_punct(",") and len(stack) == 1:
            args.append(Arg(tuple(current), current[0].line if current else current_line))
            current = []
            current_line = tok.line
            j += 1
            continue
        current.append(tok)
        j += 1
    if misplaced is not None:
        part, opener = misplaced
        raise LintInputError(
            path,
            opener.line,
            f"{name_tok.text}(...) opened at line {name_tok.line} is never closed: {part.text}(...) "
            f"on line {part.line} sits inside the '{opener.text}' opened on line {opener.line}, "
            f"which probably lacks its closing bracket",
        )
    raise LintInputError(
        path,
        name_tok.line,
        f"{name_tok.text}(...) is never closed: the '{stack[-1].text}' of line {stack[-1].line} "
        "has no matching bracket before the end of the file",
    )


def find_invocations(
    tokens: Sequence[Token], wanted: Callable[[str], bool], path: str
) -> list[Invocation]:
    """Every top-level invocation of a wanted macro name; nested ones are inside their parent."""
    found: list[Invocation] = []
    i = 0
    n = len(tokens)
    while i < n - 1:
        tok = tokens[i]
        if tok.kind == IDENT and wanted(tok.text) and tokens[i + 1].is_punct("("):
            inv = parse_call(tokens, i, path)
            found.append(inv)
            i = inv.end
            continue
        i += 1
    return found


def find_nested(tokens: Sequence[Token], wanted: Callable[[str], bool], path: str) -> list[Invocation]:
    """Like :func:`find_invocations` but also looks inside the arguments of other macros."""
    found: list[Invocation] = []
    for i in range(len(tokens) - 1):
        tok = tokens[i]
        if tok.kind == IDENT and wanted(tok.text) and tokens[i + 1].is_punct("("):
            found.append(parse_call(tokens, i, path))
    return found


def unwrap(arg: Arg, wrappers: tuple[str, ...]) -> tuple[Token, ...] | None:
    """If ``arg`` is exactly ``W(...)`` for a wrapper W, the tokens inside; else None."""
    toks = arg.tokens
    if len(toks) < 3 or toks[0].kind != IDENT or toks[0].text not in wrappers:
        return None
    if not toks[1].is_punct("(") or not toks[-1].is_punct(")"):
        return None
    depth = 0
    for k in range(1, len(toks)):
        t = toks[k]
        if t.kind == PUNCT and t.text in _OPEN:
            depth += 1
        elif t.kind == PUNCT and t.text in _CLOSE:
            depth -= 1
            if depth == 0 and k != len(toks) - 1:
                return None  # "W(a) + b": the wrapper does not span the whole argument
    return toks[2:-1]


def split_top_level(tokens: Sequence[Token], sep: str = ",") -> list[list[Token]]:
    """Split a token list at top-level separators (commas by default, or ';')."""
    parts: list[list[Token]] = [[]]
    depth = 0
    for tok in tokens:
        if tok.kind == PUNCT and tok.text in _OPEN:
            depth += 1
        elif tok.kind == PUNCT and tok.text in _CLOSE:
            depth -= 1
        elif depth == 0 and tok.is_punct(sep):
            parts.append([])
            continue
        parts[-1].append(tok)
    return parts
