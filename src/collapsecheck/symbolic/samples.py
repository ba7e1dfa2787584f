"""Exact reachable samples of a flat model, and shortest paths through them certified step by step by Z3.

For a flat encoding (no page-count reduction) the ``closure`` proof member starts from the exact reachable
set, computed breadth first with the *reference* semantics (``model.semantics``, the tree-walking
interpreter, not the explicit engine's generated code). The same breadth-first search gives, for every
target the closure does not rule out, a shortest path to it: each of its steps is then checked against the
Z3 transition relation (the step must be one the encoding allows) and the whole path is replayed
(``trace.replay_checked``). So a violation reported this way is shortest by the reference semantics and
real in both semantics, and a disagreement is an internal error. This module must not decide verdicts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import z3

from collapsecheck.errors import InternalError, ModelRuntimeError
from collapsecheck.model import semantics
from collapsecheck.model.core import Model
from collapsecheck.symbolic import trace
from collapsecheck.symbolic.bmc import Hit, Search
from collapsecheck.symbolic.encode import Havoc, value_term
from collapsecheck.symbolic.system import Frame, System, Target


@dataclass
class Reachable:
    """Breadth-first reachable states with parent links: ``parent[s] = (previous state, action id)``."""

    states: list[tuple]
    parent: dict[tuple, tuple[tuple, int] | None] = field(default_factory=dict)
    complete: bool = True  # False when the limit stopped the search


def explore(model: Model, limit: int, errors: list[ModelRuntimeError] | None = None) -> Reachable:
    """Breadth first up to ``limit`` states. A run-time model error raises, unless ``errors`` is a list:
    then it is recorded there and the rest of that state's successors are skipped (samples that only
    propose candidates may be incomplete, never wrong)."""
    parent: dict[tuple, tuple[tuple, int] | None] = {s: None for s in semantics.initial_states(model)}
    work = list(parent)
    k = 0
    while k < len(work):
        if len(work) >= limit:
            return Reachable(work, parent, False)
        s = work[k]
        try:
            for aid, t in semantics.successors(model, s):
                if t not in parent:
                    parent[t] = (s, aid)
                    work.append(t)
        except ModelRuntimeError as e:
            if errors is None:
                raise
            errors.append(e)
        k += 1
    return Reachable(work, parent, True)


def path_to(r: Reachable, s: tuple) -> tuple[list[tuple], list[int]]:
    states, aids = [s], []
    while (p := r.parent[states[-1]]) is not None:
        states.append(p[0])
        aids.append(p[1])
    return states[::-1], aids[::-1]


def frame_of_state(system: System, s: tuple, tag: str) -> Frame:
    keys = trace.layout_keys(system.model)
    vals = {key: value_term(slot.sort, v) for key, slot, v in zip(keys, system.model.layout.slots, s)}
    return Frame(system, tag, vals)


def certify(system: System, states: list[tuple], aids: list[int], tg: Target, deadline: float) -> None:
    """The Z3 encoding must accept the first state as initial, every step (enabled, and leading to exactly
    the next state), and the target at the last state. On concrete frames every formula simplifies to a
    constant, so no solver is needed; one that does not (a havoc choice) goes to a solver."""
    frames = [frame_of_state(system, s, f"c{k}") for k, s in enumerate(states)]
    hv = Havoc("cert", system.sizes)
    facts = [system.init(frames[0], hv)]
    for k, aid in enumerate(aids):
        en, nxt = system.step_frame(aid, frames[k], hv, f"n{k}")
        facts.append(en)
        facts += [a == b for a, b in zip(nxt.terms(), frames[k + 1].terms())]
    facts.append(system.target(tg, frames[-1], hv))
    open_facts = []
    for f in facts:
        v = z3.simplify(f)
        if z3.is_false(v):
            raise InternalError(f"the Z3 encoding of {system.model.name} rejects a path the reference semantics "
                                f"takes to {tg.kind} {tg.name} ({len(aids)} steps)")
        if not z3.is_true(v):
            open_facts.append(v)
    if not open_facts and not hv.side:
        return
    solver = z3.Solver()
    solver.set("timeout", max(1, int((deadline - time.monotonic()) * 1000)))
    solver.add(*open_facts, *hv.side)
    r = solver.check()
    if r == z3.unsat:
        raise InternalError(f"the Z3 encoding of {system.model.name} rejects a path the reference semantics "
                            f"takes to {tg.kind} {tg.name} ({len(aids)} steps)")
    if r == z3.unknown:
        raise TimeoutError("Z3 could not certify the path in time")


def search(system: System, reach: Reachable, targets: list[Target], deadline: float) -> Search:
    """Shortest hits of ``targets`` among the exact reachable states (complete searches only)."""
    assert reach.complete and system.reduction is None
    model = system.model
    out = Search()
    pending = list(targets)
    depth_of: dict[tuple, int] = {}
    for s in reach.states:
        p = reach.parent[s]
        depth_of[s] = 0 if p is None else depth_of[p[0]] + 1
        for tg in list(pending):
            if tg.kind == "range":
                continue  # the reference semantics raises on it while exploring
            if trace.reaches(model, tg, s):
                states, aids = path_to(reach, s)
                try:
                    certify(system, states, aids, tg, deadline)
                except TimeoutError:
                    out.stop = "time"
                    return out
                out.hits[tg.name] = Hit(tg, len(aids), trace.replay_checked(model, states[0], aids, tg, states))
                pending.remove(tg)
        if not pending:
            break
    out.depth = max(depth_of.values(), default=0)
    return out
