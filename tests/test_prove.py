"""Soundness of the prove engine (--engine prove): ∀-invariant proofs at 512 pages and for every page count.

- whenever it proves a target for every N, explicit enumeration at N = 2..5 agrees (seeded draws from a
  family of small size-generic models, tests/toys/page_fill.py);
- buggy variants (the fix removed) are never proved, at 512 or N;
- weakened invariants are rejected by the independent re-check, a tampered certificate is not trusted;
- pages=N is refused by the explicit engine (usage error) and for models that are not size-generic.
"""

from __future__ import annotations

import json
import random
import time
from pathlib import Path

import pytest
import z3
from click.testing import CliRunner

from collapsecheck.orchestration import engines, loader
from collapsecheck.cli import main
from collapsecheck.engine_config import CheckConfig
from collapsecheck.errors import ModelError
from collapsecheck.result import Verdict
from collapsecheck.symbolic import reduction
from collapsecheck.symbolic.forall import certificate
from collapsecheck.symbolic.forall.engine import certificate_text
from collapsecheck.symbolic.forall.recheck import recheck

TOY = Path(__file__).parent / "toys" / "page_fill.py"
MODELS = Path(__file__).parent.parent / "models"


def prove(params: dict[str, object], tmp: Path | None = None, write: bool = False, timeout: float = 120):
    model = loader.build(TOY, params)
    opts: dict[str, object] = {"certificates": str(tmp)} if tmp else {"certificates": "/nonexistent-dir"}
    if write:
        opts["write_certificate"] = "yes"
    return model, engines.get("prove")(model, CheckConfig(timeout=timeout, options=opts))


def explicit(params: dict[str, object]):
    model = loader.build(TOY, params)
    return engines.get("explicit")(model, CheckConfig())


def draws(seed: int, k: int) -> list[dict[str, object]]:
    rnd = random.Random(seed)
    return [{"bug": rnd.choice(["none", "early_publish", "skip_first"]), "staged": rnd.random() < 0.5,
             "reader_locks": rnd.random() < 0.5} for _ in range(k)]


@pytest.mark.parametrize("params", draws(20261207, 3), ids=lambda p: ",".join(f"{k}={v}" for k, v in p.items()))
def test_every_n_proof_agrees_with_enumeration(params: dict[str, object]) -> None:
    _, res = prove({**params, "pages": "N"})
    proved = [t for t, v in res.extra["targets"].items() if v == "proved"]
    assert "range" in res.extra["targets"]
    for n in range(2, 6):
        ex = explicit({**params, "pages": n})
        if res.verdict == Verdict.HOLDS:
            assert ex.verdict == Verdict.HOLDS, (n, ex.verdict)
        for t in proved:
            assert t not in ex.violations and ex.property != t, (t, n)
            if t == "deadlock":
                assert ex.verdict != Verdict.DEADLOCK


@pytest.mark.parametrize("bug", ["early_publish", "skip_first"])
@pytest.mark.parametrize("pages", ["N", 512])
def test_buggy_variant_never_proved(bug: str, pages: object) -> None:
    _, res = prove({"bug": bug, "pages": pages})
    assert res.verdict != Verdict.HOLDS
    assert res.extra["targets"]["published_pages_full"] != "proved"
    assert res.verdict.exit_code == 13


def test_fixed_variant_proved_with_printed_invariant() -> None:
    _, res = prove({"pages": "N"})
    assert res.verdict == Verdict.HOLDS, res.message
    text = res.extra["forall_invariant"]
    assert any(line.startswith("∀ p.") for line in text)
    assert "property published_pages_full" in text
    assert any("pages = N (symbolic)" in line for line in res.extra["recheck"])
    assert any("pages = 512" in line for line in res.extra["recheck"])


