"""Static read and write sets (state slots) of steps, cases and properties.

The transition cache keys a thread's successors on the slots its current step reads or writes, the
property checks are skipped for transitions that write nothing a property reads, and partial-order
reduction decides independence from the same sets. Everything here is a conservative over-approximation:
an element read or written through a run-time index counts as the whole array. Program counters are
slots too (``layout.pc_slot``); a property that reads a pc only through ``AtStep`` is affected by a move
only when the move changes membership in one of its label sets (``moves_matter``). This module must not
evaluate expressions on states.
"""

from __future__ import annotations

from dataclasses import dataclass

from collapsecheck.expr.nodes import Arith, AtStep, Const, Elem, Expr, SizeRef, VarRef, walk
from collapsecheck.model.core import Case, Model, Thread


def _const(e: Expr) -> int | None:
    if isinstance(e, Const):
        return int(e.value)
    if isinstance(e, SizeRef):
        return e.size.value
    if isinstance(e, Arith):
        a, b = _const(e.lhs), _const(e.rhs)
        if a is None or b is None:
            return None
        return a + b if e.op == "+" else a - b
    return None


def reads(model: Model, e: Expr) -> set[int]:
    """Slots ``e`` may read. An index that is not a constant (a variable, or a quantifier's bound
    variable) reads the whole array."""
    lay = model.layout
    out: set[int] = set()

    def go(n: Expr) -> None:
        if isinstance(n, VarRef):
            base = lay.slot_of(n.decl)
            out.update(range(base, base + n.decl.width))
        elif isinstance(n, Elem):
            d = n.array.decl
            k = _const(n.index)
            if k is not None:
                out.add(lay.slot_of(d, k))
            else:
                out.update(range(lay.slot_of(d), lay.slot_of(d) + d.width))
                go(n.index)
        elif isinstance(n, AtStep):
            out.add(lay.pc_slot[model.thread(n.thread).index])
        else:
            for ch in n.children():
                go(ch)

    go(e)
    return out


def case_reads(model: Model, c: Case) -> set[int]:
    out = reads(model, c.guard)
    for u in c.updates:
        out |= reads(model, u.value)
        if isinstance(u.target, Elem):
            out |= reads(model, u.target.index)
    return out


def case_writes(model: Model, t: Thread, c: Case) -> set[int]:
    """Slots a case may write, its thread's pc included."""
    lay = model.layout
    out = {lay.pc_slot[t.index]}
    for u in c.updates:
        tgt = u.target
        if isinstance(tgt, Elem):
            d = tgt.array.decl
            k = _const(tgt.index)
            out |= {lay.slot_of(d, k)} if k is not None else set(range(lay.slot_of(d), lay.slot_of(d) + d.width))
        else:
            d = tgt.decl
            out |= set(range(lay.slot_of(d), lay.slot_of(d) + d.width))
    return out


@dataclass(frozen=True)
class StepFootprint:
    reads: frozenset[int]  # guards, values and indices of every case (and the thread's own pc)
    writes: frozenset[int]  # every case's targets and the pc

    @property
    def touches(self) -> frozenset[int]:
        return self.reads | self.writes


def step_footprint(model: Model, t: Thread, pc: int) -> StepFootprint:
    """What the thread's step at ``pc`` may read and write; END reads only the pc and writes nothing."""
    pcs = model.layout.pc_slot[t.index]
    if pc >= len(t.steps):
        return StepFootprint(frozenset({pcs}), frozenset())
    r: set[int] = {pcs}
    w: set[int] = set()
    for c in t.steps[pc].cases:
        r |= case_reads(model, c)
        w |= case_writes(model, t, c)
    return StepFootprint(frozenset(r), frozenset(w))


def atstep_sets(model: Model, e: Expr) -> dict[int, list[frozenset[int]]]:
    """For each thread whose pc ``e`` reads: the step-index sets of its ``AtStep`` nodes."""
    out: dict[int, list[frozenset[int]]] = {}
    for n in walk(e):
        if isinstance(n, AtStep):
            t = model.thread(n.thread)
            out.setdefault(t.index, []).append(frozenset(t.step_index(lab) for lab in n.labels))
    return out


def moves_matter(sets: list[frozenset[int]], src: int, dst: int) -> bool:
    """Whether moving a pc from ``src`` to ``dst`` can change any of the ``AtStep`` atoms."""
    return any((src in s) != (dst in s) for s in sets)


def case_affects(model: Model, t: Thread, pc: int, c: Case, expr: Expr, expr_reads: set[int] | None = None) -> bool:
    """Whether firing case ``c`` of ``t`` at ``pc`` can change the value of ``expr`` (a property)."""
    r = reads(model, expr) if expr_reads is None else expr_reads
    pcs = model.layout.pc_slot[t.index]
    data = case_writes(model, t, c) - {pcs}
    if data & r:
        return True
    if pcs in r:
        return moves_matter(atstep_sets(model, expr).get(t.index, []), pc, c.goto)
    return False


def value_at(model: Model, e: Expr, thread: int, pc: int) -> bool | None:
    """The value of the boolean ``e`` in every state where ``thread`` is at ``pc``, when the program
    counter alone decides it (``Implies(c.at("publish"), ...)`` away from "publish" is true); else None."""
    from collapsecheck.expr.nodes import And, Implies, Ite, Not, Or, Quant

    pcs = {thread: pc}

    def pe(n: Expr) -> bool | None:
        if isinstance(n, Const) and isinstance(n.value, bool):
            return n.value
        if isinstance(n, AtStep):
            t = model.thread(n.thread)
            if t.index not in pcs:
                return None
            return pcs[t.index] in {t.step_index(lab) for lab in n.labels}
        if isinstance(n, Not):
            v = pe(n.arg)
            return None if v is None else not v
        if isinstance(n, And):
            vals = [pe(a) for a in n.args]
            return False if False in vals else (True if all(v is True for v in vals) else None)
        if isinstance(n, Or):
            vals = [pe(a) for a in n.args]
            return True if True in vals else (False if all(v is False for v in vals) else None)
        if isinstance(n, Implies):
            a, b = pe(n.lhs), pe(n.rhs)
            if a is False or b is True:
                return True
            return False if (a is True and b is False) else None
        if isinstance(n, Ite):
            cnd = pe(n.cond)
            if cnd is not None:
                return pe(n.then if cnd else n.other)
            x, y = pe(n.then), pe(n.other)
            return x if x is not None and x == y else None
        if isinstance(n, Quant):
            return pe(n.body)  # the body's value does not depend on the bound index here; sizes are >= 1
        return None

    return pe(e)


__all__ = ["reads", "case_reads", "case_writes", "StepFootprint", "step_footprint", "atstep_sets",
           "moves_matter", "case_affects", "value_at"]
