"""The engine registry: engine name -> function ``run(model, config) -> CheckResult``.

Engines are imported lazily so that the explicit path never loads z3. :func:`run` runs one under the
limits of ``limits.watch`` and turns a limit hit outside the engine's own checks into an ``inconclusive``
result. This module must not contain engine logic; it only maps names to implementations (and hands the
model builder down, see ``get``). The options engines read, ``CheckConfig``, live below the engines in
``collapsecheck.engine_config``.
"""

from __future__ import annotations

import dataclasses
import importlib
import time
from typing import Callable

from collapsecheck import limits
from collapsecheck.engine_config import CheckConfig
from collapsecheck.errors import UsageError
from collapsecheck.model.core import Model
from collapsecheck.orchestration import loader
from collapsecheck.result import CheckResult, Stats, Verdict

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


def run(name: str, model: Model, config: CheckConfig) -> CheckResult:
    """Run engine ``name`` on ``model`` within ``config``'s time and memory limits, whatever it is doing."""
    fn = get(name)
    t0 = time.monotonic()
    with limits.watch(config.timeout, config.max_memory_mb, name, config.progress) as w:
        try:
            return fn(model, config)
        except limits.LimitReached as e:
            w.active = False  # caught: the watchdog must not raise again while the result is built
            return limit_result(model, name, e, time.monotonic() - t0)
        except Exception as e:  # noqa: BLE001
            limit = _as_limit(e, w, config)
            if limit is None:
                raise
            w.active = False
            return limit_result(model, name, limit, time.monotonic() - t0)


def _as_limit(e: BaseException, w: limits.Watch, config: CheckConfig) -> limits.LimitReached | None:
    """The limit behind an ordinary exception, if that is what it is: the watchdog's exception wrapped by
    a library (ctypes turns an exception raised while it converts arguments into ``ArgumentError``), or
    Z3 cancelled at the deadline (by the watchdog, or by a query's own timeout timer firing just after the
    query returned), which may raise from any API call, e.g. "push canceled"."""
    seen: BaseException | None = e
    while seen is not None:
        if isinstance(seen, limits.LimitReached):
            return seen
        seen = seen.__cause__ or seen.__context__
    whole = w.stopped if w.stopped is not None and w.stopped[2] is None else None
    if whole is not None and "LimitReached" in repr(e):
        return w.exception(*whole)
    if "cancel" in str(e):
        if whole is not None:
            return w.exception(*whole)
        if time.monotonic() > w.deadline - 1.0:
            return w.exception("time", f"--timeout {config.timeout:g} s", None)
    return None


def limit_result(model: Model, engine: str, e: limits.LimitReached, seconds: float) -> CheckResult:
    """``inconclusive``: which limit, in which phase, and what the run had reached; nothing decided."""
    res = CheckResult(model.name, dict(model.params), engine, Verdict.INCONCLUSIVE, stats=Stats(seconds=seconds))
    res.bound = f"partial ({e.kind} limit)"
    res.message = (f"stopped by the {e.kind} limit ({e.limit}) in phase '{e.phase}', having reached: {e.reached}; "
                   "nothing was decided")
    res.extra["limit"] = {"kind": e.kind, "limit": e.limit, "phase": e.phase, "reached": e.reached}
    return res
