"""The interpreted transition semantics of a frozen model: initial states, successors, replay, diffs.

This is the reference the generated explicit engine and the symbolic engines are checked against, and it
replays counterexamples. It is slow (it walks expression trees); the hot loop lives in
``explicit/codegen.py``. It must not import z3 or networkx.
"""

from __future__ import annotations

import itertools
from typing import Iterator, Sequence

from collapsecheck.errors import ModelError, ModelRuntimeError
from collapsecheck.expr.evaluate import evaluate
from collapsecheck.expr.nodes import Elem, Expr
from collapsecheck.expr.sorts import ArraySort, IntRange
from collapsecheck.model.core import Model, Step, Thread, VarDecl

State = tuple


class StateView:
    """Reads a state tuple through the model's layout (the ``Env`` of the reference interpreter)."""

    __slots__ = ("model", "state")

    def __init__(self, model: Model, state: State) -> None:
        self.model = model
        self.state = state

    def read(self, decl: VarDecl) -> int:
        return self.state[self.model.layout.slot_of(decl)]  # type: ignore[no-any-return]

    def read_elem(self, decl: VarDecl, index: int) -> int:
        return self.state[self.model.layout.slot_of(decl, index)]  # type: ignore[no-any-return]

    def at_step(self, thread: str, labels: tuple[str, ...]) -> bool:
        t = self.model.thread(thread)
        pc = self.state[self.model.layout.pc_slot[t.index]]
        return any(pc == t.step_index(lab) for lab in labels)

    def value(self, e: Expr) -> object:
        return evaluate(e, self)


def initial_states(model: Model) -> list[State]:
    """Every initial state, in a fixed order (the product of the init choices, filtered by assume_init)."""
    choices: list[tuple[int, ...]] = []
    for slot in model.layout.slots:
        if slot.decl is None:
            choices.append((0,))
        else:
            choices.append(slot.decl.init[slot.elem])
    out = []
    for combo in itertools.product(*choices):
        s = tuple(combo)
        view = StateView(model, s)
        if all(evaluate(c, view) for c in model.init_constraints):
            out.append(s)
    return out


def enabled_cases(model: Model, s: State, thread: Thread) -> list[int]:
    """Indices of the cases of the thread's current step that can fire in ``s``."""
    pc = s[model.layout.pc_slot[thread.index]]
    if pc >= len(thread.steps):
        return []
    step = thread.steps[pc]
    view = StateView(model, s)
    out = []
    for k, c in enumerate(step.cases):
        if evaluate(c.guard, view):
            out.append(k)
            if step.ordered:
                break
    return out


def fire(model: Model, s: State, thread: Thread, case_index: int) -> State:
    """The state after the thread takes the given case of its current step (guard assumed true)."""
    lay = model.layout
    pc_slot = lay.pc_slot[thread.index]
    step = thread.steps[s[pc_slot]]
    c = step.cases[case_index]
    view = StateView(model, s)
    new = list(s)
    for u in c.updates:
        val = evaluate(u.value, view)
        tgt = u.target
        if isinstance(tgt, Elem):
            decl = tgt.array.decl
            i = evaluate(tgt.index, view)
            assert isinstance(decl.sort, ArraySort)
            if not isinstance(i, int) or not 0 <= i < decl.sort.size_v:
                raise range_error(model, thread, step, f"index {i} is outside {decl.qualname}[0..{decl.sort.size_v - 1}]",
                                  c.loc)
            _check_range(model, thread, step, decl.sort.elem, val, f"{decl.qualname}[{i}]", c.loc)
            new[lay.slot_of(decl, i)] = val
        else:
            decl = tgt.decl
            if isinstance(decl.sort, ArraySort):
                assert isinstance(val, tuple)
                for k, v in enumerate(val):
                    _check_range(model, thread, step, decl.sort.elem, v, f"{decl.qualname}[{k}]", c.loc)
                    new[lay.slot_of(decl, k)] = v
            else:
                _check_range(model, thread, step, decl.sort, val, decl.qualname, c.loc)
                new[lay.slot_of(decl)] = val
    new[pc_slot] = c.goto
    return tuple(new)


def range_error(model: Model, thread: Thread, step: Step, what: str, loc: object = None) -> ModelRuntimeError:
    return ModelRuntimeError(what, loc or step.loc,  # type: ignore[arg-type]
                             f"model {model.name}, thread {thread.name!r}, step {step.name!r}")


def _check_range(model: Model, thread: Thread, step: Step, sort: object, val: object, name: str,
                 loc: object = None) -> None:
    if isinstance(sort, IntRange) and not sort.contains(val):  # type: ignore[arg-type]
        raise range_error(model, thread, step, f"{name} := {val} is outside its range {sort}", loc)


def successors(model: Model, s: State) -> Iterator[tuple[int, State]]:
    """(action id, next state) for every enabled transition, in thread, step and case order."""
    first_action = _first_action_ids(model)
    for t in model.threads:
        pc = s[model.layout.pc_slot[t.index]]
        for k in enabled_cases(model, s, t):
            yield first_action[(t.index, pc)] + k, fire(model, s, t, k)


def _first_action_ids(model: Model) -> dict[tuple[int, int], int]:
    out: dict[tuple[int, int], int] = {}
    for a in model.actions:
        out.setdefault((a.thread, a.step), a.id)
    return out


def apply_action(model: Model, s: State, aid: int) -> State | None:
    """The successor through action ``aid``, or None when that action is not enabled in ``s``."""
    a = model.actions[aid]
    t = model.threads[a.thread]
    if s[model.layout.pc_slot[t.index]] != a.step:
        return None
    if a.case not in enabled_cases(model, s, t):
        return None
    return fire(model, s, t, a.case)


def replay(model: Model, start: State, aids: Sequence[int]) -> list[State]:
    """The states visited by the actions from ``start``; raises if an action is not enabled."""
    states = [start]
    for n, aid in enumerate(aids, 1):
        nxt = apply_action(model, states[-1], aid)
        if nxt is None:
            raise ModelError(f"step {n} ({model.action_text(aid)}) is not enabled in the replayed state")
        states.append(nxt)
    return states


def terminal_ok(model: Model, s: State) -> bool:
    """A state with no successor is fine when every thread has finished or rests at an end-labelled step."""
    for t in model.threads:
        pc = s[model.layout.pc_slot[t.index]]
        if pc < len(t.steps) and not t.steps[pc].end_ok:
            return False
    return True


def blocked_threads(model: Model, s: State) -> list[tuple[str, str]]:
    """(thread, step) of every thread that is neither finished nor resting at an end label."""
    out = []
    for t in model.threads:
        pc = s[model.layout.pc_slot[t.index]]
        if pc < len(t.steps) and not t.steps[pc].end_ok:
            out.append((t.name, t.steps[pc].name))
    return out


def changes(model: Model, before: State, after: State) -> list[tuple[str, str, str]]:
    """(slot name, old, new) for every non-pc slot that differs, values shown through their sorts."""
    out = []
    for k, slot in enumerate(model.layout.slots):
        if slot.decl is None or before[k] == after[k]:
            continue
        out.append((slot.name, slot.sort.show(before[k]), slot.sort.show(after[k])))
    return out


def describe_state(model: Model, s: State) -> dict[str, str]:
    """Every slot of a state by name (pcs shown as step labels)."""
    out = {}
    for k, slot in enumerate(model.layout.slots):
        if slot.decl is None:
            t = model.threads[slot.thread]  # type: ignore[index]
            out[slot.name] = t.label_of(s[k])
        else:
            out[slot.name] = slot.sort.show(s[k])
    return out
