"""Rule T2: TP_STRUCT__entry fields and what TP_fast_assign stores in them must agree.

A field fed straight from a TP_PROTO parameter (``__entry->x = x;``) should have the parameter's
type: a bool field keeps only 0/1 of an address, an address field fed from a bool records 0/1. The
data_loc fields (``__string``, ``__dynamic_array``...) must be filled through their helpers, from
sources of the right type. Values computed by an expression or a cast are the author's explicit
choice and are not second-guessed. This module must not look at TP_PROTO/TP_ARGS order or printk.
"""

from __future__ import annotations

from collections.abc import Sequence

from pycparser import c_ast

from collapsecheck.tracelint.cparse import Declared, parse_expression
from collapsecheck.tracelint.ctype import CType, article, declaration, describe
from collapsecheck.tracelint.events import ASSIGN_HELPERS, GETTERS, Event, Field, Write
from collapsecheck.tracelint.lexer import Token, join_tokens
from collapsecheck.tracelint.report import ERROR, WARNING, Finding

RULE = "T2"

# How each kind of data_loc field is filled.
_FILL = {
    "string": "__assign_str({name})",
    "vstring": "__assign_vstr({name}, fmt, va)",
    "dynamic": "memcpy(__get_dynamic_array({name}), src, len)",
    "bitmask": "__assign_bitmask({name}, mask, nr_bits)",
    "cpumask": "__assign_cpumask({name}, mask)",
    "sockaddr": "__assign_sockaddr({name}, addr, len)",
}
_DECLARED_WITH = {
    "string": "__string()", "vstring": "__vstring()", "bitmask": "__bitmask()",
    "cpumask": "__cpumask()", "sockaddr": "__sockaddr()", "dynamic": "__dynamic_array()",
}


def check(events: Sequence[Event]) -> list[Finding]:
    findings: list[Finding] = []
    for ev in events:
        if ev.fields is None:
            continue  # DEFINE_EVENT and DECLARE_TRACE: no record of their own
        for w in ev.writes:
            findings += _check_write(ev, w)
        for f in ev.fields:
            findings += _check_string_source(ev, f)
        if not ev.writes_opaque:
            written = {w.field for w in ev.writes if w.how != "mention" or _fillable(ev, w.field)}
            printed = _printed_fields(ev)
            for f in ev.fields:
                if f.name not in written:
                    # Printed, the stale bytes reach every reader of the trace: an error. Only
                    # declared, they waste ring-buffer space: a warning.
                    shown = f.name in printed
                    findings.append(
                        Finding(
                            ev.path, f.line, RULE,
                            f"{ev.name}: field '{f.name}' is declared in TP_STRUCT__entry but "
                            "TP_fast_assign never writes it, so the record carries stale "
                            "ring-buffer bytes"
                            + ("; TP_printk prints them. Assign it in TP_fast_assign" if shown
                               else "; assign it or drop the field"),
                            ERROR if shown else WARNING, ev.name,
                        )
                    )
    return findings


def _fillable(ev: Event, name: str) -> bool:
    """Whether a field handed to a function as ``__entry->name`` can be filled by it: arrays
    decay to pointers; scalars are passed by value and cannot."""
    f = ev.field(name, data_loc=False)
    return f is None or f.kind in ("array", "struct") or f.ctype is None or f.ctype.kind == "unknown"


def _printed_fields(ev: Event) -> set[str]:
    """Fields TP_printk reads as ``__entry->name`` (plain fields only: data_loc ones are read
    through ``__get_*()``, which the write check handles separately)."""
    out: set[str] = set()
    if ev.printk is None:
        return out
    for arg in ev.printk.args:
        toks = arg.tokens
        for k in range(len(toks) - 2):
            if toks[k].is_ident("__entry") and toks[k + 1].is_punct("->"):
                out.add(toks[k + 2].text)
    return out


def _param_of(ev: Event, tokens: Sequence[Token]) -> Declared | None:
    """The TP_PROTO parameter an expression is, when it is nothing but that parameter's name."""
    if len(tokens) != 1:
        return None
    node = parse_expression(tokens, ev.path)
    if isinstance(node, c_ast.ID):
        return ev.param(node.name)
    return None


