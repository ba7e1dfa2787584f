"""Rule T3: each TP_printk conversion must fit the argument it prints.

Conversions are paired with the arguments in order ('*' widths take an int first). An argument's
type comes from pycparser's reading of the expression: ``__entry->field`` has the field's type,
casts and literals have theirs, ``__get_str()`` and the ``__print_*()`` helpers give strings, and
anything else (macros, arithmetic on unknowns) is unknown and never reported. Widths follow the
LP64 kernel ABI, after default argument promotion. This module must not look at TP_fast_assign.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from pycparser import c_ast

from collapsecheck.tracelint.cparse import parse_expression
from collapsecheck.tracelint.ctype import CType, describe, from_ast
from collapsecheck.tracelint.events import GETTERS, Event
from collapsecheck.tracelint.invocations import Arg
from collapsecheck.tracelint.lexer import IDENT
from collapsecheck.tracelint.printf import Conversion, parse_format
from collapsecheck.tracelint.report import ERROR, Finding

RULE = "T3"

STRING = CType(
    "const char *", "pointer", bits=64, target=CType("const char", "int", "char", 8, None, const=True)
)
_VOID_PTR = CType("void *", "pointer", bits=64, target=CType("void", "void", "void"))
_INT = CType("int", "int", "int", 32, True)
_UINT = CType("unsigned int", "int", "unsigned int", 32, False)
_LONG = CType("long", "int", "long", 64, True)
_ULONG = CType("unsigned long", "int", "unsigned long", 64, False)
_SIZE_T = CType("size_t", "int", "unsigned long", 64, False)

# Helpers that turn a value into text inside TP_printk (include/trace/stages/stage3_*.h).
STRING_HELPERS = frozenset({
    "__print_symbolic", "__print_symbolic_u64", "__print_flags", "__print_flags_u64",
    "__print_hex", "__print_hex_str", "__print_array", "__print_dynamic_array", "__print_hex_dump",
    "__get_str", "__get_rel_str", "__get_bitmask", "__get_rel_bitmask", "__get_cpumask",
    "__get_rel_cpumask",
})
_GETTER_GETS_STRING = frozenset({
    "__get_str", "__get_rel_str", "__get_bitmask", "__get_rel_bitmask", "__get_cpumask",
    "__get_rel_cpumask",
})
_GETTER_FOR_KIND = {
    "string": "__get_str", "vstring": "__get_str", "dynamic": "__get_dynamic_array",
    "bitmask": "__get_bitmask", "cpumask": "__get_cpumask", "sockaddr": "__get_sockaddr",
}
# Bits read by an integer conversion, after promotion (h and hh still read an int).
_LENGTH_BITS = {"": 32, "hh": 32, "h": 32, "l": 64, "ll": 64, "L": 64, "z": 64, "Z": 64, "t": 64}
_ADDRESS_NAMES = re.compile(r"addr|(^|_)(ip|pc|va|pa|caller|call_site)$")
_ADDRESS_TYPES = frozenset({"phys_addr_t", "dma_addr_t", "uintptr_t"})


class _Context:
    """The event whose TP_printk is read, and the fields its arguments may name."""

    def __init__(self, ev: Event, fields_from: Event | None) -> None:
        self.ev = ev
        self.fields_from = fields_from
        self.problems: list[tuple[int, str]] = []

    def problem(self, line: int, message: str) -> None:
        self.problems.append((line, message))


def check(events: Sequence[Event]) -> list[Finding]:
    classes: dict[str, Event] = {}
    for ev in events:
        if ev.fields is not None:
            classes.setdefault(ev.name, ev)
    findings: list[Finding] = []
    for ev in events:
        if ev.printk is None:
            continue
        # DEFINE_EVENT_PRINT prints the record of its class.
        owner = ev if ev.fields is not None else classes.get(ev.template or "")
        findings += _check_event(ev, owner)
    return findings


def _check_event(ev: Event, owner: Event | None) -> list[Finding]:
    pk = ev.printk
    assert pk is not None
    if pk.segments is None:
        return []  # the format is assembled by macros: nothing reliable to pair
    ctx = _Context(ev, owner)
    convs = parse_format(pk.segments)
    findings: list[Finding] = []
    slots: list[tuple[Conversion, bool]] = []  # (conversion, is a '*' width)
    for conv in convs:
        slots.extend((conv, True) for _ in range(conv.stars))
        slots.append((conv, False))
        if conv.problem is not None:
            findings.append(
                Finding(ev.path, conv.line, RULE,
                        f"{ev.name}: '{conv.text}' in TP_printk: {conv.problem}", ERROR, ev.name)
            )
            break  # vsnprintf stops here, and so does the pairing
    stopped = any(c.problem is not None for c in convs)
    args = pk.args
    for (conv, star), arg in zip(slots, args, strict=False):
        if conv.problem is not None:
            break
        t, desc, name = _classify_arg(ctx, arg)
        if t is None:
            continue
        if star:
            if not t.is_integer or (t.bits or 32) > 32:
                findings.append(
                    Finding(ev.path, conv.line, RULE,
                            f"{ev.name}: the '*' of '{conv.text}' takes an int but {desc} is "
                            f"{describe(t)}", ERROR, ev.name)
                )
            continue
        problem = fit(conv, t, desc, name)
        if problem is not None:
            findings.append(Finding(ev.path, conv.line, RULE, f"{ev.name}: {problem}", ERROR, ev.name))
    if not stopped and len(slots) != len(args):
        findings.append(_count_mismatch(ev, convs, slots, args))
    for line, message in ctx.problems:
        findings.append(Finding(ev.path, line, RULE, f"{ev.name}: {message}", ERROR, ev.name))
    return findings


def _count_mismatch(
    ev: Event, convs: list[Conversion], slots: list[tuple[Conversion, bool]], args: Sequence[Arg]
) -> Finding:
    pk = ev.printk
    assert pk is not None
    n_conv = len(slots)
    if n_conv > len(args):
        first, _ = slots[len(args)]
        detail = f"conversion {len(args) + 1} '{first.text}' has no argument"
        line = first.line
    else:
        extra = args[n_conv]
        detail = f"argument {n_conv + 1} '{extra.text}' is never printed"
        line = extra.line
    return Finding(
        ev.path,
        line,
        RULE,
        f"{ev.name}: TP_printk format has {n_conv} conversion{'s' if n_conv != 1 else ''} "
        f"({' '.join(c.text for c in convs)}) but {len(args)} argument"
        f"{'s' if len(args) != 1 else ''}: {detail}; make the format and the argument list agree",
        ERROR,
        ev.name,
    )


def _classify_arg(ctx: _Context, arg: Arg) -> tuple[CType | None, str, str | None]:
    node = parse_expression(arg.tokens, ctx.ev.path)
    text = arg.text
    if node is None:
        # pycparser cannot read e.g. __print_flags(x, "|", {1, "a"}); its name still tells.
        toks = arg.tokens
        head = toks[0] if toks else None
        if head is not None and head.kind == IDENT and head.text in STRING_HELPERS and len(toks) > 1:
            return STRING, f"'{text}'", None
        return None, text, None
    t, name = _type_of(ctx, node, arg.line)
    if t is None:
        return None, text, name
    return t, f"'{text}' ({describe(t)})", name


def _field_type(ctx: _Context, fname: str, line: int) -> tuple[CType | None, str | None]:
    owner = ctx.fields_from
    if owner is None:
        return None, fname
    f = owner.field(fname, data_loc=False)
    if f is None:
        if owner.fields_complete:
            ctx.problem(line, f"TP_printk prints __entry->{fname} but TP_STRUCT__entry of "
                              f"{owner.name} declares no field '{fname}'")
        return None, fname
    if f.data_loc:
        getter = _GETTER_FOR_KIND[f.kind]
        ctx.problem(line, f"TP_printk prints __entry->{fname}, but '{fname}' is a {f.macro}() field "
                          f"whose record slot is an offset/length word; print {getter}({fname})")
        return None, fname
    if f.kind == "array" and f.ctype is not None:
        return CType(f"{f.ctype.spelling} []", "array", target=f.ctype), fname
    return f.ctype, fname


def _getter(ctx: _Context, name: str, node: c_ast.FuncCall, line: int) -> CType | None:
    args = node.args.exprs if node.args is not None else []
    field_name = args[0].name if args and isinstance(args[0], c_ast.ID) else None
    owner = ctx.fields_from
    elem: CType | None = None
    if field_name is not None and owner is not None:
        f = owner.field(field_name, data_loc=True)
        if f is None and owner.fields_complete:
            ctx.problem(line, f"TP_printk uses {name}({field_name}) but {owner.name} declares no "
                              f"field '{field_name}'")
        elif f is not None and f.kind not in GETTERS[name]:
            ctx.problem(line, f"TP_printk uses {name}({field_name}) but '{field_name}' is declared "
                              f"with {f.macro}() at line {f.line}")
        elif f is not None:
            elem = f.ctype
    if name in _GETTER_GETS_STRING:
        return STRING
    if name.endswith("_len"):
        return _UINT
    if name.endswith("sockaddr"):
        return _VOID_PTR
    target = elem if elem is not None else CType("void", "void", "void")
    return CType(f"{target.spelling} *", "pointer", bits=64, target=target)


def _promote(t: CType) -> CType:
    if t.is_integer and (t.bits or 32) < 32:
        return _INT
    if t.kind == "enum":
        return _INT
    return t


def _arith(a: CType, b: CType) -> CType | None:
    """The usual arithmetic conversions, for the integer types this linter distinguishes."""
    if not (a.is_integer and b.is_integer):
        return None
    a, b = _promote(a), _promote(b)
    if (a.bits or 32) != (b.bits or 32):
        return a if (a.bits or 32) > (b.bits or 32) else b
    if a.signed is False:
        return a
    return b


def _type_of(ctx: _Context, node: c_ast.Node, line: int) -> tuple[CType | None, str | None]:
    if isinstance(node, c_ast.StructRef):
        if node.type == "->" and isinstance(node.name, c_ast.ID) and node.name.name == "__entry":
            return _field_type(ctx, node.field.name, line)
        return None, None
    if isinstance(node, c_ast.ArrayRef):
        base, name = _type_of(ctx, node.name, line)
        if base is not None and base.kind in ("array", "pointer") and base.target is not None:
            return base.target, name
        return None, name
    if isinstance(node, c_ast.FuncCall) and isinstance(node.name, c_ast.ID):
        fname = node.name.name
        if fname in GETTERS:
            return _getter(ctx, fname, node, line), None
        if fname in STRING_HELPERS:
            return STRING, None
        return None, None
    if isinstance(node, c_ast.Cast):
        inner, name = _type_of(ctx, node.expr, line)
        return from_ast(node.to_type), name
    if isinstance(node, c_ast.Constant):
        if node.type == "string":
            return STRING, None
        if node.type == "char":
            return _INT, None
        if "int" in node.type:
            value = node.value.lower()
            if "l" in value:
                return (_ULONG if "u" in value else _LONG), None
            return (_UINT if "u" in value else _INT), None
        return None, None
    if isinstance(node, c_ast.TernaryOp):
        a, name_a = _type_of(ctx, node.iftrue, line)
        b, name_b = _type_of(ctx, node.iffalse, line)
        if a is None or b is None:
            return None, None
        if a.is_string and b.is_string:
            return STRING, None
        if a.canonical() == b.canonical():
            return a, name_a or name_b
        return _arith(a, b), None
    if isinstance(node, c_ast.UnaryOp):
        if node.op == "!":
            return _INT, None
        if node.op == "sizeof":
            return _SIZE_T, None
        if node.op == "&":
            _type_of(ctx, node.expr, line)  # still reports unknown fields
            return _VOID_PTR, None
        if node.op in ("-", "+", "~"):
            inner, name = _type_of(ctx, node.expr, line)
            return (_promote(inner) if inner is not None and inner.is_integer else None), name
        return None, None
    if isinstance(node, c_ast.BinaryOp):
        left, name = _type_of(ctx, node.left, line)
        right, _ = _type_of(ctx, node.right, line)
        if node.op in ("==", "!=", "<", ">", "<=", ">=", "&&", "||"):
            return _INT, None
        if left is None or right is None:
            return None, None
        if node.op in ("<<", ">>"):
            return (_promote(left) if left.is_integer else None), name
        return _arith(left, right), name
    return None, None


def is_address(name: str | None, t: CType) -> bool:
    """Whether a value is an address by its field name (addr, ip, ...) or its type."""
    if t.spelling.replace("const ", "") in _ADDRESS_TYPES:
        return True
    return name is not None and _ADDRESS_NAMES.search(name.lower()) is not None


def _integer_spec(t: CType, address: bool) -> str:
    bits = t.bits or 32
    if address:
        return "%llx" if t.base == "unsigned long long" else "%lx"
    if bits <= 32 or t.kind in ("bool", "enum"):
        return "%d" if t.signed is not False or t.kind == "bool" else "%u"
    ll = "ll" if t.base.endswith("long long") else "l"
    return f"%{ll}d" if t.signed else f"%{ll}u"


def fit(conv: Conversion, t: CType, desc: str, name: str | None) -> str | None:
    """Why ``conv`` cannot print a value of type ``t`` correctly, or None if it can."""
    head = f"'{conv.text}' prints {desc}"
    c = conv.conv
    if t.kind == "unknown":
        return None  # a typedef the linter cannot resolve may be a pointer or an integer
    if c == "s":
        if t.is_string:
            return None
        if t.kind in ("pointer", "array"):
            hint = "print it with %p"
        elif t.is_integer:
            hint = f"print it with {_integer_spec(t, is_address(name, t))}"
        else:
            hint = "pass a string"
        return f"{head}, but %s needs a C string; {hint}"
    if c == "p":
        if t.kind in ("pointer", "array"):
            return None
        if t.is_integer:
            hint = f"cast it to (void *) or print it with {_integer_spec(t, is_address(name, t))}"
        else:
            hint = "pass a pointer"
        return f"{head}, but %p needs a pointer; {hint}"
    if c not in "diouxXc":
        return None
    if t.is_string:
        return f"{head}, a string, with an integer conversion; print it with %s"
    if t.kind in ("pointer", "array"):
        return f"{head}, a pointer, with an integer conversion; print it with %p"
    if t.kind in ("struct", "union"):
        return f"{head}, a structure, which no conversion can print; print its members"
    if t.kind == "float":
        return f"{head}: the kernel cannot print floating point"
    if not t.is_integer:
        return None
    value_bits = 64 if (t.bits or 32) > 32 else 32
    read_bits = 32 if c == "c" else _LENGTH_BITS[conv.length]
    # Only a 64-bit value can hold a kernel address; a u8 "laddr" is a bus or endpoint number.
    address = is_address(name, t) and t.kind == "int" and value_bits == 64
    if value_bits != read_bits:
        if t.kind == "bool":
            return (f"{head}, a bool passed as a 32-bit int, but '{conv.text}' reads a {read_bits}-bit "
                    f"value; print it with %d")
        return (f"{head}, a {value_bits}-bit value, but '{conv.text}' reads {read_bits} bits; print it "
                f"with {_integer_spec(t, address)}")
    if c in "di" and address and t.signed is False:
        return (f"{head}, an address, as a signed decimal; print addresses in hex with "
                f"{_integer_spec(t, True)}")
    return None
