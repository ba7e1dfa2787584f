"""Registry entry points of the symbolic engines: ``run_bmc``, ``run_kind``, ``run_pdr``.

Each takes the frozen model and a :class:`~collapsecheck.engines.CheckConfig` and returns a
:class:`~collapsecheck.result.CheckResult` whose verdict is ranked like the explicit engine's (violated >
deadlock > inconclusive > vacuous > holds) and whose ``bound`` says what kind of answer it is: ``proved
(all lengths, ...)`` or ``bounded (depth <= k)``. Counterexamples, deadlock paths and witnesses are always
replayed traces (``trace.py``). A solver ``unknown``, a timeout, an unconcretisable abstract trace or a
progress property give ``inconclusive`` (exit 13), never ``holds``.

Options (``CheckConfig.options``): ``symbolic_size`` (a size name: prove for every value of it),
``encoding`` (``auto`` | ``flat`` | ``reduced``), ``portfolio`` (pdr: comma-separated member names). This
module orchestrates; the algorithms live in ``bmc.py``, ``kind.py`` and ``chc.py``.
"""

from __future__ import annotations

import time
from typing import Any, Callable

import z3

from collapsecheck.engines import CheckConfig
from collapsecheck.errors import UsageError
from collapsecheck.model import semantics
from collapsecheck.model.core import Model
from collapsecheck.result import CheckResult, Stats, Verdict
from collapsecheck.symbolic import bmc, reduction, trace
from collapsecheck.symbolic.system import Frame, System, Target

FLAT_LIMIT = 8  # auto encoding: sizes above this use the page-count reduction


# ------------------------------------------------------------------------------------ encoding
def choose_reduction(model: Model, config: CheckConfig) -> reduction.Reduction | None:
    """None for the flat encoding, else the reduction this run uses."""
    opts = config.options
    sym = opts.get("symbolic_size")
    enc = str(opts.get("encoding", "auto"))
    if enc not in ("auto", "flat", "reduced"):
        raise UsageError(f"encoding must be auto, flat or reduced, got {enc!r}")
    if sym:
        if enc == "flat":
            raise UsageError("a symbolic size needs the reduced encoding, not encoding=flat")
        red = reduction.plan(model, str(sym), symbolic=True)
        reduction.check_generic(model, str(sym))
        return red
    if enc == "flat" or not model.sizes:
        return None
    big = max(model.sizes, key=lambda s: s.value)
    if enc == "reduced" or big.value > FLAT_LIMIT:
        return reduction.plan(model, big.name, symbolic=False)
    return None


def make_decoder(system: System, deadline: float) -> bmc.Decoder:
    """Flat: decode and replay. Reduced: concretise the action sequence at the concrete size, replay."""
    if system.reduction is None:
        return lambda zm, frames, sels, tg: trace.decode_flat(system, zm, frames, sels, tg)
    red = system.reduction

    def decode(zm: z3.ModelRef, frames: list[Frame], sels: list[z3.ArithRef], tg: Target) -> Any:
        aids = trace.decode_actions(zm, sels)
        model = system.model
        if red.symbolic:
            n = zm.eval(system.params[0], model_completion=True).as_long()  # type: ignore[attr-defined]
            if n != red.value:
                model = reduction.rebuild(model, red.size, n)
        return trace.concretize(model, aids, tg, deadline)

    return decode


# ------------------------------------------------------------------------------------- results
def new_result(model: Model, engine: str) -> CheckResult:
    return CheckResult(model.name, dict(model.params), engine, Verdict.HOLDS, stats=Stats())


def apply_search(res: CheckResult, model: Model, found: bmc.Search) -> None:
    """Record violations, the deadlock path and witness depths of a bounded search in ``res``."""
    for name, hit in found.hits.items():
        if hit.target.kind == "always":
            res.violations[name] = hit.trace
        elif hit.target.kind == "deadlock":
            res.deadlock = hit.trace
    for p in model.sometimes:
        hit = found.hits.get(p.name)
        res.witnesses[p.name] = hit.depth if hit is not None else None


