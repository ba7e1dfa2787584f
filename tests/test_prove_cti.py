"""Counterexample-guided clauses of the prove engine (``symbolic/forall/cti.py``), on tests/toys/page_claim.py.

The toy's property needs ``collector@work ∧ ¬aborted ∧ collected[p] → owner[p] = COLLECTOR``, a clause with
three premises that no mined template has: without the loop the target is not proved, with it it is, and the
invariant (clauses of more than two premises included) passes the independent re-check. The buggy variant
(no re-check of ``aborted``) is never proved, at 512 or N; a proof agrees with enumeration at 2..5 pages;
two runs print the same invariant.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest
import z3

from collapsecheck.engine_config import CheckConfig
from collapsecheck.orchestration import engines, loader
from collapsecheck.result import Verdict
from collapsecheck.symbolic.forall.recheck import recheck

TOY = Path(__file__).parent / "toys" / "page_claim.py"
TARGET = "writes_only_locked"


def prove(params: dict[str, object], rounds: int | None = None):
    model = loader.build(TOY, params)
    opts: dict[str, object] = {"certificates": "/nonexistent-dir"}
    if rounds is not None:
        opts["cti_rounds"] = rounds
    return model, engines.get("prove")(model, CheckConfig(timeout=120, options=opts))


def test_three_premise_clause_is_needed_and_found() -> None:
    _, before = prove({"pages": "N"}, rounds=0)
    assert before.extra["targets"][TARGET] != "proved"
    assert "cti" not in before.extra
    model, res = prove({"pages": "N"})
    assert res.verdict == Verdict.HOLDS, res.message
    assert res.extra["targets"][TARGET] == "proved"
    assert "counterexamples to induction" in res.extra["cti"]
    data = res.extra["forall_invariant_data"]
    wide = [c for c in data["clauses"] if len(c["if"]) >= 3]
    assert wide, res.extra["forall_invariant"]
    assert any(line.count(" ∧ ") >= 2 and "→" in line for line in res.extra["forall_invariant"])
    n, deadline = z3.Int("pages"), time.monotonic() + 60
    good = recheck(model, "pages", n, 1, data["clauses"], data["properties"], [TARGET], deadline, "good")
    assert good.inductive and TARGET in good.excluded
    narrow = [c for c in data["clauses"] if len(c["if"]) < 3]
    assert not recheck(model, "pages", n, 1, narrow, data["properties"], [TARGET], deadline, "narrow").inductive


@pytest.mark.parametrize("pages", ["N", 512])
def test_mutant_is_never_proved(pages: object) -> None:
    _, res = prove({"pages": pages, "bug": "no_recheck"})
    assert res.verdict == Verdict.INCONCLUSIVE
    assert res.extra["targets"][TARGET].startswith("not proved")
    assert "counterexample" in res.extra["targets"][TARGET]


@pytest.mark.parametrize("bug", ["none", "no_recheck"])
def test_proof_agrees_with_enumeration(bug: str) -> None:
    _, res = prove({"pages": "N", "bug": bug})
    proved = [t for t, v in res.extra["targets"].items() if v == "proved"]
    for n in range(2, 6):
        ex = engines.get("explicit")(loader.build(TOY, {"pages": n, "bug": bug}), CheckConfig())
        for t in proved:
            assert t not in ex.violations and ex.property != t, (t, n)


def test_same_invariant_on_every_run() -> None:
    """Same command, same invariant (a CTI is a Z3 model: within one process Z3's term numbering differs
    from run to run, so the promise is per run of the command)."""
    cmd = [sys.executable, "-m", "collapsecheck", "verify", str(TOY), "-p", "pages=N", "--engine", "prove",
           "--timeout", "120", "--format", "json"]
    outs = [subprocess.run(cmd, capture_output=True, text=True, check=False) for _ in range(2)]
    data = [json.loads(o.stdout)["results"][0] for o in outs]
    assert all(o.returncode == 0 for o in outs), [o.stderr for o in outs]
    assert data[0]["forall_invariant"] == data[1]["forall_invariant"]
    assert data[0]["forall_invariant_data"] == data[1]["forall_invariant_data"]


def test_cube_excludes_every_sample_row_and_is_irredundant() -> None:
    from types import SimpleNamespace

    from collapsecheck.symbolic.forall.cti import Samples
    from collapsecheck.symbolic.lemmas import Column

    cols = [Column("a", 0), Column("b", 1), Column("c", 2), Column("a ? b", -1, (0, 1))]
    rows = {(a, b, c) for a in range(3) for b in range(3) for c in range(2) if not (a == 2 and c == 1)}
    s = Samples(SimpleNamespace(cols=cols), rows)  # type: ignore[arg-type]
    vec = [c.value((2, 0, 1)) for c in cols]
    every = list(range(len(cols)))
    assert s.novel(vec, every) and not s.novel([c.value((1, 0, 1)) for c in cols], every)
    cube = s.cube(vec, [[2], every])  # c preferred: it is part of the answer, a = 2 completes it
    assert cube == [0, 2]
    for r in rows:
        assert any(cols[j].value(r) != vec[j] for j in cube)
    assert s.cube(vec, [[1, 3]]) is None  # b and the order of a, b cannot exclude it
    alts = s.cubes(vec, [[2], every])
    assert alts[0] == cube and len(alts) == len({tuple(a) for a in alts}) > 1
    for alt in alts:  # every alternative still excludes every sample row, within the literal cap
        assert len(alt) <= 6 and all(any(cols[j].value(r) != vec[j] for j in alt) for r in rows)
    assert s.cubes(vec, [[1, 3]]) == []
