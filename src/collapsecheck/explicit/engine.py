"""The explicit-state engine: exhaustive breadth-first search over every interleaving.

It drives the generated search of ``codegen.py`` over packed states (``packing.py``), keeps the compact
store (a list of packed states in BFS order and a dict from each state to its parent's id; ``store.py``
gives the tuple/parent/action views), and turns what the search found into a verdict with shortest
traces. The cyclic garbage collector is paused during a search. Actions are not stored: the action from
a parent to its child is recomputed on demand (the first enabled action, in order, that leads there,
which is the one BFS used). The reachable graph is recorded only when asked (``record_edges``) and
materialised as a networkx graph by ``explicit/graph.py``. Reductions (``por.py``) give verdicts;
shortest counterexamples are then rebuilt by an unreduced search that stops when it has them. It must
not import z3, and it never reports ``holds`` after hitting a limit.
"""

from __future__ import annotations

import gc
import time
import weakref
from array import array
from dataclasses import dataclass, field
from typing import Callable, Sequence

from collapsecheck import progress as status
from collapsecheck.errors import ModelError, ModelRuntimeError
from collapsecheck.limits import rss_bytes
from collapsecheck.explicit import initial
from collapsecheck.explicit.codegen import Compiled, compile_model
from collapsecheck.explicit.store import Actions, DictParents, PackedStates
from collapsecheck.model import semantics
from collapsecheck.model.core import Model
from collapsecheck.result import CheckResult, Stats, Trace, TraceStep, Verdict

_COMPILED: "weakref.WeakKeyDictionary[Model, Compiled]" = weakref.WeakKeyDictionary()


def compiled_for(model: Model) -> Compiled:
    """The compiled search of ``model``, generated once per model object (its caches are reused)."""
    comp = _COMPILED.get(model)
    if comp is None:
        comp = _COMPILED[model] = compile_model(model)
    return comp


@dataclass
class _Progress:
    """Mutable record shared with the generated search (the ``R`` argument)."""

    n_always: int
    n_sometimes: int
    check_deadlock: bool = True
    next: int = 0
    transitions: int = 0
    stop: str | None = None
    bad: list[int] = field(default_factory=list)
    wit: list[int] = field(default_factory=list)
    deadlock: int = -1
    want: int = 0  # properties still looked for: always ones not yet violated, witnesses not yet reached
    parents: Sequence[int] | None = field(default=None, repr=False)
    n_initial: int = 0
    stop_when_found: int = 0  # stop once these property bits are all found (trace rebuilding) ...
    stop_on_deadlock: bool = False  # ... and a deadlock too
    error: ModelRuntimeError | None = None  # the shallowest run-time model error the search met
    note: str = ""  # why the search stopped before it started (initial states over a limit)

    def __post_init__(self) -> None:
        self.bad = [-1] * self.n_always
        self.wit = [-1] * self.n_sometimes
        self.want = (1 << (self.n_always + self.n_sometimes)) - 1

    def hit(self, mask: int, sid: int) -> int:
        for k in range(self.n_always):
            if mask >> k & 1 and self.bad[k] < 0:
                self.bad[k] = sid
        for k in range(self.n_sometimes):
            if mask >> (self.n_always + k) & 1 and self.wit[k] < 0:
                self.wit[k] = sid
        self.want &= ~mask
        return 0 if self._done() else self.want

    def dead(self, sid: int) -> bool:
        """Record a deadlock; True when the search should stop now (the generated loop then ends)."""
        if self.deadlock < 0:
            self.deadlock = sid
        return self._done()

    def _done(self) -> bool:
        if not (self.stop_when_found or self.stop_on_deadlock):
            return False
        if self.want & self.stop_when_found or (self.stop_on_deadlock and self.deadlock < 0):
            return False
        self.stop = "found"
        return True

    def depth_of(self, sid: int) -> int:
        d = 0
        if self.parents is None:
            return 0
        while sid >= self.n_initial:
            sid = self.parents[sid - self.n_initial]
            d += 1
        return d

    @property
    def flags(self) -> list[bool]:
        """Witness k was reached (kept for callers of the former store)."""
        return [w >= 0 for w in self.wit]


