"""Parse a TP_printk format into its conversions, in the dialect of the kernel's vsnprintf.

TP_printk output is produced by lib/vsprintf.c, not libc: length modifiers are h, hh, l, ll, L,
z, Z and t (no j or q), floating point does not exist, %n is refused, and %p swallows every
alphanumeric character after it as an extension (%pS, %pI4, %pISpc). An invalid conversion makes
vsnprintf stop, since the remaining arguments can no longer be located. This module must not look
at the arguments; the T3 check pairs them with the conversions.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

_FLAGS = "-+ #0"
_LENGTHS = ("hh", "ll", "h", "l", "L", "z", "Z", "t")
_INTEGER = "diouxXc"


@dataclass(frozen=True, slots=True)
class Conversion:
    text: str  # as written, e.g. "%-08lx"
    conv: str  # d i o u x X c s p, or the offending character
    length: str
    ext: str  # the letters after %p
    line: int
    stars: int  # '*' width/precision: each takes an int argument before the value
    problem: str | None = None  # why the kernel cannot print this conversion

    @property
    def is_integer(self) -> bool:
        return self.problem is None and self.conv in _INTEGER


def parse_format(segments: Sequence[tuple[str, int]]) -> list[Conversion]:
    """Conversions of a format given as (literal body, line) pieces, in order; '%%' is skipped."""
    text = "".join(body for body, _ in segments)
    lines: list[int] = []
    for body, line in segments:
        lines.extend([line] * len(body))
    out: list[Conversion] = []
    i = 0
    n = len(text)
    while i < n:
        if text[i] != "%":
            i += 1
            continue
        start = i
        line = lines[i]
        i += 1
        if i < n and text[i] == "%":
            i += 1
            continue
        while i < n and text[i] in _FLAGS:
            i += 1
        stars = 0
        if i < n and text[i] == "*":
            stars += 1
            i += 1
        else:
            while i < n and text[i].isdigit():
                i += 1
        if i < n and text[i] == ".":
            i += 1
            if i < n and text[i] == "*":
                stars += 1
                i += 1
            else:
                while i < n and text[i].isdigit():
                    i += 1
        length = ""
        for candidate in _LENGTHS:
            if text.startswith(candidate, i):
                length = candidate
                i += len(candidate)
                break
        if i >= n:
            out.append(
                Conversion(text[start:], "", length, "", line, stars,
                           "the format ends in the middle of a conversion")
            )
            break
        conv = text[i]
        i += 1
        ext = ""
        problem = None
        if conv == "p":
            j = i
            while j < n and text[j].isalnum():
                j += 1
            ext = text[i:j]
            i = j
        elif conv == "n":
            problem = "the kernel's vsnprintf refuses %n"
        elif conv in "eEfFgGaA":
            problem = "the kernel's vsnprintf has no floating-point conversions"
        elif conv in "jq":
            problem = f"the kernel's vsnprintf has no '{conv}' length modifier; use l or ll"
        elif conv not in _INTEGER and conv != "s":
            problem = f"'{conv}' is not a conversion the kernel's vsnprintf knows"
        out.append(Conversion(text[start:i], conv, length, ext, line, stars, problem))
    return out
