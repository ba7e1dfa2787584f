"""The findings of a gate run, for CI formats: one per violated property and one per other mismatch.

A *finding* says which rule (``<model>/<property>``, or a generic rule for manifest mismatches and model
errors), where (the model file and the property's line; the manifest entry's line when no property is to
blame), how severe (``error`` when the entry did not match its expectation, ``note`` for a violation the
manifest expects, i.e. a reproduced pre-fix bug) and the counterexample, if any. SARIF and GitHub
annotations are both written from this list so they cannot disagree. It must not format output.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from collapsecheck.errors import SourceLoc
from collapsecheck.result import Trace, Verdict

if TYPE_CHECKING:
    from collapsecheck.model.core import Model
    from collapsecheck.result.rows import Row

MISMATCH_RULE = "collapsecheck/manifest-mismatch"
ERROR_RULE = "collapsecheck/model-error"
_LOC = re.compile(r"^(?P<file>[^\s:][^:]*):(?P<line>\d+): ")


@dataclass(frozen=True)
class Finding:
    rule: str
    prop: str | None
    level: str  # "error" | "note"
    message: str
    loc: SourceLoc
    row: "Row"
    trace: Trace | None = None

    @property
    def title(self) -> str:
        return self.message.split(". ")[0]


def manifest_loc(row: "Row", manifest: str) -> SourceLoc:
    return SourceLoc(manifest, max(row.entry.line, 1))


def _fallback_loc(row: "Row", manifest: str) -> SourceLoc:
    """The manifest entry; for ``verify MODEL`` (no entry) the model file itself."""
    if row.entry.line == 0 and row.model is not None and row.model.file:
        return SourceLoc(row.model.file, 1)
    return manifest_loc(row, manifest)


def property_loc(model: "Model | None", name: str | None) -> SourceLoc | None:
    if model is None or name is None:
        return None
    try:
        return model.property(name).loc
    except KeyError:
        return None


def _blamed(row: "Row", problem: str) -> str | None:
    model, e = row.model, row.entry
    if model is None:
        return None
    names = [p.name for p in model.properties]
    named = [n for n in names if re.search(rf"\b{re.escape(n)}\b", problem)]
    if named:
        return e.property if e.property in named else named[0]
    missing = e.expect == Verdict.VIOLATED and e.property and all(
        e.property not in r.violations for r in row.results.values())
    return e.property if missing and "expected" in problem else None


def row_findings(row: "Row", manifest: str = "models/manifest.toml") -> list["Finding"]:
    """Every finding of one manifest entry, in a fixed order (declaration order of properties)."""
    e, model = row.entry, row.model
    where = f"{e.model} [{e.param_text}]" if e.param_text else e.model
    if row.error:
        m = _LOC.match(row.error)
        loc = SourceLoc(m["file"], int(m["line"])) if m else manifest_loc(row, manifest)
        return [Finding(ERROR_RULE, None, "error", f"{where} could not be checked. {row.error}", loc, row)]
    out: list[Finding] = []
    # ``verify MODEL`` has no manifest entry (line 0): every violation is simply an error there.
    standalone = e.line == 0
    r = row.results.get("explicit") or row.primary
    if r is not None:
        order = [p.name for p in model.properties] if model is not None else sorted(r.violations)
        for name in sorted(r.violations, key=lambda n: order.index(n) if n in order else len(order)):
            expected = e.expect == Verdict.VIOLATED and name == e.property
            trace = r.violations[name]
            # An entry that matched its expectation makes every violation in it a documented result (a
            # pre-fix model may break more than the property it pins): a note, not an alert.
            level = "note" if row.ok and not standalone else "error"
            if standalone:
                why = "Found by collapsecheck verify"
            elif expected:
                why = "The manifest expects this (the model reproduces a bug)"
            elif row.ok:
                why = f"The entry still passes (the manifest pins {e.property or 'no property'})"
            else:
                why = "The manifest does not expect this"
            short = "counterexample (not claimed shortest)" if r.extra.get("trace_minimal") is False \
                else "shortest counterexample"
            msg = (f"{name} is violated in {where}. {why}; {short}: {len(trace)} steps (engine {r.engine}).")
            loc = property_loc(model, name) or _fallback_loc(row, manifest)
            out.append(Finding(f"{e.model}/{name}", name, level, msg, loc, row, trace))
    if r is not None and r.verdict == Verdict.ERROR:
        # A run-time model error points at the failing case or property (file:line), with its trace.
        err = r.extra.get("model_error", {})
        loc = SourceLoc(err["file"], err["line"]) if err.get("file") and err.get("line") else None
        level = "note" if row.ok and not standalone else "error"
        steps = len(r.trace) if r.trace is not None else 0
        out.append(Finding(ERROR_RULE, None, level, f"{where} has a run-time model error after {steps} steps "
                           f"(engine {r.engine}). {r.message}", loc or _fallback_loc(row, manifest), row, r.trace))
    for p in row.problems:
        if standalone and "disagree" not in p and (r is None or r.verdict != Verdict.DEADLOCK):
            continue  # "expected holds, observed violated/error" only restates the finding above
        # A mismatch that names a property (a witness never reached, another property failing) points at
        # it; so does an expected violation that did not happen. Pins and disagreements point at the entry.
        prop = _blamed(row, p)
        loc = property_loc(model, prop)
        rule = f"{e.model}/{prop}" if loc is not None else MISMATCH_RULE
        # An unexpected deadlock has no property, but its path is the evidence: keep it as the code flow.
        trace = r.trace if r is not None and r.verdict == Verdict.DEADLOCK and "deadlock" in p else None
        what = "deadlocks" if standalone and "disagree" not in p else "does not match the manifest"
        out.append(Finding(rule, prop, "error", f"{where} {what}. {p}.", loc or _fallback_loc(row, manifest),
                           row, trace))
    return out


def findings(rows: "list[Row]", manifest: str = "models/manifest.toml") -> list[Finding]:
    return [f for row in rows for f in row_findings(row, manifest)]
