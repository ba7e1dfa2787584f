"""k-induction with the simple-path constraint: a proof, for all lengths, that no target is reachable.

Step case at k: a path of k+1 *pairwise distinct* states s0..sk, every one of s0..s(k-1) reaching no
target, sk reaching one. Base case: no path from an initial state reaches a target in fewer than k steps.
Both unsatisfiable means no target is ever reachable: the shortest path to a target would be simple, and
its last k+1 states would satisfy the step case. Without the simple-path constraint the uffd models are
never k-inductive (kernel threads that spin re-reading a value make self-loops; notes §2c).

Under the page-count reduction both cases run on the *abstract* system; the argument above applies to it
unchanged, and the abstract system over-approximates every concrete size, so the proof transfers. The base
case then counts any abstract hit, spurious or not, as a failure to prove. This module proves; it must not
build counterexamples (``bmc.py``) or decide verdicts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import z3

from collapsecheck import progress
from collapsecheck.symbolic.bmc import Unrolling, new_solver
from collapsecheck.symbolic.encode import Havoc
from collapsecheck.symbolic.system import Frame, System, Target


@dataclass
class Proof:
    proved: bool
    k: int = -1  # the k at which the step case closed (proved) or the last k tried
    reason: str = ""  # why not proved: "time", "unknown", "base" (a target is reachable), "bound"
    base_depth: int = -1  # the base case was checked to this depth


def no_target(system: System, targets: list[Target], f: Frame, tag: str) -> tuple[z3.BoolRef, list[z3.BoolRef]]:
    hv = Havoc(tag, system.sizes)
    return z3.And([z3.Not(system.target(tg, f, hv)) for tg in targets]), hv.side


def some_target(system: System, targets: list[Target], f: Frame, tag: str) -> tuple[z3.BoolRef, list[z3.BoolRef]]:
    hv = Havoc(tag, system.sizes)
    return z3.Or([system.target(tg, f, hv) for tg in targets]), hv.side


def _check(solver: z3.Solver, extra: list[z3.BoolRef], deadline: float) -> z3.CheckSatResult:
    left = deadline - time.monotonic()
    if left <= 0:
        return z3.unknown
    solver.set("timeout", max(1, int(left * 1000)))
    solver.push()
    solver.add(*extra)
    r = solver.check()
    solver.pop()
    return r


def prove(system: System, targets: list[Target], max_k: int, deadline: float) -> Proof:
    """Try k = 0, 1, ..., max_k; the base case is checked only once a step case closes."""
    if not targets:
        return Proof(True, 0)
    step = new_solver(system)
    step.add(system.param_constraints())
    frames: list[Frame] = []
    t0 = time.monotonic()
    for k in range(max_k + 1):
        progress.figures(k=k, solver_s=round(time.monotonic() - t0, 1))
        f = system.frame(f"k{k}")
        step.add(system.domain(f))
        if frames:
            hv = Havoc(f"kt{k}", system.sizes)
            step.add(system.trans(frames[-1], f, z3.Int(f"ksel@{k - 1}"), hv))
            good, side = no_target(system, targets, frames[-1], f"kg{k}")
            step.add(good, *side)
            # simple path: the new state differs from every earlier one
            for g in frames:
                step.add(z3.Or([a != b for a, b in zip(g.terms(), f.terms())]))
        frames.append(f)
        bad, side = some_target(system, targets, f, f"kb{k}")
        r = _check(step, [bad, *side], deadline)
        if r == z3.unknown:
            return Proof(False, k, "time" if time.monotonic() >= deadline else "unknown")
        if r == z3.unsat:
            base = base_case(system, targets, k, deadline)
            base.k = k
            return base
    return Proof(False, max_k, "bound")


def base_case(system: System, targets: list[Target], k: int, deadline: float) -> Proof:
    """No (abstract) path of fewer than k steps from an initial state reaches a target."""
    u = Unrolling(system)
    for d in range(k):
        while len(u.frames) <= d:
            u.extend()
        bad, side = some_target(system, targets, u.frames[d], f"kb0.{d}")
        r = u.check([bad, *side], deadline)
        if r == z3.unknown:
            return Proof(False, k, "time" if time.monotonic() >= deadline else "unknown", d - 1)
        if r == z3.sat:
            return Proof(False, k, "base", d)
    return Proof(True, k, "", k - 1)
