"""The engine registry: engine name -> function ``run(model, config) -> CheckResult``.

Engines are imported lazily so that the explicit path never loads z3. This module must not contain engine
logic; it only maps names to implementations.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field
from typing import Any, Callable

from collapsecheck.errors import UsageError
from collapsecheck.model.core import Model
from collapsecheck.result import CheckResult

# name -> "module:function"; symbolic engines live under collapsecheck.symbolic.
REGISTRY: dict[str, str] = {
    "explicit": "collapsecheck.explicit.run:run",
    "bmc": "collapsecheck.symbolic.engines:run_bmc",
    "kind": "collapsecheck.symbolic.engines:run_kind",
    "pdr": "collapsecheck.symbolic.engines:run_pdr",
    "prove": "collapsecheck.symbolic.forall.engine:run_prove",
}
# Engines that accept a size given as the literal N (every value of it, ``-p pages=N``).
EVERY_SIZE = ("prove",)


@dataclass
class CheckConfig:
    """Limits and options shared by all engines. A limit that is hit gives ``inconclusive``."""

    max_states: int = 5_000_000
    timeout: float = 600.0
    depth: int = 40  # bound for bmc / k-induction
    progress: bool = False
    graph: bool = False  # record the reachable graph (explicit engine)
    options: dict[str, Any] = field(default_factory=dict)


def available() -> list[str]:
    return list(REGISTRY)


def get(name: str) -> Callable[[Model, CheckConfig], CheckResult]:
    try:
        target = REGISTRY[name]
    except KeyError:
        raise UsageError(f"unknown engine {name!r}; engines: {', '.join(REGISTRY)}") from None
    mod_name, fn = target.split(":")
    try:
        mod = importlib.import_module(mod_name)
    except ModuleNotFoundError as e:
        raise UsageError(f"engine {name!r} is not available ({e})") from None
    return getattr(mod, fn)  # type: ignore[no-any-return]
