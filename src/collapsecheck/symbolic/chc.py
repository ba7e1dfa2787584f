"""The unbounded-proof portfolio of ``--engine pdr``: Spacer (constrained Horn clauses) and its companions.

Members, tried in order under a share of the time limit each, until every target is ruled out:

- ``spacer``: Z3's Spacer on the Horn clauses ``Init -> Inv``, one rule per action ``Inv & step -> Inv'``,
  ``Inv & target -> Err`` (notes §2d: xform slicing/inlining off so ``Inv`` keeps the model's variables).
- ``spacer-global``: the same with ``spacer.global=true`` (notes §2e: it is what closes the one-page
  reduction with a symbolic size; it hurts flat encodings).
- ``closure``: the sample states of small instances (``samples.explore``, or ``abstract.py`` under
  the reduction) completed by Z3 to an inductive set (``closure.py``).
- ``houdini``: candidate clauses mined from the samples, filtered by Z3 to an inductive subset
  (``lemmas.py``); it may rule out only some targets.
- ``kind``: k-induction with the simple-path constraint (``kind.py``); it proves but prints no invariant.

Whatever a member returns is re-checked by :func:`invariant.recheck` with plain validity queries before it
counts. Spacer answering ``sat`` proves nothing here: the caller looks for the shortest counterexample with
BMC, which replays it (Spacer's own traces are not readable, notes §2d). This module searches for proofs;
it must not decide verdicts.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Callable

import z3

from collapsecheck import limits, progress
from collapsecheck.model.core import Model
from collapsecheck.symbolic import abstract, closure, invariant, kind, lemmas, reduction
from collapsecheck.symbolic import samples as samples_mod
from collapsecheck.symbolic.encode import Havoc
from collapsecheck.symbolic.invariant import Invariant, Printer
from collapsecheck.symbolic.system import System, Target

MEMBERS = ("spacer", "spacer-global", "closure", "houdini", "kind")
# Default orders, cheapest-to-fail first. Flat: the closure of the exact reachable set settles every model
# in the manifest in seconds, while Spacer times out on the kernel models (bench/symbolic_sizes.py).
# Reduced: spacer.global is what generalises over a symbolic size (notes §2e).
DEFAULT_FLAT = ("closure", "spacer", "kind")
DEFAULT_REDUCED = ("spacer-global", "houdini", "closure", "spacer", "kind")
SAMPLE_LIMIT = 200_000  # sample states per instance for closure/houdini
KIND_MAX_K = 60


@dataclass
class Attempt:
    member: str
    outcome: str  # "proved", "partial", "reachable", "unknown", "time", "error", "skipped"
    seconds: float
    detail: str = ""
    proved: list[Target] = field(default_factory=list)
    invariant: Invariant | None = None
    reach: "samples_mod.Reachable | None" = None  # the exact reachable set, when the member computed it


# -------------------------------------------------------------------------------------------- spacer
def spacer(system: System, targets: list[Target], deadline: float, global_: bool) -> Attempt:
    name = "spacer-global" if global_ else "spacer"
    t0 = time.monotonic()
    model = system.model
    x = system.frame("x")
    xs = system.params + x.terms()
    fp = z3.Fixedpoint()
    fp.set(engine="spacer")
    fp.set("xform.slice", False)
    fp.set("xform.inline_linear", False)
    fp.set("xform.inline_eager", False)
    if global_:
        fp.set("spacer.global", True)
    inv = z3.Function("Inv", *[t.sort() for t in xs], z3.BoolSort())
    err = z3.Function("Err", z3.BoolSort())
    fp.register_relation(inv, err)
    fp.declare_var(*xs)

    def rule(head: z3.ExprRef, body: list[z3.BoolRef], hv: Havoc, label: str) -> None:
        fp.declare_var(*hv.vars)  # havoc choices exist only once the body is encoded
        fp.rule(head, body + hv.side, name=label)

    hv = Havoc("ci", system.sizes)
    rule(inv(*xs), [system.param_constraints(), system.domain(x), system.init(x, hv)], hv, "init")
    for a in model.actions:
        hv = Havoc(f"ct{a.id}", system.sizes)
        en, y = system.step_frame(a.id, x, hv, "y")
        rule(inv(*(system.params + y.terms())), [inv(*xs), system.domain(x), en], hv, f"a{a.id}")
    for tg in targets:
        hv = Havoc(f"ce{tg.name}", system.sizes)
        rule(err(), [inv(*xs), system.domain(x), system.target(tg, x, hv)], hv, f"err:{tg.name}")
    fp.set("timeout", max(1, int((deadline - time.monotonic()) * 1000)))
    try:
        r = fp.query(err())
    except z3.Z3Exception as e:  # Spacer reports its timeout as an exception ("canceled")
        msg = e.value.decode() if isinstance(e.value, bytes) else str(e)
        out = "time" if "cancel" in msg or time.monotonic() >= deadline else "error"
        return Attempt(name, out, time.monotonic() - t0, msg[:200])
    if r == z3.sat:
        return Attempt(name, "reachable", time.monotonic() - t0, "Spacer found a path to a target")
    if r == z3.unknown:
        return Attempt(name, "unknown", time.monotonic() - t0, fp.reason_unknown())
    body = z3.substitute_vars(fp.get_cover_delta(-1, inv), *xs)
    frame_terms = x.terms()

    def formula(f):  # type: ignore[no-untyped-def]
        return z3.substitute(body, *zip(frame_terms, f.terms()))

    printer = Printer(system)
    text = printer.show(z3.simplify(body))
    clauses = len(body.children()) if z3.is_and(body) else 1
    inv_obj = Invariant(formula, text, name, clauses, parts=printer.clauses(z3.simplify(body)))
    return Attempt(name, "proved", time.monotonic() - t0, f"{clauses} clauses", list(targets), inv_obj)


# ---------------------------------------------------------------------------------------- samples
def samples(system: System, model: Model, deadline: float
            ) -> tuple[set[tuple], bool, "samples_mod.Reachable | None"]:
    """(rows, exact, reachable): the reachable states of the model itself, or abstract states of small
    instances under the reduction."""
    red = system.reduction
    if red is None:
        reach = samples_mod.explore(model, SAMPLE_LIMIT)
        return lemmas.project(system, model, reach.states, None), reach.complete, reach
    rows: set[tuple] = set()
    sizes = [red.n_min, red.n_min + 1] if red.symbolic else [red.value]
    for n in sizes:
        if time.monotonic() >= deadline:
            break
        small = reduction.rebuild(model, red.size, n, red.build) if n != red.value else model
        ex = abstract.Explorer(system, small)
        rows |= ex.rows(ex.explore(SAMPLE_LIMIT))
    return rows, False, None


def closure_member(system: System, targets: list[Target], deadline: float) -> Attempt:
    t0 = time.monotonic()
    if system.reduction is not None and not system.reduction.symbolic and system.reduction.value > 8:
        return Attempt("closure", "skipped", 0.0, "abstract samples at the model's own size would be too many")
    rows, exact, reach = samples(system, system.model, deadline)
    got = closure.close(system, rows, targets, deadline, exact)
    if got.invariant is None:
        out = "time" if time.monotonic() >= deadline else "unknown"
        return Attempt("closure", out, time.monotonic() - t0, got.reason)
    outcome = "proved" if not got.unproved else ("partial" if got.proved else "reachable")
    what = "reachable states (exact)" if exact else "sample states"
    detail = f"{len(rows)} {what}, {got.added} added by Z3, {got.rounds} rounds"
    return Attempt("closure", outcome, time.monotonic() - t0, detail, got.proved, got.invariant,
                   reach if exact else None)


def houdini_member(system: System, targets: list[Target], deadline: float) -> Attempt:
    t0 = time.monotonic()
    progress.phase("pdr member houdini: sample states")
    rows, _, _ = samples(system, system.model, deadline)
    cols = lemmas.Columns(system)
    try:
        progress.phase(f"pdr member houdini: mining candidate lemmas from {len(rows):,} sample rows")
        cands = lemmas.mine(cols, rows, triples=False, deadline=deadline)
        progress.phase(f"pdr member houdini: filtering {len(cands):,} candidates")
        got = lemmas.houdini(system, cols, cands, targets, deadline)
    except TimeoutError as e:
        return Attempt("houdini", "time", time.monotonic() - t0, str(e))
    if not got.proved:
        out = "time" if time.monotonic() >= deadline else "unknown"
        return Attempt("houdini", out, time.monotonic() - t0, f"{len(got.clauses)} inductive lemmas, no target ruled out")
    keep = lemmas.support(system, cols, got, deadline)
    terms = cols.terms
    proved = list(got.proved)
    fresh = iter(range(10**9))

    def formula(f):  # type: ignore[no-untyped-def]
        # The lemmas are inductive only together with the negated targets (Houdini keeps both).
        tx = terms(f)
        negs = [z3.Not(system.target(tg, f, Havoc(f"h{next(fresh)}", system.sizes))) for tg in proved]
        return z3.And([c.formula(tx) for c in keep] + negs)

    printer = Printer(system)
    parts = [closure._clause_text(printer, c) for c in keep]
    outcome = "proved" if len(got.proved) == len(targets) else "partial"
    inv_obj = Invariant(formula, "; ".join(parts), "houdini", len(keep), parts=parts)
    return Attempt("houdini", outcome, time.monotonic() - t0, f"{len(keep)} of {len(got.clauses)} lemmas",
                   list(got.proved), inv_obj)


def kind_member(system: System, targets: list[Target], deadline: float) -> Attempt:
    t0 = time.monotonic()
    p = kind.prove(system, targets, KIND_MAX_K, deadline)
    if p.proved:
        return Attempt("kind", "proved", time.monotonic() - t0, f"k = {p.k}", list(targets))
    out = {"base": "reachable"}.get(p.reason, p.reason)
    return Attempt("kind", out, time.monotonic() - t0, f"not k-inductive up to k = {p.k}")


RUNNERS: dict[str, Callable[[System, list[Target], float], Attempt]] = {
    "spacer": lambda s, t, d: spacer(s, t, d, False),
    "spacer-global": lambda s, t, d: spacer(s, t, d, True),
    "closure": closure_member,
    "houdini": houdini_member,
    "kind": kind_member,
}


# ---------------------------------------------------------------------------------------- portfolio
@dataclass
class Portfolio:
    attempts: list[Attempt] = field(default_factory=list)
    proved: list[Target] = field(default_factory=list)
    invariants: list[Invariant] = field(default_factory=list)
    reachable: bool = False  # a member found a path to a target (the caller must find it with BMC)
    reach: "samples_mod.Reachable | None" = None  # exact reachable states, if a member computed them


def run(system: System, targets: list[Target], members: list[str], deadline: float) -> Portfolio:
    """Try ``members`` in order; each gets an equal share of the time left for the members still to run."""
    out = Portfolio()
    pending = list(targets)
    for n, name in enumerate(members):
        if not pending:
            break
        left = deadline - time.monotonic()
        if left <= 0:
            out.attempts.append(Attempt(name, "skipped", 0.0, "no time left"))
            continue
        member_deadline = time.monotonic() + left / (len(members) - n)
        progress.phase(f"pdr member {name} ({n + 1}/{len(members)})")
        progress.clear()
        att: Attempt | None = None
        token: object = None
        try:  # around the whole scope: its stop may also arrive just after the member returned
            with limits.scope(member_deadline, f"pdr member {name}") as token:
                att = RUNNERS[name](system, pending, member_deadline)
        except limits.LimitReached as e:
            if token is None or e.scope is not token:
                raise
            if att is None:
                att = Attempt(name, "time", time.monotonic() - member_deadline + left / (len(members) - n),
                              f"its share of the time ended in phase '{e.phase}'")
        assert att is not None
        if att.outcome in ("proved", "partial") and att.invariant is not None \
                and not att.invariant.details.get("rechecked"):
            problems = invariant.recheck(system, att.invariant, att.proved, deadline)
            if problems:
                att.outcome, att.detail = "error", "re-check failed: " + "; ".join(problems)
                att.proved = []
        out.attempts.append(att)
        if att.reach is not None:
            out.reach = att.reach
        if att.outcome == "reachable" or (att.outcome == "partial" and att.reach is not None):
            out.reachable = True
            if system.reduction is None:
                # Flat encoding: what the exact closure (or Spacer) did not rule out is reachable for
                # real; the caller finds the shortest path. No other member can prove it.
                if att.proved:
                    done = {t.name for t in att.proved}
                    out.proved += [t for t in pending if t.name in done]
                    if att.invariant is not None:
                        out.invariants.append(att.invariant)
                break
        if att.proved:
            done = {t.name for t in att.proved}
            out.proved += [t for t in pending if t.name in done]
            pending = [t for t in pending if t.name not in done]
            if att.invariant is not None:
                out.invariants.append(att.invariant)
    return out
