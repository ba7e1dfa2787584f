"""The fast paths of the explicit engine against the interpreted reference, on every reachable state of
every manifest model: packing, the transition-cache successors (order and action ids included), the
cached property checks, the factored initial states, the actions and parents the store no longer keeps
explicitly; and the limits (memory, early stop) that end a search as partial."""

from __future__ import annotations

import gc

import pytest
from click.testing import CliRunner

from collapsecheck.orchestration import loader, manifest
from collapsecheck.cli import main
from collapsecheck.explicit import engine, initial
from collapsecheck.explicit.codegen import compile_model
from collapsecheck.expr.evaluate import evaluate
from collapsecheck.model import semantics
from collapsecheck.result import Verdict
from tests.conftest import MODELS, TOYS

# The explicit entries (the prove engine's pages=512 / pages=N entries are not enumerable instances).
ENTRIES = [e for e in manifest.load(MODELS / "manifest.toml") if "explicit" in e.engines]
IDS = [e.key for e in ENTRIES]


def _smallest_per_variant(entries):
    """One instance per (model, variant): the one with the fewest pages (the interpreted reference is
    slow, and a larger page count exercises no code path a smaller one does not)."""
    best = {}
    for e in entries:
        key = (e.model, str(e.params.get("variant")))
        if key not in best or int(e.params.get("pages", 0)) < int(best[key].params.get("pages", 0)):
            best[key] = e
    return list(best.values())


SMALL = _smallest_per_variant(ENTRIES)


def _model(entry):
    return loader.build(MODELS / f"{entry.model}.py", entry.params)


@pytest.mark.parametrize("entry", SMALL, ids=[e.key for e in SMALL])
def test_generated_successors_and_properties_agree_with_the_reference_on_every_reachable_state(entry):
    model = _model(entry)
    ex = engine.explore(model)
    comp = ex.compiled
    view = semantics.StateView
    props = list(model.always) + list(model.sometimes)
    n_always = len(model.always)
    for s in ex.states:
        assert comp.decode(comp.encode(s)) == s
        assert comp.successors(s) == list(semantics.successors(model, s))
        want = 0
        for k, p in enumerate(props):
            holds = bool(evaluate(p.expr, view(model, s)))
            if holds != (k < n_always):  # a violated always, or a reached witness
                want |= 1 << k
        assert comp.props(s) == want
        assert comp.terminal_ok(comp.encode(s)) == semantics.terminal_ok(model, s)


@pytest.mark.parametrize("entry", ENTRIES, ids=IDS)
def test_factored_initial_states_are_the_reference_ones_in_the_same_order(entry):
    model = _model(entry)
    assert initial.initial_states(model) == semantics.initial_states(model)
    comp = compile_model(model)
    assert [comp.decode(s) for s in engine.initial_packed(model, comp)] == semantics.initial_states(model)


def test_recomputed_actions_and_parents_are_those_of_the_edge_recording_search():
    model = loader.build(MODELS / "collapse_file_lock_sequence.py", {"variant": "post_fix", "pages": 2})
    plain = engine.explore(model)
    full = engine.explore(model, record_edges=True)
    assert plain.packed == full.packed and list(plain.parents) == list(full.parents)
    first: dict[int, int] = {}
    src, dst, act = full.edges
    for a, b, c in zip(src, dst, act):
        if b >= full.n_initial and b not in first and full.parents[b - full.n_initial] == a:
            first[b] = c
    assert [plain.actions[k - plain.n_initial] for k in sorted(first)] == [first[k] for k in sorted(first)]


def test_a_second_search_reuses_the_caches_and_finds_the_same_store():
    model = loader.build(MODELS / "collapse_file_vs_uffd_register.py", {"variant": "pre_fix", "pages": 2})
    a = engine.explore(model)
    sizes = [len(c) for c in a.compiled.caches]
    b = engine.explore(model)
    assert b.compiled is a.compiled and [len(c) for c in b.compiled.caches] == sizes
    assert a.packed == b.packed and a.found.bad == b.found.bad
    assert engine.unreached_steps(a) == _unreached_from_states(a)


def _unreached_from_states(ex):
    model = ex.model
    out = []
    for t in model.threads:
        pcs = {s[model.layout.pc_slot[t.index]] for s in ex.states}
        out += [f"{t.name}:{st.name}" for k, st in enumerate(t.steps) if k not in pcs]
    return out


def test_the_search_pauses_the_cyclic_collector_and_restores_it():
    assert gc.isenabled()
    engine.explore(loader.build(TOYS / "lost_update.py", {"locked": True}))
    assert gc.isenabled()


def test_memory_limit_ends_the_search_as_inconclusive_with_partial_figures():
    model = loader.build(MODELS / "collapse_file_lock_sequence.py", {"variant": "post_fix", "pages": 3})
    res, ex = engine.check(model, max_memory=1)
    assert res.verdict == Verdict.INCONCLUSIVE and ex.found.stop == "memory"
    assert "memory limit" in res.message and res.bound.startswith("partial")
    assert 0 < res.stats.states < 35400


def test_cli_max_memory_gives_exit_13_and_says_why():
    r = CliRunner().invoke(main, ["verify", str(MODELS / "collapse_file_lock_sequence.py"), "-p", "pages=3",
                                  "--max-memory", "1"])
    assert r.exit_code == 13, r.output
    assert "memory" in r.output and "Traceback" not in r.output


def test_stop_when_found_ends_early_with_the_shortest_hit():
    model = loader.build(MODELS / "collapse_file_lock_sequence.py", {"variant": "pre_fix", "pages": 3})
    full = engine.explore(model)
    early = engine.explore(model, stop_when_found=1)  # the first always property
    assert early.found.stop == "found" and len(early.packed) < len(full.packed)
    assert len(early.path_to(early.found.bad[0])) == len(full.path_to(full.found.bad[0]))


def test_many_threads_take_the_per_thread_lookup_path(write_model):
    # Nine threads with three steps each need 18 program-counter bits: past the 16-bit limit of the
    # shared pc table, the generated loop looks up each thread's mask on its own.
    path = write_model("""
        from collapsecheck.dsl import *
        def build(m):
            n = m.var("n", IntRange(0, 9), init=0)
            for k in range(9):
                t = m.thread(f"t{k}")
                t.step("inc", do={n: n + 1})
                t.step("dec", when=n > 0, do={n: n - 1})
                t.step("done")
            m.always("bounded", n <= 9)
    """)
    model = loader.build(path)
    comp = compile_model(model)
    assert comp.namespace["KT"] is None
    ex = engine.explore(model, compiled=comp)
    seen = set(semantics.initial_states(model))
    work = list(seen)
    while work:
        for _, t in semantics.successors(model, work.pop()):
            if t not in seen:
                seen.add(t)
                work.append(t)
    assert set(ex.states) == seen
