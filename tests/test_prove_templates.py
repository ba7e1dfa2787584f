"""The wider templates (``Columns.mine(scalar_orders=True, ownership=True)``): ownership, cell pairs.

- the toy ``tests/toys/page_lookup.py`` needs ``faulter@map ∧ found = SMALL ∧ addr = p → owner[p] = FAULTER``
  (three premises over one thread's own columns): proved at N and 512 (the first pass proposes these
  templates too), and the one- and two-premise templates alone do not propose it;
- its buggy variant (no re-check after the lock) is never proved;
- every mined clause holds on every sample row; a three-premise clause speaks of one thread's own columns;
- a weakened ownership clause is rejected by the independent re-check.
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
    line = next((x for x in res.extra["forall_invariant"] if "faulter.found = SMALL ∧ faulter.addr = p" in x), None)
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
    for c in three:  # the thread's pc, one of its locals, the order of its page-valued local against p0
        assert len({cols.owner(col) for col, _ in c.premises}) == 1, c


def test_weakened_ownership_clause_rejected_by_recheck(proved) -> None:
    model, res = proved
    data = res.extra["forall_invariant_data"]
    bad = copy.deepcopy(data["clauses"])
    owned = next(c for c in bad if "if" in c and len(c["if"]) == 3)
    owned["then"][1] = [1]  # "the collector holds the lock of the page the faulter found"
    out = recheck(model, "pages", z3.IntVal(512), 1, bad, data["properties"], [TARGET], time.monotonic() + 120,
                  "bad")
    assert not out.inductive or TARGET not in out.excluded
