"""SARIF 2.1.0 for code scanning (GitHub, GitLab, IDE viewers): one result per finding.

Each result is located at the model file and the line of the violated property (or the manifest entry
for mismatches that no property is to blame for). A counterexample becomes one ``codeFlow`` with one
``threadFlow`` per kernel thread: each thread's steps, located at the model line that defines the step,
carry their global ``executionOrder``, the changed variables as ``state`` and ``kinds`` such as
``acquire``/``release`` for lock operations, so a viewer can replay the interleaving. Rules are
``<model>/<property>`` (stable across runs, so alerts keep their identity) plus two generic rules.
Deterministic output. It must not run engines or decide what is a finding (``findings.py`` does).
"""

from __future__ import annotations

import hashlib
import json
from pathlib import PurePath
from typing import TYPE_CHECKING, Any

from collapsecheck import __version__
from collapsecheck.errors import SourceLoc
from collapsecheck.expr.printer import show
from collapsecheck.report.events import Kind, step_events
from collapsecheck.report.findings import ERROR_RULE, MISMATCH_RULE, Finding, findings

if TYPE_CHECKING:
    from collapsecheck.model.core import Model
    from collapsecheck.result.rows import Row

SCHEMA_URI = "https://json.schemastore.org/sarif-2.1.0.json"
_GENERIC = {
    MISMATCH_RULE: ("A manifest entry did not get its expected result",
                    "The observed verdict, failing property, counterexample length, state count, witnesses or "
                    "engine agreement differs from what models/manifest.toml expects for this model instance."),
    ERROR_RULE: ("A model or manifest entry could not be checked",
                 "Loading, building or checking the model failed; the message names the file and line."),
}
_KINDS = {Kind.ACQUIRE: ["acquire", "lock"], Kind.RELEASE: ["release", "lock"], Kind.HANDOFF: ["lock"]}


def _uri(path: str) -> str:
    return PurePath(path).as_posix()


def _location(loc: SourceLoc, message: str | None = None) -> dict[str, Any]:
    out: dict[str, Any] = {"physicalLocation": {"artifactLocation": {"uri": _uri(loc.file)},
                                                "region": {"startLine": loc.line}}}
    if message:
        out["message"] = {"text": message}
    return out


def _short(text: str, limit: int = 1024) -> str:
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _rule(f: Finding) -> dict[str, Any]:
    if f.rule in _GENERIC:
        short, full = _GENERIC[f.rule]
        help_text = full + " Run `collapsecheck verify` locally; see reports/summary.md."
        return {"id": f.rule, "name": f.rule.split("/")[-1], "shortDescription": {"text": short},
                "fullDescription": {"text": full}, "help": {"text": help_text},
                "defaultConfiguration": {"level": "error"}}
    model = f.row.model
    assert model is not None and f.prop is not None
    p = model.property(f.prop)
    short = _short(p.doc or f"{p.kind} property {p.name}")
    full = _short(f"{model.name}: {p.kind} {p.name}: {show(p.expr)}" + (f". {p.doc}" if p.doc else ""))
    return {"id": f.rule, "name": p.name, "shortDescription": {"text": short},
            "fullDescription": {"text": full},
            "help": {"text": f"{full}\nReproduce: collapsecheck verify {model.name} "
                             + " ".join(f"-p {k}={v}" for k, v in model.params)},
            "defaultConfiguration": {"level": "error"},
            "properties": {"tags": ["concurrency", "model-checking"], "precision": "very-high"}}


def _thread_flows(model: "Model", f: Finding) -> list[dict[str, Any]]:
    assert f.trace is not None
    flows: dict[str, list[dict[str, Any]]] = {}
    last = len(f.trace.steps)
    for k, st in enumerate(f.trace.steps, 1):
        events = step_events(model, st)
        a = model.actions[st.action]
        step = model.threads[a.thread].steps[a.step]
        text = f"{k}. {st.thread}: {st.step}" + (f" [{st.case}]" if st.case else "")
        loc = step.loc or f.loc
        tfl: dict[str, Any] = {"location": _location(loc, text), "executionOrder": k, "nestingLevel": 0}
        kinds = [x for e in events for x in _KINDS.get(e.kind, [])]
        if k == last:
            kinds.append("danger")
        if kinds:
            tfl["kinds"] = sorted(set(kinds))
        if events:
            tfl["state"] = {e.var: {"text": f"{e.old} -> {e.new}"} for e in events}
        flows.setdefault(st.thread, []).append(tfl)
    order = [t.name for t in model.threads if t.name in flows]
    return [{"id": name, "message": {"text": f"thread {name}"}, "locations": flows[name]} for name in order]


def _fingerprint(f: Finding) -> str:
    e = f.row.entry
    key = json.dumps([f.rule, e.model, sorted((k, str(v)) for k, v in e.params.items()), f.message.split(".")[0]])
    return hashlib.sha256(key.encode("utf-8")).hexdigest()[:32]


def _result(f: Finding, rule_index: int) -> dict[str, Any]:
    e = f.row.entry
    out: dict[str, Any] = {"ruleId": f.rule, "ruleIndex": rule_index, "level": f.level,
                           "message": {"text": f.message}, "locations": [_location(f.loc)],
                           "partialFingerprints": {"collapsecheckInstance/v1": _fingerprint(f)},
                           "properties": {"model": e.model, "parameters": e.param_text, "status": f.row.status,
                                          "expected": str(e.expect) + (f" ({e.property})" if e.property else "")}}
    if f.trace is not None and f.row.model is not None and f.trace.steps:
        out["codeFlows"] = [{"message": {"text": f"counterexample, {len(f.trace)} steps"},
                             "threadFlows": _thread_flows(f.row.model, f)}]
    return out


def sarif_log(rows: "list[Row]", manifest: str = "models/manifest.toml") -> dict[str, Any]:
    found = findings(rows, manifest)
    rules: list[dict[str, Any]] = []
    index: dict[str, int] = {}
    for f in found:
        if f.rule not in index:
            index[f.rule] = len(rules)
            rules.append(_rule(f))
    driver = {"name": "collapsecheck", "semanticVersion": __version__, "rules": rules}
    return {"$schema": SCHEMA_URI, "version": "2.1.0",
            "runs": [{"tool": {"driver": driver}, "results": [_result(f, index[f.rule]) for f in found],
                      "columnKind": "unicodeCodePoints"}]}


def sarif_text(rows: "list[Row]", manifest: str = "models/manifest.toml") -> str:
    return json.dumps(sarif_log(rows, manifest), indent=2, ensure_ascii=False) + "\n"
