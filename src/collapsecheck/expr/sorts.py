"""Finite sorts of the model language: bool, bounded int, enum, thread owner and fixed-size arrays.

Every value in a state is a small Python int (bools are stored as ``False``/``True``, enums as the member's
index). Sorts know how to show a value and how to enumerate their domain. This module must not import z3 or
anything from the model layer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable, Iterator, Union


@dataclass(frozen=True, slots=True)
class Size:
    """A build-time size (the page count): an int for the explicit engine, a symbol for the symbolic one.

    Models write ``N = m.size("pages", pages)`` and use ``N`` in ``Array(..., N)``, ``IntRange(0, N)`` and
    expressions, so a symbolic engine can replace the value by a free variable.
    """

    name: str
    base: int
    offset: int = 0

    @property
    def value(self) -> int:
        """The concrete number this size stands for (``base + offset``)."""
        return self.base + self.offset

    @property
    def label(self) -> str:
        """How the size prints: ``pages``, ``pages-1``."""
        return self.name if not self.offset else f"{self.name}{self.offset:+d}"

    def __int__(self) -> int:
        return self.value

    def __index__(self) -> int:
        return self.value

    def __add__(self, k: int) -> "Size":
        if not isinstance(k, int) or isinstance(k, bool):
            return NotImplemented
        return Size(self.name, self.base, self.offset + k)

    __radd__ = __add__

    def __sub__(self, k: int) -> "Size":
        if not isinstance(k, int) or isinstance(k, bool):
            return NotImplemented
        return Size(self.name, self.base, self.offset - k)

    def __repr__(self) -> str:
        return f"{self.label}={self.value}"


Bound = Union[int, Size]


def bound_value(b: Bound) -> int:
    return b.value if isinstance(b, Size) else int(b)


class Sort:
    """Base class of sorts. Sorts compare by identity of their parameters (dataclass equality)."""

    __slots__ = ()

    def values(self) -> Iterator[int]:
        raise NotImplementedError

    def contains(self, v: int) -> bool:
        raise NotImplementedError

    def show(self, v: object) -> str:
        return str(v)

    @property
    def is_scalar(self) -> bool:
        return not isinstance(self, ArraySort)


@dataclass(frozen=True, slots=True)
class BoolSort(Sort):
    def values(self) -> Iterator[int]:
        yield False
        yield True

    def contains(self, v: int) -> bool:
        return v in (0, 1)

    def show(self, v: object) -> str:
        return "true" if v else "false"

    def __str__(self) -> str:
        return "bool"


BOOL = BoolSort()


@dataclass(frozen=True, slots=True)
class IntRange(Sort):
    """Integers ``lo..hi`` inclusive. A bound may be a :class:`Size` (e.g. ``IntRange(0, N)``)."""

    lo: Bound
    hi: Bound

    def __post_init__(self) -> None:
        if bound_value(self.lo) > bound_value(self.hi):
            raise ValueError(f"IntRange({self.lo}, {self.hi}) is empty: lo must be <= hi")

    @property
    def lo_v(self) -> int:
        return bound_value(self.lo)

    @property
    def hi_v(self) -> int:
        return bound_value(self.hi)

    def values(self) -> Iterator[int]:
        return iter(range(self.lo_v, self.hi_v + 1))

    def contains(self, v: int) -> bool:
        return not isinstance(v, bool) and self.lo_v <= v <= self.hi_v

    def __str__(self) -> str:
        return f"{self.lo_v}..{self.hi_v}"


# ``Slot.HOLE`` is an expression (``nodes.Const``), but nodes.py imports this module: it installs Const here
# when it is imported (the package's __init__ makes sure it is), so this module does not import it back.
MEMBER_CONST: Callable[["EnumSort", int], Any] | None = None


@dataclass(frozen=True, slots=True, eq=False)
class EnumSort(Sort):
    """A named enumeration; ``Slot.HOLE`` is the constant for member ``HOLE``.

    Enum sorts compare by identity: two enums with the same members are still different types.
    """

    name: str
    members: tuple[str, ...]

    def __post_init__(self) -> None:
        if len(set(self.members)) != len(self.members) or not self.members:
            raise ValueError(f"enum {self.name}: members must be distinct and non-empty: {self.members}")

    def index(self, member: str) -> int:
        try:
            return self.members.index(member)
        except ValueError:
            raise KeyError(member) from None

    def __getattr__(self, member: str):  # Slot.HOLE -> Const
        members = object.__getattribute__(self, "members")
        if member in members:
            assert MEMBER_CONST is not None, "collapsecheck.expr.nodes installs the member constructor on import"
            return MEMBER_CONST(self, members.index(member))
        raise AttributeError(f"enum {object.__getattribute__(self, 'name')} has no member {member!r}; "
                             f"members are {', '.join(members)}")

    def values(self) -> Iterator[int]:
        return iter(range(len(self.members)))

    def contains(self, v: int) -> bool:
        return not isinstance(v, bool) and 0 <= v < len(self.members)

    def show(self, v: object) -> str:
        return self.members[v] if isinstance(v, int) and 0 <= v < len(self.members) else f"?{v}"

    def __str__(self) -> str:
        return self.name

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other


def Enum(name: str, members: str | tuple[str, ...] | list[str]) -> EnumSort:
    """``Enum("Slot", "HOLE PAGE RETRY HUGE")`` or with a list of member names."""
    if isinstance(members, str):
        members = tuple(members.replace(",", " ").split())
    return EnumSort(name, tuple(members))


@dataclass(frozen=True, slots=True, eq=False)
class OwnerSort(Sort):
    """Who holds a lock: 0 is nobody, k is the k-th thread (1-based). Members are known once threads are.

    One per model; the builder appends thread names as threads are declared.
    """

    names: list[str]

    def values(self) -> Iterator[int]:
        return iter(range(len(self.names) + 1))

    def contains(self, v: int) -> bool:
        return not isinstance(v, bool) and 0 <= v <= len(self.names)

    def show(self, v: object) -> str:
        if v == 0:
            return "nobody"
        if isinstance(v, int) and 1 <= v <= len(self.names):
            return self.names[v - 1]
        return f"?{v}"

    def __str__(self) -> str:
        return "owner"

    def __hash__(self) -> int:
        return id(self)

    def __eq__(self, other: object) -> bool:
        return self is other


@dataclass(frozen=True, slots=True)
class ArraySort(Sort):
    """A fixed-size array ``elem[size]``, indexed ``0..size-1`` (by page index in the kernel models)."""

    elem: Sort
    size: Bound

    def __post_init__(self) -> None:
        if not self.elem.is_scalar:
            raise ValueError("arrays of arrays are not supported; use one array per dimension")
        if bound_value(self.size) < 1:
            raise ValueError(f"array size must be >= 1, got {self.size}")

    @property
    def size_v(self) -> int:
        return bound_value(self.size)

    def values(self) -> Iterator[int]:
        raise TypeError("an array sort has no scalar domain")

    def contains(self, v: int) -> bool:
        return False

    def __str__(self) -> str:
        return f"{self.elem}[{self.size_v}]"


def Array(elem: Sort, size: Bound) -> ArraySort:
    return ArraySort(elem, size)


def is_intlike(s: Sort) -> bool:
    return isinstance(s, IntRange)


def compatible(a: Sort, b: Sort) -> bool:
    """Whether values of sorts a and b may be compared or assigned to each other."""
    if isinstance(a, IntRange) and isinstance(b, IntRange):
        return True
    if isinstance(a, ArraySort) and isinstance(b, ArraySort):
        return a.size_v == b.size_v and compatible(a.elem, b.elem)
    return a == b
