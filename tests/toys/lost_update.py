"""Two CPUs increment a shared counter; without the spinlock one update is lost.

Abstraction: sequential consistency; the load and the store are separate steps."""
from collapsecheck.dsl import And, Implies, IntRange, kernel


def build(m, *, locked: bool = True) -> None:
    count = m.var("count", IntRange(0, 2), init=0)
    lock = kernel.SpinLock(m, "lock")
    cpus = []
    for name in ("cpu0", "cpu1"):
        t = m.thread(name)
        tmp = t.local("tmp", IntRange(0, 2), init=0)
        if locked:
            t.step("spin_lock", lock.lock(t))
        t.step("load", do={tmp: count})
        t.step("store", do={count: tmp + 1})
        if locked:
            t.step("spin_unlock", lock.unlock(t))
        cpus.append(t)
    both_done = And(cpus[0].done, cpus[1].done)
    m.always("no_lost_update", Implies(both_done, count == 2))
    m.sometimes("both_finish", both_done)
