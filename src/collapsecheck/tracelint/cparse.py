"""The pycparser front end: TP_PROTO parameter lists, field types, expressions and enums.

Kernel code is not self-contained C: it names typedefs declared elsewhere (``struct mm_struct`` is
fine, ``pgoff_t`` is not) and carries sparse annotations (``__user``, ``__rcu``). So each fragment is
wrapped in a tiny translation unit with ``typedef int NAME;`` stubs for the names that must be
types, and a ``#line`` directive so pycparser reports the header's own line numbers.

It must not locate macros (the lexer and :mod:`invocations` do) nor judge types (the checks do).
"""

from __future__ import annotations

import functools

from collections.abc import Sequence
from dataclasses import dataclass

from pycparser import c_ast, c_parser

from collapsecheck.tracelint.ctype import KNOWN_TYPEDEFS, CType, from_ast, from_identifier_type
from collapsecheck.tracelint.errors import LintInputError
from collapsecheck.tracelint.invocations import split_top_level
from collapsecheck.tracelint.lexer import IDENT, PUNCT, Token, join_tokens

C_KEYWORDS = frozenset({
    "auto", "break", "case", "char", "const", "continue", "default", "do", "double", "else",
    "enum", "extern", "float", "for", "goto", "if", "inline", "int", "long", "register",
    "restrict", "return", "short", "signed", "sizeof", "static", "struct", "switch", "typedef",
    "union", "unsigned", "void", "volatile", "while", "_Bool", "_Complex", "_Atomic",
    "_Alignas", "_Alignof", "_Noreturn", "_Static_assert", "_Thread_local",
})
_TAG_KEYWORDS = frozenset({"struct", "union", "enum"})
_TYPE_KEYWORDS = frozenset({
    "char", "short", "int", "long", "signed", "unsigned", "void", "float", "double", "_Bool",
})
# Sparse and compiler annotations that expand to nothing (or to attributes) in a normal build.
_ANNOTATIONS = frozenset({
    "__user", "__kernel", "__iomem", "__percpu", "__rcu", "__force", "__nocast", "__safe",
    "__private", "__bitwise", "__must_check", "__maybe_unused", "__always_unused", "__unused",
    "__cold", "__hot", "__packed", "__randomize_layout", "__restrict", "__restrict__",
    "__const", "__volatile__", "__signed__", "__inline", "__inline__",
})
_ANNOTATIONS_WITH_ARGS = frozenset({
    "__attribute__", "__attribute", "__aligned", "__counted_by", "__printf", "__section",
})
# An operand can start with these after a cast's closing parenthesis.
_OPERAND_START = frozenset({"(", "&", "*", "!", "~", "-", "+", "++", "--"})


@dataclass(frozen=True, slots=True)
class Declared:
    name: str
    ctype: CType
    line: int
    text: str  # the declaration as written, e.g. "bool is_shmem"


def strip_annotations(tokens: Sequence[Token]) -> list[Token]:
    out: list[Token] = []
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.kind == IDENT and tok.text in _ANNOTATIONS:
            i += 1
            continue
        if (
            tok.kind == IDENT
            and tok.text in _ANNOTATIONS_WITH_ARGS
            and i + 1 < len(tokens)
            and tokens[i + 1].is_punct("(")
        ):
            depth = 0
            j = i + 1
            while j < len(tokens):
                if tokens[j].is_punct("("):
                    depth += 1
                elif tokens[j].is_punct(")"):
                    depth -= 1
                    if depth == 0:
                        break
                j += 1
            i = j + 1
            continue
        out.append(tok)
        i += 1
    return out


def _c_string(path: str) -> str:
    return '"' + path.replace("\\", "\\\\").replace('"', '\\"') + '"'


def render(tokens: Sequence[Token], path: str, prefix: str, suffix: str) -> str:
    """``prefix tokens suffix`` laid out so that each token sits on its own physical line."""
    if not tokens:
        return prefix + suffix
    line = tokens[0].line
    parts = [f"#line {line} {_c_string(path)}\n", prefix]
    for tok in tokens:
        if tok.line > line:
            parts.append("\n" * (tok.line - line))
            line = tok.line
        else:
            parts.append(" ")
        parts.append(tok.text)
    parts.append(suffix)
    return "".join(parts)


def _stubs(names: set[str]) -> str:
    return "".join(f"typedef int {name};\n" for name in sorted(names))


