"""CPUs each do some CPU-local work, then fold it into a shared total under a spinlock.

The CPUs are interchangeable and most of their steps touch only their own locals: the textbook case for
symmetry and partial-order reduction (the kernel models have neither shape). Without the lock, two CPUs
can interleave load and store and lose work."""
from collapsecheck.dsl import And, Implies, IntRange, kernel


def build(m, *, cpus: int = 3, work: int = 3, locked: bool = True) -> None:
    total = m.var("total", IntRange(0, cpus * work), init=0)
    lock = kernel.SpinLock(m, "lock")
    threads = []
    for k in range(cpus):
        t = m.thread(f"cpu{k}")
        acc = t.local("acc", IntRange(0, work), init=0)
        tmp = t.local("tmp", IntRange(0, cpus * work), init=0)
        for j in range(work):
            t.step(f"work{j}", do={acc: acc + 1})
        if locked:
            t.step("spin_lock", lock.lock(t))
        t.step("load", do={tmp: total})
        t.step("store", do={total: tmp + acc})
        if locked:
            t.step("spin_unlock", lock.unlock(t))
        threads.append(t)
    done = And(*[t.done for t in threads])
    m.always("no_lost_work", Implies(done, total == cpus * work))
    m.sometimes("all_done", done)
