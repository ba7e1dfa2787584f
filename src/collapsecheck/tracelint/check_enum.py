"""Rules T5 and T6: an ``EM()``/``EMe()`` list such as SCAN_STATUS and the enum it mirrors.

The list is expanded twice (TRACE_DEFINE_ENUM, then ``{code, "string"}`` pairs for
``__print_symbolic``), so the last entry must be ``EMe()`` (no separator) and only the last. Printing
is a lookup by value: a missing enum value prints as a bare number and user tools cannot decode it
(T5, error), while a different order has no runtime effect (T6, warning; spec section 7.2).
This module must not read files: it compares lists and enums already read.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from collapsecheck.tracelint.cenum import CEnum
from collapsecheck.tracelint.events import EmList
from collapsecheck.tracelint.report import ERROR, WARNING, Finding

RULE = "T5"
ORDER_RULE = "T6"
# A last enum member named like a count is a sentinel, not a status (e.g. NR_MIGRATE_REASON).
_SENTINEL = re.compile(r"^(NR_|__|MAX_)|(_MAX|_NR|_COUNT|_NUM|_LAST|_TYPES)$")


def check_shape(lst: EmList, path: str) -> list[Finding]:
    """Duplicates and EMe placement: checkable from the header alone."""
    findings: list[Finding] = []
    first: dict[str, int] = {}
    for e in lst.entries:
        if e.code in first:
            findings.append(
                Finding(
                    path, e.line, RULE,
                    f"{lst.name}: {e.code} is listed twice (first at line {first[e.code]}); "
                    "__print_symbolic uses the first match, so remove this entry",
                    ERROR,
                )
            )
        else:
            first[e.code] = e.line
    last = lst.entries[-1]
    if not last.terminator:
        findings.append(
            Finding(
                path, last.line, RULE,
                f"{lst.name}: the last entry EM({last.code}, {last.string}) leaves a trailing comma, "
                f"so __print_symbolic(x, {lst.name}) expands to '..., {{{last.code}, {last.string}}}, "
                ", { -1, NULL }' and does not compile; write the last entry as EMe()",
                ERROR,
            )
        )
    for k, e in enumerate(lst.entries[:-1]):
        if e.terminator:
            after = lst.entries[k + 1]
            findings.append(
                Finding(
                    path, e.line, RULE,
                    f"{lst.name}: {e.macro}({e.code}, ...) is not the last entry; {e.macro}() has no trailing "
                    f"comma, so {after.code} on line {after.line} runs into it; use EM() here and "
                    "EMe() only for the last entry",
                    ERROR,
                )
            )
    return findings


def best_enum(lst: EmList, enums: Sequence[CEnum]) -> CEnum | None:
    """The enum sharing the most names with the list, if it covers at least half of the list."""
    codes = {e.code for e in lst.entries}
    best: CEnum | None = None
    best_overlap = 0
    for en in enums:
        overlap = len(codes & {m.name for m in en.members})
        if overlap > best_overlap:
            best, best_overlap = en, overlap
    if best is None or 2 * best_overlap < len(codes):
        return None
    return best


def _longest_increasing(seq: Sequence[int]) -> set[int]:
    """Positions of one longest strictly increasing subsequence (patience sorting)."""
    tails: list[int] = []  # position in seq of the smallest tail of each length
    prev: list[int] = [-1] * len(seq)
    for i, v in enumerate(seq):
        lo, hi = 0, len(tails)
        while lo < hi:
            mid = (lo + hi) // 2
            if seq[tails[mid]] < v:
                lo = mid + 1
            else:
                hi = mid
        if lo > 0:
            prev[i] = tails[lo - 1]
        if lo == len(tails):
            tails.append(i)
        else:
            tails[lo] = i
    keep: set[int] = set()
    k = tails[-1] if tails else -1
    while k >= 0:
        keep.add(k)
        k = prev[k]
    return keep


def check_against_enum(lst: EmList, en: CEnum, path: str) -> list[Finding]:
    findings: list[Finding] = []
    codes = [e.code for e in lst.entries]
    listed = set(codes)
    names = [m.name for m in en.members]
    members = set(names)
    where = f"{en.name} at {en.path}:{en.line}"
    for k, m in enumerate(en.members):
        if m.name in listed:
            continue
        if k == len(en.members) - 1 and _SENTINEL.search(m.name):
            continue
        before = next((p.name for p in reversed(en.members[:k]) if p.name in listed), None)
        place = f"after EM({before}, ...)" if before else "at the start"
        findings.append(
            Finding(
                path, lst.line, RULE,
                f"{lst.name} has no entry for {m.name} ({en.name}, {en.path}:{m.line}); "
                f"__print_symbolic prints that value as a bare number, so add EM({m.name}, \"...\") "
                f"{place}",
                ERROR,
            )
        )
    seen: set[str] = set()
    for e in lst.entries:
        if e.code not in members and e.code not in seen:
            findings.append(
                Finding(
                    path, e.line, RULE,
                    f"{lst.name}: {e.code} is not a member of {where}; remove the entry or add "
                    "the value to the enum",
                    ERROR,
                )
            )
        seen.add(e.code)
    by_value: dict[int, str] = {}
    for m in en.members:
        if m.value is None or m.name not in listed:
            continue
        if m.value in by_value:
            other = by_value[m.value]
            findings.append(
                Finding(
                    en.path, m.line, RULE,
                    f"{en.name}: {m.name} has the same value ({m.value}) as {other}; "
                    f"{lst.name} is looked up by value, so {m.name} prints as {other}'s string",
                    ERROR,
                )
            )
        else:
            by_value[m.value] = m.name
    findings += _order(lst, en, path)
    return findings


def _order(lst: EmList, en: CEnum, path: str) -> list[Finding]:
    index = {m.name: k for k, m in enumerate(en.members)}
    entries = []
    seen: set[str] = set()
    for e in lst.entries:
        if e.code in index and e.code not in seen:
            entries.append(e)
            seen.add(e.code)
    keep = _longest_increasing([index[e.code] for e in entries])
    findings: list[Finding] = []
    for k, e in enumerate(entries):
        if k in keep:
            continue
        pos = index[e.code]
        pred = f"right after {en.members[pos - 1].name}" if pos > 0 else "first"
        findings.append(
            Finding(
                path, e.line, ORDER_RULE,
                f"{lst.name}: {e.code} is out of {en.name} order (the enum declares it {pred}); "
                "printing looks values up, so this is cosmetic, but following the enum's order "
                "makes gaps easy to spot",
                WARNING,
            )
        )
    return findings
