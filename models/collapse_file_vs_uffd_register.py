"""collapse_file() against UFFDIO_REGISTER(MODE_MISSING), a page fault and the uffd handler.

Kernel: mm/khugepaged.c:collapse_file() (v6.3.8 pre-fix, v6.6.9 post-fix), fs/userfaultfd.c:
userfaultfd_register(), mm/shmem.c:shmem_get_folio_gfp() / shmem_fault(), mm/shmem.c:
shmem_mfill_atomic_pte() (UFFDIO_COPY), mm/filemap.c:filemap_get_entry().
Fix: ac492b9c70ca "mm/khugepaged: skip shmem with userfaultfd" (David Stevens, v6.4-rc1;
Link: 20230404120117.2562166-4-stevensd@google.com). Spec: kernel-spec.md §2.1-§2.7, §3.1-§3.6.

The bug (v6.2/v6.3): collapse_file() filled every hole of the range with the new, locked, !uptodate huge
page inside its scan loop and never looked at userfaultfd. A range registered with MODE_MISSING after
userspace knew a page was missing could have that page made present, zero-filled by the kernel, and a later
fault found it present: no UFFD_EVENT_PAGEFAULT, and a UFFDIO_COPY for it would fail with -EEXIST.

    CPU A (uffd_register)          CPU B (collapse)                 CPU C (page_fault)
    UFFDIO_REGISTER returns;
    index 1 is known missing
                                   xas_store(h) into the hole
                                   ... publish, mark uptodate,
                                   unlock h
                                                                    fault on index 1 finds the
                                                                    page present: no uffd event

The fix (v6.4+, v6.6.9 P9a-P10): holes are only counted in the loop; the final critical section takes
i_mmap_rwsem then xa_lock, fills every hole with XA_RETRY_ENTRY (RCU readers spin on it), re-counts the
holes (SCAN_PAGE_FILLED if a fault filled one: -EAGAIN), walks i_mmap for VM_UFFD_MISSING
(SCAN_EXCEED_NONE_PTE: -EBUSY) and only then publishes; failures clear the RETRY entries before xa_lock is
dropped. Userspace can then never observe a page missing after its registration and see it present later.

Variants (``variant=``): ``pre_fix`` (v6.3.8), ``late_check_no_retry`` (the S3 mutant: the uffd check is
inside the final critical section but holes stay NULL, so an RCU fault sees them missing), ``no_recheck``
(a mutant without the P9d nr_none re-count: a page a fault inserted into a counted hole is overwritten by
the publication, i.e. lost), ``post_fix`` (v6.6.9).

Actors: ``collapse`` (khugepaged or MADV_COLLAPSE; holds no mmap lock, §1.1), ``uffd_register`` (the
registering thread of process A), ``page_fault`` (a thread of A touching one page, chosen
nondeterministically), ``uffd_handler`` (A's handler: reads the event, UFFDIO_COPY, wakes the fault).

Observation (ghost ``known_missing``): userspace knows page i is missing when (a) UFFDIO_REGISTER returns
while a lockless lookup would report i missing (NULL, or pre-fix a !uptodate huge page that SEEK_HOLE and
mincore report as a hole; a RETRY entry makes the observer wait until the collapse is over, so it observes
nothing), or (b) the fault raised a UFFD_EVENT_PAGEFAULT for i. U1 then says: a fault may only map page i
if userspace itself resolved it (UFFDIO_COPY succeeded).

Abstraction: sequential consistency; one file extent of ``pages`` small pages (the kernel's HPAGE_PMD_NR is
512; the symbolic engine covers it); the initial layout of holes and present pages is nondeterministic;
no allocation, charge or copy failures (see the poison and xarray models); page refcounts, LRU isolation
and unmapping are not modelled (no GUP pins here); the pre-fix page_ref_freeze and xas_store of one page
are one step (an RCU reader of a frozen page retries and then finds h); unlocking the collected small pages
is one step (waiters re-check the mapping and retry either way); the pre-fix rollback restores the slots in
one step under xa_lock.
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

# Page-cache slot of one index: a hole (NULL), a small page, XA_RETRY_ENTRY, or the new huge folio h.
Slot = Enum("Slot", "HOLE PAGE RETRY HUGE")
# collapse_file() result codes used on this path (mm/khugepaged.c enum scan_result).
Scan = Enum("Scan", "SCAN_NONE SCAN_SUCCEED SCAN_TRUNCATED SCAN_PAGE_LOCK SCAN_PAGE_FILLED SCAN_EXCEED_NONE_PTE")
# What the fault's lookup found: nothing yet, a small page, or the huge folio.
Found = Enum("Found", "NONE SMALL HUGE")

VARIANTS = ("pre_fix", "late_check_no_retry", "no_recheck", "post_fix")


def build(m, *, variant: str = "post_fix", pages: int = 2) -> None:
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}")
    N = m.size("pages", pages)
    pre = variant == "pre_fix"
    retry_fill = variant in ("post_fix", "no_recheck")
    recheck = variant != "no_recheck"

    # ---------------------------------------------------------------------------- shared state
    slot = m.var("slot", Array(Slot, N), init=OneOf(Slot.HOLE, Slot.PAGE),
                 doc="mapping->i_pages entry of each index in [start, start+N)")
    vm_uffd_missing = m.var("vm_uffd_missing", BOOL, init=False, doc="VM_UFFD_MISSING in V->vm_flags")
    h_uptodate = m.var("h_uptodate", BOOL, init=False, doc="PG_uptodate of the new huge folio h")
    uffd_event = m.var("uffd_event", BOOL, init=False, doc="a UFFD_EVENT_PAGEFAULT is queued")
    fault_waiting = m.var("fault_waiting", BOOL, init=False, doc="the fault sleeps in handle_userfault")
    xa = kernel.SpinLock(m, "xa_lock", doc="mapping->i_pages xa_lock")
    mmap_lock = kernel.RwSem(m, "mmap_lock", max_readers=1, doc="mm A's mmap_lock")
    i_mmap = kernel.RwSem(m, "i_mmap_rwsem", max_readers=1, doc="mapping->i_mmap_rwsem")
    page_lock = kernel.SleepLock(m, "page_lock", N, doc="PG_locked of the small page at each index")
    h_lock = kernel.SleepLock(m, "h_lock", doc="PG_locked of the new huge folio h")
    known_missing = m.ghost("known_missing", Array(BOOL, N), init=False,
                            doc="userspace has observed the index missing after registering")
    user_resolved = m.ghost("user_resolved", Array(BOOL, N), init=False,
                            doc="userspace filled the index itself (UFFDIO_COPY succeeded)")
    bad_map = m.ghost("mapped_while_known_missing", Array(BOOL, N), init=False,
                      doc="a fault mapped the index while userspace knew it missing and had not filled it")
    event_raised = m.ghost("event_raised", BOOL, init=False, doc="some UFFD_EVENT_PAGEFAULT was delivered")
    saw_huge = m.ghost("saw_huge", Array(BOOL, N), init=False, doc="a lockless lookup returned h here")
    # collapse_file() needs a non-empty range to get going; all-hole ranges end at once in SCAN_TRUNCATED.
    m.assume_init(Exists(N, lambda i: slot[i] == Slot.PAGE))

    # ----------------------------------------------------------------------- uffd_register (R)
    reg = m.thread("uffd_register")
    reg.step("mmap_write_lock", mmap_lock.down_write(reg))
    reg.step("userfaultfd_set_vm_flags", do={vm_uffd_missing: True},
             doc="fs/userfaultfd.c:userfaultfd_register(): vma_start_write + vm_flags |= VM_UFFD_MISSING")

    # --------------------------------------------------------------------------- collapse (C)
    c = m.thread("collapse")
    index = c.local("index", IntRange(0, N), init=0, doc="loop index (offset from start)")
    nr_none = c.local("nr_none", IntRange(0, N), init=0, doc="holes counted by the scan loop")
    nr_none_check = c.local("nr_none_check", IntRange(0, N), init=0, doc="holes re-counted under xa_lock")
    result = c.local("result", Scan, init=Scan.SCAN_NONE)
    collected = c.local("collected", Array(BOOL, N), init=False, doc="page locked and on list L")
    me = c.me
    nobody = m.NOBODY

    # Registration returns: every index that is still a hole is now known missing to userspace. A hole
    # the pre-fix collapse already filled with the !uptodate h still reads as a hole (SEEK_HOLE, mincore,
    # and a fault would only sleep on h), so it counts too; a RETRY entry makes any observer wait.
    observably_missing = lambda i: Or(slot[i] == Slot.HOLE,  # noqa: E731
                                      And(slot[i] == Slot.HUGE, Not(h_uptodate), Not(collected[i])))
    reg.step("mmap_write_unlock", mmap_lock.up_write(reg),
             do={known_missing: ArrayOf(N, lambda i: Or(known_missing[i], observably_missing(i)))},
             doc="the registration returns to userspace")

    c.step("alloc_charge_hpage", do={h_lock.owner: me},
           doc="P1/P2: allocate h and __folio_set_locked(h); h is private until stored, so one step")
    c.step("xas_create_range", xa.lock(c), doc="P3/Q2: xas_lock_irq + preallocate nodes; leaves xa_lock held")
    all_holes = ForAll(N, lambda i: slot[i] == Slot.HOLE)
    present = lambda: slot[index] == Slot.PAGE  # noqa: E731
    if pre:
        c.branch(
            "xas_next",
            case(when=index == N, goto="xas_store:multi_index", label="loop done"),
            case(when=And(slot[index] == Slot.HOLE, index == 0, all_holes),
                 do={result: Scan.SCAN_TRUNCATED}, goto="rollback", label="SCAN_TRUNCATED"),
            case(when=slot[index] == Slot.HOLE, do={slot[index]: Slot.HUGE, nr_none: nr_none + 1, index: index + 1},
                 goto="xas_next", label="hole: xas_store(h)"),
            case(page_lock.trylock(c, index), when=present(), do={collected[index]: True, xa.owner: nobody},
                 goto="isolate_and_unmap", label="trylock_page"),
            otherwise(do={result: Scan.SCAN_PAGE_LOCK}, goto="rollback", label="SCAN_PAGE_LOCK"),
            doc="Q4/Q4a/Q4c (v6.3.8 mm/khugepaged.c:1822-1868): holes are filled with h under xa_lock")
        c.step("isolate_and_unmap", xa.lock(c),
               doc="Q4d: folio_isolate_lru + try_to_unmap with xa_lock dropped, then xas_lock_irq again")
        c.step("page_ref_freeze:xas_store", do={slot[index]: Slot.HUGE, index: index + 1}, goto="xas_next",
               doc="Q4e: page_ref_freeze(p, 3) and xas_store(h) replace p in its slot under xa_lock")
        c.step("xas_store:multi_index", xa.unlock(c), do={slot: ArrayOf(N, lambda i: Slot.HUGE)},
               doc="Q5: xas_set_order + multi-index xas_store(h); xas_unlock_irq. h is still !uptodate")
        c.step("unlock_old_pages", do={page_lock.owner: ArrayOf(N, lambda i: Ite(collected[i], nobody, page_lock.owner[i]))},
               doc="Q7: copy_highpage, page_ref_unfreeze(p, 1), unlock_page(p) for every p in L")
        c.step("folio_mark_uptodate", do={h_uptodate: True}, doc="Q7: SetPageUptodate(h)")
        c.step("unlock_page:h", h_lock.unlock(c), do={result: Scan.SCAN_SUCCEED}, goto="END",
               doc="Q7: unlock h; sleeping faults wake and map the zero-filled subpages")
        c.step("rollback", xa.unlock(c),
               do={slot: ArrayOf(N, lambda i: Ite(slot[i] == Slot.HUGE, Ite(collected[i], Slot.PAGE, Slot.HOLE), slot[i])),
                   page_lock.owner: ArrayOf(N, lambda i: Ite(collected[i], nobody, page_lock.owner[i]))},
               doc="Q8: restore holes to NULL and pages to their slots, unlock them, drop xa_lock")
        c.step("rollback:unlock_page:h", h_lock.unlock(c), goto="END",
               doc="Q8: hpage->mapping = NULL, unlock h, put h")
    else:
        c.branch(
            "xas_load",
            case(when=index == N, do={xa.owner: nobody}, goto="try_to_unmap_flush", label="loop done: xas_unlock_irq"),
            case(when=And(slot[index] == Slot.HOLE, index == 0, all_holes),
                 do={result: Scan.SCAN_TRUNCATED, xa.owner: nobody}, goto="rollback", label="SCAN_TRUNCATED"),
            case(when=slot[index] == Slot.HOLE, do={nr_none: nr_none + 1, index: index + 1}, goto="xas_load",
                 label="hole: nr_none++"),
            case(page_lock.trylock(c, index), when=present(), do={collected[index]: True, xa.owner: nobody},
                 goto="isolate_and_unmap", label="trylock_page"),
            otherwise(do={result: Scan.SCAN_PAGE_LOCK, xa.owner: nobody}, goto="rollback", label="SCAN_PAGE_LOCK"),
            doc="P4/P4a/P4c (v6.6.9 mm/khugepaged.c:1833-1868): holes are only counted")
        c.step("isolate_and_unmap", xa.lock(c), do={index: index + 1}, goto="xas_load",
               doc="P4d/P4e: isolate + try_to_unmap with xa_lock dropped; re-take it, count check, next index")
        c.step("try_to_unmap_flush", doc="XA_UNLOCKED: try_to_unmap_flush, shmem_charge(nr_none), copy (P6-P8)")
        c.step("i_mmap_lock_read", i_mmap.down_read(c), do={index: 0},
               doc="P9a: i_mmap_lock_read(mapping), a sleeping lock taken before xa_lock")
        c.step("xas_lock_irq", xa.lock(c), doc="P9b: start of the final critical section")
        fill = {slot[index]: Slot.RETRY} if retry_fill else {}
        c.branch(
            "xas_store:retry_fill",
            case(when=index == N, goto="nr_none_recheck", label="range done"),
            case(when=slot[index] == Slot.HOLE, do={**fill, nr_none_check: nr_none_check + 1, index: index + 1},
                 goto="xas_store:retry_fill", label="hole: XA_RETRY_ENTRY" if retry_fill else "hole: count"),
            otherwise(do={index: index + 1}, goto="xas_store:retry_fill", label="page"),
            doc="P9c: for every empty slot store XA_RETRY_ENTRY and count it (the mutant only counts)")
        c.branch(
            "nr_none_recheck",
            case(when=And(recheck, nr_none != nr_none_check), do={result: Scan.SCAN_PAGE_FILLED},
                 goto="i_mmap_unlock_read:fail", label="SCAN_PAGE_FILLED"),
            otherwise(label="counts match" if recheck else "mutant: no re-count"),
            doc="P9d: a hole filled since it was counted means a fault raced: -EAGAIN")
        c.branch(
            "vma_interval_tree_foreach",
            case(when=vm_uffd_missing, do={result: Scan.SCAN_EXCEED_NONE_PTE}, goto="i_mmap_unlock_read:fail",
                 label="SCAN_EXCEED_NONE_PTE"),
            otherwise(label="no VM_UFFD_MISSING"),
            doc="P9e: any VMA mapping the range with userfaultfd_missing() makes MADV_COLLAPSE fail with -EBUSY")
        c.step("i_mmap_unlock_read", i_mmap.up_read(c), goto="xas_store:publish",
               doc="P9f: drop i_mmap_rwsem while still holding xa_lock")
        c.step("i_mmap_unlock_read:fail", i_mmap.up_read(c),
               do={slot: ArrayOf(N, lambda i: Ite(slot[i] == Slot.RETRY, Slot.HOLE, slot[i]))},
               doc="P9f failure: store NULL over every RETRY entry in the range")
        c.step("xas_unlock_irq:fail", xa.unlock(c), goto="rollback", doc="P9f failure: drop xa_lock, then ROLLBACK")
        c.step("xas_store:publish", xa.unlock(c),
               do={h_uptodate: True, slot: ArrayOf(N, lambda i: Slot.HUGE)},
               doc="P10: folio_mark_uptodate(h), multi-index xas_store(h), xas_unlock_irq: the publication point")
        c.step("unlock_page:h", h_lock.unlock(c), doc="P11/P12: retract_page_tables, then folio_unlock(h)")
        c.step("unlock_old_pages",
               do={page_lock.owner: ArrayOf(N, lambda i: Ite(collected[i], nobody, page_lock.owner[i])),
                   result: Scan.SCAN_SUCCEED}, goto="END",
               doc="P13: for each p in L: p->mapping = NULL, unlock, folio_put_refs")
        c.step("rollback",
               do={page_lock.owner: ArrayOf(N, lambda i: Ite(collected[i], nobody, page_lock.owner[i]))},
               doc="R1/R2: unlock every p in L and put it back on the LRU; p never left its slot")
        c.step("rollback:unlock_page:h", h_lock.unlock(c), goto="END", doc="R4: h->mapping = NULL, unlock, put h")

    # ------------------------------------------------------------------------------ page_fault (F)
    f = m.thread("page_fault")
    addr = f.local("addr", IntRange(0, N - 1), init=OneOf(*range(pages)), doc="the faulting index")
    found = f.local("found", Found, init=Found.NONE)
    f.step("mmap_read_lock", mmap_lock.down_read(f), doc="shmem_fault runs under mmap_lock (read)")
    f.branch(
        "filemap_get_entry",
        case(when=slot[addr] == Slot.HOLE, goto="shmem_get_folio:hole", label="NULL"),
        case(when=slot[addr] == Slot.PAGE, do={found: Found.SMALL}, goto="folio_lock", label="small page"),
        case(when=slot[addr] == Slot.HUGE, do={found: Found.HUGE, saw_huge[addr]: True}, goto="folio_lock",
             label="huge folio"),
        doc="RCU lookup; an XA_RETRY_ENTRY makes it reload, so the fault waits here while slot is RETRY")
    f.branch(
        "folio_lock",
        case(page_lock.lock(f, addr), when=found == Found.SMALL, goto="folio_mapping_check", label="small"),
        case(h_lock.lock(f), when=found == Found.HUGE, goto="folio_mapping_check", label="huge"),
        doc="sleeps while the collapse holds the page lock")
    still_there = Or(And(found == Found.SMALL, slot[addr] == Slot.PAGE), And(found == Found.HUGE, slot[addr] == Slot.HUGE))
    f.branch(
        "folio_mapping_check",
        case(when=still_there, goto="finish_fault", label="same folio"),
        case(page_lock.unlock(f, addr), when=found == Found.SMALL, do={found: Found.NONE}, goto="filemap_get_entry",
             label="mapping changed: retry"),
        otherwise(h_lock.unlock(f), do={found: Found.NONE}, goto="filemap_get_entry",
                  label="mapping changed: unlock h, retry"),
        doc="folio->mapping != mapping (collapsed or rolled back): unlock, put, repeat the lookup")
    unknown_fill = Or(bad_map[addr], And(known_missing[addr], Not(user_resolved[addr])))
    f.branch(
        "finish_fault",
        case(page_lock.unlock(f, addr), mmap_lock.up_read(f), when=found == Found.SMALL,
             do={bad_map[addr]: unknown_fill}, goto="END", label="map small page"),
        otherwise(h_lock.unlock(f), mmap_lock.up_read(f), do={bad_map[addr]: unknown_fill}, goto="END",
                  label="map subpage of h"),
        doc="the page is mapped: userspace now sees the index present")
    f.branch(
        "shmem_get_folio:hole",
        case(mmap_lock.up_read(f), when=vm_uffd_missing,
             do={uffd_event: True, fault_waiting: True, event_raised: True, known_missing[addr]: True},
             goto="handle_userfault:wait", label="handle_userfault(VM_UFFD_MISSING)"),
        otherwise(goto="shmem_add_to_page_cache", label="allocate"),
        doc="mm/shmem.c: a hole in a VM_UFFD_MISSING VMA is reported to userspace, never allocated")
    f.branch(
        "shmem_add_to_page_cache",
        case(xa.briefly(), when=slot[addr] == Slot.HOLE, do={slot[addr]: Slot.PAGE},
             goto="filemap_get_entry", label="inserted"),
        case(xa.briefly(), goto="filemap_get_entry", label="-EEXIST: repeat"),
        doc="xa_lock, expected NULL; -EEXIST if the slot is taken (goto repeat)")
    f.step("handle_userfault:wait", when=Not(fault_waiting), goto="mmap_read_lock",
           doc="sleeps until the handler wakes it (VM_FAULT_RETRY), then the fault starts again")

    # ---------------------------------------------------------------------------- uffd_handler (UH)
    uh = m.thread("uffd_handler")
    uh.step("read_event", when=uffd_event, do={uffd_event: False}, end=True,
            doc="userspace reads UFFD_EVENT_PAGEFAULT (blocks forever if none comes)")
    uh.branch(
        "UFFDIO_COPY",
        case(xa.briefly(), when=slot[addr] == Slot.HOLE, do={slot[addr]: Slot.PAGE, user_resolved[addr]: True},
             label="copied"),
        case(xa.briefly(), label="-EEXIST"),
        doc="shmem_mfill_atomic_pte -> shmem_add_to_page_cache(expected NULL) under xa_lock")
    uh.step("UFFDIO_WAKE", do={fault_waiting: False}, goto="read_event", doc="wake the faulting thread")

    # ------------------------------------------------------------------------------ properties
    m.always("no_missing_page_becomes_present",
             ForAll(N, lambda i: Not(bad_map[i])),
             doc="U1: a page userspace knew missing after registering is only ever mapped after its own UFFDIO_COPY")
    m.always("no_transient_state_visible",
             ForAll(N, lambda i: And(Implies(slot[i] == Slot.HUGE, h_uptodate),
                                     Implies(saw_huge[i], slot[i] == Slot.HUGE))),
             doc="U4: a lockless lookup never finds h before it is uptodate, and never sees h go away again")
    if not pre:
        cs = c.at("xas_store:retry_fill", "nr_none_recheck", "vma_interval_tree_foreach", "i_mmap_unlock_read",
                  "i_mmap_unlock_read:fail", "xas_store:publish")
        m.always("retry_entries_confined",
                 ForAll(N, lambda i: Implies(slot[i] == Slot.RETRY, And(xa.held_by(c), cs))),
                 doc="I1-retry-confined: XA_RETRY_ENTRY exists only inside the collapse's final critical section")
    publish = c.at("xas_store:multi_index") if pre else c.at("xas_store:publish")
    owned = (lambda i: slot[i] == Slot.HUGE) if pre else (  # noqa: E731
        lambda i: Or(slot[i] == (Slot.RETRY if retry_fill else Slot.HOLE), collected[i]))
    m.always("publication_covers_only_owned_slots", Implies(publish, ForAll(N, owned)),
             doc="X4: the multi-index store only replaces counted holes and pages the collapse holds locked")
    failed = And(c.done, result != Scan.SCAN_SUCCEED)
    m.always("rollback_restores",
             Implies(failed, And(Not(h_lock.held_by(c)),
                                 ForAll(N, lambda i: And(In(slot[i], [Slot.HOLE, Slot.PAGE]),
                                                         page_lock.owner[i] != me,
                                                         Implies(collected[i], slot[i] == Slot.PAGE))))),
             doc="I1-rollback-restores: a failed collapse leaves no RETRY or h, no lock held, every page in place")

    m.sometimes("collapse_succeeds", And(c.done, result == Scan.SCAN_SUCCEED))
    m.sometimes("fault_raises_uffd_event", event_raised)
    if not pre:
        m.sometimes("fault_fills_hole_during_collapse",
                    And(c.at("xas_lock_irq"), Exists(N, lambda i: And(slot[i] == Slot.PAGE, Not(collected[i])))),
                    doc="a fault inserted a page into a hole the collapse had counted")
        m.sometimes("collapse_backs_off_ebusy", And(c.done, result == Scan.SCAN_EXCEED_NONE_PTE),
                    doc="MADV_COLLAPSE returns -EBUSY on a registered range with holes")
        if recheck:
            m.sometimes("collapse_backs_off_eagain", And(c.done, result == Scan.SCAN_PAGE_FILLED),
                        doc="a fault filled a counted hole: MADV_COLLAPSE returns -EAGAIN")
