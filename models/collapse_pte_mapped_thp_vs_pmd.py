"""collapse_pte_mapped_thp() and the racy PMD check (58ac9a8993a1).

Kernel: mm/khugepaged.c -- v6.3.8: khugepaged_scan_mm_slot() (after hpage_collapse_scan_file() returns
SCAN_PTE_MAPPED_HUGEPAGE it reads the PMD with find_pmd_or_thp_or_none() holding no mmap lock, :2355-2366,
and only a PMD that maps a pte table is queued by khugepaged_add_pte_mapped_thp(), :1358-1376),
khugepaged_collapse_pte_mapped_thps() (next visit: mmap_write_trylock(), :1612-1631), collapse_pte_mapped_thp()
(:1453-1610: mmap_assert_write_locked, one PMD read, VMA checks, find_lock_page(hpage), PMD_NONE -> install
directly, otherwise i_mmap_lock_write + pte lock, every PTE must map hpage + i, collapse_and_free_pmd(),
optionally set_huge_pmd()), madvise_collapse() (:2713-2719: mmap_write_lock, collapse_pte_mapped_thp(mm,
addr, true)); v6.6.9: collapse_pte_mapped_thp() (:1469-1669) under mmap_read_lock only: fast PMD read,
find_lock_page, the PMD read again after the page lock (:1524), PTE check under ptl, then
pte_offset_map_nolock() + pmd_same() under ptl, and pmd_lock + pmd_same() before pmdp_collapse_flush().
mm/memory.c:do_set_pmd() (installs a huge PMD under the pmd lock only if the PMD is still none);
mm/huge_memory.c:zap_huge_pmd() (MADV_DONTNEED of a PMD mapping).
Spec: kernel-spec.md §4.3-§4.5 (M5), §1.1.

Commit 58ac9a8993a1 "mm/khugepaged: attempt to map file/shmem-backed pte-mapped THPs by pmds" (Zach
O'Keefe, v6.1) added the lockless check and argued it is safe: a false positive (the PMD changes after the
check) is harmless because collapse_pte_mapped_thp() re-reads the PMD under the mmap write lock before acting;
a false negative only loses an optimisation. 34488399fa08 added the MADV_COLLAPSE caller and the PMD_NONE
shortcut ("don't check pmd value twice": the value read under the lock is the one acted on).

Variants (``variant=``):
* ``v6_3``       the v6.1-v6.4 protocol: M5 holds.
* ``v6_6``       the v6.5+ protocol (mmap read lock, PMD re-read after the page lock, pmd_same() under ptl
                 and pml): M5 holds.
* ``stale_pmd``  mutant of ``v6_3``: the deferred collapse_pte_mapped_thp() acts on the value of the lockless
                 check instead of re-reading the PMD under the mmap write lock. MADV_COLLAPSE installs a huge
                 PMD in between and khugepaged frees it as if it were a page table: M5 fails.

Actors: ``khugepaged`` (the lockless check, then the deferred collapse_pte_mapped_thp(install_pmd=false);
v6.6: the immediate call under mmap_read_lock), ``madvise_collapse`` (MADV_COLLAPSE on the same address:
collapse_pte_mapped_thp(install_pmd=true)), ``page_fault`` (a user access: a none PMD is mapped huge by
do_set_pmd() with the THP locked), ``madvise_dontneed`` (zaps the range: a huge PMD becomes none, PTEs of a
pte table are cleared).

Properties: M5 -- whenever collapse_pte_mapped_thp() modifies the PMD (collapse_and_free_pmd /
pmdp_collapse_flush, set_huge_pmd) it holds the mmap lock it needs (write in v6.3; read plus the pmd and pte
locks in v6.6) and the PMD still has the value it acts on; and the consequence, a PMD is only ever freed as a
page table when it maps a page table, and a huge PMD only installed over a none one.

Abstraction: sequential consistency; one mm, one aligned VMA, one PMD-sized THP h already in the page cache
(collapse_file() is done: hpage_collapse_scan_file() returns SCAN_PTE_MAPPED_HUGEPAGE); the PMD is none, a pte
table, or huge; a pte table either maps only subpages of h (or nothing) or also a foreign page (uprobe,
debugger: the "hpage + i != page" abort); VMA checks (anon_vma, uffd-wp, hugepage_vma_check) pass; refcount
and rmap adjustments, mmu notifiers and the TLB flush are not modelled; pte tables are never re-created (no
actor installs an empty table), so the stale value can only differ in kind, not in table identity;
i_mmap_rwsem is left out (both v6.3 callers hold the mmap write lock; in v6.6 the page lock of h serializes
them). In v6.6 the pmd_same() re-checks never fail here: while h is locked and the mmap lock is held for
read nothing modelled can change a PMD that maps a pte table (they guard against userfaultfd's
mfill_atomic_pte() on private VMAs and page-table reclaim, not modelled); their abort cases are unreached.
"""

