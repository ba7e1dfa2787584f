"""The frozen model: variables, threads of labelled atomic steps, properties, and the state layout.

A ``Model`` is plain immutable data in which every guard, update and property is an expression tree. It is
what every engine receives; engines never see the builder or the model file. This module must not import
z3 or the engines, and must not evaluate expressions.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Iterator

from collapsecheck.errors import SourceLoc
from collapsecheck.expr.nodes import And, Elem, Expr, Not, VarRef
from collapsecheck.expr.sorts import ArraySort, OwnerSort, Size, Sort

END = "END"


@dataclass(frozen=True, eq=False)
class VarDecl:
    """A state variable. ``thread`` is None for globals. ``init[k]`` lists the allowed initial values of
    element k (one element for scalars); more than one value means a nondeterministic initial state."""

    name: str
    sort: Sort
    init: tuple[tuple[int, ...], ...]
    ghost: bool
    thread: str | None
    loc: SourceLoc | None
    doc: str = ""

    @property
    def qualname(self) -> str:
        return f"{self.thread}.{self.name}" if self.thread else self.name

    @property
    def width(self) -> int:
        return self.sort.size_v if isinstance(self.sort, ArraySort) else 1

    @property
    def elem_sort(self) -> Sort:
        return self.sort.elem if isinstance(self.sort, ArraySort) else self.sort

    def __repr__(self) -> str:
        return f"VarDecl({self.qualname}: {self.sort})"


Target = VarRef | Elem


@dataclass(frozen=True, eq=False)
class Update:
    """``target := value``. All updates of a case read the state before the step (simultaneous)."""

    target: Target
    value: Expr


@dataclass(frozen=True, eq=False)
class Case:
    """One outcome of a step: if ``guard`` holds, apply ``updates`` and jump to step ``goto``."""

    label: str | None
    guard: Expr
    updates: tuple[Update, ...]
    goto: int
    goto_label: str
    loc: SourceLoc | None


@dataclass(frozen=True, eq=False)
class Step:
    """An atomic step at one program location. ``ordered``: the first enabled case wins (an if/elif
    chain); otherwise every enabled case is a separate nondeterministic transition. A thread whose step has
    no enabled case is blocked there. ``end_ok``: being blocked here forever is a valid end (not a
    deadlock), like SPIN's end labels."""

    name: str
    cases: tuple[Case, ...]
    ordered: bool
    end_ok: bool
    loc: SourceLoc | None
    doc: str = ""

    def effective_guards(self) -> tuple[Expr, ...]:
        """Guards with the first-match rule of ordered steps made explicit (for the Z3 encoding)."""
        if not self.ordered:
            return tuple(c.guard for c in self.cases)
        out: list[Expr] = []
        for k, c in enumerate(self.cases):
            earlier = [Not(p.guard) for p in self.cases[:k]]
            out.append(And(*earlier, c.guard) if earlier else c.guard)
        return tuple(out)


@dataclass(frozen=True, eq=False)
class Thread:
    """A kernel actor: its locals and its steps. The program counter's value ``len(steps)`` is END."""

    name: str
    index: int
    locals: tuple[VarDecl, ...]
    steps: tuple[Step, ...]
    loc: SourceLoc | None

    @property
    def end(self) -> int:
        return len(self.steps)

    def step_index(self, label: str) -> int:
        if label == END:
            return self.end
        for k, s in enumerate(self.steps):
            if s.name == label:
                return k
        raise KeyError(label)

    def label_of(self, pc: int) -> str:
        return END if pc == self.end else self.steps[pc].name


@dataclass(frozen=True, eq=False)
class Property:
    """``always`` (a safety invariant, checked on every reachable state), ``sometimes`` (a witness that
    some reachable state must satisfy, so that a pass is not vacuous) or ``progress`` (every reachable
    cycle passes through a state satisfying it)."""

    kind: str
    name: str
    expr: Expr
    loc: SourceLoc | None
    doc: str = ""


