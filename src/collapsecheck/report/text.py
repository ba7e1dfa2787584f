"""Plain-text rendering of results: one-line gate rows and commit-message style counterexamples.

Pure formatting of :class:`CheckResult` data; it must not run engines or decide verdicts.
"""

from __future__ import annotations

from collapsecheck.expr.printer import show
from collapsecheck.model.core import Model
from collapsecheck.result import CheckResult, Trace, Verdict


def compact_state(model: Model, state: tuple) -> list[str]:
    """``name = value`` per variable (arrays as lists), program counters left out."""
    out = []
    for d in model.all_vars():
        base = model.layout.slot_of(d)
        if d.width > 1 or d.sort is not d.elem_sort:
            vals = ", ".join(d.elem_sort.show(state[base + k]) for k in range(d.width))
            out.append(f"{d.qualname} = [{vals}]")
        else:
            out.append(f"{d.qualname} = {d.sort.show(state[base])}")
    return out


def trace_lines(model: Model, trace: Trace, indent: str = "  ") -> list[str]:
    """Numbered steps: actor, kernel function (and outcome), what changed."""
    lines = [f"{indent}initially: " + "; ".join(compact_state(model, trace.states[0]))] if trace.states else []
    wt = max([len(s.thread) for s in trace.steps] + [6])
    ws = max([len(_step_name(s.step, s.case)) for s in trace.steps] + [4])
    for k, st in enumerate(trace.steps, 1):
        ch = "; ".join(f"{n}: {o} -> {v}" for n, o, v in st.changes) or "(no shared change)"
        lines.append(f"{indent}{k:>3}. {st.thread:<{wt}}  {_step_name(st.step, st.case):<{ws}}  {ch}")
    return lines


def _step_name(step: str, case: str | None) -> str:
    return f"{step} [{case}]" if case else step


def format_result(model: Model | None, res: CheckResult) -> str:
    """The full human report of one check."""
    head = f"{res.model}"
    if res.params:
        head += " [" + " ".join(f"{k}={v}" for k, v in res.params.items()) + "]"
    verdict = str(res.verdict).upper()
    if res.property:
        verdict += f": {res.property}"
    s = res.stats
    lines = [f"{head}: {verdict}",
             f"  engine {res.engine} ({res.bound}): {s.states:,} states, {s.transitions:,} transitions, "
             f"depth {s.depth}, {s.seconds:.2f} s" + (f", {s.rate:,.0f} states/s" if s.seconds > 0 else "")]
    if res.message:
        lines.append(f"  {res.message}")
    lines += symbolic_lines(res)
    if res.trace is not None and model is not None:
        what = {Verdict.VIOLATED: f"Counterexample ({len(res.trace)} steps, shortest)",
                Verdict.DEADLOCK: f"Path to the deadlock ({len(res.trace)} steps, shortest)"}.get(
                    res.verdict, f"Trace ({len(res.trace)} steps)")
        lines.append(f"  {what}:")
        lines += trace_lines(model, res.trace, "    ")
        if res.verdict == Verdict.VIOLATED and res.property:
            p = model.property(res.property)
            lines.append(f"    => violated: {p.name}: {show(p.expr)}")
            if p.doc:
                lines.append(f"       ({p.doc})")
        if res.verdict == Verdict.DEADLOCK:
            lines.append("    => " + res.message)
    others = sorted(set(res.violations) - {res.property or ""})
    if others:
        lines.append("  also violated: " + ", ".join(f"{n} ({len(res.violations[n])} steps)" for n in others))
    if res.deadlock is not None and res.verdict != Verdict.DEADLOCK:
        lines.append(f"  also: a deadlock is reachable in {len(res.deadlock)} steps")
    cyc = res.extra.get("cycle_start", {})
    if res.property in cyc:
        lines.append(f"  (steps {cyc[res.property] + 1}.. repeat forever: a non-progress cycle)")
    if res.witnesses:
        # A symbolic search stops once the verdict is settled: an unhit witness is only "not searched".
        never = "NEVER reached" if res.bound == "exhaustive" else "not reached"
        lines.append("  witnesses: " + ", ".join(
            f"{n} {'reached in ' + str(v) + ' steps' if v is not None else never}"
            for n, v in res.witnesses.items()))
    if res.unreached:
        lines.append("  unreached steps: " + ", ".join(res.unreached))
    return "\n".join(lines)


def symbolic_lines(res: CheckResult) -> list[str]:
    """What a symbolic engine adds: the reduction, the proof portfolio, the re-checked invariant."""
    out = []
    if "reduction" in res.extra and res.engine != "explicit":
        out.append(f"  encoding: {res.extra['reduction']}")
    for a in res.extra.get("portfolio", []):
        out.append(f"  portfolio  {a}")
    for name, what in res.extra.get("targets", {}).items():
        out.append(f"  target {name}: {what}")
    if res.extra.get("forall_invariant"):
        out.append(f"  ∀-invariant ({res.extra.get('invariant_source', '')}; "
                   f"{len(res.extra['forall_invariant'])} conjuncts):")
        out += [f"    {line}" for line in res.extra["forall_invariant"]]
    for line in res.extra.get("recheck", []):
        out.append(f"  {line}")
    if res.extra.get("not_checked"):
        out.append(f"  not checked by {res.engine}: {res.extra['not_checked']}")
    for inv in res.extra.get("invariant", []):
        out.append(f"  inductive invariant (re-checked by Z3: initiation, consecution, safety): {inv}")
    return out


def gate_line(row: "object") -> str:
    """One line per manifest entry: status, instance, expected vs observed, figures."""
    from collapsecheck.verify import Row

    assert isinstance(row, Row)
    e = row.entry
    exp = str(e.expect) + (f"({e.property})" if e.property else "")
    if row.error:
        return f"ERROR {e.key:<58} {row.error}"
    parts = []
    for name, r in row.results.items():
        obs = str(r.verdict) + (f"({r.property})" if r.property else "")
        fig = f"{r.stats.states:>9,} st" if name == "explicit" else f"{r.bound}"
        tl = f" len {len(r.trace)}" if r.trace is not None else ""
        parts.append(f"{name}: {obs}{tl}, {fig}, {r.stats.seconds:.2f}s")
    line = f"{row.status:<5} {e.key:<58} expected {exp}; " + "; ".join(parts)
    if row.problems:
        line += "\n      " + "\n      ".join(row.problems)
    return line
