"""The reachable interleaving graph of a small model, as plain data (:class:`StateGraph`).

An engine that records its transitions (the explicit engine, ``explicit/graph.py: state_graph``) fills
it in; the state-space picture (``report/statespace.py``) draws it. It must not run a search, decide
verdicts or draw anything.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Sequence

from collapsecheck.model.core import Model


@dataclass(frozen=True)
class StateGraph:
    """States in search order (a state's id is its position), the recorded transitions, and what the
    search found at which state."""

    model: Model
    states: Sequence[tuple]  # id -> state tuple (in model.layout order)
    edges: tuple[Sequence[int], Sequence[int], Sequence[int]]  # (source ids, target ids, action ids)
    n_initial: int  # ids below this are initial states
    witnesses: Sequence[int]  # per sometimes property, in declaration order: first state reaching it, or -1
    deadlock: int  # a deadlocked state's id, or -1
    complete: bool  # the search ended without hitting a limit (else the graph is a prefix)


__all__ = ["StateGraph"]
