"""Among the shortest counterexamples, pick one with the fewest context switches between threads.

Breadth-first search gives *a* shortest trace, but its interleaving is an accident of the expansion
order; a kernel developer reads a race as a short story ("CPU A does this, then CPU B does that"), so a
trace with few switches between threads is far easier to follow and to paste into a commit message.

Method: the reachable graph (re-searched with edges when the exploration did not record them) is layered
by BFS depth; only edges from depth d to d+1 lie on shortest paths. A backward dynamic programme over
those layers computes, for every state and "thread that moved last", the fewest switches still needed to
reach a target state (a violating state, or a deadlock) at the trace's depth; a forward walk then picks,
at every step, the smallest action id that keeps the optimum. The result is the lexicographically
smallest (switches, initial state, action sequence) among all traces of the shortest length, so the
length pinned in the manifest never changes and the choice is deterministic.

This module only re-orders counterexamples; it must not change verdicts, lengths, or which property is
reported, and it never touches lasso (progress) traces, whose shape is not a shortest path.
"""

from __future__ import annotations

from array import array
from typing import TYPE_CHECKING, Callable

from collapsecheck.expr.evaluate import evaluate
from collapsecheck.model import semantics
from collapsecheck.model.core import Property
from collapsecheck.result import CheckResult, Trace, Verdict

if TYPE_CHECKING:
    from collapsecheck.explicit.engine import Exploration

# Re-searching with edges costs about three machine words per transition; past this many states the BFS
# trace is kept (it is just as short, only possibly more interleaved).
SWITCH_CAP = 2_000_000
_INF = 1 << 30


def count_switches(trace: Trace) -> int:
    """How many times the acting thread changes from one step to the next."""
    steps = trace.steps
    return sum(1 for a, b in zip(steps, steps[1:]) if a.thread != b.thread)


def _with_edges(ex: "Exploration", cap: int) -> "Exploration | None":
    """An unreduced exploration of the same model with its edges: ``ex`` itself when it recorded them,
    else a fresh search. Its state ids need not match ``ex`` (a reduced search has other ids); only a
    complete one is used. None when it would exceed ``cap`` states or the time limit."""
    if ex.edges is not None:
        return ex
    from collapsecheck.explicit import engine

    again = engine.explore(ex.model, max_states=cap, timeout=max(60.0, 20 * ex.seconds), record_edges=True)
    if again.found.stop is not None or again.edges is None:
        return None
    return again


def depths(ex: "Exploration") -> array:
    """BFS depth of every state id (parents precede children in the store)."""
    d = array("l", [0]) * len(ex.states)
    n0 = ex.n_initial
    for k in range(n0, len(ex.states)):
        d[k] = d[ex.parents[k - n0]] + 1
    return d


def fewest_switch_path(ex: "Exploration", targets: set[int], length: int,
                       dep: array | None = None,
                       weight: Callable[[int, int, int], int] | None = None) -> tuple[int, list[int]] | None:
    """(start state id, action ids) of a path of exactly ``length`` steps from an initial state to one
    of ``targets`` with the fewest thread switches; None if no target lies at that depth. ``weight(u, v,
    action)`` (0 or 1 per edge, e.g. "is an event") is minimised first, switches break ties."""
    assert ex.edges is not None
    model = ex.model
    T = len(model.threads)
    dep = depths(ex) if dep is None else dep
    thread_of = [a.thread for a in model.actions]
    scale = length + 1  # more than any switch count: one unit of weight outranks every switch
    # Forward adjacency restricted to shortest-path edges (depth d -> d + 1), in recorded order.
    src, dst, act = ex.edges
    succ: dict[int, list[tuple[int, int]]] = {}
    for u, v, a in zip(src, dst, act):
        if dep[v] == dep[u] + 1 and dep[u] < length:
            succ.setdefault(u, []).append((a, v))
    # Edge weights, scaled so that the programme below minimises (weight, switches); computed only for
    # edges into states that can still reach a target, and each at most once.
    memo: dict[tuple[int, int, int], int] = {}

    def w_of(u: int, v: int, a: int) -> int:
        if weight is None:
            return 0
        key = (u, v, a)
        w = memo.get(key)
        if w is None:
            w = memo[key] = weight(u, v, a) * scale
        return w
    # g[v][t]: fewest switches from v to a target at depth ``length`` when thread t moved last
    # (index T stands for "nobody moved yet", which costs no switch).
    g: dict[int, list[int]] = {v: [0] * (T + 1) for v in targets if dep[v] == length}
    if not g:
        return None
    by_depth: dict[int, list[int]] = {}
    for u in succ:
        by_depth.setdefault(dep[u], []).append(u)
    for d in range(length - 1, -1, -1):
        for u in by_depth.get(d, ()):
            best = [_INF] * (T + 1)
            for a, v in succ[u]:
                gv = g.get(v)
                if gv is None:
                    continue
                t = thread_of[a]
                w = w_of(u, v, a)
                for last in range(T + 1):
                    c = gv[t] + w + (last != t and last != T)
                    if c < best[last]:
                        best[last] = c
            if min(best) < _INF:
                g[u] = best
    starts = [(g[s][T], s) for s in range(ex.n_initial) if s in g]
    if not starts:
        return None
    start = min(starts)[1]
    state, last, aids = start, T, []
    for _ in range(length):
        need = g[state][last]
        a, v = min((a, v) for a, v in succ[state]
                   if v in g and g[v][thread_of[a]] + w_of(state, v, a) + (last != thread_of[a] and last != T) == need)
        aids.append(a)
        state, last = v, thread_of[a]
    return start, aids


