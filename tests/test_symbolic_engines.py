"""The symbolic engines (bmc, kind, pdr) against the explicit engine and the reference semantics.

- the textbook toys: same verdict, property and shortest counterexample length as the explicit engine;
  proofs say "proved (all lengths"; a progress property leaves the symbolic engines inconclusive;
- every symbolic counterexample is a path of ``semantics.successors`` from an initial state;
- random small models: the states the BMC unrolling reaches are exactly the states the reference
  semantics reaches (Hypothesis);
- ``invariant.recheck`` rejects wrong invariants and accepts the ones the portfolio finds;
- a tiny time limit gives ``inconclusive`` (exit 13), never ``holds``.
"""

from __future__ import annotations

import time
from functools import lru_cache

import pytest
import z3
from click.testing import CliRunner
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collapsecheck.cli import main
from collapsecheck.dsl import BOOL, And, Array, Count, Exists, IntRange, Ite, Not, Or, case, otherwise
from collapsecheck.engine_config import CheckConfig
from collapsecheck.expr.evaluate import evaluate
from collapsecheck.model import semantics
from collapsecheck.model.builder import Builder, OneOf
from collapsecheck.orchestration import engines, loader
from collapsecheck.result import Verdict
from collapsecheck.symbolic import chc
from collapsecheck.symbolic.bmc import Unrolling
from collapsecheck.symbolic.encode import value_term
from collapsecheck.symbolic.invariant import Invariant, recheck
from collapsecheck.symbolic.system import System
from collapsecheck.symbolic.trace import layout_keys, state_of
from tests.conftest import MODELS, TOYS, build_model, build_toy

SYMBOLIC = ("bmc", "kind", "pdr")

# (toy, params, explicit verdict, property, shortest counterexample length)
TOYS_EXPECTED = [
    ("lost_update", {}, Verdict.HOLDS, None, None),
    ("lost_update", {"locked": False}, Verdict.VIOLATED, "no_lost_update", 4),
    ("mutex_broken", {}, Verdict.VIOLATED, "mutual_exclusion", 4),
    ("mutex_broken", {"atomic": True}, Verdict.HOLDS, None, None),
    ("abba_deadlock", {}, Verdict.DEADLOCK, None, 2),
    ("abba_deadlock", {"ordered": True}, Verdict.HOLDS, None, None),
    ("percpu_workers", {"cpus": 2, "work": 1}, Verdict.HOLDS, None, None),
    ("percpu_workers", {"cpus": 2, "work": 1, "locked": False}, Verdict.VIOLATED, "no_lost_work", 6),
    # a progress property: only the explicit engine checks it
    ("spin_forever", {}, Verdict.VIOLATED, "retrier_makes_progress", 2),
    ("spin_forever", {"fixed": True}, Verdict.HOLDS, None, None),
]


def _id(case_: tuple) -> str:
    name, params = case_[0], case_[1]
    return name + "".join(f"-{k}={v}" for k, v in params.items())


@lru_cache(maxsize=None)
def _model(name: str, params: tuple):
    return build_toy(name, **dict(params))


@lru_cache(maxsize=None)
def _run(engine: str, name: str, params: tuple, portfolio: str | None = None):
    opts = {"portfolio": portfolio} if portfolio else {}
    return engines.get(engine)(_model(name, params), CheckConfig(timeout=30, depth=20, options=opts))


def run(engine: str, name: str, params: dict, portfolio: str | None = None):
    return _run(engine, name, tuple(sorted(params.items())), portfolio)


# ------------------------------------------------------------------------------------ agreement on toys
@pytest.mark.parametrize("toy", TOYS_EXPECTED, ids=_id)
def test_explicit_verdicts_of_the_toys(toy):
    name, params, verdict, prop, length = toy
    res = run("explicit", name, params)
    assert res.verdict == verdict and res.property == prop
    assert (len(res.trace) if res.trace is not None else None) == length


