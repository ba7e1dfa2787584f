"""Shared fixtures: paths to the repository's models and toys, and a helper to build a model from text."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from collapsecheck.orchestration import loader

ROOT = Path(__file__).resolve().parent.parent
MODELS = ROOT / "models"
TOYS = Path(__file__).resolve().parent / "toys"


@pytest.fixture
def write_model(tmp_path: Path):
    """Write a model file (dedented text) and return its path."""

    def _write(text: str, name: str = "m.py") -> Path:
        p = tmp_path / name
        p.write_text(textwrap.dedent(text).lstrip("\n"))
        return p

    return _write


def build_toy(name: str, **params):
    return loader.build(TOYS / f"{name}.py", params)


def build_model(name: str, **params):
    return loader.build(MODELS / f"{name}.py", params)


def prove_fresh(model: Path, params: dict[str, object], timeout: float = 120, **opts: object):
    """``--engine prove`` on a model file with fresh inference (no stored certificate is read): (model, result)."""
    from collapsecheck.engine_config import CheckConfig
    from collapsecheck.orchestration import engines

    m = loader.build(model, params)
    options: dict[str, object] = {"certificates": "/nonexistent-dir", **opts}
    return m, engines.get("prove")(m, CheckConfig(timeout=timeout, options=options, build=loader.build))


def columns_and_rows(toy: Path, params: dict[str, object] | None = None):
    """The prove engine's columns of a size-generic model file, and its sample rows at pages 2 and 3."""
    import z3

    from collapsecheck.symbolic import samples
    from collapsecheck.symbolic.forall.columns import Columns
    from collapsecheck.symbolic.forall.ground import ArraySystem

    model = loader.build(toy, {"pages": "N", **(params or {})})
    cols = Columns(ArraySystem(model, "pages", z3.Int("pages"), 1))
    rows: set[tuple] = set()
    for k in (2, 3):
        mk = loader.build(toy, {"pages": k, **(params or {})})
        rows |= cols.rows(mk, samples.explore(mk, 10_000).states, k)
    return cols, rows


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """The fuzz tests' counts (how many were tried, rejected cleanly, agreed), visible in ``pytest -q``."""
    stats = getattr(config, "_collapsecheck_fuzz", None)
    if stats:
        terminalreporter.section("fuzzing")
        for name, line in stats.items():
            terminalreporter.write_line(f"{name}: {line}")
