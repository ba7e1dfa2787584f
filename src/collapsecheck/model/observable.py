"""Which steps of a trace are *events* and which are purely local, decided from the model alone.

A counterexample reads like the kernel commit message only when the steps that matter stand out. A step
(one transition ``before -> after``) is an **event** when it changes something another thread or a
property can observe:

* a shared variable: any global, locks (owners, reader counts) and ghosts included;
* a thread-local variable that the property the trace is about reads (``walker.table`` in
  ``table_matches_pmd``);
* a thread's position, when it moves into or out of a step that this property tests (``t@label``);
* a thread-local variable assigned from shared state, through the update's value or the case's guard
  (a *snapshot* such as ``pmd_seen = pmd``): a stale snapshot read before another CPU changed the value
  is often the whole bug, so it is never folded away.

Every other step is **local**: it moves its own program counter (loop exits, branch outcomes decided on
locals) and updates bookkeeping locals computed from locals and constants. Nothing outside the thread
can tell it happened until the thread's next event, so figures may fold it and the trace minimiser
(``explicit/shortest_events.py``) counts it as free. The inputs of *other* properties do not count: a
loop exit that another invariant happens to test is noise in this property's story. A trace that is
about no property (a path to a deadlock) has only shared changes and snapshots as events.

Pure, static data per model plus a slot diff per step: it must not evaluate expressions on states, run
searches or format anything.
"""

from __future__ import annotations

import weakref
from dataclasses import dataclass

from collapsecheck.expr.nodes import AtStep, Expr, VarRef
from collapsecheck.model.core import Model, VarDecl


@dataclass(frozen=True)
class EventRule:
    """What makes a step an event, as state-tuple slot indices."""

    observed: frozenset[int]  # slots whose change is an event (globals, property-read locals)
    tested_pcs: dict[int, tuple[frozenset[int], ...]]  # pc slot -> the step sets properties test there
    snapshots: tuple[frozenset[int], ...]  # per action id: local slots it assigns from shared state


_RULES: "weakref.WeakKeyDictionary[Model, dict[str | None, EventRule]]" = weakref.WeakKeyDictionary()


def reads(e: Expr) -> tuple[list[VarDecl], list[AtStep]]:
    """The declarations (via ``VarRef``) and position tests an expression reads."""
    decls: list[VarDecl] = []
    at: list[AtStep] = []
    todo = [e]
    while todo:
        x = todo.pop()
        if isinstance(x, VarRef):
            decls.append(x.decl)  # type: ignore[arg-type]
        elif isinstance(x, AtStep):
            at.append(x)
        todo += [c for c in x.children() if isinstance(c, Expr)]
    return decls, at


def _slots(model: Model, d: VarDecl) -> range:
    base = model.layout.slot_of(d)
    return range(base, base + d.width)


def event_rule(model: Model, prop: str | None) -> EventRule:
    """The rule for traces of property ``prop`` (None: a deadlock path); computed once per model object."""
    cache = _RULES.setdefault(model, {})
    rule = cache.get(prop)
    if rule is not None:
        return rule
    observed: set[int] = set()
    for d in model.globals:
        observed.update(_slots(model, d))
    tested: dict[int, list[frozenset[int]]] = {}
    for p in model.properties if prop is not None else ():
        if p.name != prop:
            continue
        decls, at = reads(p.expr)
        for d in decls:
            observed.update(_slots(model, d))
        for a in at:
            t = model.thread(a.thread)
            labels = frozenset(t.step_index(lab) for lab in a.labels)
            sets = tested.setdefault(model.layout.pc_slot[t.index], [])
            if labels not in sets:
                sets.append(labels)
    snaps: list[frozenset[int]] = []
    for act in model.actions:
        step = model.threads[act.thread].steps[act.step]
        guard = step.effective_guards()[act.case]
        case = step.cases[act.case]
        guard_shared = any(d.thread is None for d in reads(guard)[0])
        out: set[int] = set()
        for u in case.updates:
            decl = getattr(u.target, "decl", None) or u.target.array.decl  # type: ignore[union-attr]
            if decl.thread is None:
                continue
            shared = guard_shared or any(d.thread is None for d in reads(u.value)[0]) \
                or any(d.thread is None for d in reads(u.target)[0] if d is not decl)
            if shared:
                out.update(_slots(model, decl))
        snaps.append(frozenset(out))
    rule = EventRule(frozenset(observed), {k: tuple(v) for k, v in tested.items()}, tuple(snaps))
    cache[prop] = rule
    return rule


def is_event(model: Model, prop: str | None, aid: int, before: tuple, after: tuple) -> bool:
    """Whether the step ``before -(action aid)-> after`` is an event of ``prop``'s story (see above)."""
    rule = event_rule(model, prop)
    for k in rule.observed | rule.snapshots[aid]:
        if before[k] != after[k]:
            return True
    pc = model.layout.pc_slot[model.actions[aid].thread]
    return any((before[pc] in labels) != (after[pc] in labels) for labels in rule.tested_pcs.get(pc, ()))


def position_changes(model: Model, prop: str | None, aid: int, before: tuple, after: tuple
                     ) -> list[tuple[str, str, str]]:
    """The property's position tests this step flips, as changes ``("t@label", "false", "true")``: a
    step that only moves its thread into a tested step still changes what the property reads."""
    rule = event_rule(model, prop)
    t = model.threads[model.actions[aid].thread]
    pc = model.layout.pc_slot[t.index]
    out = []
    for labels in rule.tested_pcs.get(pc, ()):
        was, now = before[pc] in labels, after[pc] in labels
        if was != now:
            names = sorted(t.label_of(k) for k in labels)
            where = names[0] if len(names) == 1 else "{" + ", ".join(names) + "}"
            out.append((f"{t.name}@{where}", str(was).lower(), str(now).lower()))
    return out
