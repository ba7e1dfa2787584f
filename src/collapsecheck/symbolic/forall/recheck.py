"""The independent re-check of a ∀-invariant: fresh validity queries built from the model.

Whoever produced the invariant (the inference of this run, or a stored certificate), this module builds a
new array encoding of the model at the requested page count (a literal such as 512, or a free ``N``) and
asks, each with its own solver and only that query's term set: do the initial states satisfy it; does every
action, symbolically executed on its own, preserve it; does it exclude each target (a violated always
property, a deadlock, an out-of-range update)? A failed or unknown query is reported, and the targets it
concerns are not proved. Clauses come as data (``columns.Clause.to_json``) and are resolved by column
name, so a certificate that names a column the model no longer has is rejected. This module checks; it
must not search for invariants.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from typing import Any, Callable

import z3

from collapsecheck.errors import ModelError
from collapsecheck.model.core import Model
from collapsecheck.symbolic.forall import count, linear
from collapsecheck.symbolic.forall.columns import Clause, Columns
from collapsecheck.symbolic.forall.count_axioms import CountAxioms, preds_of
from collapsecheck.symbolic.forall.ground import ArraySystem, Frame, Ground, action_label


@dataclass
class Recheck:
    """``problems``: every query that failed; ``excluded``: targets the invariant was shown to exclude."""

    label: str
    problems: list[str] = field(default_factory=list)
    excluded: list[str] = field(default_factory=list)
    queries: int = 0
    seconds: float = 0.0

    @property
    def inductive(self) -> bool:
        return not [p for p in self.problems if not p.startswith("exclude ")]


# the JSON key that marks each kind of equality in an invariant, its reader, its name in errors
EQUALITIES: tuple[tuple[str, Callable[[Columns, dict[str, Any]], Any], str], ...] = (
    ("count", count.from_json, "count equality"), ("lin", linear.from_json, "equality"))


def parse(cols: Columns, data: list[dict[str, Any]]) -> list[Clause | linear.Equality | count.CountEq]:
    out: list[Clause | linear.Equality | count.CountEq] = []
    for c in data:
        kind = next((k for k in EQUALITIES if isinstance(c, dict) and k[0] in c), None)
        if kind is not None:  # ``count.CountEq.to_json`` / ``linear.Equality.to_json``
            _, load, what = kind
            try:
                out.append(load(cols, c))
            except KeyError as e:
                raise ModelError(f"invariant {what} {c}: the model has no column {e}") from None
            except (TypeError, ValueError, IndexError) as e:
                raise ModelError(f"invariant {what} {c}: malformed ({e})") from None
            continue
        try:
            prem = tuple((cols.by_name[n], int(v)) for n, v in c["if"])
            col = cols.by_name[c["then"][0]]
        except KeyError as e:
            raise ModelError(f"invariant clause {c}: the model has no column {e}") from None
        values = tuple(int(v) for v in c["then"][1])
        paged = any(cols.paged(x) for x, _ in prem) or cols.paged(col)
        out.append(Clause(prem, col, values, paged))
    return out


def recheck(model: Model, page: str, n_term: z3.ArithRef, n_min: int, clauses: list[dict[str, Any]],
            props: list[str], targets: list[str], deadline: float, label: str) -> Recheck:
    t0 = time.monotonic()
    system = ArraySystem(model, page, n_term, n_min)
    cols = Columns(system)
    cl = parse(cols, clauses)
    known = {p.name: p for p in model.properties}
    missing = [n for n in [*props, *targets] if n not in known and n not in ("deadlock", "range")]
    if missing:
        raise ModelError(f"the invariant names propert{'ies' if len(missing) > 1 else 'y'} "
                         f"{', '.join(missing)} that model {model.name} does not have")
    pr = [known[n] for n in props]
    out = Recheck(label)
    counts = CountAxioms(cols, preds_of(cl))  # the count terms' axioms, rebuilt here from the model

    # The clauses as two templates over the state ``x`` and a placeholder page ``P``; every query below
    # uses the same constants for its pre-state and substitutes its own terms (it never shares a solver).
    x = system.frame("x")
    P = z3.Int("~P")
    paged_t = z3.And([c.formula(cols.terms(x, P)) for c in cl if c.paged])
    flat_t = z3.And([c.formula(cols.terms(x, z3.IntVal(0))) for c in cl if not c.paged])

    def assume(terms: list[z3.ArithRef]) -> list[z3.BoolRef]:
        n = system.n
        return [flat_t] + [z3.Implies(z3.And(0 <= t, t < n), z3.substitute(paged_t, (P, t))) for t in terms]

    def violated(f: Frame, subst: list, g: Ground, sk: z3.ArithRef) -> tuple[z3.BoolRef, list[z3.BoolRef]]:
        g.add_term(sk)
        post = z3.substitute(z3.And(flat_t, paged_t), *subst, (P, sk))
        bad = [z3.Not(post)] + [z3.Not(system.holds(p.expr, f, g)) for p in pr]
        return z3.Or(bad), [0 <= sk, sk < system.n]

    def ask(name: str, facts: list[z3.BoolRef]) -> None:
        s = z3.Solver()
        left = deadline - time.monotonic()
        if left <= 0:
            out.problems.append(f"{name}: no time left")
            return
        s.set("timeout", max(1, int(left * 1000)))
        s.add(system.params(), *facts)
        out.queries += 1
        r = s.check()
        if r == z3.sat:
            out.problems.append(f"{name}: counterexample found")
        elif r == z3.unknown:
            out.problems.append(f"{name}: Z3 answered unknown ({s.reason_unknown()})")

    # initiation
    g = Ground("ri", system.sizes)
    goal, side = violated(x, [], g, z3.Int("sk"))
    counts.init(x, g)
    facts = [system.domain(x, g), system.init(x, g), goal] + side
    ask("initiation", facts + g.finalize())
    # consecution, one action at a time, by symbolic execution
    for a in model.actions:
        g = Ground(f"r{a.id}", system.sizes)
        system.index_terms(x, g)
        en, nxt, _ = system.action(a.id, x, g)
        y = system.successor(x, nxt)
        counts.frame(x, g)
        counts.step(a.id, x, nxt, g)
        goal, side = violated(y, [(x.vals[k], v) for k, v in nxt.items()], g, z3.Int("sk"))
        pre_props = [system.holds(p.expr, x, g) for p in pr]
        facts = [system.domain(x, g), system.domain(y, g), en, goal, *side, *pre_props]
        facts += g.finalize()
        ask(f"consecution {action_label(model, a.id)}", facts + assume(g.terms))
    # exclusion of each target
    for name in targets:
        before = len(out.problems)
        if name == "range":
            for a in model.actions:
                g = Ground(f"rr{a.id}", system.sizes)
                system.index_terms(x, g)
                _, _, bad = system.action(a.id, x, g)
                if z3.is_false(z3.simplify(bad)):
                    continue
                counts.frame(x, g)
                facts = [system.domain(x, g), bad, *[system.holds(p.expr, x, g) for p in pr]] + g.finalize()
                ask(f"exclude range at {action_label(model, a.id)}", facts + assume(g.terms))
        else:
            g = Ground(f"re{name}", system.sizes)
            system.index_terms(x, g)
            tgt = system.deadlock(x, g) if name == "deadlock" else z3.Not(system.holds(model.property(name).expr, x, g))
            counts.frame(x, g)
            facts = [system.domain(x, g), tgt, *[system.holds(p.expr, x, g) for p in pr]] + g.finalize()
            ask(f"exclude {name}", facts + assume(g.terms))
        if len(out.problems) == before:
            out.excluded.append(name)
    out.seconds = time.monotonic() - t0
    return out

