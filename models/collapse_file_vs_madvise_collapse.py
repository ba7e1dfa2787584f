"""Two collapse contexts on one file extent: khugepaged against MADV_COLLAPSE (34488399fa08).

Kernel: mm/khugepaged.c:collapse_file() -- v6.3.8 (lines 1774-2144: Q1-Q8, the lock sequence of the
34488399fa08 message) and v6.6.9 (P1-P13, R1-R4); mm/khugepaged.c:madvise_collapse() and
khugepaged_scan_mm_slot() (both call hpage_collapse_scan_file() -> collapse_file() holding no mmap lock,
v6.6.9 :2393-2404, :2742-2749); mm/shmem.c:shmem_get_folio_gfp() (the sleeping lookup collapse_file uses for a
!uptodate entry, SGP_NOALLOC); include/linux/page_ref.h:page_ref_freeze()/page_ref_unfreeze().
Spec: kernel-spec.md §4.1, §4.2, §4.5 (M1-M4), §4.6 (and §1.3, §2.1 for the two step tables).

Commit 34488399fa08 "mm/madvise: add file and shmem support to MADV_COLLAPSE" (Zach O'Keefe, v6.1) made
collapse contexts race on one extent (khugepaged is single-threaded, MADV_COLLAPSE runs in any number of user
threads) and argued that collapse_file() is serialized by its lock sequence (paraphrased): lock the new
hugepage, take i_pages, lock the first small page under it, drop i_pages, page checks, re-take i_pages,
page_ref_freeze(3), xas_store(hugepage), drop i_pages, page_ref_unfreeze(1), unlock the first page, unlock
the hugepage. A context that loses i_pages also loses the first page and exits cleanly (trylock fails, or it
finds the hugepage, or "unexpected refcount"). On failure the holder of the first page puts it back in the
page cache and unfreezes its refcount *before* unlocking it, so losers find the same page with the right
count. v6.4+ (a2e17cc2efc7, ac492b9c70ca) replaced that by holding every page lock from P4 to P13/R2, a
XA_RETRY_ENTRY fill and a recount; there is no freeze and the rollback never touches the xarray.

Variants (``variant=``):
* ``v6_3``                   the 34488399fa08 sequence as in v6.3.8: M1-M4 hold.
* ``v6_6``                   v6.6.9: M1-M3 hold (M4 holds trivially: nothing is frozen).
* ``unlock_before_restore``  mutant of ``v6_3``: the Q8 rollback puts the page back into its slot but
                             unlocks it before restoring its refcount (page_ref_unfreeze(p, 2) after
                             unlock_page(p)). The other context's trylock then succeeds on a frozen page in the
                             cache, its get_page() is overwritten by the unfreeze, and it later drops a
                             reference it no longer has: M4 and the refcount property fail. (Unlocking before
                             the slot store alone is not observable: the frozen page is then in no slot and no
                             page table, so nobody can find it; the refcount is the part of "restoring" that
                             the message's rule protects.)

Actors: ``khugepaged`` and ``madvise_collapse``, both running collapse_file() on the same extent; they differ
only in what a published collapse returns (MADV_COLLAPSE's retract_page_tables() result is
SCAN_PTE_MAPPED_HUGEPAGE in v6.6, so that the caller installs the PMD).

Properties (spec §4.5): M1 single publication (at most one context publishes, and when it does no h of
the other is in the cache; in v6.3 the two h *can* coexist transiently -- the loser of the first page goes on
while the winner's Q8 walk is still NULLing its later filled holes, then sleeps on that h -- so the model
states M1 at the publication point, as the spec does, and keeps the coexistence as a witness for pages >= 3);
M2 a context that fails returns one of the listed codes and leaves no lock, no h, no RETRY entry behind and
never stores over the other's h; M3 no deadlock (the engine's deadlock check: every context takes page locks
in ascending order and sleeps only on a lock of an entry it found through xa_lock); M4 a page on a context's
list L (frozen, replaced, or being restored) is never locked by the other context; no page reference is
overwritten by page_ref_unfreeze(); and, checking the spec's INFERRED remark (§4.2), SCAN_PAGE_FILLED never
happens between two collapse contexts in v6.6.

Abstraction: sequential consistency; shmem only (the !shmem readahead/find_lock_page path is not
modelled); no faults, truncation or userfaultfd (see the lock-sequence and uffd models), so SCAN_TRUNCATED
cannot occur; one refcount per small page (page cache 1, the collapse's pin, LRU isolation; PTE mappings were
removed by try_to_unmap); LRU isolation may fail nondeterministically (another isolator), which is what makes
a context roll back; shmem_get_folio(SGP_NOALLOC)'s RCU lookup, folio_lock and mapping re-check are one step
(a waiter whose folio changed mapping repeats the lookup, which the model folds into the same wait; a frozen
page makes the lookup spin); shmem_charge accounting, the copy and i_mmap_rwsem (no uffd here) are not
modelled; the v6.3 success path (copy, unfreeze(1), unlock, put of every old page) is one step, and the Q8
walk is one step per index.
"""