@pytest.mark.parametrize("engine", SYMBOLIC)
@pytest.mark.parametrize("toy", TOYS_EXPECTED, ids=_id)
def test_symbolic_engines_agree_with_explicit_on_toys(toy, engine):
    name, params, verdict, prop, length = toy
    ex = run("explicit", name, params)
    res = run(engine, name, params)
    model = _model(name, tuple(sorted(params.items())))
    # The witnesses' shortest depths agree too (BMC finds shortest paths, like BFS).
    assert res.witnesses == ex.witnesses
    if model.progress:
        assert res.verdict == Verdict.INCONCLUSIVE, res.message
        assert "progress" in res.message
        assert res.trace is None
        return
    # bmc never proves: where the model holds it says "bounded" (exit 14), no violation up to its depth.
    assert res.verdict == (Verdict.BOUNDED if engine == "bmc" and verdict == Verdict.HOLDS else verdict), res.message
    assert res.property == prop
    assert (len(res.trace) if res.trace is not None else None) == length
    if verdict == Verdict.HOLDS:
        if engine == "bmc":
            assert res.bound.startswith("bounded (depth <= 20") and res.verdict.exit_code == 14
        else:
            assert res.bound.startswith("proved (all lengths"), res.bound
    else:
        assert res.bound.startswith(("bounded (depth <=", "proved (all lengths"))


@pytest.mark.parametrize("member", ["spacer", "spacer-global", "closure", "houdini", "kind"])
def test_every_portfolio_member_proves_the_atomic_mutex(member):
    res = run("pdr", "mutex_broken", {"atomic": True}, portfolio=member)
    assert res.verdict == Verdict.HOLDS, res.extra.get("portfolio")
    # the closure is enumeration at this instance's size, and says so
    how = "proved by enumeration, this instance" if member == "closure" else f"by {member}"
    assert res.bound == f"proved (all lengths, {how})"
    if member != "kind":
        assert res.extra["invariant"] and res.extra["proved_by"] == member


@pytest.mark.parametrize("member", ["spacer", "closure", "kind"])
def test_portfolio_members_prove_the_locked_counter(member):
    res = run("pdr", "lost_update", {}, portfolio=member)
    assert res.verdict == Verdict.HOLDS and res.bound.startswith("proved (all lengths"), res.extra.get("portfolio")


# ------------------------------------------------------------------------------- replayed traces
def is_initial(model, s):
    """``s`` is an initial state (checked slot by slot: enumerating them is exponential in the size)."""
    for k, slot in enumerate(model.layout.slots):
        if s[k] not in ((0,) if slot.decl is None else slot.decl.init[slot.elem]):
            return False
    return all(evaluate(c, semantics.StateView(model, s)) for c in model.init_constraints)


def assert_is_path(model, trace):
    states = trace.states
    assert len(states) == len(trace.steps) + 1
    assert is_initial(model, states[0])
    for k, step in enumerate(trace.steps):
        succ = list(semantics.successors(model, states[k]))
        assert (step.action, states[k + 1]) in succ, f"step {k} ({step.thread} {step.step}) is not a transition"
        a = model.actions[step.action]
        assert model.threads[a.thread].name == step.thread
        assert model.threads[a.thread].steps[a.step].name == step.step


@pytest.mark.parametrize("engine", SYMBOLIC)
@pytest.mark.parametrize("toy", [t for t in TOYS_EXPECTED if t[2] in (Verdict.VIOLATED, Verdict.DEADLOCK)
                                 and t[0] != "spin_forever"], ids=_id)
def test_symbolic_counterexamples_are_paths_of_the_reference_semantics(toy, engine):
    name, params, verdict, prop, _ = toy
    model = _model(name, tuple(sorted(params.items())))
    res = run(engine, name, params)
    assert res.trace is not None
    assert_is_path(model, res.trace)
    last = res.trace.states[-1]
    if verdict == Verdict.VIOLATED:
        assert evaluate(model.property(prop).expr, semantics.StateView(model, last)) is False
        for pname, tr in res.violations.items():
            assert_is_path(model, tr)
            assert evaluate(model.property(pname).expr, semantics.StateView(model, tr.states[-1])) is False
    else:
        assert not list(semantics.successors(model, last)) and not semantics.terminal_ok(model, last)
        assert res.blocked == semantics.blocked_threads(model, last)


