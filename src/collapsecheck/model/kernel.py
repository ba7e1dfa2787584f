"""Reusable kernel locking primitives, as fragments (guard + updates) to splice into steps.

``SpinLock`` (``xa_lock``/``spin_lock``), ``SleepLock`` (the PG_locked page lock with ``trylock``),
``RwSem`` (``mmap_lock``, ``i_mmap_rwsem``) and ``Refcount`` (``page_ref_freeze``/``unfreeze``,
``folio_try_get_rcu``). Each primitive declares its own state variables and returns
:class:`~collapsecheck.model.builder.Frag` objects, so a model writes
``c.step("xas_lock_irq", xa.lock(c))``. A waiting acquisition is a guard: the thread is blocked at that step
until the lock is free, which is how deadlocks become visible. This module must not hide steps: one call
never expands into more than the fragment it returns.
"""

from __future__ import annotations

from collapsecheck.expr.nodes import And, Expr, VarRef
from collapsecheck.expr.sorts import Bound, IntRange, Size
from collapsecheck.model.builder import Builder, Frag, ThreadBuilder


def _at(v: VarRef, index: object | None) -> Expr:
    return v if index is None else v[index]


class SpinLock:
    """A spinlock with an owner (``xa_lock_irq`` on ``mapping->i_pages``). Its holder must not sleep;
    models state that as an invariant over the holder's program counter where it matters."""

    def __init__(self, m: Builder, name: str, doc: str = "") -> None:
        self.name = name
        self.owner = m.var(name, m.OWNER, init=m.NOBODY, doc=doc or "owner of the spinlock")
        self._nobody = m.NOBODY
        m._register_lock(self)

    def held_by_owner(self, me: Expr) -> Expr:
        """Held by the owner value ``me`` (the built-in ``locks_released_at_exit`` check uses it)."""
        return self.owner == me

    def is_free(self) -> Expr:
        return self.owner == self._nobody

    def held_by(self, t: ThreadBuilder) -> Expr:
        return self.owner == t.me

    def lock(self, t: ThreadBuilder) -> Frag:
        """``spin_lock``: wait until free, then own it."""
        return Frag(self.is_free(), {self.owner: t.me}, blocking=f"spin_lock({self.name})")

    def trylock(self, t: ThreadBuilder) -> Frag:
        """The success case of ``spin_trylock``; pair it with ``otherwise(...)`` for the failure."""
        return Frag(self.is_free(), {self.owner: t.me})

    def unlock(self, t: ThreadBuilder) -> Frag:
        """``spin_unlock``: only the owner may release (a model that releases a lock it does not hold
        blocks here, which shows up as a deadlock or an unreached step)."""
        return Frag(self.held_by(t), {self.owner: self._nobody})

    def briefly(self) -> Frag:
        """A short critical section folded into one atomic step (lock, act, unlock): it waits for the
        lock to be free and leaves it free, so it is atomic with respect to every other holder."""
        return Frag(self.is_free(), blocking=f"spin_lock({self.name}) .. spin_unlock")


class SleepLock:
    """A sleeping bit-lock with ``trylock`` (PG_locked: ``folio_lock``/``trylock_page``/``unlock_page``).

    With ``size`` it is one lock per page (``lock(t, i)``); without, a single lock (the new huge page)."""

    def __init__(self, m: Builder, name: str, size: Bound | None = None, doc: str = "") -> None:
        from collapsecheck.expr.sorts import Array

        sort = m.OWNER if size is None else Array(m.OWNER, size)
        self.name = name
        self.owner = m.var(name, sort, init=m.NOBODY, doc=doc or "owner of the page lock")
        self._nobody = m.NOBODY
        self.indexed = size is not None
        self._size = size
        m._register_lock(self)

    def held_by_owner(self, me: Expr) -> Expr:
        """Any of the locks held by the owner value ``me``."""
        from collapsecheck.expr.nodes import Exists

        return Exists(self._size, lambda i: self.owner[i] == me) if self.indexed else self.owner == me

    def _o(self, index: object | None) -> Expr:
        if self.indexed != (index is not None):
            raise TypeError("indexed page locks need an index, single ones must not get one")
        return _at(self.owner, index)

    def is_free(self, index: object | None = None) -> Expr:
        return self._o(index) == self._nobody

    def held_by(self, t: ThreadBuilder, index: object | None = None) -> Expr:
        return self._o(index) == t.me

    def lock(self, t: ThreadBuilder, index: object | None = None) -> Frag:
        """``folio_lock``: sleep until the lock is free, then take it."""
        return Frag(self.is_free(index), {self._o(index): t.me}, blocking=f"folio_lock({self.name})")

    def trylock(self, t: ThreadBuilder, index: object | None = None) -> Frag:
        """The success case of ``trylock_page``; pair it with ``otherwise(...)`` for the failure."""
        return Frag(self.is_free(index), {self._o(index): t.me})

    def unlock(self, t: ThreadBuilder, index: object | None = None) -> Frag:
        """``unlock_page``: only the holder may unlock."""
        return Frag(self.held_by(t, index), {self._o(index): self._nobody})


