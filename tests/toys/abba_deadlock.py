"""Two CPUs take two spinlocks in opposite orders (ABBA): a deadlock unless the order is fixed."""
from collapsecheck.dsl import And, kernel


def build(m, *, ordered: bool = False) -> None:
    a = kernel.SpinLock(m, "lock_a")
    b = kernel.SpinLock(m, "lock_b")
    cpus = []
    for name, first, second in (("cpu0", a, b), ("cpu1", b, a)):
        if ordered:
            first, second = a, b
        t = m.thread(name)
        t.step("lock_first", first.lock(t))
        t.step("lock_second", second.lock(t))
        t.step("unlock_second", second.unlock(t))
        t.step("unlock_first", first.unlock(t))
        cpus.append(t)
    m.sometimes("both_done", And(*[t.done for t in cpus]))
