"""Linear equalities in the prove engine (``symbolic/forall/linear.py``): refcounts as sums over holders.

- the toy ``tests/toys/page_refs.py`` needs
  ``ref[p] = [cached[p]] + [pinned[p]] + [reader@put ∧ reader.addr = p] + [reader2@put ∧ reader2.addr = p]``:
  with the mined clauses alone (counterexample loop off, ``cti_rounds = 0``) it is proved with linear mining
  and not without it (option ``linear = off``). The loop is left out because it may find a clause-only
  invariant for this small toy in some runs (its counterexamples are Z3 models), which would hide the pass;
- an equality with a wrong coefficient or constant is rejected by the independent re-check;
- the buggy variant (the evictor's sole-reference check weakened) is never proved, at 512 or N;
- mined equalities hold on every sample row; a certificate with equalities re-checks from its JSON.
"""

from __future__ import annotations

import copy
import time
from pathlib import Path

import pytest
import z3

from collapsecheck.engine_config import CheckConfig
from collapsecheck.errors import ModelError
from collapsecheck.orchestration import engines, loader
from collapsecheck.result import Verdict
from collapsecheck.symbolic import samples
from collapsecheck.symbolic.forall import linear
from collapsecheck.symbolic.forall.columns import Columns
from collapsecheck.symbolic.forall.ground import ArraySystem
from collapsecheck.symbolic.forall.recheck import recheck
from tests.conftest import prove_fresh

TOY = Path(__file__).parent / "toys" / "page_refs.py"
TARGET = "pinned_pages_stay_cached"


def prove(params: dict[str, object], **opts: object):
    return prove_fresh(TOY, params, **opts)


@pytest.fixture(scope="module")
def proved():
    return prove({"pages": "N"}, cti_rounds=0)


def test_refcount_target_needs_the_equality(proved) -> None:
    _, res = proved
    assert res.verdict == Verdict.HOLDS, res.message
    assert res.extra["targets"][TARGET] == "proved"
    lines = [line for line in res.extra["forall_invariant"] if line.startswith("∀ p. ref[p] =")]
    assert lines, res.extra["forall_invariant"]
    assert any(c.get("lin") for c in res.extra["forall_invariant_data"]["clauses"])
    _, off = prove({"pages": "N"}, linear="off", cti_rounds=0)
    assert off.extra["targets"][TARGET] != "proved"
    assert off.verdict != Verdict.HOLDS


def _equality_index(data: list[dict]) -> int:
    return next(i for i, c in enumerate(data) if c.get("lin"))


@pytest.mark.parametrize("how", ["coefficient", "constant", "scale"])
def test_weakened_equality_rejected_by_recheck(proved, how: str) -> None:
    model, res = proved
    data = res.extra["forall_invariant_data"]
    good = recheck(model, "pages", z3.Int("pages"), 2, data["clauses"], data["properties"], [TARGET],
                   time.monotonic() + 120, "good")
    assert good.inductive and TARGET in good.excluded, good.problems
    bad = copy.deepcopy(data["clauses"])
    eq = bad[_equality_index(bad)]
    if how == "coefficient":
        eq["terms"][0][0] = 2 * eq["terms"][0][0]
    elif how == "constant":
        eq["const"] = eq["const"] + 1
    else:
        eq["lin"][1] = 2 * eq["lin"][1]
    out = recheck(model, "pages", z3.IntVal(512), 2, bad, data["properties"], [TARGET], time.monotonic() + 120, "bad")
    assert not out.inductive, how


def test_certificate_equality_naming_a_missing_column_is_a_model_error(proved) -> None:
    model, res = proved
    bad = copy.deepcopy(res.extra["forall_invariant_data"]["clauses"])
    bad[_equality_index(bad)]["lin"][0] = "no_such[p0]"
    with pytest.raises(ModelError, match="no column"):
        recheck(model, "pages", z3.Int("pages"), 2, bad, [], [], time.monotonic() + 120, "bad")


@pytest.mark.parametrize("pages", ["N", 512])
def test_buggy_variant_never_proved(pages: object) -> None:
    _, res = prove({"pages": pages, "bug": "evict_pinned"})
    assert res.verdict != Verdict.HOLDS
    assert res.extra["targets"][TARGET] != "proved"


def test_mined_equalities_hold_on_every_row() -> None:
    model = loader.build(TOY, {"pages": 2})
    system = ArraySystem(model, "pages", z3.Int("pages"), 2)
    cols = Columns(system)
    rows: set[tuple] = set()
    for k in (2, 3):
        mk = loader.build(TOY, {"pages": k})
        rows |= cols.rows(mk, samples.explore(mk, 10_000).states, k)
    eqs = linear.mine(cols, rows)
    assert eqs
    assert all(e.holds(r) for e in eqs for r in rows)
    back = [linear.from_json(cols, e.to_json()) for e in eqs]
    assert back == eqs


def test_certificate_with_equalities_round_trips(tmp_path: Path) -> None:
    model = loader.build(TOY, {"pages": "N"})
    opts = {"certificates": str(tmp_path), "write_certificate": "yes"}
    res = engines.get("prove")(model, CheckConfig(timeout=120, options=opts, build=loader.build))
    assert res.verdict == Verdict.HOLDS and res.extra.get("certificate_written")
    again = engines.get("prove")(model, CheckConfig(timeout=120, options={"certificates": str(tmp_path)},
                                                    build=loader.build))
    assert again.verdict == Verdict.HOLDS
    assert "re-checked" in again.extra["invariant_source"]
