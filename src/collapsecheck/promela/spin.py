"""Runs SPIN on an exported model: generate (``spin -a``), compile (``gcc``), run (``./pan``), parse.

SPIN is configured to be comparable with the explicit engine: no partial-order reduction
(``-DNOREDUCE``), exact state storage (no hash compaction, no bitstate), safety only (``-DSAFETY``), and
``-c0`` so the search does not stop at the first error and explores every reachable state. Times are
wall-clock seconds of each phase, measured here. This module must not decide collapsecheck verdicts; it
reports what SPIN found (violated properties, invalid end states, counts) for a caller to compare.
"""

from __future__ import annotations

import math
import os
import re
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from collapsecheck.errors import CollapsecheckError
from collapsecheck.model.core import Model
from collapsecheck.promela.export import PromelaModel, export


class SpinError(CollapsecheckError):
    """SPIN or the C compiler failed, or pan's report could not be read."""


@dataclass
class SpinRun:
    """What one SPIN verification reported, and how long each phase took (seconds)."""

    states: int  # "states, stored" minus the export's state offset: comparable with our distinct states
    stored: int  # SPIN's raw "states, stored"
    transitions: int
    errors: int
    violated: list[str]  # always properties pan reported as violated (instrumented monitor)
    invalid_end: bool  # an invalid end state was reported while no property was violated
    depth: int
    vector_bytes: int
    generate_s: float
    compile_s: float
    run_s: float
    pan_elapsed_s: float | None
    memory_mb: float | None
    output: str = field(repr=False, default="")

    @property
    def total_s(self) -> float:
        return self.generate_s + self.compile_s + self.run_s

    @property
    def verdict(self) -> str:
        """``violated``, ``deadlock`` or ``holds`` (SPIN cannot tell holds from vacuous)."""
        if self.violated:
            return "violated"
        return "deadlock" if self.invalid_end else "holds"


def missing_tools() -> str | None:
    """Why SPIN cannot be run here (None when ``spin`` and a C compiler are installed)."""
    if shutil.which("spin") is None:
        return "spin is not installed (apt-get install -y spin)"
    if cc() is None:
        return "no C compiler (gcc or cc) is installed"
    return None


def cc() -> str | None:
    return shutil.which(os.environ.get("CC", "gcc")) or shutil.which("cc")


def _run(cmd: list[str], cwd: Path, what: str, timeout: float | None) -> tuple[str, float]:
    t0 = time.perf_counter()
    try:
        p = subprocess.run(cmd, cwd=cwd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise SpinError(f"{what} did not finish within {timeout:.0f} s") from None
    except OSError as e:
        raise SpinError(f"{what} could not start: {e}") from None
    dt = time.perf_counter() - t0
    if p.returncode != 0:
        raise SpinError(f"{what} failed (exit {p.returncode}): {(p.stderr or p.stdout).strip()[-2000:]}")
    return p.stdout + p.stderr, dt


def compile_flags(opt: str = "-O2", memory_mb: int = 16_000) -> list[str]:
    """gcc flags: no partial-order reduction, exact storage (the default: no -DBITSTATE, -DHC or
    -DCOLLAPSE), safety only, printf kept for the instrumented monitor."""
    return [opt, "-DNOREDUCE", "-DSAFETY", "-DPRINTF", f"-DMEMLIM={memory_mb}", "-w"]


def pan_flags(expected_states: int | None = None, depth: int = 100_000) -> list[str]:
    # A hash table of about twice the states keeps exact storage fast; the DFS stack limit (-m) is
    # raised and the search repeated if pan reports that it was too small (see ``verify``).
    log2 = max(18, min(30, math.ceil(math.log2(max(2, 2 * (expected_states or 1 << 17))))))
    return [f"-m{depth}", f"-w{log2}", "-c0", "-n"]


_STORED = re.compile(r"^\s*(\d+) states, stored", re.M)
_TRANS = re.compile(r"^\s*(\d+) transitions \(= stored\+matched\)", re.M)
_ERRORS = re.compile(r"State-vector (\d+) byte, depth reached (\d+), errors: (\d+)")
_ELAPSED = re.compile(r"pan: elapsed time ([\d.e+]+) seconds")
_MEMORY = re.compile(r"^\s*([\d.]+)\s+total actual memory usage", re.M)
_VIOLATED = re.compile(r"^collapsecheck: violated (\d+)$", re.M)


def verify(model: Model, workdir: Path, *, expected_states: int | None = None, timeout: float | None = 3600.0,
           exported: PromelaModel | None = None, opt: str = "-O2") -> SpinRun:
    """Export ``model`` into ``workdir``, build pan there and run the full search. ``opt`` is the C
    optimisation level (``-O0`` compiles three times faster; counts and verdicts do not depend on it)."""
    workdir.mkdir(parents=True, exist_ok=True)
    t0 = time.perf_counter()
    pm = exported or export(model, instrument=True)
    pml = workdir / "model.pml"
    pml.write_text(pm.text)
    t_export = time.perf_counter() - t0
    _, gen = _run(["spin", "-a", pml.name], workdir, "spin -a", timeout)
    gen += t_export  # generating C = writing the Promela + spin -a
    compiler = cc()
    if compiler is None:
        raise SpinError("no C compiler")
    _, comp = _run([compiler, *compile_flags(opt), "-o", "pan", "pan.c"], workdir, "compiling pan.c", timeout)
    depth = 100_000
    while True:
        out, run = _run(["./pan", *pan_flags(expected_states, depth)], workdir, "pan", timeout)
        if "max search depth too small" not in out or depth >= 100_000_000:
            return parse(out, pm, gen, comp, run)
        depth *= 10


def parse(out: str, pm: PromelaModel, gen: float, comp: float, run: float) -> SpinRun:
    if "max search depth too small" in out:
        raise SpinError("pan's search depth limit (-m) was too small; the search was truncated")
    if "out of memory" in out.lower() or "pan: reached -DMEMLIM" in out:
        raise SpinError("pan ran out of memory")
    m_stored, m_trans, m_err = _STORED.search(out), _TRANS.search(out), _ERRORS.search(out)
    if not (m_stored and m_trans and m_err):
        raise SpinError(f"could not read pan's report:\n{out[-2000:]}")
    stored = int(m_stored.group(1))
    errors = int(m_err.group(3))
    violated = sorted({pm.properties[int(k)] for k in _VIOLATED.findall(out)},
                      key=pm.properties.index)
    if errors and not violated and "assertion violated" in out:
        raise SpinError("pan reports an assertion outside the monitor: a value left its range (a model error)")
    el = _ELAPSED.search(out)
    mem = _MEMORY.search(out)
    return SpinRun(states=stored - pm.state_offset, stored=stored, transitions=int(m_trans.group(1)),
                   errors=errors, violated=violated,
                   invalid_end=not violated and errors > 0 and "invalid end state" in out,
                   depth=int(m_err.group(2)), vector_bytes=int(m_err.group(1)), generate_s=gen,
                   compile_s=comp, run_s=run, pan_elapsed_s=float(el.group(1)) if el else None,
                   memory_mb=float(mem.group(1)) if mem else None, output=out)


__all__ = ["SpinError", "SpinRun", "missing_tools", "verify", "parse", "compile_flags", "pan_flags"]
