"""A writer fills two slots and raises a flag too early; a reader that trusts the flag sees a slot empty.

Test model for the report figures: its shortest counterexample has one of every change kind the
diagrams distinguish (lock acquire and release, a slot change, a flag set, a ghost observation), and it
names nothing the kernel models use, so the figures are checked to be derived from declarations alone."""
from collapsecheck.dsl import BOOL, Array, Enum, Not, kernel

Cell = Enum("Cell", "EMPTY FULL")


def build(m, *, early_flag: bool = True) -> None:
    N = m.size("cells", 2)
    cell = m.var("cell", Array(Cell, N), init=Cell.EMPTY, doc="the two slots")
    ready = m.var("ready", BOOL, init=False, doc="the writer says both slots are full")
    seen_empty = m.ghost("seen_empty", BOOL, init=False, doc="the reader found a slot empty after ready")
    lock = kernel.SpinLock(m, "lock")

    w = m.thread("writer")
    w.step("spin_lock", lock.lock(w))
    w.step("fill_second", do={cell[1]: Cell.FULL}, doc="fill the second slot")
    w.step("spin_unlock", lock.unlock(w))
    if early_flag:
        w.step("publish", do={ready: True}, doc="the bug: the flag goes up before the first slot is full")
        w.step("fill_first", do={cell[0]: Cell.FULL})
    else:
        w.step("fill_first", do={cell[0]: Cell.FULL})
        w.step("publish", do={ready: True})

    r = m.thread("reader")
    r.step("look", when=ready, do={seen_empty: cell[0] == Cell.EMPTY}, doc="read the first slot once ready")

    m.always("reader_sees_full_slots", Not(seen_empty), doc="once ready, every slot is full")
    m.sometimes("reader_reads", r.done)
