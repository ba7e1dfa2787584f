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


def pytest_terminal_summary(terminalreporter, exitstatus, config):
    """The fuzz tests' counts (how many were tried, rejected cleanly, agreed), visible in ``pytest -q``."""
    stats = getattr(config, "_collapsecheck_fuzz", None)
    if stats:
        terminalreporter.section("fuzzing")
        for name, line in stats.items():
            terminalreporter.write_line(f"{name}: {line}")
