"""The wider templates (``Columns.mine(scalar_orders=True, ownership=True)``): ownership, cell pairs.

- the toy ``tests/toys/page_lookup.py`` needs ``faulter@map ∧ found = SMALL ∧ addr = p → owner[p] = FAULTER``
  or ``faulter@map ∧ owner[p] = NOBODY ∧ addr = p → slot[p] = HUGE`` (three premises: the thread's pc and
  page pointer, and one of its locals or a cell of the page): proved at N and 512 (the first pass proposes
  these templates too), and the one- and two-premise templates alone do not propose it;
- its buggy variant (no re-check after the lock) is never proved;
- every mined clause holds on every sample row; a three-premise clause speaks of one thread's own columns
  (and may add a cell of the page);
- a weakened ownership clause is rejected by the independent re-check;
- the toy ``tests/toys/page_isolate.py`` needs ``collector@isolate ∧ mapped[p] = PAGE ∧ collector.i > p →
  isolated[p]`` (a loop's prefix told apart by a cell): found, proved at N and 512, its buggy variant never,
  a weakened copy rejected by the re-check.
"""

from __future__ import annotations

import copy
import time

import pytest
import z3

from collapsecheck.result import Verdict
from collapsecheck.symbolic.forall.recheck import recheck
from tests.conftest import TOYS, columns_and_rows, prove_fresh

TOY = TOYS / "page_lookup.py"
TARGET = "fault_maps_what_it_found"


def prove(params: dict[str, object], **opts: object):
    return prove_fresh(TOY, params, timeout=300, **{"counts": "off", **opts})


@pytest.fixture(scope="module")
def proved():
    return prove({"pages": "N"}, cti_rounds=0)


def test_ownership_clause_needed_and_found(proved) -> None:
    _, res = proved
    assert res.verdict == Verdict.HOLDS, res.message
    # the faulter at its map step, given what it found or whose lock the page is, about the page it names
    line = next((x for x in res.extra["forall_invariant"] if x.startswith("∀ p. faulter@map ∧")
                 and "∧ faulter.addr = p →" in x and x.count(" ∧ ") >= 2), None)
    assert line is not None, res.extra["forall_invariant"]
    # needed: the one- and two-premise templates alone do not propose it
    cols, rows = columns_and_rows(TOY)
    assert not [c for c in cols.mine(rows) if len(c.premises) == 3]


def test_ownership_proof_at_512() -> None:
    _, res = prove({"pages": 512}, cti_rounds=0)
    assert res.verdict == Verdict.HOLDS, res.message


@pytest.mark.parametrize("pages", ["N", 512])
def test_buggy_variant_never_proved(pages: object) -> None:
    _, res = prove({"pages": pages, "bug": "no_recheck"}, cti_rounds=0)
    assert res.extra["targets"][TARGET] != "proved"
    assert res.verdict != Verdict.HOLDS


def test_mined_clauses_hold_on_every_sample_row() -> None:
    cols, rows = columns_and_rows(TOY)
    clauses = cols.mine(rows, scalar_orders=True, ownership=True)
    three = [c for c in clauses if len(c.premises) == 3]
    assert three and any(c.premises[0][0].name == "collector.pc" and c.premises[1][0].name.endswith("[p0]")
                         for c in clauses if len(c.premises) == 2)  # a program counter and a cell
    for c in clauses:
        for r in rows:
            if all(col.value(r) == v for col, v in c.premises):
                assert c.col.value(r) in c.values, (c, r)
    for c in three:  # the thread's pc, one of its locals or a cell of p0, the order of its page-valued local
        (pc, _), (mid, _), (order, _) = c.premises
        assert pc.name.endswith(".pc") and cols.owner(pc) == cols.owner(order) is not None, c
        assert cols.owner(mid) == cols.owner(pc) or mid.name.endswith("[p0]"), c


def test_weakened_ownership_clause_rejected_by_recheck(proved) -> None:
    model, res = proved
    data = res.extra["forall_invariant_data"]
    bad = copy.deepcopy(data["clauses"])
    owned = next(c for c in bad if "if" in c and len(c["if"]) == 3)
    owned["then"][1] = [1]  # "the collector holds the lock of the page the faulter found"
    out = recheck(model, "pages", z3.IntVal(512), 1, bad, data["properties"], [TARGET], time.monotonic() + 120,
                  "bad")
    assert not out.inductive or TARGET not in out.excluded


# ------------------------------------------------------------------- loop prefix: pc, order and a cell
ISOLATE = TOYS / "page_isolate.py"
ISOLATE_TARGET = "walker_never_holds_a_page_being_copied"


@pytest.fixture(scope="module")
def isolate_proved():
    return prove_fresh(ISOLATE, {"pages": "N"}, timeout=300, counts="off", cti_rounds=0)


def _loop_prefix(data: dict) -> list[dict]:
    """Clauses whose premises are a program counter, a cell of p and the order of p against a scalar."""
    return [c for c in data["clauses"] if "if" in c and len(c["if"]) == 3 and c["if"][0][0].endswith(".pc")
            and c["if"][1][0].endswith("[p0]") and " ? " in c["if"][2][0]]


def test_loop_prefix_clause_needed_and_found(isolate_proved) -> None:
    """``collector@isolate ∧ mapped[p] = PAGE ∧ collector.i > p → isolated[p]``: every mapped page the loop
    has passed is isolated; without it the walker's trylock at a passed page is a counterexample."""
    _, res = isolate_proved
    assert res.verdict == Verdict.HOLDS, res.message
    assert _loop_prefix(res.extra["forall_invariant_data"]), res.extra["forall_invariant"]
    assert any("collector@isolate ∧ mapped[p] = PAGE ∧ collector.i > p → isolated[p]" in x
               for x in res.extra["forall_invariant"]), res.extra["forall_invariant"]


@pytest.mark.parametrize("pages", [512, "N"])
def test_loop_prefix_buggy_variant_never_proved(pages: object) -> None:
    _, res = prove_fresh(ISOLATE, {"pages": pages, "bug": "no_isolated_check"}, timeout=300, counts="off",
                         cti_rounds=0)
    assert res.extra["targets"][ISOLATE_TARGET] != "proved"
    assert res.verdict != Verdict.HOLDS


def test_loop_prefix_proof_at_512() -> None:
    _, res = prove_fresh(ISOLATE, {"pages": 512}, timeout=300, counts="off", cti_rounds=0)
    assert res.verdict == Verdict.HOLDS, res.message


def test_weakened_loop_prefix_clause_rejected_by_recheck(isolate_proved) -> None:
    model, res = isolate_proved
    data = res.extra["forall_invariant_data"]
    bad = copy.deepcopy(data["clauses"])
    clause = _loop_prefix({"clauses": bad})[0]
    clause["if"][2][1] = -clause["if"][2][1]  # the pages the loop has not reached yet: not isolated
    out = recheck(model, "pages", z3.IntVal(512), 1, bad, data["properties"], [ISOLATE_TARGET],
                  time.monotonic() + 120, "bad")
    assert not out.inductive or ISOLATE_TARGET not in out.excluded