def test_symbolic_counterexample_matches_the_textbook_interleaving():
    res = run("bmc", "lost_update", {"locked": False})
    assert [(s.thread, s.step) for s in res.trace.steps] in (
        [("cpu0", "load"), ("cpu1", "load"), ("cpu0", "store"), ("cpu1", "store")],
        [("cpu0", "load"), ("cpu1", "load"), ("cpu1", "store"), ("cpu0", "store")],
        [("cpu1", "load"), ("cpu0", "load"), ("cpu0", "store"), ("cpu1", "store")],
        [("cpu1", "load"), ("cpu0", "load"), ("cpu1", "store"), ("cpu0", "store")],
    )


# ------------------------------------------------------------- random models: BMC = reference semantics
STEP_LABELS = ("s0", "s1", "s2")


def _guard_st():
    leaf = st.one_of(
        st.tuples(st.just("xeq"), st.integers(0, 2)),
        st.tuples(st.just("xlt"), st.integers(0, 2)),
        st.just(("b",)), st.just(("notb",)), st.just(("arr",)), st.just(("true",)),
        st.tuples(st.just("other_at"), st.sampled_from(["s0", "END"])),
        st.just(("exists",)),
    )
    # "true" twice: enabled steps are likelier, so the random models reach more states
    return st.one_of(st.just(("true",)), leaf, st.just(("true",)), st.tuples(st.sampled_from(["and", "or"]), leaf, leaf))


X_VALUES = st.one_of(st.tuples(st.just("const"), st.integers(0, 2)),
                     st.sampled_from([("l",), ("inc",), ("dec",), ("count",)]),
                     st.tuples(st.just("ite"), _guard_st(), st.integers(0, 2), st.integers(0, 2)))
B_VALUES = st.one_of(st.tuples(st.just("const"), st.booleans()),
                     st.sampled_from([("notb",), ("arr",), ("exists",)]),
                     st.tuples(st.just("guard"), _guard_st()))
ARR_VALUES = st.one_of(st.tuples(st.just("const"), st.booleans()), st.sampled_from([("notarr",), ("b",)]))
L_VALUES = st.one_of(st.tuples(st.just("const"), st.integers(0, 1)), st.just(("flip",)))

UPDATES = st.fixed_dictionaries({}, optional={"x": X_VALUES, "b": B_VALUES, "arr": ARR_VALUES, "l": L_VALUES})
CASE = st.tuples(_guard_st(), UPDATES)
STEP = st.one_of(
    st.tuples(st.just("step"), CASE),
    st.tuples(st.sampled_from(["choose", "branch"]), CASE, CASE, st.sampled_from([None, 0, 1, 2])),
)
THREAD = st.lists(STEP, min_size=2, max_size=3)
MODEL_SPEC = st.tuples(
    st.sampled_from([0, 1, 2, "any"]),  # x init
    st.sampled_from([False, True, "any"]),  # b init
    st.lists(THREAD, min_size=2, max_size=2),
)


