"""Classifies what each counterexample step changed, generically from the model's declarations.

Figures need to show lock operations, page-cache slot changes and flag flips distinctly, but they must not
know any particular model. The kind of a change is derived from the declared sort of the variable:

* a variable of the model's ``OwnerSort`` (a lock owner): ``nobody -> T`` is an *acquire*, ``T -> nobody``
  a *release*, anything else a *handoff*;
* an integer variable named ``<lock>.readers`` (the reader count of ``kernel.RwSem``): up is a read
  acquire, down a read release;
* an element of a shared (non-ghost) array of an enumeration: a *slot* change (``slot[0]: HOLE -> HUGE``);
* a shared boolean scalar: a *flag* set or cleared (``vm_uffd_missing: false -> true``);
* a ghost variable: an *observation* the properties are written over;
* a thread-local variable: *local* bookkeeping; everything else: a *value* change.

It also decides what a display folds (``fold_steps``: purely local steps, see ``model/observable.py``)
and which locks are held at the end of a trace (``held_locks``).

Pure data: it must not format, render or run anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from collapsecheck.expr.sorts import BoolSort, EnumSort, OwnerSort
from collapsecheck.model.core import Model, Slot
from collapsecheck.result import Trace, TraceStep


class Kind(StrEnum):
    ACQUIRE = "acquire"
    RELEASE = "release"
    HANDOFF = "handoff"
    SLOT = "slot"
    FLAG = "flag"
    GHOST = "ghost"
    LOCAL = "local"
    VALUE = "value"


LOCK_KINDS = (Kind.ACQUIRE, Kind.RELEASE, Kind.HANDOFF)
READERS_SUFFIX = ".readers"  # kernel.RwSem names its reader count "<name>.readers"
WRITER_SUFFIX = ".writer"  # ... and its write owner "<name>.writer"


@dataclass(frozen=True)
class Event:
    """One changed variable of one step, with its kind and the values as the model shows them."""

    kind: Kind
    var: str  # slot name: "slot[0]", "xa_lock", "collapse.index"
    old: str
    new: str
    lock: str = ""  # for lock kinds: the lock's display name ("xa_lock", "mmap_lock (read)")
    sort_name: str = ""  # for slot changes: the enumeration, so figures can colour its members

    @property
    def text(self) -> str:
        return f"{self.var}: {self.old} \u2192 {self.new}"


def _slots_by_name(model: Model) -> dict[str, Slot]:
    return {s.name: s for s in model.layout.slots}


def lock_name(var: str) -> str:
    """``mmap_lock.writer`` -> ``mmap_lock (write)``; ``mmap_lock.readers`` -> ``mmap_lock (read)``."""
    if var.endswith(WRITER_SUFFIX):
        return var[: -len(WRITER_SUFFIX)] + " (write)"
    if var.endswith(READERS_SUFFIX):
        return var[: -len(READERS_SUFFIX)] + " (read)"
    return var


def classify(model: Model, var: str, old: str, new: str, slots: dict[str, Slot] | None = None) -> Event:
    """The kind of one change ``var: old -> new`` (values as shown by the variable's sort)."""
    slot = (slots or _slots_by_name(model)).get(var)
    decl = slot.decl if slot is not None else None
    if slot is None or decl is None:
        return Event(Kind.VALUE, var, old, new)
    sort = slot.sort
    if isinstance(sort, OwnerSort):
        kind = Kind.ACQUIRE if old == "nobody" else Kind.RELEASE if new == "nobody" else Kind.HANDOFF
        return Event(kind, var, old, new, lock=lock_name(var))
    if decl.thread is not None:
        return Event(Kind.LOCAL, var, old, new)
    if decl.ghost:
        return Event(Kind.GHOST, var, old, new)
    if var.endswith(READERS_SUFFIX) and old.lstrip("-").isdigit() and new.lstrip("-").isdigit():
        kind = Kind.ACQUIRE if int(new) > int(old) else Kind.RELEASE
        return Event(kind, var, old, new, lock=lock_name(var))
    if decl.width > 1 or slot.name.endswith("]"):
        if isinstance(sort, EnumSort):
            return Event(Kind.SLOT, var, old, new, sort_name=sort.name)
        return Event(Kind.VALUE, var, old, new)
    if isinstance(sort, BoolSort):
        return Event(Kind.FLAG, var, old, new)
    return Event(Kind.VALUE, var, old, new)


def step_events(model: Model, step: TraceStep, slots: dict[str, Slot] | None = None) -> tuple[Event, ...]:
    """Every change of one trace step, classified, in layout order (as the engine listed them)."""
    slots = slots or _slots_by_name(model)
    return tuple(classify(model, n, o, v, slots) for n, o, v in step.changes)


def trace_events(model: Model, steps: tuple[TraceStep, ...]) -> list[tuple[Event, ...]]:
    slots = _slots_by_name(model)
    return [step_events(model, s, slots) for s in steps]


@dataclass(frozen=True)
class Shown:
    """A step the display keeps: its 1-based number in the full trace, the step, and the changes of
    folded local steps of the same thread since its previous shown step (``(number, var, old, new)``),
    which no other thread could see before now."""

    number: int
    step: TraceStep
    carried: tuple[tuple[int, str, str, str], ...] = ()
    moves: tuple[tuple[str, str, str], ...] = ()  # position tests of the property it flips (t@label)


@dataclass(frozen=True)
class Folded:
    """A purely local step left out of the display (``--full-trace`` shows it in place)."""

    number: int
    thread: str
    step: str
    case: str | None
    changes: tuple[tuple[str, str, str], ...]  # its local changes (also carried to the next shown step)


def fold_steps(model: Model, trace: Trace, prop: str | None, full: bool = False
               ) -> tuple[list[Shown], list[Folded]]:
    """The steps to display and the folded ones. A step is folded when it is not an event of ``prop``'s
    story (``model.observable``); with ``full`` (or a trace without states) nothing is folded."""
    from collapsecheck.model.observable import is_event, position_changes

    st = trace.states
    if len(st) != len(trace.steps) + 1:
        return [Shown(k, s) for k, s in enumerate(trace.steps, 1)], []
    shown: list[Shown] = []
    folded: list[Folded] = []
    pending: dict[str, list[tuple[int, str, str, str]]] = {}
    for k, s in enumerate(trace.steps):
        if full or is_event(model, prop, s.action, st[k], st[k + 1]) or k == len(trace.steps) - 1:
            # Entering and leaving a tested step are both shown: a trace that only said "false -> true"
            # would read as if the thread were still there, and two entries in a row as a contradiction.
            moves = tuple(position_changes(model, prop, s.action, st[k], st[k + 1]))
            shown.append(Shown(k + 1, s, tuple(pending.pop(s.thread, ())), moves))
        else:
            folded.append(Folded(k + 1, s.thread, s.step, s.case, s.changes))
            pending.setdefault(s.thread, []).extend((k + 1, n, o, v) for n, o, v in s.changes)
    return shown, folded


def held_locks(model: Model, trace: Trace) -> list[tuple[str, str]]:
    """(lock, holder) of every lock held in the trace's last state: owner variables from the state;
    reader counts attributed to the threads whose steps raised them (a count left from the initial
    state is given as a number of readers)."""
    if not trace.states:
        return []
    final = trace.states[-1]
    out: list[tuple[str, str]] = []
    readers: dict[str, dict[str, int]] = {}
    for s in trace.steps:
        for n, o, v in s.changes:
            if n.endswith(READERS_SUFFIX) and o.lstrip("-").isdigit() and v.lstrip("-").isdigit():
                per = readers.setdefault(n, {})
                per[s.thread] = per.get(s.thread, 0) + int(v) - int(o)
    for k, slot in enumerate(model.layout.slots):
        if slot.decl is None or slot.decl.thread is not None:  # pcs and locals are no locks
            continue
        value = slot.sort.show(final[k])
        if isinstance(slot.sort, OwnerSort) and value != "nobody":
            out.append((lock_name(slot.name), value))
        elif slot.name.endswith(READERS_SUFFIX) and value.isdigit() and int(value) > 0:
            per = {t: c for t, c in readers.get(slot.name, {}).items() if c > 0}
            for t, c in per.items():
                out.append((lock_name(slot.name), t + (f" (x{c})" if c > 1 else "")))
            rest = int(value) - sum(per.values())
            if rest > 0:
                out.append((lock_name(slot.name), f"{rest} reader(s) from the initial state"))
    return out
