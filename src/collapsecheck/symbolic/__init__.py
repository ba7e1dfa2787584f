"""The symbolic engines: the frozen model as a Z3 transition system, checked by BMC, k-induction and Spacer.

Layout (one job per module):

- ``encode.py``: interpreter 2 of the expression language (expression tree -> Z3 term).
- ``reduction.py``: the page-count reduction: the size-genericity check and how many pages to track.
- ``system.py``: the transition system of a model (state frames, init, transition, targets).
- ``bmc.py``, ``kind.py``, ``chc.py``: the three algorithms.
- ``invariant.py``: re-checking and printing an inductive invariant.
- ``trace.py``: turning a solver model into a replayed :class:`~collapsecheck.result.Trace`.
- ``engines.py``: the registry entry points (``run_bmc``, ``run_kind``, ``run_pdr``).

z3 is imported only below this package, so the explicit engine never loads it. This ``__init__`` must
stay free of imports.
"""