from collapsecheck.dsl import (
    BOOL,
    And,
    Array,
    ArrayOf,
    Enum,
    Exists,
    ForAll,
    Implies,
    In,
    IntRange,
    Ite,
    Not,
    OneOf,
    Or,
    case,
    kernel,
    otherwise,
)

# Page-cache slot: hole, a small page, XA_RETRY_ENTRY, or the new huge folio of one of the two contexts.
Slot = Enum("Slot", "HOLE PAGE RETRY H_KHUGEPAGED H_MADVISE")
Scan = Enum("Scan", "SCAN_NONE SCAN_SUCCEED SCAN_FAIL SCAN_PAGE_LOCK SCAN_PAGE_COUNT SCAN_DEL_PAGE_LRU "
                    "SCAN_PTE_MAPPED_HUGEPAGE SCAN_PAGE_FILLED SCAN_TRUNCATED")
LOSER_RESULTS = ("SCAN_PAGE_LOCK", "SCAN_PTE_MAPPED_HUGEPAGE", "SCAN_PAGE_COUNT", "SCAN_DEL_PAGE_LRU",
                 "SCAN_PAGE_FILLED", "SCAN_TRUNCATED", "SCAN_FAIL")
CONTEXTS = ("khugepaged", "madvise_collapse")
VARIANTS = ("v6_3", "v6_6", "unlock_before_restore")


