"""Toy for the prove engine: a writer fills every page under a lock, then publishes; a reader waits for the
publication and copies the pages. Size-generic in ``pages``; the build parameters make a family of small
variants (the soundness tests draw from it with a seeded generator).

Variants: ``bug`` = ``none`` | ``early_publish`` (publishes one page early) | ``skip_first`` (the loop starts
at page 1); ``staged`` (pages are staged, then committed by one whole-array write); ``reader_locks`` (the
reader takes the lock to copy). Not kernel code: a test fixture.
"""
from collapsecheck.dsl import BOOL, And, Array, ArrayOf, Enum, ForAll, Implies, IntRange, Ite, case, kernel, otherwise

Val = Enum("Val", "EMPTY STAGED FULL")


def build(m, *, pages: int = 2, bug: str = "none", staged: bool = False, reader_locks: bool = True) -> None:
    N = m.size("pages", pages)
    data = m.var("data", Array(Val, N), init=Val.EMPTY)
    copied = m.ghost("copied", Array(BOOL, N), init=False)
    copy_bad = m.ghost("copy_bad", Array(BOOL, N), init=False)
    done = m.var("done", BOOL, init=False)
    lock = kernel.SpinLock(m, "lock")

    w = m.thread("writer")
    i = w.local("i", IntRange(0, N), init=1 if bug == "skip_first" else 0)
    w.step("lock", lock.lock(w))
    cases = [case(when=i == N, goto="commit" if staged else "publish", label="all pages")]
    if bug == "early_publish":
        cases.append(case(when=i == N - 1, goto="commit" if staged else "publish", label="one early"))
    cases.append(otherwise(do={data[i]: Val.STAGED if staged else Val.FULL, i: i + 1}, goto="fill"))
    w.branch("fill", *cases)
    if staged:
        w.step("commit", do={data: ArrayOf(N, lambda k: Ite(data[k] == Val.STAGED, Val.FULL, data[k]))})
    w.step("publish", do={done: True})
    w.step("unlock", lock.unlock(w))

    r = m.thread("reader")
    j = r.local("j", IntRange(0, N), init=0)
    r.step("wait", when=done)
    if reader_locks:
        r.step("lock", lock.lock(r))
    r.branch("copy",
             case(when=j == N, goto="finish", label="all copied"),
             otherwise(do={copied[j]: True, copy_bad[j]: data[j] != Val.FULL, j: j + 1}, goto="copy"))
    if reader_locks:
        r.step("finish", lock.unlock(r))
    else:
        r.step("finish")
    m.always("published_pages_full", Implies(done, ForAll(N, lambda k: data[k] == Val.FULL)))
    m.always("copies_are_full", ForAll(N, lambda k: Implies(copied[k], Not_(copy_bad[k]))))
    m.sometimes("reader_finishes", And(r.done, w.done))


def Not_(x):  # noqa: N802 - local alias keeps the import list short
    from collapsecheck.dsl import Not

    return Not(x)
