"""Symmetry reduction over interchangeable threads: store one representative per orbit of states.

Threads are interchangeable when swapping them (their locals, their program counters, and their identity
as a lock owner, ``t.me``) maps the model onto itself: every thread's steps onto the swapped thread's
steps, every other thread's steps, every property and every ``assume_init`` onto themselves, and the set
of initial states onto itself. This is checked here on a canonical text of the expressions (``And``/``Or``
operands and ``==`` sides are unordered, bound variables are named by depth), for transpositions of
threads that look alike, which generate the full permutation group of each class. A state's
representative is the smallest packed int among all its permutations; every property is invariant, so
verdicts are unchanged, and a trace through representatives is turned back into a concrete one by
``concrete_path``. Page (array index) symmetry is not attempted: in the kernel models the collapse scans
the range in index order, so pages are not interchangeable. This module must not decide verdicts.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from typing import Callable

from collapsecheck.explicit import initial
from collapsecheck.explicit.codegen import Compiled
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
from collapsecheck.expr.sorts import OwnerSort
from collapsecheck.model.core import Model, Thread

MAX_CLASS = 5  # k! permutations are tried per state: beyond 5 threads the canonical form costs too much


def _text(e: Expr, ren: Callable[[str], str], owner: Callable[[int], int], bound: dict[int, str]) -> str:
    """Canonical text of ``e`` with thread names renamed by ``ren`` and owner values by ``owner``."""
    x = lambda n: _text(n, ren, owner, bound)  # noqa: E731
    if isinstance(e, Const):
        v = owner(int(e.value)) if isinstance(e.sort, OwnerSort) else int(e.value)
        return f"{type(e.sort).__name__}:{v}"
    if isinstance(e, VarRef):
        d = e.decl
        return f"{ren(d.thread)}.{d.name}" if d.thread else d.name
    if isinstance(e, SizeRef):
        return str(e.size.value)
    if isinstance(e, BoundVar):
        return bound[id(e)]
    if isinstance(e, AtStep):
        return f"{ren(e.thread)}@{','.join(sorted(e.labels))}"
    if isinstance(e, Not):
        return f"!({x(e.arg)})"
    if isinstance(e, (And, Or)):
        return f"{type(e).__name__}({' ; '.join(sorted(x(a) for a in e.args))})"
    if isinstance(e, Implies):
        return f"({x(e.lhs)} => {x(e.rhs)})"
    if isinstance(e, Ite):
        return f"({x(e.cond)} ? {x(e.then)} : {x(e.other)})"
    if isinstance(e, Cmp):
        a, b = x(e.lhs), x(e.rhs)
        if e.op in ("==", "!="):
            a, b = sorted((a, b))
        return f"({a} {e.op} {b})"
    if isinstance(e, Arith):
        return f"({x(e.lhs)} {e.op} {x(e.rhs)})"
    if isinstance(e, Elem):
        return f"{x(e.array)}[{x(e.index)}]"
    if isinstance(e, (Quant, Count, ArrayOf)):
        inner = dict(bound)
        inner[id(e.var)] = f"#{len(bound)}"
        kind = e.kind if isinstance(e, Quant) else type(e).__name__
        return f"{kind}[{e.var.size}]({_text(e.body, ren, owner, inner)})"
    raise TypeError(f"unknown expression node {type(e).__name__}")


def _thread_text(t: Thread, ren: Callable[[str], str], owner: Callable[[int], int]) -> str:
    parts = [f"locals {[(d.name, str(d.sort), d.init) for d in t.locals]}"]
    for s in t.steps:
        parts.append(f"step {s.name} ordered={s.ordered} end={s.end_ok}")
        for c in s.cases:
            ups = sorted(f"{_text(u.target, ren, owner, {})} := {_text(u.value, ren, owner, {})}" for u in c.updates)
            parts.append(f"  case {c.goto} when {_text(c.guard, ren, owner, {})} do {ups}")
    return "\n".join(parts)


def _swap(model: Model, a: int, b: int) -> tuple[Callable[[str], str], Callable[[int], int]]:
    na, nb = model.threads[a].name, model.threads[b].name

    def ren(name: str | None) -> str:
        return nb if name == na else na if name == nb else (name or "")

    def owner(v: int) -> int:
        return b + 1 if v == a + 1 else a + 1 if v == b + 1 else v

    return ren, owner


def _is_symmetry(model: Model, a: int, b: int) -> bool:
    ident = (lambda n: n or ""), (lambda v: v)
    ren, owner = _swap(model, a, b)
    perm = {a: b, b: a}
    for t in model.threads:
        img = model.threads[perm.get(t.index, t.index)]
        if _thread_text(t, ren, owner) != _thread_text(img, *ident):
            return False
    for e in [p.expr for p in model.properties] + list(model.init_constraints):
        if _text(e, ren, owner, {}) != _text(e, *ident, {}):
            return False
    return True


@dataclass
class Group:
    """The permutations of the interchangeable thread classes, applied to packed states."""

    classes: list[list[str]]
    perms: list[Callable[[int], int]]

    @property
    def size(self) -> int:
        return len(self.perms) + 1

    def canonical(self, s: int) -> int:
        best = s
        for p in self.perms:
            x = p(s)
            if x < best:
                best = x
        return best

    def describe(self) -> str:
        return "; ".join("{" + ", ".join(c) + "}" for c in self.classes)


def _classes(model: Model) -> list[list[int]]:
    """Maximal sets of threads every pair of which is a symmetry (transpositions generate S_k)."""
    out: list[list[int]] = []
    for t in model.threads:
        for cls in out:
            if _is_symmetry(model, cls[0], t.index):
                cls.append(t.index)
                break
        else:
            out.append([t.index])
    return [c[:MAX_CLASS] for c in out if len(c) > 1]


def _permutation_code(model: Model, comp: Compiled, perm: dict[int, int], name: str
                      ) -> tuple[list[str], list[int]]:
    """Source of a function applying the thread permutation ``perm`` to a packed state."""
    lay, pk = model.layout, comp.packing
    owner_map = list(range(len(model.threads) + 1))
    for a, b in perm.items():
        owner_map[a + 1] = b + 1
    moves: list[tuple[int, int]] = []  # (source slot, destination slot)
    for t in model.threads:
        u = model.threads[perm.get(t.index, t.index)]
        if u.index == t.index:
            continue
        moves.append((lay.pc_slot[t.index], lay.pc_slot[u.index]))
        for d, e in zip(t.locals, u.locals):
            for k in range(d.width):
                moves.append((lay.slot_of(d, k), lay.slot_of(e, k)))
    moved = {src for src, _ in moves}
    owners = [k for k, sl in enumerate(lay.slots) if isinstance(sl.sort, OwnerSort)]
    keep = 0
    for k in range(len(lay)):
        if k not in moved and k not in owners:
            keep |= pk.field_mask(k)
    lines = [f"def {name}(s):", f"    r = s & {keep}"]
    for src, dst in moves:
        o, w = pk.offset[src], pk.width[src]
        if isinstance(lay.slots[src].sort, OwnerSort):
            lines.append(f"    r |= OM[(s >> {o}) & {(1 << w) - 1}] << {pk.offset[dst]}")
        else:
            lines.append(f"    r |= ((s >> {o}) & {(1 << w) - 1}) << {pk.offset[dst]}")
    for k in owners:
        if k in moved:
            continue
        o, w = pk.offset[k], pk.width[k]
        lines.append(f"    r |= OM[(s >> {o}) & {(1 << w) - 1}] << {o}")
    lines.append("    return r")
    return lines + [""], owner_map


def find(model: Model, comp: Compiled) -> Group | None:
    """The symmetry group of interchangeable threads, or None when there is none (or it is unsafe)."""
    classes = _classes(model)
    if not classes:
        return None
    perms: list[Callable[[int], int]] = []
    per_class = [list(itertools.permutations(c)) for c in classes]
    for combo in itertools.product(*per_class):
        perm: dict[int, int] = {}
        for cls, img in zip(classes, combo):
            perm.update({a: b for a, b in zip(cls, img) if a != b})
        if not perm:
            continue
        lines, owner_map = _permutation_code(model, comp, perm, "perm")
        ns: dict[str, object] = {"OM": tuple(owner_map)}
        exec(compile("\n".join(lines), f"<collapsecheck-symmetry:{model.name}>", "exec"), ns)
        perms.append(ns["perm"])  # type: ignore[arg-type]
    inits = {comp.encode(s) for s in initial.initial_states(model)}
    if any(p(s) not in inits for p in perms for s in inits):
        return None  # the initial states are not closed under the permutation
    names = [[model.threads[k].name for k in c] for c in classes]
    return Group(names, perms)


def concrete_path(model: Model, comp: Compiled, group: Group, reps: list[int]) -> tuple[list[int], list[int]]:
    """A concrete path (packed states, actions) whose states have the representatives ``reps``: from a
    concrete state, some action leads to a state of the next orbit, because the orbit graph's edges come
    from concrete edges and the model is symmetric."""
    cur = reps[0]
    states, aids = [cur], []
    for nxt in reps[1:]:
        for aid, t in comp.successors_packed(cur):
            if group.canonical(t) == nxt:
                states.append(t)
                aids.append(aid)
                cur = t
                break
        else:
            raise RuntimeError("internal: a representative path has no concrete counterpart")
    return states, aids


__all__ = ["Group", "find", "concrete_path", "MAX_CLASS"]
