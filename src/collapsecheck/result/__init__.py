"""What the engines found, as data: the layer between the engines (which fill it in) and the reporters
(which read only this).

- ``check.py``: ``Verdict`` and the exit codes, ``Trace``/``TraceStep``, ``Stats``, ``CheckResult``.
- ``rows.py``: a manifest ``Entry`` (the expectation) and its ``Row`` (the results of the gate).
- ``statespace.py``: ``StateGraph``, the reachable interleaving graph of a small model as plain data.

Everything in ``check.py`` is importable from ``collapsecheck.result`` itself. This package must not run
engines, load models or manifests, print, or format.
"""

from __future__ import annotations

# Re-export every public name of check.py (the former collapsecheck/result.py), including names added later.
from collapsecheck.result.check import *  # noqa: F401,F403
