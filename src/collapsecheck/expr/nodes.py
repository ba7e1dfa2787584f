"""Expression trees of the model language: a closed set of immutable node classes.

Nodes are built by operator overloading (``x == 1``, ``n + 1``, ``slot[i]``) and by the connective functions
(``And``, ``Or``, ``Not``, ``Implies``, ``Ite``, ``ForAll``, ``Exists``, ``Count``, ``ArrayOf``). Every node
knows its sort and is type-checked when it is built, so a mistake is reported at the model line that made it.
Expressions refuse to be Python booleans: ``if x == 1`` in a model raises. This module must not import z3,
the model layer or the engines; interpreters live in ``evaluate.py`` (Python), ``explicit/codegen.py``
(generated Python) and ``symbolic/`` (Z3).
"""

from __future__ import annotations

from typing import Callable, Iterator, Sequence

from collapsecheck.errors import ModelTypeError, SourceLoc, caller_loc
from collapsecheck.expr import sorts as _sorts
from collapsecheck.expr.sorts import (
    BOOL,
    ArraySort,
    BoolSort,
    Bound,
    EnumSort,
    IntRange,
    OwnerSort,
    Size,
    Sort,
    bound_value,
    compatible,
)

BOOL_MISUSE = ("collapsecheck expressions are symbolic: use And/Or/Not/Implies/Ite, not and/or/not/if "
               "(a Python 'if' may only test build-time parameters)")


class Expr:
    """Base class of expression nodes. Subclasses set ``sort`` and implement ``children``."""

    __slots__ = ("sort",)
    sort: Sort

    def children(self) -> tuple["Expr", ...]:
        return ()

    def __bool__(self) -> bool:
        raise TypeError(BOOL_MISUSE)

    __hash__ = object.__hash__

    def __eq__(self, other: object) -> "Expr":  # type: ignore[override]
        return Cmp("==", self, other)

    def __ne__(self, other: object) -> "Expr":  # type: ignore[override]
        return Cmp("!=", self, other)

    def __lt__(self, other: object) -> "Expr":
        return Cmp("<", self, other)

    def __le__(self, other: object) -> "Expr":
        return Cmp("<=", self, other)

    def __gt__(self, other: object) -> "Expr":
        return Cmp(">", self, other)

    def __ge__(self, other: object) -> "Expr":
        return Cmp(">=", self, other)

    def __add__(self, other: object) -> "Expr":
        return Arith("+", self, other)

    def __radd__(self, other: object) -> "Expr":
        return Arith("+", other, self)

    def __sub__(self, other: object) -> "Expr":
        return Arith("-", self, other)

    def __rsub__(self, other: object) -> "Expr":
        return Arith("-", other, self)

    def __and__(self, other: object) -> "Expr":
        raise TypeError("use And(a, b) instead of a & b: operator precedence of & makes it error-prone")

    __rand__ = __and__

    def __or__(self, other: object) -> "Expr":
        raise TypeError("use Or(a, b) instead of a | b: operator precedence of | makes it error-prone")

    __ror__ = __or__

    def __invert__(self) -> "Expr":
        raise TypeError("use Not(a) instead of ~a")

    def __getitem__(self, index: object) -> "Expr":
        if not isinstance(self.sort, ArraySort):
            raise ModelTypeError(f"cannot index {show(self)}: it is a {self.sort}, not an array")
        return Elem(self, index)

    def __iter__(self) -> Iterator["Expr"]:
        raise TypeError("expressions cannot be iterated at build time; use ForAll/Exists/Count/ArrayOf")

    def __repr__(self) -> str:
        return show(self)

    def same_as(self, other: "Expr") -> bool:
        """Structural equality (``==`` builds an expression instead)."""
        if type(self) is not type(other):
            return False
        mine, theirs = self._key(), other._key()
        if len(mine) != len(theirs):
            return False
        for a, b in zip(mine, theirs):
            if isinstance(a, Expr):
                if not (isinstance(b, Expr) and a.same_as(b)):
                    return False
            elif isinstance(a, tuple) and a and isinstance(a[0], Expr):
                if not (isinstance(b, tuple) and len(a) == len(b) and all(x.same_as(y) for x, y in zip(a, b))):
                    return False
            elif a is not b and a != b:
                return False
        return True

    def _key(self) -> tuple[object, ...]:
        return tuple(getattr(self, n) for n in self.__slots__ if n != "sort")  # type: ignore[attr-defined]