def build_random(spec):
    x_init, b_init, threads = spec
    m = Builder("random")
    x = m.var("x", IntRange(0, 2), init=OneOf(0, 1, 2) if x_init == "any" else x_init)
    b = m.var("b", BOOL, init=OneOf(False, True) if b_init == "any" else b_init)
    arr = m.var("arr", Array(BOOL, 2), init=[False, OneOf(False, True)])
    tbs = [m.thread(f"t{n}") for n in range(len(threads))]
    locals_ = [t.local("l", IntRange(0, 1), init=0) for t in tbs]

    def guard(g, n):
        l = locals_[n]
        tag = g[0]
        if tag == "xeq":
            return x == g[1]
        if tag == "xlt":
            return x < g[1]
        if tag == "b":
            return b
        if tag == "notb":
            return Not(b)
        if tag == "arr":
            return arr[l]
        if tag == "true":
            return And()
        if tag == "other_at":
            return tbs[1 - n].at(g[1])
        if tag == "exists":
            return Exists(arr, lambda i: And(arr[i], i != l))
        if tag == "and":
            return And(guard(g[1], n), guard(g[2], n))
        return Or(guard(g[1], n), guard(g[2], n))

    def value(var, v, n):
        l = locals_[n]
        tag = v[0]
        if tag == "const":
            return v[1]
        if var == "x":
            return {"l": lambda: l, "inc": lambda: Ite(x < 2, x + 1, 0), "dec": lambda: Ite(x > 0, x - 1, 0),
                    "count": lambda: Count(arr, lambda i: arr[i]),
                    "ite": lambda: Ite(guard(v[1], n), v[2], v[3])}[tag]()
        if var == "b":
            return {"notb": lambda: Not(b), "arr": lambda: arr[l], "exists": lambda: Exists(2, lambda i: arr[i]),
                    "guard": lambda: guard(v[1], n)}[tag]()
        if var == "arr":
            return {"notarr": lambda: Not(arr[l]), "b": lambda: b}[tag]()
        return 1 - l  # flip

    def updates(ups, n):
        targets = {"x": x, "b": b, "arr": arr[locals_[n]], "l": locals_[n]}
        return {targets[k]: value(k, v, n) for k, v in ups.items()}

    for n, (t, steps) in enumerate(zip(tbs, threads)):
        for k, s in enumerate(steps):
            label = STEP_LABELS[k]
            if s[0] == "step":
                g, ups = s[1]
                t.step(label, when=guard(g, n), do=updates(ups, n))
                continue
            (g1, u1), (g2, u2), back = s[1], s[2], s[3]
            goto = STEP_LABELS[back] if back is not None and back <= k else None  # loops go backwards
            c1 = case(when=guard(g1, n), do=updates(u1, n), goto=goto)
            c2 = otherwise(do=updates(u2, n)) if s[0] == "branch" else case(when=guard(g2, n), do=updates(u2, n))
            getattr(t, s[0])(label, c1, c2)
    m.allow_deadlock()
    return m.freeze()


def exact_layers(model, k):
    """layers[j]: the states reachable in exactly j steps (not only shortest), by the reference semantics."""
    layers = [set(semantics.initial_states(model))]
    for _ in range(k):
        layers.append({n for s in layers[-1] for _, n in semantics.successors(model, s)})
    return layers


def state_eq(model, frame, s):
    return z3.And([frame.vals[key] == value_term(slot.sort, v)
                   for slot, key, v in zip(model.layout.slots, layout_keys(model), s)])


K = 4


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(spec=MODEL_SPEC)
def test_bmc_unrolling_reaches_exactly_the_reference_states(spec):
    check_unrolling_matches_reference(spec)


def check_unrolling_matches_reference(spec):
    """Frame j of an unrolling of length j (the unrolling only holds paths of its full length, as in
    ``bmc.search``) holds exactly the states the reference semantics reaches in exactly j steps."""
    model = build_random(spec)
    layers = exact_layers(model, K)
    u = Unrolling(System(model))
    deadline = time.monotonic() + 60
    for j in range(K + 1):
        while len(u.frames) <= j:
            u.extend()
        # every state the reference semantics reaches in j steps is a solution at frame j
        for s in layers[j]:
            r = u.check([state_eq(model, u.frames[j], s)], deadline)
            assert r == z3.sat, f"explicit state {s} (reached in {j} steps) is not reachable at BMC frame {j}"
        if j < K - 1:
            continue
        # blocking-clause enumeration of frame j: only states the reference semantics reaches in j steps
        found = set()
        blocks = []
        while True:
            r = u.check(blocks, deadline)
            assert r != z3.unknown
            if r == z3.unsat:
                break
            s = state_of(model, u.frames[j], u.model())
            assert s in layers[j], f"BMC frame {j} state {s} is not reachable in exactly {j} explicit steps"
            assert s not in found
            found.add(s)
            blocks.append(z3.Not(state_eq(model, u.frames[j], s)))
        assert found == layers[j]


