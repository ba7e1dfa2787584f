"""Toy for the prove engine's counterexample-guided clauses (``symbolic/forall/cti.py``).

A collector locks the present pages of a range, skipping absent ones (so the pages it holds are not a prefix
of the loop), then either gives up (drops every lock it holds without leaving its step, and sets
``aborted``) or writes the pages it collected and unlocks. A fault thread locks one page while the
collector runs. ``writes_only_locked`` needs, among others, the three-premise clause
``collector@work ∧ ¬aborted ∧ collected[p] → owner[p] = COLLECTOR``, which none of the mined templates
(one premise; program counter and order of p) has: neither ``collector@work ∧ collected[p]`` (after giving
up) nor ``¬aborted ∧ collected[p]`` (after unlocking) implies it. Size-generic in ``pages``.

Variants: ``bug`` = ``none`` | ``no_recheck`` (the collector writes without re-checking ``aborted``: it may
write pages it no longer holds). Not kernel code: a test fixture.
"""
from collapsecheck.dsl import BOOL, And, Array, ArrayOf, Enum, ForAll, Implies, IntRange, Ite, Not, OneOf, case

Own = Enum("Own", "NOBODY COLLECTOR FAULT")


def build(m, *, pages: int = 2, bug: str = "none") -> None:
    N = m.size("pages", pages)
    present = m.var("present", Array(BOOL, N), init=OneOf(False, True))
    owner = m.var("owner", Array(Own, N), init=Own.NOBODY)
    collected = m.var("collected", Array(BOOL, N), init=False)
    aborted = m.var("aborted", BOOL, init=False)
    release = ArrayOf(N, lambda k: Ite(owner[k] == Own.COLLECTOR, Own.NOBODY, owner[k]))

    c = m.thread("collector")
    i = c.local("i", IntRange(0, N), init=0)
    c.branch("scan",
             case(when=i == N, goto="work", label="range done"),
             case(when=Not(present[i]), do={i: i + 1}, goto="scan", label="absent"),
             case(when=owner[i] == Own.NOBODY, do={owner[i]: Own.COLLECTOR, collected[i]: True, i: i + 1},
                  goto="scan", label="lock"))
    c.choose("work",
             case(when=Not(aborted) if bug == "none" else True, goto="write", label="proceed"),
             case(when=Not(aborted), do={aborted: True, owner: release}, goto="work", label="give up"),
             case(when=aborted, goto="END", label="leave"))
    c.step("write")
    c.step("unlock", do={owner: release})

    f = m.thread("fault")
    addr = f.local("addr", IntRange(0, N - 1), init=OneOf(*range(pages)))
    f.step("lock", when=owner[addr] == Own.NOBODY, do={owner[addr]: Own.FAULT})
    f.step("unlock", do={owner[addr]: Own.NOBODY})

    m.always("writes_only_locked",
             Implies(c.at("write"), ForAll(N, lambda k: Implies(collected[k], owner[k] == Own.COLLECTOR))))
    m.sometimes("collector_writes", c.at("write"))
