"""What a complete explicit search never exercised: steps, branch/choose cases, property disjuncts.

Computed only on request (``--coverage``), after the search, from what the search already kept: every
reachable state looked up its threads' transition caches, so the actions in those caches are exactly the
cases enabled in some reachable state (a case of a ``branch`` counts only when it was the first enabled
one, which is what the cache holds). Property disjuncts are evaluated over the stored states, each item
stopping at its first state where it is true. Under a reduction (``--por``/``--symmetry``) or an
incomplete search nothing is claimed. This module must not change verdicts or the search.
"""

from __future__ import annotations

from dataclasses import dataclass

from collapsecheck.explicit.pyexpr import PyExpr
from collapsecheck.expr.nodes import And, Expr, Implies, Or, Quant, show
from collapsecheck.model.core import Model
from collapsecheck.result.coverage import items  # re-exported: the names the manifest uses


@dataclass(frozen=True)
class Item:
    """One coverage item: its stable name (what a manifest's ``uncovered`` lists) and what it means."""

    kind: str  # step | case | disjunct
    name: str


def case_name(model: Model, thread: int, step: int, case: int) -> str:
    t = model.threads[thread]
    s = t.steps[step]
    c = s.cases[case]
    return f"{t.name}:{s.name}[{c.label if c.label else f'case {case + 1}'}]"


def property_items(e: Expr) -> list[Expr]:
    """The parts of a property that should each be true somewhere for the property to say anything:
    every disjunct of an ``Or``, the antecedent of an ``Implies`` (never true: the implication is vacuous),
    looking through ``And`` and into quantifier bodies (an item under ``ForAll i`` must hold for some i)."""
    out: list[Expr] = []

    def go(x: Expr, wrap: list[Quant]) -> None:
        def add(item: Expr) -> None:
            for q in reversed(wrap):
                item = Quant("exists", q.var, item)
            out.append(item)

        if isinstance(x, And):
            for a in x.args:
                go(a, wrap)
        elif isinstance(x, Or):
            for a in x.args:
                add(a)
                go(a, wrap)
        elif isinstance(x, Implies):
            add(x.lhs)
            go(x.rhs, wrap)
        elif isinstance(x, Quant) and x.kind == "forall":
            go(x.body, wrap + [x])

    go(e, [])
    return out


def compute(ex: object) -> dict[str, list[str]]:
    """Coverage of a complete, unreduced exploration ``ex`` (``engine.Exploration``)."""
    from collapsecheck.explicit.engine import unreached_steps

    model: Model = ex.model  # type: ignore[attr-defined]
    comp = ex.compiled  # type: ignore[attr-defined]
    steps = unreached_steps(ex)  # type: ignore[arg-type]
    taken: set[int] = set()
    for cache in comp.caches:
        for entry in cache.values():
            taken.update(a for _, _, a in entry)
    unreached = set(steps)
    cases = []
    for a in model.actions:
        t = model.threads[a.thread]
        if f"{t.name}:{t.steps[a.step].name}" in unreached:
            continue  # the step itself is reported
        if a.id not in taken:
            cases.append(case_name(model, a.thread, a.step, a.case))
    never: list[str] = []
    gen = PyExpr(model, comp.packing)
    gen.inline = True
    states = ex.packed  # type: ignore[attr-defined]
    from collapsecheck.model.builder import LOCK_EXIT_PROPERTY

    for p in model.always + model.sometimes:
        if p.name == LOCK_EXIT_PROPERTY and p.loc is None:
            continue  # the built-in check's parts say nothing about the author's model
        for item in property_items(p.expr):
            src = gen.ex(item, {}, f"model {model.name}, property {p.name!r}")
            ns: dict = {"_ix": _ix}
            fn = eval(f"lambda s: {src}", ns)  # noqa: S307 - our own generated expression source
            name = f"{p.name}: {show(item)}"
            if name not in never and not any(fn(s) for s in states):
                never.append(name)
    return {"unreached_steps": steps, "untaken_cases": cases, "never_true": never}


def _ix(i: int, n: int, site: int, s: int) -> int:
    return i if 0 <= i < n else 0  # an index outside the array was reported by the search itself


__all__ = ["compute", "items", "property_items", "case_name"]
