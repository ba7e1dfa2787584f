"""Poisoned memory during collapse (98c76c9f1ef7 anonymous, 12904d953364 file): the pre-fix loops lose data,
the post-fix copy-then-commit holds with its witnesses, and the ordering mutants fail their ordering property."""

from __future__ import annotations

import pytest

from collapsecheck.explicit import engine
from collapsecheck.result import Verdict
from tests.conftest import build_model

ANON = "collapse_huge_page_poison"
FILE = "collapse_file_poison"


def _check(name, **params):
    res, _ = engine.check(build_model(name, **params))
    assert res.bound == "exhaustive"
    return res


def _steps(trace, thread=None):
    return [(s.thread, s.step, s.case) for s in trace.steps if thread is None or s.thread == thread]


def _first(trace, thread, step, case=None):
    for k, s in enumerate(trace.steps):
        if s.thread == thread and s.step == step and (case is None or case in (s.case or "")):
            return k
    raise AssertionError(f"{thread}:{step} [{case}] not in the trace")


@pytest.mark.parametrize("pages", [2, 3])
def test_anon_single_loop_frees_a_page_before_the_poisoned_copy(pages):
    res = _check(ANON, variant="pre_fix", pages=pages)
    assert res.verdict == Verdict.VIOLATED and res.property == "no_source_destroyed_before_copies_done"
    t = res.trace
    freed = _first(t, "khugepaged", "__collapse_huge_page_copy", "free_page_and_swap_cache")
    poisoned = _first(t, "khugepaged", "__collapse_huge_page_copy", "machine check")
    assert freed < poisoned == len(t) - 1
    # N4: after the rollback the user reads zeros where its data was.
    lost = res.violations["user_reads_its_data"]
    assert lost.steps[-1].thread == "user" and lost.steps[-1].step == "read"
    assert _first(lost, "khugepaged", "mmap_write_unlock") < len(lost) - 1


@pytest.mark.parametrize("pages", [2, 3])
def test_anon_post_fix_holds_n1_to_n5(pages):
    res = _check(ANON, variant="post_fix", pages=pages)
    assert res.verdict == Verdict.HOLDS
    assert all(v is not None for v in res.witnesses.values()), res.witnesses
    assert not res.unreached


def test_anon_release_before_repopulate_lets_a_walker_miss_the_mapping():
    res = _check(ANON, variant="release_before_repopulate", pages=2)
    assert res.verdict == Verdict.VIOLATED and res.property == "rmap_walk_never_misses_live_mapping"
    t = res.trace
    released = _first(t, "khugepaged", "copy_failed:release_pte_pages")
    walked = _first(t, "rmap_walker", "page_vma_mapped_walk")
    repopulated = _first(t, "khugepaged", "copy_failed:pmd_populate")
    assert _first(t, "khugepaged", "__collapse_huge_page_copy", "machine check") < released < walked < repopulated
    assert repopulated == len(t) - 1
    assert ("rmap_walker.missed", "false", "true") in t.steps[walked].changes


def test_file_pre_fix_rollback_has_nothing_left_to_restore():
    res = _check(FILE, variant="pre_fix", pages=2)
    assert res.verdict == Verdict.VIOLATED and res.property == "file_keeps_its_data"
    t = res.trace
    freed = _first(t, "collapse", "copy_highpage", "unlock, put")
    poisoned = _first(t, "collapse", "copy_highpage", "machine check")
    assert _first(t, "collapse", "xas_store:multi_index") < freed < poisoned < _first(t, "collapse", "rollback")
    assert t.steps[-1].step == "rollback:unlock_page:h"
    assert "rollback_restores" in res.violations


@pytest.mark.parametrize("variant,pages", [("v6_4", 2), ("v6_4", 3), ("post_fix", 2), ("post_fix", 3)])
def test_file_copy_then_commit_holds(variant, pages):
    res = _check(FILE, variant=variant, pages=pages)
    assert res.verdict == Verdict.HOLDS
    assert all(v is not None for v in res.witnesses.values()), res.witnesses
    assert not res.unreached


def test_file_unlock_before_publish_loses_a_write():
    res = _check(FILE, variant="unlock_before_publish", pages=2)
    assert res.verdict == Verdict.VIOLATED and res.property == "pages_unlocked_only_when_final"
    lost = res.violations["file_keeps_its_data"]
    copied = _first(lost, "collapse", "copy_mc_highpage", "copy_mc_highpage ok")
    unlocked = _first(lost, "collapse", "unlock_old_pages:early")
    written = _first(lost, "writer", "write:page", "mapping ok")
    published = _first(lost, "collapse", "xas_store:publish")
    assert copied < unlocked < written < published
