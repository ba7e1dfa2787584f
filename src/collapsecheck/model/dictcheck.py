"""Catches a dict that names one key twice in a model file, which Python itself would silently collapse.

``do={flag: True, flag: False}`` keeps only the last entry before the DSL ever sees the dict, so a model
could verify a different step than the one written. The loader passes a model file's syntax tree through
:func:`instrument`: every dict display becomes a call to :func:`checked_dict`, which builds the same dict
in the same evaluation order and refuses a key that is already present, naming the file:line and the
enclosing step. Keys are compared as Python compares them (DSL targets by identity), so a key repeated
through ``**spread`` is caught too when it is a DSL expression. This module must not import the engines,
and it never changes what a correct model file builds.
"""

from __future__ import annotations

import ast

from collapsecheck.errors import ModelError, SourceLoc, relpath

HOOK = "__collapsecheck_dict__"
_STEP_CALLS = ("step", "branch", "choose")


def checked_dict(file: str, lines: tuple[int, ...], context: str, spread: tuple[bool, ...],
                 *items: object) -> dict:
    """The dict of a display ``{k: v, **d, ...}``: ``spread[j]`` says item j is a mapping to merge, else a
    ``(key, value)`` pair; ``lines[j]`` is its line. A literal key given twice, or a DSL expression key
    given twice in any way, is an error."""
    from collapsecheck.expr.nodes import Expr, show

    out: dict = {}
    literal: dict = {}  # the keys written as `key: value` in the display
    for j, item in enumerate(items):
        pairs = list(item.items()) if spread[j] else [item]  # type: ignore[union-attr]
        for key, value in pairs:  # type: ignore[misc]
            try:
                # A DSL target twice is always a lost update; a plain key only when written twice literally
                # (`{**defaults, "x": 1}` is ordinary Python).
                twice = key in out and (isinstance(key, Expr) or (not spread[j] and key in literal))
            except TypeError:
                twice = False  # unhashable: building the dict raises Python's own TypeError below
            if twice:
                name = show(key) if isinstance(key, Expr) else repr(key)
                raise ModelError(
                    f"this dict names {name} twice; Python would silently keep only the last value. Write "
                    "each update target once (combine the values with Ite(...), or split the step in two)",
                    SourceLoc(relpath(file), lines[j]), context)
            out[key] = value
            if not spread[j]:
                literal[key] = True
    return out


class _Instrument(ast.NodeTransformer):
    def __init__(self, file: str) -> None:
        self.file = file
        self.context: list[str] = []

    def visit_Call(self, node: ast.Call) -> ast.AST:
        ctx = _step_context(node)
        if ctx:
            self.context.append(ctx)
        self.generic_visit(node)
        if ctx:
            self.context.pop()
        return node

    def visit_Dict(self, node: ast.Dict) -> ast.AST:
        self.generic_visit(node)
        spread = tuple(k is None for k in node.keys)
        items: list[ast.expr] = []
        for k, v in zip(node.keys, node.values):
            items.append(v if k is None else ast.Tuple([k, v], ast.Load()))
        call = ast.Call(ast.Name(HOOK, ast.Load()),
                        [ast.Constant(self.file),
                         ast.Constant(tuple((v if k is None else k).lineno for k, v in zip(node.keys, node.values))),
                         ast.Constant(self.context[-1] if self.context else ""),
                         ast.Constant(spread), *items], [])
        return ast.copy_location(call, node)


def _step_context(node: ast.Call) -> str:
    """``thread 'c', step 'xas_lock'`` for a call ``c.step("xas_lock", ...)`` (names as written)."""
    f = node.func
    if not (isinstance(f, ast.Attribute) and f.attr in _STEP_CALLS):
        return ""
    who = ast.unparse(f.value) if isinstance(f.value, ast.Name) else "?"
    name = node.args[0].value if node.args and isinstance(node.args[0], ast.Constant) else None
    step = f"step {name!r}" if isinstance(name, str) else f"a {f.attr}(...)"
    return f"thread variable {who}, {step}"


def instrument(tree: ast.Module, file: str) -> ast.Module:
    """The model file's tree with every dict display checked for repeated keys (line numbers kept)."""
    out = _Instrument(file).visit(tree)
    return ast.fix_missing_locations(out)


__all__ = ["HOOK", "checked_dict", "instrument"]
