"""Toy for the prove engine's linear equalities: a page's refcount is a sum over its holders.

``ref[p]`` counts the cache's reference (``cached[p]``), the collector's pin (``pinned[p]``) and two readers'
transient references (each between ``get`` and ``put`` on its ``addr = p``). The evictor drops a cached page
only when the cache holds the sole reference (``ref == 1``), so a pinned page stays cached. That needs
``ref[p] = [cached[p]] + [pinned[p]] + [reader@put ∧ reader.addr = p] + [reader2@put ∧ reader2.addr = p]``:
a reader's ``put`` decrements ``ref[addr]``, and a clause would need both readers' steps and addresses and
the pin as premises (five) to say what the count is after it; the templates have at most three.
Size-generic in ``pages``. ``bug = "evict_pinned"`` checks ``ref <= 2`` (a pinned page can be evicted).
Not kernel code: a test fixture.
"""
from collapsecheck.dsl import BOOL, And, Array, ArrayOf, ForAll, Implies, IntRange, Ite, OneOf, case, otherwise


def build(m, *, pages: int = 2, bug: str = "none") -> None:
    N = m.size("pages", pages)
    cached = m.var("cached", Array(BOOL, N), init=True)
    ref = m.var("ref", Array(IntRange(0, 4), N), init=1)

    c = m.thread("collector")
    i = c.local("i", IntRange(0, N), init=0)
    pinned = c.local("pinned", Array(BOOL, N), init=False)
    c.branch("pin",
             case(when=i == N, goto="work", label="all pages"),
             case(when=cached[i], do={pinned[i]: True, ref[i]: ref[i] + 1, i: i + 1}, goto="pin", label="pin"),
             otherwise(do={i: i + 1}, goto="pin", label="not cached"))
    c.step("work")
    c.step("unpin", do={ref: ArrayOf(N, lambda k: Ite(pinned[k], ref[k] - 1, ref[k])),
                        pinned: ArrayOf(N, lambda k: False)})

    for name in ("reader", "reader2"):
        r = m.thread(name)
        addr = r.local("addr", IntRange(0, N - 1), init=OneOf(*range(pages)))
        r.branch("get",
                 case(when=cached[addr], do={ref[addr]: ref[addr] + 1}, goto="put", label="cached"),
                 otherwise(goto="END", label="not cached"))
        r.step("put", do={ref[addr]: ref[addr] - 1})

    e = m.thread("evictor")
    victim = e.local("victim", IntRange(0, N - 1), init=OneOf(*range(pages)))
    sole = ref[victim] <= 2 if bug == "evict_pinned" else ref[victim] == 1
    e.branch("evict",
             case(when=And(cached[victim], sole), do={cached[victim]: False, ref[victim]: ref[victim] - 1},
                  goto="END", label="sole reference"),
             otherwise(goto="END", label="in use"))

    m.always("pinned_pages_stay_cached", ForAll(N, lambda k: Implies(pinned[k], cached[k])))
