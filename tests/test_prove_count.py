"""Count terms in the prove engine (``symbolic/forall/count.py``, ``count_axioms.py``): a re-count.

- the toy ``tests/toys/page_count.py`` needs ``#{p : slot[p] ≠ RETRY ∧ ¬taken[p]} = holes − again``: proved at
  N and at 512 with count equalities, not proved without them (option ``counts = off``); both with the
  counterexample loop off (``cti_rounds = 0``), whose Z3-model counterexamples could vary between runs in
  one process;
- its buggy variant (the re-count comparison removed) is never proved;
- a weakened count equality is rejected by the independent re-check; one naming a cell the model lacks is a
  model error; certificates with count equalities round-trip;
- mined count equalities hold on every sampled state; the axioms alone refute no reachable state of a
  small instance (each axiom is a consequence of the count's definition).
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
from collapsecheck.symbolic.forall import count
from collapsecheck.symbolic.forall.columns import Columns
from collapsecheck.symbolic.forall.count_axioms import CountAxioms
from collapsecheck.symbolic.forall.ground import ArraySystem, Ground
from collapsecheck.symbolic.forall.recheck import recheck
from tests.conftest import prove_fresh

TOY = Path(__file__).parent / "toys" / "page_count.py"
TARGET = "publish_covers_owned"


def prove(params: dict[str, object], **opts: object):
    return prove_fresh(TOY, params, **opts)


@pytest.fixture(scope="module")
def proved():
    return prove({"pages": "N"}, cti_rounds=0)


def _count_index(data: list[dict]) -> int:
    return next(i for i, c in enumerate(data) if "count" in c and c["scalars"])


def test_recount_target_needs_counts(proved) -> None:
    _, res = proved
    assert res.verdict == Verdict.HOLDS, res.message
    assert res.extra["targets"][TARGET] == "proved"
    assert any("#{p : " in line for line in res.extra["forall_invariant"]), res.extra["forall_invariant"]
    assert any("count" in c for c in res.extra["forall_invariant_data"]["clauses"])
    _, off = prove({"pages": "N"}, counts="off", cti_rounds=0)
    assert off.extra["targets"][TARGET] != "proved"
    assert off.verdict != Verdict.HOLDS


def test_recount_proved_at_512() -> None:
    _, res = prove({"pages": 512}, cti_rounds=0)
    assert res.verdict == Verdict.HOLDS, res.message


@pytest.mark.parametrize("pages", ["N", 512])
def test_buggy_variant_never_proved(pages: object) -> None:
    _, res = prove({"pages": pages, "bug": "no_recheck"})
    assert res.verdict != Verdict.HOLDS
    assert res.extra["targets"][TARGET] != "proved"


@pytest.mark.parametrize("how", ["constant", "scalar", "scale", "guard"])
def test_weakened_count_equality_rejected_by_recheck(proved, how: str) -> None:
    model, res = proved
    data = res.extra["forall_invariant_data"]
    good = recheck(model, "pages", z3.Int("pages"), 1, data["clauses"], data["properties"], [TARGET],
                   time.monotonic() + 120, "good")
    assert good.inductive and TARGET in good.excluded, good.problems
    bad = copy.deepcopy(data["clauses"])
    eq = bad[_count_index(bad)]
    if how == "constant":
        eq["const"] += 1
    elif how == "scalar":
        eq["scalars"][0][1] *= 2
    elif how == "scale":
        eq["scale"] *= 2
    else:  # the same equation claimed at every step
        eq.pop("if", None)
    out = recheck(model, "pages", z3.IntVal(512), 1, bad, data["properties"], [TARGET], time.monotonic() + 120,
                  "bad")
    assert not out.inductive or TARGET not in out.excluded, how


def test_count_naming_a_missing_cell_is_a_model_error(proved) -> None:
    model, res = proved
    bad = copy.deepcopy(res.extra["forall_invariant_data"]["clauses"])
    bad[_count_index(bad)]["count"][0][0] = "no_such[p0]"
    with pytest.raises(ModelError, match="no column"):
        recheck(model, "pages", z3.Int("pages"), 1, bad, [], [], time.monotonic() + 120, "bad")
    bad[_count_index(bad)]["count"][0][0] = "collector.holes"  # a scalar is not a page cell
    with pytest.raises(ModelError, match="malformed"):
        recheck(model, "pages", z3.Int("pages"), 1, bad, [], [], time.monotonic() + 120, "bad")


def _sampled(k_max: int = 3):
    model = loader.build(TOY, {"pages": "N"})
    system = ArraySystem(model, "pages", z3.Int("pages"), 1)
    cols = Columns(system)
    states: set[tuple] = set()
    for k in range(2, k_max + 1):
        mk = loader.build(TOY, {"pages": k})
        count.samples(cols, mk, samples.explore(mk, 10_000).states, k, states)
    return cols, states


def test_mined_count_equalities_hold_on_every_state() -> None:
    cols, states = _sampled()
    eqs = count.mine(cols, states)
    assert eqs
    cells, ints, _, pcs = count._layout(cols)
    for n, scal, sigs in states:
        sv = dict(zip(pcs + ints, scal))
        for i, (name, _, _) in enumerate(cols.base):
            if name == "N":
                sv[i] = n
        pages = [dict(zip(cells, sig)) for sig in sigs]
        assert all(e.holds(pages, sv) for e in eqs)
    assert [count.from_json(cols, e.to_json(cols)) for e in eqs] == eqs


def test_axioms_admit_every_reachable_state_and_step() -> None:
    """Soundness: each sampled state at 3 pages, with its true counts, satisfies the range, linking and
    initial axioms, and the store / whole-array axioms of each action it takes."""
    from collapsecheck.model import semantics
    from collapsecheck.symbolic.encode import value_term

    model = loader.build(TOY, {"pages": 3})
    system = ArraySystem(model, "pages", z3.IntVal(3), 1)
    cols = Columns(system)
    cells, _, _, _ = count._layout(cols)
    preds = [count.Pred.of(cols, atoms) for atoms in (
        ((cells[0], (2,)),), ((cells[0], (0, 1, 3)), (cells[1], (0,))), ((cells[1], (1,)),))]
    ax = CountAxioms(cols, preds)
    slots = {s.name: i for i, s in enumerate(model.layout.slots)}
    x = system.frame("x")

    def pin(state: tuple, f) -> list[z3.BoolRef]:
        out = []
        for key, name, sort, _ in system.scalars:
            out.append(f.vals[key] == value_term(sort, state[slots[name]]))  # type: ignore[arg-type]
        for d in system.arrays:
            for p in range(3):
                out.append(z3.Select(f.vals[("a", id(d))], p) == value_term(d.sort.elem, state[slots[f"{d.qualname}[{p}]"]]))
        return out

    reach = samples.explore(model, 10_000).states
    inits = set(semantics.initial_states(model))
    checked = 0
    for s in reach[:300]:
        for aid, t in semantics.successors(model, s):
            g = Ground("t", system.sizes)
            system.index_terms(x, g)
            _, nxt, _ = system.action(aid, x, g)
            y = system.successor(x, nxt)
            for p in range(3):
                g.add_term(z3.IntVal(p))
            ax.frame(x, g)
            ax.step(aid, x, nxt, g)
            if s in inits:
                ax.init(x, g)
            solver = z3.Solver()
            solver.add(*pin(s, x), *pin(t, y), *g.finalize())
            # the true counts of both states
            for pr in preds:
                for st, f in ((s, x), (t, y)):
                    k = sum(1 for p in range(3) if pr.holds({i: int(st[slots[cols.base[i][2][1].qualname + f"[{p}]"]])
                                                             for i, _ in pr.atoms}))
                    arrays = [f.vals[("a", id(cols.base[i][2][1]))] for i, _ in pr.atoms]
                    solver.add(count.count_term(pr, arrays) == k)
            assert solver.check() == z3.sat, (s, aid)
            checked += 1
    assert checked > 100


def test_certificate_with_counts_round_trips(tmp_path: Path) -> None:
    model = loader.build(TOY, {"pages": "N"})
    opts = {"certificates": str(tmp_path), "write_certificate": "yes"}
    res = engines.get("prove")(model, CheckConfig(timeout=120, options=opts, build=loader.build))
    assert res.verdict == Verdict.HOLDS and res.extra.get("certificate_written")
    again = engines.get("prove")(model, CheckConfig(timeout=120, options={"certificates": str(tmp_path)},
                                                    build=loader.build))
    assert again.verdict == Verdict.HOLDS
    assert "re-checked" in again.extra["invariant_source"]


def test_prove_skip_on_the_command_line_leaves_the_pass_out() -> None:
    """``verify --prove-skip counts`` is the CLI form of ``counts = off``: the toy's re-count target stays open
    (exit 13, inconclusive); with every pass the toy holds (exit 0). No certificate exists for the toy."""
    from click.testing import CliRunner

    from collapsecheck.cli import main

    args = ["verify", str(TOY), "-p", "pages=N", "--engine", "prove", "--no-progress"]
    skipped = CliRunner().invoke(main, [*args, "--prove-skip", "counts"])
    assert skipped.exit_code == 13, skipped.output
    assert f"target {TARGET}: not proved" in skipped.output
    assert CliRunner().invoke(main, args).exit_code == 0
