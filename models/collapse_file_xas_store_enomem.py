"""collapse_file()'s xarray cursor: xas_store() -ENOMEM (2ce0bdfebc74) and the two later cursor regressions.

Kernel: mm/khugepaged.c:collapse_file() -- v6.3.8 (pre-fix, lines 1774-2144: cursor positioned once with
xas_set(start), advanced by xas_next() at every loop head, VM_BUG_ON(index != xas.xa_index) at 1827, a hole
filled by an unchecked xas_store(&xas, hpage) at Q4a) and v6.6.9 (final form, lines 1833-1835: xas_set(index)
+ xas_load() at every loop head, debug check through xa_load()). lib/xarray.c: xas_store() -> xas_create()
-> xas_alloc() (a node allocation under the spinlock with GFP_NOWAIT; failure = xas_set_err(-ENOMEM), lines
361-400), __xas_next() (does not advance xa_index while xas_frozen(xa_node), which is true for XAS_RESTART
and for error states, lines 1191-1218), xas_start() (an error state loads NULL), update_node() ->
xas_delete_node() (an emptied node is freed, lines 749-761, 483-512); include/linux/xarray.h:
xas_set_order() (resets the cursor to XAS_RESTART, clearing the error).
mm/truncate.c:truncate_inode_folio() / shmem_undo_range() (the hole punch).
Spec: kernel-spec.md §6.1-§6.5 (and §1.3 P3/P4/P9c, §2.1 Q2-Q8).

Commits:
* 2ce0bdfebc74 "mm: khugepaged: fix kernel BUG in hpage_collapse_scan_file()" (Ivan Orlov, v6.4-rc1,
  6.1-stable "6.1 037/321"): after the hole store, if xas_error(): undo the page's shmem_charge
  (nrpages--, shmem_uncharge(1)), result = SCAN_STORE_FAILED, goto xa_locked (the Q8 rollback).
* c8a8f3b4a95a "mm/khugepaged: fix iteration in collapse_file" (David Stevens, v6.4): after a2e17cc2efc7
  (v6.4-rc1) stopped storing into holes, the xas_set(&xas, index) before the debug xas_load() left the cursor
  at XAS_RESTART when CONFIG_DEBUG_VM=n (the load is compiled out), so the next xas_next() did not advance
  and returned the page the collapse had just locked: trylock fails, SCAN_PAGE_LOCK, every time ("khugepaged
  becomes nearly unable to collapse pages").
* e8c716bc6812 "mm/khugepaged: fix regression in collapse_file()" (Hugh Dickins, Cc stable): c8a8f3b4a95a's
  cursor kept a node pointer across xas_unlock_irq() without xas_pause(); "xas.xa_node could be left pointing
  to a stale node, if there was concurrent activity on the file which transformed its xarray". Fix:
  xas_set(index) + xas_load() at the head of every iteration, debug check with xa_load(xas.xa, index).

The 2ce0bdfebc74 bug (syzbot, 6.2.0-syzkaller, MADV_COLLAPSE):

    collapse                                    hole punch (shmem_undo_range)
    xas_create_range: nodes for [start, end)
    trylock a (index 0), xas_unlock_irq
                                                lock b, delete b: its node is emptied and freed
    xas_lock_irq, store h over a, continue
    xas_next -> index 1: NULL, a "hole"
    shmem_charge(1); xas_store(h) must allocate
    a node (GFP_NOWAIT): -ENOMEM, cursor = ERROR
    xas_next -> index 2: frozen, xa_index stays 1
    VM_BUG_ON(index != xas.xa_index)  => kernel BUG at mm/khugepaged.c:1823

With CONFIG_DEBUG_VM=n (INFERRED, spec §6.2) every later xas_next() loads NULL, so present pages after the
failure are counted as holes (charged, a no-op store), and the final multi-index store (xas_set_order resets
the error) replaces them with h although they were never locked or copied: data loss.

Variants (``variant=``):
* ``pre_fix``         v6.3.8, CONFIG_DEBUG_VM=y: X1 fails (the VM_BUG_ON fires).
* ``pre_fix_ndebug``  v6.3.8, CONFIG_DEBUG_VM=n: X4 fails (publication over a page never locked: data loss).
* ``post_fix``        v6.3.8 + 2ce0bdfebc74 (the 6.1-stable form): SCAN_STORE_FAILED, rollback; X1-X5 hold.
* ``cursor_a2e17cc2`` the v6.4-rc1 loop head (a2e17cc2efc7), CONFIG_DEBUG_VM=n, the regression c8a8f3b4a95a
                      fixed: the cursor stops advancing; X1 fails and khugepaged never collapses the range,
                      reported as a non-progress cycle (strongly connected components of the state graph).
* ``cursor_c8a8f3b4`` the loop head as left by c8a8f3b4a95a (CONFIG_DEBUG_VM=y, Hugh's configuration), the
                      regression e8c716bc6812 fixed: X3 fails (a node cursor re-used after the lock was
                      dropped while the xarray changed).
* ``e8c716bc``        the final form (v6.4.4, v6.6.9): RETRY fill with its SCAN_STORE_FAILED check; X1-X5 hold.

Actors: ``collapse`` (khugepaged or MADV_COLLAPSE running collapse_file() on one extent; after a failure it
rescans the same extent later, as khugepaged does, and it stops on success or when the extent is empty) and
``hole_punch`` (fallocate(PUNCH_HOLE) of one index, chosen nondeterministically: lock the page, delete it
under xa_lock, which frees its xarray node).

Invariants (spec §6.4): X1 cursor coherence at the loop head (the VM_BUG_ON's condition, plus "not an error
state"), X2 every failed store is checked before the cursor is used or anything else is decided, X3 no node
cursor is used after an xa_lock release during which the xarray changed (it must be re-positioned with
xas_set()/xas_pause() first), X4 the multi-index store covers only counted holes and pages the collapse holds
locked, X5 a store failure leaves no shmem charge behind; I1-rollback-restores; and the progress property
"khugepaged eventually collapses the extent (or finds it empty)".

Abstraction: sequential consistency; chunk size 1 (one xarray node per index: a node exists iff its slot is
non-empty or xas_create_range() preallocated it; deleting an entry frees its node); the tree above the leaves
is not modelled, so "the xarray changed under a node cursor" is any entry deletion while the collapse holds a
NODE cursor without xa_lock (with 64-slot chunks the freed node can be the cursor's own, e.g. when
xas_shrink() folds a lone entry at index 0 into the root -- INFERRED, Hugh's mail does not name the
mechanism); one injected GFP_NOWAIT allocation failure (fail_nth-style; the collapse's own GFP_KERNEL
preallocation never fails); the swap-in, !uptodate and !shmem paths, page refcounts, LRU isolation and the
copy are not modelled (page checks always pass; see the lock-sequence, uffd and poison models); the rollback
is one step; the cursor mutants keep the v6.6.9 body after the loop (v6.4's per-hole shmem_charge under
xa_lock is replaced by v6.6's batched charge, which does not affect the cursor); no fault fills holes here,
so the P9d re-count never fails (see collapse_file_vs_uffd_register for SCAN_PAGE_FILLED). Between two
attempts khugepaged sleeps (khugepaged_scan_sleep_millisecs, 10 s by default); the model lets it rescan
only once a hole punch holding a page lock has finished, otherwise weak fairness alone would admit a cycle
in which the punch never gets xa_lock.

Unreached steps, expected: ``collapse:BUG`` in the variants that hold or fail otherwise (the VM_BUG_ON never
fires there); ``collapse:xas_set:clear_retry`` in ``cursor_a2e17cc2`` (with that cursor a collapse only gets
to the final section when its single page is the last index, so no node was freed under a counted hole).
Use ``pages=3`` for the X1 counterexample: the failed store must not be the last index.
"""