def test_random_model_builder_makes_nontrivial_models():
    """The generator above is not vacuous: a hand-picked spec has loops, choices and several layers."""
    spec = ("any", "any", [
        [("step", (("true",), {"x": ("inc",)})),
         ("choose", (("b",), {"arr": ("notarr",)}), (("xlt", 2), {"l": ("flip",)}), 0)],
        [("branch", (("other_at", "s0"), {"b": ("notb",)}), (("true",), {"x": ("count",)}), None),
         ("step", (("exists",), {"b": ("exists",)}))],
    ])
    model = build_random(spec)
    layers = exact_layers(model, K)
    assert all(layers) and len(set().union(*layers)) > 20
    check_unrolling_matches_reference(spec)


# ------------------------------------------------------------------------------------- invariants
def _mutex_atomic():
    return _model("mutex_broken", (("atomic", True),))


def mutex_invariant(keep=(0, 1)):
    """flag <-> someone is in {critical_section, clear}; not both are (inductive for the atomic mutex)."""
    model = _mutex_atomic()
    flag = model.globals[0]
    t0, t1 = model.threads

    def inside(f, t):
        return z3.Or(f.pc(t.index) == t.step_index("critical_section"), f.pc(t.index) == t.step_index("clear"))

    def formula(f):
        clauses = [f.scalar(flag) == z3.Or(inside(f, t0), inside(f, t1)),
                   z3.Not(z3.And(inside(f, t0), inside(f, t1)))]
        return z3.And([c for k, c in enumerate(clauses) if k in keep])

    return Invariant(formula, "hand-written", "test", len(keep))


def _deadline():
    return time.monotonic() + 30


def test_recheck_accepts_a_correct_hand_written_invariant():
    system = System(_mutex_atomic())
    assert recheck(system, mutex_invariant(), system.targets(), _deadline()) == []


@pytest.mark.parametrize("keep,problem", [((0,), "rules out always mutual_exclusion"),
                                          ((1,), "every step preserves it")])
def test_recheck_rejects_the_invariant_with_a_clause_removed(keep, problem):
    system = System(_mutex_atomic())
    problems = recheck(system, mutex_invariant(keep), system.targets(), _deadline())
    assert any(problem in p for p in problems), problems


def _true(f):
    return z3.BoolVal(True)


def _pcs_at_zero(model):
    return lambda f: z3.And([f.pc(t.index) == 0 for t in model.threads])


@pytest.mark.parametrize("name,params", [("lost_update", {}), ("mutex_broken", {"atomic": True})])
def test_recheck_rejects_wrong_invariants_on_toys(name, params):
    model = _model(name, tuple(sorted(params.items())))
    system = System(model)
    targets = system.targets()
    problems = recheck(system, Invariant(_true, "true", "test"), targets, _deadline())
    assert any("rules out always" in p for p in problems), problems
    assert not any("initial" in p or "preserves" in p for p in problems), problems  # true is inductive
    problems = recheck(system, Invariant(_pcs_at_zero(model), "pcs at 0", "test"), targets, _deadline())
    assert any("every step preserves it" in p for p in problems), problems
    assert not any("initial" in p for p in problems), problems


def reachable_set_invariant(model, drop=None):
    """The disjunction of the reachable states (optionally without one): the strongest invariant."""
    layers = exact_layers(model, 64)
    states = set().union(*layers)
    if drop is not None:
        states.discard(drop)
    return Invariant(lambda f: z3.Or([state_eq(model, f, s) for s in sorted(states, key=repr)]),
                     f"{len(states)} states", "test"), states


