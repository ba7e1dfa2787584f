"""From a solver's model to a trace the explicit semantics has replayed.

Every symbolic counterexample, path to a deadlock and witness goes through :func:`replay_checked`: the
initial state must be one of the model's initial states, every action must be enabled in the reference
semantics (``model.semantics``), the decoded states must be the replayed ones, and the last state must
really reach the target. Anything else is a bug in the symbolic encoding and raises
:class:`~collapsecheck.errors.InternalError`; it is never reported as a result.

Traces of the page-count reduction carry only the tracked pages, so they are first *concretised*
(:func:`concretize`): the action sequence is executed symbolically over the full model at a concrete size,
and Z3 picks initial contents of all pages for which every step is enabled and the target is reached. If
none exists the abstract trace was spurious (the reduction was too coarse for it). This module must not
decide verdicts.
"""

from __future__ import annotations

import time

import z3

from collapsecheck.errors import InternalError, ModelError, ModelRuntimeError
from collapsecheck.expr.evaluate import evaluate
from collapsecheck.explicit.engine import make_trace
from collapsecheck.expr.sorts import ArraySort, IntRange
from collapsecheck.model import semantics
from collapsecheck.model.core import Model
from collapsecheck.result import Trace
from collapsecheck.symbolic.encode import ArrayVal, Havoc, from_z3, value_term
from collapsecheck.symbolic.system import Frame, System, Target


def layout_keys(model: Model) -> list[tuple]:
    """The system key of every slot of the explicit state tuple, in layout order."""
    out: list[tuple] = []
    for slot in model.layout.slots:
        if slot.decl is None:
            out.append(("pc", slot.thread))
        elif isinstance(slot.decl.sort, ArraySort):
            out.append(("e", id(slot.decl), slot.elem))
        else:
            out.append(("v", id(slot.decl)))
    return out


def state_of(model: Model, frame: Frame, zm: z3.ModelRef) -> tuple:
    """The explicit state tuple of a flat frame under a solver model."""
    vals = []
    for slot, key in zip(model.layout.slots, layout_keys(model)):
        vals.append(from_z3(slot.sort, zm.eval(frame.vals[key], model_completion=True)))
    return tuple(vals)


def is_initial(model: Model, s: tuple) -> bool:
    """``s`` is one of the model's initial states (without enumerating them all)."""
    for k, slot in enumerate(model.layout.slots):
        allowed = (0,) if slot.decl is None else slot.decl.init[slot.elem]
        if s[k] not in allowed:
            return False
    view = semantics.StateView(model, s)
    return all(evaluate(c, view) for c in model.init_constraints)


def reaches(model: Model, target: Target, s: tuple) -> bool:
    """The explicit semantics agrees that state ``s`` reaches ``target``."""
    if target.kind in ("always", "sometimes"):
        assert target.prop is not None
        value = bool(evaluate(target.prop.expr, semantics.StateView(model, s)))
        return value == (target.kind == "sometimes")
    if target.kind == "deadlock":
        return not any(True for _ in semantics.successors(model, s)) and not semantics.terminal_ok(model, s)
    if target.kind == "range":
        try:
            for _ in semantics.successors(model, s):
                pass
        except ModelError:
            return True
        return False
    raise ValueError(target.kind)


def replay_checked(model: Model, s0: tuple, aids: list[int], target: Target,
                   decoded: list[tuple] | None = None) -> Trace:
    """Replay a symbolic trace through the reference semantics; raise InternalError if it does not fit."""
    what = f"{target.kind} {target.name}"
    if not is_initial(model, s0):
        raise InternalError(f"symbolic trace to {what}: its first state is not an initial state of {model.name}")
    try:
        states = semantics.replay(model, s0, aids)
    except ModelError as e:
        raise InternalError(f"symbolic trace to {what} does not replay in the explicit semantics: {e}") from None
    if decoded is not None:
        for k, (a, b) in enumerate(zip(states, decoded)):
            if a != b:
                raise InternalError(f"symbolic trace to {what}: state {k} differs from the explicit semantics")
    if not reaches(model, target, states[-1]):
        raise InternalError(f"symbolic trace to {what}: the replayed last state does not reach it")
    if target.kind == "range":
        # The explicit engine stops on this state with a model error naming the step: report that error,
        # with this (shortest) trace to it; the engine turns it into the verdict ``error``.
        try:
            list(semantics.successors(model, states[-1]))
        except ModelRuntimeError as e:
            e.trace = make_trace(model, states, aids)
            raise
    return make_trace(model, states, aids)


