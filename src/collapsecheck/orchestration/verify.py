"""Runs checks: one model instance (``verify MODEL``) or every manifest entry (the CI gate).

Compares observed results with the manifest's expectations (verdict, failing property, counterexample
length, state count, witnesses, agreement between engines) and writes ``reports/summary.md``. It
orchestrates engines and reporters but formats nothing itself beyond the summary rows.
"""

from __future__ import annotations

import functools
import time
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from collapsecheck import progress
from collapsecheck.engine_config import CheckConfig
from collapsecheck.errors import CollapsecheckError, ModelError, UsageError, relpath
from collapsecheck.model.core import Model
from collapsecheck.orchestration import engines, gate_pool, loader, manifest
from collapsecheck.result import CheckResult, Verdict
from collapsecheck.result.rows import Row


def check_model(model: Model, engine: str, config: CheckConfig) -> CheckResult:
    every = [k for k, v in model.params if v == "N"]
    if every and engine not in engines.EVERY_SIZE:
        raise UsageError(f"{every[0]}=N asks for every {every[0]} value, which the {engine} engine cannot check "
                         f"(it checks one instance): give a number (-p {every[0]}=3), or use "
                         f"{' or '.join('--engine ' + e for e in engines.EVERY_SIZE)}")
    return engines.run(engine, model, config)


def check_one(spec: str, params: Mapping[str, object], engine: str, config: CheckConfig,
              models_dir: Path | None = None) -> tuple[Model, CheckResult]:
    path = loader.resolve(spec, models_dir)
    model = loader.build(path, params)
    return model, check_model(model, engine, config)


def compare(entry: manifest.Entry, results: Mapping[str, CheckResult], order: list[str] | None = None) -> list[str]:
    """Every way the observed results differ from the entry's expectations."""
    problems: list[str] = []
    # Without an explicit result (a bmc-only entry at 512 pages) the entry's expectation is compared as is.
    full = {n: r for n, r in results.items() if not r.extra.get("unchecked_progress") or "explicit" not in results}
    for name, r in results.items():
        if name not in full:
            problems += safety_only(name, r, results.get("explicit"), order or [])
            continue
        if r.verdict != entry.expect and not (r.verdict == Verdict.BOUNDED and entry.expect == Verdict.HOLDS):
            detail = f" ({r.property})" if r.property else ""
            problems.append(f"{name}: expected {entry.expect}, observed {r.verdict}{detail}"
                            + (f": {r.message}" if r.message and r.verdict != Verdict.VIOLATED else ""))
            continue
        if entry.expect == Verdict.VIOLATED and entry.property:
            if entry.property not in r.violations:
                problems.append(f"{name}: expected {entry.property} to fail, but {r.property} failed")
            elif entry.trace_len is not None and len(r.violations[entry.property]) != entry.trace_len:
                problems.append(f"{name}: shortest counterexample has {len(r.violations[entry.property])} steps, "
                                f"manifest pins {entry.trace_len}")
        if entry.expect == Verdict.DEADLOCK and entry.trace_len is not None and r.trace is not None \
                and len(r.trace) != entry.trace_len:
            problems.append(f"{name}: path to the deadlock has {len(r.trace)} steps, manifest pins {entry.trace_len}")
        for w in entry.witnesses:  # names were checked against the model when the entry was loaded
            if w in r.witnesses and r.witnesses[w] is None and r.bound == "exhaustive":
                problems.append(f"{name}: witness {w} was never reached")
        if entry.proved is not None and "targets" in r.extra:
            got = sorted(t for t, v in r.extra["targets"].items() if v == "proved")
            if got != sorted(entry.proved):
                problems.append(f"{name}: proved targets {', '.join(got) or 'none'}; manifest expects "
                                f"{', '.join(sorted(entry.proved)) or 'none'}")
        # A reduced search (--por/--symmetry) stores fewer states by design: only unreduced counts pin.
        if name == "explicit" and entry.states is not None and r.stats.states != entry.states \
                and "reduction" not in r.extra:
            problems.append(f"explicit: {r.stats.states} distinct states, manifest pins {entry.states}")
    problems += disagreements(full)
    return problems


def single_rows(model: Model, results: Mapping[str, CheckResult]) -> list[Row]:
    """A one-entry gate row for ``verify MODEL``: the implicit expectation of a bare check is "holds"."""
    entry = manifest.Entry(model=model.name, params=dict(model.params), expect=Verdict.HOLDS)
    row = Row(entry, dict(results), model)
    row.problems = compare(entry, results)
    return [row]


def coverage_warnings(entry: manifest.Entry, results: Mapping[str, CheckResult]) -> list[str]:
    """With ``--coverage``: every item never exercised that the entry's ``uncovered`` list does not name,
    and every listed item that is now exercised (the list is stale)."""
    from collapsecheck.result.coverage import items

    cov = next((r.extra["coverage"] for r in results.values() if "coverage" in r.extra), None)
    if cov is None or "not_computed" in cov:
        return []
    found = items(cov)
    out = [f"{entry.key}: never exercised: {n} (add it to the entry's uncovered list if that is expected)"
           for n in found if n not in entry.uncovered]
    out += [f"{entry.key}: listed as uncovered but exercised now: {n}" for n in entry.uncovered if n not in found]
    return out