@dataclass
class Exploration:
    """The outcome of a search: the store, parent links and what was found (state ids)."""

    model: Model
    packed: list[int]
    parents: Sequence[int]  # an array, or a view of the plain search's dict
    n_initial: int
    found: _Progress
    edges: tuple[array, array, array] | None
    seconds: float
    compiled: Compiled
    reduction: dict[str, object] = field(default_factory=dict)  # which reductions shaped this store
    group: object = None  # the symmetry group when states are orbit representatives


    @property
    def states(self) -> PackedStates:
        return PackedStates(self.packed, self.compiled)

    @property
    def actions(self) -> Actions:
        return Actions(self)

    def path_to(self, sid: int) -> list[int]:
        """State ids from an initial state to ``sid`` (BFS parents: a shortest path when unreduced)."""
        path = [sid]
        while sid >= self.n_initial:
            sid = self.parents[sid - self.n_initial]
            path.append(sid)
        path.reverse()
        return path

    def trace_to(self, sid: int) -> Trace:
        ids = self.path_to(sid)
        dec = self.compiled.decode
        if self.group is not None:
            from collapsecheck.explicit.symmetry import concrete_path

            packed, aids = concrete_path(self.model, self.compiled, self.group,  # type: ignore[arg-type]
                                         [self.packed[k] for k in ids])
            return make_trace(self.model, [dec(s) for s in packed], aids)
        states = [dec(self.packed[k]) for k in ids]
        acts = self.actions
        aids = [acts[k - self.n_initial] for k in ids[1:]]
        return make_trace(self.model, states, aids)

    def depth(self) -> int:
        return len(self.path_to(len(self.packed) - 1)) - 1 if self.packed else 0


def make_trace(model: Model, states: list[tuple], aids: list[int]) -> Trace:
    steps = []
    for k, aid in enumerate(aids):
        a = model.actions[aid]
        t = model.threads[a.thread]
        st = t.steps[a.step]
        steps.append(TraceStep(t.name, st.name, st.cases[a.case].label, aid,
                               tuple(semantics.changes(model, states[k], states[k + 1]))))
    return Trace(semantics.describe_state(model, states[0]), tuple(steps), tuple(states))


def _memory_check(max_memory: int | None) -> Callable[[], bool] | None:
    """A check the search calls every 16K states: True once resident memory exceeds the limit."""
    if max_memory is None:
        return None
    limit = int(max_memory)
    return lambda: rss_bytes() > limit


def initial_packed(model: Model, comp: Compiled, budget: initial.Budget | None = None) -> list[int]:
    """The initial states, packed, in the reference order (constraints run as generated code)."""
    enc, ok = comp.encode, comp.init_ok
    return [enc(s) for s in initial.initial_states(model, check=lambda ci, st: ok(ci, enc(st)), budget=budget)]