def decode_flat(system: System, zm: z3.ModelRef, frames: list[Frame], sels: list[z3.ArithRef],
                target: Target) -> Trace:
    """A flat BMC model to a replayed trace."""
    model = system.model
    states = [state_of(model, f, zm) for f in frames]
    aids = [zm.eval(s, model_completion=True).as_long() for s in sels]  # type: ignore[attr-defined]
    return replay_checked(model, states[0], aids, target, states)


def decode_actions(zm: z3.ModelRef, sels: list[z3.ArithRef]) -> list[int]:
    return [zm.eval(s, model_completion=True).as_long() for s in sels]  # type: ignore[attr-defined]


MAX_REFINED = 8  # extra tracked pages of the refinement check


def spurious_by_refinement(system: System, zm: z3.ModelRef, frames: list[Frame], aids: list[int], target: Target,
                           deadline: float) -> list[int] | None:
    """The pages whose exact tracking *proves* the abstract trace spurious; None when undecided.

    The reduced system re-runs the action sequence with extra tracked pages pinned to every page index the
    trace's page-index scalars (sorts ranging up to the page count: loop counters, cursors) take along the
    abstract run (the exact scalar values of the solver's model), so reads at those pages are exact instead of nondeterministic. A finer reduction still
    over-approximates the model (docs/symbolic.md), so "no run of the sequence reaches the target" here
    means no concrete run does: the trace is spurious, without the flat concretisation at the full size.
    Typical catch: ``ref[index] + 1`` out of range because ``ref`` at the loop index was an arbitrary value.
    "Maybe" (sat, unknown, time) answers None, and the caller concretises exactly."""
    red = system.reduction
    assert red is not None
    size = red.value
    if red.symbolic:
        size = zm.eval(system.params[0], model_completion=True).as_long()  # type: ignore[attr-defined]
    hi = size + red.array_offset
    pages: list[int] = []
    for f in frames:
        for k in system.keys:
            if k.decl is None or not _page_index(k.sort, red.size) or system.is_tracked(k.decl):
                continue
            v = zm.eval(f.vals[k.key], model_completion=True)
            if z3.is_int_value(v) and 0 <= v.as_long() < hi and v.as_long() not in pages:  # type: ignore[attr-defined]
                pages.append(v.as_long())  # type: ignore[attr-defined]
    pages = [p for p in pages if p not in red.concrete][:MAX_REFINED]
    if not pages:
        return None
    fine_red = red.refined(pages)
    fine = System(system.model, fine_red)
    cons: list[z3.BoolRef] = [fine.param_constraints()]
    if red.symbolic:
        cons.append(fine.params[0] == size)
    cons += [fine.tracked[j] == p for j, p in fine_red.concrete_positions()]
    hv = Havoc("r0", fine.sizes)
    f = fine.frame("r0")
    cons += [fine.domain(f), fine.init(f, hv)]
    side = list(hv.side)
    for n, aid in enumerate(aids, 1):
        hv = Havoc(f"r{n}", fine.sizes)
        en, f = fine.step_frame(aid, f, hv, f"r{n}")
        cons.append(en)
        side += hv.side
    hv = Havoc("rt", fine.sizes)
    cons.append(fine.target(Target(target.kind, target.name, target.prop), f, hv))
    side += hv.side
    left = deadline - time.monotonic()
    if left <= 0:
        return None
    solver = z3.Solver()
    solver.set("timeout", max(1, int(min(left, 10.0) * 1000)))
    solver.add(cons + side)
    return pages if solver.check() == z3.unsat else None


def _page_index(sort: object, size: str) -> bool:
    """A scalar sort whose range grows with the abstracted size: a page index or a count of pages."""
    from collapsecheck.expr.sorts import Size

    return isinstance(sort, IntRange) and any(isinstance(b, Size) and b.name == size for b in (sort.lo, sort.hi))