def test_weakened_invariants_are_rejected() -> None:
    model, res = prove({"pages": "N"})
    data = res.extra["forall_invariant_data"]
    n, deadline = z3.Int("pages"), time.monotonic() + 60
    good = recheck(model, "pages", n, 1, data["clauses"], data["properties"], ["published_pages_full"], deadline,
                   "good")
    assert good.inductive and "published_pages_full" in good.excluded
    # the properties alone are not inductive: the loop's clause (pages below i are full) is needed
    bare = recheck(model, "pages", n, 1, [], data["properties"], ["published_pages_full"], deadline, "bare")
    assert not bare.inductive
    # widen every ∀-clause's conclusion to any value: no longer inductive
    wide = [{"if": c["if"], "then": [c["then"][0], [0, 1, 2]]} if c["then"][0] == "data[p0]" else c
            for c in data["clauses"]]
    assert not recheck(model, "pages", n, 1, wide, data["properties"], [], deadline, "wide").inductive
    # the fixed model's invariant does not carry over to the buggy one
    buggy = loader.build(TOY, {"bug": "early_publish", "pages": "N"})
    assert not recheck(buggy, "pages", n, 1, data["clauses"], data["properties"], ["published_pages_full"],
                       deadline, "buggy").inductive


def test_minimised_invariant_is_smaller_deterministic_and_locally_minimal(monkeypatch) -> None:
    """The deletion-based minimiser (forall/minimise.py) shrinks the unsat-core closure, and every clause it
    keeps is needed: without it the independent re-check fails (not inductive, or some proved target no
    longer excluded). Run again on the same solvers it shrinks again; it need not give the same set, since
    Z3's unsat cores depend on what the solvers saw before (the same command in a fresh process gives the
    same invariant: tests/test_prove_cti.py::test_same_invariant_on_every_run)."""
    from collapsecheck.symbolic.forall import engine as forall_engine
    from collapsecheck.symbolic.forall import minimise as mm

    seen: dict[str, list[int]] = {}

    def spy(h, start, consequences, deadline, progress=None):  # type: ignore[no-untyped-def]
        out = mm.minimise(h, start, consequences, deadline, progress)
        seen.update(start=list(start), out=out, again=mm.minimise(h, start, consequences, deadline))
        return out

    monkeypatch.setattr(forall_engine, "minimise", spy)
    model, res = prove({"pages": "N"})
    assert res.verdict == Verdict.HOLDS, res.message
    assert set(seen["out"]) < set(seen["start"]) and set(seen["again"]) < set(seen["start"])
    data = res.extra["forall_invariant_data"]
    proved = [t for t, v in res.extra["targets"].items() if v == "proved"]
    n, deadline = z3.Int("pages"), time.monotonic() + 120
    assert data["clauses"]
    for k in range(len(data["clauses"])):
        rest = data["clauses"][:k] + data["clauses"][k + 1:]
        r = recheck(model, "pages", n, 1, rest, data["properties"], proved, deadline, f"without clause {k}")
        assert not r.inductive or set(proved) - set(r.excluded), data["clauses"][k]


def test_certificate_is_rechecked_not_trusted(tmp_path: Path) -> None:
    _, first = prove({"pages": "N"}, tmp_path, write=True)
    assert first.verdict == Verdict.HOLDS and first.extra["invariant_source"] == "inferred"
    files = list(tmp_path.glob("*.json"))
    assert len(files) == 1
    _, again = prove({"pages": "N"}, tmp_path)
    assert again.extra["invariant_source"].startswith("certificate") and again.verdict == Verdict.HOLDS
    assert again.extra["forall_invariant"] == first.extra["forall_invariant"]
    data = json.loads(files[0].read_text())
    files[0].write_text(json.dumps({**data, "text": ["x → y"]}))  # the printed text comes from the clauses
    _, text = prove({"pages": "N"}, tmp_path)
    assert text.extra["forall_invariant"] == first.extra["forall_invariant"]
    data["clauses"] = []  # tampered: the properties alone are not inductive
    files[0].write_text(json.dumps(data))
    _, third = prove({"pages": "N"}, tmp_path)
    assert "rejected" in third.extra["certificate"]
    assert third.extra["invariant_source"] == "inferred" and third.verdict == Verdict.HOLDS
    model = loader.build(TOY, {"pages": "N", "staged": True})
    assert certificate.load(model, "pages", "N", tmp_path) is None  # another model: fingerprint differs


