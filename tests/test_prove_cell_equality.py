"""Cell-equality columns (``h_data[p] = file_data[p]``) and cell-pair clauses that conclude an order.

- the toy ``tests/toys/page_copy.py`` needs ``copier.i > p → data[p] = copy[p]``: proved at N and 512 with
  the equality in the printed invariant; its buggy variant (one page short) is never proved;
- equality columns pair page cells of one enumerated sort only (not Booleans, not two sorts);
- every mined clause with an equality or an order as conclusion holds on every sample row;
- the cell-pair template concludes the order of ``p`` against a thread's pointer (``page_lookup``: the
  faulter holds no page lock but the one at its address);
- a weakened equality clause (``≠`` for ``=``) is rejected by the independent re-check.
"""

from __future__ import annotations

import copy
import time

import pytest
import z3

from collapsecheck.result import Verdict
from collapsecheck.symbolic.forall.recheck import recheck
from tests.conftest import TOYS, columns_and_rows, prove_fresh

TOY = TOYS / "page_copy.py"
TARGET = "copy_matches_source"


@pytest.fixture(scope="module")
def proved():
    return prove_fresh(TOY, {"pages": "N"}, timeout=120, counts="off", cti_rounds=0)


def test_copy_loop_proved_with_the_cell_equality(proved) -> None:
    _, res = proved
    assert res.verdict == Verdict.HOLDS, res.message
    assert any("data[p] = copy[p]" in line for line in res.extra["forall_invariant"]), res.extra["forall_invariant"]


def test_copy_loop_proved_at_512() -> None:
    _, res = prove_fresh(TOY, {"pages": 512}, timeout=120, counts="off", cti_rounds=0)
    assert res.verdict == Verdict.HOLDS, res.message


@pytest.mark.parametrize("pages", ["N", 512])
def test_buggy_copy_never_proved(pages: object) -> None:
    _, res = prove_fresh(TOY, {"pages": pages, "bug": "skip_last"}, timeout=120, counts="off", cti_rounds=0)
    assert res.extra["targets"][TARGET] != "proved"
    assert res.verdict != Verdict.HOLDS


def test_equality_columns_pair_cells_of_one_enumerated_sort_only() -> None:
    cols, _ = columns_and_rows(TOY)
    assert [c.name for c in cols.cols if c.eq] == ["data[p0] == copy[p0]"]
    lookup, _ = columns_and_rows(TOYS / "page_lookup.py")  # slot (an enum) and owner (an integer range)
    assert not [c for c in lookup.cols if c.eq]


@pytest.mark.parametrize("toy", ["page_copy.py", "page_lookup.py"])
def test_equality_and_order_conclusions_hold_on_every_sample_row(toy: str) -> None:
    cols, rows = columns_and_rows(TOYS / toy)
    clauses = cols.mine(rows) + cols.mine(rows, scalar_orders=True, ownership=True)
    special = [c for c in clauses if c.col.pair is not None]
    assert special
    for c in special:
        for r in rows:
            if all(col.value(r) == v for col, v in c.premises):
                assert c.col.value(r) in c.values, (c, r)


def test_cell_pair_clause_concludes_the_order_of_the_page() -> None:
    cols, rows = columns_and_rows(TOYS / "page_lookup.py")
    clauses = cols.mine(rows, scalar_orders=True, ownership=True)
    # "a page the faulter holds is the page at its address": two cells (or a pc and a cell) → an order
    hit = [c for c in clauses if c.col.name == "faulter.addr ? p0" and c.values == (0,) and len(c.premises) == 2
           and any(col.name == "owner[p0]" and v == 2 for col, v in c.premises)]
    assert hit, [c for c in clauses if c.col.name == "faulter.addr ? p0"]


def test_weakened_equality_clause_rejected_by_recheck(proved) -> None:
    model, res = proved
    data = res.extra["forall_invariant_data"]
    bad = copy.deepcopy(data["clauses"])
    eq = next(c for c in bad if "then" in c and " == " in c["then"][0])
    eq["then"][1] = [0]  # "the copied pages differ from their sources"
    out = recheck(model, "pages", z3.IntVal(512), 1, bad, data["properties"], [TARGET], time.monotonic() + 120,
                  "bad")
    assert not out.inductive or TARGET not in out.excluded