class Concretizer:
    """Concretises abstract action sequences of one model at concrete sizes (:func:`concretize`).

    The flat transition system of each size is built once and kept: building it is most of the cost of a
    concretisation at 512 pages, and a search may concretise dozens of abstract traces."""

    def __init__(self, model: Model) -> None:
        self.model = model
        self._systems: dict[int, System] = {}

    def system(self, model: Model) -> System:
        got = self._systems.get(id(model))
        if got is None or got.model is not model:
            got = self._systems[id(model)] = System(model)
        return got

    def __call__(self, model: Model, aids: list[int], target: Target, deadline: float) -> Trace | None:
        got = concretize(model, aids, target, deadline, self.system(model))
        if got is None or target.kind == "sometimes":
            return got
        # Z3's choice among interleavings of the same steps depends on the run: put the trace into a normal
        # order, then make the initial state canonical for that order (one more concretisation).
        order = normal_order(model, got.states[0], aids, target)
        if order == aids:
            return got
        return concretize(model, order, target, deadline, self.system(model)) or got


def normal_order(model: Model, s0: tuple, aids: list[int], target: Target) -> list[int]:
    """The same steps in a canonical interleaving: adjacent steps of different threads are swapped while
    the lower action id can go first and the swapped run, replayed from ``s0``, still reaches ``target``.

    Traces that differ only in the order of commuting steps (the usual difference between two runs'
    solver models) end in the same order."""
    aids = list(aids)
    while True:
        states = semantics.replay(model, s0, aids)
        for i in range(len(aids) - 1):
            a, b = aids[i], aids[i + 1]
            if b >= a or model.actions[a].thread == model.actions[b].thread:
                continue
            cand = aids[:i] + [b, a] + aids[i + 2:]
            try:
                tail = semantics.replay(model, states[i], cand[i:])
            except ModelError:
                continue
            if reaches(model, target, tail[-1]):
                aids = cand
                break
        else:
            return aids


def concretize(model: Model, aids: list[int], target: Target, deadline: float,
               system: System | None = None) -> Trace | None:
    """A concrete run of ``model`` taking exactly the actions ``aids`` and reaching ``target``, replayed.

    None when no initial state makes the abstract trace real (it was spurious: Z3 proved it). Raises
    :class:`~collapsecheck.symbolic.bmc.Undecided` when time ran out or Z3 answered unknown, so that an
    undecided trace is never taken for a spurious one.

    Symbolic execution over the flat model: every slot with a single initial choice (program counters,
    loop indices, flags) starts as that constant, so indices stay concrete along the sequence, reads are
    plain element picks and each step's guard simplifies to a small formula over the nondeterministic
    initial choices; only the steps the sequence takes, and for a range or deadlock target only the steps
    the threads are at, are encoded. Z3 then picks the initial contents (made canonical for counterexamples:
    :func:`canonical_model`)."""
    from collapsecheck.symbolic.bmc import Undecided

    system = system or System(model)
    hv = Havoc("c", system.sizes)
    fresh = system.frame("c0")
    vals: dict[tuple, z3.ExprRef] = {}
    for k in system.keys:
        choices = (0,) if k.decl is None else k.decl.init[k.elem]
        vals[k.key] = value_term(k.sort, choices[0]) if len(choices) == 1 else fresh.vals[k.key]
    f: Frame = _Memo(system, "c0", vals)
    f0 = f
    cons: list[z3.BoolRef] = [system.domain(f), system.init(f, hv)]
    for n, aid in enumerate(aids, 1):
        en, nxt = system.step_frame(aid, f, hv, f"c{n}")
        f = _Memo(system, nxt.tag, nxt.vals)
        en = z3.simplify(en)
        if z3.is_false(en):
            return None
        cons.append(en)
    tg = Target(target.kind, target.name, _same_prop(model, target))
    cons.append(_target_here(system, tg, f, hv))
    cons = [c for c in (z3.simplify(c) for c in cons + hv.side) if not z3.is_true(c)]
    if any(z3.is_false(c) for c in cons):
        return None
    left = deadline - time.monotonic()
    if left <= 0:
        raise Undecided("time")
    # Not QF_FD: a page count in an initial constraint (``present == Count(...)``) is a sum of 512 terms,
    # which bit-blasting turns into adders that take minutes (xas_store ENOMEM at 512: > 100 s, against
    # 8 s for the default solver; at 2-4 pages both take milliseconds).
    solver = z3.Solver()
    solver.set("timeout", max(1, int(left * 1000)))
    solver.add(cons)
    r = solver.check()
    if r == z3.unsat:
        return None
    if r != z3.sat:
        raise Undecided("time" if time.monotonic() >= deadline else "unknown")
    # Counterexamples are shown and stored: their initial state is made canonical. A witness is only
    # reported by its length, so Z3's first model will do.
    free = [(vals[k.key], [value_term(k.sort, v) for v in sorted(k.decl.init[k.elem])]) for k in system.keys
            if k.decl is not None and len(k.decl.init[k.elem]) > 1] if tg.kind != "sometimes" else []
    zm = canonical_model(solver, free, deadline)
    s0 = state_of(model, f0, zm)
    return replay_checked(model, s0, aids, tg)


