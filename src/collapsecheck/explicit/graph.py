"""The reachable interleaving graph as a networkx ``DiGraph``, and the analyses networkx does well.

Built only on request from the edges the search recorded (``record_edges``): the hot loop never touches
networkx. Size cap: ``GRAPH_CAP`` states (a DiGraph costs about 2.8 kB per state on this workload, ten times
the compact store), past which analyses report that the graph was too large instead of guessing.
Analyses: non-progress cycles (strongly connected components that avoid every progress state) and
deadlock sinks. This module must not import z3.
"""

from __future__ import annotations

import networkx as nx

from collapsecheck.errors import CollapsecheckError
from collapsecheck.explicit.store import Search
from collapsecheck.expr.evaluate import evaluate
from collapsecheck.model import semantics
from collapsecheck.model.core import Property
from collapsecheck.result.statespace import StateGraph

GRAPH_CAP = 500_000


class GraphTooLarge(CollapsecheckError):
    """The reachable graph exceeds the cap; the analysis that needed it is inconclusive."""


def to_networkx(ex: Search, cap: int = GRAPH_CAP) -> nx.DiGraph:
    """Nodes are state ids (attribute ``state``: the tuple); edges carry ``action``, ``thread``, ``step``."""
    if ex.edges is None:
        raise CollapsecheckError("the search did not record edges; explore with record_edges=True")
    if len(ex.states) > cap:
        raise GraphTooLarge(f"the reachable graph has {len(ex.states):,} states, over the cap of {cap:,}")
    g = nx.DiGraph()
    g.add_nodes_from((k, {"state": s}) for k, s in enumerate(ex.states))
    model = ex.model
    src, dst, act = ex.edges
    g.add_edges_from((a, b, {"action": c, "thread": model.threads[model.actions[c].thread].name,
                             "step": model.action_text(c)}) for a, b, c in zip(src, dst, act))
    return g


def non_progress_cycle(ex: Search, prop: Property, cap: int = GRAPH_CAP,
                       fair: bool = True) -> tuple[list[int], list[int]] | None:
    """A lasso (stem, cycle) of state ids whose cycle never satisfies ``prop``, or None.

    With ``fair`` (the default) only weakly fair cycles count: a thread that is enabled in every state of
    the cycle must take a step in it. (A component has such a cycle iff every thread is disabled somewhere
    in it or moves inside it; the reported cycle passes through one such witness per thread.) The stem is
    a shortest path from an initial state; components and waypoints are taken in state-id order, so the
    answer is deterministic."""
    g = to_networkx(ex, cap)
    model = ex.model
    bad = [k for k, s in enumerate(ex.states) if not evaluate(prop.expr, semantics.StateView(model, s))]
    sub = g.subgraph(bad)
    best: tuple[list[int], list[int]] | None = None
    for comp in nx.strongly_connected_components(sub):
        nodes = sorted(comp)
        if len(nodes) == 1 and not sub.has_edge(nodes[0], nodes[0]):
            continue
        comp_graph = sub.subgraph(nodes)
        waypoints = _fairness_waypoints(ex, comp_graph, nodes) if fair else []
        if waypoints is None:
            continue
        entry = nodes[0]
        stem = ex.path_to(entry)
        if best is not None and len(stem) >= len(best[0]):
            continue
        best = (stem, _tour(comp_graph, entry, waypoints))
    return best


def _fairness_waypoints(ex: Search, comp: nx.DiGraph, nodes: list[int]) -> list[tuple[int, int]] | None:
    """Per thread, an edge it takes inside the component or a state where it is disabled (as a (u, u)
    pseudo-edge); None when some thread is enabled everywhere yet never moves (no fair cycle here)."""
    model = ex.model
    out: list[tuple[int, int]] = []
    for t in model.threads:
        moves = sorted((u, v) for u, v, d in comp.edges(data=True) if model.actions[d["action"]].thread == t.index)
        if moves:
            out.append(moves[0])
            continue
        disabled = [k for k in nodes if not semantics.enabled_cases(model, ex.states[k], t)]
        if not disabled:
            return None
        out.append((disabled[0], disabled[0]))
    return out


def _tour(comp: nx.DiGraph, entry: int, waypoints: list[tuple[int, int]]) -> list[int]:
    """A closed walk from ``entry`` through every waypoint (taking waypoint edges), back to ``entry``."""
    walk = [entry]
    for u, v in waypoints:
        walk += nx.shortest_path(comp, walk[-1], u)[1:]
        if u != v:
            walk.append(v)
    if len(walk) == 1 or walk[-1] != entry:
        back = nx.shortest_path(comp, walk[-1], entry)[1:] if walk[-1] != entry else []
        if not back:  # a cycle through entry itself
            succ = min(comp.successors(entry))
            back = [succ] + (nx.shortest_path(comp, succ, entry)[1:] if succ != entry else [])
        walk += back
    return walk


def cycle_actions(ex: Search, ids: list[int]) -> list[int]:
    """The action of each edge along a path of state ids (the first recorded edge between two states)."""
    src, dst, act = ex.edges  # type: ignore[misc]
    first: dict[tuple[int, int], int] = {}
    wanted = set(zip(ids, ids[1:]))
    for a, b, c in zip(src, dst, act):
        if (a, b) in wanted and (a, b) not in first:
            first[(a, b)] = c
    return [first[(a, b)] for a, b in zip(ids, ids[1:])]


def state_graph(ex: Search) -> StateGraph:
    """The recorded graph as result data (``result.statespace.StateGraph``) for the state-space picture."""
    if ex.edges is None:
        raise CollapsecheckError("the search did not record edges; explore with record_edges=True")
    return StateGraph(ex.model, tuple(ex.states), ex.edges, ex.n_initial, tuple(ex.found.wit), ex.found.deadlock,
                      ex.found.stop is None)