def explore(model: Model, *, max_states: int = 5_000_000, timeout: float = 3600.0, record_edges: bool = False,
            progress: Callable[[object, list], None] | None = None, compiled: Compiled | None = None,
            max_memory: int | None = None, por: bool = False, symmetry: bool = False,
            stop_when_found: int = 0, stop_on_deadlock: bool = False) -> Exploration:
    """Breadth-first search of every reachable state (stops early only at a limit).

    ``max_memory`` (bytes of resident memory) ends the search like the other limits. ``por`` and
    ``symmetry`` explore a reduced store (see ``por.py``/``symmetry.py``); its state ids, parents and
    traces are valid but not those of the full graph. ``stop_when_found`` (property bits) ends the search
    as soon as each of those properties has its first hit, and ``stop_on_deadlock`` once a deadlock is
    found too (used to rebuild shortest traces); such a search ends with ``found.stop == "found"``."""
    t0 = time.monotonic()
    comp = compiled or compiled_for(model)
    found = _Progress(comp.n_always, comp.n_sometimes, check_deadlock=model.check_deadlock)
    found.stop_when_found = stop_when_found
    found.stop_on_deadlock = stop_on_deadlock
    comp.namespace["ERRORS"].clear()  # run-time model errors met by this search (codegen ``_guarded``)
    comp.namespace["ERRSTATES"].clear()  # ... and the states whose step raised one (never deadlocks)
    memcheck = _memory_check(max_memory)
    status.phase("initial states")
    try:
        packed = initial_packed(model, comp, initial.Budget(max_states, t0 + timeout, memcheck))
    except initial.Refused as e:
        # Counted (or timed) before listing: nothing is stored, nothing was searched.
        found.stop, found.note = e.kind, e.text
        return Exploration(model, [], array("l"), 0, found, None, time.monotonic() - t0, comp)
    if not packed:
        raise ModelError("the model has no initial state (assume_init excludes every choice)", None,
                         f"model {model.name}")
    parents: Sequence[int] = array("l")
    found.parents = parents
    found.n_initial = len(packed)
    status.phase("breadth-first search")
    status.figures(initial_states=len(packed))
    try:
        for sid, s in enumerate(packed):
            m = comp.check(s, found.want)
            if m:
                found.hit(m, sid)
    except ModelRuntimeError as e:  # a property reads outside an array in an initial state
        found.error, found.stop = e, "error"
    found._done()  # what a trace rebuild asks for may already be in an initial state
    edges = (array("l"), array("l"), array("l")) if record_edges else None
    seen: dict[int, int]
    reduction: dict[str, object] = {}
    # The store is millions of small ints that never form cycles: the cyclic collector only wastes time
    # scanning them (a full collection per 700 allocations), so it is paused during the search.
    gc_was = gc.isenabled()
    gc.disable()
    group = None
    if symmetry:
        from collapsecheck.explicit import symmetry as _sym

        group = _sym.find(model, comp)
        if group is None:
            reduction = {"por": False, "symmetry": "none found"}  # nothing to reduce: the exact search
    try:
        if found.stop is not None:
            pass
        elif por or group is not None:
            from collapsecheck.explicit import por as _por

            seen = {s: k for k, s in enumerate(packed)}
            reduction = _por.explore_reduced(model, comp, packed, seen, parents, edges, found, max_states,
                                             t0 + timeout, progress, memcheck, por=por, group=group)
            if group is None:
                reduction["symmetry"] = "none found" if symmetry else False
        elif found.stop is None:
            if record_edges:
                seen = {s: k for k, s in enumerate(packed)}
                comp.explore_edges(packed, seen, parents, edges, found, max_states, t0 + timeout, progress,
                                   memcheck)
            else:
                seen = dict.fromkeys(packed, -1)
                parents = found.parents = DictParents(seen, packed, found.n_initial)  # type: ignore[assignment]
                comp.explore(packed, seen, None, None, found, max_states, t0 + timeout, progress, memcheck)
    except ModelRuntimeError as e:
        # A step or property met an out-of-range value or index: BFS meets the shallowest such state
        # first (every state of depth <= d is generated before a state of depth d is expanded).
        found.error, found.stop = e, "error"
    finally:
        if gc_was:
            gc.enable()
    if reduction.get("symmetry") == "none found" and not reduction.get("por"):
        reduction = {}  # the store is the exact one (state counts stay comparable with the pins)
    ex = Exploration(model, packed, parents, found.n_initial, found, edges, time.monotonic() - t0, comp,
                     reduction, group)
    errors = list(comp.namespace["ERRORS"])
    if errors and found.error is None:
        # The shallowest state where a step or property met an out-of-range value or index.
        index = {s: k for k, s in enumerate(packed)}
        found.error = min(errors, key=lambda e: len(ex.path_to(index[e.state])) if e.state in index else 0)
    return ex


