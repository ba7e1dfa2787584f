"""The counterexample sequence chart and its drawings: structure (lanes, order, labels, change kinds,
the ending), determinism, and the plain statement when Graphviz is missing. No pixels are compared."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest

from collapsecheck.orchestration import loader
from collapsecheck.engine_config import CheckConfig
from collapsecheck.explicit.run import run
from collapsecheck.report.columns import commit_columns
from collapsecheck.report.dot import chart_dot
from collapsecheck.report.events import Kind, classify
from collapsecheck.report.mermaid import chart_mermaid
from collapsecheck.report.render import RenderUnavailable, render, write_figure
from collapsecheck.report.sequence import build_chart, read_vars

ROOT = Path(__file__).resolve().parent.parent
TOY = ROOT / "tests" / "data" / "report" / "toy_slots.py"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")


def check(path: Path, **params):
    model = loader.build(path, params)
    return model, run(model, CheckConfig())


@pytest.fixture(scope="module")
def toy():
    model, res = check(TOY)
    return model, res, build_chart(model, res)


@pytest.fixture(scope="module")
def uffd():
    model, res = check(ROOT / "models" / "collapse_file_vs_uffd_register.py", variant="pre_fix", pages=2)
    return model, res, build_chart(model, res)


def test_kinds_come_from_declarations(toy):
    model, _, chart = toy
    kinds = [[(e.kind, e.var) for e in r.events] for r in chart.rows]
    assert kinds == [[(Kind.ACQUIRE, "lock")], [(Kind.SLOT, "cell[1]")], [(Kind.RELEASE, "lock")],
                     [(Kind.FLAG, "ready")], [(Kind.GHOST, "seen_empty")]]
    assert classify(model, "lock", "writer", "reader").kind == Kind.HANDOFF
    assert classify(model, "no_such_var", "1", "2").kind == Kind.VALUE


def test_rwsem_readers_count_as_read_locks(uffd):
    model, _, chart = uffd
    e = classify(model, "mmap_lock.readers", "0", "1")
    assert (e.kind, e.lock) == (Kind.ACQUIRE, "mmap_lock (read)")
    assert classify(model, "mmap_lock.readers", "1", "0").kind == Kind.RELEASE
    assert classify(model, "mmap_lock.writer", "nobody", "uffd_register").lock == "mmap_lock (write)"
    assert classify(model, "collapse.index", "0", "1").kind == Kind.LOCAL


def test_lanes_rows_and_ending(toy):
    _, res, chart = toy
    assert chart.lanes == ("writer", "reader") and chart.idle == ()
    assert [r.number for r in chart.rows] == [1, 2, 3, 4, 5]
    assert [(r.lane, r.step) for r in chart.rows] == [("writer", "spin_lock"), ("writer", "fill_second"),
                                                       ("writer", "spin_unlock"), ("writer", "publish"),
                                                       ("reader", "look")]
    assert [r.last for r in chart.rows] == [False] * 4 + [True]
    assert chart.switches == 1
    assert chart.ending.title == "violated: reader_sees_full_slots"
    assert chart.ending.reads == (("seen_empty", "true"),)
    # Every initial value, in declaration order (item 7: initial values shown in full).
    assert chart.initial == (("cell", "[EMPTY, EMPTY]"), ("ready", "false"), ("seen_empty", "false"),
                             ("lock", "nobody"))


def test_uffd_chart_tells_the_commit_message_story(uffd):
    model, res, chart = uffd
    assert chart.lanes == ("uffd_register", "collapse", "page_fault", "uffd_handler")
    assert chart.idle == ("uffd_handler",)  # no uffd event: the handler never runs
    lanes = [r.lane for r in chart.rows]
    # Registration first, then the collapse, then the fault: two switches, like CPU A / B / C.
    # Steps 10 (the loop exit) and 18 (a check that changes nothing) are purely local: folded.
    assert lanes == ["uffd_register"] * 3 + ["collapse"] * 10 + ["page_fault"] * 4
    assert [f.number for f in chart.folded] == [10, 18] and chart.total == 19
    assert [r.lane for r in build_chart(model, res, full=True).rows] == \
        ["uffd_register"] * 3 + ["collapse"] * 11 + ["page_fault"] * 5
    reg_done = chart.rows[2]
    assert reg_done.step == "mmap_write_unlock"
    assert any(e.kind == Kind.GHOST and e.var == "known_missing[0]" for e in reg_done.events)
    fill = [r for r in chart.rows if any(e.kind == Kind.SLOT and (e.old, e.new) == ("HOLE", "HUGE") for e in r.events)]
    assert [(r.lane, r.step, r.case) for r in fill] == [("collapse", "xas_next", "hole: xas_store(h)")]
    assert chart.rows[-1].step == "finish_fault" and chart.rows[-1].last
    assert chart.ending.reads == (("mapped_while_known_missing", "[true, false]"),)
    assert read_vars(model.property("no_missing_page_becomes_present").expr) == ["mapped_while_known_missing"]


def _rank_rows(dot: str) -> list[str]:
    return re.findall(r"\{ rank=same;(.*?)\n  \}", dot, re.S)


def test_dot_structure(uffd):
    model, _, chart = uffd
    dot = chart_dot(model, chart)
    rows = _rank_rows(dot)
    assert len(rows) == 1 + len(chart.rows)  # the header, then one rank per step
    for k, (r, text) in enumerate(zip(chart.rows, rows[1:])):
        lane = chart.lanes.index(r.lane)
        assert f"R{r.number}_L{lane} [shape=box" in text  # the actor's box is in its own lane column
        others = [j for j in range(len(chart.lanes)) if j != lane]
        assert all(f"R{r.number}_L{j} [shape=point" in text for j in others)
        assert f"<b>{r.step}</b>" in text
    # Column order inside every row is pinned by an invisible chain, step number first.
    assert "  R6_n -> R6_L0 -> R6_L1 -> R6_L2 -> R6_L3 -> R6_A0 -> R6_V0 -> R6_V1 -> R6_N [style=invis];" in dot
    # Straight lifelines: each column is one heavily weighted chain from the header to the last step.
    assert 'H_L1 -> R1_L1 -> R2_L1' in dot and "weight=100" in dot
    # Locks, flags, slots and the ending are drawn distinctly.
    assert "lock xa_lock" in dot and "unlock xa_lock" in dot
    # Shared scalars get a state column: initial value in the head, the new value where it changes.
    assert "H_V0 [" in dot and "<b>vm_uffd_missing</b>" in dot and "initially false" in dot
    assert re.search(r"R2_V0 \[shape=box.*label=<<b>true</b>>\]", dot)
    assert "R6_A0 [shape=plaintext" in dot and "<b>HUGE</b>" in dot
    assert "R6_L1 -> R6_A0" in dot
    assert "violated: no_missing_page_becomes_present" in dot
    assert "FALSE  not mapped_while_known_missing[0]" in dot and "mapped_while_known_missing[0] = true" in dot
    assert "never runs" in dot
    assert chart_dot(model, build_chart(model, run(model, CheckConfig()))) == dot  # deterministic


def test_dot_without_notes_has_no_notes_column(toy):
    model, _, chart = toy
    assert "R1_N" in chart_dot(model, chart) and "R1_N" not in chart_dot(model, chart, notes=False)


def test_commit_columns(uffd):
    _, _, chart = uffd
    lines = commit_columns(chart, indent="")
    assert lines[0].startswith("initially: slot = [HOLE, PAGE]")
    head = next(x for x in lines if x.startswith("CPU A"))
    assert head.index("CPU A (uffd_register)") < head.index("CPU B (collapse)") < head.index("CPU C (page_fault)")
    col_b, col_c = head.index("CPU B"), head.index("CPU C")
    fill = next(x for x in lines if "xas_next: hole: xas_store(h)" in x)
    assert fill.index("xas_next") == col_b
    assert next(x for x in lines if "finish_fault" in x).index("finish_fault") == col_c
    assert "=> violated: no_missing_page_becomes_present" in lines
    assert "CPU D (uffd_handler) never runs" in lines[-1]
    assert all(x == x.rstrip() for x in lines) and all(x.isascii() for x in lines)


def test_mermaid(toy):
    _, _, chart = toy
    text = chart_mermaid(chart)
    assert text.startswith("sequenceDiagram\n")
    assert "participant T0 as writer" in text and "participant S0 as cell" in text
    assert "T0->>S0: 2. fill_second<br/>cell[1]: EMPTY → FULL" in text
    assert "rect rgb(255, 205, 210)\n    Note over T1: 5. look" in text
    assert ";" not in text.replace("#59;", "")


@needs_dot
def test_svg_is_byte_stable(toy):
    model, _, chart = toy
    dot = chart_dot(model, chart)
    a, b = render(dot, "svg"), render(dot, "svg")
    assert a == b and b"<svg" in a and b"Generated by graphviz" not in a
    assert render(dot, "png").startswith(b"\x89PNG")


def test_missing_dot_is_said_plainly(toy, tmp_path, monkeypatch):
    model, _, chart = toy
    monkeypatch.setenv("COLLAPSECHECK_DOT", "")
    with pytest.raises(RenderUnavailable, match="Graphviz 'dot' program was not found"):
        write_figure(chart_dot(model, chart), tmp_path / "x.png")
    assert not (tmp_path / "x.png").exists()
    assert "DOT" in write_figure(chart_dot(model, chart), tmp_path / "x.dot")