def _group_end(tokens: Sequence[Token], k: int) -> int:
    """Index of the bracket closing the one opened at ``tokens[k]``."""
    opener = tokens[k].text
    closer = {"(": ")", "[": "]", "{": "}"}[opener]
    depth = 0
    for j in range(k, len(tokens)):
        if tokens[j].is_punct(opener):
            depth += 1
        elif tokens[j].is_punct(closer):
            depth -= 1
            if depth == 0:
                return j
    return len(tokens) - 1


def _candidates(tokens: Sequence[Token]) -> list[int]:
    """Indexes of identifiers at this level that are neither keywords nor struct/union/enum tags."""
    out: list[int] = []
    k = 0
    while k < len(tokens):
        tok = tokens[k]
        if tok.is_punct("[") or tok.is_punct("("):
            k = _group_end(tokens, k) + 1
            continue
        if tok.kind == IDENT and tok.text not in C_KEYWORDS:
            if not (k > 0 and tokens[k - 1].kind == IDENT and tokens[k - 1].text in _TAG_KEYWORDS):
                out.append(k)
        k += 1
    return out


def type_names(decl: Sequence[Token], named: bool) -> set[str]:
    """The identifiers in one declaration that must be typedef names for it to parse.

    In ``specifiers declarator`` every identifier other than keywords, tags and the declared name
    names a type. The name is the one in ``(*name)`` for a function pointer, else the last
    candidate; array sizes are expressions and are left alone.
    """
    names: set[str] = set()
    decl = list(decl)
    cands = _candidates(decl)
    name_index: int | None = None
    groups: list[tuple[int, int]] = []
    k = 0
    while k < len(decl):
        if decl[k].is_punct("("):
            end = _group_end(decl, k)
            groups.append((k, end))
            k = end + 1
        else:
            k += 1
    for start, end in groups:
        inner = decl[start + 1 : end]
        stars = 0
        while stars < len(inner) and inner[stars].is_punct("*"):
            stars += 1
        if stars and len(inner) == stars + 1 and inner[stars].kind == IDENT:
            name_index = -1  # the declarator name is inside "(*name)"
        else:
            # A parameter list of a function (pointer) type: its items may be unnamed.
            for item in split_top_level(inner):
                if not item or (len(item) == 1 and item[0].is_ident("void")):
                    continue
                item_cands = _candidates(item)
                has_type = any(
                    t.kind == IDENT and (t.text in _TYPE_KEYWORDS or t.text in _TAG_KEYWORDS) for t in item
                )
                item_named = len(item_cands) >= 2 or (has_type and len(item_cands) == 1)
                names |= type_names(item, item_named)
    if named and name_index is None and cands:
        name_index = cands[-1]
    for k in cands:
        if k != name_index:
            names.add(decl[k].text)
    return names


_parser = c_parser.CParser()


@functools.lru_cache(maxsize=8192)
def _parse_cached(source: str) -> c_ast.FileAST | c_parser.ParseError:
    # Event classes and their DEFINE_EVENTs repeat the same prototypes and expressions many times
    # over: parse each text once. The ASTs are only read, never changed, so sharing them is safe.
    try:
        return _parser.parse(source, "<tracelint>")
    except c_parser.ParseError as e:
        return e


def _parse(source: str) -> c_ast.FileAST:
    result = _parse_cached(source)
    if isinstance(result, c_parser.ParseError):
        raise result
    return result


def parse_declarations(
    decls: Sequence[Sequence[Token]], path: str, what: str, at_line: int
) -> list[Declared]:
    """Parse named declarations (TP_PROTO parameters, or one field) as a parameter list.

    Raises :class:`LintInputError` naming the first declaration pycparser rejects.
    """
    cleaned = [strip_annotations(d) for d in decls]
    for d in cleaned:
        if not d:
            raise LintInputError(path, at_line, f"{what} has an empty parameter (two commas in a row?)")
    simple = [_simple_declaration(d) for d in cleaned]
    if all(s is not None for s in simple):
        return simple  # type: ignore[return-value]
    stubs: set[str] = set()
    for d in cleaned:
        stubs |= type_names(d, named=True)
    flat: list[Token] = []
    for idx, d in enumerate(cleaned):
        if idx:
            flat.append(Token(PUNCT, ",", d[0].line))
        flat.extend(d)
    source = _stubs(stubs) + render(flat, path, "void __tracelint_proto(", ");\n")
    try:
        ast = _parse(source)
    except c_parser.ParseError:
        _raise_first_bad(cleaned, path, what)
        raise  # pragma: no cover - _raise_first_bad always raises
    func = ast.ext[-1].type
    params = func.args.params if func.args is not None else []
    out: list[Declared] = []
    for node, d in zip(params, cleaned, strict=True):
        if not isinstance(node, c_ast.Decl) or not node.name:
            raise LintInputError(
                path, d[0].line, f"{what}: '{join_tokens(d)}' declares no parameter name"
            )
        out.append(Declared(node.name, from_ast(node.type), d[0].line, join_tokens(d)))
    return out


