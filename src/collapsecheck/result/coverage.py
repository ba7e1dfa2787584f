"""Names of the coverage items an explicit search records under ``CheckResult.extra["coverage"]``.

Plain data: the names are what a manifest entry's ``uncovered`` list writes, so the gate, the text trace
and reports/coverage.md agree on them. It must not compute coverage (``explicit/coverage.py`` does) nor
format pages.
"""

from __future__ import annotations


def items(cov: dict[str, list[str]]) -> list[str]:
    """Every uncovered item as one name, as the manifest's ``uncovered`` list writes it."""
    return ([f"step {n}" for n in cov.get("unreached_steps", [])]
            + [f"case {n}" for n in cov.get("untaken_cases", [])]
            + [f"never true {n}" for n in cov.get("never_true", [])])


__all__ = ["items"]
