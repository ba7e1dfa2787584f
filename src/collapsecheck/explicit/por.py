"""Partial-order reduction (ample sets) for the breadth-first search: its static tables, and the set-up
of the reduced search (the loop itself is generated, ``codegen.py``, mode ``reduced``).

In a state, the enabled cases of one thread's current step form an *ample set* when
  C0  it is not empty;
  C1  the step is independent of every step any other thread can still reach from its current position
      (no slot one writes is read or written by the other; the threads' control-flow graphs give the
      reachable steps), so it stays enabled, and commutes with, whatever the others do first: the set is
      persistent, which preserves every deadlock;
  C2  none of its cases can change the value of any property (``always`` or ``sometimes``; see
      ``footprint.case_affects``, which also knows that a move between steps a property does not tell
      apart is invisible);
  C3  (cycle proviso) every successor it leads to is new or still waiting in the queue, i.e. has a larger
      state id than the state being expanded. Then every edge out of a reduced state goes to a larger id,
      so every cycle of the reduced graph contains a fully expanded state, and no transition is ignored
      forever.
The first thread (in declaration order) that passes is expanded alone; otherwise the state is expanded
fully. Under these conditions the reduced graph has the same deadlocks and the same reachable property
violations and witnesses (stuttering-equivalent paths), not the same paths: traces found here are valid but
may be longer, and the engine rebuilds shortest ones without reduction. Reductions are for safety only;
models with ``progress`` properties are searched unreduced. Symmetry (``symmetry.py``) plugs in as a
canonical form applied to every successor. This module must not decide verdicts. (C2 asks whether a
case can change a property's value; the transition cache's property groups answer a weaker question,
whether it can make one violated or reached, which is enough for checking but not for reducing.)
"""

from __future__ import annotations

from array import array
from typing import TYPE_CHECKING, Callable

from collapsecheck.explicit import footprint
from collapsecheck.explicit.codegen import Compiled
from collapsecheck.model.core import Model, Thread

if TYPE_CHECKING:
    from collapsecheck.explicit.symmetry import Group


def future_steps(t: Thread, pc: int) -> set[int]:
    """Step indices the thread can still be at from ``pc`` (``pc`` included; END excluded)."""
    seen: set[int] = set()
    work = [pc]
    while work:
        k = work.pop()
        if k in seen or k >= len(t.steps):
            continue
        seen.add(k)
        work += [c.goto for c in t.steps[k].cases]
    return seen


class Independence:
    """Static tables: for thread t at pc, the positions of each other thread that are safe (C1)."""

    def __init__(self, model: Model) -> None:
        self.model = model
        fps = [[footprint.step_footprint(model, t, pc) for pc in range(len(t.steps) + 1)] for t in model.threads]

        def bits(slots: frozenset[int]) -> int:
            out = 0
            for k in slots:
                out |= 1 << k
            return out

        rd = [[bits(fp.reads) for fp in row] for row in fps]
        wr = [[bits(fp.writes) for fp in row] for row in fps]

        def dependent(t: int, p: int, u: int, q: int) -> bool:
            return bool(wr[t][p] & (rd[u][q] | wr[u][q]) or wr[u][q] & rd[t][p])

        threads = model.threads
        # safe[t][p][u]: bit q set when every step thread u can reach from q is independent of (t, p).
        self.safe: list[list[list[int]]] = []
        for t in threads:
            rows = []
            for p in range(len(t.steps) + 1):
                per_u = []
                for u in threads:
                    mask = 0
                    if u.index != t.index:
                        for q in range(len(u.steps) + 1):
                            if all(not dependent(t.index, p, u.index, r) for r in future_steps(u, q)):
                                mask |= 1 << q
                    per_u.append(mask)
                rows.append(per_u)
            self.safe.append(rows)

    def candidates(self, pcs: tuple[int, ...]) -> tuple[int, ...]:
        """Threads whose current step is independent of everything the others can still do."""
        out = []
        for t in self.model.threads:
            p = pcs[t.index]
            if p >= len(t.steps):
                continue
            row = self.safe[t.index][p]
            if all(u.index == t.index or row[u.index] >> pcs[u.index] & 1 for u in self.model.threads):
                out.append(t.index)
        return tuple(out)


def visible_actions(model: Model) -> list[bool]:
    """Per action id: whether it can change the value of some property (C2). This is stricter than the
    transition cache's property groups, which only ask whether a property can *become* violated or
    reached (a move away from ``publish`` can make a violation disappear: that is visible)."""
    props = [p.expr for p in model.properties if p.kind in ("always", "sometimes")]
    out = []
    for a in model.actions:
        t = model.threads[a.thread]
        c = t.steps[a.step].cases[a.case]
        out.append(any(footprint.case_affects(model, t, a.step, c, e) for e in props))
    return out


def _candidates(model: Model, comp: Compiled, table: dict[int, tuple[int, ...]]) -> Callable[[int], tuple[int, ...]]:
    """The miss function of the candidate table: program-counter bits -> threads passing C1 there."""
    indep = Independence(model)
    lay, pk = model.layout, comp.packing
    fields = [(pk.offset[lay.pc_slot[t.index]], (1 << pk.width[lay.pc_slot[t.index]]) - 1) for t in model.threads]

    def miss(bits: int) -> tuple[int, ...]:
        out = table[bits] = indep.candidates(tuple((bits >> o) & m for o, m in fields))
        return out

    return miss


def explore_reduced(model: Model, comp: Compiled, states: list[int], seen: dict[int, int], parents: array,
                    edges: tuple[array, array, array] | None, R: object, max_states: int, deadline: float,
                    progress: Callable | None, memcheck: Callable[[], bool] | None, *, por: bool,
                    group: "Group | None") -> dict[str, object]:
    """BFS over the reduced graph (ample sets when ``por``; orbit representatives when ``group``), run by
    the generated ``explore_reduced`` loop; fills ``states``/``seen``/``parents``/``edges`` and ``R``
    like the other searches. Returns a description of the reductions that were in force."""
    info: dict[str, object] = {"por": por, "symmetry": False}
    canon = None
    if group is not None:
        canon = group.canonical
        info["symmetry"] = group.describe()
        # Initial states are stored as representatives too; keep the first of each orbit. Properties are
        # invariant under the permutations, so the hits found on the initial states stand.
        reps: list[int] = []
        kept: dict[int, int] = {}
        for s in states:
            c = canon(s)
            if c not in kept:
                kept[c] = len(reps)
                reps.append(c)
        states[:] = reps
        seen.clear()
        seen.update(kept)
        R.n_initial = len(states)  # type: ignore[attr-defined]
        R.want = (1 << (comp.n_always + comp.n_sometimes)) - 1  # type: ignore[attr-defined]
        R.bad = [-1] * comp.n_always  # type: ignore[attr-defined]
        R.wit = [-1] * comp.n_sometimes  # type: ignore[attr-defined]
        for sid, s in enumerate(states):
            m = comp.check(s, R.want)  # type: ignore[attr-defined]
            if m:
                R.hit(m, sid)  # type: ignore[attr-defined]
    cand: dict[int, tuple[int, ...]] = {}
    cand_miss = _candidates(model, comp, cand) if por else (lambda bits: ())
    visible = visible_actions(model) if por else []
    comp.explore_reduced(states, seen, parents, edges, R, max_states, deadline, progress, memcheck,
                         canon, por, cand.get, cand_miss, visible)
    info["ample_states"] = getattr(R, "ample", 0)
    return info


__all__ = ["Independence", "explore_reduced", "future_steps", "visible_actions"]