_QUALIFIERS = frozenset({"const", "volatile"})


def _simple_declaration(d: Sequence[Token]) -> Declared | None:
    """``[const] TYPE WORDS [*...] NAME`` without brackets, built directly (the same CType as
    pycparser's reading gives); None for anything else, which goes to pycparser. Most fields and
    parameters look like this, and pycparser is the linter's slowest step."""
    if len(d) < 2 or d[-1].kind != IDENT or d[-1].text in C_KEYWORDS:
        return None
    stars = 0
    k = len(d) - 1
    while k > 0 and d[k - 1].is_punct("*"):
        stars += 1
        k -= 1
    words = d[:k]
    if not words or any(t.kind != IDENT for t in words):
        return None
    quals = [t.text for t in words if t.text in _QUALIFIERS]
    names = [t.text for t in words if t.text not in _QUALIFIERS]
    const = "const" in quals
    prefix = "const " if const else ""
    if names and names[0] in _TAG_KEYWORDS:
        if len(names) != 2 or names[1] in C_KEYWORDS:
            return None
        base = f"{names[0]} {names[1]}"
        if names[0] == "enum":
            ctype = CType(prefix + base, "enum", base, 32, None, const=const)
        else:
            ctype = CType(prefix + base, names[0], base, const=const)
    elif names and (all(n in _TYPE_KEYWORDS for n in names) or (len(names) == 1 and names[0] not in C_KEYWORDS)):
        ctype = from_identifier_type(names, quals)
    else:
        return None
    for _ in range(stars):
        ctype = CType(f"{ctype.spelling} *", "pointer", bits=64, target=ctype)
    return Declared(d[-1].text, ctype, d[0].line, join_tokens(d))


def _raise_first_bad(decls: Sequence[Sequence[Token]], path: str, what: str) -> None:
    for d in decls:
        source = _stubs(type_names(d, named=True)) + render(d, path, "void __tracelint_proto(", ");\n")
        try:
            _parse(source)
        except c_parser.ParseError as e:
            reason = str(e).split(": ", 1)[-1]
            raise LintInputError(
                path,
                d[0].line,
                f"cannot parse {what}: '{join_tokens(d)}' is not a C parameter declaration "
                f"(pycparser: {reason})",
            ) from None
    first = decls[0][0].line if decls and decls[0] else None
    raise LintInputError(path, first, f"cannot parse {what} as a C parameter list")


def _cast_type_names(tokens: Sequence[Token]) -> set[str]:
    """Typedef names used in casts or sizeof, e.g. the u64 in ``(u64)x``: only names that look like
    types (known kernel typedefs, or ``*_t``), so that a parenthesised variable stays a variable."""
    names: set[str] = set()
    for k, tok in enumerate(tokens):
        if not tok.is_punct("("):
            continue
        j = k + 1
        idents: list[Token] = []
        while j < len(tokens) and (tokens[j].kind == IDENT or tokens[j].is_punct("*")):
            if tokens[j].kind == IDENT:
                idents.append(tokens[j])
            j += 1
        if not idents or j >= len(tokens) or not tokens[j].is_punct(")"):
            continue
        for t in idents:
            if t.text in C_KEYWORDS:
                continue
            if t.text in KNOWN_TYPEDEFS or t.text.endswith("_t"):
                names.add(t.text)
    return names


