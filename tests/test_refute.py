"""Refutation at the kernel's size: bmc at pages=512 under the page-count reduction, and counterexample
certificates.

- the uffd and lock-sequence pre-fix models are refuted at 512 with a trace the reference semantics replays
  at 512 (checked here again, step by step, independently of the engine's own replay);
- the search is deterministic: two runs give the same trace;
- a certificate is replayed instead of searching; a stale (other fingerprint), forged (does not replay) or
  unreadable one is rejected and the counterexample re-derived and stored again;
- a settled search says what it did not search instead of "not reached".
"""

from __future__ import annotations

import json
import shutil

import pytest

from collapsecheck.engine_config import CheckConfig
from collapsecheck.expr.evaluate import evaluate
from collapsecheck.model import semantics
from collapsecheck.result import Verdict
from collapsecheck.symbolic import certificate_trace
from collapsecheck.symbolic.engines import run_bmc
from tests.conftest import build_model

# (model, params, property bmc finds first at 512, its length): the shortest violation over all properties.
REFUTED_512 = [
    ("collapse_file_vs_uffd_register", {"variant": "pre_fix", "pages": 512}, "no_transient_state_visible", 3),
    ("collapse_file_lock_sequence", {"variant": "pre_fix", "pages": 512}, "no_intermediate_state", 4),
]


def _id(case: tuple) -> str:
    return f"{case[0]}-{case[1]['variant']}"


def fresh(model, tmp_path, **opts):
    """bmc without any stored certificate (a private, empty certificate folder)."""
    options = {"certificate_dir": str(tmp_path / "certs"), **opts}
    return run_bmc(model, CheckConfig(timeout=120, depth=12, options=options))


def assert_replays(model, trace, prop):
    """The trace is a path of the reference semantics at the model's size, ending in a violation."""
    states = trace.states
    s0 = states[0]
    for k, slot in enumerate(model.layout.slots):
        assert s0[k] in ((0,) if slot.decl is None else slot.decl.init[slot.elem])
    assert all(evaluate(c, semantics.StateView(model, s0)) for c in model.init_constraints)
    for k, step in enumerate(trace.steps):
        assert semantics.apply_action(model, states[k], step.action) == states[k + 1], f"step {k + 1}"
    assert evaluate(model.property(prop).expr, semantics.StateView(model, states[-1])) is False


@pytest.fixture(scope="module")
def found(tmp_path_factory):
    """One fresh bmc run per model (shared: each costs seconds)."""
    out = {}
    for name, params, _, _ in REFUTED_512:
        model = build_model(name, **params)
        out[name] = (model, fresh(model, tmp_path_factory.mktemp(name)))
    return out


@pytest.mark.parametrize("case", REFUTED_512, ids=_id)
def test_pre_fix_is_refuted_at_512_with_a_replayed_trace(case, found):
    name, _, prop, length = case
    model, res = found[name]
    assert res.verdict == Verdict.VIOLATED, res.message
    assert res.property == prop and len(res.trace) == length
    assert res.bound.startswith(f"bounded (depth <= {length}), pages = 512")
    assert len(res.trace.states[0]) == len(model.layout.slots)  # a state of the 512-page model
    assert_replays(model, res.trace, prop)


@pytest.mark.parametrize("case", REFUTED_512, ids=_id)
def test_a_settled_search_says_what_it_did_not_search(case, found):
    name, _, prop, length = case
    model, res = found[name]
    assert f"bmc stopped at depth {length}" in res.message
    assert "not reached" not in res.message
    # witnesses not searched to the end are not listed as unreached
    assert all(v is not None for v in res.witnesses.values())
    searched = res.extra["not_searched_beyond_depth"]
    assert searched["depth"] == length
    assert set(searched["witnesses"]) | {w for w in res.witnesses} == {p.name for p in model.sometimes}


def test_refutation_at_512_is_deterministic(found, tmp_path):
    name, params, _, _ = REFUTED_512[0]
    model, first = found[name]
    again = fresh(build_model(name, **params), tmp_path)
    assert again.trace.states == first.trace.states
    assert [s.action for s in again.trace.steps] == [s.action for s in first.trace.steps]


