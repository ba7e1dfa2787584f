"""The explicit-state engine: exhaustive breadth-first search over every interleaving.

It drives the generated search of ``codegen.py``, keeps the compact store (a dict of state tuples to ids,
with parent and action arrays), and turns what the search found into a verdict with shortest traces. The
reachable graph is recorded only when asked (``record_edges``) and materialised as a networkx graph by
``explicit/graph.py``. It must not import z3, and it never reports ``holds`` after hitting a limit.
"""

from __future__ import annotations

import time
from array import array
from dataclasses import dataclass, field
from typing import Callable

from collapsecheck.errors import ModelError
from collapsecheck.explicit.codegen import Compiled, compile_model
from collapsecheck.model import semantics
from collapsecheck.model.core import Model
from collapsecheck.result import CheckResult, Stats, Trace, TraceStep, Verdict


@dataclass
class _Progress:
    """Mutable record shared with the generated search (the ``R`` argument)."""

    n_always: int
    flags: list[bool]
    next: int = 0
    transitions: int = 0
    stop: str | None = None
    bad: list[int] = field(default_factory=list)
    wit: list[int] = field(default_factory=list)
    deadlock: int = -1

    def __post_init__(self) -> None:
        self.bad = [-1] * self.n_always
        self.wit = [-1] * len(self.flags)

    def hit(self, mask: int, sid: int) -> None:
        for k in range(self.n_always):
            if mask >> k & 1 and self.bad[k] < 0:
                self.bad[k] = sid
        for k in range(len(self.flags)):
            if mask >> (self.n_always + k) & 1 and self.wit[k] < 0:
                self.wit[k] = sid
                self.flags[k] = True

    def dead(self, sid: int) -> None:
        if self.deadlock < 0:
            self.deadlock = sid


@dataclass
class Exploration:
    """The outcome of a search: the store, parent links and what was found (state ids)."""

    model: Model
    states: list[tuple]
    parents: array
    actions: array
    n_initial: int
    found: _Progress
    edges: tuple[array, array, array] | None
    seconds: float
    compiled: Compiled

    def path_to(self, sid: int) -> list[int]:
        """State ids from an initial state to ``sid`` (BFS parents: a shortest path)."""
        path = [sid]
        while sid >= self.n_initial:
            sid = self.parents[sid - self.n_initial]
            path.append(sid)
        path.reverse()
        return path

    def trace_to(self, sid: int) -> Trace:
        ids = self.path_to(sid)
        states = [self.states[k] for k in ids]
        aids = [self.actions[k - self.n_initial] for k in ids[1:]]
        return make_trace(self.model, states, aids)

    def depth(self) -> int:
        return len(self.path_to(len(self.states) - 1)) - 1 if self.states else 0


def make_trace(model: Model, states: list[tuple], aids: list[int]) -> Trace:
    steps = []
    for k, aid in enumerate(aids):
        a = model.actions[aid]
        t = model.threads[a.thread]
        st = t.steps[a.step]
        steps.append(TraceStep(t.name, st.name, st.cases[a.case].label, aid,
                               tuple(semantics.changes(model, states[k], states[k + 1]))))
    return Trace(semantics.describe_state(model, states[0]), tuple(steps), tuple(states))


def explore(model: Model, *, max_states: int = 5_000_000, timeout: float = 3600.0, record_edges: bool = False,
            progress: Callable[[object, list[tuple]], None] | None = None,
            compiled: Compiled | None = None) -> Exploration:
    """Breadth-first search of every reachable state (stops early only at ``max_states``/``timeout``)."""
    t0 = time.monotonic()
    comp = compiled or compile_model(model, record_edges)
    for k in range(len(comp.witness_flags)):
        comp.witness_flags[k] = False
    found = _Progress(comp.n_always, comp.witness_flags)
    states: list[tuple] = []
    seen: dict[tuple, int] = {}
    for s in semantics.initial_states(model):
        if s not in seen:
            seen[s] = len(states)
            mask = comp.props(s)
            if mask:
                found.hit(mask, len(states))
            states.append(s)
    if not states:
        raise ModelError("the model has no initial state (assume_init excludes every choice)", None,
                         f"model {model.name}")
    parents = array("q")
    actions = array("l")
    edges = (array("q"), array("q"), array("l")) if record_edges else None
    deadline = t0 + timeout
    n_init = len(states)
    comp.explore(states, seen, parents, actions, edges, found, max_states, deadline, progress)
    return Exploration(model, states, parents, actions, n_init, found, edges, time.monotonic() - t0, comp)


