"""Rule T4 over a whole tree: every ``trace_<event>(...)`` call in the ``.c`` files, parsed with
tree-sitter-c, checked against the TP_PROTO of the event it calls.

Checked, each with the call's file:line and the corrected call where one can be written:
- the argument count (error);
- a pointer passed for an integer parameter or an integer for a pointer parameter (error), where
  the argument's kind is certain: literals, ``&x``, casts, ``sizeof``, and identifiers declared in
  the calling function; a literal 0 and ``NULL`` fit a pointer, anything fits a bool;
- arguments passed in another parameter's position: an argument named like a different TP_PROTO
  parameter (error when two or more such names form a permutation, so the fix is certain; a
  warning when only one side matches).

This module must not read headers (it takes :class:`Signature` values built from them) and must
not guess types it cannot see: unknown stays silent.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import tree_sitter_c
from tree_sitter import Language, Node, Parser, Query, QueryCursor

from collapsecheck.tracelint.ctype import CType
from collapsecheck.tracelint.events import Event
from collapsecheck.tracelint.report import ERROR, WARNING, Finding

RULE = "T4"
# trace_<name>_rcuidle (older kernels) and trace_<name>_tp (newer kernels' DECLARE_TRACE) call the
# same tracepoint with the same prototype.
_SUFFIXES = ("", "_rcuidle", "_tp")
_CALL = re.compile(rb"trace_(\w+)\s*\(")
_INT_TYPE_NAMES = frozenset({
    "bool", "u8", "u16", "u32", "u64", "s8", "s16", "s32", "s64", "__u8", "__u16", "__u32", "__u64",
    "__s8", "__s16", "__s32", "__s64", "size_t", "ssize_t", "loff_t", "pgoff_t", "sector_t",
    "gfp_t", "pid_t", "uid_t", "gid_t", "dev_t", "umode_t", "uint8_t", "uint16_t", "uint32_t",
    "uint64_t", "int8_t", "int16_t", "int32_t", "int64_t", "phys_addr_t", "dma_addr_t",
    "resource_size_t", "blk_opf_t", "ktime_t", "time64_t", "__le16", "__le32", "__le64",
    "__be16", "__be32", "__be64", "uintptr_t", "intptr_t", "ptrdiff_t", "off_t", "ino_t",
})

POINTER = "pointer"
INTEGER = "integer"
ZERO = "zero"  # a literal 0 or NULL: fits a pointer and an integer


@dataclass(frozen=True, slots=True)
class Param:
    name: str
    text: str
    kind: str | None  # POINTER, INTEGER, or None (bool, struct, unknown typedef: not compared)
    type_key: str = ""  # "struct page*" (no qualifiers or blanks), to compare with a caller's


def _type_key(text: str) -> str:
    words = [w for w in re.split(r"\s+|(?=\*)|(?<=\*)", text) if w and w not in ("const", "volatile")]
    return " ".join(w for w in words if w != "*") + "*" * words.count("*")


@dataclass(frozen=True, slots=True)
class Signature:
    """What a call site needs to know about one event."""

    event: str
    header: str
    line: int
    params: tuple[Param, ...]


def _kind_of_ctype(t: CType) -> str | None:
    if t.kind in ("pointer", "array"):
        return POINTER
    if t.kind in ("int", "enum"):
        return INTEGER
    return None  # bool takes anything; unknown typedefs may be either


def event_signatures(events: Sequence[Event]) -> tuple[Signature, ...]:
    """The callable events of one header (classes define no trace_<class>())."""
    return tuple(
        Signature(
            ev.name, ev.path, ev.proto_line,
            tuple(Param(p.name, p.text, _kind_of_ctype(p.ctype), _type_key(p.ctype.canonical()))
                  for p in ev.proto),
        )
        for ev in events
        if not ev.is_class
    )


def signatures(sigs: Sequence[Signature]) -> dict[str, Signature | None]:
    """``trace_<name>`` -> its signature; None for a name defined twice with different prototypes
    (e.g. per architecture), which no single call can be checked against."""
    out: dict[str, Signature | None] = {}
    for sig in sigs:
        for suffix in _SUFFIXES:
            key = f"trace_{sig.event}{suffix}"
            if key in out:
                old = out[key]
                if old is not None and [p.text for p in old.params] != [p.text for p in sig.params]:
                    out[key] = None
            else:
                out[key] = sig
    return out


_LANG = Language(tree_sitter_c.language())
_PARSER = Parser(_LANG)
_CALLS = Query(
    _LANG,
    "(call_expression function: (identifier) @fn arguments: (argument_list) @args)",
)


def _text(src: bytes, node: Node) -> str:
    return src[node.start_byte : node.end_byte].decode("utf-8", errors="replace")


def _declared_kinds(src: bytes, func: Node | None) -> dict[str, tuple[str | None, str]]:
    """Names declared in the calling function (parameters and locals): (kind, type key); a name
    declared twice with different types maps to (None, "")."""
    kinds: dict[str, tuple[str | None, str]] = {}
    if func is None:
        return kinds
    stack = [func]
    while stack:
        node = stack.pop()
        if node.type in ("parameter_declaration", "declaration"):
            base = node.child_by_field_name("type")
            base_kind = _base_kind(src, base)
            for decl in node.children_by_field_name("declarator"):
                name, pointer = _declarator(decl)
                if name is None:
                    continue
                kind = POINTER if pointer else base_kind
                name_s = _text(src, name)
                key = _type_key(_text(src, base) + "*" * pointer) if base is not None and pointer < 2 else ""
                if name_s in kinds and kinds[name_s] != (kind, key):
                    kinds[name_s] = (None, "")
                else:
                    kinds[name_s] = (kind, key)
            continue
        if node.type in ("function_definition", "compound_statement", "function_declarator",
                         "parameter_list", "for_statement", "if_statement", "while_statement",
                         "do_statement", "switch_statement", "case_statement", "labeled_statement",
                         "else_clause"):
            stack.extend(node.named_children)
    return kinds


def _base_kind(src: bytes, node: Node | None) -> str | None:
    if node is None:
        return None
    if node.type in ("primitive_type", "sized_type_specifier"):
        return None if _text(src, node) == "bool" else INTEGER
    if node.type == "type_identifier":
        name = _text(src, node)
        return INTEGER if name in _INT_TYPE_NAMES and name != "bool" else None
    if node.type == "enum_specifier":
        return INTEGER
    return None  # structs by value, unknown typedefs


def _declarator(node: Node) -> tuple[Node | None, int]:
    """(identifier, levels of pointer or array) of a declarator."""
    pointer = 0
    while node is not None:
        if node.type == "identifier":
            return node, pointer
        if node.type in ("pointer_declarator", "array_declarator"):
            pointer += 1
        elif node.type == "function_declarator":
            return None, False  # a function or function pointer: not compared
        nxt = node.child_by_field_name("declarator")
        if nxt is None:
            return None, False
        node = nxt
    return None, False


def _arg_kind(src: bytes, node: Node, declared: Mapping[str, tuple[str | None, str]]) -> str | None:
    t = node.type
    if t == "parenthesized_expression" and node.named_child_count == 1:
        return _arg_kind(src, node.named_children[0], declared)
    if t == "number_literal":
        text = _text(src, node).rstrip("uUlL")
        return ZERO if text in ("0", "0x0", "00") else INTEGER
    if t == "null":
        return ZERO
    if t in ("string_literal", "concatenated_string"):
        return POINTER
    if t == "char_literal" or t == "sizeof_expression":
        return INTEGER
    if t == "pointer_expression":
        return POINTER if _text(src, node).startswith("&") else None
    if t == "cast_expression":
        desc = node.child_by_field_name("type")
        if desc is None:
            return None
        if any(c.type == "abstract_pointer_declarator" for c in desc.children):
            return POINTER
        base = desc.child_by_field_name("type")
        return _base_kind(src, base)
    if t == "identifier":
        return declared.get(_text(src, node), (None, ""))[0]
    return None


def _enclosing_function(node: Node) -> Node | None:
    while node is not None and node.type != "function_definition":
        node = node.parent
    return node


def check_source(path: str, src: bytes, sigs: Mapping[str, Signature | None]) -> tuple[list[Finding], int]:
    """Findings for the trace_<event>() calls in one C file, and how many calls were checked."""
    if b"trace_" not in src:
        return [], 0
    if not any(sigs.get("trace_" + n.decode("ascii", "replace")) is not None for n in set(_CALL.findall(src))):
        return [], 0
    tree = _PARSER.parse(src)
    findings: list[Finding] = []
    checked = 0
    declared_cache: dict[int, dict[str, tuple[str | None, str]]] = {}
    for _, caps in QueryCursor(_CALLS).matches(tree.root_node):
        fn = caps["fn"][0]
        sig = sigs.get(_text(src, fn))
        if sig is None:
            continue
        args_node = caps["args"][0]
        args = [c for c in args_node.named_children if c.type != "comment"]
        if any(a.type == "ERROR" for a in args) or args_node.has_error:
            continue  # a macro tree-sitter could not read: no reliable argument list
        checked += 1
        func = _enclosing_function(fn)
        key = func.id if func is not None else -1
        if key not in declared_cache:
            declared_cache[key] = _declared_kinds(src, func)
        findings += _check_call(path, src, fn, args, sig, declared_cache[key])
    return findings, checked


def _check_call(
    path: str, src: bytes, fn: Node, args: list[Node], sig: Signature,
    declared: Mapping[str, tuple[str | None, str]],
) -> list[Finding]:
    name = _text(src, fn)
    line = fn.start_point[0] + 1
    proto = ", ".join(p.text for p in sig.params) or "void"
    where = f"TP_PROTO({proto}) of {sig.event} ({sig.header}:{sig.line})"
    texts = [_text(src, a) for a in args]
    if len(args) != len(sig.params):
        return [Finding(
            path, line, RULE,
            f"{name}() passes {len(args)} argument{'s' if len(args) != 1 else ''} but {where} "
            f"declares {len(sig.params)}; pass one value per TP_PROTO parameter",
            ERROR, sig.event,
        )]
    findings: list[Finding] = []
    pnames = [p.name for p in sig.params]
    idents = [t if a.type == "identifier" else None for a, t in zip(args, texts, strict=True)]
    misplaced = {i: pnames.index(n) for i, n in enumerate(idents) if n in pnames and n != pnames[i]}
    for i in list(misplaced):
        # The caller's own declaration decides when it is known: a variable whose type is exactly
        # the type of the slot it is passed in is in the right place, whatever its name says.
        _, key = declared.get(texts[i], (None, ""))
        here, home = sig.params[i].type_key, sig.params[misplaced[i]].type_key
        if key and here != home and key == here:
            del misplaced[i]
    if misplaced:
        # A permutation: every misplaced name's home slot holds a misplaced name too.
        certain = all(j in misplaced for j in misplaced.values())
        fixed = list(texts)
        if certain:
            for i, j in misplaced.items():
                fixed[j] = texts[i]
        parts = [f"'{texts[i]}' is argument {i + 1} but TP_PROTO parameter {j + 1}"
                 for i, j in sorted(misplaced.items())]
        if certain:
            msg = (f"{name}() passes arguments in a different order than {where}: "
                   f"{'; '.join(parts)}; write {name}({', '.join(fixed)})")
            findings.append(Finding(path, line, RULE, msg, ERROR, sig.event))
        else:
            i = min(misplaced)
            j = misplaced[i]
            _, key = declared.get(texts[i], (None, ""))
            here, home = sig.params[i].type_key, sig.params[j].type_key
            if key and key == home and key != here:
                # Named like parameter j and declared with exactly its type, but passed in a slot
                # of another type: it belongs in slot j; what slot i needs is not at hand.
                msg = (f"{name}() passes '{texts[i]}' ({key}) as argument {i + 1}, the TP_PROTO "
                       f"parameter '{sig.params[i].text}' of {sig.event} ({sig.header}:{sig.line}), "
                       f"but it is the value of parameter {j + 1} '{sig.params[j].text}' (same name, "
                       f"same type), which receives '{texts[j]}' instead; pass '{texts[i]}' as "
                       f"argument {j + 1} and a '{sig.params[i].text}' value as argument {i + 1}")
                findings.append(Finding(path, line, RULE, msg, ERROR, sig.event))
            else:
                msg = (f"{name}() passes '{texts[i]}' as argument {i + 1}, the TP_PROTO parameter "
                       f"'{sig.params[i].text}' of {sig.event} ({sig.header}:{sig.line}), but it is "
                       f"named like parameter {j + 1} '{sig.params[j].text}', which receives "
                       f"'{texts[j]}'; check which values the event should get")
                findings.append(Finding(path, line, RULE, msg, WARNING, sig.event))
    for i, (arg, param) in enumerate(zip(args, sig.params, strict=True)):
        if i in misplaced:
            continue
        kind = _arg_kind(src, arg, declared)
        if kind is None or param.kind is None or kind == ZERO or kind == param.kind:
            continue
        what = "a pointer" if kind == POINTER else "an integer"
        findings.append(Finding(
            path, arg.start_point[0] + 1, RULE,
            f"{name}() argument {i + 1} '{texts[i]}' is {what}, but TP_PROTO parameter "
            f"'{param.text}' of {sig.event} ({sig.header}:{sig.line}) is "
            f"{'a pointer' if param.kind == POINTER else 'an integer'}; pass the "
            f"{'pointer' if param.kind == POINTER else 'value'} the event expects",
            ERROR, sig.event,
        ))
    return findings