# The printer needs every node class and the nodes need it for their messages. So that this module does
# not import printer.py back, printer.py installs its ``show`` here when it is imported (the package's
# __init__ imports it, so it is always there).
PRINTER: Callable[["Expr"], str] | None = None


def show(e: "Expr") -> str:
    assert PRINTER is not None, "collapsecheck.expr.printer installs the printer on import"
    return PRINTER(e)


# --------------------------------------------------------------------------------------------- leaves
class Const(Expr):
    """A literal. ``value`` is the stored int (bool for BOOL, member index for enums)."""

    __slots__ = ("value",)

    def __init__(self, sort: Sort, value: int) -> None:
        if not sort.is_scalar:
            raise ModelTypeError("array constants are written with ArrayOf(N, lambda i: value)")
        if not sort.contains(value) and not isinstance(sort, OwnerSort):
            raise ModelTypeError(f"constant {value!r} is not a value of sort {sort}")
        self.sort = sort
        self.value = bool(value) if isinstance(sort, BoolSort) else int(value)


class VarRef(Expr):
    """A reference to a declared variable (global or thread-local, scalar or whole array)."""

    __slots__ = ("decl",)

    def __init__(self, decl: "object") -> None:
        self.decl = decl
        self.sort = decl.sort  # type: ignore[attr-defined]

    @property
    def name(self) -> str:
        return self.decl.qualname  # type: ignore[attr-defined,no-any-return]


class SizeRef(Expr):
    """A build-time size used as a number (``index < N``)."""

    __slots__ = ("size",)

    def __init__(self, size: Size) -> None:
        self.size = size
        self.sort = IntRange(size, size)


class BoundVar(Expr):
    """The index variable of ``ForAll``/``Exists``/``Count``/``ArrayOf``; ranges over ``0..size-1``."""

    __slots__ = ("name", "size")

    def __init__(self, name: str, size: Bound) -> None:
        self.name = name
        self.size = size
        self.sort = IntRange(0, bound_value(size) - 1)


class AtStep(Expr):
    """True when the named thread's program counter is at one of the given steps (``"END"`` = finished)."""

    __slots__ = ("thread", "labels", "loc")

    def __init__(self, thread: str, labels: tuple[str, ...], loc: SourceLoc | None = None) -> None:
        if not labels:
            raise ModelTypeError("AtStep needs at least one step label")
        self.thread = thread
        self.labels = tuple(labels)
        self.loc = loc if loc is not None else caller_loc()
        self.sort = BOOL

    def _key(self) -> tuple[object, ...]:
        return (self.thread, self.labels)


# ------------------------------------------------------------------------------------------ coercion
def lift(x: object, like: Sort | None = None) -> Expr:
    """Turn a Python literal into a constant; ``like`` lets enum member names be written as strings."""
    if isinstance(x, Expr):
        return x
    if isinstance(x, bool):
        return Const(BOOL, x)
    if isinstance(x, Size):
        return SizeRef(x)
    if isinstance(x, int):
        return Const(IntRange(x, x), x)
    if isinstance(x, str) and isinstance(like, EnumSort):
        if x not in like.members:
            raise ModelTypeError(f"{x!r} is not a member of enum {like.name} ({', '.join(like.members)})")
        return Const(like, like.members.index(x))
    if isinstance(x, str):
        raise ModelTypeError(f"string {x!r} is not an expression here (enum members are written Enum.MEMBER)")
    raise ModelTypeError(f"{x!r} of Python type {type(x).__name__} is not an expression")


def _lift_pair(a: object, b: object) -> tuple[Expr, Expr]:
    if isinstance(a, Expr):
        return a, lift(b, a.sort)
    if isinstance(b, Expr):
        return lift(a, b.sort), b
    return lift(a), lift(b)


def _need_bool(e: Expr, what: str) -> Expr:
    if not isinstance(e.sort, BoolSort):
        raise ModelTypeError(f"{what} needs a bool, got {show(e)} of sort {e.sort}")
    return e


def _need_int(e: Expr, what: str) -> Expr:
    if not isinstance(e.sort, IntRange):
        raise ModelTypeError(f"{what} needs an integer, got {show(e)} of sort {e.sort}")
    return e