from collapsecheck.dsl import (
    BOOL,
    And,
    Enum,
    Implies,
    Not,
    OneOf,
    Or,
    case,
    kernel,
    otherwise,
)

Pmd = Enum("Pmd", "NONE PTE_TABLE HUGE")
Scan = Enum("Scan", "SCAN_NONE SCAN_SUCCEED SCAN_FAIL SCAN_PMD_MAPPED SCAN_PMD_NONE SCAN_SKIPPED")
VARIANTS = ("v6_3", "v6_6", "stale_pmd")


def build(m, *, variant: str = "v6_3") -> None:
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}")
    v63 = variant != "v6_6"
    stale = variant == "stale_pmd"

    pmd = m.var("pmd", Pmd, init=OneOf(Pmd.PTE_TABLE, Pmd.NONE), doc="the PMD entry covering the aligned range")
    foreign = m.var("pte_foreign", BOOL, init=OneOf(False, True),
                    doc="the pte table maps a page that is not a subpage of h (uprobe, debugger)")
    mmap_lock = kernel.RwSem(m, "mmap_lock", max_readers=4, doc="mm->mmap_lock")
    h_lock = kernel.SleepLock(m, "h_lock", doc="PG_locked of the THP h")
    pml = kernel.SpinLock(m, "pml", doc="pmd_lock(mm, pmd)")
    ptl = kernel.SpinLock(m, "ptl", doc="the pte table's lock")
    freed_bad = m.ghost("pmd_freed_not_table", BOOL, init=False,
                        doc="a PMD was cleared and freed as a page table while it was not one")
    retracted = m.ghost("retracted_by", Enum("Who", "NOBODY KHUGEPAGED MADVISE"), init="NOBODY",
                        doc="who last collapsed a pte table")
    installed = m.ghost("huge_pmd_installed", BOOL, init=False, doc="set_huge_pmd or a fault mapped h by PMD")

    k = m.thread("khugepaged")
    mc = m.thread("madvise_collapse")
    f = m.thread("page_fault")
    z = m.thread("madvise_dontneed")

    acting = []  # (thread, local "acted on" value, modification steps)

    def cpmt(t, install: bool, deferred: bool):
        """collapse_pte_mapped_thp(mm, addr, install) for thread ``t``; returns its locals."""
        now = t.local("pmd_seen", Pmd, init=Pmd.NONE, doc="the PMD value the function acts on")
        res = t.local("result", Scan, init=Scan.SCAN_NONE)
        unlock_mm = mmap_lock.up_write(t) if v63 else mmap_lock.up_read(t)
        if v63:
            if stale and deferred:
                t.step("find_pmd_or_thp_or_none:stale",
                       doc="MUTANT: the PMD is not read again; the lockless value from the scan is used")
            else:
                t.step("find_pmd_or_thp_or_none", do={now: pmd},
                       doc="v6.3.8 :1471: the one PMD read, under the mmap write lock")
            t.branch(
                "pmd_mapped_check",
                case(unlock_mm, when=now == Pmd.HUGE, do={res: Scan.SCAN_PMD_MAPPED}, goto="END",
                     label="SCAN_PMD_MAPPED: return"),
                otherwise(label="continue"),
                doc="fast check before locking the page if already PMD-mapped")
            t.step("find_lock_page", h_lock.lock(t), doc=":1500: VMA checks, find_lock_page(hpage); PMD order")
            t.branch(
                "switch_result",
                case(when=now == Pmd.NONE, goto="maybe_install_pmd", label="SCAN_PMD_NONE: install directly"),
                otherwise(label="SCAN_SUCCEED: pte table"),
                doc=":1515-1530 (the PMD_NONE shortcut is the MADV_COLLAPSE vs khugepaged race of 34488399fa08)")
            t.branch(
                "i_mmap_lock_write:check_ptes",
                case(h_lock.unlock(t), unlock_mm, when=foreign, do={res: Scan.SCAN_FAIL}, goto="END",
                     label="hpage + i != page: abort"),
                otherwise(label="every PTE maps hpage + i"),
                doc=":1536-1570: i_mmap_lock_write, pte_offset_map_lock, step 1 (check), step 2 (rmap)")
            t.step("collapse_and_free_pmd",
                   do={pmd: Pmd.NONE, freed_bad: Or(freed_bad, pmd != Pmd.PTE_TABLE),
                       retracted: "MADVISE" if install else "KHUGEPAGED"},
                   doc=":1572-1582: pmdp_collapse_flush, pte_free: the PMD is none and the table freed")
            mods = ["collapse_and_free_pmd"]
        else:
            t.step("find_pmd_or_thp_or_none:fast", do={now: pmd}, doc="v6.6.9 :1491: fast check, no lock")
            t.branch(
                "pmd_mapped_check",
                case(unlock_mm, when=now == Pmd.HUGE, do={res: Scan.SCAN_PMD_MAPPED}, goto="END",
                     label="SCAN_PMD_MAPPED: return"),
                otherwise(label="continue"))
            t.step("find_lock_page", h_lock.lock(t), doc=":1510: VMA checks, find_lock_page(hpage), PMD order")
            t.branch(
                "find_pmd_or_thp_or_none:again",
                case(when=pmd == Pmd.NONE, do={now: pmd}, goto="maybe_install_pmd", label="SCAN_PMD_NONE"),
                case(h_lock.unlock(t), unlock_mm, when=pmd == Pmd.HUGE, do={now: pmd, res: Scan.SCAN_PMD_MAPPED},
                     goto="END", label="PMD mapped: drop_folio"),
                otherwise(do={now: pmd}, label="pte table"),
                doc=":1524: the PMD is read again now that the page is locked")
            t.branch(
                "pte_offset_map_lock:check_ptes",
                case(ptl.briefly(), h_lock.unlock(t), unlock_mm, when=foreign, do={res: Scan.SCAN_FAIL},
                     goto="END", label="hpage + i != page: abort"),
                otherwise(ptl.briefly(), label="every PTE maps hpage + i; pte_unmap_unlock"),
                doc=":1541-1566: step 1 under ptl, then ptl dropped for the mmu notifier")
            t.step("pte_offset_map_nolock", do={now: pmd}, doc=":1578: pgt_pmd = the PMD value (no lock)")
            t.branch(
                "spin_lock_ptl:pmd_same",
                case(ptl.lock(t), when=now == pmd, label="pmd_same: clear PTEs, remove rmap"),
                otherwise(h_lock.unlock(t), unlock_mm, ptl.briefly(), do={res: Scan.SCAN_FAIL}, goto="END",
                          label="!pmd_same: abort"),
                doc=":1582-1587: spin_lock(ptl), pmd_same(pgt_pmd, *pmd) or abort; step 2 clears the PTEs")
            t.step("spin_unlock_ptl", ptl.unlock(t), doc=":1617: step 2 done, ptl dropped (pml not taken)")
            t.branch(
                "pmd_lock:pmd_same",
                case(pml.lock(t), ptl.lock(t), when=now == pmd, label="pmd_same under pml + ptl"),
                otherwise(h_lock.unlock(t), unlock_mm, pml.briefly(), do={res: Scan.SCAN_FAIL}, goto="END",
                          label="!pmd_same: abort"),
                doc=":1626-1633: pml = pmd_lock, ptl nested, pmd_same again")
            t.step("pmdp_collapse_flush", pml.unlock(t), ptl.unlock(t),
                   do={pmd: Pmd.NONE, freed_bad: Or(freed_bad, pmd != Pmd.PTE_TABLE),
                       retracted: "MADVISE" if install else "KHUGEPAGED"},
                   doc=":1635-1645: pmdp_collapse_flush, unlock, pte_free_defer")
            mods = ["pmdp_collapse_flush"]
        if install:
            t.branch(
                "maybe_install_pmd",
                case(pml.briefly(), when=pmd == Pmd.NONE, do={pmd: Pmd.HUGE, installed: True, res: Scan.SCAN_SUCCEED},
                     label="set_huge_pmd: do_set_pmd under pml"),
                otherwise(pml.briefly(), do={res: Scan.SCAN_FAIL}, label="do_set_pmd: PMD not none, VM_FAULT_FALLBACK"),
                doc="step 5: set_huge_pmd() -> do_set_pmd() re-checks pmd_none under the pmd lock")
        else:
            t.step("maybe_install_pmd", do={res: Scan.SCAN_SUCCEED}, doc="step 5: install_pmd == false: SCAN_SUCCEED")
        t.step("drop_hpage", h_lock.unlock(t), unlock_mm, goto="END", doc="unlock_page(hpage), put_page; mmap unlock")
        acting.append((t, now, mods))
        return now, res

    # ---------------------------------------------------------------------------------- khugepaged
    seen = k.local("pmd_lockless", Pmd, init=Pmd.NONE, doc="the value of the lockless check")
    if v63:
        k.step("find_pmd_or_thp_or_none:lockless", do={seen: pmd},
               doc="khugepaged_scan_mm_slot :2355 after SCAN_PTE_MAPPED_HUGEPAGE: no mmap lock held (released "
                   "before the file scan, :2342)")
        k.branch(
            "khugepaged_add_pte_mapped_thp",
            case(when=seen == Pmd.PTE_TABLE, label="maps a pte table: queue addr in mm_slot->pte_mapped_thp[]"),
            otherwise(goto="END", label="none or huge: nothing queued (a false negative only loses a THP mapping)"),
            doc=":1358-1376, under khugepaged_mm_lock")
        k.branch(
            "mmap_write_trylock",
            case(mmap_lock.down_write_trylock(k), label="locked"),
            otherwise(goto="END", label="contended: skip this visit"),
            doc="khugepaged_collapse_pte_mapped_thps() at the next visit of the mm (:1612-1631)")
        if stale:
            # The mutant hands the lockless value to collapse_pte_mapped_thp.
            pmd_seen_k = k.local("pmd_seen", Pmd, init=Pmd.NONE, doc="the PMD value the function acts on")
            k.step("collapse_pte_mapped_thp", do={pmd_seen_k: seen},
                   doc="MUTANT: collapse_pte_mapped_thp(mm, addr, false) is given the lockless value")
            res_k = _cpmt_body_stale(m, k, pmd_seen_k, pmd, foreign, mmap_lock, h_lock, freed_bad, retracted, acting)
        else:
            k.step("collapse_pte_mapped_thp", doc="collapse_pte_mapped_thp(mm, addr, false), mmap write held")
            now_k, res_k = cpmt(k, install=False, deferred=True)
    else:
        k.step("hpage_collapse_scan_file", doc="v6.6.9 :2393-2404: file scan done, SCAN_PTE_MAPPED_HUGEPAGE")
        k.step("mmap_read_lock", mmap_lock.down_read(k), doc=":2405-2413: mmap_read_lock, then the call")
        now_k, res_k = cpmt(k, install=False, deferred=True)

    # --------------------------------------------------------------------------- madvise_collapse
    if v63:
        mc.step("mmap_write_lock", mmap_lock.down_write(mc), doc="madvise_collapse :2713-2719 after the file scan")
    else:
        mc.step("mmap_read_lock", mmap_lock.down_read(mc), doc="madvise_collapse (v6.6.9): mmap_read_lock")
    now_mc, res_mc = cpmt(mc, install=True, deferred=False)

    # ------------------------------------------------------------------------------------ page_fault
    f.step("mmap_read_lock", mmap_lock.down_read(f), doc="handle_mm_fault under mmap_read_lock (or the VMA lock)")
    f.branch(
        "__handle_mm_fault",
        case(when=pmd == Pmd.NONE, goto="folio_lock", label="pmd none: fault in the file folio"),
        otherwise(mmap_lock.up_read(f), ptl.briefly(), goto="END",
                  label="pte table (map the PTE under ptl) or huge: done"),
        doc="mm/memory.c")
    f.step("folio_lock", h_lock.lock(f), doc="filemap_map_pages/__do_fault: the THP h is locked")
    f.branch(
        "do_set_pmd",
        case(pml.briefly(), h_lock.unlock(f), mmap_lock.up_read(f), when=pmd == Pmd.NONE,
             do={pmd: Pmd.HUGE, installed: True}, goto="END", label="pmd_none under pml: map h by PMD"),
        otherwise(pml.briefly(), h_lock.unlock(f), mmap_lock.up_read(f), goto="END", label="raced: retry later"),
        doc="do_set_pmd: re-check pmd_none under pmd_lock, set_pmd_at")

    # ------------------------------------------------------------------------------ madvise_dontneed
    z.step("mmap_read_lock", mmap_lock.down_read(z), doc="madvise(MADV_DONTNEED) under mmap_read_lock")
    z.branch(
        "zap_pmd_range",
        case(pml.briefly(), mmap_lock.up_read(z), when=pmd == Pmd.HUGE, do={pmd: Pmd.NONE}, goto="END",
             label="zap_huge_pmd under pml"),
        case(ptl.briefly(), mmap_lock.up_read(z), when=pmd == Pmd.PTE_TABLE, do={foreign: False}, goto="END",
             label="zap_pte_range: PTEs cleared under ptl, the table stays"),
        otherwise(mmap_lock.up_read(z), goto="END", label="none: nothing"),
        doc="mm/memory.c:zap_pmd_range")

    # ------------------------------------------------------------------------------------- properties
    conds = []
    for t, now, mods in acting:
        locks = mmap_lock.write_held_by(t) if v63 else And(mmap_lock.readers > 0, pml.held_by(t), ptl.held_by(t))
        conds.append(Implies(t.at(*mods), And(locks, now == pmd)))
        if t is mc:
            held = mmap_lock.write_held_by(t) if v63 else mmap_lock.readers > 0
            conds.append(Implies(t.at("maybe_install_pmd"), held))
    m.always("pmd_changed_only_under_lock_with_fresh_value", And(*conds),
             doc="M5: when collapse_pte_mapped_thp() modifies the PMD it holds the mmap lock (write in v6.3; "
                 "read plus pml and ptl in v6.6) and the PMD still has the value it acts on")
    m.always("page_table_freed_only_if_pte_mapped", Not(freed_bad),
             doc="a PMD is cleared and freed as a page table only when it maps a page table (freeing a huge PMD "
                 "that way would hand the THP's memory to the page-table allocator)")

    m.sometimes("khugepaged_collapses_pte_mapped_thp", retracted == "KHUGEPAGED")
    m.sometimes("madvise_collapse_installs_huge_pmd", And(mc.done, res_mc == Scan.SCAN_SUCCEED, pmd == Pmd.HUGE))
    m.sometimes("fault_maps_huge", And(f.done, pmd == Pmd.HUGE, Not(mc.done)))
    m.sometimes("collapse_aborts_on_foreign_pte", Or(res_mc == Scan.SCAN_FAIL, res_k == Scan.SCAN_FAIL))
    if v63:
        m.sometimes("false_positive_is_harmless",
                    And(seen == Pmd.PTE_TABLE, k.done, res_k == Scan.SCAN_PMD_MAPPED),
                    doc="the lockless check saw a pte table, the locked re-read saw a huge PMD: nothing done")
        m.sometimes("khugepaged_trylock_fails", And(k.done, seen == Pmd.PTE_TABLE, res_k == Scan.SCAN_NONE))