def build(m, *, variant: str = "v6_3", pages: int = 2) -> None:
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}")
    N = m.size("pages", pages)
    v63 = variant != "v6_6"
    H = (Slot.H_KHUGEPAGED, Slot.H_MADVISE)

    # ---------------------------------------------------------------------------------- shared state
    slot = m.var("slot", Array(Slot, N), init=OneOf(Slot.HOLE, Slot.PAGE), doc="mapping->i_pages entries")
    pref = m.var("page_ref", Array(IntRange(0, 6), N), init=OneOf(0, 1),
                 doc="refcount of the small page of each index (1 = the page cache's own)")
    xa = kernel.SpinLock(m, "xa_lock", doc="mapping->i_pages xa_lock")
    page_lock = kernel.SleepLock(m, "page_lock", N, doc="PG_locked of the small page of each index")
    h_lock = kernel.SleepLock(m, "h_lock", 2, doc="PG_locked of each context's new huge folio")
    h_uptodate = m.var("h_uptodate", Array(BOOL, 2), init=False, doc="PG_uptodate of each context's h")
    h_mapped = m.var("h_mapping", Array(BOOL, 2), init=False, doc="h->mapping == mapping (set at P2/Q3)")
    published = m.ghost("published", Array(BOOL, 2), init=False, doc="the context's multi-index store of h ran")
    ref_clobbered = m.ghost("ref_clobbered", BOOL, init=False,
                            doc="page_ref_unfreeze() overwrote a reference someone took on a frozen page, or a "
                                "put found the count already at 0 (the model clamps it there)")
    clobbered_h = m.ghost("stored_over_other_h", BOOL, init=False, doc="a context stored over the other's h")
    restored = m.ghost("restored", Array(BOOL, N), init=False,
                       doc="a context's rollback put this index's page back into its slot")
    m.assume_init(ForAll(N, lambda i: pref[i] == Ite(slot[i] == Slot.PAGE, 1, 0)))
    m.assume_init(Exists(N, lambda i: slot[i] == Slot.PAGE))

    threads = [m.thread(name) for name in CONTEXTS]
    locals_ = {}
    for k, c in enumerate(threads):
        locals_[k] = _collapse(m, c, k, N, variant, slot, pref, xa, page_lock, h_lock,
                               h_uptodate, h_mapped, published, ref_clobbered, clobbered_h, restored, H)

    # ------------------------------------------------------------------------------------ properties
    pub = "xas_store:multi_index" if v63 else "xas_store:publish"
    m.always("single_publication",
             And(Not(And(published[0], published[1])),
                 Implies(threads[0].at(pub), ForAll(N, lambda i: slot[i] != H[1])),
                 Implies(threads[1].at(pub), ForAll(N, lambda i: slot[i] != H[0]))),
             doc="M1: at most one context publishes its h, and when one publishes no h of the other is in the "
                 "cache")
    for k, c in enumerate(threads):
        res, collected = locals_[k]["result"], locals_[k]["collected"]
        failed = And(c.done, Not(published[k]))
        m.always(f"{c.name}_exits_cleanly",
                 Implies(failed, And(In(res, [getattr(Scan, r) for r in LOSER_RESULTS]),
                                     Not(xa.held_by(c)), Not(h_lock.held_by(c, 0)), Not(h_lock.held_by(c, 1)),
                                     ForAll(N, lambda i: And(page_lock.owner[i] != c.me, slot[i] != H[k],
                                                             Not(collected[i]))),
                                     Not(clobbered_h))),
                 doc="M2: a context that fails returns a listed code, holds no lock, leaves no h of its own in "
                     "the cache, has restored its pages (L is empty), and never stored over the other h")
    c0, c1 = threads
    col0, col1 = locals_[0]["collected"], locals_[1]["collected"]
    m.always("first_page_rule",
             ForAll(N, lambda i: And(Implies(col0[i], page_lock.owner[i] != c1.me),
                                     Implies(col1[i], page_lock.owner[i] != c0.me))),
             doc="M4: a page on one context's list L (frozen and replaced by its h, or being restored) is never "
                 "locked by the other context: it is unlocked only after it is back in its slot with its "
                 "refcount restored")
    m.always("refcount_never_clobbered", Not(ref_clobbered),
             doc="page_ref_unfreeze() only ever runs on a count of 0: nobody took a reference on the frozen page")
    if not v63:
        cs = ("xas_store:retry_fill", "nr_none_recheck", "xas_store:publish")
        m.always("retry_entries_confined",
                 ForAll(N, lambda i: Implies(slot[i] == Slot.RETRY, Or(And(c0.at(*cs), xa.held_by(c0)),
                                                                       And(c1.at(*cs), xa.held_by(c1))))),
                 doc="I1-retry-confined: XA_RETRY_ENTRY exists only inside a context's final critical section")
        m.always("no_page_filled_between_collapses",
                 And(locals_[0]["result"] != Scan.SCAN_PAGE_FILLED, locals_[1]["result"] != Scan.SCAN_PAGE_FILLED),
                 doc="spec §4.2 (INFERRED): the P9d recount never fails because of another collapse context")

    m.sometimes("some_context_publishes", Or(published[0], published[1]))
    m.sometimes("loser_fails_trylock", Or(And(c0.done, locals_[0]["result"] == Scan.SCAN_PAGE_LOCK),
                                          And(c1.done, locals_[1]["result"] == Scan.SCAN_PAGE_LOCK)))
    m.sometimes("loser_finds_hugepage",
                Or(And(c0.done, locals_[0]["result"] == Scan.SCAN_PTE_MAPPED_HUGEPAGE, Not(published[0])),
                   And(c1.done, locals_[1]["result"] == Scan.SCAN_PTE_MAPPED_HUGEPAGE, Not(published[1]))),
                doc="the loser meets the winner's h and exits with SCAN_PTE_MAPPED_HUGEPAGE")
    m.sometimes("winner_rolls_back_loser_publishes",
                Or(And(c0.done, Not(published[0]), locals_[0]["result"] == Scan.SCAN_DEL_PAGE_LRU, published[1]),
                   And(c1.done, Not(published[1]), locals_[1]["result"] == Scan.SCAN_DEL_PAGE_LRU, published[0])),
                doc="one context collected pages and rolled back; the other then collapsed the extent")
    m.sometimes("both_fail", And(c0.done, c1.done, Not(published[0]), Not(published[1])))
    if v63 and pages >= 3:
        m.sometimes("two_hugepages_coexist",
                    And(Exists(N, lambda i: slot[i] == H[0]), Exists(N, lambda i: slot[i] == H[1])),
                    doc="v6.3 only, transient: the loser of the first page proceeds while the winner's rollback "
                        "is still NULLing its later filled holes; it then sleeps on that h and never publishes")
    if v63:
        m.sometimes("loser_sleeps_on_hugepage",
                    Or(c0.at("shmem_get_folio"), c1.at("shmem_get_folio")),
                    doc="Q4b: a loser found the winner's !uptodate h and sleeps in shmem_get_folio")
        m.sometimes("restored_page_reused",
                    Or(And(published[0], locals_[0]["reused"]), And(published[1], locals_[1]["reused"])),
                    doc="a context collapsed using a page the other had frozen, replaced and put back")