# --------------------------------------------------------------------------------------- operators
class Not(Expr):
    __slots__ = ("arg",)

    def __init__(self, arg: object) -> None:
        self.arg = _need_bool(lift(arg), "Not")
        self.sort = BOOL

    def children(self) -> tuple[Expr, ...]:
        return (self.arg,)


class _NAry(Expr):
    __slots__ = ("args",)
    op = ""

    def __init__(self, *args: object) -> None:
        if len(args) == 1 and isinstance(args[0], (list, tuple)):
            args = tuple(args[0])
        self.args = tuple(_need_bool(lift(a), self.op) for a in args)
        self.sort = BOOL

    def children(self) -> tuple[Expr, ...]:
        return self.args


class And(_NAry):
    """Conjunction; ``And()`` is true."""

    __slots__ = ()
    op = "And"


class Or(_NAry):
    """Disjunction; ``Or()`` is false."""

    __slots__ = ()
    op = "Or"


class Implies(Expr):
    __slots__ = ("lhs", "rhs")

    def __init__(self, lhs: object, rhs: object) -> None:
        self.lhs = _need_bool(lift(lhs), "Implies")
        self.rhs = _need_bool(lift(rhs), "Implies")
        self.sort = BOOL

    def children(self) -> tuple[Expr, ...]:
        return (self.lhs, self.rhs)


def _join(a: Sort, b: Sort) -> Sort:
    if isinstance(a, IntRange) and isinstance(b, IntRange):
        return IntRange(min(a.lo_v, b.lo_v), max(a.hi_v, b.hi_v))
    return a


class Ite(Expr):
    """``Ite(c, a, b)``: a if c else b."""

    __slots__ = ("cond", "then", "other")

    def __init__(self, cond: object, then: object, other: object) -> None:
        self.cond = _need_bool(lift(cond), "Ite condition")
        t, o = _lift_pair(then, other)
        if not compatible(t.sort, o.sort) or isinstance(t.sort, ArraySort):
            raise ModelTypeError(f"Ite branches have different sorts: {show(t)} is {t.sort}, {show(o)} is {o.sort}")
        self.then, self.other = t, o
        self.sort = _join(t.sort, o.sort)

    def children(self) -> tuple[Expr, ...]:
        return (self.cond, self.then, self.other)


CMP_OPS = ("==", "!=", "<", "<=", ">", ">=")


class Cmp(Expr):
    __slots__ = ("op", "lhs", "rhs")

    def __init__(self, op: str, lhs: object, rhs: object) -> None:
        a, b = _lift_pair(lhs, rhs)
        if op not in CMP_OPS:
            raise ModelTypeError(f"unknown comparison {op}")
        if not compatible(a.sort, b.sort):
            raise ModelTypeError(f"cannot compare {show(a)} ({a.sort}) with {show(b)} ({b.sort})")
        if op not in ("==", "!=") and not isinstance(a.sort, IntRange):
            raise ModelTypeError(f"ordering {op} needs integers, got {show(a)} of sort {a.sort}")
        self.op, self.lhs, self.rhs = op, a, b
        self.sort = BOOL

    def children(self) -> tuple[Expr, ...]:
        return (self.lhs, self.rhs)


class Arith(Expr):
    """``+`` and ``-`` on integers. The sort is the exact range of the result (used for range checks)."""

    __slots__ = ("op", "lhs", "rhs")

    def __init__(self, op: str, lhs: object, rhs: object) -> None:
        a, b = _lift_pair(lhs, rhs)
        _need_int(a, op)
        _need_int(b, op)
        sa, sb = a.sort, b.sort
        assert isinstance(sa, IntRange) and isinstance(sb, IntRange)
        if op == "+":
            self.sort = IntRange(sa.lo_v + sb.lo_v, sa.hi_v + sb.hi_v)
        elif op == "-":
            self.sort = IntRange(sa.lo_v - sb.hi_v, sa.hi_v - sb.lo_v)
        else:
            raise ModelTypeError(f"unknown arithmetic operator {op}")
        self.op, self.lhs, self.rhs = op, a, b

    def children(self) -> tuple[Expr, ...]:
        return (self.lhs, self.rhs)


