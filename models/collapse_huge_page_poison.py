"""Anonymous collapse with poisoned memory: collapse_huge_page() copy and rollback (98c76c9f1ef7).

Kernel: mm/khugepaged.c:collapse_huge_page() -- v6.6.9 :1080-1236 (K3 mmap_write_lock :1139, anon_vma write
:1149, pmdp_collapse_flush :1164, __collapse_huge_page_isolate :1171, anon_vma_unlock_write :1198,
__collapse_huge_page_copy :774-817, __collapse_huge_page_copy_succeeded :682-733,
__collapse_huge_page_copy_failed :735-757, set_pmd_at :1213-1228) and v6.3.8 :688-735 (one loop that copies
with copy_user_highpage() and at once releases, unmaps and frees each source page); include/linux/highmem.h:
copy_mc_user_highpage(); mm/rmap.c:rmap_walk_anon() / page_vma_mapped_walk() (an rmap walker holds the page
lock and the anon_vma read lock and finds a mapping through the PMD).
Spec: kernel-spec.md §5.1, §5.4 (N1-N5), §5.5.

Commit 98c76c9f1ef7 "mm/khugepaged: recover from poisoned anonymous memory" (Jiaqi Yan, v6.4-rc1, 1/3 of
"mm/khugepaged: recover from poisoned anonymous memory"): khugepaged is often the first to touch a page with
an uncorrectable memory error; the copy consumed the poison in kernel mode and the machine-check panicked.
The patch splits the loop in two: loop 1 only copies (copy_mc_user_highpage, which returns an error instead of
panicking) and stops at the first poisoned page; only if every copy succeeded does loop 2 release, unmap and
free the source pages; otherwise the rollback re-establishes the original PMD -> pte table link *before*
releasing the pages (the source comment: restoring the PMD must come before releasing the pages; the
anon_vma lock is not needed because the pages are still isolated and locked), so that "these pages are not
changed/lost from the perspective of other threads (both user and kernel space)".

Variants (``variant=``):
* ``pre_fix``                    v6.3.8's single copy-and-free loop. The real v6.3 copy is not MC-safe and the
                                 machine check panics; to make the consequence a state rather than a crash the
                                 model gives the loop the MC-safe copy and sends a failure to the existing
                                 failure path (pmd_populate of the original table, release the still-isolated
                                 pages). Pages before the poisoned one are already unmapped and freed: N1 and
                                 N4 fail (the user reads zeros where its data was).
* ``post_fix``                   v6.6.9: N1-N5 hold.
* ``release_before_repopulate``  mutant of ``post_fix``: __collapse_huge_page_copy_failed() releases the pages
                                 (unlock, putback_lru) before pmd_populate(). An rmap walker locks a released
                                 page and finds no mapping (the PMD is still none); the mapping then comes back:
                                 N3 fails.

Actors: ``khugepaged`` (collapse_huge_page from K3; allocation and the first revalidation are done),
``user`` (a thread of the process: optionally writes one address, then reads one; each access is a fault or
a TLB hit under mmap_read_lock), ``rmap_walker`` (reclaim/migration/memory-failure on one source page:
trylock a page that is on the LRU, anon_vma read lock, page_vma_mapped_walk, unlock).

Properties (spec §5.4): N1 when a copy fails, no source page has been unmapped or freed; N2 after a failed
collapse the PMD maps the original table, every PTE is as before, every source page is unlocked, back on the
LRU and not freed, and h is not mapped; N3 an rmap walk never misses a mapping that is live (the walker
concluded "not mapped here" while the page is mapped through a linked table); N4 every user read returns
what the user last wrote there (the original data, or zero for a none PTE); N5 no user fault runs while
khugepaged holds the mmap lock for write (K3 to K9f).

Abstraction: sequential consistency; one PMD range of ``pages`` PTEs, each none or mapping its own small
anonymous page (no zero-pfn, swap or compound pages); data is a tag (ZERO, OLD, NEW, LOST for freed or
uninitialised memory); any copy of a present page may hit a machine check (the poison is found at copy time,
as when khugepaged is the first to touch it); the rmap walker only observes (it does not unmap or migrate);
mmu notifiers, GUP-fast, TLB flushes, counters, the pte lock and the memcg charge are not modelled; the
success loop's release of a page and the clearing and freeing of its PTE are one step per page.
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
    IntRange,
    Ite,
    Not,
    OneOf,
    Or,
    case,
    kernel,
    otherwise,
)

Pmd = Enum("Pmd", "TABLE NONE HUGE")
Pte = Enum("Pte", "NONE PAGE")
Data = Enum("Data", "ZERO OLD NEW LOST")
Scan = Enum("Scan", "SCAN_NONE SCAN_SUCCEED SCAN_PAGE_LOCK SCAN_COPY_MC")
VARIANTS = ("pre_fix", "post_fix", "release_before_repopulate")


def build(m, *, variant: str = "post_fix", pages: int = 2) -> None:
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}")
    N = m.size("pages", pages)
    pre = variant == "pre_fix"
    mutant = variant == "release_before_repopulate"

    # ---------------------------------------------------------------------------------- shared state
    pmd = m.var("pmd", Pmd, init=Pmd.TABLE, doc="the PMD: links the pte table, none (detached), or maps h")
    pte = m.var("pte", Array(Pte, N), init=OneOf(Pte.NONE, Pte.PAGE), doc="the pte table's entries")
    pdata = m.var("page_data", Array(Data, N), init=Data.OLD, doc="content of each source page")
    pfreed = m.var("page_freed", Array(BOOL, N), init=False, doc="the source page was freed")
    isolated = m.var("page_isolated", Array(BOOL, N), init=False, doc="off the LRU, isolated by khugepaged")
    page_lock = kernel.SleepLock(m, "page_lock", N, doc="PG_locked of each source page")
    hdata = m.var("h_data", Array(Data, N), init=Data.LOST, doc="content of each subpage of the new huge page h")
    mmap_lock = kernel.RwSem(m, "mmap_lock", max_readers=1, doc="mm->mmap_lock")
    anon_vma = kernel.RwSem(m, "anon_vma", max_readers=1, doc="the VMA's anon_vma rwsem")
    # A variable, not a ghost: the rmap walker's choice of page (on the LRU because it was mapped) reads it.
    pte0 = m.var("pte_orig", Array(Pte, N), init=OneOf(Pte.NONE, Pte.PAGE), doc="the PTEs when K3 starts")
    expected = m.ghost("user_data", Array(Data, N), init=OneOf(Data.ZERO, Data.OLD),
                       doc="what the user last wrote at the address (the original data, zero for a none PTE)")
    mismatch = m.ghost("user_read_wrong", BOOL, init=False, doc="a user read returned something else")
    m.assume_init(ForAll(N, lambda i: And(pte0[i] == pte[i],
                                          expected[i] == Ite(pte[i] == Pte.PAGE, Data.OLD, Data.ZERO))))
    m.assume_init(Exists(N, lambda i: pte[i] == Pte.PAGE))

    # ------------------------------------------------------------------------------- khugepaged (K)
    k = m.thread("khugepaged")
    u = m.thread("user")
    w = m.thread("rmap_walker")
    me, nobody = k.me, m.NOBODY
    index = k.local("index", IntRange(0, N), init=0)
    result = k.local("result", Scan, init=Scan.SCAN_NONE)

    k.step("mmap_write_lock", mmap_lock.down_write(k),
           doc="K3 :1139: mmap_write_lock, hugepage_vma_revalidate, check_pmd_still_valid, vma_start_write")
    k.step("anon_vma_lock_write", anon_vma.down_write(k), doc="K3 :1149")
    k.step("pmdp_collapse_flush", do={pmd: Pmd.NONE},
           doc="K4 :1164: under pmd_lock the PMD is cleared and the TLB flushed; the table is kept in _pmd, intact")
    k.branch(
        "__collapse_huge_page_isolate",
        case(when=index == N, do={index: 0}, goto="anon_vma_unlock_write", label="all isolated"),
        case(when=pte[index] == Pte.NONE, do={index: index + 1}, goto="__collapse_huge_page_isolate",
             label="none pte"),
        case(page_lock.trylock(k, index), do={isolated[index]: True, index: index + 1},
             goto="__collapse_huge_page_isolate", label="folio_trylock, isolate_lru"),
        otherwise(do={result: Scan.SCAN_PAGE_LOCK}, goto="isolate_failed:release_pte_pages",
                  label="trylock fails: SCAN_PAGE_LOCK"),
        doc="K5 :1171 (__collapse_huge_page_isolate :561-680): per PTE, trylock the page and isolate it")
    unlock_isolated = {page_lock.owner: ArrayOf(N, lambda i: Ite(isolated[i], nobody, page_lock.owner[i])),
                       isolated: ArrayOf(N, lambda i: False)}
    k.step("isolate_failed:release_pte_pages", do=unlock_isolated,
           doc="K5 failure: release_pte_pages(pte, _pte) inside __collapse_huge_page_isolate; anon_vma is still "
               "held for write, so no rmap walker can look")
    k.step("isolate_failed:pmd_populate", anon_vma.up_write(k), do={pmd: Pmd.TABLE}, goto="mmap_write_unlock",
           doc="K5 failure :1176-1190: pmd_populate(_pmd's table), anon_vma_unlock_write")
    k.step("anon_vma_unlock_write", anon_vma.up_write(k), doc="K6 :1198: pages are isolated and locked")

    copied_ok = {hdata[index]: pdata[index], index: index + 1}
    machine_check = {result: Scan.SCAN_COPY_MC}
    if pre:
        release_one = {page_lock.owner[index]: nobody, isolated[index]: False, pte[index]: Pte.NONE,
                       pfreed[index]: True, pdata[index]: Data.LOST}
        k.choose(
            "__collapse_huge_page_copy",
            case(when=index == N, goto="__SetPageUptodate:set_pmd_at", label="loop done"),
            case(when=And(index < N, pte[index] == Pte.NONE), do={hdata[index]: Data.ZERO, index: index + 1},
                 goto="__collapse_huge_page_copy", label="none: clear_user_highpage"),
            case(when=And(index < N, pte[index] == Pte.PAGE), do={**copied_ok, **release_one},
                 goto="__collapse_huge_page_copy",
                 label="copy, release_pte_page, ptep_clear, page_remove_rmap, free_page_and_swap_cache"),
            case(when=And(index < N, pte[index] == Pte.PAGE), do=machine_check, goto="copy_failed:pmd_populate",
                 label="machine check (made recoverable): SCAN_COPY_MC"),
            doc="v6.3.8 :688-735: one loop; each source page is released, unmapped and freed right after its copy")
    else:
        k.choose(
            "__collapse_huge_page_copy",
            case(when=index == N, do={index: 0}, goto="__collapse_huge_page_copy_succeeded", label="all copied"),
            case(when=And(index < N, pte[index] == Pte.NONE), do={hdata[index]: Data.ZERO, index: index + 1},
                 goto="__collapse_huge_page_copy", label="none: clear_user_highpage"),
            case(when=And(index < N, pte[index] == Pte.PAGE), do=copied_ok, goto="__collapse_huge_page_copy",
                 label="copy_mc_user_highpage ok"),
            case(when=And(index < N, pte[index] == Pte.PAGE), do=machine_check,
                 goto="copy_failed:release_pte_pages" if mutant else "copy_failed:pmd_populate",
                 label="machine check: SCAN_COPY_MC, break"),
            doc="K7 loop 1 (:774-817): copy only; stops at the first poisoned source page")
        k.branch(
            "__collapse_huge_page_copy_succeeded",
            case(when=index == N, goto="__SetPageUptodate:set_pmd_at", label="done"),
            case(when=pte[index] == Pte.NONE, do={index: index + 1}, goto="__collapse_huge_page_copy_succeeded",
                 label="none: MM_ANONPAGES"),
            otherwise(do={page_lock.owner[index]: nobody, isolated[index]: False, pte[index]: Pte.NONE,
                          pfreed[index]: True, pdata[index]: Data.LOST, index: index + 1},
                      goto="__collapse_huge_page_copy_succeeded",
                      label="release_pte_page, ptep_clear, folio_remove_rmap_pte, free_page_and_swap_cache"),
            doc="K7s loop 2 (:682-733), only after every copy succeeded")
    k.step("__SetPageUptodate:set_pmd_at", do={pmd: Pmd.HUGE, result: Scan.SCAN_SUCCEED},
           goto="mmap_write_unlock",
           doc="K9 :1213-1228: __SetPageUptodate(h) orders the copy before the PMD; page_add_new_anon_rmap, "
               "deposit the old table, set_pmd_at")
    restore_pmd = {pmd: Pmd.TABLE}
    if mutant:
        k.step("copy_failed:release_pte_pages", do=unlock_isolated,
               doc="MUTANT: release_pte_pages (unlock, putback_lru) before the PMD is restored")
        k.step("copy_failed:pmd_populate", do=restore_pmd, goto="mmap_write_unlock",
               doc="MUTANT: pmd_populate(mm, pmd, pmd_pgtable(_pmd)) last")
    else:
        k.step("copy_failed:pmd_populate", do=restore_pmd,
               doc="K7f (1) :745-752: pmd_lock, pmd_populate(mm, pmd, pmd_pgtable(_pmd)): the original table, "
                   "untouched, is linked again")
        k.step("copy_failed:release_pte_pages", do=unlock_isolated,
               doc="K7f (2) :756: release_pte_pages: unlock each source page, putback_lru (NR_ISOLATED--)")
    k.step("mmap_write_unlock", mmap_lock.up_write(k), goto="END",
           doc="K8/K9f: pte_unmap, mmap_write_unlock; an unused h is uncharged and freed")

    # ----------------------------------------------------------------------------------- user (U)
    wi = u.local("write_addr", IntRange(0, N), init=OneOf(*range(pages + 1)), doc="the address written (N: none)")
    ri = u.local("read_addr", IntRange(0, N - 1), init=OneOf(*range(pages)), doc="the address read")
    via_table = lambda i: And(pmd == Pmd.TABLE, pte[i] == Pte.PAGE, Not(pfreed[i]))  # noqa: E731
    u.step("mmap_read_lock:write", mmap_lock.down_read(u), doc="a write fault or TLB hit under mmap_read_lock")
    u.branch(
        "write",
        case(mmap_lock.up_read(u), when=And(wi < N, via_table(wi)), do={pdata[wi]: Data.NEW, expected[wi]: Data.NEW},
             label="through the pte: the small page"),
        case(mmap_lock.up_read(u), when=And(wi < N, pmd == Pmd.HUGE), do={hdata[wi]: Data.NEW, expected[wi]: Data.NEW},
             label="through the huge PMD: h"),
        otherwise(mmap_lock.up_read(u), label="no write (or an unmapped address: not modelled)"),
        doc="the user stores NEW at write_addr")
    u.step("mmap_read_lock:read", mmap_lock.down_read(u))
    seen = Ite(pmd == Pmd.HUGE, hdata[ri],
               Ite(pmd == Pmd.TABLE, Ite(pte[ri] == Pte.PAGE, Ite(pfreed[ri], Data.LOST, pdata[ri]), Data.ZERO),
                   Data.ZERO))
    u.step("read", mmap_lock.up_read(u), do={mismatch: Or(mismatch, seen != expected[ri])},
           doc="a read fault or TLB hit: through h, the pte's page, or a new zero page for a none entry")

    # ------------------------------------------------------------------------------- rmap walker (W)
    j = w.local("page", IntRange(0, N - 1), init=OneOf(*range(pages)), doc="the source page it works on")
    missed = w.local("missed", BOOL, init=False, doc="the walk did not find the page's mapping")
    w.branch(
        "folio_trylock",
        case(page_lock.trylock(w, j), when=And(pte0[j] == Pte.PAGE, Not(isolated[j]), Not(pfreed[j])),
             label="on the LRU: isolate, trylock"),
        otherwise(goto="END", label="isolated by someone else, freed or locked: skip"),
        doc="reclaim/migration/memory_failure picks the page from the LRU")
    w.step("anon_vma_lock_read", anon_vma.down_read(w), doc="rmap_walk_anon: anon_vma_lock_read")
    w.step("page_vma_mapped_walk", anon_vma.up_read(w),
           do={missed: And(pte[j] == Pte.PAGE, pmd != Pmd.TABLE)},
           doc="the walk reaches the PTE only through the PMD; a mapped page (mapcount > 0) whose table is "
               "unlinked is missed")
    w.step("folio_unlock", page_lock.unlock(w, j), goto="END")

    # ------------------------------------------------------------------------------------ properties
    m.always("no_source_destroyed_before_copies_done",
             Implies(result == Scan.SCAN_COPY_MC,
                     ForAll(N, lambda i: And(Not(pfreed[i]), Implies(pte0[i] == Pte.PAGE, pte[i] == Pte.PAGE)))),
             doc="N1: when a copy fails, no source page has been unmapped or freed")
    failed = And(k.done, result != Scan.SCAN_SUCCEED)
    m.always("failure_restores",
             Implies(failed, And(pmd == Pmd.TABLE,
                                 ForAll(N, lambda i: And(pte[i] == pte0[i], page_lock.owner[i] != me,
                                                         Not(isolated[i]), Not(pfreed[i]))))),
             doc="N2: a failed collapse leaves the original table linked, every PTE as it was, every source page "
                 "unlocked, back on the LRU and not freed, and h unmapped")
    m.always("rmap_walk_never_misses_live_mapping",
             Not(And(missed, pmd == Pmd.TABLE, pte[j] == Pte.PAGE)),
             doc="N3: a walker holding the page lock never concludes 'not mapped here' for a mapping that is "
                 "linked again afterwards (the PMD is restored before any source page is released)")
    m.always("user_reads_its_data", Not(mismatch),
             doc="N4: every user read returns what it last wrote at that address (the original data or zero)")
    m.always("user_excluded_during_collapse",
             Implies(mmap_lock.write_held_by(k), Not(u.at("write", "read"))),
             doc="N5: no user fault runs between K3 and K9f")

    m.sometimes("collapse_succeeds", And(k.done, result == Scan.SCAN_SUCCEED))
    m.sometimes("copy_fails_and_rolls_back", And(k.done, result == Scan.SCAN_COPY_MC))
    m.sometimes("isolation_fails_on_walker_lock", And(k.done, result == Scan.SCAN_PAGE_LOCK))
    m.sometimes("user_reads_after_success", And(u.done, k.done, result == Scan.SCAN_SUCCEED))
    m.sometimes("user_reads_after_rollback", And(u.done, k.done, result == Scan.SCAN_COPY_MC))
    m.sometimes("user_write_survives_collapse",
                And(u.done, k.done, result == Scan.SCAN_SUCCEED, Exists(N, lambda i: hdata[i] == Data.NEW)))
    m.sometimes("walker_finds_restored_mapping",
                And(w.at("folio_unlock"), Not(missed), k.done, result == Scan.SCAN_COPY_MC),
                doc="the walker locked a source page released by the rollback and found its mapping")
