"""Read a trace header into events (prototype, arguments, fields, writes, printk) and EM() lists.

It knows the argument shapes of the kernel's event macros (``TRACE_EVENT`` and its variants,
``DECLARE_EVENT_CLASS`` with the ``DEFINE_EVENT*`` family, ``DECLARE_TRACE*``) and of the field
macros inside ``TP_STRUCT__entry``. It must not report findings: a macro it cannot read is a
:class:`LintInputError`, and anything it can read is handed to the checks as data.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from collapsecheck.tracelint.cparse import Declared, parse_declarations
from collapsecheck.tracelint.ctype import CType
from collapsecheck.tracelint.errors import LintInputError
from collapsecheck.tracelint.invocations import (
    Arg,
    Invocation,
    find_invocations,
    find_nested,
    parse_call,
    split_top_level,
    unwrap,
)
from collapsecheck.tracelint.lexer import IDENT, PUNCT, STRING, Lexed, Token, join_tokens, read_source

# Argument roles of each event macro, from include/linux/tracepoint.h and trace_events.h.
EVENT_SHAPES: dict[str, tuple[str, ...]] = {
    "TRACE_EVENT": ("name", "proto", "args", "struct", "assign", "print"),
    "TRACE_EVENT_NOP": ("name", "proto", "args", "struct", "assign", "print"),
    "TRACE_EVENT_CONDITION": ("name", "proto", "args", "cond", "struct", "assign", "print"),
    "TRACE_EVENT_FN": ("name", "proto", "args", "struct", "assign", "print", "reg", "unreg"),
    "TRACE_EVENT_FN_COND": (
        "name", "proto", "args", "cond", "struct", "assign", "print", "reg", "unreg",
    ),
    "TRACE_EVENT_SYSCALL": ("name", "proto", "args", "struct", "assign", "print", "reg", "unreg"),
    "DECLARE_EVENT_CLASS": ("name", "proto", "args", "struct", "assign", "print"),
    "DECLARE_EVENT_CLASS_NOP": ("name", "proto", "args", "struct", "assign", "print"),
    "DECLARE_EVENT_SYSCALL_CLASS": ("name", "proto", "args", "struct", "assign", "print"),
    "DEFINE_EVENT": ("template", "name", "proto", "args"),
    "DEFINE_EVENT_NOP": ("template", "name", "proto", "args"),
    "DEFINE_EVENT_FN": ("template", "name", "proto", "args", "reg", "unreg"),
    "DEFINE_EVENT_PRINT": ("template", "name", "proto", "args", "print"),
    "DEFINE_EVENT_CONDITION": ("template", "name", "proto", "args", "cond"),
    "DECLARE_TRACE": ("name", "proto", "args"),
    "DECLARE_TRACE_CONDITION": ("name", "proto", "args", "cond"),
    "DECLARE_TRACE_WRITABLE": ("name", "proto", "args", "size"),
    "DECLARE_TRACE_EVENT": ("name", "proto", "args"),
    "DECLARE_TRACE_EVENT_CONDITION": ("name", "proto", "args", "cond"),
}
CLASS_MACROS = frozenset({"DECLARE_EVENT_CLASS", "DECLARE_EVENT_CLASS_NOP", "DECLARE_EVENT_SYSCALL_CLASS"})

_WRAPPERS: dict[str, tuple[str, ...]] = {
    "proto": ("TP_PROTO", "PARAMS"),
    "args": ("TP_ARGS", "PARAMS"),
    "struct": ("TP_STRUCT__entry",),
    "assign": ("TP_fast_assign",),
    "print": ("TP_printk",),
    "cond": ("TP_CONDITION",),
}

# Field macros of TP_STRUCT__entry: (kind, argument roles).
FIELD_MACROS: dict[str, tuple[str, tuple[str, ...]]] = {
    "__field": ("scalar", ("type", "name")),
    "__field_ext": ("scalar", ("type", "name", "filter")),
    "__field_packed": ("scalar", ("type", "name")),
    "__field_struct": ("struct", ("type", "name")),
    "__field_struct_ext": ("struct", ("type", "name", "filter")),
    "__array": ("array", ("type", "name", "len")),
    "__dynamic_array": ("dynamic", ("type", "name", "len")),
    "__rel_dynamic_array": ("dynamic", ("type", "name", "len")),
    "__string": ("string", ("name", "src")),
    "__string_len": ("string", ("name", "src", "len")),
    "__rel_string": ("string", ("name", "src")),
    "__rel_string_len": ("string", ("name", "src", "len")),
    "__vstring": ("vstring", ("name", "fmt", "va")),
    "__bitmask": ("bitmask", ("name", "nr_bits")),
    "__rel_bitmask": ("bitmask", ("name", "nr_bits")),
    "__cpumask": ("cpumask", ("name",)),
    "__rel_cpumask": ("cpumask", ("name",)),
    "__sockaddr": ("sockaddr", ("name", "len")),
}
# Fields stored as a 32-bit offset/length word ("__data_loc"), read back through __get_*().
DATA_LOC_KINDS = frozenset({"dynamic", "string", "vstring", "bitmask", "cpumask", "sockaddr"})

# TP_fast_assign helpers that fill a data_loc field, and the field kinds each one accepts. Older
# kernels used __string helpers on char __dynamic_array fields too, so "dynamic" is always fine.
_STRINGISH = frozenset({"string", "dynamic"})
ASSIGN_HELPERS: dict[str, frozenset[str]] = {
    "__assign_str": _STRINGISH,
    "__assign_str_len": _STRINGISH,
    "__assign_rel_str": _STRINGISH,
    "__assign_rel_str_len": _STRINGISH,
    "__assign_vstr": frozenset({"vstring", "dynamic"}),
    "__assign_bitmask": frozenset({"bitmask", "dynamic"}),
    "__assign_rel_bitmask": frozenset({"bitmask", "dynamic"}),
    "__assign_cpumask": frozenset({"cpumask", "dynamic"}),
    "__assign_rel_cpumask": frozenset({"cpumask", "dynamic"}),
    "__assign_sockaddr": frozenset({"sockaddr", "dynamic"}),
}
# Accessors of data_loc fields, usable in TP_fast_assign and TP_printk. All of them read through
# the offset/length word, so any data_loc field works; only a plain field is a mistake.
GETTERS: dict[str, frozenset[str]] = {
    name: DATA_LOC_KINDS
    for name in (
        "__get_str", "__get_rel_str", "__get_dynamic_array", "__get_rel_dynamic_array",
        "__get_dynamic_array_len", "__get_rel_dynamic_array_len", "__get_bitmask",
        "__get_rel_bitmask", "__get_cpumask", "__get_rel_cpumask", "__get_sockaddr",
        "__get_rel_sockaddr",
    )
}
# Functions whose first argument is written: "memcpy(__entry->comm, ...)" fills the field.
COPY_FUNCS = frozenset({
    "memcpy", "memmove", "memset", "strcpy", "strncpy", "strscpy", "strscpy_pad", "strlcpy",
    "snprintf", "scnprintf", "sprintf", "vsnprintf", "vscnprintf",
})
_COMPOUND_ASSIGN = frozenset({"+=", "-=", "*=", "/=", "%=", "<<=", ">>=", "&=", "^=", "|=", "++", "--"})


@dataclass(frozen=True, slots=True)
class ArgRef:
    """One TP_ARGS entry: ``name`` when it is a plain identifier, else None."""

    name: str | None
    text: str
    line: int


@dataclass(frozen=True, slots=True)
class Field:
    name: str
    macro: str
    kind: str  # scalar, struct, array, or a DATA_LOC_KINDS member
    ctype: CType | None  # the type (scalar/struct) or element type (array/dynamic)
    line: int
    src: tuple[Token, ...] = ()  # the source expression of __string()

    @property
    def data_loc(self) -> bool:
        return self.kind in DATA_LOC_KINDS


@dataclass(frozen=True, slots=True)
class Write:
    """A write into the trace record found in TP_fast_assign."""

    field: str
    line: int
    how: str  # "=", "update", "element", "member", "copy", "pointer", "helper"
    rhs: tuple[Token, ...] = ()  # the value of "=", or the source passed to a helper
    helper: str | None = None


@dataclass(frozen=True, slots=True)
class Printk:
    # The format as (literal body, line) pieces; None when it is built from macros.
    segments: tuple[tuple[str, int], ...] | None
    args: tuple[Arg, ...]


@dataclass(frozen=True, slots=True)
class Event:
    path: str
    macro: str
    name: str
    line: int
    template: str | None
    proto: tuple[Declared, ...]
    proto_line: int
    args: tuple[ArgRef, ...]
    args_line: int
    fields: tuple[Field, ...] | None  # None when the macro has no TP_STRUCT__entry
    fields_complete: bool  # False if TP_STRUCT__entry holds something the linter cannot read
    writes: tuple[Write, ...]
    writes_opaque: bool  # __entry is handed whole to a function: writes cannot be tracked
    printk: Printk | None

    @property
    def is_class(self) -> bool:
        return self.macro in CLASS_MACROS

    def field(self, name: str) -> Field | None:
        for f in self.fields or ():
            if f.name == name:
                return f
        return None

    def param(self, name: str) -> Declared | None:
        for p in self.proto:
            if p.name == name:
                return p
        return None


@dataclass(frozen=True, slots=True)
class EmEntry:
    macro: str  # "EM" or "EMe"
    code: str
    string: str
    line: int


@dataclass(frozen=True, slots=True)
class EmList:
    name: str
    line: int
    entries: tuple[EmEntry, ...]


@dataclass(frozen=True, slots=True)
class Header:
    path: str
    events: tuple[Event, ...]
    em_lists: tuple[EmList, ...]


def read_header(path: str) -> Header:
    lexed = read_source(path)
    events = tuple(
        _build_event(inv, path) for inv in find_invocations(lexed.tokens, EVENT_SHAPES.__contains__, path)
    )
    return Header(path, events, tuple(_em_lists(lexed, path)))


def _part(inv: Invocation, role: str, path: str) -> tuple[Token, ...] | None:
    """The tokens inside the wrapper of one role, or None if the macro has no such role."""
    shape = EVENT_SHAPES[inv.name]
    if role not in shape:
        return None
    arg = inv.args[shape.index(role)]
    inner = unwrap(arg, _WRAPPERS[role])
    if inner is None:
        wrapper = _WRAPPERS[role][0]
        raise LintInputError(
            path,
            arg.line,
            f"argument {shape.index(role) + 1} of {inv.name}(...) should be {wrapper}(...) but is "
            f"'{_short(arg.text)}'; the linter reads only literal {wrapper}() arguments, not ones "
            "built by other macros",
        )
    return inner


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _ident_arg(inv: Invocation, index: int, what: str, path: str) -> str:
    arg = inv.args[index]
    name = arg.single_ident()
    if name is None:
        raise LintInputError(
            path,
            arg.line,
            f"the {what} of {inv.name}(...) must be an identifier, not '{_short(arg.text)}'",
        )
    return name


def _build_event(inv: Invocation, path: str) -> Event:
    shape = EVENT_SHAPES[inv.name]
    if len(inv.args) != len(shape):
        raise LintInputError(
            path,
            inv.line,
            f"{inv.name}(...) takes {len(shape)} arguments ({', '.join(shape)}) but has "
            f"{len(inv.args)}; check for a missing comma or parenthesis",
        )
    name = _ident_arg(inv, shape.index("name"), "event name", path)
    template = _ident_arg(inv, 0, "event class", path) if "template" in shape else None
    label = f"{inv.name}({name})"

    proto_arg = inv.args[shape.index("proto")]
    proto_toks = _part(inv, "proto", path) or ()
    proto = tuple(_parse_proto(proto_toks, path, label, proto_arg.line))
    args_arg = inv.args[shape.index("args")]
    args = tuple(_parse_args(_part(inv, "args", path) or (), args_arg.line))

    fields: tuple[Field, ...] | None = None
    complete = True
    struct = _part(inv, "struct", path)
    if struct is not None:
        fields, complete = _parse_fields(struct, path, label)

    writes: tuple[Write, ...] = ()
    opaque = False
    assign = _part(inv, "assign", path)
    if assign is not None:
        writes, opaque = _scan_writes(assign, path)

    printk = None
    print_toks = _part(inv, "print", path)
    if print_toks is not None:
        printk = _parse_printk(print_toks, inv.args[shape.index("print")].line, path, label)

    return Event(
        path=path,
        macro=inv.name,
        name=name,
        line=inv.line,
        template=template,
        proto=proto,
        proto_line=proto_arg.line,
        args=args,
        args_line=args_arg.line,
        fields=fields,
        fields_complete=complete,
        writes=writes,
        writes_opaque=opaque,
        printk=printk,
    )


def _is_void(tokens: Sequence[Token]) -> bool:
    return not tokens or (len(tokens) == 1 and tokens[0].is_ident("void"))


def _parse_proto(tokens: Sequence[Token], path: str, label: str, line: int) -> list[Declared]:
    if _is_void(tokens):
        return []
    decls = split_top_level(tokens)
    return parse_declarations(decls, path, f"TP_PROTO of {label}", line)


# Markers allowed around a TP_ARGS name: they expand to the name (include/trace/perf.h).
_ARG_MARKERS = frozenset({"__perf_task", "__perf_count"})


def _parse_args(tokens: Sequence[Token], line: int) -> list[ArgRef]:
    if _is_void(tokens):
        return []
    out: list[ArgRef] = []
    for item in split_top_level(tokens):
        if (
            len(item) == 4
            and item[0].kind == IDENT
            and item[0].text in _ARG_MARKERS
            and item[1].is_punct("(")
            and item[2].kind == IDENT
            and item[3].is_punct(")")
        ):
            out.append(ArgRef(item[2].text, join_tokens(item), item[2].line))
        elif len(item) == 1 and item[0].kind == IDENT:
            out.append(ArgRef(item[0].text, item[0].text, item[0].line))
        else:
            out.append(ArgRef(None, join_tokens(item), item[0].line if item else line))
    return out


def _parse_fields(tokens: Sequence[Token], path: str, label: str) -> tuple[tuple[Field, ...], bool]:
    fields: list[Field] = []
    complete = True
    i = 0
    while i < len(tokens):
        tok = tokens[i]
        if tok.kind == PUNCT and tok.text in (";", ","):
            i += 1  # a stray separator is harmless
            continue
        if tok.kind == IDENT and i + 1 < len(tokens) and tokens[i + 1].is_punct("("):
            inv = parse_call(tokens, i, path)
            i = inv.end
            if inv.name not in FIELD_MACROS:
                complete = False  # an arch- or subsystem-specific field macro: unknown layout
                continue
            fields.append(_field(inv, path, label))
            continue
        complete = False
        i += 1
    return tuple(fields), complete


def _field(inv: Invocation, path: str, label: str) -> Field:
    kind, roles = FIELD_MACROS[inv.name]
    if len(inv.args) != len(roles):
        raise LintInputError(
            path,
            inv.line,
            f"{inv.name}({', '.join(roles)}) in TP_STRUCT__entry of {label} has "
            f"{len(inv.args)} argument{'' if len(inv.args) == 1 else 's'} instead of {len(roles)}",
        )
    name_arg = inv.args[roles.index("name")]
    name = name_arg.single_ident()
    if name is None:
        raise LintInputError(
            path,
            name_arg.line,
            f"{inv.name}(...) in {label}: field name '{name_arg.text}' is not an identifier",
        )
    ctype: CType | None = None
    if "type" in roles:
        type_arg = inv.args[roles.index("type")]
        decl = [*type_arg.tokens, Token(IDENT, name, name_arg.line)]
        try:
            ctype = parse_declarations([decl], path, f"field type in {label}", inv.line)[0].ctype
        except LintInputError:
            # typeof() and friends: keep the field, with a type nobody will compare.
            ctype = CType(type_arg.text, "unknown", type_arg.text)
    src = inv.args[roles.index("src")].tokens if "src" in roles else ()
    return Field(name, inv.name, kind, ctype, inv.line, src)


def _rhs(tokens: Sequence[Token], start: int) -> tuple[Token, ...]:
    """The expression from ``start`` to the end of its statement (';' or ',' at this level)."""
    depth = 0
    out: list[Token] = []
    for tok in tokens[start:]:
        if tok.kind == PUNCT and tok.text in ("(", "[", "{"):
            depth += 1
        elif tok.kind == PUNCT and tok.text in (")", "]", "}"):
            if depth == 0:
                break
            depth -= 1
        elif depth == 0 and tok.kind == PUNCT and tok.text in (";", ","):
            break
        out.append(tok)
    return tuple(out)


def _skip_group(tokens: Sequence[Token], k: int) -> int:
    """Index after the bracket group opened at ``tokens[k]``."""
    depth = 0
    for j in range(k, len(tokens)):
        if tokens[j].kind == PUNCT and tokens[j].text in ("(", "[", "{"):
            depth += 1
        elif tokens[j].kind == PUNCT and tokens[j].text in (")", "]", "}"):
            depth -= 1
            if depth == 0:
                return j + 1
    return len(tokens)


def _scan_writes(tokens: Sequence[Token], path: str) -> tuple[tuple[Write, ...], bool]:
    writes: list[Write] = []
    opaque = False
    n = len(tokens)
    for k, tok in enumerate(tokens):
        if not tok.is_ident("__entry"):
            continue
        if not (k + 2 < n and tokens[k + 1].is_punct("->") and tokens[k + 2].kind == IDENT):
            opaque = True  # the whole record goes somewhere: its writes are out of sight
            continue
        name = tokens[k + 2].text
        j = k + 3
        nxt = tokens[j] if j < n else None
        prev = tokens[k - 1] if k > 0 else None
        if prev is not None and prev.is_punct("&"):
            writes.append(Write(name, tok.line, "pointer"))
        elif prev is not None and prev.kind == PUNCT and prev.text in ("++", "--"):
            writes.append(Write(name, tok.line, "update"))
        elif nxt is not None and nxt.is_punct("="):
            writes.append(Write(name, tok.line, "=", _rhs(tokens, j + 1)))
        elif nxt is not None and nxt.kind == PUNCT and nxt.text in _COMPOUND_ASSIGN:
            writes.append(Write(name, tok.line, "update"))
        elif nxt is not None and (nxt.is_punct("[") or nxt.is_punct(".")):
            # __entry->arr[i] = x, or __entry->s.member = x: a part of the field is written.
            m = j
            while m < n and (tokens[m].is_punct("[") or tokens[m].is_punct(".")):
                m = _skip_group(tokens, m) if tokens[m].is_punct("[") else m + 2
            assigned = m < n and tokens[m].kind == PUNCT
            if assigned and (tokens[m].text == "=" or tokens[m].text in _COMPOUND_ASSIGN):
                writes.append(Write(name, tok.line, "element" if nxt.is_punct("[") else "member"))
        elif (
            prev is not None
            and prev.is_punct("(")
            and k >= 2
            and tokens[k - 2].kind == IDENT
            and tokens[k - 2].text in COPY_FUNCS
        ):
            writes.append(Write(name, tok.line, "copy"))
    for inv in find_nested(tokens, lambda s: s in ASSIGN_HELPERS or s in GETTERS, path):
        if not inv.args:
            continue
        dst = inv.args[0].single_ident()
        if dst is None:
            continue
        if inv.name in ASSIGN_HELPERS:
            src = inv.args[1].tokens if len(inv.args) > 1 else ()
            writes.append(Write(dst, inv.line, "helper", tuple(src), inv.name))
        else:
            writes.append(Write(dst, inv.line, "pointer", (), inv.name))
    writes.sort(key=lambda w: w.line)
    return tuple(writes), opaque


def _literal_body(tok: Token) -> str:
    text = tok.text
    start = text.index('"')
    return text[start + 1 : -1]


def _parse_printk(tokens: Sequence[Token], line: int, path: str, label: str) -> Printk:
    parts = split_top_level(tokens)
    fmt = parts[0] if parts else []
    if not fmt:
        raise LintInputError(path, line, f"TP_printk of {label} has no format string")
    args = []
    for item in parts[1:]:
        args.append(Arg(tuple(item), item[0].line if item else line))
    segments: tuple[tuple[str, int], ...] | None = None
    if all(t.kind == STRING for t in fmt):
        segments = tuple((_literal_body(t), t.line) for t in fmt)
    return Printk(segments, tuple(args))


def _em_lists(lexed: Lexed, path: str) -> list[EmList]:
    lists: list[EmList] = []
    for d in lexed.directives:
        if d.name != "define" or not d.tokens or d.function_like:
            continue
        name = d.tokens[0].text
        if name in ("EM", "EMe"):
            continue
        entries: list[EmEntry] = []
        for inv in find_nested(d.tokens[1:], lambda s: s in ("EM", "EMe"), path):
            if len(inv.args) != 2:
                raise LintInputError(
                    path,
                    inv.line,
                    f"{inv.name}(code, \"string\") in the {name} list has "
                    f"{len(inv.args)} argument{'' if len(inv.args) == 1 else 's'} instead of 2",
                )
            entries.append(EmEntry(inv.name, inv.args[0].text, inv.args[1].text, inv.line))
        if entries:
            lists.append(EmList(name, d.line, tuple(entries)))
    return lists
