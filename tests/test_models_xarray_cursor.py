"""collapse_file_xas_store_enomem: the counterexamples tell the stories of 2ce0bdfebc74, c8a8f3b4a95a and
e8c716bc6812, and the fixed cursors hold with their witnesses (including the SCAN_STORE_FAILED path)."""

from __future__ import annotations

import pytest

from collapsecheck.explicit import engine
from collapsecheck.model import semantics
from collapsecheck.result import Verdict
from tests.conftest import build_model

XAS = "collapse_file_xas_store_enomem"


def _check(**params):
    res, ex = engine.check(build_model(XAS, **params))
    assert res.bound == "exhaustive"
    return res


def _first(trace, thread, step, case=None, start=0):
    for k, s in enumerate(trace.steps[start:], start):
        if s.thread == thread and s.step == step and (case is None or s.case == case):
            return k
    raise AssertionError(f"{thread}:{step} [{case}] not in the trace after step {start}")


def _changed(step, name):
    return {n: (old, new) for n, old, new in step.changes}.get(name)


def test_pre_fix_x1_is_the_syzbot_story():
    """Punch frees a node while xa_lock is dropped, the hole store gets -ENOMEM, xas_next stops advancing."""
    res = _check(variant="pre_fix", pages=3)
    assert res.verdict == Verdict.VIOLATED and res.property == "cursor_tracks_loop_index"
    t = res.trace
    locked = _first(t, "collapse", "shmem:entry", "trylock_page, get_page, xas_unlock_irq")
    punched = _first(t, "hole_punch", "truncate_inode_folio")
    assert "the emptied node is freed" in t.steps[punched].case
    relocked = _first(t, "collapse", "xas_lock_irq:xas_set")
    enomem = _first(t, "collapse", "xas_store:hole", "xas_alloc fails: -ENOMEM, cursor = ERROR")
    frozen = _first(t, "collapse", "xas_next", "ERROR: frozen, loads NULL")
    assert locked < punched < relocked < enomem < frozen == len(t) - 1
    # The punched index is the one whose store failed: its node had been freed.
    victim = _changed(t.steps[punched], "xa_node_present[1]") or _changed(t.steps[punched], "xa_node_present[2]")
    assert victim == ("true", "false")
    # With DEBUG_VM=y the very next step is the VM_BUG_ON: the model ends the task there.
    assert res.witnesses["collapse_succeeds"] is not None


def test_pre_fix_without_debug_vm_publishes_over_an_unlocked_page():
    res = _check(variant="pre_fix_ndebug", pages=3)
    assert res.verdict == Verdict.VIOLATED and res.property == "publication_covers_only_owned_slots"
    t = res.trace
    enomem = _first(t, "collapse", "xas_store:hole", "xas_alloc fails: -ENOMEM, cursor = ERROR")
    noop = _first(t, "collapse", "xas_store:hole", "cursor in error: no-op", start=enomem + 1)
    done = _first(t, "collapse", "xas_next", "loop done")
    assert enomem < noop < done == len(t) - 1
    # At the publication some index still holds a page nobody locked, which the collapse counted as a hole.
    model = build_model(XAS, variant="pre_fix_ndebug", pages=3)
    d = semantics.describe_state(model, t.states[-1])
    lost = [i for i in range(3) if d[f"slot[{i}]"] == "PAGE" and d[f"page_lock[{i}]"] == "nobody"
            and d[f"collapse.counted[{i}]"] == "true"]
    assert lost, d
    assert "cursor_tracks_loop_index" in res.violations and "store_errors_checked" in res.violations


@pytest.mark.parametrize("variant", ["post_fix", "e8c716bc"])
@pytest.mark.parametrize("pages", [3, 4])
def test_fixed_cursor_holds_and_reaches_store_failed(variant, pages):
    res = _check(variant=variant, pages=pages)
    assert res.verdict == Verdict.HOLDS
    for w in ("punch_frees_node", "collapse_succeeds", "collapse_retries", "store_fails_enomem",
              "succeeds_after_store_failure"):
        assert res.witnesses[w] is not None, w
    assert res.unreached == ["collapse:BUG"]


def test_a2e17cc2_cursor_is_a_non_progress_cycle():
    """The cursor left at XAS_RESTART stops advancing: every attempt trylocks its own page and fails."""
    res = _check(variant="cursor_a2e17cc2", pages=3)
    assert res.verdict == Verdict.VIOLATED and res.property == "khugepaged_collapses_extent"
    t = res.trace
    start = res.extra["cycle_start"]["khugepaged_collapses_extent"]
    cycle = t.steps[start:]
    assert cycle, "a lasso has a non-empty cycle"
    cases = [(s.step, s.case) for s in cycle]
    assert ("xas_next", "RESTART: frozen, walk, load") in cases
    assert ("shmem:entry", "SCAN_PAGE_LOCK") in cases
    assert all(s.case != "loop done" for s in cycle if s.step == "xas_next")
    # The retry is part of the cycle (where BFS closes the lasso depends on the stem: since a blocking
    # acquisition in a branch waits, the punch no longer "skips" under a held xa_lock).
    assert any(s.step == "khugepaged_scan_sleep" for s in cycle)
    # The loaded entry is the page the collapse itself locked one iteration earlier.
    assert "cursor_tracks_loop_index" in res.violations


def test_c8a8f3b4_cursor_is_reused_across_the_unlock():
    res = _check(variant="cursor_c8a8f3b4", pages=3)
    assert res.verdict == Verdict.VIOLATED and res.property == "cursor_not_reused_across_unlock"
    t = res.trace
    unlocked = _first(t, "collapse", "shmem:entry", "trylock_page, get_page, xas_unlock_irq")
    punched = _first(t, "hole_punch", "truncate_inode_folio")
    relocked = _first(t, "collapse", "xas_lock_irq")
    assert unlocked < punched < relocked == len(t) - 1
    assert _changed(t.steps[punched], "cursor_stale") == ("false", "true")


@pytest.mark.parametrize("variant", ["pre_fix", "post_fix"])
def test_two_pages_cannot_show_x1(variant):
    """With two pages the failed store is the last index: X2 (pre-fix) but no X1; documented in the model."""
    res = _check(variant=variant, pages=2)
    assert "cursor_tracks_loop_index" not in res.violations
    assert ("store_errors_checked" in res.violations) == (variant == "pre_fix")
