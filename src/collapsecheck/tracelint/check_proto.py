"""Rule T1: TP_PROTO and TP_ARGS must list the same names in the same order.

``trace_<event>()`` is declared with the TP_PROTO parameters but forwards TP_ARGS, by position, to
probes declared with TP_PROTO again (include/linux/tracepoint.h). A permutation therefore moves
values between slots and converts them to the slot's type: the 4c9473e87e75 tracepoint delivered
``addr`` through a ``bool`` slot and printed ``addr=1``. A DEFINE_EVENT also has to match its class's
prototype, whose probe and TP_fast_assign it reuses. This module must not look at fields or printk.
"""

from __future__ import annotations

from collections.abc import Sequence

from collapsecheck.tracelint.cparse import Declared
from collapsecheck.tracelint.ctype import describe
from collapsecheck.tracelint.events import Event
from collapsecheck.tracelint.report import ERROR, WARNING, Finding

RULE = "T1"


def check(events: Sequence[Event]) -> list[Finding]:
    # Any event with a TP_STRUCT__entry defines a class: TRACE_EVENT(x) is DECLARE_EVENT_CLASS(x)
    # plus DEFINE_EVENT(x, x), so a DEFINE_EVENT may name a TRACE_EVENT as its template.
    classes: dict[str, Event] = {}
    for ev in events:
        if ev.fields is not None:
            classes.setdefault(ev.name, ev)
    findings: list[Finding] = []
    for ev in events:
        findings += _proto_vs_args(ev)
        if ev.template is not None:
            findings += _against_class(ev, classes.get(ev.template))
    return findings


def _count(n: int, word: str) -> str:
    return f"{n} {word}" + ("" if n == 1 else "s")


def _window(items: Sequence[str], lo: int, hi: int) -> str:
    """'..., a, b, ...': the items from lo to hi, with ellipses for what is cut off."""
    shown = list(items[lo : hi + 1])
    if lo > 0:
        shown.insert(0, "...")
    if hi < len(items) - 1:
        shown.append("...")
    return ", ".join(shown)


def _proto_vs_args(ev: Event) -> list[Finding]:
    label = ev.name
    findings: list[Finding] = []
    pnames = [p.name for p in ev.proto]
    bad = [a for a in ev.args if a.name is None]
    for a in bad:
        findings.append(
            Finding(
                ev.path,
                a.line,
                RULE,
                f"{label}: TP_ARGS entry '{a.text or '(empty)'}' is not a parameter name; TP_ARGS "
                f"must repeat the TP_PROTO names ({', '.join(pnames)})",
                ERROR,
                ev.name,
            )
        )
    if bad:
        return findings
    anames = [a.name for a in ev.args if a.name is not None]
    seen: set[str] = set()
    for a in ev.args:
        if a.name in seen:
            findings.append(
                Finding(
                    ev.path, a.line, RULE,
                    f"{label}: TP_ARGS names '{a.name}' twice; each TP_PROTO parameter must appear once",
                    ERROR, ev.name,
                )
            )
        seen.add(a.name or "")
    if findings:
        return findings
    if anames == pnames:
        return []
    if sorted(anames) == sorted(pnames):
        return [_permutation(ev, anames)]
    missing = [p for p in pnames if p not in anames]
    extra = [a for a in anames if a not in pnames]
    parts = []
    if missing:
        parts.append("it lacks " + ", ".join(f"'{m}'" for m in missing))
    if extra:
        parts.append(", ".join(f"'{x}'" for x in extra) + (" is" if len(extra) == 1 else " are")
                     + " not a TP_PROTO parameter" + ("" if len(extra) == 1 else "s"))
    line = next((a.line for a in ev.args if a.name in extra), ev.args_line)
    return [
        Finding(
            ev.path,
            line,
            RULE,
            f"{label}: TP_ARGS({', '.join(anames)}) has {_count(len(anames), 'name')} but TP_PROTO "
            f"declares {_count(len(pnames), 'parameter')} ({', '.join(pnames)}): {'; '.join(parts)}; "
            "TP_ARGS must "
            "repeat the TP_PROTO names in the same order",
            ERROR,
            ev.name,
        )
    ]


