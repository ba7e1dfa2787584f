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
    lines = [f"{head}: {verdict}", f"  engine {res.engine} ({res.bound}): " + ", ".join(figures(res))]
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
    gaps = res.extra.get("not_searched", {})
    for why, names in _grouped(gaps, [n for n in gaps if n not in res.witnesses]):
        lines.append(f"  {_gap_text(why, property_=True)}: {', '.join(names)}")
    if res.witnesses:
        reached = [f"{n} reached in {v} steps" for n, v in res.witnesses.items() if v is not None]
        missing = [n for n, v in res.witnesses.items() if v is None]
        groups = _grouped(gaps, [n for n in missing if n in gaps])
        rest = [n for n in missing if n not in gaps]
        parts = reached + [f"{_gap_text(why, property_=False)}: {', '.join(ns)}" for why, ns in groups]
        if rest:
            parts.append(f"{_never(res)}: {', '.join(rest)}")
        lines.append("  witnesses: " + "; ".join(parts))
    if res.unreached:
        lines.append("  unreached steps: " + ", ".join(res.unreached))
    return "\n".join(lines)


def figures(res: CheckResult) -> list[str]:
    """What the engine measured, in its own terms: states for a state-space search; depth, solver queries
    and invariant size for a symbolic engine (which stores no states, so prints no state count)."""
    s = res.stats
    if res.engine == "explicit":
        out = [f"{s.states:,} states", f"{s.transitions:,} transitions", f"depth {s.depth}", f"{s.seconds:.2f} s"]
        return out + ([f"{s.rate:,.0f} states/s"] if s.seconds > 0 and s.states else [])
    out = []
    if "limit" not in res.extra:
        out.append(f"depth {s.depth}")
    if res.extra.get("solver_queries"):
        out.append(f"{res.extra['solver_queries']:,} solver queries")
    if "k" in res.extra:
        out.append(f"k = {res.extra['k']}")
    for inv in res.extra.get("invariant", []):
        if isinstance(inv, dict) and inv.get("size"):
            out.append(f"invariant ({inv.get('source')}): {inv['size']}")
    return out + [f"{s.seconds:.2f} s"]


def _grouped(gaps: dict, names: list[str]) -> list[tuple[tuple, list[str]]]:
    groups: dict[tuple, list[str]] = {}
    for n in names:
        g = gaps[n]
        groups.setdefault((g.get("why"), g.get("depth")) if isinstance(g, dict) else (str(g), None), []).append(n)
    return list(groups.items())


def _gap_text(key: tuple, property_: bool) -> str:
    """What a bounded search did not establish, in words (``extra["not_searched"]``)."""
    why, depth = key
    if why == "settled":
        return f"not searched beyond depth {depth} (the verdict was settled there)"
    if why == "bound":
        return (f"no violation up to depth {depth}, beyond depth {depth} not searched" if property_
                else f"not reached up to depth {depth}, beyond depth {depth} not searched")
    if why in ("time", "unknown"):
        stop = "the time limit" if why == "time" else "Z3 answering unknown"
        return (f"no violation up to depth {depth}; {stop} stopped the search at depth {depth + 1}" if property_
                else f"not reached up to depth {depth}; {stop} stopped the search at depth {depth + 1}")
    if why == "spurious":
        return "given up (its abstract counterexamples did not concretise)"
    return str(why)


def witness_status(res: CheckResult, name: str, depth: int | None) -> str:
    """One witness in words: reached (and how deep), never reached, or what the engine did not search."""
    if depth is not None:
        return f"reached in {depth} steps"
    gap = res.extra.get("not_searched", {}).get(name)
    return _gap_text((gap.get("why"), gap.get("depth")), property_=False) if isinstance(gap, dict) else _never(res)


def _never(res: CheckResult) -> str:
    if res.bound == "exhaustive" or res.extra.get("paths_from"):
        return "NEVER reached"
    if res.engine == "explicit":
        return f"not reached in the {res.stats.states:,} states searched (search incomplete)"
    return "not reached (search incomplete)"


def symbolic_lines(res: CheckResult) -> list[str]:
    """What a symbolic engine adds: the reduction, the proof portfolio, the re-checked invariant (one
    conjunct per line; only on a result that is a proof), what it proved on a result that is not."""
    out = []
    if "reduction" in res.extra and res.engine != "explicit":
        out.append(f"  encoding: {res.extra['reduction']}")
    for a in res.extra.get("portfolio", []):
        out.append(f"  portfolio  {a}")
    for inv in res.extra.get("invariant", []):
        if isinstance(inv, dict):
            out.append(f"  inductive invariant [{inv.get('source')}, {inv.get('size')}] (re-checked by Z3: "
                       "initiation, consecution, safety), the conjunction of:")
            out += [f"      {c}" for c in inv.get("conjuncts", [])]
        else:
            out.append(f"  inductive invariant (re-checked by Z3: initiation, consecution, safety): {inv}")
    if res.extra.get("proved_properties"):
        out.append("  proved for all lengths (not the verdict's reason, so no invariant shown): "
                   + ", ".join(res.extra["proved_properties"]))
    return out


def observed(name: str, r: CheckResult) -> str:
    """One engine's outcome for a gate line, saying only what it established."""
    if r.verdict == Verdict.INCONCLUSIVE and r.extra.get("unchecked_progress") and r.bound.startswith("proved"):
        how = r.bound[len("proved"):].strip(" ()")
        return f"safety properties proved ({how}), progress properties not checked, {r.stats.seconds:.2f}s"
    if r.verdict == Verdict.BOUNDED:
        return f"no violation up to depth {r.stats.depth} (bounded), {r.stats.seconds:.2f}s"
    obs = str(r.verdict) + (f"({r.property})" if r.property else "")
    tl = f" len {len(r.trace)}" if r.trace is not None else ""
    fig = f"{r.stats.states:>9,} st" if name == "explicit" else r.bound
    return f"{obs}{tl}, {fig}, {r.stats.seconds:.2f}s"


def gate_line(row: "object") -> str:
    """One line per manifest entry: status, instance, expected vs observed, figures."""
    from collapsecheck.verify import Row

    assert isinstance(row, Row)
    e = row.entry
    exp = str(e.expect) + (f"({e.property})" if e.property else "")
    if row.error:
        return f"ERROR {e.key:<58} {row.error}"
    parts = [f"{name}: {observed(name, r)}" for name, r in row.results.items()]
    line = f"{row.status:<5} {e.key:<58} expected {exp}; " + "; ".join(parts)
    if row.problems:
        line += "\n      " + "\n      ".join(row.problems)
    if getattr(row, "notes", None):
        line += "\n      note: " + "\n      note: ".join(row.notes)  # type: ignore[attr-defined]
    return line