def safety_only(name: str, r: CheckResult, explicit: CheckResult | None, order: list[str]) -> list[str]:
    """A symbolic engine does not check progress properties: it must agree with the explicit engine on the
    safety part — the first safety property violated and its shortest length, or (none violated) every
    safety target proved with the progress part left inconclusive."""
    if explicit is None:
        return [f"{name}: does not check progress properties, and there is no explicit result to compare with"]
    unchecked = set(r.extra["unchecked_progress"])
    safety = {p: t for p, t in explicit.violations.items() if p not in unchecked}
    if safety:
        first = min(safety, key=lambda p: order.index(p) if p in order else len(order))
        if r.verdict != Verdict.VIOLATED or r.property != first:
            return [f"{name}: expected safety property {first} to fail (as the explicit engine finds), observed "
                    f"{r.verdict}" + (f" ({r.property})" if r.property else "")]
        if r.trace is not None and len(r.trace) != len(safety[first]):
            return [f"engines disagree on the shortest counterexample to {first}: explicit {len(safety[first])} "
                    f"steps, {name} {len(r.trace)} steps"]
        return []
    if explicit.deadlock is not None:
        return [] if r.verdict == Verdict.DEADLOCK else [f"{name}: expected the deadlock the explicit engine finds, "
                                                          f"observed {r.verdict}"]
    if r.verdict != Verdict.INCONCLUSIVE or r.violations:
        return [f"{name}: expected every safety property to hold (progress unchecked), observed {r.verdict}"]
    if name in ("pdr", "kind") and not r.bound.startswith("proved"):
        return [f"{name}: the safety properties were not proved ({r.bound})"]
    return []


def disagreements(results: Mapping[str, CheckResult]) -> list[str]:
    """Engines must agree on the verdict and, for violations, on the shortest counterexample length."""
    out: list[str] = []
    items = list(results.items())
    for (n1, r1), (n2, r2) in zip(items, items[1:]):
        if {r1.verdict, r2.verdict} == {Verdict.HOLDS, Verdict.BOUNDED}:
            continue  # a bounded search that found nothing agrees with a proof, as far as it goes
        if r1.verdict != r2.verdict:
            out.append(f"engines disagree: {n1} says {r1.verdict}, {n2} says {r2.verdict}")
        elif r1.verdict == Verdict.VIOLATED and r1.trace is not None and r2.trace is not None \
                and len(r1.trace) != len(r2.trace):
            out.append(f"engines disagree on the shortest counterexample: {n1} {len(r1.trace)} steps, "
                       f"{n2} {len(r2.trace)} steps")
    return out


def outside_comparison(results: Mapping[str, CheckResult]) -> tuple[list[str], list[str]]:
    """(notes, problems) about what the verdict comparison does not cover: the properties an engine does
    not check (progress, for the symbolic engines) and violations one engine reports beside its headline
    that another does not. A violation an engine reports that the exhaustive explicit search does not
    find is a problem; one the other engine did not search for is a note saying so."""
    notes: list[str] = []
    problems: list[str] = []
    ex = results.get("explicit")
    for name, r in results.items():
        if name == "explicit":
            continue
        unchecked = list(r.extra.get("unchecked_progress", []))
        if unchecked:
            both = (f"; both find {r.property} violated first among them ({len(r.trace)} steps)"
                    if r.verdict == Verdict.VIOLATED and r.trace is not None and ex is not None
                    and r.property in ex.violations and r.property != ex.property else "")
            notes.append(f"explicit and {name} compared on safety properties only: {name} does not check "
                         f"progress properties ({', '.join(unchecked)}){both}")
        if ex is None:
            continue
        gaps = r.extra.get("not_searched", {})
        for p, t in ex.violations.items():
            # Other violations matter beside a violation (or a property the engine does not check); when
            # the engine is not violated at all, the verdicts already disagree.
            if p in r.violations or (r.verdict != Verdict.VIOLATED and p not in unchecked):
                continue
            why = ("not checked by " + name if p in unchecked else
                   f"{name}: {gaps[p]}" if p in gaps else f"{name} does not report it")
            notes.append(f"explicit also finds {p} violated ({len(t)} steps); {why}")
        if ex.bound == "exhaustive":
            for p in r.violations:
                if p not in ex.violations:
                    problems.append(f"engines disagree: {name} finds {p} violated, the exhaustive explicit "
                                    "search does not")
    return notes, problems


