"""Reference interpreter of expressions over a concrete state (interpreter 1 of 3).

Slow and simple on purpose: it is the semantics the generated code (``explicit/codegen.py``) and the Z3
encoding are tested against, and it evaluates properties on counterexample states. It must not import z3.
``env`` supplies values: ``env.read(decl)`` for scalar variables, ``env.read_elem(decl, i)`` for array
elements, ``env.pc(thread)`` and ``env.step_index(thread, label)`` for program counters.
"""

from __future__ import annotations

from typing import Protocol

from collapsecheck.errors import ModelError
from collapsecheck.expr.nodes import (
    And,
    Arith,
    ArrayOf,
    AtStep,
    BoundVar,
    Cmp,
    Const,
    Count,
    Elem,
    Expr,
    Implies,
    Ite,
    Not,
    Or,
    Quant,
    SizeRef,
    VarRef,
    show,
)
from collapsecheck.expr.sorts import ArraySort, bound_value


class Env(Protocol):
    def read(self, decl: object) -> int: ...

    def read_elem(self, decl: object, index: int) -> int: ...

    def at_step(self, thread: str, labels: tuple[str, ...]) -> bool: ...


def evaluate(e: Expr, env: Env, bound: dict[int, int] | None = None) -> object:
    """Value of ``e``: a bool, an int, or (for array-sorted expressions) a tuple of element values."""
    b = bound or {}
    if isinstance(e, Const):
        return e.value
    if isinstance(e, VarRef):
        if isinstance(e.sort, ArraySort):
            return tuple(env.read_elem(e.decl, k) for k in range(e.sort.size_v))
        return env.read(e.decl)
    if isinstance(e, SizeRef):
        return e.size.value
    if isinstance(e, BoundVar):
        return b[id(e)]
    if isinstance(e, AtStep):
        return env.at_step(e.thread, e.labels)
    if isinstance(e, Not):
        return not evaluate(e.arg, env, b)
    if isinstance(e, And):
        return all(evaluate(a, env, b) for a in e.args)
    if isinstance(e, Or):
        return any(evaluate(a, env, b) for a in e.args)
    if isinstance(e, Implies):
        return (not evaluate(e.lhs, env, b)) or bool(evaluate(e.rhs, env, b))
    if isinstance(e, Ite):
        return evaluate(e.then, env, b) if evaluate(e.cond, env, b) else evaluate(e.other, env, b)
    if isinstance(e, Cmp):
        x, y = evaluate(e.lhs, env, b), evaluate(e.rhs, env, b)
        op = e.op
        if op == "==":
            return x == y
        if op == "!=":
            return x != y
        if op == "<":
            return x < y  # type: ignore[operator]
        if op == "<=":
            return x <= y  # type: ignore[operator]
        if op == ">":
            return x > y  # type: ignore[operator]
        return x >= y  # type: ignore[operator]
    if isinstance(e, Arith):
        x, y = evaluate(e.lhs, env, b), evaluate(e.rhs, env, b)
        return x + y if e.op == "+" else x - y  # type: ignore[operator]
    if isinstance(e, Elem):
        i = evaluate(e.index, env, b)
        assert isinstance(e.array.sort, ArraySort)
        n = e.array.sort.size_v
        if not isinstance(i, int) or not 0 <= i < n:
            raise ModelError(f"index {show(e.index)} = {i} is outside {e.array.name}[0..{n - 1}]")
        return env.read_elem(e.array.decl, i)
    if isinstance(e, (Quant, Count, ArrayOf)):
        n = bound_value(e.var.size)
        vals = []
        for k in range(n):
            inner = dict(b)
            inner[id(e.var)] = k
            vals.append(evaluate(e.body, env, inner))
        if isinstance(e, Quant):
            return all(vals) if e.kind == "forall" else any(vals)
        if isinstance(e, Count):
            return sum(1 for v in vals if v)
        return tuple(vals)
    raise TypeError(f"unknown expression node {type(e).__name__}")
