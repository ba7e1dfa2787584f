"""The gate's entries on several cores: each entry checked in a worker process, the rows handed back in
manifest order.

Entries are independent (each builds its own model and runs its own engines), so the gate's wall time is
about the largest of its workers' shares instead of the sum. The slow entries (the symbolic engines at 512
pages and for every page count, then the explicit entries with the most pinned states) start first, so no
worker is left with a long one at the end. What each worker returns is the same :class:`Row` the
sequential loop builds, less the in-memory exploration (nothing after the check reads it) and the model,
which is built again here for the reports (a pickled model loses the object identities its layout is
keyed by); so reports, summaries and exit codes are byte for byte those of one process. ``--max-memory``
holds per worker. Workers never paint progress (two would overwrite each other's line on one terminal).
This module schedules; it must not compare results with the manifest or format anything.
"""

from __future__ import annotations

import multiprocessing
import os
from concurrent.futures import ProcessPoolExecutor
from typing import Any, Callable

from collapsecheck import progress
from collapsecheck.errors import CollapsecheckError
from collapsecheck.model.core import Model
from collapsecheck.result.rows import Entry, Row

SYMBOLIC = {"prove", "bmc", "kind", "pdr"}

# Worker state, set by each worker's initializer (only ever filled in a worker process).
_STATE: dict[str, Any] = {}


def _init(state: dict[str, Any]) -> None:
    _STATE.update(state)


def _task(k: int) -> Row:
    """The row of entry ``k`` without its model: a model's layout is keyed by the identity of its
    declarations, which a pickled copy does not keep, so the parent builds its own."""
    row = _STATE["run_one"](_STATE["entries"][k])
    row.model = None
    for r in row.results.values():
        r.artifacts = {}  # in-memory only (the explicit exploration, with its generated code)
    return row


def workers(jobs: int | None, entries: int) -> int:
    """Worker processes for ``entries`` entries: ``jobs``, by default one per core; 1 means this process."""
    return max(1, min(jobs or os.cpu_count() or 1, entries))


def cost_order(entries: list[Entry]) -> list[int]:
    """Indices of ``entries``, the slowest first: symbolic engines, then the most pinned states."""
    return sorted(range(len(entries)), key=lambda k: (not (set(entries[k].engines) & SYMBOLIC),
                                                      -(entries[k].states or 0), k))


def run_entries(entries: list[Entry], run_one: Callable[[Entry], Row], jobs: int,
                rebuild: Callable[[Entry], Model], on_row: Callable[[Row], None] | None = None) -> list[Row]:
    """Every entry's row, in the order of ``entries``. ``run_one`` checks one entry (in a worker when
    ``jobs > 1``: a picklable callable, ``functools.partial`` of a module function); ``rebuild`` builds an
    entry's model again in this process, for the reports."""
    rows: list[Row] = []
    if jobs <= 1:
        for k, e in enumerate(entries, 1):
            progress.gate_entry(k, len(entries), e.key)
            rows.append(run_one(e))
            if on_row:
                on_row(rows[-1])
        return rows
    state = {"entries": entries, "run_one": run_one}
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else None
    pool = ProcessPoolExecutor(jobs, mp_context=multiprocessing.get_context(method), initializer=_init,
                               initargs=(state,))
    try:
        futures = {k: pool.submit(_task, k) for k in cost_order(entries)}
        for k, e in enumerate(entries):
            row = futures[k].result()
            try:
                row.model = rebuild(e)
            except CollapsecheckError:
                row.model = None  # the worker's row says why (it failed there the same way)
            rows.append(row)
            if on_row:
                on_row(row)
    except BaseException:
        # an internal error or ^C: the entries not started yet are dropped, not run to the end first
        pool.shutdown(wait=False, cancel_futures=True)
        raise
    pool.shutdown()
    return rows