def check_entry_names(entry: manifest.Entry, model: Model) -> None:
    """A property or witness the model does not have is a manifest mistake (exit 2), named at its line."""
    names = [p.name for p in model.properties]
    if entry.property and entry.property not in names:
        raise UsageError(f"model {entry.model} has no property {entry.property!r}; properties: "
                         f"{', '.join(names)}", entry.loc("property"))
    witnesses = [p.name for p in model.sometimes]
    for w in entry.witnesses:
        if w not in witnesses:
            raise UsageError(f"model {entry.model} has no witness {w!r}; witnesses (sometimes properties): "
                             f"{', '.join(witnesses) or 'none'}", entry.loc(f"witnesses:{w}"))


def build_entry(entry: manifest.Entry, models_dir: Path) -> Model:
    """The model an entry names, built with its parameters (by the check, and again for the reports when a
    gate worker checked it)."""
    return loader.build(loader.resolve(entry.model, models_dir), entry.params)


def run_entry(entry: manifest.Entry, models_dir: Path, config: CheckConfig,
              engine_override: list[str] | None = None) -> Row:
    row = Row(entry)
    t0 = time.monotonic()
    try:
        model = build_entry(entry, models_dir)
        row.model = model
        check_entry_names(entry, model)
        # ``--engine`` on the gate replaces the engines of the entries the explicit engine checks; an entry
        # at the kernel's size or for every size (engines prove/bmc only) keeps its own: enumerating 2^512
        # initial page layouts would only run into the time limit.
        override = engine_override if engine_override and "explicit" in entry.engines else None
        for eng in override or entry.engines:
            cfg = CheckConfig(**{**config.__dict__, "options": {**config.options, **entry.options}})
            row.results[eng] = check_model(model, eng, cfg)
        row.problems = compare(entry, row.results, [p.name for p in model.properties])
        row.warnings = coverage_warnings(entry, row.results)
        row.notes, more = outside_comparison(row.results)
        row.problems += more
    except CollapsecheckError as e:
        row.error = str(e)
    row.seconds = time.monotonic() - t0
    return row


def select(entries: Iterable[manifest.Entry], only: Iterable[str], skip: Iterable[str],
           budget: str) -> list[manifest.Entry]:
    only_s, skip_s = set(only), set(skip)
    out = []
    for e in entries:
        if only_s and e.model not in only_s:
            continue
        if e.model in skip_s:
            continue
        if budget == "fast" and e.budget != "fast":
            continue
        out.append(e)
    return out


def unlisted_models(entries: list[manifest.Entry], models_dir: Path) -> list[str]:
    """Warnings for ``.py`` files beside the models that no manifest entry names. The gate loads only the
    files the manifest names, so a helper or a draft there is never executed and does not fail the gate;
    the warning keeps a forgotten model from being a silent gap."""
    have = {e.model for e in entries}
    out = []
    for p in sorted(models_dir.glob("*.py")):
        if p.stem.startswith("_"):
            continue
        if p.stem not in have:
            out.append(f"{relpath(str(p))}: not named by any manifest entry, so not checked")
    return out


def run_gate(manifest_path: Path, config: CheckConfig, *, only: Iterable[str] = (), skip: Iterable[str] = (),
             budget: str = "all", engine_override: list[str] | None = None,
             on_row: Callable[[Row], None] | None = None, models_dir: Path | None = None,
             jobs: int | None = None) -> tuple[list[Row], list[str]]:
    """Every selected entry of the manifest; model names resolve in ``models_dir`` (default: the manifest's
    own folder); ``jobs`` worker processes (``gate_pool.py``; default one per core, 1: this process)."""
    entries = manifest.load(manifest_path)
    models_dir = models_dir or manifest_path.parent
    general: list[str] = []  # stray model files are warnings (unlisted_models), never gate failures
    chosen = select(entries, only, skip, budget)
    jobs = gate_pool.workers(jobs, len(chosen))
    # several workers would paint their progress lines over each other on one terminal
    cfg = config if jobs == 1 else CheckConfig(**{**config.__dict__, "progress": False})
    run_one = functools.partial(run_entry, models_dir=models_dir, config=cfg, engine_override=engine_override)
    rows = gate_pool.run_entries(chosen, run_one, jobs, functools.partial(build_entry, models_dir=models_dir), on_row)
    progress.gate_done()
    return rows, general


def pins_of(rows: list[Row]) -> dict[int, dict[str, int]]:
    """New ``states``/``trace_len`` pins from the explicit results (``verify --update``)."""
    pins: dict[int, dict[str, int]] = {}
    for row in rows:
        r = row.results.get("explicit")
        if r is None or row.error or r.verdict != row.entry.expect or r.bound != "exhaustive" \
                or "reduction" in r.extra:
            continue
        want: dict[str, Any] = {"states": r.stats.states}
        if row.entry.expect == Verdict.VIOLATED and row.entry.property in r.violations:
            want["trace_len"] = len(r.violations[row.entry.property])  # type: ignore[index]
        if row.entry.expect == Verdict.DEADLOCK and r.trace is not None:
            want["trace_len"] = len(r.trace)
        pins[row.entry.line] = want
    return pins


__all__ = ["Row", "check_one", "run_gate", "run_entry", "compare", "pins_of", "ModelError"]
