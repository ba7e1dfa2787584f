"""Toy for the prove engine's count terms (``symbolic/forall/count.py``): a re-count before publishing.

A collector scans a range: it counts the holes into ``holes`` and takes the present pages (``taken``). A
writer may meanwhile fill one hole with a page of its own. The collector then walks the range again,
marks every hole it still finds ``RETRY`` and counts them into ``again``; it publishes only when
``holes == again`` (otherwise it clears the ``RETRY`` marks and gives up). ``publish_covers_owned`` (at
``publish`` every slot is ``RETRY`` or a taken page) holds because a page the writer put into a counted hole
makes ``again`` smaller than ``holes``: ``#{p : slot[p] ≠ RETRY ∧ ¬taken[p]} = holes − again`` during the
second walk. No clause over one page says that. Size-generic in ``pages`` (the shape of mm/khugepaged.c:
collapse_file's ``nr_none`` re-count, v6.6, paraphrased).

``bug = "no_recheck"``: the collector publishes without comparing the counts (the property is violated).
Not kernel code: a test fixture.
"""
from collapsecheck.dsl import BOOL, Array, ArrayOf, Enum, ForAll, Implies, IntRange, Ite, OneOf, Or, case, otherwise

Slot = Enum("Slot", "HOLE PAGE RETRY HUGE")


def build(m, *, pages: int = 2, bug: str = "none") -> None:
    N = m.size("pages", pages)
    slot = m.var("slot", Array(Slot, N), init=OneOf(Slot.HOLE, Slot.PAGE))

    c = m.thread("collector")
    i = c.local("i", IntRange(0, N), init=0)
    holes = c.local("holes", IntRange(0, N), init=0)
    again = c.local("again", IntRange(0, N), init=0)
    taken = c.local("taken", Array(BOOL, N), init=False)
    c.branch("scan",
             case(when=i == N, do={i: 0}, goto="fill", label="scan done"),
             case(when=slot[i] == Slot.HOLE, do={holes: holes + 1, i: i + 1}, goto="scan", label="hole"),
             otherwise(do={taken[i]: True, i: i + 1}, goto="scan", label="take page"))
    c.branch("fill",
             case(when=i == N, goto="check", label="fill done"),
             case(when=slot[i] == Slot.HOLE, do={slot[i]: Slot.RETRY, again: again + 1, i: i + 1}, goto="fill",
                  label="hole: RETRY"),
             otherwise(do={i: i + 1}, goto="fill", label="page"))
    if bug == "no_recheck":
        c.step("check")
    else:
        c.branch("check",
                 case(when=holes != again, do={slot: ArrayOf(N, lambda k: Ite(slot[k] == Slot.RETRY, Slot.HOLE, slot[k]))},
                      goto="END", label="a hole was filled: give up"),
                 otherwise(label="counts match"))
    c.step("publish", do={slot: ArrayOf(N, lambda k: Slot.HUGE)})

    w = m.thread("writer")
    addr = w.local("addr", IntRange(0, N - 1), init=OneOf(*range(pages)))
    w.branch("insert",
             case(when=slot[addr] == Slot.HOLE, do={slot[addr]: Slot.PAGE}, goto="END", label="fill the hole"),
             otherwise(goto="END", label="-EEXIST"))

    m.always("publish_covers_owned",
             Implies(c.at("publish"), ForAll(N, lambda k: Or(slot[k] == Slot.RETRY, taken[k]))))
