"""The userfaultfd and lock-sequence models: the counterexamples tell the stories of their commits, and the
post-fix kernels hold with every witness reached (at 2 and 3 pages)."""

from __future__ import annotations

import pytest

from collapsecheck.explicit import engine
from collapsecheck.result import Verdict
from tests.conftest import build_model

UFFD = "collapse_file_vs_uffd_register"


def _index(trace, thread, step_prefix):
    for k, s in enumerate(trace.steps):
        if s.thread == thread and s.step.startswith(step_prefix):
            return k
    raise AssertionError(f"{thread}:{step_prefix} not in the trace")


@pytest.mark.parametrize("pages", [2, 3])
def test_pre_fix_counterexample_is_the_commit_message_story(pages):
    res, _ = engine.check(build_model(UFFD, variant="pre_fix", pages=pages))
    assert res.verdict == Verdict.VIOLATED and res.property == "no_missing_page_becomes_present"
    t = res.trace
    registered = _index(t, "uffd_register", "mmap_write_unlock")
    filled = next(k for k, s in enumerate(t.steps) if s.thread == "collapse" and s.case == "hole: xas_store(h)")
    uptodate = _index(t, "collapse", "folio_mark_uptodate")
    fault_maps = _index(t, "page_fault", "finish_fault")
    # Registration returns, then the collapse fills the hole and publishes, then the fault finds the page
    # present -- and no uffd event was raised on the way.
    assert registered < filled < uptodate < fault_maps == len(t) - 1
    assert not any(s.step.startswith("shmem_get_folio:hole") for s in t.steps)
    assert t.steps[-1].case == "map subpage of h"


def test_late_check_without_retry_entries_lets_registration_slip_in():
    res, _ = engine.check(build_model(UFFD, variant="late_check_no_retry", pages=2))
    assert res.verdict == Verdict.VIOLATED and res.property == "no_missing_page_becomes_present"
    t = res.trace
    checked = _index(t, "collapse", "vma_interval_tree_foreach")
    registered = _index(t, "uffd_register", "mmap_write_unlock")
    published = _index(t, "collapse", "xas_store:publish")
    assert checked < registered < published < _index(t, "page_fault", "finish_fault")


def test_no_recheck_mutant_loses_a_page_a_fault_inserted():
    res, _ = engine.check(build_model(UFFD, variant="no_recheck", pages=2))
    assert res.verdict == Verdict.VIOLATED and res.property == "publication_covers_only_owned_slots"
    cases = [s.case for s in res.trace.steps]
    assert "inserted" in cases and "mutant: no re-count" in cases


@pytest.mark.parametrize("pages", [2, 3])
def test_post_fix_holds_with_every_witness(pages):
    res, _ = engine.check(build_model(UFFD, variant="post_fix", pages=pages))
    assert res.verdict == Verdict.HOLDS and res.bound == "exhaustive"
    assert set(res.witnesses) == {"collapse_succeeds", "fault_raises_uffd_event", "fault_fills_hole_during_collapse",
                                  "collapse_backs_off_ebusy", "collapse_backs_off_eagain"}
    assert all(v is not None for v in res.witnesses.values())
    assert res.unreached == []


def test_lock_sequence_pre_fix_exposes_a_half_collapsed_range():
    res, _ = engine.check(build_model("collapse_file_lock_sequence", variant="pre_fix", pages=2))
    assert res.verdict == Verdict.VIOLATED and res.property == "no_intermediate_state"
    last = res.trace.steps[-1]
    assert last.thread == "collapse" and last.case == "trylock_page + get_page"  # xa_lock dropped mid-range
    assert ("xa_lock", "collapse", "nobody") in last.changes


def test_lock_sequence_post_fix_holds():
    res, _ = engine.check(build_model("collapse_file_lock_sequence", variant="post_fix", pages=3))
    assert res.verdict == Verdict.HOLDS and all(v is not None for v in res.witnesses.values())
    assert res.unreached == []