def check(model: Model, *, max_states: int = 5_000_000, timeout: float = 3600.0,
          progress: Callable[[object, list], None] | None = None, record_edges: bool = False,
          max_memory: int | None = None, por: bool = False, symmetry: bool = False,
          ) -> tuple[CheckResult, Exploration]:
    """Explore and decide the verdict; returns the result and the exploration (for graphs and reports)."""
    # Progress properties need the graph: non-progress cycles are found on its strongly connected components.
    record = record_edges or bool(model.progress)
    reduce = (por or symmetry) and not model.progress  # reductions here preserve safety, not cycles
    ex = explore(model, max_states=max_states, timeout=timeout, progress=progress, record_edges=record,
                 max_memory=max_memory, por=por and reduce, symmetry=symmetry and reduce)
    res = verdict_of(ex)
    if ex.reduction and res.verdict == Verdict.ERROR:
        # The shortest path to the error is the unreduced search's: it stops at the same error.
        ex = explore(model, max_states=max_states, timeout=timeout, progress=progress, record_edges=record,
                     max_memory=max_memory)
        return verdict_of(ex), ex
    if ex.reduction:
        _shortest_traces(ex, res, max_states=max_states, timeout=timeout, max_memory=max_memory)
    return res, ex


def verdict_of(ex: Exploration) -> CheckResult:
    model, found = ex.model, ex.found
    stats = Stats(len(ex.packed), found.transitions, ex.depth(), ex.seconds)
    res = CheckResult(model.name, dict(model.params), "explicit", Verdict.HOLDS, stats=stats)
    for k, p in enumerate(model.always):
        if found.bad[k] >= 0:
            res.violations[p.name] = ex.trace_to(found.bad[k])
    for k, p in enumerate(model.sometimes):
        res.witnesses[p.name] = len(ex.path_to(found.wit[k])) - 1 if found.wit[k] >= 0 else None
    complete = found.stop is None
    res.bound = "exhaustive" if complete else f"partial ({found.stop} limit)"
    res.unreached = unreached_steps(ex) if complete and not ex.reduction else []
    if complete:
        _progress_cycles(ex, res)
    if found.deadlock >= 0:
        res.deadlock = ex.trace_to(found.deadlock)
    if ex.reduction:
        res.extra["reduction"] = dict(ex.reduction)
    if found.error is not None and _model_error(ex, res, found.error):
        return res
    if res.violations:
        # The primary violation is the first violated property in declaration order: model authors list
        # the property a fix is about first. Every violated property keeps its own shortest trace.
        name = min(res.violations, key=lambda n: _decl_order(model, n))
        res.verdict, res.property, res.trace = Verdict.VIOLATED, name, res.violations[name]
    elif found.deadlock >= 0:
        res.verdict, res.trace = Verdict.DEADLOCK, ex.trace_to(found.deadlock)
        res.blocked = semantics.blocked_threads(model, ex.compiled.decode(ex.packed[found.deadlock]))
        res.message = "no thread can move, and " + ", ".join(f"{t} is blocked at {s}" for t, s in res.blocked)
    elif not complete or res.bound != "exhaustive":
        res.verdict = Verdict.INCONCLUSIVE
        if found.note:
            res.message = f"stopped at the {found.stop} limit before the search: {found.note}"
        elif not complete:
            res.message = (f"stopped at the {found.stop} limit in the breadth-first search after "
                           f"{len(ex.packed):,} states "
                           f"({found.transitions:,} transitions); nothing was violated so far, but the search "
                           "is incomplete")
    elif any(v is None for v in res.witnesses.values()):
        missing = [n for n, v in res.witnesses.items() if v is None]
        res.verdict, res.property = Verdict.VACUOUS, missing[0]
        res.message = "witness never reached: " + ", ".join(missing)
    return res


