"""Toy for the prove engine's ownership clauses: what a thread knows about the page its own pointer names.

A collector trylocks every page in index order and then replaces all of them with one huge entry; a
faulter looks up ``slot[addr]``, locks the small page it found (a huge one needs no page lock here),
re-checks the slot and maps. The target ``fault_maps_what_it_found`` holds because a faulter that found a
small page holds that page's lock from its lock step to its map step, and the collector publishes only
while it holds every page's lock. The first fact is ``faulter@map ∧ found = SMALL ∧ addr = p →
owner[p] = FAULTER`` (or, with a cell of the page instead of ``found``, ``faulter@map ∧ owner[p] = NOBODY ∧
addr = p → slot[p] = HUGE``): three premises, which the one- and two-premise templates do not mine
(``columns.Columns._owned`` does).
Size-generic in ``pages``. ``bug = "no_recheck"`` maps without the re-check (violated). Not kernel code: a
test fixture.
"""
from collapsecheck.dsl import And, Array, ArrayOf, Enum, ForAll, Implies, IntRange, Ite, OneOf, case, otherwise

Slot = Enum("Slot", "HOLE PAGE HUGE")
Found = Enum("Found", "NONE SMALL HUGE")
NOBODY, COLLECTOR, FAULTER = 0, 1, 2


def build(m, *, pages: int = 2, bug: str = "none") -> None:
    N = m.size("pages", pages)
    slot = m.var("slot", Array(Slot, N), init=OneOf(Slot.HOLE, Slot.PAGE))
    owner = m.var("owner", Array(IntRange(0, 2), N), init=NOBODY, doc="who holds the page's lock")

    c = m.thread("collector")
    i = c.local("i", IntRange(0, N), init=0)
    c.branch("trylock",
             case(when=i == N, goto="publish", label="all locked"),
             case(when=owner[i] == NOBODY, do={owner[i]: COLLECTOR, i: i + 1}, goto="trylock", label="locked"),
             otherwise(goto="unlock", label="busy: give up"))
    c.step("publish", do={slot: ArrayOf(N, lambda k: Slot.HUGE)})
    c.step("unlock", do={owner: ArrayOf(N, lambda k: Ite(owner[k] == COLLECTOR, NOBODY, owner[k]))}, goto="END")

    f = m.thread("faulter")
    addr = f.local("addr", IntRange(0, N - 1), init=OneOf(*range(pages)))
    found = f.local("found", Found, init=Found.NONE)
    f.branch("lookup",
             case(when=slot[addr] == Slot.PAGE, do={found: Found.SMALL}, goto="lock", label="small"),
             case(when=slot[addr] == Slot.HUGE, do={found: Found.HUGE}, goto="map", label="huge"),
             otherwise(goto="END", label="hole"))
    f.step("lock", when=owner[addr] == NOBODY, do={owner[addr]: FAULTER})
    if bug == "no_recheck":
        f.step("recheck", goto="map")
    else:
        f.branch("recheck",
                 case(when=slot[addr] == Slot.PAGE, goto="map", label="unchanged"),
                 otherwise(do={owner[addr]: NOBODY, found: Found.NONE}, goto="END", label="changed: unlock"))
    f.branch("map",
             case(when=found == Found.SMALL, do={owner[addr]: NOBODY}, goto="END", label="small: unlock"),
             otherwise(goto="END", label="huge"))

    m.always("fault_maps_what_it_found",
             Implies(And(f.at("map"), found == Found.SMALL), slot[addr] == Slot.PAGE))
    m.always("all_owned_at_publish", Implies(c.at("publish"), ForAll(N, lambda k: owner[k] == COLLECTOR)))
