"""The Markdown report page of one manifest entry (``reports/<instance>.md``).

Verdict and figures as a table, the sequence diagram (the SVG beside the page, or a plain statement that
it could not be rendered), the counterexample in commit-message columns and step by step, then what else
was found. Deterministic text: no timings, no absolute paths. It must not run engines or write files.
"""

from __future__ import annotations

from collapsecheck.report.instance import HEADER, Instance
from collapsecheck.report.text import witness_status


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _extras(inst: Instance) -> list[str]:
    out: list[str] = []
    row, r = inst.row, inst.result
    if row.error:
        out += ["## Error", "", "```text", row.error, "```", ""]
    if row.problems:
        out += ["## Mismatches", ""] + [f"- {_cell(p)}" for p in row.problems] + [""]
    if r is None:
        return out
    others = sorted(set(r.violations) - {inst.prop or ""})
    if others:
        out += ["## Also violated", ""] + [f"- `{n}` (shortest counterexample: {len(r.violations[n])} steps)"
                                           for n in others] + [""]
    if r.witnesses:
        out += ["## Witnesses", ""] + [
            f"- `{n}`: " + ("**never reached**" if v is None and r.bound == "exhaustive" else witness_status(r, n, v))
            for n, v in r.witnesses.items()] + [""]
    if r.unreached:
        out += ["## Unreached steps", ""] + [f"- `{s}`" for s in r.unreached] + [""]
    if inst.proof is not None:
        pr = inst.proof
        out += ["## Targets", ""] + [f"- `{t}`: {_cell(v)}" for t, v in pr.targets] + [""]
        if pr.invariant:
            out += [f"## ∀-invariant ({pr.source}; {len(pr.invariant)} conjuncts)", "", "```text"] \
                + pr.invariant + ["```", ""] + [f"- {x}" for x in pr.rechecks] + [""]
    return out


def page_markdown(inst: Instance) -> str:
    out = [HEADER, "", f"# {inst.title}", "", "| | |", "|---|---|"]
    out += [f"| {k} | {_cell(v)} |" for k, v in inst.facts]
    out.append("")
    if inst.figure is not None:
        what = "Counterexample" if inst.prop else "Path to the deadlock"
        out += [f"## {what}", ""]
        if inst.figure.svg is not None:
            out += [f"![sequence diagram of the counterexample]({inst.slug}.svg)", ""]
        else:
            dot = f" The DOT source is in [{inst.slug}.dot]({inst.slug}.dot)." if inst.figure.dot else ""
            out += [f"No picture: {inst.figure.missing}.{dot}", ""]
        out += ["As CPU columns (commit-message style):", "", "```text"] + inst.columns + ["```", "",
                "Step by step:", "", "```text"] + inst.steps + ["```", ""]
    out += _extras(inst)
    out.append("[All entries](summary.md)")
    return "\n".join(out) + "\n"