def test_write_certificate_minimises_a_stored_certificate(tmp_path: Path) -> None:
    """``--write-certificate`` with a certificate that re-checks: minimised again, re-checked, rewritten."""
    _, first = prove({"pages": "N"}, tmp_path, write=True)
    path = next(tmp_path.glob("*.json"))
    data = json.loads(path.read_text())
    n = len(data["clauses"])
    c0 = data["clauses"][0]  # ``P → x ∈ V`` implies ``P ∧ x = v → x ∈ V`` for v outside V: redundant
    redundant = {"if": [*c0["if"], [c0["then"][0], max(c0["then"][1]) + 1]], "then": c0["then"]}
    path.write_text(json.dumps({**data, "clauses": [redundant, *data["clauses"]]}))
    _, again = prove({"pages": "N"}, tmp_path, write=True)
    assert again.verdict == Verdict.HOLDS, again.message
    assert again.extra["invariant_source"].endswith("minimised further"), again.extra["invariant_source"]
    assert len(json.loads(path.read_text())["clauses"]) <= n
    _, third = prove({"pages": "N"}, tmp_path)  # the rewritten certificate re-checks on its own
    assert third.extra["invariant_source"].startswith("certificate") and third.verdict == Verdict.HOLDS


def test_pages_n_refused_by_explicit() -> None:
    r = CliRunner().invoke(main, ["verify", str(TOY), "-p", "pages=N"])
    assert r.exit_code == 2
    assert "every pages value" in r.output and "--engine prove" in r.output


def test_not_size_generic_refused(tmp_path: Path) -> None:
    src = TOY.read_text().replace('init=1 if bug == "skip_first" else 0', 'init=pages - 1')
    bad = tmp_path / "page_fill_fixed_start.py"
    bad.write_text(src)
    model = loader.build(bad, {"pages": "N"})
    with pytest.raises(ModelError, match="not size-generic"):
        engines.get("prove")(model, CheckConfig(timeout=30))


@pytest.mark.parametrize("kind, generic", [("sometimes", True), ("always", False)])
def test_size_dependent_property_kinds(tmp_path: Path, kind: str, generic: bool) -> None:
    """A witness declared only at the sizes where it is reachable does not stop a proof for every N (the
    prove engine does not check witnesses); an always property that depends on the size does."""
    anchor = '    m.sometimes("reader_finishes", And(r.done, w.done))\n'
    extra = (f"    if pages >= 3:\n        m.{kind}('third_page_full', "
             "ForAll(N, lambda k: Implies(k == 2, data[k] == Val.FULL)))\n")
    assert anchor in TOY.read_text()
    path = tmp_path / f"page_fill_{kind}_at_3.py"
    path.write_text(TOY.read_text().replace(anchor, anchor + extra))
    model = loader.build(path, {"pages": "N"})
    if generic:
        opts = {"certificates": str(tmp_path / "certs"), "write_certificate": True}
        res = engines.get("prove")(model, CheckConfig(timeout=60, options=opts))
        assert res.verdict == Verdict.HOLDS, res.message
        # At 512 the witness is declared, yet the every-N certificate is the same template's: re-checked, used.
        at_512 = engines.get("prove")(loader.build(path, {"pages": 512}),
                                      CheckConfig(timeout=60, options={"certificates": str(tmp_path / "certs")}))
        assert at_512.verdict == Verdict.HOLDS, at_512.message
        assert "certificate for pages = N" in str(at_512.extra.get("invariant_source")), at_512.extra
    else:
        with pytest.raises(ModelError, match="not size-generic"):
            engines.get("prove")(model, CheckConfig(timeout=30))


def test_committed_certificates_match_their_models() -> None:
    """Every committed certificate names a model instance that still builds, with the same fingerprint."""
    for p in sorted((MODELS / "certificates").glob("*.json")):
        if p.name.endswith(".trace.json"):
            continue  # counterexample certificates: tests/test_refute.py replays them
        data = json.loads(p.read_text())
        model = loader.build(MODELS / f"{data['model']}.py", data["params"])
        page = next(s.name for s in model.sizes)
        assert certificate.load(model, page, data["size"]) is not None, p.name
        # the file's text is what the engine prints for its clauses: one line per premise
        n_min = reduction.n_min(model, page)
        assert data["text"] == certificate_text(model, page, z3.Int(page), n_min, data), p.name
        equality = ("#{", "= [", "+ [", "− [")  # count and linear equalities print on lines of their own
        premises = [line.rsplit(" → ", 1)[0] for line in data["text"]
                    if " → " in line and not any(m in line.rsplit(" → ", 1)[1] for m in equality)]
        assert len(premises) == len(set(premises)), p.name


