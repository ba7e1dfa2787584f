"""Toy for the prove engine's fuzz test: a random *size-generic* model drawn from ``seed``.

A writer fills a page array in a loop (maybe under a lock, maybe staged then committed by a whole-array
write, maybe rolled back after publishing); a reader waits for the publication and walks the pages (copying,
checking or clearing them); one to three properties quantify over the pages or read the loop counters.
Some seeds carry a bug on purpose (the loop starts at page 1 or leaves one page early, a wrong value is
written, the reader does not wait or does not lock, a counter can overflow its range). Every choice is
drawn from ``random.Random(seed)`` and none depends on ``pages``: the model is the same template at every
page count, so ``-p pages=N`` is accepted. Not kernel code: a test fixture (tests/test_fuzz.py).
"""
import random

from collapsecheck.dsl import BOOL, And, Array, ArrayOf, Count, Enum, Exists, ForAll, Implies, IntRange, Ite, Not, \
    case, kernel, otherwise

Val = Enum("Val", "EMPTY HALF FULL")


def build(m, *, pages: int = 2, seed: int = 0) -> None:
    rnd = random.Random(seed)
    N = m.size("pages", pages)
    a = m.var("a", Array(Val, N), init=Val.EMPTY)
    done = m.var("done", BOOL, init=False)
    bad = m.ghost("bad", Array(BOOL, N), init=False)
    counted = rnd.random() < 0.4
    cnt = m.var("cnt", IntRange(0, N), init=0) if counted else None
    lock = kernel.SpinLock(m, "lock") if rnd.random() < 0.6 else None
    staged = rnd.random() < 0.3
    fill_value = Val.HALF if staged else Val.FULL
    if rnd.random() < 0.15:  # bug: a wrong value, on some pages or all
        fill_value = rnd.choice([Val.HALF if not staged else Val.EMPTY, Ite(done, Val.FULL, Val.HALF)])

    w = m.thread("writer")
    i = w.local("i", IntRange(0, N), init=1 if rnd.random() < 0.15 else 0)  # 1: skips the first page (bug)
    if lock is not None:
        w.step("lock", lock.lock(w))
    after = "commit" if staged else "publish"
    cases = [case(when=i == N, goto=after, label="all pages")]
    if rnd.random() < 0.15:  # bug: leaves the loop one page early
        cases.append(case(when=i == N - 1, goto=after, label="one early"))
    if rnd.random() < 0.3:  # a page already full is skipped
        cases.append(case(when=a[i] == Val.FULL, do={i: i + 1}, goto="fill", label="already full"))
    fill = {a[i]: fill_value, i: i + 1}
    if counted:
        fill[cnt] = cnt + 1
    cases.append(otherwise(do=fill, goto="fill"))
    w.branch("fill", *cases)
    if staged:
        w.step("commit", do={a: ArrayOf(N, lambda k: Ite(a[k] == Val.HALF, Val.FULL, a[k]))})
    w.step("publish", do={done: True})
    if lock is not None and rnd.random() < 0.8:
        w.step("unlock", lock.unlock(w))
    elif lock is not None:  # bug: unlocks only after a rollback chance (the reader may wait meanwhile)
        w.choose("maybe_rollback",
                 case(do={}, label="keep"),
                 case(do={a: ArrayOf(N, lambda k: Val.EMPTY), done: False}, label="rollback"))
        w.step("unlock", lock.unlock(w))
    if rnd.random() < 0.15:  # bug: a rollback after the publication, outside the lock
        w.choose("late",
                 case(do={}, label="keep"),
                 case(do={a: ArrayOf(N, lambda k: Val.EMPTY), done: False}, label="rollback"))

    r = m.thread("reader")
    j = r.local("j", IntRange(0, N), init=0)
    r.step("wait", when=done if rnd.random() < 0.85 else None)  # bug: does not wait
    locks = lock is not None and rnd.random() < 0.8
    if locks:
        r.step("lock", lock.lock(r))
    kind = rnd.choice(["check", "check", "clear", "count"])
    if kind == "check":
        walk = {bad[j]: a[j] != Val.FULL, j: j + 1}
    elif kind == "clear":  # a consumer: empties the pages it walks (published_full no longer holds)
        walk = {a[j]: Val.EMPTY, j: j + 1}
    else:
        walk = {bad[j]: a[j] == Val.EMPTY, j: j + 1}
        if counted:
            walk[cnt] = Ite(cnt > 0, cnt - 1, cnt) if rnd.random() < 0.7 else cnt + 1  # cnt + 1: may overflow
    r.branch("walk", case(when=j == N, goto="finish", label="all pages"), otherwise(do=walk, goto="walk"))
    if locks:
        r.step("finish", lock.unlock(r))
    else:
        r.step("finish")

    props = [
        ("published_full", Implies(done, ForAll(N, lambda k: a[k] == Val.FULL))),
        ("never_bad", ForAll(N, lambda k: Not(bad[k]))),
        ("no_half_when_done", Implies(done, Not(Exists(N, lambda k: a[k] == Val.HALF)))),
        ("loop_finished", Implies(done, i == N)),
        ("reader_behind", Implies(And(j > 0, j < N), done)),
    ]
    if counted:
        props.append(("count_matches", Implies(done, cnt <= Count(N, lambda k: a[k] != Val.EMPTY))))
    for name, expr in rnd.sample(props, rnd.randint(1, 3)):
        m.always(name, expr)
    if rnd.random() < 0.3:
        m.allow_deadlock()
