"""A reduced multi-valued decision diagram of a set of rows, and its translation to one shared Z3 formula.

A set of tens of thousands of states written as a disjunction of cubes is too large for Z3; the same set
as a decision diagram (one level per column, equal sub-diagrams shared) is usually a few thousand nodes,
and its Z3 translation shares every node, so the formula stays that small. This module only represents
sets; it must not decide anything about a model.
"""

from __future__ import annotations

from typing import Callable, Iterable, Sequence

import z3

# A diagram is a list of nodes; node 0 is the accepting leaf, every other node is
# (column, ((value, child id), ...)) with values sorted. The root is the last node.


class Diagram:
    """The reduced decision diagram of a set of rows (each of length ``width``)."""

    def __init__(self, rows: Iterable[Sequence[int]], width: int) -> None:
        self.width = width
        self.nodes: list[tuple] = [("T",)]
        unique: dict[tuple, int] = {}

        def make(col: int, part: list[Sequence[int]]) -> int:
            if col == width:
                return 0
            groups: dict[int, list[Sequence[int]]] = {}
            for r in part:
                groups.setdefault(r[col], []).append(r)
            node = (col, tuple((v, make(col + 1, groups[v])) for v in sorted(groups)))
            got = unique.get(node)
            if got is None:
                got = unique[node] = len(self.nodes)
                self.nodes.append(node)
            return got

        data = list(rows)
        self.root = make(0, data) if data else -1

    def __len__(self) -> int:
        return len(self.nodes) - 1

    def to_z3(self, atom: Callable[[int, int], z3.BoolRef], domain_size: Callable[[int], int]) -> z3.BoolRef:
        """The set as a formula; ``atom(column, value)`` is the literal "column has value". A node whose
        children cover its column's whole domain with one shared child needs no test."""
        if self.root < 0:
            return z3.BoolVal(False)
        memo: list[z3.BoolRef | None] = [z3.BoolVal(True)] + [None] * (len(self.nodes) - 1)
        for k in range(1, len(self.nodes)):  # children are always created before their parents
            col, kids = self.nodes[k]
            if len(kids) == domain_size(col) and len({c for _, c in kids}) == 1:
                memo[k] = memo[kids[0][1]]
                continue
            parts = []
            for v, c in kids:
                child = memo[c]
                assert child is not None
                parts.append(atom(col, v) if z3.is_true(child) else z3.And(atom(col, v), child))
            memo[k] = parts[0] if len(parts) == 1 else z3.Or(parts)
        out = memo[self.root]
        assert out is not None
        return out
