"""Registry entry points of the symbolic engines: ``run_bmc``, ``run_kind``, ``run_pdr``.

Each takes the frozen model and a :class:`~collapsecheck.engine_config.CheckConfig` and returns a
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
from pathlib import Path
from typing import Any, Callable

import z3

from collapsecheck import progress
from collapsecheck.engine_config import CheckConfig
from collapsecheck.errors import ModelRuntimeError, UsageError
from collapsecheck.model import semantics
from collapsecheck.model.core import Model
from collapsecheck.result import CheckResult, Stats, Verdict
from collapsecheck.symbolic import bmc, certificate_trace, pump, reduction, trace
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
        red = reduction.plan(model, str(sym), symbolic=True, build=config.build)
        reduction.check_generic(model, str(sym), config.build)
        return red
    if enc == "flat" or not model.sizes:
        return None
    big = max(model.sizes, key=lambda s: s.value)
    if enc == "reduced" or big.value > FLAT_LIMIT:
        return reduction.plan(model, big.name, symbolic=False, build=config.build)
    return None


MAX_CONCRETE = 16  # pages a refined reduction may track exactly (bmc)


def make_decoder(system: System, deadline: float, refine: bool = False) -> bmc.Decoder:
    """Flat: decode and replay. Reduced: concretise the action sequence at the concrete size, replay.

    An abstract trace is first checked on a finer reduction (``trace.spurious_by_refinement``): if that
    proves it spurious, it is blocked, or with ``refine`` (fixed sizes only) :class:`bmc.Refine` asks the
    caller to restart on the finer reduction. The model rebuilt at a solver-picked size and its flat
    system are built once per size."""
    if system.reduction is None:
        return lambda zm, frames, sels, tg: trace.decode_flat(system, zm, frames, sels, tg)
    red = system.reduction
    conc = trace.Concretizer(system.model)
    rebuilt: dict[int, Model] = {red.value: system.model}

    def decode(zm: z3.ModelRef, frames: list[Frame], sels: list[z3.ArithRef], tg: Target) -> Any:
        aids = trace.decode_actions(zm, sels)
        pages = trace.spurious_by_refinement(system, zm, frames, aids, tg, deadline)
        if pages is not None:
            # Loops sweep the pages in order: the page after each refuting one is the next to be read, so it
            # is tracked too (a guess that costs one page; it saves a restart per loop iteration).
            more = [p + 1 for p in pages if p + 1 < red.value + red.array_offset]
            learn = [p for p in dict.fromkeys(pages + more) if p not in red.concrete]
            if refine and not red.symbolic and len(red.concrete) + len(learn) <= MAX_CONCRETE:
                raise bmc.Refine(learn)
            return None
        model = system.model
        if red.symbolic:
            n = zm.eval(system.params[0], model_completion=True).as_long()  # type: ignore[attr-defined]
            if n not in rebuilt:
                rebuilt[n] = reduction.rebuild(model, red.size, n, red.build)
            model = rebuilt[n]
        return conc(model, aids, tg, deadline)

    return decode


# ------------------------------------------------------------------------------------- results
def new_result(model: Model, engine: str) -> CheckResult:
    return CheckResult(model.name, dict(model.params), engine, Verdict.HOLDS, stats=Stats())


def apply_search(res: CheckResult, model: Model, found: bmc.Search, searched: list[Target] | None = None) -> None:
    """Record violations, the deadlock path and witness depths of a bounded search in ``res``, and what it
    did not search (``extra["not_searched"]``: name -> {depth, why}): ``why`` is ``settled`` for a target
    dropped once the verdict was settled at that depth, ``bound`` for one still open at the depth bound
    (unknown beyond it), ``time``/``unknown`` when the solver stopped there, ``spurious`` when its abstract
    traces did not concretise."""
    for name, hit in found.hits.items():
        if hit.target.kind == "always":
            res.violations[name] = hit.trace
        elif hit.target.kind == "deadlock":
            res.deadlock = hit.trace
    for p in model.sometimes:
        hit = found.hits.get(p.name)
        res.witnesses[p.name] = hit.depth if hit is not None else None
    gaps: dict[str, dict[str, object]] = {}
    for name, k in found.dropped.items():
        gaps[name] = {"depth": k, "why": "settled"}
    for tg in searched or []:
        if tg.name in found.hits or tg.name in gaps:
            continue
        why = "spurious" if tg.name in found.gave_up else found.stop or "bound"
        gaps[tg.name] = {"depth": max(found.depth, 0), "why": why}
    if gaps:
        res.extra["not_searched"] = gaps


def decide(res: CheckResult, model: Model, *, proved: bool, unresolved: list[str], vacuous: list[str]) -> None:
    """The verdict, ranked as the explicit engine ranks it; ``bounded`` (no violation up to ``res.stats.depth``)
    where a search without a proof found nothing and left nothing open.

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
    if not proved:
        res.verdict = Verdict.BOUNDED
        res.message = f"no violation up to depth {res.stats.depth} (bounded)"
        return
    res.verdict = Verdict.HOLDS