def _model_error(ex: Exploration, res: CheckResult, err: ModelRuntimeError) -> bool:
    """Record a run-time model error; True when it is the verdict. When some violation has a strictly
    shorter trace, the violations stay the verdict (bmc ranks them the same way: the shallower target
    first), and the error is noted."""
    try:
        sid = ex.packed.index(err.state)  # type: ignore[arg-type]
    except ValueError:
        sid = None  # an initial state that failed its own check
    trace = ex.trace_to(sid) if sid is not None else make_trace(ex.model, [ex.compiled.decode(err.state)], [])  # type: ignore[arg-type]
    err.trace = trace
    res.extra["model_error"] = {"message": err.message, "context": err.context,
                                "file": err.loc.file if err.loc else None, "line": err.loc.line if err.loc else None,
                                "trace_len": len(trace)}
    shorter = {n: t for n, t in res.violations.items() if len(t) < len(trace)}
    res.unreached = []
    if shorter:
        res.bound = "exhaustive, except the transitions that raise a run-time model error"
        res.message = f"also a run-time model error after {len(trace)} steps: {err}"
        return False
    res.violations = {}
    res.verdict, res.trace, res.property = Verdict.ERROR, trace, None
    if res.bound == "exhaustive":
        res.bound = "exhaustive, a run-time model error is reachable"
    res.message = str(err)
    return True


def _shortest_traces(ex: Exploration, res: CheckResult, *, max_states: int, timeout: float,
                     max_memory: int | None) -> None:
    """After a reduced search: rebuild every counterexample as a shortest one with an unreduced BFS that
    stops as soon as it has them all. The verdict stays the reduced search's; if the rebuild hits a
    limit, the reduced (valid, possibly longer) traces are kept and marked ``trace_minimal: false``.
    Witness depths are not rebuilt (that would often cost a full search): under a reduction they are
    the depths in the reduced graph, an upper bound, marked ``witness_depth_minimal: false``."""
    model = ex.model
    if res.witnesses:
        res.extra["witness_depth_minimal"] = False
    want = 0
    for k, p in enumerate(model.always):
        if p.name in res.violations:
            want |= 1 << k
    need_deadlock = res.deadlock is not None
    if not want and not need_deadlock:
        return
    full = explore(model, max_states=max_states, timeout=timeout, max_memory=max_memory,
                   stop_when_found=want, stop_on_deadlock=need_deadlock)
    if full.found.stop is not None and full.found.stop != "found":
        res.extra["trace_minimal"] = False
        return
    for k, p in enumerate(model.always):
        if p.name in res.violations and full.found.bad[k] >= 0:
            res.violations[p.name] = full.trace_to(full.found.bad[k])
    if res.property in res.violations:
        res.trace = res.violations[res.property]
    if need_deadlock and full.found.deadlock >= 0:
        res.deadlock = full.trace_to(full.found.deadlock)
        if res.verdict == Verdict.DEADLOCK:
            res.trace = res.deadlock
            res.blocked = semantics.blocked_threads(model, full.compiled.decode(full.packed[full.found.deadlock]))
    res.extra["trace_minimal"] = True


def _progress_cycles(ex: Exploration, res: CheckResult) -> None:
    """Record a lasso counterexample for every progress property that has a non-progress cycle."""
    if not ex.model.progress:
        return  # and do not import networkx
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
        acts = ex.actions
        aids = [acts[k - ex.n_initial] for k in stem[1:]] + graph.cycle_actions(ex, cycle)
        dec = ex.compiled.decode
        res.violations[p.name] = make_trace(ex.model, [dec(ex.packed[k]) for k in ids], aids)
        res.extra.setdefault("cycle_start", {})[p.name] = len(stem) - 1


def _decl_order(model: Model, name: str) -> int:
    return [p.name for p in model.properties].index(name)


def unreached_steps(ex: Exploration) -> list[str]:
    """``thread:step`` of every step that no reachable state is at (dead code in the model).

    Every expanded state looked up each thread's transition cache under a key that holds the thread's
    pc, so after a complete search the pcs in the cache keys are exactly the reached ones (the caches may
    also hold keys of earlier searches of the same model: reachable states too)."""
    model, comp = ex.model, ex.compiled
    out = []
    for t in model.threads:
        slot = model.layout.pc_slot[t.index]
        o, w = comp.packing.offset[slot], comp.packing.width[slot]
        m = (1 << w) - 1
        pcs = {(key >> o) & m for key in comp.caches[t.index]}
        if not ex.packed or len(pcs) == 0:
            pcs = {(s >> o) & m for s in ex.packed}
        out += [f"{t.name}:{st.name}" for k, st in enumerate(t.steps) if k not in pcs]
    return out
