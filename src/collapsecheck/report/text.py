"""Plain-text rendering of results: one-line gate rows and commit-message style counterexamples.

Pure formatting of :class:`CheckResult` data; it must not run engines or decide verdicts.
"""

from __future__ import annotations

import textwrap

from collapsecheck.expr.printer import show
from collapsecheck.model.core import Model
from collapsecheck.report.events import fold_steps, held_locks
from collapsecheck.report.sequence import clauses, error_title, fold_note
from collapsecheck.result import CheckResult, Trace, Verdict

WIDTH = 110  # wrap long lines (initial values, notes) here, at word boundaries only
STEP_COL = 44  # the step column of a numbered trace; a longer step name gets a line of its own


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


def wrap_words(text: str, width: int, first: str = "", rest: str = "") -> list[str]:
    """``text`` wrapped to ``width`` columns at spaces only: an identifier is never split (a word longer
    than the width gets a line of its own)."""
    return textwrap.wrap(text, width, initial_indent=first, subsequent_indent=rest, break_long_words=False,
                         break_on_hyphens=False) or [first.rstrip()]


def trace_lines(model: Model, trace: Trace, indent: str = "  ", prop: str | None = None,
                full: bool = False) -> list[str]:
    """Numbered steps: actor, kernel function (and outcome), what changed. Purely local steps of
    ``prop``'s story are folded (numbers keep their place in the full trace; a closing line lists the
    folded steps) unless ``full``; a folded step's local changes are shown with its thread's next step."""
    lines = wrap_words("initially: " + "; ".join(compact_state(model, trace.states[0])), WIDTH, indent,
                       indent + "    ") if trace.states else []
    shown, folded = fold_steps(model, trace, prop, full)
    wt = max([len(s.step.thread) for s in shown] + [6])
    ws = min(max([len(_step_name(s.step.step, s.step.case)) for s in shown] + [4]), STEP_COL)
    col = " " * (len(indent) + 5 + wt + 2 + ws + 2)  # where the changes start
    for sh in shown:
        st = sh.step
        ch = [f"{n}: {o} -> {v} (in folded step {k})" for k, n, o, v in sh.carried]
        ch += [f"{n}: {o} -> {v}" for n, o, v in st.changes + sh.moves]
        name = _step_name(st.step, st.case)
        head = f"{indent}{sh.number:>3}. {st.thread:<{wt}}  {name:<{ws}}  "
        if len(name) > ws:  # a long step name gets its own line; the changes follow in their column
            lines.append(head.rstrip())
            head = col
        # Each change is kept whole (its spaces made unbreakable while wrapping), changes wrap at "; ".
        items = "; ".join(c.replace(" ", "\u00a0") for c in ch) or "(no\u00a0shared\u00a0change)"
        lines += [x.replace("\u00a0", " ") for x in wrap_words(items, max(WIDTH, len(col) + 40), head, col)]
    if folded:
        lines += wrap_words(f"({fold_note(folded, len(trace.steps))})", WIDTH, indent + "     ",
                            indent + "      ")
    return lines


def ending_lines(model: Model, trace: Trace, prop: str | None, message: str = "", indent: str = "  ",
                 lasso: bool = False) -> list[str]:
    """How the trace ends: the violated property, its conjuncts with the values they read in the last
    state, and the locks held there (or the deadlock message)."""
    out: list[str] = []
    if prop is not None:
        p = model.property(prop)
        out += wrap_words(f"=> violated: {p.name}: {show(p.expr)}", WIDTH, indent, indent + "     ")
        if p.doc:
            out += wrap_words(f"({p.doc})", WIDTH, indent + "   ", indent + "    ")
        if trace.states and not lasso:
            out.append(f"{indent}   in the last state (after step {len(trace.steps)}):")
            for c in clauses(model, p.expr, trace.states[-1]):
                out += wrap_words(c.text, WIDTH, f"{indent}     {'holds ' if c.holds else 'FALSE '} ",
                                  f"{indent}             ")
                if c.values:
                    out += wrap_words("with " + ", ".join(f"{n} = {v}" for n, v in c.values), WIDTH,
                                      f"{indent}            ", f"{indent}              ")
    elif message:
        out += wrap_words(f"=> {message}", WIDTH, indent, indent + "     ")
    if trace.states:
        held = held_locks(model, trace)
        out.append(f"{indent}   locks held at the last state: "
                   + (", ".join(f"{lk} by {who}" for lk, who in held) if held else "none"))
    return out


def ending_message(res: CheckResult) -> str:
    """What ends a trace that violates no property: the deadlock, or the step that fails (file:line)."""
    if res.verdict == Verdict.DEADLOCK:
        return res.message
    if res.verdict == Verdict.ERROR and res.trace is not None:
        return f"{error_title(len(res.trace.steps))}: {res.message}"
    return ""


def _step_name(step: str, case: str | None) -> str:
    return f"{step} [{case}]" if case else step


def format_result(model: Model | None, res: CheckResult, full: bool = False) -> str:
    """The full human report of one check (``full``: no step of a counterexample folded)."""
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
        # ``trace_minimal`` False: a valid trace not known to be the shortest (a pumped counterexample, a
        # reduced search whose rebuild hit a limit).
        short = "not claimed shortest" if res.extra.get("trace_minimal") is False else "shortest"
        what = {Verdict.VIOLATED: f"Counterexample ({len(res.trace)} steps, {short})",
                Verdict.DEADLOCK: f"Path to the deadlock ({len(res.trace)} steps, {short})"}.get(
                    res.verdict, f"Trace ({len(res.trace)} steps)")
        lines.append(f"  {what}:")
        prop = res.property if res.verdict == Verdict.VIOLATED else None
        lasso = prop in res.extra.get("cycle_start", {})
        lines += trace_lines(model, res.trace, "    ", prop, full or lasso)
        lines += ending_lines(model, res.trace, prop, ending_message(res), "    ", lasso)
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
    lines += coverage_lines(res)
    return "\n".join(lines)


def coverage_lines(res: CheckResult) -> list[str]:
    """``--coverage``: what the complete search never exercised (one item per line, names as the manifest's
    ``uncovered`` list writes them)."""
    cov = res.extra.get("coverage")
    if cov is None:
        return []
    if "not_computed" in cov:
        return [f"  coverage: not computed: {cov['not_computed']}"]
    from collapsecheck.result.coverage import items

    names = items(cov)
    if not names:
        return ["  coverage: every step, case and property disjunct was exercised"]
    return [f"  coverage: {len(names)} item(s) never exercised:"] + [f"    {n}" for n in names]


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
    from collapsecheck.result.rows import Row

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
