"""A thread that retries a lookup forever while another holds a lock: a non-progress cycle toy."""
from collapsecheck.dsl import BOOL, case, kernel, otherwise


def build(m, *, fixed: bool = False) -> None:
    done = m.var("done", BOOL, init=False)
    lock = kernel.SpinLock(m, "lock")
    a = m.thread("holder")
    a.step("spin_lock", lock.lock(a))
    if fixed:
        a.step("spin_unlock", lock.unlock(a))
    else:
        # The unfixed holder never releases on purpose: this toy is about the retrier's non-progress cycle.
        m.allow_held_at_exit(lock, a, why="the toy's holder keeps the lock to starve the retrier")
    r = m.thread("retrier")
    r.branch("trylock", case(lock.trylock(r), goto="work"), otherwise(goto="trylock", label="busy: retry"))
    r.step("work", lock.unlock(r), do={done: True})
    m.allow_deadlock()
    m.progress("retrier_makes_progress", r.at("work", "END"))
    m.sometimes("work_done", done)
