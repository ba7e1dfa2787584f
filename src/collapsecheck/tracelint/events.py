"""Read a trace header into events (prototype, arguments, fields, writes, printk) and EM() lists.

It knows the argument shapes of the kernel's event macros (``TRACE_EVENT`` and its variants,
``DECLARE_EVENT_CLASS`` with the ``DEFINE_EVENT*`` family, ``DECLARE_TRACE*``) and of the field
macros inside ``TP_STRUCT__entry``. Macros the header defines itself (wrappers of event parts,
printk helpers, event generators) are expanded first (see :mod:`macros`). It must not report
findings: an event it cannot read is skipped with a :class:`Note` (the rest of the file is still
read); only a file that cannot be read at all is a :class:`LintInputError`.
"""

from __future__ import annotations

import re
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
from collapsecheck.tracelint.lexer import (
    IDENT,
    NUMBER,
    PUNCT,
    STRING,
    Lexed,
    Token,
    join_tokens,
    read_source,
)
from collapsecheck.tracelint.macros import BASE_PROTECTED, MacroTable, expand, included_macros

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

# TP_PROTO, TP_ARGS and PARAMS are all "#define X(args...) args": any of them works in either
# place, and headers do mix them up (TP_ARGS(struct x *p) as a prototype compiles fine).
_WRAPPERS: dict[str, tuple[str, ...]] = {
    "proto": ("TP_PROTO", "PARAMS", "TP_ARGS"),
    "args": ("TP_ARGS", "PARAMS", "TP_PROTO"),
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
    how: str  # "=", "update", "element", "member", "copy", "pointer", "helper", "argument", "mention"
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

    def field(self, name: str, data_loc: bool | None = None) -> Field | None:
        """The field called ``name``. A plain field and a data_loc field may share a name (they
        are different struct members: ``x`` and ``__data_loc_x``), so ``__entry->x`` asks for
        ``data_loc=False`` and ``__get_*(x)`` for True; either falls back to any field."""
        fallback = None
        for f in self.fields or ():
            if f.name == name:
                if data_loc is None or f.data_loc == data_loc:
                    return f
                fallback = fallback or f
        return fallback

    def param(self, name: str) -> Declared | None:
        for p in self.proto:
            if p.name == name:
                return p
        return None


@dataclass(frozen=True, slots=True)
class EmEntry:
    macro: str  # "EM", "EMe", or a list macro the header defines (e.g. E_)
    code: str
    string: str
    line: int
    # Whether this entry's symbolic expansion ends without a comma, so it may end the list.
    terminator: bool = False
    arity: int = 2  # EM(code, "string"), or 1 for EM(code) lists that print #code


@dataclass(frozen=True, slots=True)
class EmList:
    name: str
    line: int
    entries: tuple[EmEntry, ...]


@dataclass(frozen=True, slots=True, order=True)
class Note:
    """Something the linter could not read. ``skipped`` is True when an event (or EM list) was
    left unchecked because of it; otherwise only one part of an event was."""

    path: str
    line: int
    message: str
    skipped: bool = True

    def to_text(self) -> str:
        where = f"{self.path}:{self.line}" if self.line > 0 else self.path  # 0: the whole file
        return f"{where}: note: {self.message}"


@dataclass(frozen=True, slots=True)
class Header:
    path: str
    events: tuple[Event, ...]
    em_lists: tuple[EmList, ...]
    notes: tuple[Note, ...] = ()

    @property
    def skipped(self) -> int:
        return sum(1 for n in self.notes if n.skipped)


# Everything the checks read keeps its meaning: never expanded as a header-local macro.
PROTECTED = (
    BASE_PROTECTED | frozenset(EVENT_SHAPES) | frozenset(FIELD_MACROS) | frozenset(ASSIGN_HELPERS)
    | frozenset(GETTERS) | frozenset({
        "__print_symbolic", "__print_symbolic_u64", "__print_flags", "__print_flags_u64",
        "__print_hex", "__print_hex_str", "__print_array", "__print_dynamic_array",
        "__print_hex_dump", "__print_ns_to_secs", "__print_ns_without_secs",
    })
)


def read_header(path: str, tree: str | None = None) -> Header:
    """Read every event of one header. ``tree`` is the kernel root used to resolve #includes."""
    lexed = read_source(path)
    included = included_macros(path, tree)
    table = MacroTable(lexed.directives, PROTECTED, included)
    generators = _generators(table)
    notes: list[Note] = []
    events: list[Event] = []
    toks = lexed.tokens
    n = len(toks)
    i = 0
    while i < n - 1:
        tok = toks[i]
        name = tok.text
        if tok.kind != IDENT or not toks[i + 1].is_punct("(") or (
            name not in EVENT_SHAPES and name not in generators
        ):
            i += 1
            continue
        try:
            inv = parse_call(toks, i, path)
        except LintInputError as e:
            notes.append(Note(path, e.line or tok.line, f"{name}(...) skipped: {e.message}"))
            i += 1
            continue
        span = toks[i : inv.end]
        i = inv.end
        if name in EVENT_SHAPES:
            _read_event(inv, span, table, path, events, notes, lexed.conditionals)
            continue
        # A header-local macro that generates events: expand it and read what it produced.
        expanded = expand(span, table, path)
        if expanded is None:
            notes.append(Note(path, tok.line, f"{name}(...) skipped: it generates trace events but "
                                              "the preprocessor could not expand it"))
            continue
        try:
            found = find_invocations(expanded, EVENT_SHAPES.__contains__, path)
        except LintInputError as e:
            notes.append(Note(path, tok.line, f"{name}(...) skipped: after expansion, {e.message}"))
            continue
        for sub in found:
            _read_event(sub, (), table, path, events, notes, ())
    em_lists = _em_lists(lexed, path, notes)
    notes.sort(key=lambda nt: (nt.line, nt.message))
    return Header(path, tuple(events), tuple(em_lists), tuple(notes))


def _generators(table: MacroTable) -> frozenset[str]:
    """Header-local macros whose expansion contains an event macro (directly or through others)."""
    gen: set[str] = set()
    names = table.names()
    bodies = {nm: set().union(*(m.body_names for m in table.all_definitions(nm))) for nm in names}
    changed = True
    while changed:
        changed = False
        for nm, body in bodies.items():
            if nm not in gen and (body & EVENT_SHAPES.keys() or body & gen):
                gen.add(nm)
                changed = True
    return frozenset(gen)


def _read_event(
    inv: Invocation, span: Sequence[Token], table: MacroTable, path: str,
    events: list[Event], notes: list[Note], conditionals: Sequence[int],
) -> None:
    if span and table.expands(span, inv.line):
        expanded = expand(span, table, path)
        if expanded is not None and len(expanded) > 1 and expanded[1].is_punct("("):
            try:
                inv = parse_call(expanded, 0, path)
            except LintInputError as e:
                notes.append(Note(path, inv.line, f"{inv.name}(...) skipped: after macro expansion, "
                                                  f"{e.message}"))
                return
    label = inv.name
    if inv.args and inv.args[0].tokens:
        label += f"({_short(inv.args[0].text, 40)})"
    try:
        events.append(_build_event(inv, path, notes, conditionals))
    except LintInputError as e:
        notes.append(Note(path, e.line or inv.line, f"{label} skipped: {e.message}"))
    except Exception as e:  # noqa: BLE001 - a shape nobody foresaw costs this event, not the file
        notes.append(Note(path, inv.line, f"{label} skipped: internal error in the linter "
                                          f"({type(e).__name__}: {e}); please report it"))


def _part(inv: Invocation, role: str, path: str, notes: list[Note] | None = None) -> tuple[Token, ...] | None:
    """The tokens inside the wrapper of one role, or None if the macro has no such role."""
    shape = EVENT_SHAPES[inv.name]
    if role not in shape:
        return None
    arg = inv.args[shape.index(role)]
    inner = unwrap(arg, _WRAPPERS[role])
    if inner is None and role == "print" and notes is not None:
        # The output format is not a TP_printk(): the record is still checked, its printing not.
        notes.append(Note(path, arg.line, f"{inv.name}(...): the print argument '{_short(arg.text)}' "
                                          "is not TP_printk(...); its format is not checked", False))
        return None
    while inner is not None and role in ("proto", "args"):
        # A generator macro called with TP_PROTO(...) that it wraps in TP_PROTO() once more.
        again = unwrap(Arg(inner, arg.line), _WRAPPERS[role])
        if again is None:
            break
        inner = again
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
    if name is None and len(arg.tokens) == 1 and arg.tokens[0].kind == NUMBER:
        # "9p_client_req": only ever pasted after "trace_" or "event_", so a leading digit is fine.
        text = arg.tokens[0].text
        if text.replace("_", "a").isalnum():
            name = text
    if name is None:
        raise LintInputError(
            path,
            arg.line,
            f"the {what} of {inv.name}(...) must be an identifier, not '{_short(arg.text)}'",
        )
    return name


def _build_event(
    inv: Invocation, path: str, notes: list[Note], conditionals: Sequence[int] = ()
) -> Event:
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
    print_toks = _part(inv, "print", path, notes)
    if print_toks and any(print_toks[0].line < c < print_toks[-1].line for c in conditionals):
        # "#ifdef DEBUG" inside TP_printk: both configurations' formats and arguments are in the
        # token stream at once, so pairing them would be wrong in either configuration.
        notes.append(Note(path, print_toks[0].line, f"{name}: TP_printk has #if/#ifdef inside; its "
                                                    "format is not checked", False))
        print_toks = None
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


_MACRO_NAME = re.compile(r"^[A-Z][A-Z0-9_]{2,}$")


def _unknown_macro_statement(tokens: Sequence[Token]) -> bool:
    """Whether TP_fast_assign has a statement that is an unexpanded macro (``STORE_ADDRS;``,
    ``FILL_FIELDS(x);``): one defined in a header the linter did not read (no ``--tree``) may
    write any field, so which fields are written is unknown."""
    for k, tok in enumerate(tokens):
        if tok.kind != IDENT or not _MACRO_NAME.match(tok.text):
            continue
        starts = k == 0 or tokens[k - 1].kind == PUNCT and tokens[k - 1].text in (";", "{", "}", ")")
        nxt = tokens[k + 1] if k + 1 < len(tokens) else None
        if starts and (nxt is None or nxt.is_punct(";") or nxt.is_punct("(")):
            return True
    return False


def _scan_writes(tokens: Sequence[Token], path: str) -> tuple[tuple[Write, ...], bool]:
    writes: list[Write] = []
    opaque = _unknown_macro_statement(tokens)
    n = len(tokens)
    for k, tok in enumerate(tokens):
        # In TP_fast_assign, "entry" is the record itself ("__entry" is defined as it).
        if not (tok.is_ident("__entry") or (tok.is_ident("entry") and k + 1 < n and tokens[k + 1].is_punct("->"))):
            continue
        if k > 0 and (tokens[k - 1].is_punct("->") or tokens[k - 1].is_punct(".")):
            continue  # a member that happens to be called "entry"
        if not (k + 2 < n and tokens[k + 1].is_punct("->") and tokens[k + 2].kind == IDENT):
            opaque = True  # the whole record goes somewhere: its writes are out of sight
            continue
        name = tokens[k + 2].text
        j = k + 3
        prev = tokens[k - 1] if k > 0 else None
        # "(__entry->x) = v": step over the parentheses around the lvalue.
        back = k - 1
        while j < n and tokens[j].is_punct(")") and back >= 0 and tokens[back].is_punct("("):
            j += 1
            back -= 1
        if back != k - 1:
            prev = tokens[back] if back >= 0 else None
        nxt = tokens[j] if j < n else None
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
        elif (
            prev is not None and (prev.is_punct("(") or prev.is_punct(","))
            and nxt is not None and (nxt.is_punct(")") or nxt.is_punct(","))
            and not (k >= 2 and prev.is_punct("(") and tokens[k - 2].kind == IDENT
                     and tokens[k - 2].text in ASSIGN_HELPERS)
        ):
            # A whole argument of a call: if the callee is a macro the linter could not expand
            # (get_obj(__entry->ptr, node)), it may assign it, whatever the field's kind.
            writes.append(Write(name, tok.line, "argument"))
        else:
            # Any other use: fill_flags(__entry->buf, v), p = (u32 *)__entry->addr; *p = v...
            # An array decays to a pointer there, through which it can be filled; a scalar read
            # is not a write. The check decides by the field's kind.
            writes.append(Write(name, tok.line, "mention"))
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


def _list_entries(body: Sequence[Token], names: frozenset[str], path: str) -> list[Invocation]:
    """The entries of a list body. A macro wrapped around entries (``IFDEF_ZONE_DMA(EM(...))``,
    present only in some configurations) is not an entry itself: its contents are."""
    out: list[Invocation] = []
    for inv in find_invocations(body, names.__contains__, path):
        inner = [t for a in inv.args for t in a.tokens]
        if inv.name not in ("EM", "EMe") and any(
            t.kind == IDENT and t.text in names for t in inner
        ):
            out += _list_entries(inner, names, path)
        else:
            out.append(inv)
    return out


def _em_lists(lexed: Lexed, path: str, notes: list[Note]) -> list[EmList]:
    """``#define NAME EM(a, "a") ... EMe(b, "b")`` lists. Entries are EM()/EMe() or another list
    macro the header defines (``E_()``); ``EM(a)`` one-argument lists print ``#a``."""
    symbolic: dict[str, list[tuple[Token, ...]]] = {}
    for d in lexed.directives:
        if d.name == "define" and d.function_like and d.tokens:
            close = next((k for k, t in enumerate(d.tokens) if t.is_punct(")")), None)
            if close is not None:
                symbolic.setdefault(d.tokens[0].text, []).append(tuple(d.tokens[close + 1 :]))

    def terminator(name: str) -> bool:
        # The {code, "string"} form (braces) is what __print_symbolic sees; it ends the list
        # only if it leaves no trailing comma. Without a local definition, EMe is the convention.
        forms = [b for b in symbolic.get(name, ()) if any(t.is_punct("{") for t in b)]
        if not forms:
            return name != "EM"
        return all(not b or not b[-1].is_punct(",") for b in forms)

    entry_names = frozenset(symbolic) | {"EM", "EMe"}
    lists: list[EmList] = []
    for d in lexed.directives:
        if d.name != "define" or not d.tokens or d.function_like:
            continue
        name = d.tokens[0].text
        body = d.tokens[1:]
        if not any(t.kind == IDENT and t.text in ("EM", "EMe") for t in body):
            continue
        entries: list[EmEntry] = []
        try:
            for inv in _list_entries(body, entry_names, path):
                if len(inv.args) == 1:
                    code = inv.args[0].text
                    string = f'"{code}"'  # EM(a) lists print #a
                elif len(inv.args) == 2:
                    code, string = inv.args[0].text, inv.args[1].text
                else:
                    raise LintInputError(
                        path, inv.line,
                        f"{inv.name}(code, \"string\") in the {name} list has {len(inv.args)} "
                        "arguments instead of 1 or 2",
                    )
                entries.append(EmEntry(inv.name, code, string, inv.line, terminator(inv.name),
                                       len(inv.args)))
        except LintInputError as e:
            notes.append(Note(path, e.line or d.line, f"EM list {name} skipped: {e.message}"))
            continue
        arities = {e.arity for e in entries}
        if len(arities) > 1:
            odd = next(e for e in entries if e.arity != entries[0].arity)
            notes.append(Note(path, odd.line, f"EM list {name} skipped: {odd.macro}() has {odd.arity} "
                                              f"argument{'s' if odd.arity != 1 else ''} but "
                                              f"{entries[0].macro}() on line {entries[0].line} has "
                                              f"{entries[0].arity}; every entry of one list takes the "
                                              "same arguments"))
            continue
        if entries:
            lists.append(EmList(name, d.line, tuple(entries)))
    return lists
