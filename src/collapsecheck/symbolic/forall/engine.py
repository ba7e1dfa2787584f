"""Registry entry point of ``--engine prove``: a ∀-invariant proof at the model's page count or for every one.

Order of work: the size (``pages=N`` asks for every page count: the model must be size-generic, checked by
``reduction.check_generic``; a number such as 512 is encoded as that literal); the stored certificate, if
any, re-checked; otherwise inference (samples at 2 and 3 pages, mined clauses, Houdini, unsat-core
minimisation; for targets left open, a pass with the count equalities of ``count.py`` and then one with
the linear equalities of ``linear.py``, each from the invariant so far), then the independent re-check
(``recheck.py``) at the requested size, and for every-N proofs also at 512 pages. Each target (every
always property, deadlock freedom, range safety) is reported proved or not proved with its reason; the
verdict is ``holds`` only when all are proved, else ``inconclusive`` (exit 13). Witnesses and progress
properties are not this engine's: the explicit engine checks them. Time limits end in ``inconclusive``
naming the phase; inference stops early enough to leave the re-check a share. This module orchestrates;
the algorithms live in the sibling modules.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import z3

from collapsecheck.engine_config import CheckConfig, ModelBuilder
from collapsecheck.errors import ModelError, UsageError
from collapsecheck.expr.nodes import VarRef, walk
from collapsecheck.model.core import Model, Property
from collapsecheck.result import CheckResult, Stats, Verdict
from collapsecheck.symbolic import reduction, samples
from collapsecheck.symbolic.forall import certificate, count, cti, linear
from collapsecheck.symbolic.forall.columns import Clause, Columns
from collapsecheck.symbolic.forall.ground import ArraySystem, page_size
from collapsecheck.symbolic.forall.houdini import Houdini, OutOfTime
from collapsecheck.symbolic.forall.minimise import minimise
from collapsecheck.symbolic.forall.recheck import Recheck, parse, recheck
from collapsecheck.symbolic.forall.text import InvariantText

SAMPLE_SIZES = (2, 3)
SAMPLE_LIMIT = 60_000  # reachable states per sample size (samples only propose candidates)
KERNEL_PAGES = 512  # HPAGE_PMD_NR on x86-64: an every-N proof is also re-checked here
LINEAR_SHARE = 0.6  # of the time left after the first Houdini pass, for the pass with linear equalities
COUNT_SHARE = 0.5  # of the time left after the first pass, for the pass with count equalities (before linear)
RECHECK_RESERVE = 0.1  # of the time limit, kept from inference for the independent re-check


class Progress:
    """One line on stderr, rewritten in place, when it is a terminal and progress is on."""

    def __init__(self, on: bool, t0: float) -> None:
        self.on = on and sys.stderr.isatty()
        self.t0 = t0

    def __call__(self, text: str) -> None:
        if self.on:
            sys.stderr.write(f"\r\x1b[Kprove: {text} ({time.monotonic() - self.t0:.1f} s)")
            sys.stderr.flush()

    def done(self) -> None:
        if self.on:
            sys.stderr.write("\r\x1b[K")
            sys.stderr.flush()


def symbolic_sizes(model: Model) -> list[str]:
    """Sizes given as the literal ``N`` (every page count)."""
    sizes = {s.name for s in model.sizes}
    return [k for k, v in model.params if v == "N" and k in sizes]


def targets_of(model: Model) -> list[str]:
    return [p.name for p in model.always] + (["deadlock"] if model.check_deadlock else []) + ["range"]


def run_prove(model: Model, config: CheckConfig) -> CheckResult:
    t0 = time.monotonic()
    deadline = t0 + config.timeout
    progress = Progress(config.progress, t0)
    res = CheckResult(model.name, dict(model.params), "prove", Verdict.INCONCLUSIVE, stats=Stats())
    sym = symbolic_sizes(model)
    if len(sym) > 1:
        raise UsageError(f"only one size can be N (every value) at a time, got {', '.join(sym)}")
    size = page_size(model, sym[0] if sym else (str(config.options["symbolic_size"])
                                                 if config.options.get("symbolic_size") else None))
    if size is None:
        raise UsageError(f"model {model.name} has no size that indexes its arrays: the prove engine proves "
                         "∀-page invariants; use the explicit engine")
    page = size.name
    every = bool(sym) or bool(config.options.get("symbolic_size"))
    if every:
        progress("checking that the model is one template at every size")
        # Witnesses and progress properties are not this engine's: only the always properties must match.
        reduction.check_generic(model, page, config.build, kinds=("always",))
    n_min = reduction.n_min(model, page)
    label = f"{page} = N for every N ≥ {n_min}" if every else f"{page} = {size.value}"
    n_term: z3.ArithRef = z3.Int(page) if every else z3.IntVal(size.value)
    targets = targets_of(model)
    res.extra["targets"] = {}
    where = Path(str(config.options["certificates"])) if config.options.get("certificates") else None
    tag = "N" if every else str(size.value)
    phase = "certificate"
    try:
        inv, source, info = None, "", {}
        # A proof for every N covers this page count too: its certificate is re-checked here, not re-proved.
        cert = certificate.load(model, page, tag, where) or (None if every else
                                                           certificate.load(model, page, "N", where))
        checks: list[Recheck] = []
        if cert is not None:
            progress("re-checking the stored certificate")
            checks = [_safe_recheck(model, page, n_term, n_min, cert["clauses"], cert["properties"], cert["proved"],
                              deadline, f"re-check of the {cert['size']} certificate at {label}")]
            if _accepts(checks, cert["proved"]):
                # printed from the clauses the re-check accepted, never from the file's own text
                inv, source = {**cert, "text": certificate_text(model, page, n_term, n_min, cert)}, \
                    f"certificate for {page} = {cert['size']} (re-checked)"
                if config.options.get("write_certificate") and cert["size"] == tag:
                    work = deadline - RECHECK_RESERVE * max(0.0, deadline - time.monotonic())
                    tighter = _tighten(model, page, n_term, n_min, every, cert, work, deadline, progress)
                    if tighter is not None:
                        inv, checks = tighter
                        source += ", minimised further"
                        p = certificate.save(model, page, tag, inv["clauses"], inv["properties"], inv["proved"],
                                             inv["text"], where)
                        res.extra["certificate_written"] = str(p)
            else:
                res.extra["certificate"] = "stored certificate rejected by the re-check: " + "; ".join(
                    p for c in checks for p in c.problems)
        if inv is None:
            phase = "inference"
            # the re-check below must have time left: a proof it cannot finish proves nothing
            work = deadline - RECHECK_RESERVE * max(0.0, deadline - time.monotonic())
            inv, info = infer(model, page, n_term, n_min, targets, work, progress, config.build,
                              int(str(config.options.get("cti_rounds", cti.MAX_ROUNDS))),
                              mine_linear=config.options.get("linear") != "off",
                              mine_counts=config.options.get("counts") != "off")
            source = "inferred"
            phase = "re-check"
            progress("independent re-check")
            checks = _rechecks(model, page, n_term, n_min, every, inv["clauses"], inv["properties"],
                               inv["proved"], deadline)
            if config.options.get("write_certificate") and all(c.inductive for c in checks):
                proved = [t for t in inv["proved"] if all(t in c.excluded for c in checks)]
                p = certificate.save(model, page, tag, inv["clauses"], inv["properties"], proved, inv["text"], where)
                res.extra["certificate_written"] = str(p)
    except OutOfTime as e:
        progress.done()
        res.message = f"time limit reached in phase {phase} ({e}); nothing proved"
        res.bound = f"inconclusive (prove, {label})"
        for t in targets:
            res.extra["targets"][t] = f"not proved: time limit in {phase}"
        res.stats = Stats(0, 0, 0, time.monotonic() - t0)
        return res
    progress.done()
    reasons: dict[str, str] = dict(info.get("why_not", {}))  # type: ignore[arg-type]
    proved = []
    for t in targets:
        failed = [c for c in checks if not c.inductive or t not in c.excluded]
        if t in inv["proved"] and not failed:
            proved.append(t)
            res.extra["targets"][t] = "proved"
        elif t in inv["proved"]:
            res.extra["targets"][t] = "not proved: the re-check failed (" + "; ".join(
                f"{c.label}: {'; '.join(c.problems[:3])}" for c in failed) + ")"
        else:
            res.extra["targets"][t] = "not proved: " + reasons.get(t, "not implied by the inferred invariant"
                                                            if source == "inferred" else
                                                            "not among the stored certificate's proved targets")
    res.extra["invariant_source"] = source
    res.extra["forall_invariant"] = inv["text"]
    res.extra["forall_invariant_data"] = {"clauses": inv["clauses"], "properties": inv["properties"]}
    res.extra["recheck"] = [f"{c.label}: {c.queries} queries, "
                            + ("all valid" if not c.problems else f"{len(c.problems)} failed") for c in checks]
    res.extra.update({k: v for k, v in info.items() if k != "why_not"})
    res.extra["not_checked"] = "witnesses (sometimes) and progress properties: use the explicit engine"
    open_t = [t for t in targets if t not in proved]
    res.bound = f"proved ({'all lengths'}, ∀-invariant, {label})" if not open_t else f"partial (∀-invariant, {label})"
    if open_t:
        res.verdict = Verdict.INCONCLUSIVE
        res.message = (f"proved {len(proved)} of {len(targets)} targets at {label}; not proved: "
                       + ", ".join(open_t))
    else:
        res.verdict = Verdict.HOLDS
        res.message = f"all {len(targets)} targets proved at {label}"
    res.stats = Stats(0, 0, 0, time.monotonic() - t0)
    return res


def _tighten(model: Model, page: str, n_term: z3.ArithRef, n_min: int, every: bool, cert: dict[str, Any],
             work: float, deadline: float, progress: Progress) -> tuple[dict[str, Any], list[Recheck]] | None:
    """A re-checked certificate minimised again (``minimise.py`` with the time the inference that wrote it
    may not have had), re-checked afresh; None when it is not smaller, not re-checked, or out of time. What
    ``--write-certificate`` does with a certificate that re-checks."""
    system = ArraySystem(model, page, n_term, n_min)
    cols = Columns(system)
    props = {p.name: p for p in model.always}
    items: list[Any] = [*parse(cols, cert["clauses"]), *(props[n] for n in cert["properties"])]
    try:
        progress("minimising the stored certificate")
        h = Houdini(system, cols, items, work, progress)
        if len(h.run(work, progress).kept) != len(items):
            return None  # not inductive in Houdini's own queries: leave it to the re-check that accepted it
        seeds = [i for i, it in enumerate(items) if isinstance(it, Property)]
        consequences = [t for t in ("deadlock", "range") if t in cert["proved"]]
        for name in consequences:
            ok, core = h.consequence(name, work)
            if not ok:
                return None
            seeds += core
        needed = minimise(h, h.core(sorted(set(seeds)), work, progress), consequences, work, progress)
    except OutOfTime:
        return None
    kept = [items[i] for i in needed]
    clauses = [_json(cols, it) for it in kept if not isinstance(it, Property)]
    if len(clauses) >= len(cert["clauses"]):
        return None
    names = [it.name for it in kept if isinstance(it, Property)]
    progress("independent re-check of the minimised certificate")
    try:
        checks = _rechecks(model, page, n_term, n_min, every, clauses, names, cert["proved"], deadline)
    except OutOfTime:
        return None
    if not _accepts(checks, cert["proved"]):
        return None
    text = InvariantText(cols).lines([it for it in kept if not isinstance(it, Property)],
                                     [props[n] for n in names])
    return {**cert, "clauses": clauses, "properties": names, "text": text}, checks


def _accepts(checks: list[Recheck], proved: list[str]) -> bool:
    """Every re-check found the invariant inductive and excluding each target it claims."""
    return all(c.inductive and set(proved) <= set(c.excluded) for c in checks)


def _safe_recheck(model: Model, page: str, n_term: z3.ArithRef, n_min: int, clauses: Any, props: Any,
                  proved: Any, deadline: float, label: str) -> Recheck:
    """A certificate that does not fit the model (a column or property it lacks) fails its re-check."""
    try:
        return recheck(model, page, n_term, n_min, clauses, props, proved, deadline, label)
    except ModelError as e:
        return Recheck(label, [f"initiation: the certificate does not fit the model ({e})"])


def certificate_text(model: Model, page: str, n_term: z3.ArithRef, n_min: int, cert: dict[str, Any]) -> list[str]:
    """The invariant of a certificate as this engine prints it (from its clauses and properties)."""
    cols = Columns(ArraySystem(model, page, n_term, n_min))
    props = {p.name: p for p in model.always}
    return InvariantText(cols).lines(parse(cols, cert["clauses"]), [props[n] for n in cert["properties"]])


def _rechecks(model: Model, page: str, n_term: z3.ArithRef, n_min: int, every: bool, clauses: Any, props: Any,
              proved: Any, deadline: float) -> list[Recheck]:
    out = [recheck(model, page, n_term, n_min, clauses, props, proved, deadline,
                   f"re-check at {page + ' = N (symbolic)' if every else page + ' = ' + str(n_term)}")]
    if every:  # a proof for every N covers the kernel's size: re-check the invariant there too
        out.append(recheck(model, page, z3.IntVal(KERNEL_PAGES), n_min, clauses, props, proved, deadline,
                           f"re-check at {page} = {KERNEL_PAGES}"))
    return out


def infer(model: Model, page: str, n_term: z3.ArithRef, n_min: int, targets: list[str], deadline: float,
          progress: Progress, build: ModelBuilder | None, cti_rounds: int = cti.MAX_ROUNDS,
          mine_linear: bool = True, mine_counts: bool = True) -> tuple[dict[str, Any], dict[str, Any]]:
    """Mine, filter (Houdini), strengthen from counterexamples to induction (``cti.py``; ``cti_rounds = 0``
    leaves it out), check the consequences, minimise; then, if targets are left, a pass with count
    equalities (``mine_counts``) and one with linear equalities (``mine_linear``), each when some are mined.
    Every clause template is in the first pass. Returns the invariant and figures."""
    system = ArraySystem(model, page, n_term, n_min)
    cols = Columns(system)
    rows: set[tuple] = set()
    states: set[tuple] = set()  # whole states, for count equalities
    errors: dict[int, list[Any]] = {}
    for k in SAMPLE_SIZES:
        if k < n_min:
            continue
        if time.monotonic() > deadline:
            raise OutOfTime("sampling")
        progress(f"sampling reachable states at {page} = {k}")
        mk = reduction.rebuild(model, page, k, build)
        errors[k] = []
        reach = samples.explore(mk, SAMPLE_LIMIT, errors[k])
        rows |= cols.rows(mk, reach.states, k)
        if mine_counts:
            count.samples(cols, mk, reach.states, k, states)
    progress(f"mining candidates from {len(rows)} rows")
    # Every template from the start: the first pass's, and the orders of a page against a thread's scalars,
    # ownership and cell pairs. On file poison post_fix, proposed only in the later passes they ran out of
    # those passes' time shares (2 of 6 targets); proposed here, one Houdini run keeps every target.
    seen_error = next(((k, e[0]) for k, e in errors.items() if e), None)
    run = _Filter(system, cols, rows, targets, progress, seen_error)
    clauses = cols.mine(rows)
    known = {repr(c.to_json()) for c in clauses}
    clauses += [c for c in run.templates(ownership=True) if repr(c.to_json()) not in known]
    if time.monotonic() > deadline:
        raise OutOfTime("mining")
    inv, info, kept = run(clauses + list(model.always), deadline, cti_rounds)
    if mine_counts and set(inv["proved"]) < set(targets):
        inv, info, kept = _with_counts(run, kept, deadline, inv, info, states)
    if mine_linear and set(inv["proved"]) < set(targets):
        inv, info = _with_equalities(run, kept, deadline, inv, info)
    return inv, info


def _with_counts(run: "_Filter", kept: list[Any], deadline: float, inv: dict[str, Any], info: dict[str, Any],
                 states: set[tuple]) -> tuple[dict[str, Any], dict[str, Any], list[Any]]:
    """A Houdini pass with count equalities (``count.py``: ``#{p : φ(p)}`` against counters) over the first
    pass's invariant and ``_base``, within a share of the time left; kept as ``_extra_pass`` decides."""
    now = time.monotonic()
    sub = now + COUNT_SHARE * max(0.0, deadline - now)
    run.progress("mining count equalities")
    model = run.system.model
    # Counts over the arrays the open properties read (a count helps a target through what it reads).
    open_props = [p for p in model.always if p.name not in inv["proved"]]
    focus = {id(n.decl) for p in open_props for n in walk(p.expr) if isinstance(n, VarRef)}
    eqs = count.mine(run.cols, states, focus or None)
    info["count_candidates"] = len(eqs)
    if not eqs:
        return inv, info, kept
    cells = {i for i, (_, _, how) in enumerate(run.cols.base) if how[0] == "cell" and id(how[1]) in focus}  # type: ignore[index]
    settled, base = _base(run, kept, inv, cells)
    items = [*settled, *base, *eqs, *model.always]
    what = f"pass with {len(eqs)} count equalities and {len(base)} other clauses"
    return _extra_pass(run, "counts", what, items, now, sub, inv, info, kept, settled=set(range(len(settled))))


def _base(run: "_Filter", kept: list[Any], inv: dict[str, Any], cells: set[int], ownership: bool = False
          ) -> tuple[list[Any], list[Any]]:
    """What an equality pass starts from, besides its equalities: the invariant so far (inductive with the
    proved properties: assumed, never asked again), and what an equality's step needs to know about the page
    it writes: the survivors so far that relate the given page cells of one page to each other only ("a hole
    is not collected"); the survivors about scalars only ("collapse@xas_lock_irq → nr_none_check = 0": where
    a count equality starts), cheap because they are not instantiated per page; and the survivors among the
    templates of ``Columns.mine(scalar_orders=True)``: a page against a thread's scalars ("the page at the
    loop index is not collected yet"), with ``ownership`` also ownership ("the faulting thread holds the
    lock of the page it found") and cell pairs. The first pass proposed them all; those it killed are not
    proposed again. The other survivors are left out: on uffd registration they are about 900, and with
    them the count pass took over 500 s without finishing, against about 180 s without them for the same
    target."""
    cols = run.cols
    final = {repr(c) for c in inv["clauses"]}
    settled = [it for it in kept if not isinstance(it, Property) and repr(_json(cols, it)) in final]
    among = [it for it in kept if isinstance(it, Clause) and repr(_json(cols, it)) not in final
             and (not it.paged or it.positions() <= cells)]
    known = {repr(_json(cols, it)) for it in settled + among}
    alive = {repr(_json(cols, it)) for it in kept if isinstance(it, Clause)}
    orders = [c for c in run.templates(ownership) if repr(c.to_json()) not in known and repr(c.to_json()) in alive]
    return settled, among + orders


def _json(cols: Columns, it: Any) -> Any:
    return it.to_json(cols) if isinstance(it, count.CountEq) else it.to_json()


def _with_equalities(run: "_Filter", kept: list[Any], deadline: float, inv: dict[str, Any], info: dict[str, Any]
                     ) -> tuple[dict[str, Any], dict[str, Any]]:
    """A Houdini pass with linear equalities (``linear.py``: refcounts as sums over holders) over the
    invariant so far and ``_base`` with the surviving ownership and cell-pair clauses, within a share of the
    time left; kept as ``_extra_pass`` decides."""
    now = time.monotonic()
    sub = now + LINEAR_SHARE * max(0.0, deadline - now)
    run.progress("mining linear equalities")
    eqs = linear.mine(run.cols, run.rows)
    info["linear_candidates"] = len(eqs)
    if not eqs:  # the clauses alone were the first pass's: nothing new to prove with
        return inv, info
    # The count pass's base over every page cell (a refcount is a sum over what the other cells of its page
    # say: slot, lock owner, collected) with the ownership and cell-pair survivors. They are not in the
    # count pass: on uffd registration they took its base from about 1700 to 3100 clauses and it ran out
    # of time (791 s).
    cells = {i for i, (_, _, how) in enumerate(run.cols.base) if how[0] == "cell"}
    settled, base = _base(run, kept, inv, cells, ownership=True)
    items = [*settled, *base, *eqs, *run.system.model.always]
    what = f"pass with {len(eqs)} linear equalities and {len(base)} other clauses"
    inv, info, _ = _extra_pass(run, "linear", what, items, now, sub, inv, info, kept,
                               settled=set(range(len(settled))))
    return inv, info


CARRIED = ("first_pass_candidates", "first_pass_proved", "count_candidates", "counts", "linear_candidates")


def _extra_pass(run: "_Filter", key: str, what: str, items: list[Any], now: float, sub: float,
                inv: dict[str, Any], info: dict[str, Any], kept: list[Any], settled: set[int] | None = None
                ) -> tuple[dict[str, Any], dict[str, Any], list[Any]]:
    """Run one strengthening pass over ``items`` until ``sub`` (the counterexample loop ran in the first pass)
    and keep its invariant only when it proves strictly more targets, so a pass never costs a target; one
    that runs out of time is dropped. ``info[key]`` says what the pass did; the figures of the passes before
    (``CARRIED``) stay in the JSON of whichever invariant is kept."""
    info.setdefault("first_pass_proved", list(inv["proved"]))
    info.setdefault("first_pass_candidates", info["candidates"])
    try:
        inv2, info2, kept2 = run(items, sub, 0, settled=settled)
    except OutOfTime as e:
        info[key] = f"{what} stopped ({e}) after {time.monotonic() - now:.0f} s; the invariant before it kept"
        return inv, info, kept
    took = f"{time.monotonic() - now:.0f} s"
    if set(inv2["proved"]) > set(inv["proved"]):
        info2.update({k: info[k] for k in CARRIED if k in info})
        info2[key] = f"{what} proved {len(inv2['proved']) - len(inv['proved'])} more target(s) in {took}"
        return inv2, info2, kept2
    info[key] = f"{what} proved nothing more in {took}; the invariant before it kept"
    return inv, info, kept


class _Filter:
    """Houdini over a candidate list, the counterexample loop, the consequences (deadlock, range), minimisation:
    one pass; the first and the linear-equality pass share the model, its columns and its samples."""

    def __init__(self, system: ArraySystem, cols: Columns, rows: set[tuple], targets: list[str],
                 progress: Progress, seen_error: tuple[int, Any] | None) -> None:
        self.system, self.cols, self.rows, self.targets = system, cols, rows, targets
        self.progress, self.seen_error = progress, seen_error
        self._templates: dict[bool, list[Clause]] = {}

    def templates(self, ownership: bool) -> list[Clause]:
        """``Columns.mine(scalar_orders=True, ownership=…)`` of the samples, mined once per kind: the first
        pass proposes the wide ones, the equality passes pick their survivors."""
        if ownership not in self._templates:
            self._templates[ownership] = self.cols.mine(self.rows, scalar_orders=True, ownership=ownership)
        return self._templates[ownership]

    def __call__(self, items: list[Any], deadline: float, cti_rounds: int, settled: set[int] | None = None
                 ) -> tuple[dict[str, Any], dict[str, Any], list[Any]]:
        """``settled``: indices of items already known inductive on their own (assumed, never asked)."""
        progress, targets = self.progress, self.targets
        progress(f"encoding {len(items)} candidates")
        h = Houdini(self.system, self.cols, items, deadline, progress)
        out = h.run(deadline, progress, settled=settled)
        n_items = len(items)
        loop = None
        if cti_rounds:
            out, loop = cti.strengthen(h, out, self.cols, self.rows, targets, deadline, progress, cti_rounds)
        kept_props = [it.name for it in out.kept if isinstance(it, Property)]
        which = "mined and counterexample-guided" if loop is not None and loop.added else "mined"
        why_not = {name: f"not inductive with the {which} clauses ({where})"
                   for name, where in out.killed_by.items()}
        if loop is not None:
            why_not.update(loop.why_not)
        seeds = [i for i in h.alive if isinstance(h.items[i], Property)]
        proved = list(kept_props)
        if self.seen_error:  # range safety is violated at a sample size: no invariant can exclude it
            k, err = self.seen_error
            why_not["range"] = f"a run-time model error is reachable at {self.system.page} = {k}: {err}"
        for name in ("deadlock", "range"):
            if name not in targets or (name == "range" and self.seen_error):
                continue
            progress(f"checking {name} against the invariant")
            ok, core = h.consequence(name, deadline)
            if ok:
                proved.append(name)
                seeds += core
            else:
                why_not.setdefault(name, "not excluded by the inferred invariant (a counterexample to it may be "
                                         "unreachable)")
        needed = minimise(h, h.core(sorted(set(seeds)), deadline, progress),
                          [t for t in proved if t in ("deadlock", "range")], deadline, progress)
        items_needed = [h.items[i] for i in needed]
        cl = [it for it in items_needed if not isinstance(it, Property)]
        props = [it for it in items_needed if isinstance(it, Property)]
        text = InvariantText(self.cols).lines(cl, props)
        inv = {"clauses": [_json(self.cols, c) for c in cl],
               "properties": [p.name for p in props], "proved": proved,
               "text": text}
        info = {"candidates": n_items, "inductive": len(out.kept), "houdini_rounds": out.rounds,
                "invariant_size": len(text), "why_not": why_not}
        if loop is not None:
            info["cti"] = loop.summary()
        return inv, info, out.kept