def _collapse(m, c, k, N, variant, slot, pref, xa, page_lock, h_lock, h_uptodate, h_mapped, published,
              ref_clobbered, clobbered_h, restored, H):
    """collapse_file() for context ``k`` (0 = khugepaged, 1 = MADV_COLLAPSE); returns its locals."""
    v63 = variant != "v6_6"
    mutant = variant == "unlock_before_restore"
    me, nobody = c.me, m.NOBODY
    o = 1 - k
    mine, theirs = H[k], H[o]
    index = c.local("index", IntRange(0, N), init=0)
    nr_none = c.local("nr_none", IntRange(0, N), init=0)
    result = c.local("result", Scan, init=Scan.SCAN_NONE)
    collected = c.local("collected", Array(BOOL, N), init=False,
                        doc="the page is on list L (v6.3: frozen and replaced by h; v6.6: locked and counted)")
    reused = c.local("reused", BOOL, init=False, doc="collected a page the other context had put back")
    nr_none_check = c.local("nr_none_check", IntRange(0, N), init=0) if not v63 else None
    out = {"result": result, "collected": collected, "reused": reused}

    def put(n: int) -> dict:
        """put_page()/putback n times on the page of ``index``; an underflow is recorded, then clamped."""
        return {pref[index]: Ite(pref[index] >= n, pref[index] - n, 0),
                ref_clobbered: Or(ref_clobbered, pref[index] < n)}

    c.step("alloc_charge_hpage", do={h_lock.owner[k]: me, h_mapped[k]: True},
           doc="Q1/Q3, P1/P2: allocate h, __SetPageLocked(h), h->mapping = mapping (h is private: one step)")
    c.step("xas_lock_irq:xas_create_range", xa.lock(c), doc="Q2/P3: xas_lock_irq, preallocate nodes")
    trylock_page = case(page_lock.trylock(c, index), when=slot[index] == Slot.PAGE,
                        do={pref[index]: pref[index] + 1, xa.owner: nobody}, goto="isolate_lru_page",
                        label="trylock_page, get_page, xas_unlock_irq")
    if v63:
        c.branch(
            "xas_next",
            case(when=index == N, goto="xas_store:multi_index", label="loop done"),
            case(when=slot[index] == Slot.HOLE, do={slot[index]: mine, nr_none: nr_none + 1, index: index + 1},
                 goto="xas_next", label="hole: shmem_charge, xas_store(h)"),
            case(when=And(slot[index] == theirs, Not(h_uptodate[o])), do={xa.owner: nobody},
                 goto="shmem_get_folio", label="!uptodate: xas_unlock_irq, shmem_get_folio"),
            case(h_lock.trylock(c, o), when=slot[index] == theirs, do={xa.owner: nobody},
                 goto="PageTransCompound", label="uptodate h: trylock_page, get_page"),
            trylock_page,
            otherwise(do={result: Scan.SCAN_PAGE_LOCK}, goto="xas_unlock_irq:xa_locked", label="SCAN_PAGE_LOCK"),
            doc="Q4/Q4a-c (v6.3.8 :1822-1868): holes are filled with this context's h under xa_lock; a present "
                "page is trylocked; an entry that is !uptodate (the other's h) goes to shmem_get_folio")
        c.branch(
            "shmem_get_folio",
            case(h_lock.lock(c, o), when=And(slot[index] == theirs, h_mapped[o]), goto="PageTransCompound",
                 label="folio_lock(h), mapping ok"),
            case(page_lock.lock(c, index), when=And(slot[index] == Slot.PAGE, pref[index] > 0),
                 do={pref[index]: pref[index] + 1}, goto="isolate_lru_page", label="folio_lock(p), mapping ok"),
            case(when=slot[index] == Slot.HOLE, do={result: Scan.SCAN_FAIL}, goto="rollback",
                 label="SGP_NOALLOC finds nothing: SCAN_FAIL"),
            doc="Q4b: shmem_get_folio(SGP_NOALLOC) with xa_lock dropped: RCU lookup (spins on a frozen page), "
                "folio_lock (sleeps), mapping re-check, repeat if the folio left the mapping")
    else:
        c.branch(
            "xas_load",
            case(when=index == N, do={xa.owner: nobody}, goto="try_to_unmap_flush", label="loop done"),
            case(when=slot[index] == Slot.HOLE, do={nr_none: nr_none + 1, index: index + 1}, goto="xas_load",
                 label="hole: nr_none++"),
            case(h_lock.trylock(c, o), when=And(slot[index] == theirs, h_uptodate[o]), do={xa.owner: nobody},
                 goto="PageTransCompound", label="uptodate h: trylock, get, xas_unlock_irq"),
            trylock_page,
            otherwise(do={result: Scan.SCAN_PAGE_LOCK}, goto="xas_unlock_irq:xa_locked", label="SCAN_PAGE_LOCK"),
            doc="P4/P4a/P4c (v6.6.9 :1833-1868): holes are only counted; every page is trylocked")
    c.step("PageTransCompound", h_lock.unlock(c, o), do={result: Scan.SCAN_PTE_MAPPED_HUGEPAGE},
           goto="rollback",
           doc="Q4d/P4d: the entry is a PMD-order folio headed at start: SCAN_PTE_MAPPED_HUGEPAGE; out_unlock: "
               "unlock and put it")
    c.choose(
        "isolate_lru_page",
        case(do={pref[index]: pref[index] + 1}, label="isolated"),
        case(do={page_lock.owner[index]: nobody, **put(1), result: Scan.SCAN_DEL_PAGE_LRU},
             goto="rollback", label="SCAN_DEL_PAGE_LRU: out_unlock (unlock, put)"),
        doc="Q4d/P4d with xa_lock dropped: uptodate, mapping, not compound, folio_isolate_lru (may fail: "
            "someone else isolated it), try_to_unmap")
    if v63:
        c.branch(
            "page_ref_freeze:xas_store",
            case(xa.lock(c), when=pref[index] == 3,
                 do={pref[index]: 0, slot[index]: mine, collected[index]: True, index: index + 1,
                     reused: Or(reused, restored[index])},
                 goto="xas_next", label="page_ref_freeze(p, 3) ok, list_add_tail, xas_store(h)"),
            otherwise(xa.briefly(), do={page_lock.owner[index]: nobody, **put(2), result: Scan.SCAN_PAGE_COUNT},
                      goto="rollback", label="SCAN_PAGE_COUNT: xas_unlock_irq, putback, unlock, put"),
            doc="Q4e (v6.3.8 :1973-1998): xas_lock_irq, page_ref_freeze(p, 3); on success the page goes on L "
                "and h replaces it in its slot, with xa_lock kept for the next index")
        c.step("xas_store:multi_index", xa.unlock(c),
               do={slot: ArrayOf(N, lambda i: mine), published[k]: True},
               doc="Q5: multi-index xas_store(h) over the range, xas_unlock_irq (h locked and !uptodate)")
        c.step("copy:unfreeze:unlock_old_pages",
               do={page_lock.owner: ArrayOf(N, lambda i: Ite(collected[i], nobody, page_lock.owner[i])),
                   pref: ArrayOf(N, lambda i: Ite(collected[i], 0, pref[i])),
                   collected: ArrayOf(N, lambda i: False)},
               doc="Q7: copy_highpage, p->mapping = NULL, page_ref_unfreeze(p, 1), unlock_page(p), put_page(p): "
                   "the old pages are freed")
        c.step("folio_mark_uptodate:retract_page_tables", do={h_uptodate[k]: True},
               doc="Q7: SetPageUptodate(h), page_ref_add, lru_cache_add, retract_page_tables")
        c.step("unlock_page:h", h_lock.unlock(c, k), do={result: Scan.SCAN_SUCCEED}, goto="END",
               doc="Q7: unlock_page(h): sleepers in shmem_get_folio wake and find an uptodate h")
        c.step("xas_unlock_irq:xa_locked", xa.unlock(c), doc="xa_locked: xas_unlock_irq; xa_unlocked")
        # Q8: walk the present entries of the range in order, with xa_lock held.
        c.step("rollback", xa.lock(c), do={index: 0}, doc="Q8: xas_lock_irq, xas_set(start)")
        restore = {slot[index]: Slot.PAGE, xa.owner: nobody, restored[index]: True}
        if not mutant:
            restore.update({pref[index]: 2, collected[index]: False,
                            ref_clobbered: Or(ref_clobbered, pref[index] != 0)})
        c.branch(
            "rollback:xas_for_each",
            case(when=index == N, goto="rollback:done", label="range done"),
            case(when=And(slot[index] == mine, Not(collected[index]), nr_none == 0), goto="rollback:done",
                 label="filled hole but nr_none == 0: break"),
            case(when=And(slot[index] == mine, Not(collected[index])),
                 do={slot[index]: Slot.HOLE, nr_none: nr_none - 1, index: index + 1}, goto="rollback:xas_for_each",
                 label="filled hole: xas_store(NULL), nr_none--"),
            case(when=slot[index] == mine, do=restore, goto="rollback:unlock_page",
                 label="p: list_del, page_ref_unfreeze(p, 2), xas_store(p), xas_pause, xas_unlock_irq"
                 if not mutant else "p: list_del, xas_store(p), xas_pause, xas_unlock_irq (not unfrozen)"),
            case(when=And(slot[index] != Slot.HOLE, nr_none > 0),
                 do={slot[index]: Slot.HOLE, nr_none: nr_none - 1, index: index + 1,
                     clobbered_h: Or(clobbered_h, slot[index] == theirs)},
                 goto="rollback:xas_for_each", label="not on L, nr_none > 0: treated as a filled hole"),
            case(when=slot[index] != Slot.HOLE, goto="rollback:done", label="not ours and nr_none == 0: break"),
            otherwise(do={index: index + 1}, goto="rollback:xas_for_each", label="empty: xas_for_each skips it"),
            doc="Q8 (v6.3.8 :2102-2126): an entry below the next page on L is a hole this context filled "
                "(store NULL while nr_none lasts); a page on L is put back and unfrozen before its unlock")
        if mutant:
            c.step("rollback:unlock_page", page_lock.unlock(c, index),
                   doc="MUTANT: unlock_page(p) before its refcount is restored")
            c.step("rollback:page_ref_unfreeze",
                   do={pref[index]: 2, collected[index]: False, ref_clobbered: Or(ref_clobbered, pref[index] != 0)},
                   doc="MUTANT: page_ref_unfreeze(p, 2) after the unlock (VM_BUG_ON_PAGE(page_count(p) != 0) "
                       "is compiled out; the count is simply set to 2)")
            c.step("rollback:putback_lru_page", xa.lock(c), do={**put(1), index: index + 1},
                   goto="rollback:xas_for_each", doc="putback_lru_page(p), xas_lock_irq, next entry")
        else:
            c.step("rollback:unlock_page", page_lock.unlock(c, index), do=put(1),
                   doc="Q8: unlock_page(p), putback_lru_page(p) (drops the isolation reference)")
            c.step("rollback:xas_lock_irq", xa.lock(c), do={index: index + 1}, goto="rollback:xas_for_each",
                   doc="Q8: xas_lock_irq, continue the walk")
        c.step("rollback:done", xa.unlock(c), do={h_mapped[k]: False},
               doc="Q8: VM_BUG_ON(nr_none), xas_unlock_irq, h->mapping = NULL")
        c.step("rollback:unlock_page:h", h_lock.unlock(c, k), goto="END", doc="unlock h, uncharge and put it")
    else:
        c.branch(
            "xas_lock_irq:page_count",
            case(xa.lock(c), when=pref[index] == 3, do={collected[index]: True, index: index + 1}, goto="xas_load",
                 label="count 3: list_add_tail, next index with xa_lock held"),
            otherwise(xa.briefly(), do={page_lock.owner[index]: nobody, pref[index]: pref[index] - 2,
                                        result: Scan.SCAN_PAGE_COUNT},
                      goto="rollback", label="SCAN_PAGE_COUNT: putback, unlock, put"),
            doc="P4e (v6.6.9 :1978-2002): xas_lock_irq, page_count(p) == 3, no freeze, the slot is not touched")
        c.step("try_to_unmap_flush", doc="XA_UNLOCKED, P7 shmem_charge, P8 copy (cannot fail here)")
        c.branch(
            "xas_lock_irq",
            case(xa.lock(c), when=nr_none > 0, do={index: 0}, label="P9a/P9b: i_mmap_lock_read, xas_lock_irq"),
            otherwise(xa.lock(c), goto="xas_store:publish", label="P9': no holes, just xas_lock_irq"),
            doc="P9a/P9b (v6.6.9 :2068-2069); i_mmap_rwsem only matters for userfaultfd (not here)")
        c.branch(
            "xas_store:retry_fill",
            case(when=index == N, goto="nr_none_recheck", label="range done"),
            case(when=slot[index] == Slot.HOLE,
                 do={slot[index]: Slot.RETRY, nr_none_check: nr_none_check + 1, index: index + 1},
                 goto="xas_store:retry_fill", label="hole: XA_RETRY_ENTRY"),
            otherwise(do={index: index + 1}, goto="xas_store:retry_fill", label="present"),
            doc="P9c (v6.6.9 :2071-2081): XA_RETRY_ENTRY into every empty slot, counted")
        c.branch(
            "nr_none_recheck",
            case(when=nr_none != nr_none_check,
                 do={result: Scan.SCAN_PAGE_FILLED,
                     slot: ArrayOf(N, lambda i: Ite(slot[i] == Slot.RETRY, Slot.HOLE, slot[i])), xa.owner: nobody},
                 goto="rollback", label="SCAN_PAGE_FILLED: NULL over RETRY, xas_unlock_irq"),
            otherwise(label="counts match"),
            doc="P9d: nr_none_check must equal nr_none (P9e, the uffd walk, is in collapse_file_vs_uffd_register)")
        c.step("xas_store:publish", xa.unlock(c),
               do={slot: ArrayOf(N, lambda i: mine), published[k]: True, h_uptodate[k]: True},
               doc="P10: folio_mark_uptodate(h), multi-index xas_store(h) over pages and RETRY, xas_unlock_irq")
        c.step("retract_page_tables",
               do={result: Scan.SCAN_PTE_MAPPED_HUGEPAGE if k == 1 else Scan.SCAN_SUCCEED},
               doc="P11: retract_page_tables; MADV_COLLAPSE's result becomes SCAN_PTE_MAPPED_HUGEPAGE")
        c.step("folio_unlock:h", h_lock.unlock(c, k), doc="P12: unlock h before the old pages")
        c.step("unlock_old_pages",
               do={page_lock.owner: ArrayOf(N, lambda i: Ite(collected[i], nobody, page_lock.owner[i])),
                   pref: ArrayOf(N, lambda i: Ite(collected[i], pref[i] - 3, pref[i])),
                   collected: ArrayOf(N, lambda i: False)}, goto="END",
               doc="P13: p->mapping = NULL, unlock, folio_put_refs(p, 3)")
        c.step("xas_unlock_irq:xa_locked", xa.unlock(c), doc="xa_locked: xas_unlock_irq")
        c.step("rollback",
               do={page_lock.owner: ArrayOf(N, lambda i: Ite(collected[i], nobody, page_lock.owner[i])),
                   pref: ArrayOf(N, lambda i: Ite(collected[i], pref[i] - 2, pref[i])),
                   collected: ArrayOf(N, lambda i: False)},
               doc="R2: unlock every p on L, putback_lru, put; p never left its slot")
        c.step("rollback:unlock_page:h", h_lock.unlock(c, k), do={h_mapped[k]: False}, goto="END",
               doc="R4: h->mapping = NULL, unlock and put h")
    return out
