"""Python-like text for expressions, used in error messages, ``collapsecheck show`` and reports.

Bound index variables are renamed by nesting depth (i, j, k, ...) so the text is the same on every run.
This module must not evaluate anything.
"""

from __future__ import annotations

from collapsecheck.expr import nodes as _nodes
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
)

_NAMES = "ijklmnpq"


def show(e: Expr) -> str:
    return _show(e, {}, 0)


def show_bound(e: Expr, values: dict[int, int | str], depth: int = 1) -> str:
    """``e`` with bound index variables (by ``id``) printed as the given values: one instance of the body
    of a quantifier (``not mapped[0]`` for ``all(not mapped[i] ...)`` at i = 0). ``depth``: the nesting
    depth of ``e``, so inner quantifiers keep their usual names."""
    return _show(e, {k: str(v) for k, v in values.items()}, depth)


def _show(e: Expr, names: dict[int, str], depth: int) -> str:
    def sub(x: Expr) -> str:
        return _show(x, names, depth)

    if isinstance(e, Const):
        return e.sort.show(e.value)
    if isinstance(e, VarRef):
        return e.name
    if isinstance(e, SizeRef):
        return e.size.label
    if isinstance(e, BoundVar):
        return names.get(id(e), e.name)
    if isinstance(e, AtStep):
        where = e.labels[0] if len(e.labels) == 1 else "{" + ", ".join(e.labels) + "}"
        return f"{e.thread}@{where}"
    if isinstance(e, Not):
        return f"not {_paren(e.arg, names, depth)}"
    if isinstance(e, And):
        return " and ".join(_paren(a, names, depth) for a in e.args) if e.args else "true"
    if isinstance(e, Or):
        return " or ".join(_paren(a, names, depth) for a in e.args) if e.args else "false"
    if isinstance(e, Implies):
        return f"{_paren(e.lhs, names, depth)} implies {_paren(e.rhs, names, depth)}"
    if isinstance(e, Ite):
        return f"({sub(e.then)} if {sub(e.cond)} else {sub(e.other)})"
    if isinstance(e, Cmp):
        return f"{_paren(e.lhs, names, depth)} {e.op} {_paren(e.rhs, names, depth)}"
    if isinstance(e, Arith):
        return f"{_paren(e.lhs, names, depth)} {e.op} {_paren(e.rhs, names, depth)}"
    if isinstance(e, Elem):
        return f"{e.array.name}[{sub(e.index)}]"
    if isinstance(e, (Quant, Count, ArrayOf)):
        name = _NAMES[depth % len(_NAMES)] + ("" if depth < len(_NAMES) else str(depth))
        inner = dict(names)
        inner[id(e.var)] = name
        body = _show(e.body, inner, depth + 1)
        size = e.var.size
        n = getattr(size, "label", size)
        if isinstance(e, Quant):
            word = "all" if e.kind == "forall" else "any"
            return f"{word}({body} for {name} in range({n}))"
        if isinstance(e, Count):
            return f"count({body} for {name} in range({n}))"
        return f"[{body} for {name} in range({n})]"
    raise TypeError(f"unknown expression node {type(e).__name__}")


_ATOMIC = (Const, VarRef, SizeRef, BoundVar, AtStep, Elem, Quant, Count, ArrayOf, Ite)


def _paren(e: Expr, names: dict[int, str], depth: int) -> str:
    text = _show(e, names, depth)
    return text if isinstance(e, _ATOMIC) else f"({text})"


_nodes.PRINTER = show  # the nodes' own messages and repr print through this module (see nodes.PRINTER)
