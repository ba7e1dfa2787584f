"""The engine registry: engine name -> function ``run(model, config) -> CheckResult``.

Engines are imported lazily so that the explicit path never loads z3. This module must not contain engine
logic; it only maps names to implementations (and hands the model builder down, see ``get``). The options
engines read, ``CheckConfig``, live below the engines in ``collapsecheck.engine_config``.
"""

from __future__ import annotations

import dataclasses
import importlib
from typing import Callable

from collapsecheck.engine_config import CheckConfig
from collapsecheck.errors import UsageError
from collapsecheck.model.core import Model
from collapsecheck.orchestration import loader
from collapsecheck.result import CheckResult

# name -> "module:function"; symbolic engines live under collapsecheck.symbolic.
REGISTRY: dict[str, str] = {
    "explicit": "collapsecheck.explicit.run:run",
    "bmc": "collapsecheck.symbolic.engines:run_bmc",
    "kind": "collapsecheck.symbolic.engines:run_kind",
    "pdr": "collapsecheck.symbolic.engines:run_pdr",
}


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
    run: Callable[[Model, CheckConfig], CheckResult] = getattr(mod, fn)

    def run_with_builder(model: Model, config: CheckConfig) -> CheckResult:
        # An engine that rebuilds the model at other parameters (the symbolic page-count reduction) gets
        # the loader's builder from here: engines sit below the loader and must not import it.
        if config.build is None:
            config = dataclasses.replace(config, build=loader.build)
        return run(model, config)

    return run_with_builder