def parse_expression(tokens: Sequence[Token], path: str) -> c_ast.Node | None:
    """The AST of one C expression, or None when pycparser cannot read it (macros with braces,
    statement expressions...). Callers treat None as 'unknown' and stay silent."""
    toks = strip_annotations(tokens)
    if not toks:
        return None
    # The two commonest shapes, built directly: a name, and a record field.
    if len(toks) == 1 and toks[0].kind == IDENT and toks[0].text not in C_KEYWORDS:
        return c_ast.ID(toks[0].text)
    if (len(toks) == 3 and toks[0].kind == IDENT and toks[1].is_punct("->") and toks[2].kind == IDENT
            and toks[0].text not in C_KEYWORDS and toks[2].text not in C_KEYWORDS):
        return c_ast.StructRef(c_ast.ID(toks[0].text), "->", c_ast.ID(toks[2].text))
    source = _stubs(_cast_type_names(toks)) + render(
        toks, path, "void __tracelint_expr(void) { __tracelint_x = (", ");\n}\n"
    )
    try:
        ast = _parse(source)
    except c_parser.ParseError:
        return None
    body = ast.ext[-1].body
    if body is None or not body.block_items:
        return None
    stmt = body.block_items[0]
    if not isinstance(stmt, c_ast.Assignment):
        return None
    return stmt.rvalue


@dataclass(frozen=True, slots=True)
class Enumerator:
    name: str
    line: int
    value: c_ast.Node | None  # the initialiser, if any
    text: str  # the initialiser as written, "" if none


def parse_enum_body(body: Sequence[Token], path: str) -> list[Enumerator]:
    """The members of ``enum { body }``; pycparser first, the token list if it cannot."""
    toks = strip_annotations(body)
    if not toks:
        return []
    source = _stubs(_cast_type_names(toks)) + render(toks, path, "enum __tracelint_enum {", "};\n")
    try:
        ast = _parse(source)
        enum = ast.ext[-1].type
        values = enum.values.enumerators if enum.values is not None else []
        items = [item for item in split_top_level(toks) if item]
        out: list[Enumerator] = []
        for node, item in zip(values, items, strict=True):
            eq = next((k for k, t in enumerate(item) if t.is_punct("=")), None)
            text = join_tokens(item[eq + 1 :]) if eq is not None else ""
            out.append(Enumerator(node.name, item[0].line, node.value, text))
        return out
    except (c_parser.ParseError, ValueError):
        pass
    # An initialiser pycparser cannot read: the names are still the first identifier of each item.
    out = []
    for item in split_top_level(toks):
        if item and item[0].kind == IDENT:
            eq = next((k for k, t in enumerate(item) if t.is_punct("=")), None)
            text = join_tokens(item[eq + 1 :]) if eq is not None else ""
            out.append(Enumerator(item[0].text, item[0].line, None, text))
    return out


def constant_value(node: c_ast.Node | None, known: dict[str, int]) -> int | None:
    """Evaluate an integer constant expression built from literals and earlier enumerators."""
    if node is None:
        return None
    if isinstance(node, c_ast.Constant) and node.type in (
        "int", "unsigned int", "long int", "unsigned long int", "long long int",
        "unsigned long long int",
    ):
        text = node.value.rstrip("uUlL")
        try:
            if len(text) > 1 and text[0] == "0" and text[1].isdigit():
                return int(text, 8)  # C octal; Python's int(x, 0) rejects "017"
            return int(text, 0)
        except ValueError:
            return None
    if isinstance(node, c_ast.Constant) and node.type == "char":
        body = node.value[1:-1]
        return ord(body) if len(body) == 1 else None
    if isinstance(node, c_ast.ID):
        return known.get(node.name)
    if isinstance(node, c_ast.UnaryOp):
        v = constant_value(node.expr, known)
        if v is None:
            return None
        return {"-": -v, "+": v, "~": ~v, "!": int(not v)}.get(node.op)
    if isinstance(node, c_ast.BinaryOp):
        a = constant_value(node.left, known)
        b = constant_value(node.right, known)
        if a is None or b is None:
            return None
        ops = {
            "+": lambda: a + b, "-": lambda: a - b, "*": lambda: a * b,
            "<<": lambda: a << b if 0 <= b < 128 else None, ">>": lambda: a >> b if b >= 0 else None,
            "|": lambda: a | b, "&": lambda: a & b, "^": lambda: a ^ b,
            "/": lambda: int(a / b) if b else None, "%": lambda: a % b if b else None,
        }
        fn = ops.get(node.op)
        return fn() if fn is not None else None
    return None
