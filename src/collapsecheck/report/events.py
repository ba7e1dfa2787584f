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

Pure data: it must not format, render or run anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum

from collapsecheck.expr.sorts import BoolSort, EnumSort, OwnerSort
from collapsecheck.model.core import Model, Slot
from collapsecheck.result import TraceStep


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