def stop_reason(found: bmc.Search, what: str, timeout: float | None = None) -> list[str]:
    out = []
    if found.stop == "time":
        limit = f" (--timeout {timeout:g} s)" if timeout is not None else ""
        out.append(f"{what}: time limit{limit} reached while searching depth {found.depth + 1}")
    elif found.stop == "unknown":
        out.append(f"{what}: Z3 answered unknown at depth {found.depth + 1}")
    for name in found.gave_up:
        out.append(f"{what}: {found.spurious[name]} abstract traces to {name} were spurious (the reduction is "
                   "too coarse for them)")
    for name, n in found.set_aside.items():
        if name not in found.gave_up and name in found.pending:
            out.append(f"{what}: {n} abstract action sequence{'s' if n > 1 else ''} to {name} did not concretise at "
                       "the size the solver picked and were set aside for every size, so the bound is not "
                       f"exhaustive for {name}")
    return out


def describe_encoding(res: CheckResult, red: reduction.Reduction | None) -> None:
    if red is not None:
        res.extra["reduction"] = red.describe()


def model_errors(run: Callable[[Model, CheckConfig], CheckResult]) -> Callable[[Model, CheckConfig], CheckResult]:
    """A run-time model error (an out-of-range update or index in a reachable state) becomes the verdict
    ``error`` with the shortest trace to it, as in the explicit engine: by BMC when it found the error,
    else by a breadth-first search of the reference semantics (the exact closure met it while exploring)."""
    import functools

    @functools.wraps(run)
    def wrapped(model: Model, config: CheckConfig) -> CheckResult:
        t0 = time.monotonic()
        try:
            return run(model, config)
        except ModelRuntimeError as e:
            err = e
        name = run.__name__.removeprefix("run_")
        tr = err.trace if err.trace is not None else _reference_error_trace(model, config, err)
        if err.trace is None and tr is not None and name != "bmc":
            # Met while exploring (the exact closure): a violation by a shorter trace would still be the
            # verdict, so the answer is bmc's, which ranks them (at least as deep as the error).
            import dataclasses

            depth = max(config.depth, len(tr))
            res = run_bmc(model, dataclasses.replace(config, depth=depth))
            res.engine = name
            res.extra["ranked_by"] = (f"bmc up to depth {depth}: a run-time model error at depth {len(tr)} "
                                      "stopped the exact closure")
            return res
        res = new_result(model, name)
        res.verdict, res.trace, res.message = Verdict.ERROR, tr, str(err)  # type: ignore[assignment]
        res.bound = "stopped at a run-time model error"
        res.stats = Stats(0, 0, len(tr) if tr is not None else 0, time.monotonic() - t0)  # type: ignore[arg-type]
        res.extra["model_error"] = {"message": err.message, "context": err.context,
                                    "file": err.loc.file if err.loc else None,
                                    "line": err.loc.line if err.loc else None,
                                    "trace_len": len(tr) if tr is not None else None}  # type: ignore[arg-type]
        return res

    return wrapped


