"""The options every engine reads: :class:`CheckConfig` (limits, depth, engine options, the model builder).

It sits below the engines, beside ``collapsecheck.result`` (engines import it; the orchestration fills it
in), so that no engine imports the orchestration to learn its limits. It must not import any engine, the
loader or a reporter.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Callable, Mapping

if TYPE_CHECKING:
    from collapsecheck.model.core import Model

# Builds the model in ``path`` with ``params`` (the loader's ``build``); handed down by the orchestration.
ModelBuilder = Callable[[Path, Mapping[str, object]], "Model"]


@dataclass
class CheckConfig:
    """Limits and options shared by all engines. A limit that is hit gives ``inconclusive``."""

    max_states: int = 5_000_000
    timeout: float = 600.0  # seconds per engine run, every engine, every phase (``limits.watch``)
    depth: int = 40  # bound for bmc / k-induction
    progress: bool = False
    graph: bool = False  # record the reachable graph (explicit engine)
    options: dict[str, Any] = field(default_factory=dict)  # ``max_memory_mb`` applies to every engine
    # How to build the same model file at other parameters (the symbolic page-count reduction rebuilds a
    # model at neighbouring sizes). The loader lives above the engines, so the orchestration passes it in.
    build: ModelBuilder | None = None

    @property
    def max_memory_mb(self) -> int | None:
        mb = self.options.get("max_memory_mb")
        return int(mb) if mb else None