def decide(res: CheckResult, model: Model, *, proved: bool, unresolved: list[str], vacuous: list[str]) -> None:
    """The verdict, ranked as the explicit engine ranks it.

    ``proved``: every always property and deadlock freedom hold for all lengths (else only within the
    bound); ``unresolved``: reasons the answer is open; ``vacuous``: witnesses proved unreachable."""
    order = [p.name for p in model.properties]
    if model.progress:
        res.extra["unchecked_progress"] = [p.name for p in model.progress]
    if res.violations:
        name = min(res.violations, key=order.index)
        res.verdict, res.property, res.trace = Verdict.VIOLATED, name, res.violations[name]
        return
    if res.deadlock is not None:
        res.verdict, res.trace = Verdict.DEADLOCK, res.deadlock
        res.blocked = semantics.blocked_threads(model, res.deadlock.states[-1])
        res.message = "no thread can move, and " + ", ".join(f"{t} is blocked at {s}" for t, s in res.blocked)
        return
    if model.progress:
        unresolved = unresolved + [f"progress properties ({', '.join(p.name for p in model.progress)}) are not "
                                   "checked by the symbolic engines; use the explicit engine"]
    missing = [n for n, v in res.witnesses.items() if v is None and n not in vacuous]
    if missing:
        unresolved = unresolved + [f"witness {', '.join(missing)} not reached within the bound and not proved "
                                   "unreachable"]
    if unresolved:
        res.verdict = Verdict.INCONCLUSIVE
        res.message = "; ".join(unresolved)
        return
    if vacuous:
        res.verdict, res.property = Verdict.VACUOUS, vacuous[0]
        res.message = "witness proved unreachable: " + ", ".join(vacuous)
        return
    res.verdict = Verdict.HOLDS
    _ = proved


def stop_reason(found: bmc.Search, what: str) -> list[str]:
    out = []
    if found.stop == "time":
        out.append(f"{what}: time limit reached at depth {found.depth + 1}")
    elif found.stop == "unknown":
        out.append(f"{what}: Z3 answered unknown at depth {found.depth + 1}")
    for name in found.gave_up:
        out.append(f"{what}: {found.spurious[name]} abstract traces to {name} were spurious (the reduction is "
                   "too coarse for them)")
    return out


def describe_encoding(res: CheckResult, red: reduction.Reduction | None) -> None:
    if red is not None:
        res.extra["reduction"] = red.describe()


def verdict_settled(model: Model) -> "Callable[[list[Target], bmc.Search], list[Target]]":
    """After a violation of property P, only always properties declared before P can change the verdict
    (the explicit engine reports the first violated property in declaration order): drop the rest."""
    order = [p.name for p in model.properties]

    def prune(pending: list[Target], found: bmc.Search) -> list[Target]:
        violated = [order.index(h.target.name) for h in found.hits.values() if h.target.kind == "always"]
        if not violated:
            return pending
        first = min(violated)
        return [tg for tg in pending if tg.kind == "always" and order.index(tg.name) < first]

    return prune


# --------------------------------------------------------------------------------------- engines
def run_bmc(model: Model, config: CheckConfig) -> CheckResult:
    """Bounded model checking up to ``config.depth``: shortest violations, deadlocks and witnesses."""
    t0 = time.monotonic()
    deadline = t0 + config.timeout
    red = choose_reduction(model, config)
    system = System(model, red)
    system.check_supported()
    res = new_result(model, "bmc")
    describe_encoding(res, red)
    targets = system.targets() + system.witness_targets()
    found = bmc.search(system, targets, config.depth, deadline, make_decoder(system, deadline),
                       prune=verdict_settled(model))
    apply_search(res, model, found)
    res.bound = f"bounded (depth <= {found.depth})" + (f", {red.label}" if red else "")
    decide(res, model, proved=False, unresolved=stop_reason(found, "bmc"), vacuous=[])
    res.stats = Stats(0, 0, max(found.depth, 0), time.monotonic() - t0)
    res.extra["solver_queries"] = found.queries
    return res


def _prepare(model: Model, config: CheckConfig, engine: str) -> tuple[System, CheckResult, float, float]:
    t0 = time.monotonic()
    red = choose_reduction(model, config)
    system = System(model, red)
    system.check_supported()
    res = new_result(model, engine)
    describe_encoding(res, red)
    return system, res, t0, t0 + config.timeout