def _reference_error_trace(model: Model, config: CheckConfig, err: ModelRuntimeError) -> Any:
    """The shortest path to a state whose step raises a run-time model error (BFS, reference semantics)."""
    from collapsecheck.explicit import initial
    from collapsecheck.explicit.engine import make_trace

    parent: dict[tuple, tuple[tuple, int] | None] = {}
    queue = []
    for s in initial.initial_states(model):
        if s not in parent:
            parent[s] = None
            queue.append(s)
    for s in queue:
        if len(parent) > config.max_states:
            return None
        try:
            succ = list(semantics.successors(model, s))
        except ModelRuntimeError as e:
            err.message, err.loc, err.context = e.message, e.loc, e.context
            states, aids = [s], []
            while parent[states[-1]] is not None:
                p, a = parent[states[-1]]  # type: ignore[misc]
                states.append(p)
                aids.append(a)
            states.reverse()
            aids.reverse()
            return make_trace(model, states, aids)
        for aid, t in succ:
            if t not in parent:
                parent[t] = (s, aid)
                queue.append(t)
    return None


def verdict_settled(model: Model) -> "Callable[[list[Target], bmc.Search], list[Target]]":
    """After a violation of property P, only always properties declared before P can change the verdict
    (the explicit engine reports the first violated property in declaration order): drop the rest."""
    order = [p.name for p in model.properties]

    def prune(pending: list[Target], found: bmc.Search) -> list[Target]:
        violated = [order.index(h.target.name) for h in found.hits.values() if h.target.kind == "always"]
        if not violated:
            return pending
        first = min(violated)
        # A run-time model error as shallow as the first violation is the verdict (as in the explicit
        # engine): the range target stays until that depth is complete.
        shallowest = min(h.depth for h in found.hits.values() if h.target.kind == "always")
        return [tg for tg in pending if (tg.kind == "always" and order.index(tg.name) < first)
                or (tg.kind == "range" and found.depth < shallowest)]

    return prune


# --------------------------------------------------------------------------------------- engines
@model_errors
def run_bmc(model: Model, config: CheckConfig) -> CheckResult:
    """Bounded model checking up to ``config.depth``: shortest violations, deadlocks and witnesses.

    With the page-count reduction a stored counterexample certificate (``certificate_trace.py``) is
    replayed instead of searching when it is current; a fresh violation is stored for the next run. At a
    fixed size under the reduction, counterexamples of small sizes are first pumped to this size
    (``pump_first``); the search then only looks for a shorter one."""
    t0 = time.monotonic()
    deadline = t0 + config.timeout
    red = choose_reduction(model, config)
    cert_path, mode = certificate_place(model, config, red)
    not_used = ""
    if cert_path is not None and mode == "use":
        got, not_used = certificate_trace.load(cert_path, model)
        if got is not None:
            return from_certificate(model, got, red, t0)
    res = new_result(model, "bmc")
    pumped = pump_first(model, config, red, deadline, res)
    depth = config.depth if pumped is None else min(config.depth, len(pumped.trace) - 1)
    if pumped is not None:
        # The verdict is settled; a shorter counterexample only sharpens the length claim: a bounded effort.
        deadline = min(deadline, time.monotonic() + shorter_search_seconds(config))
    refinements = 0
    resume: bmc.Search | None = None
    progress.phase(f"bounded search to depth {depth} (time limit {config.timeout:g} s)"
                   + (" for a counterexample shorter than the pumped one" if pumped is not None else ""))
    while True:  # counterexample-guided refinement of the page-count reduction (make_decoder)
        system = System(model, red)
        system.check_supported()
        # Under the reduction every abstract hit costs a concretisation at the full size; witnesses only
        # count as lengths, and a refutation does not need them: they are not searched (and said so).
        targets = system.targets() + (system.witness_targets() if red is None else [])
        try:
            # Under the page-count reduction (the kernel's size) bmc stops at the first depth with a
            # violation and says which earlier-declared properties it did not search deeper; on a flat
            # encoding it keeps searching them, so its headline property ranks as the explicit engine's.
            found = bmc.search(system, targets, depth, deadline, make_decoder(system, deadline, refine=True),
                               prune=verdict_settled(model), settle=red is not None, resume=resume)
            break
        except bmc.Refine as r:
            assert red is not None
            red = red.refined(r.pages)
            resume = r.search  # type: ignore[attr-defined]
            refinements += 1
    describe_encoding(res, red)
    if refinements:
        res.extra["refinements"] = refinements
    apply_search(res, model, found, targets)
    res.bound = f"bounded (depth <= {max(found.depth, 0)})" + (f", {red.label}" if red else "")
    unresolved = stop_reason(found, "bmc", config.timeout)
    found_by = f"bmc, depth {found.depth}, shortest over all targets" + (f", {red.label}" if red else "")
    if pumped is not None and not any(h.target.kind == "always" for h in found.hits.values()):
        assert red is not None
        res.violations[pumped.prop] = pumped.trace
        found_by = pumped_bound(res, model, pumped, red, found, targets)
        unresolved = []  # the violation is the verdict; what bmc did not search is said in the message
    if red is not None and model.sometimes:
        for p in model.sometimes:
            del res.witnesses[p.name]
        res.extra["witnesses_not_searched"] = [p.name for p in model.sometimes]
        unresolved.append("witnesses not searched under the page-count reduction ("
                          + ", ".join(p.name for p in model.sometimes) + ")")
    res.stats = Stats(0, 0, max(found.depth, 0), time.monotonic() - t0)
    decide(res, model, proved=False, unresolved=unresolved, vacuous=[])
    if found.settled_at is not None:
        settled_search(res, model, found)
    elif "pumped" in res.extra and res.property == res.extra["pumped"]["property"]:
        res.message = res.extra["pumped"]["message"]
    if "pump" in res.extra and res.verdict != Verdict.VIOLATED:
        res.message = "; ".join(m for m in (res.message, res.extra["pump"]) if m)
    if cert_path is not None:
        note = [] if not_used in ("", "missing") else [f"certificate {cert_path.name} not used: {not_used}"]
        if res.verdict == Verdict.VIOLATED and res.property and res.trace is not None:
            certificate_trace.write(cert_path, model, res.property, res.trace, found_by,
                                    shortest=res.extra.get("trace_minimal") is not False)
            note.append(f"counterexample stored as {cert_path.name}")
        if note:
            res.message = "; ".join(([res.message] if res.message else []) + note)
            res.extra["certificate"] = "; ".join(note)
    res.extra["solver_queries"] = found.queries
    return res


