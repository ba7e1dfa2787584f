"""Human-readable and JSON descriptions of a frozen model (``collapsecheck show``).

Pure formatting of model data; it must not evaluate or check anything.
"""

from __future__ import annotations

from typing import Any

from collapsecheck.expr.printer import show
from collapsecheck.model.core import Model, VarDecl


def _init_text(d: VarDecl) -> str:
    def one(vals: tuple[int, ...]) -> str:
        shown = [d.elem_sort.show(v) for v in vals]
        return shown[0] if len(shown) == 1 else "one of {" + ", ".join(shown) + "}"

    parts = [one(v) for v in d.init]
    if len(set(parts)) == 1:
        return parts[0] + (" (each)" if len(parts) > 1 else "")
    return "[" + ", ".join(parts) + "]"


def model_text(m: Model) -> str:
    lines = [f"model {m.name}" + (f" [{m.param_text}]" if m.params else "") + (f"  ({m.file})" if m.file else "")]
    if m.doc:
        lines.append("  " + m.doc.splitlines()[0])
    lines.append("variables:")
    for d in m.globals:
        lines.append(f"  {'ghost ' if d.ghost else ''}{d.name}: {d.sort} = {_init_text(d)}"
                     + (f"  # {d.doc}" if d.doc else ""))
    for t in m.threads:
        lines.append(f"thread {t.name}:")
        for d in t.locals:
            lines.append(f"  local {d.name}: {d.sort} = {_init_text(d)}")
        for k, s in enumerate(t.steps):
            flag = " (end)" if s.end_ok else ""
            kind = "" if len(s.cases) == 1 else (" branch" if s.ordered else " choose")
            lines.append(f"  {k:>2}. {s.name}{kind}{flag}")
            for c in s.cases:
                ups = ", ".join(f"{show(u.target)} := {show(u.value)}" for u in c.updates)
                lab = f"[{c.label}] " if c.label else ""
                lines.append(f"        {lab}when {show(c.guard)}" + (f" do {ups}" if ups else "")
                             + f" -> {c.goto_label}")
    lines.append("properties:")
    for p in m.properties:
        lines.append(f"  {p.kind} {p.name}: {show(p.expr)}")
    if not m.check_deadlock:
        lines.append("  (deadlock check off)")
    return "\n".join(lines)


def model_json(m: Model) -> dict[str, Any]:
    def var(d: VarDecl) -> dict[str, Any]:
        return {"name": d.name, "sort": str(d.sort), "init": _init_text(d), "ghost": d.ghost}

    return {
        "model": m.name,
        "params": dict(m.params),
        "file": m.file,
        "variables": [var(d) for d in m.globals],
        "threads": [{
            "name": t.name,
            "locals": [var(d) for d in t.locals],
            "steps": [{
                "name": s.name, "ordered": s.ordered, "end": s.end_ok,
                "line": s.loc.line if s.loc else None,
                "cases": [{"label": c.label, "when": show(c.guard), "goto": c.goto_label,
                           "do": {show(u.target): show(u.value) for u in c.updates}} for c in s.cases],
            } for s in t.steps],
        } for t in m.threads],
        "properties": [{"kind": p.kind, "name": p.name, "expr": show(p.expr),
                        "line": p.loc.line if p.loc else None} for p in m.properties],
        "check_deadlock": m.check_deadlock,
    }