def _state(ex: "Exploration", k: int) -> tuple:
    """State ``k`` as a tuple (the store may keep states packed into ints)."""
    s = ex.states[k]
    return ex.compiled.decode(s) if isinstance(s, int) else s  # type: ignore[attr-defined]


def _targets_violating(ex: "Exploration", prop: Property, length: int, dep: array) -> set[int]:
    """States at ``length`` that violate ``prop`` (interpreted: only one BFS layer is evaluated)."""
    model = ex.model
    return {v for v in range(len(ex.states))
            if dep[v] == length and not evaluate(prop.expr, semantics.StateView(model, _state(ex, v)))}


def _targets_deadlock(ex: "Exploration", length: int, dep: array) -> set[int]:
    assert ex.edges is not None
    moving = set(ex.edges[0])
    return {v for v in range(len(ex.states)) if dep[v] == length and v not in moving
            and not semantics.terminal_ok(ex.model, _state(ex, v))}


# A secondary objective minimised before switches: (exploration with edges, property or None for a
# deadlock path) -> edge weight function, and (trace, property) -> the same cost summed over a trace.
Weigh = Callable[["Exploration", "str | None"], Callable[[int, int, int], int]]
Cost = Callable[[Trace, "str | None"], int]


def prefer_fewest_switches(result: CheckResult, ex: "Exploration", cap: int = SWITCH_CAP,
                           weigh: Weigh | None = None, cost: Cost | None = None) -> None:
    """Replace every shortest (non-lasso) counterexample of ``result`` by one of the same length with the
    fewest thread switches (with ``weigh``/``cost``: the smallest cost first, then the fewest switches).
    Leaves the result alone when the search was partial or the graph too big."""
    if result.bound != "exhaustive" or len(ex.states) > cap:
        return
    lassos = set(result.extra.get("cycle_start", {}))
    always = [p.name for p in ex.model.always]
    wanted = {n: t for n, t in result.violations.items() if n in always and n not in lassos}
    if not wanted and result.deadlock is None:
        return
    full = _with_edges(ex, cap)
    if full is None:
        return
    dep = depths(full)
    from collapsecheck.explicit.engine import make_trace

    def better(old: Trace, targets: set[int], prop: str | None) -> Trace:
        found = fewest_switch_path(full, targets, len(old), dep, weigh(full, prop) if weigh else None)
        if found is None:  # cannot happen for a BFS trace; keep the original rather than guess
            return old
        start, aids = found
        states = semantics.replay(full.model, _state(full, start), aids)
        new = make_trace(full.model, states, aids)

        def score(t: Trace) -> tuple[int, int]:
            return (cost(t, prop) if cost else 0, count_switches(t))

        return new if score(new) <= score(old) else old

    for name, old in wanted.items():
        new = better(old, _targets_violating(full, ex.model.property(name), len(old), dep), name)
        result.violations[name] = new
        if result.property == name:
            result.trace = new
    if result.deadlock is not None:
        new = better(result.deadlock, _targets_deadlock(full, len(result.deadlock), dep), None)
        if result.verdict == Verdict.DEADLOCK:
            result.trace = new
        result.deadlock = new
