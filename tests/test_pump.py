"""Trace pumping (``symbolic/pump.py``): a counterexample at a large fixed size built from the explicit
engine's shortest counterexamples at small sizes, reported only after it replays at that size.

- a toy whose counterexample grows with the page count is refuted at 64 pages, the trace replayed
  (independently of the engine) and said not to be claimed shortest;
- a pumped trace that does not replay is never reported (the extrapolation is spoilt on purpose);
- a post-fix variant is never refuted by pumping (toy and kernel model at 512);
- a kernel family whose shortest counterexample grows with the page count is refuted at 512;
- the pumped counterexample is stored as a certificate that says how it was found, and replayed from it;
- the alignment of consecutive traces: insertions only, the same segments at every size.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest

from collapsecheck.engine_config import CheckConfig
from collapsecheck.orchestration import loader
from collapsecheck.result import Verdict
from collapsecheck.symbolic import pump
from collapsecheck.symbolic.engines import run_bmc
from tests.conftest import build_model
from tests.test_refute import assert_replays

TOY = Path(__file__).parent / "toys" / "page_fill.py"


def toy(bug: str, pages: int = 64):
    return loader.build(TOY, {"pages": pages, "bug": bug})


def bmc(model, tmp_path, depth: int = 4, **opts):
    options = {"certificate_dir": str(tmp_path / "certs"), **opts}
    return run_bmc(model, CheckConfig(timeout=60, depth=depth, build=loader.build, options=options))


@pytest.mark.parametrize("bug", ["early_publish", "skip_first"])
def test_a_growing_counterexample_is_pumped_and_replayed(bug, tmp_path):
    model = toy(bug)
    res = bmc(model, tmp_path)
    assert res.verdict == Verdict.VIOLATED, res.message
    assert res.property == "published_pages_full"
    assert len(res.trace) == 66  # lock, 63 or 62 fills, publish (+ the early-publish branch): 2 + 64
    assert_replays(model, res.trace, res.property)
    assert res.bound.startswith("pumped counterexample, replayed at pages=64")
    assert "pumped from the shortest traces at pages 2, 3, 4" in res.message
    # bmc searched only to depth 4 for a shorter one: the length is not claimed shortest
    assert "not claimed shortest: bmc found no violation of any property up to depth 4" in res.message
    assert res.extra["trace_minimal"] is False and res.extra["pumped"]["shortest"] is False


def test_the_pumped_length_is_the_shortest_only_when_bmc_searched_every_shorter_depth(tmp_path):
    model = toy("early_publish", pages=10)
    res = bmc(model, tmp_path, depth=40)
    assert res.verdict == Verdict.VIOLATED and len(res.trace) == 12
    assert res.extra["pumped"]["shortest"] is True, res.message
    assert "the shortest: bmc found no violation of any property up to depth 11" in res.message
    assert "trace_minimal" not in res.extra


def test_a_pumped_trace_that_does_not_replay_is_never_reported(tmp_path, monkeypatch):
    # Drop the last action of every pumped sequence: the trace stops short of the violation. The
    # concretiser (Z3 over the full model at 64 pages) cannot make it a counterexample either.
    real = pump.extend
    monkeypatch.setattr(pump, "extend", lambda *a: real(*a)[:-1])
    model = toy("early_publish")
    got, why = pump.pump(model, "pages", loader.build, time.monotonic() + 60)
    assert got is None and "no initial state at pages=64 makes it a counterexample" in why
    res = bmc(model, tmp_path)
    assert res.verdict != Verdict.VIOLATED and res.trace is None
    assert "no pumped counterexample" in res.message


def test_a_wrong_initial_state_falls_back_to_the_concretiser(monkeypatch):
    monkeypatch.setattr(pump, "initial_state", lambda *a: None)
    got, _ = pump.pump(toy("early_publish", pages=16), "pages", loader.build, time.monotonic() + 60)
    assert got is not None and got.initial == "chosen by Z3 (concretiser)" and len(got.trace) == 18


def test_a_post_fix_toy_is_never_refuted(tmp_path):
    model = toy("none")
    got, why = pump.pump(model, "pages", loader.build, time.monotonic() + 60)
    assert got is None and "explicit engine answered holds" in why
    res = bmc(model, tmp_path)
    assert res.verdict != Verdict.VIOLATED


def test_a_post_fix_kernel_model_is_never_refuted_at_512():
    model = build_model("collapse_huge_page_poison", variant="post_fix", pages=512)
    got, why = pump.pump(model, "pages", loader.build, time.monotonic() + 120)
    assert got is None, got.how("pages", 512) if got else ""
    assert "holds" in why


def test_a_kernel_family_growing_with_the_page_count_is_refuted_at_512(tmp_path):
    """Anonymous poison pre-fix: shortest counterexamples 9/10/11 at 2/3/4 pages (one isolate iteration per
    page), so 519 steps at 512; bmc alone never reaches that depth."""
    model = build_model("collapse_huge_page_poison", variant="pre_fix", pages=512)
    res = bmc(model, tmp_path, depth=3)
    assert res.verdict == Verdict.VIOLATED
    assert res.property == "no_source_destroyed_before_copies_done" and len(res.trace) == 519
    assert_replays(model, res.trace, res.property)
    # stored as a certificate that says how it was found, and replayed from it on the next run
    path = tmp_path / "certs" / "collapse_huge_page_poison@pages=512,variant=pre_fix.trace.json"
    data = json.loads(path.read_text())
    assert data["shortest"] is False and data["found_by"].startswith("pumped from the shortest traces at pages 2, 3, 4")
    again = bmc(build_model("collapse_huge_page_poison", variant="pre_fix", pages=512), tmp_path, depth=3)
    assert again.bound.startswith("counterexample certificate, replayed")
    assert "pumped from the shortest traces" in again.message and again.extra["trace_minimal"] is False
    assert [s.action for s in again.trace.steps] == [s.action for s in res.trace.steps]


def test_pumping_is_off_on_request(tmp_path):
    res = bmc(toy("early_publish"), tmp_path, pump="off")
    assert res.verdict != Verdict.VIOLATED and "pump" not in res.extra


def test_alignment_finds_the_segments_inserted_per_size():
    t2 = [0, 1, 4, 6, 7, 2, 9, 20]
    t3 = [0, 1, 3, 4, 6, 7, 2, 9, 12, 20]
    t4 = [0, 1, 3, 3, 4, 6, 7, 2, 9, 12, 12, 20]
    steps = pump.insertions([t2, t3, t4])
    assert steps is not None and [seg for _, seg in steps[0]] == [(3,), (12,)]
    assert pump.extend(t4, steps, 4, 6) == [0, 1, 3, 3, 3, 3, 4, 6, 7, 2, 9, 12, 12, 12, 12, 20]
    assert pump.insertions([t2, t3, [0, 1, 3, 4, 6, 2, 9, 12, 20]]) is None  # a step removed: no pattern
    assert pump.insertions([t2, t3, [0, 1, 3, 5, 4, 6, 7, 2, 9, 12, 20]]) is None  # another segment


def test_initial_state_extrapolation_patterns():
    assert pump._extrapolate([[1, 1], [1, 1, 0], [1, 1, 0, 0]], [2, 3, 4], 6) == [1, 1, 0, 0, 0, 0]
    assert pump._extrapolate([[2], [3], [4]], [2, 3, 4], 512) == [512]  # a size-valued scalar
    assert pump._extrapolate([[True], [True], [True]], [2, 3, 4], 9) == [True]
    assert pump._extrapolate([[0, 1], [0, 1, 2], [0, 1, 2, 3]], [2, 3, 4], 6) is None  # page-valued: no pattern


def test_the_search_for_a_shorter_one_is_bounded_by_its_own_option(tmp_path):
    # No time for bmc after pumping: the pumped trace is the verdict, and nothing is claimed about its length.
    res = bmc(toy("early_publish", pages=10), tmp_path, depth=40, shorter_search=0)
    assert res.verdict == Verdict.VIOLATED and len(res.trace) == 12
    assert res.extra["pumped"]["shortest"] is False and "; not claimed shortest;" in res.message
