"""Packs a state tuple into one Python int: a fixed bit field per slot.

A packed state hashes and compares as a single small object (about 40 bytes for a 100-bit state against
300 for a tuple of 50 ints), and a transition becomes ``state + delta`` where ``delta`` depends only on the
slots the step touches. Field ``k`` holds ``value - lo`` in ``width`` bits at ``offset``; elements of one
array are adjacent with equal widths, so ``array[i]`` sits at ``base_offset + i * width`` and a run-time
index costs one multiply. Program counters take the lowest bits. This module only maps between the two
forms; it must not know about steps or properties.
"""

from __future__ import annotations

from dataclasses import dataclass

from collapsecheck.expr.sorts import BoolSort, EnumSort, IntRange, OwnerSort, Sort
from collapsecheck.model.core import Model


def value_range(sort: Sort) -> tuple[int, int]:
    """Smallest and largest value a slot of this (scalar) sort can hold."""
    if isinstance(sort, BoolSort):
        return 0, 1
    if isinstance(sort, IntRange):
        return sort.lo_v, sort.hi_v
    if isinstance(sort, EnumSort):
        return 0, len(sort.members) - 1
    if isinstance(sort, OwnerSort):
        return 0, len(sort.names)
    raise TypeError(f"slot of sort {sort} cannot be packed")


@dataclass(frozen=True)
class Packing:
    offset: tuple[int, ...]
    width: tuple[int, ...]
    lo: tuple[int, ...]
    bits: int
    is_bool: tuple[bool, ...]  # decoded as False/True, as the reference semantics stores them

    @classmethod
    def of(cls, model: Model) -> "Packing":
        lay = model.layout
        n = len(lay)
        order = list(lay.pc_slot) + [k for k in range(n) if k not in set(lay.pc_slot)]
        offset = [0] * n
        width = [0] * n
        lo = [0] * n
        pos = 0
        for k in order:
            a, b = value_range(lay.slots[k].sort)
            lo[k] = a
            width[k] = max(1, (b - a).bit_length())
            offset[k] = pos
            pos += width[k]
        flags = tuple(isinstance(lay.slots[k].sort, BoolSort) for k in range(n))
        return cls(tuple(offset), tuple(width), tuple(lo), pos, flags)

    def field_mask(self, k: int) -> int:
        return ((1 << self.width[k]) - 1) << self.offset[k]

    def mask(self, slots: object) -> int:
        m = 0
        for k in slots:  # type: ignore[attr-defined]
            m |= self.field_mask(k)
        return m

    def encode(self, state: tuple) -> int:
        s = 0
        for k, v in enumerate(state):
            s |= (int(v) - self.lo[k]) << self.offset[k]
        return s

    def decode(self, s: int) -> tuple:
        return tuple(bool((s >> o) & 1) if b else ((s >> o) & ((1 << w) - 1)) + lo
                     for o, w, lo, b in zip(self.offset, self.width, self.lo, self.is_bool))

    def get(self, s: int, k: int) -> int:
        return ((s >> self.offset[k]) & ((1 << self.width[k]) - 1)) + self.lo[k]


__all__ = ["Packing", "value_range"]
