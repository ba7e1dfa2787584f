"""Among the shortest counterexamples, pick one with the fewest *events*, then the fewest thread switches.

Breadth-first search makes a counterexample shortest in steps, and every step counts: loop exits, branch
outcomes and bookkeeping weigh as much as the lock and page-cache changes that make the race. An *event*
is a step that changes shared state or an input of the property the trace is about, or snapshots shared
state into a local (``model/observable.py`` says exactly which); the others are purely local. This pass
keeps the length (so ``trace_len`` pins and the agreement with bmc/pdr on the shortest length hold) and,
among all traces of that length, picks one with the fewest events, and among those the fewest thread
switches, deterministically (the smallest action ids).

It runs *after* the search, on the reachable graph layered by BFS depth: the layered dynamic programme of
``switches.py`` over depth-respecting edges (d -> d + 1), with a 0/1 event weight per edge computed from
the packed states (a XOR and two masks). The search itself is untouched.

It must not change verdicts, trace lengths, which property is reported, or lasso (progress) traces, and
it must not run when the search was partial or reduced (``run.py`` decides that).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Callable

from collapsecheck.model.observable import event_rule, is_event
from collapsecheck.result import CheckResult, Trace

if TYPE_CHECKING:
    from collapsecheck.explicit.engine import Exploration


def count_events(model: object, trace: Trace, prop: str | None) -> int:
    """How many steps of ``trace`` are events of ``prop``'s story (needs the trace's states)."""
    st = trace.states
    return sum(1 for k, s in enumerate(trace.steps) if is_event(model, prop, s.action, st[k], st[k + 1]))  # type: ignore[arg-type]


def event_weight(ex: "Exploration", prop: str | None) -> Callable[[int, int, int], int]:
    """``weight(u, v, action)``: 1 when the edge between state ids u and v is an event, else 0. Works on
    the packed states: a changed observed field, a changed snapshot field of that action, or a move of
    the acting thread into or out of a position the property tests."""
    model, pk, packed = ex.model, ex.compiled.packing, ex.packed
    rule = event_rule(model, prop)
    observed = pk.mask(rule.observed)
    per_action = [observed | pk.mask(s) for s in rule.snapshots]
    # per action: the acting thread's pc field (offset, mask, lowest value) and the label sets tested there
    tests: list[tuple[int, int, int, tuple[frozenset[int], ...]]] = []
    for a in model.actions:
        k = model.layout.pc_slot[a.thread]
        tests.append((pk.offset[k], (1 << pk.width[k]) - 1, pk.lo[k], rule.tested_pcs.get(k, ())))

    def weight(u: int, v: int, a: int) -> int:
        su, sv = packed[u], packed[v]
        if (su ^ sv) & per_action[a]:
            return 1
        off, m, lo, sets = tests[a]
        if sets:
            pu, pv = ((su >> off) & m) + lo, ((sv >> off) & m) + lo
            if any((pu in s) != (pv in s) for s in sets):
                return 1
        return 0

    return weight


def prefer_fewest_events(result: CheckResult, ex: "Exploration") -> None:
    """Replace each shortest (non-lasso) counterexample of ``result`` by one of the same length with the
    fewest events, then the fewest thread switches (see the module docstring)."""
    from collapsecheck.explicit.switches import prefer_fewest_switches

    prefer_fewest_switches(result, ex, weigh=event_weight,
                           cost=lambda t, prop: count_events(ex.model, t, prop))
