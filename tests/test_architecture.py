"""The layers of docs/architecture.md, as checked by import-linter (contracts in pyproject.toml).

The first test fails when any module imports upward, a renderer imports an engine, tracelint imports
the checker, or two modules of a package import each other; its message is import-linter's report, which
names the import (module -> module, line). The others plant such an import in a copy of the package and
check that the contracts catch it, so a contract that silently stopped checking would fail here too.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT = "import sys; from importlinter.cli import lint_imports_command; sys.exit(lint_imports_command())"


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    """Run ``lint-imports`` on the package under ``root/src`` with ``root/pyproject.toml``."""
    env = {**os.environ, "PYTHONPATH": str(root / "src")}
    return subprocess.run([sys.executable, "-c", LINT, "--no-cache", "--no-logo", str(root / "pyproject.toml")],
                          cwd=root, env=env, capture_output=True, text=True, timeout=120)


def test_every_import_goes_down_the_layers() -> None:
    done = lint(ROOT)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "0 broken" in done.stdout


@pytest.mark.parametrize("module, back_import, report", [
    # a result type reaching up into a renderer
    ("result/check.py", "from collapsecheck.report import text",
     "collapsecheck.result.check -> collapsecheck.report.text"),
    # a renderer reaching into an engine's internals
    ("report/statespace.py", "from collapsecheck.explicit import engine",
     "collapsecheck.report.statespace -> collapsecheck.explicit.engine"),
    # an engine importing the orchestration (the loader)
    ("symbolic/reduction.py", "from collapsecheck.orchestration import loader",
     "collapsecheck.symbolic.reduction -> collapsecheck.orchestration.loader"),
    # tracelint leaning on the checker
    ("tracelint/__init__.py", "from collapsecheck.model import core",
     "collapsecheck.tracelint -> collapsecheck.model.core"),
    # a circle inside a package
    ("expr/sorts.py", "from collapsecheck.expr import printer", "No cycles are allowed in collapsecheck.expr"),
])
def test_a_planted_back_import_is_reported(tmp_path: Path, module: str, back_import: str, report: str) -> None:
    shutil.copytree(ROOT / "src" / "collapsecheck", tmp_path / "src" / "collapsecheck",
                    ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    target = tmp_path / "src" / "collapsecheck" / module
    target.write_text(target.read_text(encoding="utf-8") + f"\n{back_import}  # planted by the test\n",
                      encoding="utf-8")
    done = lint(tmp_path)
    assert done.returncode != 0, done.stdout
    assert report in done.stdout, done.stdout
