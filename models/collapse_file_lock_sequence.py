"""The collapse_file() lock sequence against a fault (an RCU page-cache reader) and a hole punch.

Kernel: mm/khugepaged.c:collapse_file() (v6.3.8 pre-fix: Q1-Q8; v6.6.9 post-fix: P1-P13, R1-R4),
mm/filemap.c:filemap_get_entry() / folio_try_get_rcu(), mm/shmem.c:shmem_get_folio_gfp(),
mm/truncate.c:truncate_inode_pages_range() / truncate_inode_folio(). Spec: kernel-spec.md §1, §2.1-§2.2, §4.1.
Commits: 34488399fa08 "mm/madvise: add file and shmem support to MADV_COLLAPSE" (its message lists the
v6.3 lock sequence: hugepage lock -> i_pages -> first page lock -> page_ref_freeze -> xas_store -> unfreeze
-> unlocks); a2e17cc2efc7 "mm/khugepaged: maintain page cache uptodate flag" and ac492b9c70ca
"mm/khugepaged: skip shmem with userfaultfd" (v6.4: no in-loop stores, no freeze, RETRY fill, recount).

The v6.3 sequence replaced each old page with the new, locked, !uptodate huge page h inside the scan
loop, dropping xa_lock between pages: lockless readers (faults, SEEK_DATA/SEEK_HOLE, mincore) could see a
range that was half old pages and half h, and data "temporarily disappeared" (a2e17cc2efc7). Present pages
were frozen (refcount 0) so that RCU lookups spin instead of taking a reference. The v6.6 sequence keeps
the page cache untouched until one critical section under xa_lock that fills holes with
XA_RETRY_ENTRY and publishes h in a single multi-index store.

Actors: ``collapse`` (khugepaged / MADV_COLLAPSE), ``page_fault`` (filemap_get_entry + folio_lock +
mapping re-check on one index; on a hole it allocates and inserts a page), ``truncate`` (a hole punch of one index: lock the page, re-check its
mapping, delete it under xa_lock).

Invariants: I1-no-intermediate (readers only ever see "before" or "after"; the pre-fix kernel breaks it),
I1-lockorder (the xa_lock holder never reaches a sleeping step), I1-retry-confined, U5 (frozen pages only
under xa_lock), X4 (publication covers only owned slots), I1-rollback-restores, I1-success, A1 (a fault
maps only a cached, uptodate folio) and "a collected page is never truncated away".

Abstraction: sequential consistency; no userfaultfd (see collapse_file_vs_uffd_register); the page
count is one refcount per index (page cache + the collapse's pin and LRU isolation + the fault's
speculative reference); the hole punch gives up on a huge folio (splitting is not modelled); unlocking the
old pages and the pre-fix slot restore are one step each.
"""