def pump_first(model: Model, config: CheckConfig, red: reduction.Reduction | None, deadline: float,
               res: CheckResult) -> "pump.Pumped | None":
    """At a fixed size under the page-count reduction: a counterexample pumped from the explicit engine's
    shortest ones at small sizes and replayed at this size (``pump.py``), or None (why: ``extra["pump"]``).

    It runs before the bounded search, which then only looks for a shorter counterexample (depth below the
    pumped length): where the shortest counterexample grows with the page count (one loop iteration per
    page) no bounded search reaches it at 512, and where it does not, bmc still finds the shortest one.
    Options: ``pump`` = ``on`` (default) | ``off``; ``shorter_search`` = seconds for that search (default
    60: the verdict is settled by then, only the length claim is at stake)."""
    mode = str(config.options.get("pump", "on"))
    if mode not in ("on", "off"):
        raise UsageError(f"pump must be on or off, got {mode!r}")
    if mode == "off" or red is None or red.symbolic:
        return None
    progress.phase(f"pumping the shortest counterexamples at small {red.size} to {red.size}={red.value}")
    # At most half the time: when pumping fails (large small sizes, a concretiser that gives up), bmc keeps
    # the other half for its own search.
    half = min(deadline, time.monotonic() + config.timeout / 2)
    got, why = pump.pump(model, red.size, config.build, half, config.max_states)
    if got is None:
        res.extra["pump"] = f"no pumped counterexample: {why}"
        return None
    res.extra["pump"] = got.how(red.size, red.value)
    return got


SHORTER_SEARCH = 60.0  # seconds bmc spends looking for a counterexample shorter than a pumped one (default)


def shorter_search_seconds(config: CheckConfig) -> float:
    """Option ``shorter_search`` (seconds, default ``SHORTER_SEARCH``; never more than ``--timeout``)."""
    raw = config.options.get("shorter_search", SHORTER_SEARCH)
    try:
        secs = float(raw)
    except (TypeError, ValueError):
        raise UsageError(f"shorter_search must be a number of seconds, got {raw!r}") from None
    if secs < 0:
        raise UsageError(f"shorter_search must be >= 0 seconds, got {raw!r}")
    return secs