def _check_write(ev: Event, w: Write) -> list[Finding]:
    f = ev.field(w.field, data_loc=w.how in ("helper", "pointer") and w.helper is not None)
    what = f"{w.helper}({w.field})" if w.helper else f"__entry->{w.field}"
    if f is None:
        if not ev.fields_complete:
            return []
        return [
            Finding(
                ev.path, w.line, RULE,
                f"{ev.name}: TP_fast_assign writes {what} but TP_STRUCT__entry declares no field "
                f"'{w.field}'; declare it or fix the name",
                ERROR, ev.name,
            )
        ]
    if w.how == "=":
        if f.data_loc:
            fill = _FILL[f.kind].format(name=f.name)
            return [
                Finding(
                    ev.path, w.line, RULE,
                    f"{ev.name}: '{f.name}' is a {f.macro}() field, stored as an offset/length "
                    f"word, so '__entry->{f.name} = ...' does not fill it; use {fill}",
                    ERROR, ev.name,
                )
            ]
        if f.kind == "array":
            return [
                Finding(
                    ev.path, w.line, RULE,
                    f"{ev.name}: '{f.name}' is an __array() field and cannot be assigned; copy "
                    f"into it with memcpy() or strscpy()",
                    ERROR, ev.name,
                )
            ]
        param = _param_of(ev, w.rhs)
        if param is None or f.ctype is None:
            return []
        problem = disagreement(f.ctype, param.ctype)
        if problem is None:
            return []
        severity, reason = problem
        return [
            Finding(
                ev.path, w.line, RULE,
                f"{ev.name}: field '{declaration(f.ctype, f.name)}' (line {f.line}) is assigned from "
                f"parameter '{param.text}': {reason}; give the field and the parameter the same type",
                severity, ev.name,
            )
        ]
    if w.how == "helper" and w.helper is not None:
        out: list[Finding] = []
        expected = ASSIGN_HELPERS[w.helper]
        if f.kind not in expected:
            # Name the field macro the helper is meant for; "dynamic" is only tolerated.
            wanted = " or ".join(sorted(_DECLARED_WITH[k] for k in expected if k != "dynamic"))
            out.append(
                Finding(
                    ev.path, w.line, RULE,
                    f"{ev.name}: {w.helper}({f.name}) fills a {wanted} field, but "
                    f"'{f.name}' is declared with {f.macro}() at line {f.line}",
                    ERROR, ev.name,
                )
            )
            return out
        if w.rhs and f.src and f.kind == "string" and w.helper in ("__assign_str", "__assign_rel_str"):
            src = join_tokens(w.rhs)
            declared = join_tokens(f.src)
            if src != declared:
                out.append(
                    Finding(
                        ev.path, w.line, RULE,
                        f"{ev.name}: {w.helper}({f.name}, {src}) copies from a different source "
                        f"than {f.macro}({f.name}, {declared}) at line {f.line}, which sized the "
                        "buffer; copy from the same expression (or use the one-argument form)",
                        WARNING, ev.name,
                    )
                )
            out += _not_a_string(ev, w.rhs, w.line, f"{w.helper}({f.name}, {src})")
        return out
    if w.how == "pointer" and w.helper in GETTERS:
        if f.kind not in GETTERS[w.helper]:
            return [
                Finding(
                    ev.path, w.line, RULE,
                    f"{ev.name}: {w.helper}({f.name}) in TP_fast_assign needs a data_loc field, "
                    f"but '{f.name}' is declared with {f.macro}() at line {f.line}",
                    ERROR, ev.name,
                )
            ]
    return []


def _not_a_string(ev: Event, src: Sequence[Token], line: int, what: str) -> list[Finding]:
    param = _param_of(ev, src)
    if param is None or param.ctype.kind == "unknown" or param.ctype.is_string:
        return []
    return [
        Finding(
            ev.path, line, RULE,
            f"{ev.name}: {what} copies a C string from parameter '{param.text}', which is "
            f"{describe(param.ctype)}, not a char pointer; pass the string (or derive it in "
            "TP_fast_assign)",
            ERROR, ev.name,
        )
    ]


def _check_string_source(ev: Event, f: Field) -> list[Finding]:
    if f.kind != "string" or not f.src:
        return []
    return _not_a_string(ev, f.src, f.line, f"{f.macro}({f.name}, {join_tokens(f.src)})")


def disagreement(field: CType, param: CType) -> tuple[str, str] | None:
    """Why storing a ``param``-typed value in a ``field``-typed slot loses or garbles it, if it does:
    (severity, reason). Same-width signedness changes and widening are fine."""
    fk, pk = field.kind, param.kind
    if "unknown" in (fk, pk) or "float" in (fk, pk):
        return None  # an unresolved typedef may be anything: stay silent
    if fk == "bool" and pk == "bool":
        return None
    if fk == "bool":
        if pk == "pointer":
            # "has a buffer": a presence flag taken from a pointer is a common, deliberate idiom.
            return WARNING, f"a bool field keeps only 0/1 of the {describe(param)} value"
        return ERROR, f"a bool field keeps only 0/1 of the {describe(param)} value"
    if pk == "bool":
        # A bool fits in any u8/int field (records often prefer them to bool). A pointer or a
        # 64-bit field fed from a bool means the parameter lost the value it was meant to carry.
        if fk == "pointer" or (field.is_integer and (field.bits or 32) >= 64):
            return ERROR, f"{article(describe(field))} field fed from a bool can only record 0/1"
        return None
    if field.is_integer and param.is_integer:
        fb, pb = field.bits or 32, param.bits or 32
        if fb < pb:
            return WARNING, f"the {fb}-bit field truncates the {pb}-bit {describe(param)} value"
        return None
    if fk == "pointer" and pk == "pointer":
        ft, pt = field.target, param.target
        if ft is None or pt is None or "void" in (ft.kind, pt.kind):
            return None
        if "unknown" in (ft.kind, pt.kind) and ft.kind != pt.kind:
            return None
        if ft.canonical() != pt.canonical():
            return ERROR, f"the field points to {ft.spelling} but the parameter to {pt.spelling}"
        return None
    if fk == "pointer" and param.is_integer:
        return ERROR, f"a pointer field is fed from the integer {describe(param)}"
    if field.is_integer and pk == "pointer":
        return ERROR, f"an integer field is fed from the pointer {param.spelling}"
    if fk in ("struct", "union") or pk in ("struct", "union"):
        if field.canonical() != param.canonical():
            return ERROR, f"{article(field.spelling)} field cannot hold {article(param.spelling)} value"
    return None
