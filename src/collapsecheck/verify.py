"""Runs checks: one model instance (``verify MODEL``) or every manifest entry (the CI gate).

Compares observed results with the manifest's expectations (verdict, failing property, counterexample
length, state count, witnesses, agreement between engines) and writes ``reports/summary.md``. It
orchestrates engines and reporters but formats nothing itself beyond the summary rows.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

from collapsecheck import engines, loader, manifest
from collapsecheck.engines import CheckConfig
from collapsecheck.errors import CollapsecheckError, ModelError, UsageError, relpath
from collapsecheck.model.core import Model
from collapsecheck.result import CheckResult, Verdict


def check_model(model: Model, engine: str, config: CheckConfig) -> CheckResult:
    every = [k for k, v in model.params if v == "N"]
    if every and engine not in engines.EVERY_SIZE:
        raise UsageError(f"{every[0]}=N asks for every {every[0]} value, which the {engine} engine cannot check "
                         f"(it checks one instance): give a number (-p {every[0]}=3), or use "
                         f"{' or '.join('--engine ' + e for e in engines.EVERY_SIZE)}")
    return engines.get(engine)(model, config)


def check_one(spec: str, params: Mapping[str, object], engine: str, config: CheckConfig,
              models_dir: Path | None = None) -> tuple[Model, CheckResult]:
    path = loader.resolve(spec, models_dir)
    model = loader.build(path, params)
    return model, check_model(model, engine, config)


@dataclass
class Row:
    """One manifest entry's outcome."""

    entry: manifest.Entry
    results: dict[str, CheckResult] = field(default_factory=dict)
    model: Model | None = None
    problems: list[str] = field(default_factory=list)
    error: str | None = None
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return not self.problems and self.error is None

    @property
    def status(self) -> str:
        return "ERROR" if self.error else ("PASS" if self.ok else "FAIL")

    @property
    def primary(self) -> CheckResult | None:
        return next(iter(self.results.values()), None)


def compare(entry: manifest.Entry, results: Mapping[str, CheckResult], order: list[str] | None = None) -> list[str]:
    """Every way the observed results differ from the entry's expectations."""
    problems: list[str] = []
    full = {n: r for n, r in results.items() if not r.extra.get("unchecked_progress")}
    for name, r in results.items():
        if name not in full:
            problems += safety_only(name, r, results.get("explicit"), order or [])
            continue
        if r.verdict != entry.expect:
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
        for w in entry.witnesses:
            if w not in r.witnesses:
                problems.append(f"{name}: the model has no witness named {w!r}")
            elif r.witnesses[w] is None and r.bound == "exhaustive":
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
        if r1.verdict != r2.verdict:
            out.append(f"engines disagree: {n1} says {r1.verdict}, {n2} says {r2.verdict}")
        elif r1.verdict == Verdict.VIOLATED and r1.trace is not None and r2.trace is not None \
                and len(r1.trace) != len(r2.trace):
            out.append(f"engines disagree on the shortest counterexample: {n1} {len(r1.trace)} steps, "
                       f"{n2} {len(r2.trace)} steps")
    return out


def run_entry(entry: manifest.Entry, models_dir: Path, config: CheckConfig,
              engine_override: list[str] | None = None) -> Row:
    row = Row(entry)
    t0 = time.monotonic()
    try:
        path = loader.resolve(entry.model, models_dir)
        model = loader.build(path, entry.params)
        row.model = model
        names = entry.property and [p.name for p in model.properties]
        if names and entry.property not in names:
            raise UsageError(f"manifest entry (line {entry.line}): model {entry.model} has no property "
                             f"{entry.property!r}; properties: {', '.join(names)}")
        for eng in engine_override or entry.engines:
            cfg = CheckConfig(**{**config.__dict__, "options": {**config.options, **entry.options}})
            row.results[eng] = check_model(model, eng, cfg)
        row.problems = compare(entry, row.results, [p.name for p in model.properties])
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


def coverage_problems(entries: list[manifest.Entry], models_dir: Path) -> list[str]:
    """Every model file needs at least one manifest entry (a model nobody checks is a silent gap)."""
    have = {e.model for e in entries}
    out = []
    for p in sorted(models_dir.glob("*.py")):
        if p.stem.startswith("_"):
            continue
        if p.stem not in have:
            out.append(f"{relpath(str(p))}: model {p.stem} has no entry in manifest.toml")
    return out


def run_gate(manifest_path: Path, config: CheckConfig, *, only: Iterable[str] = (), skip: Iterable[str] = (),
             budget: str = "all", engine_override: list[str] | None = None,
             on_row: Callable[[Row], None] | None = None) -> tuple[list[Row], list[str]]:
    entries = manifest.load(manifest_path)
    models_dir = manifest_path.parent
    general = coverage_problems(entries, models_dir) if not only and not skip else []
    rows = []
    for e in select(entries, only, skip, budget):
        row = run_entry(e, models_dir, config, engine_override)
        rows.append(row)
        if on_row:
            on_row(row)
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
