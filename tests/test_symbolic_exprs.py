"""Interpreter 2 (the Z3 encoding, ``symbolic/encode.py``) against interpreter 1 (the reference
``expr/evaluate.py``): the same expression evaluated on the same concrete state must give the same value.

The Z3 side encodes the expression on a frame whose terms are the state's values (literals), simplifies, and
when the result is not a literal (a havoc default of a symbolic-index read) asks Z3 whether the value is
determined. A hand-written corpus covers every node kind; a Hypothesis property test covers random trees.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

import pytest
import z3
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from collapsecheck.dsl import (
    BOOL,
    And,
    Array,
    Count,
    Enum,
    Exists,
    ForAll,
    Implies,
    In,
    IntRange,
    Ite,
    Not,
    Or,
)
from collapsecheck.expr.evaluate import evaluate
from collapsecheck.expr.nodes import Const, Expr, lift
from collapsecheck.model import semantics
from collapsecheck.model.builder import Builder, OneOf
from collapsecheck.symbolic.encode import Havoc, from_z3, value_term
from collapsecheck.symbolic.system import Frame, System
from collapsecheck.symbolic.trace import layout_keys, state_of


# ------------------------------------------------------------------------------------------ the model
@dataclass
class Vars:
    model: object
    N: object
    Slot: object
    flag: Expr
    x: Expr
    y: Expr
    cur: Expr
    i: Expr
    st: Expr
    owner: Expr
    slot: Expr
    val: Expr
    mark: Expr
    mark2: Expr
    k: Expr
    t0: object
    t1: object


def _make() -> Vars:
    m = Builder("exprs")
    N = m.size("pages", 3)
    Slot = Enum("Slot", "HOLE PAGE RETRY HUGE")
    flag = m.var("flag", BOOL, init=OneOf(False, True))
    x = m.var("x", IntRange(0, 3), init=0)
    y = m.var("y", IntRange(-2, 2), init=0)
    cur = m.var("cur", IntRange(0, N), init=0)  # may be N: one past the last page
    i = m.var("i", IntRange(0, N - 1), init=0)
    s = m.var("st", Slot, init=Slot.HOLE)
    owner = m.var("owner", m.OWNER, init=m.NOBODY)
    slot = m.var("slot", Array(Slot, N), init=Slot.HOLE)
    val = m.var("val", Array(IntRange(0, 2), N), init=0)
    mark = m.var("mark", Array(BOOL, N), init=False)
    mark2 = m.var("mark2", Array(BOOL, N), init=False)
    t0 = m.thread("t0")
    t0.step("a", do={x: 1})
    t0.step("b", do={flag: True})
    t0.step("c")
    t1 = m.thread("t1")
    k = t1.local("k", IntRange(0, 2), init=0)
    t1.step("p", do={k: 1})
    t1.step("q")
    model = m.freeze()
    return Vars(model, N, Slot, flag, x, y, cur, i, s, owner, slot, val, mark, mark2, k, t0, t1)


V = _make()
MODEL = V.model
SYSTEM = System(MODEL)
KEYS = layout_keys(MODEL)


def corpus(v: Vars) -> list[tuple[str, Expr]]:
    S, N = v.Slot, v.N
    out = [
        # booleans and connectives
        ("flag", v.flag),
        ("not", Not(v.flag)),
        ("and", And(v.flag, v.x > 1, v.st == S.PAGE)),
        ("or", Or(v.x == 0, v.y < 0, Not(v.flag))),
        ("and_empty", And()),
        ("or_empty", Or()),
        ("implies", Implies(v.flag, v.x >= 2)),
        ("implies_chain", Implies(Implies(v.flag, v.y == 1), Or(v.x == 3, v.y <= -1))),
        ("bool_eq", v.flag == (v.x > 0)),
        ("bool_ne", v.flag != v.mark[0]),
        # comparisons and arithmetic within ranges
        ("lt", v.x < v.y),
        ("le", v.x <= v.y + 1),
        ("gt", v.x - v.y > 2),
        ("ge", v.y >= -1),
        ("ne", v.x != 2),
        ("arith", v.x + v.y - 1),
        ("arith_neg", v.y - v.x - 3),
        ("arith_const_left", 5 - v.x),
        ("arith_cmp", (v.x + v.y) == (v.k + 1)),
        ("size_cmp", v.cur < N),
        ("size_arith", N - v.cur),
        ("size_plus", v.cur + N - 1),
        # if-then-else
        ("ite_int", Ite(v.flag, v.x, v.y + 5)),
        ("ite_bool", Ite(v.x > v.y, v.flag, v.mark[1])),
        ("ite_enum", Ite(v.flag, v.st, S.RETRY)),
        ("ite_nested", Ite(v.x == 0, Ite(v.y < 0, -1, 0), Ite(v.y > 0, 1, v.x))),
        ("ite_lit_left", Ite(v.flag, 2, v.k)),
        # enums and owners
        ("enum_eq", v.st == S.HUGE),
        ("enum_ne", v.st != S.HOLE),
        ("enum_vars", v.st == v.slot[v.i]),
        ("in", In(v.st, [S.PAGE, S.RETRY])),
        ("in_elem", In(v.slot[v.i], [S.HOLE, S.HUGE])),
        ("owner_nobody", v.owner == Const(v.model.owner, 0)),
        ("owner_t0", v.owner == v.t0.me),
        ("owner_t1_ne", v.owner != v.t1.me),
        # array reads: constant and variable indices
        ("elem_const", v.val[2]),
        ("elem_var", v.val[v.i]),
        ("elem_var_enum", v.slot[v.i] == S.PAGE),
        ("elem_local_idx", v.val[v.k] + v.val[v.i]),
        ("elem_guarded_past_end", Ite(v.cur < N, v.val[v.cur], 7)),
        ("elem_guarded_bool", And(v.cur < N, v.mark[v.cur])),
        ("elem_guarded_or", Or(v.cur >= N, v.slot[v.cur] == S.RETRY)),
        ("elem_index_arith", Ite(v.i + 1 < N, v.val[v.i + 1], v.val[0])),
        ("elem_index_ite", v.mark[Ite(v.flag, v.i, 0)]),
        ("elem_index_elem", v.mark[v.val[v.i]]),
        ("elem_index_sub", Ite(v.i > 0, v.slot[v.i - 1] == v.slot[v.i], Not(v.flag))),
        # whole-array comparison
        ("array_eq", v.mark == v.mark2),
        ("array_ne", v.mark != v.mark2),
        # quantifiers over pages
        ("forall", ForAll(N, lambda j: v.slot[j] != S.HUGE)),
        ("exists", Exists(N, lambda j: v.slot[j] == S.RETRY)),
        ("forall_array_size", ForAll(v.mark, lambda j: Implies(v.mark[j], v.val[j] > 0))),
        ("exists_int_size", Exists(2, lambda j: v.val[j] == v.x)),
        ("count", Count(N, lambda j: v.mark[j])),
        ("count_cmp", Count(N, lambda j: v.slot[j] == S.PAGE) >= 2),
        ("count_arith", Count(N, lambda j: v.val[j] > v.y) + v.x),
        ("count_in_ite", Ite(v.flag, Count(N, lambda j: v.mark2[j]), v.k)),
        ("forall_bound_cmp", ForAll(N, lambda j: Implies(j < v.cur, v.slot[j] == S.HUGE))),
        ("exists_bound_eq_var", Exists(N, lambda j: And(j == v.i, v.mark[j]))),
        ("forall_index_arith", ForAll(N, lambda j: Implies(j + 1 < N, v.val[j] <= v.val[Ite(j + 1 < N, j + 1, 0)]))),
        ("nested_quant", ForAll(N, lambda a: Exists(N, lambda b: v.val[a] == v.val[b] + Ite(a == b, 1, 0)))),
        ("nested_distinct", Exists(N, lambda a: Exists(N, lambda b: And(a != b, v.slot[a] == v.slot[b])))),
        ("count_nested", Count(N, lambda a: ForAll(N, lambda b: Implies(a < b, v.val[a] <= v.val[b])))),
        ("quant_over_pc", Exists(N, lambda j: And(v.mark[j], v.t0.at("b")))),
        # program counters
        ("at", v.t0.at("b")),
        ("at_many", v.t0.at("a", "c")),
        ("at_end", v.t0.done),
        ("at_end_or", v.t1.at("q", "END")),
        ("at_mixed", Implies(v.t1.done, And(v.k == 1, Not(v.t0.at("a"))))),
        # a property-shaped formula
        ("property_shape",
         Implies(Not(v.owner == v.t0.me),
                 Or(Not(Exists(N, lambda j: In(v.slot[j], [S.HUGE, S.RETRY]))),
                    ForAll(N, lambda j: v.slot[j] == S.HUGE)))),
    ]
    return out


CORPUS = corpus(V)


# -------------------------------------------------------------------------------------- evaluation
def concrete_frame(state: tuple, tag: str = "c") -> Frame:
    vals = {key: value_term(slot.sort, v) for slot, key, v in zip(MODEL.layout.slots, KEYS, state)}
    return Frame(SYSTEM, tag, vals)


def python_value(e: Expr, state: tuple) -> object:
    return evaluate(e, semantics.StateView(MODEL, state))


def z3_value(e: Expr, state: tuple) -> object:
    """The value the Z3 encoding gives ``e`` in ``state``; fails if that value is not determined."""
    hv = Havoc("c", SYSTEM.sizes)
    t = SYSTEM.enc.term(e, concrete_frame(state), hv)
    s = z3.simplify(t)
    if z3.is_true(s) or z3.is_false(s) or z3.is_int_value(s):
        return from_z3(e.sort, s)
    # Not a literal: a havoc (fresh value) remains in the term. It must not matter.
    solver = z3.Solver()
    solver.add(hv.side)
    assert solver.check() == z3.sat
    v = solver.model().eval(t, model_completion=True)
    solver.add(t != v)
    assert solver.check() == z3.unsat, f"{e!r} is not determined by state {state} in the Z3 encoding: {s}"
    return from_z3(e.sort, v)


def random_state(rng: random.Random) -> tuple:
    return tuple(rng.choice(list(slot.sort.values())) for slot in MODEL.layout.slots)


def _reachable() -> list[tuple]:
    seen = set(semantics.initial_states(MODEL))
    work = list(seen)
    while work:
        s = work.pop()
        for _, n in semantics.successors(MODEL, s):
            if n not in seen:
                seen.add(n)
                work.append(n)
    return sorted(seen, key=repr)


RNG = random.Random(20261126)
STATES = _reachable() + [random_state(RNG) for _ in range(150)]


def test_corpus_states_cover_the_domains():
    # The random states exercise every value of every slot (so every branch of the corpus is visited).
    for k, slot in enumerate(MODEL.layout.slots):
        assert {s[k] for s in STATES} == set(slot.sort.values()), slot.name


@pytest.mark.parametrize("name,expr", CORPUS, ids=[n for n, _ in CORPUS])
def test_z3_encoding_agrees_with_the_reference_interpreter(name, expr):
    seen = set()
    for s in STATES:
        want = python_value(expr, s)
        got = z3_value(expr, s)
        assert got == want and type(got) is type(want), f"{name} = {expr!r} in state {s}: python {want!r}, z3 {got!r}"
        seen.add(want)
    if expr.sort is BOOL and name not in ("and_empty", "or_empty"):
        assert seen == {True, False}, f"{name} is constant on the sample states: the comparison is too weak"


@pytest.mark.parametrize("name,expr", [(n, e) for n, e in CORPUS if e.sort is BOOL], ids=lambda x: x if isinstance(x, str) else "")
def test_property_encoding_is_exact_without_the_reduction(name, expr):
    """``Encoder.reach`` (the violation/witness form) is the exact value on a flat system."""
    for s in STATES[:60]:
        want = bool(python_value(expr, s))
        for polarity in (True, False):
            hv = Havoc("r", SYSTEM.sizes)
            f = SYSTEM.enc.reach(expr, concrete_frame(s), hv, want=polarity)
            solver = z3.Solver()
            solver.add(hv.side)
            solver.add(f)
            assert (solver.check() == z3.sat) == (want == polarity), (name, s, polarity)


def test_symbolic_frame_solutions_agree_with_the_reference():
    """The same agreement through a solver: on a frame of free constants, constrain the expression to each
    value Z3 finds, decode the state and check the reference interpreter gives that value."""
    for name, e in CORPUS[::3]:
        if e.sort is not BOOL:
            continue
        for want in (True, False):
            f = SYSTEM.frame("s")
            hv = Havoc("s", SYSTEM.sizes)
            solver = z3.Solver()
            solver.add(SYSTEM.domain(f), *hv.side)
            t = SYSTEM.enc.term(e, f, hv)
            solver.add(t == z3.BoolVal(want))
            blocks = 0
            while blocks < 4 and solver.check() == z3.sat:
                zm = solver.model()
                s = state_of(MODEL, f, zm)
                assert python_value(e, s) == want, (name, s, want)
                solver.add(z3.Or([f.vals[k] != value_term(slot.sort, v)
                                  for slot, k, v in zip(MODEL.layout.slots, KEYS, s)]))
                blocks += 1


# --------------------------------------------------------------------------------- random expressions
INT_VARS = ("x", "y", "i", "k", "cur")
OPS = ("==", "!=", "<", "<=", ">", ">=")


@lru_cache(maxsize=None)
def ints(d: int, nb: int) -> st.SearchStrategy:
    leaves = [st.tuples(st.just("ivar"), st.sampled_from(INT_VARS)),
              st.tuples(st.just("iconst"), st.integers(-3, 4)),
              st.just(("size",))]
    if nb:
        leaves.append(st.tuples(st.just("bound"), st.integers(0, nb - 1)))
    if d == 0:
        return st.one_of(leaves)
    sub = ints(d - 1, nb)
    nodes = [st.tuples(st.sampled_from(["add", "sub"]), sub, sub),
             st.tuples(st.just("ite"), bools(d - 1, nb), sub, sub),
             st.tuples(st.just("ielem"), index(d - 1, nb)),
             st.tuples(st.just("count"), bools(d - 1, nb + 1))]
    return st.one_of(leaves + nodes)


@lru_cache(maxsize=None)
def index(d: int, nb: int) -> st.SearchStrategy:
    raw = [st.just(("ivar", "i"))]
    if nb:
        raw.append(st.tuples(st.just("bound"), st.integers(0, nb - 1)))
    return st.one_of(st.one_of(raw), st.tuples(st.just("guard"), ints(d, nb)))


@lru_cache(maxsize=None)
def enums(d: int, nb: int) -> st.SearchStrategy:
    leaves = [st.just(("evar",)), st.tuples(st.just("econst"), st.sampled_from(["HOLE", "PAGE", "RETRY", "HUGE"]))]
    if d == 0:
        return st.one_of(leaves)
    return st.one_of(leaves + [st.tuples(st.just("eelem"), index(d - 1, nb)),
                               st.tuples(st.just("eite"), bools(d - 1, nb), enums(d - 1, nb), enums(d - 1, nb))])


@lru_cache(maxsize=None)
def bools(d: int, nb: int) -> st.SearchStrategy:
    leaves = [st.just(("flag",)), st.tuples(st.just("bconst"), st.booleans()),
              st.tuples(st.just("at"), st.sampled_from(["t0", "t1"]),
                        st.lists(st.sampled_from(["a", "b", "c", "p", "q", "END"]), min_size=1, max_size=2)),
              st.tuples(st.just("arrcmp"), st.sampled_from(["==", "!="])),
              st.tuples(st.just("owner"), st.integers(0, 2))]
    if d == 0:
        return st.one_of(leaves)
    b, i = bools(d - 1, nb), ints(d - 1, nb)
    nodes = [st.tuples(st.just("not"), b),
             st.tuples(st.sampled_from(["and", "or"]), st.lists(b, min_size=0, max_size=3)),
             st.tuples(st.just("implies"), b, b),
             st.tuples(st.just("cmp"), st.sampled_from(OPS), i, i),
             st.tuples(st.just("ecmp"), st.sampled_from(["==", "!="]), enums(d - 1, nb), enums(d - 1, nb)),
             st.tuples(st.just("belem"), index(d - 1, nb)),
             st.tuples(st.just("bite"), b, b, b),
             st.tuples(st.sampled_from(["forall", "exists"]), bools(d - 1, nb + 1))]
    return st.one_of(leaves + nodes)


def _cmp(op: str, a: Expr, b: Expr) -> Expr:
    return {"==": lambda: a == b, "!=": lambda: a != b, "<": lambda: a < b, "<=": lambda: a <= b,
            ">": lambda: a > b, ">=": lambda: a >= b}[op]()


def build(spec: tuple, bound: tuple = ()) -> Expr:
    tag = spec[0]
    N, S = V.N, V.Slot
    owner_thread = {"t0": V.t0, "t1": V.t1}
    if tag == "ivar":
        return getattr(V, spec[1])
    if tag == "iconst":
        return lift(spec[1])
    if tag == "size":
        return lift(N)
    if tag == "bound":
        return bound[spec[1]]
    if tag in ("add", "sub"):
        a, b = build(spec[1], bound), build(spec[2], bound)
        return a + b if tag == "add" else a - b
    if tag in ("ite", "eite", "bite"):
        return Ite(build(spec[1], bound), build(spec[2], bound), build(spec[3], bound))
    if tag == "ielem":
        return V.val[build_index(spec[1], bound)]
    if tag == "eelem":
        return V.slot[build_index(spec[1], bound)]
    if tag == "belem":
        return V.mark[build_index(spec[1], bound)]
    if tag == "count":
        return Count(N, lambda j: build(spec[1], bound + (j,)))
    if tag == "evar":
        return V.st
    if tag == "econst":
        return getattr(S, spec[1])
    if tag == "flag":
        return V.flag
    if tag == "bconst":
        return lift(spec[1])
    if tag == "at":
        t = owner_thread[spec[1]]
        labels = [lab for lab in spec[2] if lab in ("END",) + tuple(s.name for s in MODEL.thread(spec[1]).steps)]
        return t.at(*(labels or ["END"]))
    if tag == "arrcmp":
        return V.mark == V.mark2 if spec[1] == "==" else V.mark != V.mark2
    if tag == "owner":
        return V.owner == Const(MODEL.owner, spec[1])
    if tag == "not":
        return Not(build(spec[1], bound))
    if tag == "and":
        return And(*[build(s, bound) for s in spec[1]])
    if tag == "or":
        return Or(*[build(s, bound) for s in spec[1]])
    if tag == "implies":
        return Implies(build(spec[1], bound), build(spec[2], bound))
    if tag in ("cmp", "ecmp"):
        return _cmp(spec[1], build(spec[2], bound), build(spec[3], bound))
    if tag == "forall":
        return ForAll(N, lambda j: build(spec[1], bound + (j,)))
    if tag == "exists":
        return Exists(N, lambda j: build(spec[1], bound + (j,)))
    raise AssertionError(spec)


def build_index(spec: tuple, bound: tuple) -> Expr:
    if spec[0] == "guard":
        e = build(spec[1], bound)
        # Kept inside the pages so the reference interpreter never stops on an out-of-range read.
        return Ite(And(e >= 0, e < V.N), e, 0)
    return build(spec, bound)


state_st = st.tuples(*[st.sampled_from(list(slot.sort.values())) for slot in MODEL.layout.slots])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(spec=st.one_of(bools(3, 0), ints(3, 0), enums(2, 0)), states=st.lists(state_st, min_size=1, max_size=6))
def test_random_expressions_agree(spec, states):
    e = build(spec)
    for s in states:
        want = python_value(e, s)
        got = z3_value(e, s)
        assert got == want and type(got) is type(want), f"{e!r} in {s}: python {want!r}, z3 {got!r}"
