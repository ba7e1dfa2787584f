"""Counterexample certificates: a found violation stored beside the manifest, replayed instead of re-searched.

A certificate is ``<models>/certificates/<model>@<params>.trace.json``: the model's fingerprint, the
violated property, the full initial state (in the model's state layout) and the action sequence, each
action also named by thread, step and case so that a reader can follow it. Checking a certificate is the
*reference semantics* only (``model/semantics.py`` through :func:`trace.replay_checked`): the first state
must be an initial state, every action enabled, and the last state must violate the property. Z3 plays
no part, so a certificate is independent evidence, and replaying one at 512 pages takes milliseconds
where finding it takes bmc seconds to minutes.

A certificate is only used when its fingerprint equals the fingerprint of the model as built now (the
frozen structure: variables, sorts, initial choices, every step's guards, updates and targets, the
properties and the parameters); anything else is *stale* and ignored, and so is one that fails to replay
(*forged* or corrupted). Then bmc searches afresh and the caller may store the new trace.

Invariant certificates of the proof engine live in the same folder as ``<model>@<params>.json``; this
module only reads and writes ``.trace.json`` files. It must not search, decide verdicts or print.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from collapsecheck.errors import CollapsecheckError
from collapsecheck.model.core import Model
from collapsecheck.result import Trace
from collapsecheck.symbolic import reduction
from collapsecheck.symbolic.system import Target

FORMAT = "collapsecheck-counterexample/1"
SUFFIX = ".trace.json"


@dataclass
class Loaded:
    """A certificate that replayed: the trace and what the file says about how it was found."""

    path: Path
    prop: str
    trace: Trace
    found_by: str
    shortest: bool = True  # False: a valid counterexample not known to be the shortest (a pumped one)


def fingerprint(model: Model) -> str:
    """A hash of the frozen model and its parameters (stable across processes and runs)."""
    fp = reduction.fingerprint(model, size="")  # "" abstracts no size: every size's value is included
    text = repr((FORMAT, model.name, sorted((str(k), repr(v)) for k, v in dict(model.params).items()), fp))
    return hashlib.sha256(text.encode()).hexdigest()


def params_text(params: Any) -> str:
    """``pages=512,variant=pre_fix``: the parameters sorted by name (the model keeps them as pairs)."""
    return ",".join(f"{k}={v}" for k, v in sorted(dict(params).items()))


def path_for(model: Model, folder: Path | None = None) -> Path | None:
    """Where the certificate of this model instance lives (None for a model not loaded from a file)."""
    if folder is None:
        if model.file is None:
            return None
        folder = Path(model.file).parent / "certificates"
    return folder / f"{model.name}@{params_text(model.params)}{SUFFIX}"


def to_json(model: Model, prop: str, trace: Trace, found_by: str, shortest: bool = True) -> dict[str, Any]:
    actions = []
    for st in trace.steps:
        a = model.actions[st.action]
        t = model.threads[a.thread]
        step = t.steps[a.step]
        actions.append({"id": a.id, "thread": t.name, "step": step.name,
                        "case": step.cases[a.case].label or str(a.case)})
    return {
        "format": FORMAT,
        "model": model.name,
        "params": dict(sorted(dict(model.params).items())),
        "fingerprint": fingerprint(model),
        "property": prop,
        "length": len(trace),
        "shortest": shortest,
        "found_by": found_by,
        "initial_state": list(trace.states[0]),
        "actions": actions,
    }


def write(path: Path, model: Model, prop: str, trace: Trace, found_by: str, shortest: bool = True) -> None:
    """Store the certificate (deterministic bytes: same trace, same file)."""
    data = to_json(model, prop, trace, found_by, shortest)
    # The state is thousands of values at 512 pages: one line for it, one line per action.
    state = data.pop("initial_state")
    actions = data.pop("actions")
    head = json.dumps(data, indent=1)[:-2]
    text = (head + ',\n "initial_state": ' + json.dumps(state) + ',\n "actions": [\n'
            + ",\n".join("  " + json.dumps(a) for a in actions) + "\n ]\n}")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text + "\n")


def load(path: Path, model: Model) -> tuple[Loaded | None, str]:
    """(the replayed certificate, "") or (None, why it was not used: missing, stale, unreadable, forged)."""
    from collapsecheck.symbolic.trace import replay_checked

    if not path.exists():
        return None, "missing"
    try:
        data = json.loads(path.read_text())
        if not isinstance(data, dict) or data.get("format") != FORMAT:
            return None, f"not a {FORMAT} file"
        if data.get("fingerprint") != fingerprint(model):
            return None, "stale (the model or its parameters changed since it was stored)"
        prop = data["property"]
        names = {p.name: p for p in model.always}
        if prop not in names:
            return None, f"names no always property of the model ({prop!r})"
        s0 = tuple(_value(v) for v in data["initial_state"])
        aids = [int(a["id"]) for a in data["actions"]]
        if len(s0) != len(model.layout.slots) or any(not 0 <= a < len(model.actions) for a in aids):
            return None, "does not fit the model's state layout or actions"
        trace = replay_checked(model, s0, aids, Target("always", prop, names[prop]))
    except CollapsecheckError as e:  # InternalError from replay_checked: it does not replay
        return None, f"does not replay: {e}"
    except (ValueError, KeyError, TypeError) as e:
        return None, f"unreadable ({type(e).__name__}: {e})"
    return Loaded(path, prop, trace, str(data.get("found_by", "")), data.get("shortest", True) is not False), ""


def _value(v: object) -> int | bool:
    if isinstance(v, bool) or isinstance(v, int):
        return v
    raise ValueError(f"state value {v!r} is not an int or bool")