def _finish(res: CheckResult, model: Model, system: System, config: CheckConfig, t0: float, deadline: float,
            proved: list[Target], how: str, why_not: list[str], reach: Any = None) -> CheckResult:
    """Counterexamples for what was not proved, witnesses for non-vacuity (both by BMC), then the verdict.

    A proof engine that proves nothing and finds no counterexample answers ``inconclusive``: "no
    counterexample up to depth k" is bmc's answer, not a proof."""
    red = system.reduction
    open_targets = [tg for tg in system.targets() if tg.name not in {p.name for p in proved}]
    if reach is not None:  # exact reachable states: shortest paths from them, certified by Z3
        from collapsecheck.symbolic import samples

        found = samples.search(system, reach, open_targets + system.witness_targets(), deadline)
        res.extra["paths_from"] = "exact reachable states (reference semantics), each step certified by Z3"
    else:
        found = bmc.search(system, open_targets + system.witness_targets(), config.depth, deadline,
                           make_decoder(system, deadline), prune=verdict_settled(model))
    apply_search(res, model, found)
    unresolved = stop_reason(found, res.engine)
    if reach is not None and open_targets and not found.stop:
        # The exact reachable set was searched completely: an unhit target is unreachable. This only
        # happens when a member stopped early (time); the closure itself proves such targets.
        open_targets = [tg for tg in open_targets if tg.name in found.hits]
    if open_targets and not any(h.target.kind in ("always", "deadlock") for h in found.hits.values()):
        unresolved.append(f"not proved ({'; '.join(why_not) or 'no member closed the proof'}); no counterexample "
                          f"up to depth {found.depth}")
    where = f", {red.label}" if red else ""
    if "closure" in how and red is None:
        # The closure is the enumerated reachable set: a proof at this size only, never at 512 or every N.
        sizes = ", ".join(f"{s.name}={s.value}" for s in model.sizes) or "this instance"
        how = how.replace("by closure", f"proved by enumeration, {sizes}")
    res.bound = (f"proved (all lengths, {how}{where})" if not open_targets
                 else f"bounded (depth <= {found.depth}{where})")
    decide(res, model, proved=not open_targets, unresolved=unresolved, vacuous=[])
    res.stats = Stats(0, 0, max(found.depth, 0), time.monotonic() - t0)
    res.extra["solver_queries"] = found.queries
    return res


def run_kind(model: Model, config: CheckConfig) -> CheckResult:
    """k-induction with the simple-path constraint; counterexamples and witnesses by BMC."""
    from collapsecheck.symbolic import kind

    system, res, t0, deadline = _prepare(model, config, "kind")
    targets = system.targets()
    # Half the time for the proof, the rest for counterexamples and witnesses.
    p = kind.prove(system, targets, config.depth, t0 + config.timeout / 2)
    res.extra["k"] = p.k
    why = [] if p.proved else [f"k-induction: {p.reason} at k = {p.k}"]
    return _finish(res, model, system, config, t0, deadline, targets if p.proved else [],
                   f"k-induction, k = {p.k}", why)


def run_pdr(model: Model, config: CheckConfig) -> CheckResult:
    """The proof portfolio (``chc.py``); the invariant that closed the proof is re-checked and printed."""
    from collapsecheck.symbolic import chc

    system, res, t0, deadline = _prepare(model, config, "pdr")
    default = chc.DEFAULT_REDUCED if system.reduction is not None else chc.DEFAULT_FLAT
    members = [m.strip() for m in str(config.options.get("portfolio", ",".join(default))).split(",") if m.strip()]
    unknown = [m for m in members if m not in chc.RUNNERS]
    if unknown:
        raise UsageError(f"unknown portfolio member(s) {', '.join(unknown)}; members: {', '.join(chc.MEMBERS)}")
    targets = system.targets()
    pf = chc.run(system, targets, members, t0 + config.timeout * 0.75)
    res.extra["portfolio"] = [f"{a.member}: {a.outcome} ({a.detail})" if a.detail else f"{a.member}: {a.outcome}"
                              for a in pf.attempts]
    closers = [a.member for a in pf.attempts if a.proved]
    if pf.invariants:
        res.extra["invariant"] = [f"[{inv.source}] {inv.text}" for inv in pf.invariants]
        res.extra["proved_by"] = ", ".join(closers)
    why = [f"{a.member}: {a.outcome}" for a in pf.attempts if not a.proved]
    return _finish(res, model, system, config, t0, deadline, pf.proved, "by " + " + ".join(closers), why,
                   pf.reach if pf.reach is not None and pf.reach.complete else None)
