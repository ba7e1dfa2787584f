"""A worker picks one of two equally short ways to a bad flag: one touches shared state on the way, the
other only its own bookkeeping; a watcher snapshots the shared value before the worker changes it.

Test model for event-shortest counterexamples and folded display: breadth-first search finds the noisy
way first (its case is listed first), the minimiser must prefer the quiet one (fewer events, same
length). The long step name and doc check that wrapping never splits an identifier and that a cut note
says where its full text is."""
from collapsecheck.dsl import BOOL, IntRange, Not, case, kernel


def build(m) -> None:
    noise = m.var("noise", IntRange(0, 1), init=0, doc="shared state the noisy way touches")
    bad = m.var("bad", BOOL, init=False)
    lock = kernel.SpinLock(m, "lock")

    w = m.thread("worker")
    tick = w.local("tick", IntRange(0, 2), init=0)
    w.choose("pick",
             case(do={noise: 1}, label="noisy"),
             case(do={tick: tick + 1}, label="quiet"),
             doc="two ways, equally short")
    w.step("take_lock", lock.lock(w))
    w.step("a_really_long_kernel_function_name_that_exceeds_any_column_width_by_far", do={bad: True},
           doc=" ".join(["the worker raises the flag while holding the lock, which the watcher then sees "
                         "and reports; this sentence is long on purpose"] * 3))
    w.step("drop_lock", lock.unlock(w))

    v = m.thread("watcher")
    seen = v.local("seen", IntRange(0, 1), init=0)
    v.step("snapshot", do={seen: noise}, doc="reads the shared value once")

    m.always("flag_never_raised", Not(bad))
    m.sometimes("watcher_done", v.done)