def test_a_certificate_is_replayed_instead_of_searching(tmp_path):
    name, params, prop, length = REFUTED_512[0]
    model = build_model(name, **params)
    first = fresh(model, tmp_path)  # no certificate yet: searches and stores one
    path = certificate_trace.path_for(model, tmp_path / "certs")
    assert path is not None and path.exists() and path.name.endswith(".trace.json")
    assert "stored" in first.message
    text = path.read_text()
    second = fresh(build_model(name, **params), tmp_path)
    assert second.bound.startswith("counterexample certificate, replayed")
    assert second.property == prop and len(second.trace) == length
    assert second.trace.states == first.trace.states
    assert "bmc did not search" in second.message and "solver_queries" not in second.extra
    assert path.read_text() == text  # a current certificate is not rewritten
    # certificates=off searches even though the certificate is there
    off = fresh(build_model(name, **params), tmp_path, certificates="off")
    assert off.bound.startswith("bounded (depth <=") and off.trace.states == first.trace.states


def _forge_last_action(data):
    data["actions"] = data["actions"][:-1]  # the violation is not reached any more


def _forge_state(data):
    data["initial_state"][0] = 99  # not an initial value


def _stale(data):
    data["fingerprint"] = "0" * 64  # as if the model had changed since


def _garbage(data):
    data["actions"] = "three steps"


@pytest.mark.parametrize("spoil, why", [(_forge_last_action, "does not replay"), (_forge_state, "does not replay"),
                                        (_stale, "stale"), (_garbage, "unreadable")])
def test_a_spoilt_certificate_is_rejected_and_rederived(tmp_path, spoil, why, found):
    name, params, prop, length = REFUTED_512[0]
    model, first = found[name]
    path = certificate_trace.path_for(model, tmp_path / "certs")
    certificate_trace.write(path, model, first.property, first.trace, "bmc (test)")
    assert certificate_trace.load(path, model)[0] is not None
    good = path.read_text()
    data = json.loads(good)
    spoil(data)
    path.write_text(json.dumps(data))
    got, reason = certificate_trace.load(path, model)
    assert got is None and why in reason
    res = fresh(build_model(name, **params), tmp_path)
    assert res.verdict == Verdict.VIOLATED and res.property == prop and len(res.trace) == length
    assert res.bound.startswith("bounded (depth <=")  # searched afresh, not taken from the file
    assert f"not used: {reason}" in res.message
    stored = json.loads(path.read_text())  # re-derived: the same trace stored again
    assert stored["initial_state"] == json.loads(good)["initial_state"]
    assert stored["actions"] == json.loads(good)["actions"]


def test_a_certificate_of_another_model_instance_is_stale(tmp_path, found):
    name, params, _, _ = REFUTED_512[0]
    model, first = found[name]
    src = certificate_trace.path_for(model, tmp_path / "certs")
    certificate_trace.write(src, model, first.property, first.trace, "bmc (test)")
    other = build_model(name, variant="pre_fix", pages=511)
    dst = certificate_trace.path_for(other, tmp_path / "certs")
    shutil.copy(src, dst)
    got, reason = certificate_trace.load(dst, other)
    assert got is None and reason.startswith("stale")


def test_stored_certificates_of_the_manifest_replay():
    """Every .trace.json beside the manifest fits its model as built now and replays (the gate relies on it)."""
    from collapsecheck.orchestration import loader
    from tests.conftest import MODELS

    paths = sorted((MODELS / "certificates").glob("*.trace.json"))
    for path in paths:
        data = json.loads(path.read_text())
        model = loader.build(MODELS / f"{data['model']}.py", data["params"])
        got, reason = certificate_trace.load(path, model)
        assert got is not None, f"{path.name}: {reason}"
        assert_replays(model, got.trace, got.prop)


def test_interleavings_of_the_same_steps_get_one_normal_order():
    """Two solver runs may pick two interleavings of commuting steps; both are put into the same order."""
    from collapsecheck.orchestration import engines
    from collapsecheck.symbolic.system import Target
    from collapsecheck.symbolic.trace import normal_order, reaches

    model = build_model("collapse_file_xas_store_enomem", variant="pre_fix", pages=3)
    res = engines.get("explicit")(model, CheckConfig(timeout=60))
    trace = res.violations["store_errors_checked"]
    target = Target("always", "store_errors_checked", model.property("store_errors_checked"))
    s0, aids = trace.states[0], [s.action for s in trace.steps]
    variants = []
    for i in range(len(aids) - 1):  # every single swap of adjacent steps of two threads that still violates
        a, b = aids[i], aids[i + 1]
        if model.actions[a].thread == model.actions[b].thread:
            continue
        cand = aids[:i] + [b, a] + aids[i + 2:]
        try:
            states = semantics.replay(model, s0, cand)
        except Exception:
            continue
        if reaches(model, target, states[-1]):
            variants.append(cand)
    assert variants, "the trace has commuting steps"
    norm = normal_order(model, s0, aids, target)
    assert len(norm) == len(aids) and sorted(norm) == sorted(aids)
    assert all(normal_order(model, s0, v, target) == norm for v in variants)