class Elem(Expr):
    """``array[index]``: one element of an array variable."""

    __slots__ = ("array", "index")

    def __init__(self, array: Expr, index: object) -> None:
        if not (isinstance(array, VarRef) and isinstance(array.sort, ArraySort)):
            raise ModelTypeError(f"only array variables can be indexed, not {show(array)}")
        idx = lift(index)
        _need_int(idx, f"index of {array.name}")
        n = bound_value(array.sort.size)
        assert isinstance(idx.sort, IntRange)
        if idx.sort.hi_v < 0 or idx.sort.lo_v >= n:
            raise ModelTypeError(f"index {show(idx)} is always outside {array.name}[0..{n - 1}]")
        self.array, self.index = array, idx
        self.sort = array.sort.elem

    def children(self) -> tuple[Expr, ...]:
        return (self.array, self.index)

    @property
    def always_in_bounds(self) -> bool:
        assert isinstance(self.index.sort, IntRange) and isinstance(self.array.sort, ArraySort)
        return self.index.sort.lo_v >= 0 and self.index.sort.hi_v < self.array.sort.size_v


_bound_counter = [0]


def _bind(size: object, fn: Callable[[BoundVar], object], what: str) -> tuple[BoundVar, Expr, Bound]:
    if isinstance(size, VarRef) and isinstance(size.sort, ArraySort):
        size = size.sort.size
    if not isinstance(size, (int, Size)) or isinstance(size, bool):
        raise ModelTypeError(f"{what} ranges over a size (an int, a Size or an array), not {size!r}")
    _bound_counter[0] += 1
    var = BoundVar(f"i{_bound_counter[0]}", size)
    body = lift(fn(var))
    return var, body, size


class Quant(Expr):
    """``ForAll(N, lambda i: ...)`` / ``Exists(N, lambda i: ...)`` over indices ``0..N-1``."""

    __slots__ = ("kind", "var", "body")

    def __init__(self, kind: str, var: BoundVar, body: Expr) -> None:
        self.kind, self.var, self.body = kind, var, _need_bool(body, kind)
        self.sort = BOOL

    def children(self) -> tuple[Expr, ...]:
        return (self.body,)


class Count(Expr):
    """Number of indices ``i`` in ``0..N-1`` for which the body holds."""

    __slots__ = ("var", "body")

    def __init__(self, size: object, fn: Callable[[BoundVar], object]) -> None:
        self.var, body, n = _bind(size, fn, "Count")
        self.body = _need_bool(body, "Count")
        self.sort = IntRange(0, bound_value(n))

    def children(self) -> tuple[Expr, ...]:
        return (self.body,)


class ArrayOf(Expr):
    """A whole-array value ``[f(0), ..., f(N-1)]``; only usable as the new value of an array variable."""

    __slots__ = ("var", "body")

    def __init__(self, size: object, fn: Callable[[BoundVar], object], elem: Sort | None = None) -> None:
        self.var, body, n = _bind(size, lambda i: lift(fn(i), elem) if elem else fn(i), "ArrayOf")
        if not body.sort.is_scalar:
            raise ModelTypeError("ArrayOf elements must be scalars")
        self.body = body
        self.sort = ArraySort(body.sort, n)

    def children(self) -> tuple[Expr, ...]:
        return (self.body,)


def ForAll(size: object, fn: Callable[[BoundVar], object]) -> Expr:
    var, body, _ = _bind(size, fn, "ForAll")
    return Quant("forall", var, body)


def Exists(size: object, fn: Callable[[BoundVar], object]) -> Expr:
    var, body, _ = _bind(size, fn, "Exists")
    return Quant("exists", var, body)


def In(x: object, options: Sequence[object]) -> Expr:
    """``x`` equals one of the options (``In(slot[i], [Slot.HOLE, Slot.RETRY])``)."""
    return Or(*[Cmp("==", x, o) for o in options])


def walk(e: Expr) -> Iterator[Expr]:
    """All nodes of an expression, parents before children, in a fixed order."""
    stack = [e]
    while stack:
        node = stack.pop()
        yield node
        stack.extend(reversed(node.children()))


# ``Slot.HOLE`` (an enum sort's member) is a Const; sorts.py must not import this module back.
_sorts.MEMBER_CONST = Const