def _cpmt_body_stale(m, k, now, pmd, foreign, mmap_lock, h_lock, freed_bad, retracted, acting):
    """The mutant's collapse_pte_mapped_thp(install_pmd=false): v6.3.8's body, acting on ``now``."""
    res = k.local("result", Scan, init=Scan.SCAN_NONE)
    unlock_mm = mmap_lock.up_write(k)
    k.branch(
        "pmd_mapped_check",
        case(unlock_mm, when=now == Pmd.HUGE, do={res: Scan.SCAN_PMD_MAPPED}, goto="END", label="SCAN_PMD_MAPPED"),
        otherwise(label="continue"),
        doc="MUTANT: the fast check uses the lockless value")
    k.step("find_lock_page", h_lock.lock(k), doc="VMA checks, find_lock_page(hpage)")
    k.branch(
        "switch_result",
        case(when=now == Pmd.NONE, goto="maybe_install_pmd", label="SCAN_PMD_NONE"),
        otherwise(label="SCAN_SUCCEED: pte table"))
    k.branch(
        "i_mmap_lock_write:check_ptes",
        case(h_lock.unlock(k), unlock_mm, when=And(pmd == Pmd.PTE_TABLE, foreign), do={res: Scan.SCAN_FAIL},
             goto="END", label="hpage + i != page: abort"),
        otherwise(label="walks what the stale value says is a pte table"),
        doc="pte_offset_map_lock on the PMD as it is now")
    k.step("collapse_and_free_pmd",
           do={pmd: Pmd.NONE, freed_bad: Or(freed_bad, pmd != Pmd.PTE_TABLE), retracted: "KHUGEPAGED"},
           doc="pmdp_collapse_flush, pte_free(pmd_pgtable(pmd))")
    k.step("maybe_install_pmd", do={res: Scan.SCAN_SUCCEED}, doc="install_pmd == false: SCAN_SUCCEED")
    k.step("drop_hpage", h_lock.unlock(k), unlock_mm, goto="END", doc="unlock_page(hpage); mmap_write_unlock")
    acting.append((k, now, ["collapse_and_free_pmd"]))
    return res