MUTANTS = [("collapse_file_vs_uffd_register", "post_fix", ["no_recheck", "late_check_no_retry", "pre_fix"]),
           ("collapse_file_lock_sequence", "post_fix", ["pre_fix"]),
           ("collapse_file_poison", "post_fix", ["pre_fix", "unlock_before_publish"]),
           ("collapse_file_poison", "v6_4", ["pre_fix", "unlock_before_publish"]),
           ("collapse_huge_page_poison", "post_fix", ["pre_fix", "release_before_repopulate"]),
           ("collapse_file_xas_store_enomem", "post_fix", ["pre_fix", "pre_fix_ndebug", "cursor_a2e17cc2",
                                                           "cursor_c8a8f3b4"]),
           ("collapse_file_xas_store_enomem", "e8c716bc", ["pre_fix", "pre_fix_ndebug", "cursor_a2e17cc2",
                                                            "cursor_c8a8f3b4"]),
           ("collapse_file_vs_madvise_collapse", "v6_6", ["unlock_before_restore"])]


@pytest.mark.parametrize("model_name,fixed,mutants", MUTANTS, ids=[f"{m[0]}-{m[1]}" for m in MUTANTS])
def test_post_fix_certificate_never_proves_a_mutant(model_name: str, fixed: str, mutants: list[str]) -> None:
    """The committed every-N invariant of a post-fix model, re-checked on each mutant (the fix's re-check or
    retry entries dropped, or the pre-fix code) at N and at 512: a property the mutant violates at 2 or 3
    pages is never proved."""
    path = MODELS / f"{model_name}.py"
    good = loader.build(path, {"variant": fixed, "pages": "N"})
    cert = certificate.load(good, "pages", "N")
    if cert is None:
        pytest.skip("no committed certificate for the post-fix model")
    for variant in mutants:
        violated = set()
        for k in (2, 3):
            ex = engines.get("explicit")(loader.build(path, {"variant": variant, "pages": k}), CheckConfig())
            violated |= set(ex.violations)
        assert violated, variant
        bad = loader.build(path, {"variant": variant, "pages": "N"})
        for n in (z3.Int("pages"), z3.IntVal(512)):
            try:
                rc = recheck(bad, "pages", n, 1, cert["clauses"], cert["properties"], sorted(violated),
                             time.monotonic() + 60, variant)
            except ModelError:
                continue  # the invariant names a column the mutant does not have: nothing is proved
            assert not (rc.inductive and violated & set(rc.excluded)), (variant, rc.excluded)


def test_reachable_run_time_error_leaves_range_unproved() -> None:
    """A sample size that reaches a run-time model error is not an engine crash: range is not proved."""
    toy = Path(__file__).parent / "toys" / "random_pages.py"  # seed 47: the reader's counter overflows
    model = loader.build(toy, {"pages": "N", "seed": 47})
    res = engines.get("prove")(model, CheckConfig(timeout=60, options={"certificates": "/nonexistent-dir"}))
    assert res.verdict == Verdict.INCONCLUSIVE
    assert res.extra["targets"]["range"].startswith("not proved: a run-time model error is reachable")
    assert engines.get("explicit")(loader.build(toy, {"pages": 2, "seed": 47}), CheckConfig()).verdict == Verdict.ERROR


def test_bench_symbolic_sizes_covers_every_prove_family() -> None:
    """bench/symbolic_sizes.py has a row for every (model, variant) the manifest runs the prove engine on,
    and every family it names builds (the bench itself asserts nothing: it prints figures)."""
    import importlib.util
    import tomllib

    spec = importlib.util.spec_from_file_location("symbolic_sizes", MODELS.parent / "bench" / "symbolic_sizes.py")
    assert spec and spec.loader
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    families = set(bench.FAMILIES.values())
    entries = tomllib.loads((MODELS / "manifest.toml").read_text())["check"]
    prove_families = {(e["model"], e["params"]["variant"]) for e in entries if e.get("engines") == ["prove"]}
    assert prove_families and prove_families <= families, prove_families - families
    for model, variant in sorted(families):
        params = {"variant": variant, **({"pages": 2} if bench.paged(model) else {})}
        loader.build(MODELS / f"{model}.py", params)