@dataclass(frozen=True, eq=False)
class Action:
    """One transition label: thread, step and case indices."""

    id: int
    thread: int
    step: int
    case: int


@dataclass(frozen=True, eq=False)
class Slot:
    """One position of the state tuple."""

    name: str
    sort: Sort
    decl: VarDecl | None  # None for a program counter
    elem: int  # element index for arrays, else 0
    thread: int | None  # the owning thread for locals and pcs


@dataclass(frozen=True, eq=False)
class Layout:
    """State tuple layout: globals in declaration order (arrays expanded), then per thread its pc and locals."""

    slots: tuple[Slot, ...]
    base: dict[int, int]  # id(VarDecl) -> first slot
    pc_slot: tuple[int, ...]  # per thread

    def slot_of(self, decl: VarDecl, elem: int = 0) -> int:
        return self.base[id(decl)] + elem

    def __len__(self) -> int:
        return len(self.slots)


@dataclass(frozen=True, eq=False)
class Model:
    name: str
    doc: str
    file: str | None
    params: tuple[tuple[str, object], ...]
    sizes: tuple[Size, ...]
    globals: tuple[VarDecl, ...]
    threads: tuple[Thread, ...]
    properties: tuple[Property, ...]
    init_constraints: tuple[Expr, ...]
    check_deadlock: bool
    owner: OwnerSort | None
    layout: Layout = field(repr=False)
    actions: tuple[Action, ...] = field(repr=False)

    @property
    def always(self) -> tuple[Property, ...]:
        return tuple(p for p in self.properties if p.kind == "always")

    @property
    def sometimes(self) -> tuple[Property, ...]:
        return tuple(p for p in self.properties if p.kind == "sometimes")

    @property
    def progress(self) -> tuple[Property, ...]:
        return tuple(p for p in self.properties if p.kind == "progress")

    def property(self, name: str) -> Property:
        for p in self.properties:
            if p.name == name:
                return p
        raise KeyError(name)

    def thread(self, name: str) -> Thread:
        for t in self.threads:
            if t.name == name:
                return t
        raise KeyError(name)

    def all_vars(self) -> Iterator[VarDecl]:
        yield from self.globals
        for t in self.threads:
            yield from t.locals

    @cached_property
    def param_text(self) -> str:
        return " ".join(f"{k}={v}" for k, v in self.params)

    def action_text(self, aid: int) -> str:
        a = self.actions[aid]
        t = self.threads[a.thread]
        step = t.steps[a.step]
        case = step.cases[a.case]
        return f"{t.name}:{step.name}" + (f"[{case.label}]" if case.label else "")


def make_layout(globals_: tuple[VarDecl, ...], threads: tuple[Thread, ...]) -> Layout:
    from collapsecheck.expr.sorts import IntRange

    slots: list[Slot] = []
    base: dict[int, int] = {}
    pcs: list[int] = []

    def add_var(d: VarDecl, tindex: int | None) -> None:
        base[id(d)] = len(slots)
        if isinstance(d.sort, ArraySort):
            for k in range(d.sort.size_v):
                slots.append(Slot(f"{d.qualname}[{k}]", d.sort.elem, d, k, tindex))
        else:
            slots.append(Slot(d.qualname, d.sort, d, 0, tindex))

    for d in globals_:
        add_var(d, None)
    for t in threads:
        pcs.append(len(slots))
        slots.append(Slot(f"{t.name}.pc", IntRange(0, len(t.steps)), None, 0, t.index))
        for d in t.locals:
            add_var(d, t.index)
    return Layout(tuple(slots), base, tuple(pcs))


def make_actions(threads: tuple[Thread, ...]) -> tuple[Action, ...]:
    out: list[Action] = []
    for t in threads:
        for si, s in enumerate(t.steps):
            for ci in range(len(s.cases)):
                out.append(Action(len(out), t.index, si, ci))
    return tuple(out)