def _permutation(ev: Event, anames: list[str]) -> Finding:
    proto = ev.proto
    diff = [i for i, (a, p) in enumerate(zip(anames, proto, strict=True)) if a != p.name]
    lo, hi = diff[0], diff[-1]
    consequences = []
    for i in diff:
        src = ev.param(anames[i])
        slot = proto[i]
        if src is None or src.ctype.canonical() == slot.ctype.canonical():
            continue
        text = (
            f"'{src.name}' ({describe(src.ctype)}) arrives in the {slot.ctype.spelling} slot "
            f"'{slot.name}'"
        )
        if slot.ctype.kind == "bool" and src.ctype.kind != "bool":
            text += " and collapses to 0/1"
        consequences.append(text)
    consequence = (
        "; " + "; ".join(consequences) if consequences else "; the values are swapped between parameters"
    )
    return Finding(
        ev.path,
        proto[lo].line,
        RULE,
        f"{ev.name}: TP_ARGS({_window(anames, lo, hi)}) lists the parameters in a different order "
        f"than TP_PROTO({_window([p.text for p in proto], lo, hi)}); values are forwarded by "
        f"position and converted to the TP_PROTO types{consequence}; reorder TP_PROTO or TP_ARGS "
        "so both list the same names in the same order",
        ERROR,
        ev.name,
    )


def _comparable(a: Declared, b: Declared) -> bool:
    # An unresolved typedef on one side only may well be the same type: stay silent.
    return (a.ctype.kind == "unknown") == (b.ctype.kind == "unknown")


def _against_class(ev: Event, cls: Event | None) -> list[Finding]:
    if cls is None:
        return [
            Finding(
                ev.path,
                ev.line,
                RULE,
                f"{ev.name}: event class '{ev.template}' is not defined in this header, so its "
                "TP_PROTO cannot be compared with this event's",
                WARNING,
                ev.name,
            )
        ]
    if len(ev.proto) != len(cls.proto):
        return [
            Finding(
                ev.path,
                ev.proto_line,
                RULE,
                f"{ev.name}: TP_PROTO has {len(ev.proto)} parameters but its class {cls.name} "
                f"(line {cls.proto_line}) declares {len(cls.proto)}; a {ev.macro} must use the "
                "class's prototype",
                ERROR,
                ev.name,
            )
        ]
    findings: list[Finding] = []
    for i, (p, q) in enumerate(zip(ev.proto, cls.proto, strict=True)):
        if _comparable(p, q) and p.ctype.canonical() != q.ctype.canonical():
            findings.append(
                Finding(
                    ev.path,
                    p.line,
                    RULE,
                    f"{ev.name}: TP_PROTO parameter {i + 1} '{p.text}' differs from '{q.text}' in "
                    f"class {cls.name} (line {q.line}); the class probe reads it as "
                    f"{describe(q.ctype)}, so declare it with the class's type",
                    ERROR,
                    ev.name,
                )
            )
    pnames = [p.name for p in ev.proto]
    cnames = [q.name for q in cls.proto]
    if pnames != cnames and sorted(pnames) == sorted(cnames):
        diff = [i for i, (a, b) in enumerate(zip(pnames, cnames, strict=True)) if a != b]
        lo, hi = diff[0], diff[-1]
        findings.append(
            Finding(
                ev.path,
                ev.proto[lo].line,
                RULE,
                f"{ev.name}: TP_PROTO names ({_window(pnames, lo, hi)}) are those of class "
                f"{cls.name} in another order ({_window(cnames, lo, hi)}); the class's "
                "TP_fast_assign reads them by position, so the values are swapped; use the "
                "class's order",
                ERROR,
                ev.name,
            )
        )
    return findings