def pumped_bound(res: CheckResult, model: Model, got: "pump.Pumped", red: reduction.Reduction,
                 found: bmc.Search, targets: list[Target]) -> str:
    """Record a pumped counterexample's provenance in ``res`` (bound, ``extra["pumped"]``) and return the
    certificate's ``found_by`` text. It is the shortest only when bmc searched every shorter depth for every
    always property (the search was bounded by its length minus one and nothing stopped it early)."""
    always = [tg.name for tg in targets if tg.kind == "always"]
    complete = [n for n in always if n not in found.gave_up] == always
    below = len(got.trace) - 1
    if complete and found.stop is None and found.depth >= below:
        shortest = f"the shortest: bmc found no violation of any property up to depth {below}"
    elif found.depth >= 1 and complete:
        shortest = (f"not claimed shortest: bmc found no violation of any property up to depth {found.depth}, "
                    f"so the shortest has {found.depth + 1} to {len(got.trace)} steps")
    else:
        shortest = "not claimed shortest"
    how = got.how(red.size, red.value)
    res.bound = f"pumped counterexample, replayed at {red.size}={red.value}, {red.label}"
    res.extra["pumped"] = {"property": got.prop, "length": len(got.trace), "small_sizes": got.sizes,
                           "small_lengths": got.lengths, "per_size": got.per_size, "initial_state": got.initial,
                           "bmc_depth": max(found.depth, 0), "shortest": shortest.startswith("the shortest"),
                           "seconds": {k: round(v, 2) for k, v in got.seconds.items()},
                           "message": f"{how}; {shortest}"}
    res.extra.pop("pump", None)
    if not res.extra["pumped"]["shortest"]:
        res.extra["trace_minimal"] = False
    return f"{how}; {shortest}"


def certificate_place(model: Model, config: CheckConfig, red: reduction.Reduction | None
                      ) -> tuple["Path | None", str]:
    """(where this instance's counterexample certificate lives, how to use it), or (None, mode).

    Options: ``certificates`` = ``use`` (default: replay a current one, store a fresh one), ``refresh``
    (search afresh, store), ``off``; ``certificate_dir`` overrides ``<models>/certificates``. Only runs
    under the page-count reduction at a fixed size use certificates (a symbolic size asks another question,
    and small flat instances are searched in well under a second). A store needs the folder to exist or
    ``certificate_dir`` to be given: a plain check never creates folders beside a model."""
    from pathlib import Path

    mode = str(config.options.get("certificates", "use"))
    if mode not in ("use", "refresh", "off"):
        raise UsageError(f"certificates must be use, refresh or off, got {mode!r}")
    if mode == "off" or red is None or red.symbolic:
        return None, mode
    given = config.options.get("certificate_dir")
    folder = Path(str(given)) if given else None
    path = certificate_trace.path_for(model, folder)
    if path is None or (folder is None and not path.parent.is_dir()):
        return None, mode
    return path, mode


def from_certificate(model: Model, got: "certificate_trace.Loaded", red: reduction.Reduction | None,
                     t0: float) -> CheckResult:
    """The result of a replayed certificate: the violation, and plainly that bmc did not search."""
    res = new_result(model, "bmc")
    describe_encoding(res, red)
    res.violations[got.prop] = got.trace
    res.verdict, res.property, res.trace = Verdict.VIOLATED, got.prop, got.trace
    res.bound = "counterexample certificate, replayed" + (f", {red.label}" if red else "")
    unsearched = [p.name for p in model.properties if p.name != got.prop and p.kind == "always"]
    res.message = (f"counterexample from certificate {got.path.name} (the model's fingerprint matches), replayed "
                   f"through the reference semantics; it was found by {got.found_by}. bmc did not search: "
                   f"other properties ({', '.join(unsearched) or 'none'}) and witnesses not searched")
    res.extra["certificate"] = str(got.path.name)
    if not got.shortest:
        res.extra["trace_minimal"] = False
    if model.progress:
        res.extra["unchecked_progress"] = [p.name for p in model.progress]
    res.stats = Stats(0, 0, len(got.trace), time.monotonic() - t0)
    return res