class RwSem:
    """A reader/writer semaphore (``mmap_lock``, ``i_mmap_rwsem``): a reader count and a writer owner.

    Readers are counted, not named: the built-in exit check can only see that readers remain once every
    thread has finished. A reader count beyond ``max_readers`` is a run-time model error."""

    def __init__(self, m: Builder, name: str, max_readers: int = 4, doc: str = "") -> None:
        self.name = name
        self.readers = m.var(f"{name}.readers", IntRange(0, max_readers), init=0,
                             doc=doc or "number of read holders")
        self.writer = m.var(f"{name}.writer", m.OWNER, init=m.NOBODY, doc=doc or "write holder")
        self._nobody = m.NOBODY
        m._register_lock(self)

    def held_by_owner(self, me: Expr) -> Expr:
        """Write-held by the owner value ``me`` (read holders are anonymous)."""
        return self.writer == me

    def is_free(self) -> Expr:
        """Neither read- nor write-held."""
        return And(self.writer == self._nobody, self.readers == 0)

    def down_read(self, t: ThreadBuilder) -> Frag:
        """``down_read``: wait while a writer holds it, then add a reader."""
        return Frag(self.writer == self._nobody, {self.readers: self.readers + 1},
                    blocking=f"down_read({self.name})")

    def down_read_trylock(self, t: ThreadBuilder) -> Frag:
        """The success case of ``down_read_trylock``; pair it with ``otherwise(...)``."""
        return Frag(self.writer == self._nobody, {self.readers: self.readers + 1})

    def up_read(self, t: ThreadBuilder) -> Frag:
        """``up_read``: drop a reader (only when there is one)."""
        return Frag(self.readers > 0, {self.readers: self.readers - 1})

    def down_write(self, t: ThreadBuilder) -> Frag:
        """``down_write``: wait until there is no reader and no writer, then own it."""
        return Frag(self.is_free(), {self.writer: t.me}, blocking=f"down_write({self.name})")

    def down_write_trylock(self, t: ThreadBuilder) -> Frag:
        """The success case of ``down_write_trylock``; pair it with ``otherwise(...)``."""
        return Frag(self.is_free(), {self.writer: t.me})

    def up_write(self, t: ThreadBuilder) -> Frag:
        """``up_write``: only the write holder may release."""
        return Frag(self.writer == t.me, {self.writer: self._nobody})

    def write_held_by(self, t: ThreadBuilder) -> Expr:
        return self.writer == t.me

    def write_briefly(self) -> Frag:
        """A short write-locked section folded into one atomic step (``down_write``, act, ``up_write``):
        waits until the semaphore is free and leaves it free."""
        return Frag(self.is_free(), blocking=f"down_write({self.name}) .. up_write")

    def read_briefly(self) -> Frag:
        """A short read-locked section folded into one atomic step: waits while a writer holds it."""
        return Frag(self.writer == self._nobody, blocking=f"down_read({self.name}) .. up_read")


class Refcount:
    """A page reference count with freeze/unfreeze (``page_ref_freeze`` sets it to 0 if it equals the
    expected value; RCU lookups then fail ``folio_try_get_rcu`` and retry)."""

    def __init__(self, m: Builder, name: str, max_refs: int, init: object = 1, size: Size | int | None = None,
                 doc: str = "") -> None:
        from collapsecheck.expr.sorts import Array

        sort = IntRange(0, max_refs) if size is None else Array(IntRange(0, max_refs), size)
        self.ref = m.var(name, sort, init=init, doc=doc or "page reference count")
        self.indexed = size is not None

    def count(self, index: object | None = None) -> Expr:
        return _at(self.ref, index)

    def get(self, index: object | None = None) -> Frag:
        r = self.count(index)
        return Frag(None, {r: r + 1})

    def put(self, index: object | None = None) -> Frag:
        r = self.count(index)
        return Frag(r > 0, {r: r - 1})

    def try_get(self, index: object | None = None) -> Frag:
        """``folio_try_get_rcu`` success: only on a non-frozen page."""
        r = self.count(index)
        return Frag(r > 0, {r: r + 1})

    def freeze(self, expected: int, index: object | None = None) -> Frag:
        """``page_ref_freeze(page, expected)`` success case."""
        r = self.count(index)
        return Frag(r == expected, {r: 0})

    def freeze_fails(self, expected: int, index: object | None = None) -> Frag:
        return Frag(self.count(index) != expected)

    def unfreeze(self, value: int, index: object | None = None) -> Frag:
        r = self.count(index)
        return Frag(r == 0, {r: value})

    def frozen(self, index: object | None = None) -> Expr:
        return self.count(index) == 0