def test_recheck_on_the_reachable_set_and_on_it_minus_one_state():
    model = _model("lost_update", ())
    system = System(model)
    targets = system.targets()
    inv, states = reachable_set_invariant(model)
    assert len(states) == 17  # the explicit engine's pinned count (tests/test_engine.py)
    assert recheck(system, inv, targets, _deadline()) == []
    init = semantics.initial_states(model)[0]
    problems = recheck(system, reachable_set_invariant(model, drop=init)[0], targets, _deadline())
    assert any("initial states satisfy it" in p for p in problems), problems
    later = next(s for s in sorted(states, key=repr) if s not in semantics.initial_states(model))
    problems = recheck(system, reachable_set_invariant(model, drop=later)[0], targets, _deadline())
    assert any("every step preserves it" in p for p in problems), problems


@pytest.mark.parametrize("name,params,member", [
    ("mutex_broken", {"atomic": True}, "spacer"),
    ("mutex_broken", {"atomic": True}, "houdini"),
    ("mutex_broken", {"atomic": True}, "closure"),
    ("abba_deadlock", {"ordered": True}, "closure"),
    ("lost_update", {}, "closure"),
])
def test_recheck_accepts_the_invariants_the_portfolio_finds(name, params, member):
    model = _model(name, tuple(sorted(params.items())))
    system = System(model)
    targets = system.targets()
    pf = chc.run(system, targets, [member], _deadline())
    assert [a.outcome for a in pf.attempts] == ["proved"], pf.attempts
    assert {t.name for t in pf.proved} == {t.name for t in targets}
    (inv,) = pf.invariants
    # re-checked on a fresh system (fresh frames), independently of the portfolio's own re-check
    fresh = System(model)
    assert recheck(fresh, inv, fresh.targets(), _deadline()) == []
    # and it is not vacuous: it excludes some state of the domain (it is stronger than "true")
    x = fresh.frame("v")
    s = z3.Solver()
    s.add(fresh.domain(x), z3.Not(inv.formula(x)))
    assert s.check() == z3.sat


@lru_cache(maxsize=None)
def _lock_sequence():
    return build_model("collapse_file_lock_sequence", variant="post_fix", pages=2)


def test_recheck_rejects_wrong_invariants_on_the_lock_sequence_model():
    model = _lock_sequence()
    system = System(model)
    targets = system.targets()
    problems = recheck(system, Invariant(_true, "true", "test"), targets, _deadline())
    assert any("rules out always no_intermediate_state" in p for p in problems), problems
    assert not any("initial" in p or "preserves" in p for p in problems), problems
    problems = recheck(system, Invariant(_pcs_at_zero(model), "pcs at 0", "test"), targets, _deadline())
    assert any("every step preserves it" in p for p in problems), problems
    assert not any("initial" in p for p in problems), problems


def test_recheck_rejects_the_bare_properties_of_the_lock_sequence_model():
    """The conjunction of the safety properties holds on every reachable state but is not inductive: a
    proof needs strengthening, and the re-check must say so."""
    from collapsecheck.symbolic.encode import Havoc

    model = _lock_sequence()
    system = System(model)
    always = [t for t in system.targets() if t.kind == "always"]

    def formula(f):
        # The havoc defaults of symbolic-index reads (slot[page_fault.addr]) are never selected: the
        # domain keeps the index in range.
        return z3.And([z3.Not(system.target(tg, f, Havoc(f"p{f.tag}", system.sizes))) for tg in always])

    problems = recheck(system, Invariant(formula, "the properties", "test"), always, _deadline())
    assert problems == ["every step preserves it: counterexample found"]


# --------------------------------------------------------------------------------------- time limits
@lru_cache(maxsize=None)
def _uffd():
    return build_model("collapse_file_vs_uffd_register", variant="post_fix", pages=2)