from collapsecheck.dsl import (
    And,
    Array,
    ArrayOf,
    BOOL,
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

Slot = Enum("Slot", "HOLE PAGE RETRY HUGE")
Scan = Enum("Scan", "SCAN_NONE SCAN_SUCCEED SCAN_TRUNCATED SCAN_PAGE_LOCK SCAN_PAGE_COUNT SCAN_PAGE_FILLED")
Found = Enum("Found", "NONE SMALL HUGE")
VARIANTS = ("pre_fix", "post_fix")


def build(m, *, variant: str = "post_fix", pages: int = 2) -> None:
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}")
    N = m.size("pages", pages)
    pre = variant == "pre_fix"

    slot = m.var("slot", Array(Slot, N), init=OneOf(Slot.HOLE, Slot.PAGE), doc="mapping->i_pages entries")
    ref = kernel.Refcount(m, "ref", max_refs=4, init=OneOf(0, 1), size=N,
                          doc="refcount of the small page at each index (1 = the page cache's own)")
    h_uptodate = m.var("h_uptodate", BOOL, init=False, doc="PG_uptodate of the new huge folio h")
    xa = kernel.SpinLock(m, "xa_lock", doc="mapping->i_pages xa_lock")
    i_mmap = kernel.RwSem(m, "i_mmap_rwsem", max_readers=1)
    page_lock = kernel.SleepLock(m, "page_lock", N)
    h_lock = kernel.SleepLock(m, "h_lock")
    punched = m.ghost("punched", BOOL, init=False, doc="the hole punch deleted a page")
    m.assume_init(ForAll(N, lambda i: ref.count(i) == Ite(slot[i] == Slot.PAGE, 1, 0)))
    m.assume_init(Exists(N, lambda i: slot[i] == Slot.PAGE))

    # ------------------------------------------------------------------------------ collapse
    c = m.thread("collapse")
    index = c.local("index", IntRange(0, N), init=0)
    nr_none = c.local("nr_none", IntRange(0, N), init=0)
    nr_none_check = c.local("nr_none_check", IntRange(0, N), init=0)
    result = c.local("result", Scan, init=Scan.SCAN_NONE)
    collected = c.local("collected", Array(BOOL, N), init=False, doc="page locked, pinned and on list L")
    nobody = m.NOBODY
    all_holes = ForAll(N, lambda i: slot[i] == Slot.HOLE)
    unlock_collected = {page_lock.owner: ArrayOf(N, lambda i: Ite(collected[i], nobody, page_lock.owner[i]))}

    c.step("alloc_charge_hpage", do={h_lock.owner: c.me}, doc="P1/P2, Q1/Q3: allocate and lock h (private)")
    c.step("xas_create_range", xa.lock(c), doc="xas_lock_irq + preallocate nodes; xa_lock stays held")
    trylock = case(page_lock.trylock(c, index), when=slot[index] == Slot.PAGE,
                   do={collected[index]: True, ref.count(index): ref.count(index) + 1, xa.owner: nobody},
                   goto="folio_isolate_lru", label="trylock_page + get_page")
    if pre:
        c.branch(
            "xas_next",
            case(when=index == N, goto="xas_store:multi_index", label="loop done"),
            case(when=And(slot[index] == Slot.HOLE, index == 0, all_holes),
                 do={result: Scan.SCAN_TRUNCATED, xa.owner: nobody}, goto="rollback", label="SCAN_TRUNCATED"),
            case(when=slot[index] == Slot.HOLE, do={slot[index]: Slot.HUGE, nr_none: nr_none + 1, index: index + 1},
                 goto="xas_next", label="hole: xas_store(h)"),
            trylock,
            otherwise(do={result: Scan.SCAN_PAGE_LOCK, xa.owner: nobody}, goto="rollback", label="SCAN_PAGE_LOCK"),
            doc="Q4 (v6.3.8 :1822-1868); failures leave through xa_locked: xas_unlock_irq")
    else:
        c.branch(
            "xas_load",
            case(when=index == N, do={xa.owner: nobody}, goto="try_to_unmap_flush", label="loop done"),
            case(when=And(slot[index] == Slot.HOLE, index == 0, all_holes),
                 do={result: Scan.SCAN_TRUNCATED, xa.owner: nobody}, goto="rollback", label="SCAN_TRUNCATED"),
            case(when=slot[index] == Slot.HOLE, do={nr_none: nr_none + 1, index: index + 1}, goto="xas_load",
                 label="hole: nr_none++"),
            trylock,
            otherwise(do={result: Scan.SCAN_PAGE_LOCK, xa.owner: nobody}, goto="rollback", label="SCAN_PAGE_LOCK"),
            doc="P4 (v6.6.9 :1833-1868)")
    c.step("folio_isolate_lru", do={ref.count(index): ref.count(index) + 1},
           doc="P4d/Q4d: isolate from the LRU (+1 ref) and try_to_unmap; may sleep, xa_lock is not held")
    c.step("xas_lock_irq:page", xa.lock(c), doc="P4e/Q4e: re-take xa_lock")
    pinned_only = {ref.count(index): ref.count(index) - 2, page_lock.owner[index]: nobody, collected[index]: False}
    if pre:
        c.branch(
            "page_ref_freeze",
            case(ref.freeze(3, index), label="frozen"),
            otherwise(xa.unlock(c), do={**pinned_only, result: Scan.SCAN_PAGE_COUNT}, goto="rollback",
                      label="SCAN_PAGE_COUNT"),
            doc="Q4e: page_ref_freeze(p, 3): pin + cache + isolation; else putback, unlock, put")
        c.step("xas_store:page", do={slot[index]: Slot.HUGE, index: index + 1}, goto="xas_next",
               doc="Q4e: xas_store(h) replaces p in its slot")
        c.step("xas_store:multi_index", xa.unlock(c), do={slot: ArrayOf(N, lambda i: Slot.HUGE)},
               doc="Q5: multi-index store of h, then xas_unlock_irq; h is still locked and !uptodate")
        c.step("page_ref_unfreeze:unlock_page",
               do={**unlock_collected, ref.ref: ArrayOf(N, lambda i: Ite(collected[i], 0, ref.count(i)))},
               doc="Q7: copy, page_ref_unfreeze(p, 1), unlock, put (the old pages are freed)")
        c.step("folio_mark_uptodate", do={h_uptodate: True})
        c.step("unlock_page:h", h_lock.unlock(c), do={result: Scan.SCAN_SUCCEED}, goto="END")
        c.step("rollback", xa.lock(c), doc="Q8: take xa_lock")
        c.step("rollback:restore",
               do={slot: ArrayOf(N, lambda i: Ite(slot[i] == Slot.HUGE, Ite(collected[i], Slot.PAGE, Slot.HOLE), slot[i])),
                   ref.ref: ArrayOf(N, lambda i: Ite(collected[i], 1, ref.count(i))),
                   xa.owner: nobody, **unlock_collected},
               doc="Q8: store holes back to NULL, page_ref_unfreeze(p, 2) and restore p, unlock, putback, put")
        c.step("rollback:unlock_page:h", h_lock.unlock(c), goto="END", doc="Q8: h->mapping = NULL, unlock h")
    else:
        c.branch(
            "page_count",
            case(when=ref.count(index) == 3, do={index: index + 1}, goto="xas_load", label="count ok"),
            otherwise(xa.unlock(c), do={**pinned_only, result: Scan.SCAN_PAGE_COUNT}, goto="rollback",
                      label="SCAN_PAGE_COUNT"),
            doc="P4e: page_count(p) != 3 (pin + cache + isolation): an extra reference makes it back off")
        c.step("try_to_unmap_flush", doc="P6-P8: flush, shmem_charge, copy; no lock but the page locks")
        c.step("i_mmap_lock_read", i_mmap.down_read(c), do={index: 0}, doc="P9a: sleeping lock before xa_lock")
        c.step("xas_lock_irq", xa.lock(c), doc="P9b: the final critical section starts")
        c.branch(
            "xas_store:retry_fill",
            case(when=index == N, goto="nr_none_recheck", label="range done"),
            case(when=slot[index] == Slot.HOLE,
                 do={slot[index]: Slot.RETRY, nr_none_check: nr_none_check + 1, index: index + 1},
                 goto="xas_store:retry_fill", label="hole: XA_RETRY_ENTRY"),
            otherwise(do={index: index + 1}, goto="xas_store:retry_fill", label="page"),
            doc="P9c")
        c.branch(
            "nr_none_recheck",
            case(when=nr_none != nr_none_check, do={result: Scan.SCAN_PAGE_FILLED}, goto="i_mmap_unlock_read:fail",
                 label="SCAN_PAGE_FILLED"),
            otherwise(label="counts match"),
            doc="P9d")
        c.step("i_mmap_unlock_read", i_mmap.up_read(c), goto="xas_store:publish", doc="P9f")
        c.step("i_mmap_unlock_read:fail", i_mmap.up_read(c), xa.unlock(c),
               do={slot: ArrayOf(N, lambda i: Ite(slot[i] == Slot.RETRY, Slot.HOLE, slot[i]))}, goto="rollback",
               doc="P9f failure: NULL over the RETRY entries, drop the locks")
        c.step("xas_store:publish", xa.unlock(c), do={h_uptodate: True, slot: ArrayOf(N, lambda i: Slot.HUGE)},
               doc="P10: folio_mark_uptodate(h), multi-index xas_store(h), xas_unlock_irq")
        c.step("unlock_page:h", h_lock.unlock(c), doc="P12")
        c.step("folio_put_refs:unlock_page",
               do={**unlock_collected, ref.ref: ArrayOf(N, lambda i: Ite(collected[i], ref.count(i) - 3, ref.count(i))),
                   result: Scan.SCAN_SUCCEED}, goto="END",
               doc="P13: p->mapping = NULL, unlock, folio_put_refs(p, 3)")
        c.step("rollback",
               do={**unlock_collected, ref.ref: ArrayOf(N, lambda i: Ite(collected[i], ref.count(i) - 2, ref.count(i)))},
               doc="R2: unlock p, putback_lru (-1), put (-1); p never left its slot")
        c.step("rollback:unlock_page:h", h_lock.unlock(c), goto="END", doc="R4")

    # ------------------------------------------------------------------------------ page_fault
    f = m.thread("page_fault")
    addr = f.local("addr", IntRange(0, N - 1), init=OneOf(*range(pages)))
    found = f.local("found", Found, init=Found.NONE)
    f.branch(
        "filemap_get_entry",
        case(when=slot[addr] == Slot.HOLE, goto="shmem_add_to_page_cache", label="NULL"),
        case(ref.try_get(addr), when=slot[addr] == Slot.PAGE, do={found: Found.SMALL}, goto="xas_reload",
             label="folio_try_get_rcu"),
        case(when=slot[addr] == Slot.HUGE, do={found: Found.HUGE}, goto="xas_reload", label="huge folio"),
        doc="RCU lookup: waits while the slot is RETRY or the page is frozen")
    same = Or(And(found == Found.SMALL, slot[addr] == Slot.PAGE), And(found == Found.HUGE, slot[addr] == Slot.HUGE))
    put_small = {ref.count(addr): ref.count(addr) - 1}
    f.branch(
        "xas_reload",
        case(when=same, goto="folio_lock", label="unchanged"),
        case(when=found == Found.SMALL, do={**put_small, found: Found.NONE}, goto="filemap_get_entry",
             label="changed: put, retry"),
        otherwise(do={found: Found.NONE}, goto="filemap_get_entry", label="changed: retry"))
    f.branch(
        "folio_lock",
        case(page_lock.lock(f, addr), when=found == Found.SMALL, label="small"),
        case(h_lock.lock(f), when=found == Found.HUGE, label="huge"))
    f.branch(
        "folio_mapping_check",
        case(when=same, goto="finish_fault", label="same folio"),
        case(page_lock.unlock(f, addr), when=found == Found.SMALL, do={**put_small, found: Found.NONE},
             goto="filemap_get_entry", label="changed: unlock, put, retry"),
        otherwise(h_lock.unlock(f), do={found: Found.NONE}, goto="filemap_get_entry", label="changed: retry"))
    f.branch(
        "finish_fault",
        case(page_lock.unlock(f, addr), when=found == Found.SMALL, do=put_small, goto="END", label="map small"),
        otherwise(h_lock.unlock(f), goto="END", label="map subpage of h"))
    f.branch(
        "shmem_add_to_page_cache",
        case(xa.briefly(), when=slot[addr] == Slot.HOLE, do={slot[addr]: Slot.PAGE, ref.count(addr): 1},
             goto="filemap_get_entry", label="allocated and inserted"),
        otherwise(xa.briefly(), goto="filemap_get_entry", label="-EEXIST: repeat"),
        doc="a hole: allocate a page and insert it under xa_lock (expected NULL), then look up again")

    # ------------------------------------------------------------------------------ truncate
    t = m.thread("truncate")
    victim = t.local("index", IntRange(0, N - 1), init=OneOf(*range(pages)), doc="the index being punched")
    t.branch(
        "find_lock_entries",
        case(when=slot[victim] == Slot.PAGE, goto="folio_lock", label="page"),
        case(when=In(slot[victim], [Slot.HOLE, Slot.HUGE]), goto="END", label="nothing to punch / THP (not modelled)"),
        doc="waits while the slot is RETRY")
    t.step("folio_lock", page_lock.lock(t, victim), doc="sleeps on PG_locked")
    t.branch(
        "truncate_inode_folio",
        case(xa.briefly(), page_lock.unlock(t, victim), when=slot[victim] == Slot.PAGE,
             do={slot[victim]: Slot.HOLE, ref.count(victim): ref.count(victim) - 1, punched: True}, goto="END",
             label="delete from page cache"),
        otherwise(page_lock.unlock(t, victim), goto="END", label="mapping changed: skip"),
        doc="folio->mapping re-check, __filemap_remove_folio under xa_lock, drop the cache ref, unlock")

    # ---------------------------------------------------------------------------- properties
    c_writing = Exists(N, lambda i: In(slot[i], [Slot.HUGE, Slot.RETRY]))
    all_huge = ForAll(N, lambda i: slot[i] == Slot.HUGE)
    m.always("no_intermediate_state", Implies(Not(xa.held_by(c)), Or(Not(c_writing), all_huge)),
             doc="I1-no-intermediate: whenever the collapse does not hold xa_lock, readers see the old "
                 "range or the whole new huge folio, never a mix")
    sleeping = ["folio_isolate_lru"] + ([] if pre else ["try_to_unmap_flush", "i_mmap_lock_read"])
    m.always("xa_holder_never_sleeps", Implies(c.at(*sleeping), Not(xa.held_by(c))),
             doc="I1-lockorder: isolate/unmap, copy and i_mmap_lock_read happen with xa_lock dropped")
    if pre:
        m.always("frozen_pages_only_under_xa_lock",
                 ForAll(N, lambda i: Implies(And(slot[i] == Slot.PAGE, ref.count(i) == 0), xa.held_by(c))),
                 doc="U5: a frozen page sits in the page cache only while the collapse holds xa_lock")
    else:
        cs = c.at("xas_store:retry_fill", "nr_none_recheck", "i_mmap_unlock_read", "i_mmap_unlock_read:fail",
                  "xas_store:publish")
        m.always("retry_entries_confined", ForAll(N, lambda i: Implies(slot[i] == Slot.RETRY, And(xa.held_by(c), cs))),
                 doc="I1-retry-confined")
    publish = c.at("xas_store:multi_index") if pre else c.at("xas_store:publish")
    owned = (lambda i: slot[i] == Slot.HUGE) if pre else (lambda i: Or(slot[i] == Slot.RETRY, collected[i]))  # noqa: E731
    m.always("publication_covers_only_owned_slots", Implies(publish, ForAll(N, owned)), doc="X4")
    m.always("collected_pages_stay_cached",
             ForAll(N, lambda i: Implies(page_lock.held_by(c, i), In(slot[i], [Slot.PAGE, Slot.HUGE]))),
             doc="a page the collapse holds locked is never truncated away under it")
    m.always("rollback_restores",
             Implies(And(c.done, result != Scan.SCAN_SUCCEED),
                     And(Not(h_lock.held_by(c)), ForAll(N, lambda i: And(In(slot[i], [Slot.HOLE, Slot.PAGE]),
                                                                    page_lock.owner[i] != c.me,
                                                                    Implies(slot[i] == Slot.PAGE, ref.count(i) >= 1))))),
             doc="I1-rollback-restores")
    m.always("success_publishes_whole_range",
             Implies(And(c.done, result == Scan.SCAN_SUCCEED),
                     And(all_huge, h_uptodate, ForAll(N, lambda i: page_lock.owner[i] != c.me))),
             doc="I1-success")
    m.always("fault_maps_only_cached_uptodate_folio",
             Implies(f.at("finish_fault"), Or(And(found == Found.SMALL, slot[addr] == Slot.PAGE),
                                              And(found == Found.HUGE, slot[addr] == Slot.HUGE, h_uptodate))),
             doc="A1: the fault maps a folio only while it is in the cache at its index and uptodate")

    m.sometimes("collapse_succeeds", And(c.done, result == Scan.SCAN_SUCCEED))
    m.sometimes("collapse_backs_off_page_lock", And(c.done, result == Scan.SCAN_PAGE_LOCK))
    m.sometimes("collapse_backs_off_page_count", And(c.done, result == Scan.SCAN_PAGE_COUNT))
    if not pre:
        m.sometimes("collapse_backs_off_page_filled", And(c.done, result == Scan.SCAN_PAGE_FILLED))
    m.sometimes("truncate_removes_page", punched)
    m.sometimes("fault_maps_huge_folio", And(f.at("finish_fault"), found == Found.HUGE))