def canonical_model(solver: z3.Solver, slots: list[tuple[z3.ExprRef, list[z3.ExprRef]]], deadline: float
                    ) -> z3.ModelRef:
    """A model of the (satisfiable) solver in which the ``slots`` take canonical values.

    Z3's model depends on the order of its terms in memory, so the same query can give another initial
    state in another run. Here every decision depends only on sat/unsat answers, which are properties of
    the formula: groups of slots are set to their first choice when that is consistent (halving a group
    that is not), and a slot that cannot take its first choice takes the first one that is consistent. The
    result is the same in every run, and mostly "first choice" values (the 512-page state reads easily)."""
    from collapsecheck.symbolic.bmc import Undecided

    def check() -> z3.CheckSatResult:
        left = deadline - time.monotonic()
        if left <= 0:
            raise Undecided("time")
        solver.set("timeout", max(1, int(left * 1000)))
        r = solver.check()
        if r == z3.unknown:
            raise Undecided("time" if time.monotonic() >= deadline else "unknown")
        return r

    def fix(group: list[tuple[z3.ExprRef, list[z3.ExprRef]]]) -> None:
        solver.push()
        solver.add(*[t == c[0] for t, c in group])
        ok = check() == z3.sat
        solver.pop()
        if ok:
            solver.add(*[t == c[0] for t, c in group])
            return
        if len(group) > 1:
            half = len(group) // 2
            fix(group[:half])
            fix(group[half:])
            return
        t, choices = group[0]
        lo, hi = 1, len(choices) - 1  # the first choice is impossible; the least j with t in choices[:j+1]
        while lo < hi:
            mid = (lo + hi) // 2
            solver.push()
            solver.add(z3.Or([t == v for v in choices[:mid + 1]]))
            ok = check() == z3.sat
            solver.pop()
            if ok:
                hi = mid
            else:
                lo = mid + 1
        solver.add(t == choices[lo])

    if slots:
        fix(slots)
    if check() != z3.sat:
        raise Undecided("unknown")  # cannot happen: every step kept the solver satisfiable
    return solver.model()


class _Memo(Frame):
    """A frame that builds the view of each flat array once (a read of a 512-page array otherwise lists
    its 512 terms again at every read)."""

    def __init__(self, system: System, tag: str, vals: dict) -> None:
        super().__init__(system, tag, vals)
        self._views: dict[int, ArrayVal] = {}

    def array(self, decl):  # type: ignore[no-untyped-def]
        got = self._views.get(id(decl))
        if got is None:
            got = self._views[id(decl)] = super().array(decl)
        return got


def _target_here(system: System, tg: Target, f: Frame, hv: Havoc) -> z3.BoolRef:
    """``system.target`` for one frame of a symbolic execution, encoding only the steps the threads are at.

    For a range or deadlock target ``system.target`` encodes every action of the model; after a concrete
    action sequence every program counter is a constant, so only one step per thread can matter."""
    if tg.kind not in ("range", "deadlock"):
        return system.target(tg, f, hv)
    model = system.model
    pcs = [z3.simplify(f.pc(t.index)) for t in model.threads]
    if not all(z3.is_int_value(pc) for pc in pcs):
        return system.target(tg, f, hv)
    at = [pc.as_long() for pc in pcs]  # type: ignore[attr-defined]
    if tg.kind == "range":
        return z3.Or([system.action(a.id, f, hv)[2] for a in model.actions if at[a.thread] == a.step])
    stuck: list[z3.BoolRef] = []
    ok = True
    for t in model.threads:
        k = at[t.index]
        if k < len(t.steps):
            stuck += [z3.Not(system.enc.term(c.guard, f, hv)) for c in t.steps[k].cases]
            ok = ok and t.steps[k].end_ok
    return z3.BoolVal(False) if ok else z3.And(stuck)


def _same_prop(model: Model, target: Target):  # type: ignore[no-untyped-def]
    # A rebuilt model (another size) has its own Property objects: look the property up by name.
    return model.property(target.name) if target.prop is not None else None
