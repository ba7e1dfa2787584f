"""Toy for the prove engine's loop-prefix clauses: what a loop index and one cell say about another cell.

A collector walks the pages in index order and isolates every mapped one from the LRU (a trylock that
fails gives up), skipping unmapped ones; then it copies, and puts the pages back. A walker (reclaim) picks
one page and trylocks it only when it is mapped and not isolated. The target
``walker_never_holds_a_page_being_copied`` holds because every mapped page below the collector's index is
isolated: ``collector@isolate ∧ mapped[p] = PAGE ∧ collector.i > p → isolated[p]``, a clause of a
program counter, an order against the loop index and a cell concluding another cell, which no template
with fewer premises states (paraphrases the isolation loop of ``__collapse_huge_page_isolate`` in
mm/khugepaged.c, v6.6, against an rmap walker). Size-generic in ``pages``. ``bug = "no_isolated_check"``:
the walker ignores ``isolated`` (violated). Not kernel code: a test fixture.
"""
from collapsecheck.dsl import BOOL, And, Array, ArrayOf, Enum, IntRange, Not, OneOf, case, otherwise

Pte = Enum("Pte", "NONE PAGE")
NOBODY, WALKER = 0, 1


def build(m, *, pages: int = 2, bug: str = "none") -> None:
    N = m.size("pages", pages)
    mapped = m.var("mapped", Array(Pte, N), init=OneOf(Pte.NONE, Pte.PAGE))
    isolated = m.var("isolated", Array(BOOL, N), init=False)
    owner = m.var("owner", Array(IntRange(0, 1), N), init=NOBODY, doc="who holds the page's lock")

    c = m.thread("collector")
    i = c.local("i", IntRange(0, N), init=0)
    c.branch("isolate",
             case(when=i == N, goto="copy", label="all isolated"),
             case(when=mapped[i] == Pte.NONE, do={i: i + 1}, goto="isolate", label="none: skip"),
             case(when=owner[i] == NOBODY, do={isolated[i]: True, i: i + 1}, goto="isolate",
                  label="trylock, isolate from the LRU, unlock"),
             otherwise(goto="release", label="busy: give up"))
    c.step("copy", goto="release")
    c.step("release", do={isolated: ArrayOf(N, lambda k: False)}, goto="END", doc="putback: back on the LRU")

    w = m.thread("walker")
    j = w.local("page", IntRange(0, N - 1), init=OneOf(*range(pages)))
    usable = And(mapped[j] == Pte.PAGE, owner[j] == NOBODY)
    w.branch("trylock",
             case(when=usable if bug == "no_isolated_check" else And(usable, Not(isolated[j])),
                  do={owner[j]: WALKER}, goto="look", label="on the LRU: trylock"),
             otherwise(goto="END", label="isolated or locked: skip"))
    w.step("look", do={owner[j]: NOBODY}, goto="END")

    m.always("walker_never_holds_a_page_being_copied", Not(And(w.at("look"), c.at("copy"))))