@pytest.mark.parametrize("engine", SYMBOLIC)
@pytest.mark.parametrize("which", ["uffd", "lock_sequence"])
def test_a_tiny_timeout_is_inconclusive_never_holds(engine, which):
    model = _uffd() if which == "uffd" else _lock_sequence()
    t0 = time.monotonic()
    res = engines.get(engine)(model, CheckConfig(timeout=0.001, depth=40))
    assert time.monotonic() - t0 < 10
    assert res.verdict == Verdict.INCONCLUSIVE, (res.verdict, res.bound, res.message)
    assert not res.bound.startswith("proved")


@pytest.mark.parametrize("engine", ["bmc", "pdr"])
def test_cli_exit_code_13_for_a_tiny_timeout(engine):
    res = CliRunner().invoke(main, ["verify", str(MODELS / "collapse_file_vs_uffd_register.py"), "-p",
                                    "variant=post_fix", "-p", "pages=2", "--engine", engine, "--timeout", "0.001"])
    assert res.exit_code == 13, res.output


def test_cli_exit_code_for_a_toy_checked_by_bmc():
    """The exit codes of symbolic verdicts are those of the explicit engine (control for the test above)."""
    res = CliRunner().invoke(main, ["verify", str(TOYS / "lost_update.py"), "-p", "locked=false", "--engine", "bmc"])
    assert res.exit_code == 10, res.output


# ----------------------------------------------------------------------- the reduction with a symbolic size
def test_a_spurious_action_sequence_is_not_retried_at_every_size():
    """Once an abstract action sequence failed to concretise, the solver must not offer it again at another
    value of the symbolic size (it used to be blocked per size: the same sequence came back at n = 4..28
    until MAX_SPURIOUS was used up and the verdict was inconclusive)."""
    from collapsecheck.symbolic import engines as symbolic_engines
    from collapsecheck.symbolic import bmc
    from collapsecheck.symbolic.trace import decode_actions

    model = build_model("collapse_file_lock_sequence", variant="pre_fix", pages=3)
    red = symbolic_engines.choose_reduction(model, CheckConfig(options={"symbolic_size": "pages"},
                                                                build=loader.build))
    system = System(model, red)
    (target,) = [t for t in system.targets() if t.name == "no_intermediate_state"]
    tried: list[tuple[tuple[int, ...], int]] = []

    def every_trace_is_spurious(zm, frames, sels, tg):
        tried.append((tuple(decode_actions(zm, sels)), zm.eval(system.params[0], model_completion=True).as_long()))
        return None

    found = bmc.search(system, [target], 4, time.monotonic() + 30, every_trace_is_spurious)
    assert found.stop is None and tried
    seqs = [a for a, _ in tried]
    repeated = {a: [n for b, n in tried if b == a] for a in seqs if seqs.count(a) > 1}
    assert not repeated, (f"{len(tried)} spurious traces, {len(set(seqs))} distinct action sequences; "
                          f"retried at sizes: {list(repeated.values())[:2]}")


def test_bmc_with_a_symbolic_size_never_claims_holds_on_the_pre_fix_lock_sequence():
    """Whatever the spurious traces do, the answer is the violation or inconclusive, never holds."""
    model = build_model("collapse_file_lock_sequence", variant="pre_fix", pages=2)
    res = engines.get("bmc")(model, CheckConfig(timeout=30, depth=4, options={"symbolic_size": "pages"}))
    assert res.verdict in (Verdict.VIOLATED, Verdict.INCONCLUSIVE), res.message
    if res.verdict == Verdict.VIOLATED:
        assert res.property == "no_intermediate_state" and len(res.trace) == 4
        # a counterexample for some pages >= 1: replay it at the size it was concretised at
        n = sum(1 for k in res.trace.initial if k.startswith("slot["))
        assert n >= 1 and res.bound.startswith("bounded (depth <= 4), pages >= ")
        assert_is_path(build_model("collapse_file_lock_sequence", variant="pre_fix", pages=n), res.trace)
    else:
        assert "spurious" in res.message
