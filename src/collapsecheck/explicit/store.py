"""Read-only views that make the packed store look like the former one (tuples, parents, actions).

The search keeps packed ints in BFS order and, in its plain form, a dict from each state to its parent's
id; it stores no action ids. Other modules (graphs, traces, switch minimisation, tests) index
``states``/``parents``/``actions`` as sequences: these views decode or recompute on access. They must not
copy the store.
"""

from __future__ import annotations

from array import array
from typing import Any, Iterator, Protocol, Sequence

from collapsecheck.errors import ModelError
from collapsecheck.explicit.codegen import Compiled
from collapsecheck.model.core import Model


class Search(Protocol):
    """What the views here and the graph analyses (``graph.py``) read of a finished search.

    ``engine.Exploration`` is the one implementation; naming it structurally keeps these modules below
    the engine (which imports them) instead of importing it back."""

    model: Model
    packed: list[int]
    parents: Sequence[int]
    n_initial: int
    found: Any  # the engine's record of what was found at which state id (bad, wit, deadlock, stop)
    edges: tuple[array, array, array] | None
    compiled: Compiled

    @property
    def states(self) -> Sequence[tuple]: ...

    def path_to(self, sid: int) -> list[int]: ...


class PackedStates(Sequence):
    """The store seen as a sequence of state tuples (decoded on access; the store keeps packed ints)."""

    def __init__(self, packed: list[int], comp: Compiled) -> None:
        self.packed = packed
        self._decode = comp.packing.decode

    def __len__(self) -> int:
        return len(self.packed)

    def __getitem__(self, k):  # type: ignore[no-untyped-def]
        if isinstance(k, slice):
            return [self._decode(s) for s in self.packed[k]]
        return self._decode(self.packed[k])

    def __iter__(self) -> Iterator[tuple]:
        dec = self._decode
        return (dec(s) for s in self.packed)

    def __eq__(self, other: object) -> bool:
        if isinstance(other, PackedStates):
            return self.packed == other.packed
        if isinstance(other, (list, tuple)):
            return len(other) == len(self) and all(a == b for a, b in zip(self, other))
        return NotImplemented

    def __ne__(self, other: object) -> bool:
        eq = self.__eq__(other)
        return eq if eq is NotImplemented else not eq

    __hash__ = None  # type: ignore[assignment]


class DictParents(Sequence):
    """``parents[k]``: the parent id of state ``n_initial + k``, read from the plain search's store (a
    dict from each state to its parent's id, which saves a separate parent array)."""

    def __init__(self, seen: dict[int, int], packed: list[int], n_initial: int) -> None:
        self.seen, self.packed, self.n_initial = seen, packed, n_initial

    def __len__(self) -> int:
        return len(self.packed) - self.n_initial

    def __getitem__(self, k):  # type: ignore[no-untyped-def]
        if isinstance(k, slice):
            return [self[j] for j in range(*k.indices(len(self)))]
        if k < 0:
            k += len(self)
        return self.seen[self.packed[self.n_initial + k]]


class Actions(Sequence):
    """``actions[k]``: the action that led BFS to state ``n_initial + k`` (recomputed, not stored)."""

    def __init__(self, ex: Search) -> None:
        self.ex = ex

    def __len__(self) -> int:
        return len(self.ex.parents)

    def __getitem__(self, k):  # type: ignore[no-untyped-def]
        if isinstance(k, slice):
            return [self[j] for j in range(*k.indices(len(self)))]
        ex = self.ex
        if k < 0:
            k += len(self)
        child = ex.packed[ex.n_initial + k]
        for aid, t in ex.compiled.successors_packed(ex.packed[ex.parents[k]]):
            if t == child:
                return aid
        raise ModelError(f"internal: state {ex.n_initial + k} is not a successor of its recorded parent")


__all__ = ["Search", "PackedStates", "DictParents", "Actions"]