from collapsecheck.dsl import (
    BOOL,
    And,
    Array,
    ArrayOf,
    Count,
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

# Page-cache slot of one index: a hole (NULL), a small page, the new huge folio h, or XA_RETRY_ENTRY.
Slot = Enum("Slot", "HOLE PAGE HUGE RETRY")
# The xa_state cursor's xa_node: XAS_RESTART (walk from the top at the next op), a real node, or an error.
Xas = Enum("Xas", "RESTART NODE ERROR")
Scan = Enum("Scan", "SCAN_NONE SCAN_SUCCEED SCAN_TRUNCATED SCAN_PAGE_LOCK SCAN_PAGE_FILLED SCAN_STORE_FAILED")

VARIANTS = ("pre_fix", "pre_fix_ndebug", "post_fix", "cursor_a2e17cc2", "cursor_c8a8f3b4", "e8c716bc")


def build(m, *, variant: str = "post_fix", pages: int = 3) -> None:
    if variant not in VARIANTS:
        raise ValueError(f"variant must be one of {', '.join(VARIANTS)}")
    N = m.size("pages", pages)
    v63 = variant in ("pre_fix", "pre_fix_ndebug", "post_fix")
    debug_vm = variant in ("pre_fix", "post_fix", "cursor_c8a8f3b4", "e8c716bc")
    checked_store = variant == "post_fix"

    # ------------------------------------------------------------------------------ shared state
    slot = m.var("slot", Array(Slot, N), init=OneOf(Slot.HOLE, Slot.PAGE),
                 doc="mapping->i_pages entry of each index in [start, start+N)")
    node = m.var("xa_node_present", Array(BOOL, N), init=OneOf(False, True),
                 doc="the xarray node holding the index exists (chunk size 1)")
    present = m.var("nr_present", IntRange(0, N), init=OneOf(*range(pages + 1)),
                    doc="small pages cached in the range (what xas_next_entry() finds at index == start)")
    nomem = m.var("fail_nth_armed", BOOL, init=True,
                  doc="one GFP_NOWAIT node allocation may still fail (fault injection, as in the syzbot run)")
    charged = m.var("shmem_charged", IntRange(0, N), init=0,
                    doc="pages this collapse has shmem_charge()d for holes and not yet given back")
    xa = kernel.SpinLock(m, "xa_lock", doc="mapping->i_pages xa_lock")
    page_lock = kernel.SleepLock(m, "page_lock", N, doc="PG_locked of the small page at each index")
    h_lock = kernel.SleepLock(m, "h_lock", doc="PG_locked of the new huge folio h")
    stale = m.ghost("cursor_stale", BOOL, init=False,
                    doc="the collapse's node cursor survived an xa_lock release during which an entry was deleted")
    punched = m.ghost("punched", Array(BOOL, N), init=False, doc="the hole punch deleted this index's page")
    failed_once = m.ghost("failed_once", BOOL, init=False, doc="some collapse attempt failed and was retried")
    m.assume_init(ForAll(N, lambda i: node[i] == (slot[i] == Slot.PAGE)))
    m.assume_init(present == Count(N, lambda i: slot[i] == Slot.PAGE))
    m.assume_init(present > 0)

    # ----------------------------------------------------------------------------- collapse (C)
    c = m.thread("collapse")
    t = m.thread("hole_punch")
    me, nobody = c.me, m.NOBODY
    index = c.local("index", IntRange(0, N), init=0, doc="the loop's index (offset from start)")
    xa_index = c.local("xas.xa_index", IntRange(0, N), init=0, doc="the cursor's index")
    xa_node = c.local("xas.xa_node", Xas, init=Xas.RESTART, doc="the cursor's state")
    entry = c.local("entry", Slot, init=Slot.HOLE, doc="what the last cursor load returned")
    nr_none = c.local("nr_none", IntRange(0, N), init=0, doc="holes counted (and, pre-fix, filled with h)")
    nr_none_check = c.local("nr_none_check", IntRange(0, N), init=0, doc="holes re-counted in the final section")
    result = c.local("result", Scan, init=Scan.SCAN_NONE)
    collected = c.local("collected", Array(BOOL, N), init=False, doc="the page is locked and on list L")
    counted = c.local("counted", Array(BOOL, N), init=False, doc="the collapse counted the index as a hole")
    unlock_collected = {page_lock.owner: ArrayOf(N, lambda i: Ite(collected[i], nobody, page_lock.owner[i]))}
    reset = {index: 0, xa_index: 0, xa_node: Xas.RESTART, entry: Slot.HOLE, nr_none: 0, nr_none_check: 0,
             result: Scan.SCAN_NONE, collected: ArrayOf(N, lambda i: False), counted: ArrayOf(N, lambda i: False)}
    xas_set_start = {xa_index: 0, xa_node: Xas.RESTART, stale: False}

    c.step("alloc_charge_hpage", do={h_lock.owner: me},
           doc="Q1/Q3, P1/P2: allocate h and set PG_locked on it (h is private, so one step)")
    c.step("xas_create_range", xa.lock(c), do={node: ArrayOf(N, lambda i: True), **xas_set_start},
           doc="Q2/P3: xas_lock_irq, preallocate a node for every index (GFP_KERNEL retry loop), "
               "xas_set(&xas, start); leaves xa_lock held")

    # ---- loop head: three historical forms of "position the cursor on index and load the entry" ----
    loop_done = "xas_set_order:xas_store" if v63 else "xas_unlock_irq:loop_done"
    if variant == "e8c716bc":
        loop_head = "xas_set:xas_load"
        c.branch(
            loop_head,
            case(when=index == N, goto=loop_done, label="loop done"),
            otherwise(do={xa_index: index, xa_node: Xas.NODE, entry: slot[index], stale: False},
                      label="xas_set(index) + xas_load"),
            doc="P4 (v6.6.9 :1833-1835): re-walk from the top at every iteration (e8c716bc6812)")
    else:
        loop_head = "xas_next"
        c.branch(
            loop_head,
            case(when=index == N, goto=loop_done, label="loop done"),
            case(when=xa_node == Xas.NODE, do={xa_index: xa_index + 1, entry: slot[xa_index + 1]},
                 label="NODE: advance, load"),
            case(when=xa_node == Xas.RESTART, do={xa_node: Xas.NODE, entry: slot[xa_index]},
                 label="RESTART: frozen, walk, load"),
            otherwise(do={entry: Slot.HOLE}, label="ERROR: frozen, loads NULL"),
            doc="Q4 (v6.3.8 :1822-1827) / v6.4-rc1: xas_next() at the top of every iteration; __xas_next() "
                "does not advance xa_index while xas_frozen(xa_node) [lib/xarray.c:1191-1218]")

    if debug_vm:
        c.branch(
            "VM_BUG_ON:xa_index",
            case(when=index != xa_index, goto="BUG", label="index != xas.xa_index"),
            otherwise(label="ok"),
            doc="VM_BUG_ON(index != xas.xa_index) [v6.3.8 :1827; v6.6.9 :1837] with CONFIG_DEBUG_VM=y")
    else:
        c.step("VM_BUG_ON:xa_index", doc="CONFIG_DEBUG_VM=n: VM_BUG_ON() is compiled out, nothing is checked")

    all_empty = present == 0
    # The page is the one the cursor loaded: at xas.xa_index (== index unless the cursor is incoherent).
    trylock = case(page_lock.trylock(c, xa_index), when=entry == Slot.PAGE,
                   do={collected[xa_index]: True, xa.owner: nobody}, goto="page_checks",
                   label="trylock_page, get_page, xas_unlock_irq")
    page_lock_fail = otherwise(do={result: Scan.SCAN_PAGE_LOCK}, goto="xas_unlock_irq:xa_locked",
                               label="SCAN_PAGE_LOCK")
    truncated = case(when=And(entry == Slot.HOLE, index == 0, all_empty), do={result: Scan.SCAN_TRUNCATED},
                     goto="xas_unlock_irq:xa_locked", label="xas_next_entry finds nothing: SCAN_TRUNCATED")
    cursor_users = [loop_head] if loop_head == "xas_next" else []
    if v63:
        # Q4a: a hole is charged and filled with h inside the loop.
        c.branch(
            "shmem:entry",
            truncated,
            case(when=And(entry == Slot.HOLE, index == 0), do={xa_index: index, xa_node: Xas.RESTART},
                 goto="shmem_charge", label="first hole: xas_next_entry, xas_set(index)"),
            case(when=entry == Slot.HOLE, goto="shmem_charge", label="hole"),
            trylock,
            page_lock_fail,
            doc="Q4a/Q4c (v6.3.8 :1829-1868)")
        c.step("shmem_charge", do={charged: charged + 1}, doc="Q4a: shmem_charge(inode, 1): nrpages++, blocks")
        # Pre-fix: nr_none++ and the loop's index++ follow the store unconditionally.
        bump = {} if checked_store else {nr_none: nr_none + 1, index: index + 1}
        after_store = "xas_error" if checked_store else loop_head
        stored = {slot[xa_index]: Slot.HUGE, xa_node: Xas.NODE, counted[index]: True, **bump}
        c.choose(
            "xas_store:hole",
            case(when=xa_node == Xas.ERROR, do={counted[index]: True, **bump}, goto=after_store,
                 label="cursor in error: no-op"),
            case(when=And(xa_node != Xas.ERROR, node[xa_index]), do=stored, goto=after_store,
                 label="node present: store h"),
            case(when=And(xa_node != Xas.ERROR, Not(node[xa_index])), do={**stored, node[xa_index]: True},
                 goto=after_store, label="xas_alloc(GFP_NOWAIT) ok: store h"),
            case(when=And(xa_node != Xas.ERROR, Not(node[xa_index]), nomem),
                 do={xa_node: Xas.ERROR, nomem: False, counted[index]: True, **bump}, goto=after_store,
                 label="xas_alloc fails: -ENOMEM, cursor = ERROR"),
            doc="Q4a: xas_store(&xas, hpage) under xa_lock; a node the punch freed must be allocated without "
                "sleeping [lib/xarray.c:xas_create/xas_alloc]")
        cursor_users += ["shmem_charge", "xas_store:hole"]
        if checked_store:
            c.branch(
                "xas_error",
                case(when=xa_node == Xas.ERROR, do={charged: charged - 1, result: Scan.SCAN_STORE_FAILED},
                     goto="xas_unlock_irq:xa_locked", label="SCAN_STORE_FAILED: nrpages--, shmem_uncharge(1)"),
                otherwise(do={nr_none: nr_none + 1, index: index + 1}, goto=loop_head, label="ok: nr_none++"),
                doc="2ce0bdfebc74: check xas_error() right after the hole store")
        c.step("page_checks", doc="Q4d: uptodate, mapping, isolate_lru, try_to_unmap with xa_lock dropped")
        c.step("xas_lock_irq:xas_set", xa.lock(c), do={xa_index: index, xa_node: Xas.RESTART, stale: False},
               doc="Q4e: xas_lock_irq, xas_set(&xas, index) (VM_BUG_ON_PAGE's xas_load walks it if DEBUG_VM)")
        c.step("page_ref_freeze:xas_store", do={slot[xa_index]: Slot.HUGE, xa_node: Xas.NODE, index: index + 1},
               goto=loop_head, doc="Q4e: page_ref_freeze(p, 3), xas_store(&xas, hpage) replaces p; continue")
        c.step("xas_set_order:xas_store", xa.unlock(c),
               do={slot: ArrayOf(N, lambda i: Slot.HUGE), node: ArrayOf(N, lambda i: True),
                   xa_index: 0, xa_node: Xas.RESTART},
               doc="Q5: xas_set_order(start, HPAGE_PMD_ORDER) (resets the cursor and its error), multi-index "
                   "xas_store(h), xas_unlock_irq: the publication point")
        c.step("copy:unlock_old_pages", do={**unlock_collected, present: 0},
               doc="Q7: copy_highpage, page_ref_unfreeze(p, 1), unlock_page(p), put_page(p)")
        c.step("unlock_page:h", h_lock.unlock(c), do={result: Scan.SCAN_SUCCEED, charged: 0}, goto="END",
               doc="Q7: SetPageUptodate(h), unlock h; the charged holes are h's subpages now")
        c.step("xas_unlock_irq:xa_locked", xa.unlock(c), doc="xa_locked: xas_unlock_irq, try_to_unmap_flush")
        c.step("rollback", xa.briefly(),
               do={slot: ArrayOf(N, lambda i: Ite(slot[i] == Slot.HUGE, Ite(collected[i], Slot.PAGE, Slot.HOLE),
                                                   slot[i])),
                   charged: charged - nr_none, xa_index: 0, xa_node: Xas.RESTART, **unlock_collected},
               doc="Q8: xas_lock_irq, nrpages -= nr_none, shmem_uncharge(nr_none), xas_set(start), NULL over the "
                   "filled holes, page_ref_unfreeze(p, 2) and p back over h, unlock p, putback; xas_unlock_irq")
    else:
        # v6.4+: holes are only counted in the loop.
        first_hole_fix = {} if variant == "e8c716bc" else {xa_index: index + 1, xa_node: Xas.RESTART}
        c.branch(
            "shmem:entry",
            truncated,
            case(when=And(entry == Slot.HOLE, index == 0),
                 do={**first_hole_fix, counted[index]: True, nr_none: nr_none + 1, index: index + 1},
                 goto=loop_head,
                 label="first hole: nr_none++" if variant == "e8c716bc" else "first hole: xas_set(index + 1)"),
            case(when=entry == Slot.HOLE, do={counted[index]: True, nr_none: nr_none + 1, index: index + 1},
                 goto=loop_head, label="hole: nr_none++"),
            trylock,
            page_lock_fail,
            doc="P4a/P4c (v6.6.9 :1839-1868; v6.4-rc1 with xas_set(index + 1) after the emptiness test)")
        c.step("page_checks", doc="P4d: uptodate, mapping, isolate_lru, try_to_unmap with xa_lock dropped")
        if variant == "cursor_a2e17cc2":
            c.step("xas_lock_irq:xas_set", xa.lock(c), do={xa_index: index, xa_node: Xas.RESTART, stale: False},
                   doc="v6.4-rc1: xas_lock_irq, xas_set(&xas, index); VM_BUG_ON_PAGE(page != xas_load(&xas)) is "
                       "compiled out (DEBUG_VM=n), so nothing walks the cursor: it stays XAS_RESTART")
        elif variant == "cursor_c8a8f3b4":
            c.step("xas_lock_irq", xa.lock(c), doc="c8a8f3b4a95a: xas_lock_irq, no xas_set() and no xas_pause()")
            c.step("VM_BUG_ON_PAGE:xas_load", do={entry: slot[xa_index]},
                   doc="VM_BUG_ON_PAGE(page != xas_load(&xas)) starts from the node the cursor kept across the "
                       "unlock (CONFIG_DEBUG_VM=y)")
            cursor_users.append("VM_BUG_ON_PAGE:xas_load")
        else:
            c.step("xas_lock_irq", xa.lock(c),
                   doc="P4e: xas_lock_irq; VM_BUG_ON_PAGE(page != xa_load(xas.xa, index)) walks from the top "
                       "without touching the cursor (e8c716bc6812)")
        c.step("page_count", do={index: index + 1}, goto=loop_head, doc="P4e: page_count == 3, list_add_tail")
        c.step("xas_unlock_irq:loop_done", xa.unlock(c), doc="XA_LOCKED/XA_UNLOCKED: try_to_unmap_flush")
        c.step("shmem_charge", do={charged: nr_none},
               doc="P7: shmem_charge(inode, nr_none); P8 copy (cannot fail here)")
        c.branch(
            "i_mmap_lock_read:xas_lock_irq",
            case(xa.lock(c), when=nr_none > 0, do={**xas_set_start, index: 0}, label="nr_none > 0: xas_set(start)"),
            otherwise(xa.lock(c), goto="xas_set_order:xas_store", label="P9': no holes, just xas_lock_irq"),
            doc="P9a/P9b: i_mmap_lock_read, xas_lock_irq, xas_set(&xas, start)")
        retry = {nr_none_check: nr_none_check + 1, index: index + 1}
        c.choose(
            "xas_next:retry_fill",
            case(when=index == N, goto="nr_none_recheck", label="range done"),
            case(when=And(index < N, xa_node == Xas.RESTART, slot[xa_index] != Slot.HOLE),
                 do={xa_node: Xas.NODE, index: index + 1}, goto="xas_next:retry_fill", label="walk: present"),
            case(when=And(index < N, xa_node == Xas.NODE, slot[xa_index + 1] != Slot.HOLE),
                 do={xa_index: xa_index + 1, index: index + 1}, goto="xas_next:retry_fill", label="next: present"),
            case(when=And(index < N, xa_node == Xas.RESTART, slot[xa_index] == Slot.HOLE, node[xa_index]),
                 do={**retry, slot[xa_index]: Slot.RETRY, xa_node: Xas.NODE}, goto="xas_next:retry_fill",
                 label="walk: hole, store RETRY"),
            case(when=And(index < N, xa_node == Xas.NODE, slot[xa_index + 1] == Slot.HOLE, node[xa_index + 1]),
                 do={**retry, xa_index: xa_index + 1, slot[xa_index + 1]: Slot.RETRY}, goto="xas_next:retry_fill",
                 label="next: hole, store RETRY"),
            case(when=And(index < N, xa_node == Xas.RESTART, slot[xa_index] == Slot.HOLE, Not(node[xa_index])),
                 do={**retry, slot[xa_index]: Slot.RETRY, node[xa_index]: True, xa_node: Xas.NODE},
                 goto="xas_next:retry_fill", label="walk: hole, xas_alloc ok, store RETRY"),
            case(when=And(index < N, xa_node == Xas.NODE, slot[xa_index + 1] == Slot.HOLE, Not(node[xa_index + 1])),
                 do={**retry, xa_index: xa_index + 1, slot[xa_index + 1]: Slot.RETRY, node[xa_index + 1]: True},
                 goto="xas_next:retry_fill", label="next: hole, xas_alloc ok, store RETRY"),
            case(when=And(index < N, xa_node == Xas.RESTART, slot[xa_index] == Slot.HOLE, Not(node[xa_index]),
                          nomem),
                 do={xa_node: Xas.ERROR, nomem: False, result: Scan.SCAN_STORE_FAILED}, goto="xas_set:clear_retry",
                 label="walk: hole, -ENOMEM: SCAN_STORE_FAILED"),
            case(when=And(index < N, xa_node == Xas.NODE, slot[xa_index + 1] == Slot.HOLE, Not(node[xa_index + 1]),
                          nomem),
                 do={xa_index: xa_index + 1, xa_node: Xas.ERROR, nomem: False, result: Scan.SCAN_STORE_FAILED},
                 goto="xas_set:clear_retry", label="next: hole, -ENOMEM: SCAN_STORE_FAILED"),
            doc="P9c (v6.6.9 :2071-2081): xas_next over the range, XA_RETRY_ENTRY into every empty slot, "
                "xas_error() checked at once")
        cursor_users.append("xas_next:retry_fill")
        c.branch(
            "nr_none_recheck",
            case(when=nr_none != nr_none_check, do={result: Scan.SCAN_PAGE_FILLED}, goto="xas_set:clear_retry",
                 label="SCAN_PAGE_FILLED"),
            otherwise(label="counts match"),
            doc="P9d (no fault fills a hole in this model; P9e, the userfaultfd walk, is in "
                "collapse_file_vs_uffd_register)")
        c.step("xas_set_order:xas_store", xa.unlock(c),
               do={slot: ArrayOf(N, lambda i: Slot.HUGE), node: ArrayOf(N, lambda i: True),
                   xa_index: 0, xa_node: Xas.RESTART},
               doc="P9f/P10: i_mmap_unlock_read, folio_mark_uptodate(h), xas_set_order + multi-index "
                   "xas_store(h), xas_unlock_irq: the publication point")
        c.step("unlock_page:h", h_lock.unlock(c), doc="P11/P12: retract_page_tables, folio_unlock(h)")
        c.step("copy:unlock_old_pages",
               do={**unlock_collected, present: 0, result: Scan.SCAN_SUCCEED, charged: 0}, goto="END",
               doc="P13: p->mapping = NULL, unlock, folio_put_refs(p, 3)")
        c.step("xas_set:clear_retry", xa.unlock(c),
               do={slot: ArrayOf(N, lambda i: Ite(slot[i] == Slot.RETRY, Slot.HOLE, slot[i])),
                   xa_index: 0, xa_node: Xas.RESTART},
               goto="rollback",
               doc="P9f failure: xas_set(&xas, start) (clears the error), NULL over every RETRY entry, "
                   "i_mmap_unlock_read, xas_unlock_irq")
        c.step("xas_unlock_irq:xa_locked", xa.unlock(c), doc="xa_locked: xas_unlock_irq, try_to_unmap_flush")
        c.step("rollback", do={charged: 0, **unlock_collected},
               doc="R1/R2: nrpages -= nr_none and shmem_uncharge (if charged); unlock p, putback_lru, put")

    c.branch(
        "rollback:unlock_page:h",
        case(h_lock.unlock(c), when=result == Scan.SCAN_TRUNCATED, goto="END", label="extent empty: stop"),
        otherwise(h_lock.unlock(c), label="try again later"),
        doc="Q8/R4: h->mapping = NULL, unlock and free h")
    c.step("khugepaged_scan_sleep", when=Not(t.at("truncate_inode_folio")), do={**reset, failed_once: True},
           goto="alloc_charge_hpage",
           doc="khugepaged_wait_work (10 s by default; long enough for a hole punch that holds a page lock "
               "to finish), then khugepaged_scan_mm_slot() visits the extent again")
    if debug_vm:
        c.step("BUG", when=False, end=True, doc="kernel BUG at mm/khugepaged.c:1823 (syzbot build): the task dies")

    # ------------------------------------------------------------------------------- hole punch (T)
    victim = t.local("index", IntRange(0, N - 1), init=OneOf(*range(pages)), doc="the index being punched")
    t.branch(
        "find_lock_entries",
        case(when=slot[victim] == Slot.PAGE, goto="folio_lock", label="page"),
        case(when=In(slot[victim], [Slot.HOLE, Slot.HUGE]), goto="END", label="nothing to punch / THP (not modelled)"),
        doc="RCU lookup in shmem_undo_range(); waits while the slot holds XA_RETRY_ENTRY")
    t.step("folio_lock", page_lock.lock(t, victim), doc="sleeps on PG_locked")
    t.branch(
        "truncate_inode_folio",
        case(xa.briefly(), page_lock.unlock(t, victim), when=slot[victim] == Slot.PAGE,
             do={slot[victim]: Slot.HOLE, node[victim]: False, present: present - 1, punched[victim]: True,
                 stale: Or(stale, xa_node == Xas.NODE)},
             goto="END", label="__filemap_remove_folio: NULL, the emptied node is freed"),
        otherwise(page_lock.unlock(t, victim), goto="END", label="mapping changed: skip"),
        doc="folio->mapping re-check, delete under xa_lock (update_node -> xas_delete_node), unlock")

    # ---------------------------------------------------------------------------------- properties
    # The property a variant demonstrates is declared first: the engine reports the first violated property
    # in declaration order (pre_fix_ndebug: the data loss; cursor_a2e17cc2: khugepaged never collapsing).
    decls = []

    def decl(kind, name, expr, doc=""):
        decls.append((kind, name, expr, doc))

    decl("always", "cursor_tracks_loop_index",
             Implies(c.at("VM_BUG_ON:xa_index"), And(xa_index == index, xa_node != Xas.ERROR)),
             doc="X1: at the loop head the cursor is on the loop's index and not in an error state "
                 "(the condition of VM_BUG_ON(index != xas.xa_index))")
    checked = Or(c.at("xas_error"), result == Scan.SCAN_STORE_FAILED) if checked_store else \
        result == Scan.SCAN_STORE_FAILED
    decl("always", "store_errors_checked", Implies(xa_node == Xas.ERROR, checked),
             doc="X2: a cursor in an error state exists only at the xas_error() check or once the collapse has "
                 "diverted to failure: it is never used, and nothing is decided from it")
    decl("always", "cursor_not_reused_across_unlock",
             Not(And(c.at(*cursor_users), xa_node == Xas.NODE, stale)),
             doc="X3: a node cursor is re-positioned (xas_set/xas_pause) before it is used again after an "
                 "xa_lock release during which the xarray changed")
    publish = c.at("xas_set_order:xas_store")
    if v63:
        owned = lambda i: Or(slot[i] == Slot.HUGE, And(slot[i] == Slot.HOLE, counted[i]))  # noqa: E731
    else:
        owned = lambda i: Or(And(slot[i] == Slot.RETRY, counted[i]),  # noqa: E731
                             And(slot[i] == Slot.PAGE, collected[i], page_lock.owner[i] == me))
    decl("always", "publication_covers_only_owned_slots", Implies(publish, ForAll(N, owned)),
             doc="X4: the multi-index store replaces only holes the collapse counted and pages it holds locked; "
                 "anything else is a page dropped from the cache without being copied (data loss)")
    retrying = c.at("rollback:unlock_page:h")
    decl("always", "store_failure_uncharged", Implies(retrying, charged == 0),
             doc="X5: a failed attempt gives back every shmem charge it took, the failed hole's included")
    decl("always", "rollback_restores",
             Implies(retrying, And(Not(xa.held_by(c)),
                                   ForAll(N, lambda i: And(In(slot[i], [Slot.HOLE, Slot.PAGE]),
                                                           page_lock.owner[i] != me,
                                                           Implies(And(collected[i], Not(punched[i])),
                                                                   slot[i] == Slot.PAGE))))),
             doc="I1-rollback-restores: when the rollback is over (h not yet freed) no h or RETRY is left, no page "
                 "lock is held, and every collected page is in its slot (unless punched after it was unlocked)")
    decl("progress", "khugepaged_collapses_extent", c.done,
               doc="every fair infinite run reaches a state where the collapse is done (the extent collapsed, or "
                   "found empty): a cursor that stops advancing shows up as a non-progress cycle")

    first = {"pre_fix_ndebug": "publication_covers_only_owned_slots",
             "cursor_a2e17cc2": "khugepaged_collapses_extent"}.get(variant)
    for kind, name, expr, doc in sorted(decls, key=lambda d: d[1] != first):
        (m.always if kind == "always" else m.progress)(name, expr, doc=doc)

    m.sometimes("punch_frees_node", Exists(N, lambda i: punched[i]))
    m.sometimes("collapse_succeeds", And(c.done, result == Scan.SCAN_SUCCEED))
    m.sometimes("collapse_retries", failed_once)
    if variant in ("post_fix", "e8c716bc"):
        m.sometimes("store_fails_enomem", And(Not(nomem), result == Scan.SCAN_STORE_FAILED),
                    doc="the injected -ENOMEM hit a store into a node the punch freed: SCAN_STORE_FAILED")
        m.sometimes("succeeds_after_store_failure", And(c.done, result == Scan.SCAN_SUCCEED, Not(nomem),
                                                        failed_once))