def settled_search(res: CheckResult, model: Model, found: bmc.Search) -> None:
    """What a search that stopped once the verdict was settled did not look at, said as such.

    Every depth up to ``settled_at`` was searched for every target still pending then; nothing deeper was.
    So an unhit witness is "not searched beyond depth k", not "not reached", and the violations listed are
    the ones of length k (the shortest of all), not every violated property."""
    k = found.settled_at
    unsearched = [n for n, v in res.witnesses.items() if v is None]
    for n in unsearched:
        del res.witnesses[n]
    hit = sorted(n for n, h in found.hits.items() if h.target.kind == "always")
    rest = [p.name for p in model.always if p.name not in hit]
    unsearched += [w for w in res.extra.get("witnesses_not_searched", []) if w not in unsearched]
    parts = [f"bmc stopped at depth {k}, where the verdict was settled (every property searched up to depth "
             f"{k - 1}; at depth {k}, the properties declared before the reported one)"]
    if rest:
        parts.append(f"not searched beyond depth {k}: propert{'ies' if len(rest) > 1 else 'y'} {', '.join(rest)}")
    if unsearched:
        parts.append(f"witness{'es' if len(unsearched) > 1 else ''} {', '.join(unsearched)}")
    res.message = "; ".join(parts)
    res.extra["settled_at_depth"] = k
    res.extra["not_searched_beyond_depth"] = {"depth": k, "properties": rest, "witnesses": unsearched}


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
    searched = open_targets + system.witness_targets()
    if reach is not None:  # exact reachable states: shortest paths from them, certified by Z3
        from collapsecheck.symbolic import samples

        progress.phase(f"{res.engine}: shortest paths through the exact reachable states")
        found = samples.search(system, reach, searched, deadline)
        res.extra["paths_from"] = "exact reachable states (reference semantics), each step certified by Z3"
        searched = []  # the reachable set is exact: an unhit witness is never reached, not "beyond a depth"
    else:
        progress.phase(f"{res.engine}: bounded search for counterexamples and witnesses")
        progress.clear()
        found = bmc.search(system, searched, config.depth, deadline,
                           make_decoder(system, deadline), prune=verdict_settled(model))
    apply_search(res, model, found, searched)
    unresolved = stop_reason(found, res.engine, config.timeout)
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
    res.stats = Stats(0, 0, max(found.depth, 0), time.monotonic() - t0)
    # Through the exact reachable set, a witness not hit (the search not stopped) is never reached.
    vacuous = [p.name for p in model.sometimes if res.witnesses.get(p.name) is None] \
        if reach is not None and not found.stop else []
    decide(res, model, proved=not open_targets, unresolved=unresolved, vacuous=vacuous)
    res.extra["solver_queries"] = res.extra.get("solver_queries", 0) + found.queries
    if res.verdict in (Verdict.VIOLATED, Verdict.DEADLOCK):
        # An invariant is printed only as the reason something holds: on a violation the partial proof of
        # other properties is named, not presented as the result's invariant.
        res.extra.pop("invariant", None)
        if res.extra.pop("proved_by", None) is not None:
            res.extra["proved_properties"] = sorted(p.name for p in proved if p.kind == "always")
    return res


@model_errors
def run_kind(model: Model, config: CheckConfig) -> CheckResult:
    """k-induction with the simple-path constraint; counterexamples and witnesses by BMC."""
    from collapsecheck.symbolic import kind

    system, res, t0, deadline = _prepare(model, config, "kind")
    targets = system.targets()
    progress.phase(f"k-induction, k up to {config.depth}")
    # Half the time for the proof, the rest for counterexamples and witnesses.
    p = kind.prove(system, targets, config.depth, t0 + config.timeout / 2)
    res.extra["k"] = p.k
    why = [] if p.proved else [f"k-induction: {p.reason} at k = {p.k}"]
    return _finish(res, model, system, config, t0, deadline, targets if p.proved else [],
                   f"k-induction, k = {p.k}", why)


@model_errors
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
        res.extra["invariant"] = [{"source": inv.source, "conjuncts": inv.conjuncts(),
                                   "size": f"{inv.size} {'abstract states' if inv.source == 'closure' else 'clauses'}"}
                                  for inv in pf.invariants]
        res.extra["proved_by"] = ", ".join(closers)
    why = [f"{a.member}: {a.outcome}" for a in pf.attempts if not a.proved]
    return _finish(res, model, system, config, t0, deadline, pf.proved, "by " + " + ".join(closers), why,
                   pf.reach if pf.reach is not None and pf.reach.complete else None)
