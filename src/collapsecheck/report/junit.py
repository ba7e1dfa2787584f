"""JUnit XML (the Ant/Surefire dialect Jenkins, GitLab and most CI systems read): one test case per
manifest entry, grouped in one test suite per model.

A test case passes when the entry matched its expectation; a mismatch is a ``<failure>`` and a model
that could not be checked an ``<error>``, each with the full text report (and counterexample) in the
element body, since some readers ignore the ``message`` attribute. ``time`` attributes carry the run
time (JUnit is not committed, so it may vary; ``timing=False`` makes the output fully deterministic).
It must not run engines or decide verdicts.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import TYPE_CHECKING

from collapsecheck.report.text import format_result

if TYPE_CHECKING:
    from collapsecheck.result.rows import Row


def _case(row: "Row", timing: bool) -> tuple[ET.Element, str]:
    e = row.entry
    tc = ET.Element("testcase", {"classname": e.model, "name": e.param_text or "(defaults)",
                                 "time": f"{row.seconds:.3f}" if timing else "0"})
    expected = str(e.expect) + (f" ({e.property})" if e.property else "")
    text = "\n\n".join(format_result(row.model, r) for r in row.results.values())
    if not timing:  # the text report states seconds; drop that line's timing for reproducible output
        text = "\n".join(x for x in text.splitlines() if not x.lstrip().startswith("engine "))
    if row.error:
        el = ET.SubElement(tc, "error", {"message": row.error.splitlines()[0][:500], "type": "ModelError"})
        el.text = row.error
        return tc, "error"
    if row.problems:
        el = ET.SubElement(tc, "failure", {"message": row.problems[0][:500], "type": "ManifestMismatch"})
        el.text = f"expected {expected}\n" + "\n".join(row.problems) + "\n\n" + text
        return tc, "failure"
    ET.SubElement(tc, "system-out").text = f"expected {expected}: as expected\n\n{text}"
    return tc, "pass"


def junit_xml(rows: "list[Row]", timing: bool = True) -> str:
    root = ET.Element("testsuites", {"name": "collapsecheck"})
    suites: dict[str, ET.Element] = {}
    counts: dict[str, dict[str, float]] = {}
    for row in rows:
        model = row.entry.model
        if model not in suites:
            suites[model] = ET.SubElement(root, "testsuite", {"name": model})
            counts[model] = {"tests": 0, "failures": 0, "errors": 0, "time": 0.0}
        tc, outcome = _case(row, timing)
        suites[model].append(tc)
        c = counts[model]
        c["tests"] += 1
        c["failures"] += outcome == "failure"
        c["errors"] += outcome == "error"
        c["time"] += row.seconds if timing else 0.0
    total = {"tests": 0, "failures": 0, "errors": 0, "time": 0.0}
    for model, suite in suites.items():
        c = counts[model]
        for k in ("tests", "failures", "errors"):
            suite.set(k, str(int(c[k])))
            total[k] += c[k]
        suite.set("skipped", "0")
        suite.set("time", f"{c['time']:.3f}")
        total["time"] += c["time"]
    for k in ("tests", "failures", "errors"):
        root.set(k, str(int(total[k])))
    root.set("time", f"{total['time']:.3f}")
    ET.indent(root)
    return '<?xml version="1.0" encoding="UTF-8"?>\n' + ET.tostring(root, encoding="unicode") + "\n"
