"""Two collapse contexts (34488399fa08) and the racy PMD check (58ac9a8993a1): the protocols hold with their
witnesses, and each mutant's counterexample is the race its commit message argues away."""

from __future__ import annotations

import pytest

from collapsecheck.explicit import engine
from collapsecheck.result import Verdict
from tests.conftest import build_model

CTX = "collapse_file_vs_madvise_collapse"
PMD = "collapse_pte_mapped_thp_vs_pmd"


def _check(name, **params):
    res, _ = engine.check(build_model(name, **params))
    assert res.bound == "exhaustive"
    return res


def _first(trace, thread, step, case=None):
    for k, s in enumerate(trace.steps):
        if s.thread == thread and s.step == step and (case is None or case in (s.case or "")):
            return k
    raise AssertionError(f"{thread}:{step} [{case}] not in the trace")


@pytest.mark.parametrize("variant", ["v6_3", "v6_6"])
@pytest.mark.parametrize("pages", [2, 3])
def test_lock_sequences_hold_with_witnesses(variant, pages):
    res = _check(CTX, variant=variant, pages=pages)
    assert res.verdict == Verdict.HOLDS, res.property
    assert res.deadlock is None  # M3
    assert all(v is not None for v in res.witnesses.values()), res.witnesses
    assert not res.unreached


def test_v6_3_lets_two_hugepages_coexist_transiently():
    res = _check(CTX, variant="v6_3", pages=3)
    assert res.witnesses["two_hugepages_coexist"] is not None


def test_unlocking_the_first_page_before_its_refcount_is_restored_breaks_m4():
    res = _check(CTX, variant="unlock_before_restore", pages=2)
    assert res.verdict == Verdict.VIOLATED and res.property == "first_page_rule"
    t = res.trace
    # The winner froze and replaced its first page, failed later, put the page back but unlocked it frozen...
    froze = _first(t, "khugepaged", "page_ref_freeze:xas_store", "page_ref_freeze(p, 3) ok")
    failed = _first(t, "khugepaged", "isolate_lru_page", "SCAN_DEL_PAGE_LRU")
    put_back = _first(t, "khugepaged", "rollback:xas_for_each", "not unfrozen")
    unlocked = _first(t, "khugepaged", "rollback:unlock_page")
    # ... and the other context trylocks it and takes a reference on a page whose count is 0.
    stolen = _first(t, "madvise_collapse", "xas_next", "trylock_page")
    assert froze < failed < put_back < unlocked < stolen == len(t) - 1
    assert ("page_ref[0]", "0", "1") in t.steps[stolen].changes
    assert "refcount_never_clobbered" in res.violations


@pytest.mark.parametrize("variant", ["v6_3", "v6_6"])
def test_pmd_protocols_hold(variant):
    res = _check(PMD, variant=variant)
    assert res.verdict == Verdict.HOLDS
    assert all(v is not None for v in res.witnesses.values()), res.witnesses


def test_acting_on_the_lockless_pmd_frees_a_huge_pmd():
    res = _check(PMD, variant="stale_pmd")
    assert res.verdict == Verdict.VIOLATED and res.property == "pmd_changed_only_under_lock_with_fresh_value"
    t = res.trace
    lockless = _first(t, "khugepaged", "find_pmd_or_thp_or_none:lockless")
    installed = _first(t, "madvise_collapse", "maybe_install_pmd", "set_huge_pmd")
    trylock = _first(t, "khugepaged", "mmap_write_trylock", "locked")
    assert lockless < installed < trylock
    assert ("pmd", "NONE", "HUGE") in t.steps[installed].changes
    assert res.violations["page_table_freed_only_if_pte_mapped"].steps[-1].step == "collapse_and_free_pmd"