def check(model: Model, *, max_states: int = 5_000_000, timeout: float = 3600.0,
          progress: Callable[[object, list[tuple]], None] | None = None, record_edges: bool = False,
          ) -> tuple[CheckResult, Exploration]:
    """Explore and decide the verdict; returns the result and the exploration (for graphs and reports)."""
    # Progress properties need the graph: non-progress cycles are found on its strongly connected components.
    record = record_edges or bool(model.progress)
    ex = explore(model, max_states=max_states, timeout=timeout, progress=progress, record_edges=record)
    return verdict_of(ex), ex


def verdict_of(ex: Exploration) -> CheckResult:
    model, found = ex.model, ex.found
    stats = Stats(len(ex.states), found.transitions, ex.depth(), ex.seconds)
    res = CheckResult(model.name, dict(model.params), "explicit", Verdict.HOLDS, stats=stats)
    for k, p in enumerate(model.always):
        if found.bad[k] >= 0:
            res.violations[p.name] = ex.trace_to(found.bad[k])
    for k, p in enumerate(model.sometimes):
        res.witnesses[p.name] = len(ex.path_to(found.wit[k])) - 1 if found.wit[k] >= 0 else None
    complete = found.stop is None
    res.bound = "exhaustive" if complete else f"partial ({found.stop} limit)"
    res.unreached = unreached_steps(ex) if complete else []
    if complete:
        _progress_cycles(ex, res)
    if found.deadlock >= 0:
        res.deadlock = ex.trace_to(found.deadlock)
    if res.violations:
        # The primary violation is the first violated property in declaration order: model authors list
        # the property a fix is about first. Every violated property keeps its own shortest trace.
        name = min(res.violations, key=lambda n: _decl_order(model, n))
        res.verdict, res.property, res.trace = Verdict.VIOLATED, name, res.violations[name]
    elif found.deadlock >= 0:
        res.verdict, res.trace = Verdict.DEADLOCK, ex.trace_to(found.deadlock)
        res.blocked = semantics.blocked_threads(model, ex.states[found.deadlock])
        res.message = "no thread can move, and " + ", ".join(f"{t} is blocked at {s}" for t, s in res.blocked)
    elif not complete or res.bound != "exhaustive":
        res.verdict = Verdict.INCONCLUSIVE
        if not complete:
            res.message = (f"stopped at the {found.stop} limit after {len(ex.states)} states; "
                           "nothing was violated so far, but the search is incomplete")
    elif any(v is None for v in res.witnesses.values()):
        missing = [n for n, v in res.witnesses.items() if v is None]
        res.verdict, res.property = Verdict.VACUOUS, missing[0]
        res.message = "witness never reached: " + ", ".join(missing)
    return res


def _progress_cycles(ex: Exploration, res: CheckResult) -> None:
    """Record a lasso counterexample for every progress property that has a non-progress cycle."""
    from collapsecheck.explicit import graph

    for p in ex.model.progress:
        try:
            lasso = graph.non_progress_cycle(ex, p)
        except graph.GraphTooLarge as e:
            res.message = f"progress property {p.name} not checked: {e}"
            res.bound = "partial (graph cap)"
            continue
        if lasso is None:
            continue
        stem, cycle = lasso
        ids = stem + cycle[1:]
        aids = [ex.actions[k - ex.n_initial] for k in stem[1:]] + graph.cycle_actions(ex, cycle)
        res.violations[p.name] = make_trace(ex.model, [ex.states[k] for k in ids], aids)
        res.extra.setdefault("cycle_start", {})[p.name] = len(stem) - 1


def _decl_order(model: Model, name: str) -> int:
    return [p.name for p in model.properties].index(name)


def unreached_steps(ex: Exploration) -> list[str]:
    """``thread:step`` of every step that no reachable state is at (dead code in the model)."""
    model = ex.model
    out = []
    for t in model.threads:
        slot = model.layout.pc_slot[t.index]
        pcs = {s[slot] for s in ex.states}
        out += [f"{t.name}:{st.name}" for k, st in enumerate(t.steps) if k not in pcs]
    return out
