"""Find the enum declarations of a C source file, with their members, lines and values.

The file is a whole kernel source (mm/khugepaged.c), which pycparser cannot parse unpreprocessed;
so the tokens locate each ``enum [tag] { ... }`` and pycparser parses that body alone. Values are
evaluated where the initialisers are integer constant expressions. This module must not compare
enums with EM() lists; the T5 check does.
"""

from __future__ import annotations

from dataclasses import dataclass

from collapsecheck.tracelint.cparse import constant_value, parse_enum_body
from collapsecheck.tracelint.lexer import IDENT, Lexed


@dataclass(frozen=True, slots=True)
class Member:
    name: str
    line: int
    value: int | None  # None when an initialiser is not a constant the linter can evaluate


@dataclass(frozen=True, slots=True)
class CEnum:
    name: str  # "enum scan_result", or "enum at line N" for an anonymous one
    path: str
    line: int
    members: tuple[Member, ...]


def find_enums(lexed: Lexed) -> list[CEnum]:
    toks = lexed.tokens
    out: list[CEnum] = []
    i = 0
    while i < len(toks):
        if not toks[i].is_ident("enum"):
            i += 1
            continue
        j = i + 1
        tag = None
        if j < len(toks) and toks[j].kind == IDENT:
            tag = toks[j].text
            j += 1
        if j >= len(toks) or not toks[j].is_punct("{"):
            i = j
            continue
        depth = 0
        k = j
        while k < len(toks):
            if toks[k].is_punct("{"):
                depth += 1
            elif toks[k].is_punct("}"):
                depth -= 1
                if depth == 0:
                    break
            k += 1
        body = toks[j + 1 : k]
        name = f"enum {tag}" if tag else f"enum at line {toks[i].line}"
        typedef = i > 0 and toks[i - 1].is_ident("typedef")
        if tag is None and typedef and k + 1 < len(toks) and toks[k + 1].kind == IDENT:
            name = toks[k + 1].text  # typedef enum { ... } name_t;
        known: dict[str, int] = {}
        members: list[Member] = []
        next_value: int | None = 0
        for e in parse_enum_body(body, lexed.path):
            value = constant_value(e.value, known) if e.value is not None else next_value
            if value is not None:
                known[e.name] = value
            members.append(Member(e.name, e.line, value))
            next_value = value + 1 if value is not None else None
        out.append(CEnum(name, lexed.path, toks[i].line, tuple(members)))
        i = k + 1
    return out
