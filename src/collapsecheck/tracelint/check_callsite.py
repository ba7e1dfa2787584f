"""Rule T4: what call sites pass to ``trace_<event>()``.

Arguments are evaluated at the call site whether or not the event is enabled, so a tracepoint
should take the object and dereference it in TP_fast_assign (045634ff1e86 moved
``file->f_path.dentry->d_iname`` from the caller of mm_khugepaged_scan_file into the event).
Reported, conservatively: a C string parameter fed by a '->' chain (error); a scalar fed by a
'->' chain whose root object the call already passes (warning); arguments named like TP_PROTO
parameters but passed in other positions (error); a wrong argument count (error). This module must
not read the header itself, only the events built from it.
"""

from __future__ import annotations

from collections.abc import Sequence

from pycparser import c_ast

from collapsecheck.tracelint.cparse import parse_expression
from collapsecheck.tracelint.ctype import describe
from collapsecheck.tracelint.events import Event
from collapsecheck.tracelint.invocations import Invocation, parse_call
from collapsecheck.tracelint.lexer import IDENT, Lexed
from collapsecheck.tracelint.report import ERROR, WARNING, Finding

RULE = "T4"
# trace_<name>_rcuidle (older kernels) and trace_<name>_tp (what newer kernels' DECLARE_TRACE
# defines) call the same tracepoint with the same prototype.
_SUFFIXES = ("", "_rcuidle", "_tp")


def _callable(events: Sequence[Event]) -> dict[str, Event]:
    by_call: dict[str, Event] = {}
    for ev in events:
        if ev.is_class:
            continue  # a class defines no trace_<class>() of its own
        for suffix in _SUFFIXES:
            by_call.setdefault(f"trace_{ev.name}{suffix}", ev)
    return by_call


def check(events: Sequence[Event], sources: Sequence[Lexed]) -> list[Finding]:
    by_call = _callable(events)
    findings: list[Finding] = []
    for src in sources:
        toks = src.tokens
        for i in range(len(toks) - 1):
            tok = toks[i]
            if tok.kind != IDENT or tok.text not in by_call or not toks[i + 1].is_punct("("):
                continue
            if i > 0 and (toks[i - 1].is_punct(".") or toks[i - 1].is_punct("->")):
                continue  # a struct member that happens to share the name
            call = parse_call(toks, i, src.path)
            findings += _check_call(by_call[tok.text], call, src.path)
    return findings


def _root_chain(node: c_ast.Node) -> tuple[str, bool] | None:
    """For a member chain like ``file->f_path.dentry->d_iname``: (root name, uses '->')."""
    arrow = False
    while isinstance(node, (c_ast.StructRef, c_ast.ArrayRef)):
        if isinstance(node, c_ast.StructRef):
            arrow = arrow or node.type == "->"
            node = node.name
        else:
            node = node.name
    if isinstance(node, c_ast.ID):
        return node.name, arrow
    return None


def _check_call(ev: Event, call: Invocation, path: str) -> list[Finding]:
    fn = call.name
    if len(call.args) != len(ev.proto):
        return [
            Finding(
                path, call.line, RULE,
                f"{fn}() passes {len(call.args)} arguments but TP_PROTO of {ev.name} "
                f"({ev.path}:{ev.proto_line}) declares {len(ev.proto)}",
                ERROR, ev.name,
            )
        ]
    findings: list[Finding] = []
    names = [a.single_ident() for a in call.args]
    pnames = [p.name for p in ev.proto]
    misplaced = [
        (i, n) for i, n in enumerate(names) if n is not None and n in pnames and n != pnames[i]
    ]
    if misplaced:
        homes = {i: pnames.index(n) for i, n in misplaced}
        # Only a permutation (every misplaced name's own slot holds a misplaced name too) makes
        # the fix certain; a one-sided match needs a human (see callsites.py for the tree mode).
        certain = all(j in homes for j in homes.values())
        parts = []
        for i, n in misplaced:
            j = pnames.index(n)
            parts.append(f"'{n}' is argument {i + 1} but TP_PROTO parameter {j + 1}")
        slot_notes = []
        for i, n in misplaced:
            src, slot = ev.proto[pnames.index(n)], ev.proto[i]
            if slot.ctype.kind == "bool" and src.ctype.kind != "bool":
                slot_notes.append(
                    f"'{n}' ({describe(src.ctype)}) lands in the bool '{slot.name}' and becomes 0/1"
                )
        note = "; " + "; ".join(slot_notes) if slot_notes else ""
        texts = [a.text for a in call.args]
        if certain:
            fixed = list(texts)
            for i, j in homes.items():
                fixed[j] = texts[i]
            findings.append(
                Finding(
                    path, call.args[misplaced[0][0]].line, RULE,
                    f"{fn}() passes arguments in a different order than TP_PROTO of {ev.name} "
                    f"({', '.join(p.text for p in ev.proto)}): {'; '.join(parts)}{note}; pass them in "
                    f"TP_PROTO order: {fn}({', '.join(fixed)})",
                    ERROR, ev.name,
                )
            )
        else:
            i, n = misplaced[0]
            j = homes[i]
            findings.append(
                Finding(
                    path, call.args[i].line, RULE,
                    f"{fn}() passes '{n}' as argument {i + 1}, the TP_PROTO parameter "
                    f"'{ev.proto[i].text}' of {ev.name}, but it is named like parameter {j + 1} "
                    f"'{ev.proto[j].text}', which receives '{texts[j]}'{note}; check which values "
                    "the event should get",
                    WARNING, ev.name,
                )
            )
    passed_whole = {n for n in names if n is not None}
    for i, (arg, param) in enumerate(zip(call.args, ev.proto, strict=True)):
        node = parse_expression(arg.tokens, path)
        chain = _root_chain(node) if node is not None else None
        if chain is None or not chain[1]:
            continue
        root, _ = chain
        if param.ctype.is_string:
            fix = (
                f"the event already receives '{root}', so derive the string from it"
                if root in passed_whole
                else f"pass '{root}' to the tracepoint and dereference it"
            )
            findings.append(
                Finding(
                    path, arg.line, RULE,
                    f"{fn}() argument {i + 1} '{arg.text}' dereferences '{root}' at the call site "
                    f"to fill '{param.text}', even when the event is disabled; {fix} in "
                    "TP_fast_assign (__string()/__assign_str())",
                    ERROR, ev.name,
                )
            )
        elif root in passed_whole and param.ctype.kind in ("int", "bool", "enum", "pointer"):
            findings.append(
                Finding(
                    path, arg.line, RULE,
                    f"{fn}() argument {i + 1} '{arg.text}' dereferences '{root}', which the call "
                    f"already passes; derive '{param.name}' from it in TP_fast_assign instead",
                    WARNING, ev.name,
                )
            )
    return findings
