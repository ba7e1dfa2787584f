"""Counterexamples as a kernel developer reads them (issue 13 items 7, 8, 11): the fewest events among
the shortest traces, purely local steps folded (and shown with --full-trace), thread-local variables,
shared scalars, the violated property's values and the locks held, in every format, with wrapping that
never splits an identifier."""
from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner

from collapsecheck.orchestration import loader
from collapsecheck.cli import main
from collapsecheck.engine_config import CheckConfig
from collapsecheck.explicit.run import run
from collapsecheck.explicit.shortest_events import count_events
from collapsecheck.explicit.switches import count_switches
from collapsecheck.model.observable import is_event
from collapsecheck.report.columns import commit_columns
from collapsecheck.report.dot import chart_dot
from collapsecheck.report.mermaid import chart_mermaid
from collapsecheck.report.sequence import build_chart
from collapsecheck.report.text import format_result, trace_lines

ROOT = Path(__file__).resolve().parent.parent
TOY = ROOT / "tests" / "data" / "report" / "toy_events.py"
STALE = ROOT / "models" / "collapse_pte_mapped_thp_vs_pmd.py"
UFFD = ROOT / "models" / "collapse_file_vs_uffd_register.py"
LONG = "a_really_long_kernel_function_name_that_exceeds_any_column_width_by_far"


def check(path: Path, minimise: bool = True, **params):
    model = loader.build(path, {k: str(v) for k, v in params.items()})
    return model, run(model, CheckConfig(options={"fewest_switches": minimise}))


@pytest.fixture(scope="module")
def toy():
    return check(TOY)


@pytest.fixture(scope="module")
def stale():
    model, res = check(STALE, variant="stale_pmd")
    return model, res, build_chart(model, res)


@pytest.fixture(scope="module")
def uffd():
    model, res = check(UFFD, variant="pre_fix", pages=2)
    return model, res, build_chart(model, res)


# ------------------------------------------------------------------------------ item 8: fewest events
def test_event_shortest_trace_has_fewer_events_and_the_same_length(toy):
    model, res = toy
    _, bfs = check(TOY, minimise=False)
    prop = res.property
    assert len(res.trace) == len(bfs.trace) == 3  # shortest in steps either way: trace_len pins stay
    assert [s.case for s in bfs.trace.steps][0] == "noisy"  # BFS meets the noisy way first
    assert [s.case for s in res.trace.steps][0] == "quiet"
    assert count_events(model, res.trace, prop) == 2 < count_events(model, bfs.trace, prop) == 3


@pytest.mark.parametrize("path,params", [(UFFD, dict(variant="pre_fix", pages=2)),
                                         (STALE, dict(variant="stale_pmd")),
                                         (ROOT / "models" / "collapse_file_poison.py", dict(variant="pre_fix", pages=2))])
def test_shipped_traces_never_gain_events_or_steps(path, params):
    model, res = check(path, **params)
    _, bfs = check(path, minimise=False, **params)
    assert len(res.trace) == len(bfs.trace)
    key = (count_events(model, res.trace, res.property), count_switches(res.trace))
    assert key <= (count_events(model, bfs.trace, res.property), count_switches(bfs.trace))


def test_stale_snapshot_is_an_event_but_a_pc_only_step_is_not(stale):
    model, res, _ = stale
    t = res.trace
    flags = [is_event(model, res.property, s.action, t.states[k], t.states[k + 1]) for k, s in enumerate(t.steps)]
    by_name = {(s.thread, s.step): f for s, f in zip(t.steps, flags)}
    # khugepaged's lockless read copies the shared pmd into a local no property reads: a snapshot, kept.
    assert by_name[("khugepaged", "find_pmd_or_thp_or_none:lockless")] is True
    assert by_name[("madvise_collapse", "pmd_mapped_check")] is False  # moves its pc, changes nothing


def test_folded_steps_are_said_and_full_trace_shows_them(toy):
    model, res = toy
    lines = trace_lines(model, res.trace, "", res.property)
    assert not any(re.match(r"\s*1\. worker\s+pick", x) for x in lines)
    note = " ".join(" ".join(lines[lines.index(next(x for x in lines if "steps folded" in x)):]).split())
    assert "1 of 3 steps folded" in note and "worker:pick (1)" in note and "--full-trace" in note
    # The folded step's local change is shown with the thread's next step, marked as such.
    assert any("worker.tick: 0 -> 1 (in folded step 1)" in x for x in lines)
    full = trace_lines(model, res.trace, "", res.property, full=True)
    assert any(re.match(r"\s*1\. worker\s+pick \[quiet\]", x) for x in full)
    assert not any("steps folded" in x for x in full)


def test_full_trace_flag_on_verify_and_diagram(tmp_path):
    r = CliRunner()
    folded = r.invoke(main, ["verify", str(TOY), "--no-progress"])
    full = r.invoke(main, ["verify", str(TOY), "--no-progress", "--full-trace"])
    assert folded.exit_code == full.exit_code == 10
    assert "pick [quiet]" not in folded.output and "1 of 3 steps folded" in folded.output
    assert "pick [quiet]" in full.output and "steps folded" not in full.output
    commit = r.invoke(main, ["verify", str(TOY), "--no-progress", "--format", "commit", "--full-trace"])
    assert "pick: quiet" in commit.output
    out = tmp_path / "t.txt"
    assert r.invoke(main, ["diagram", str(TOY), "-o", str(out)]).exit_code == 0
    assert "pick: quiet" not in out.read_text() and "worker:pick (1)" in " ".join(out.read_text().split())
    assert r.invoke(main, ["diagram", str(TOY), "-o", str(out), "--full-trace"]).exit_code == 0
    assert "pick: quiet" in out.read_text()


# ------------------------------------------------------------- items 7 and 11: what every format shows
def _lane_text(lines: list[str], lane: str) -> str:
    """The text of one CPU column of commit_columns output, its wrapped lines joined."""
    head = next(x for x in lines if x.lstrip().startswith("CPU A"))
    starts = sorted(m.start() for m in re.finditer(r"CPU [A-Z] \(", head))
    me = head.index(f"({lane})")
    start = max(s for s in starts if s <= me)
    end = min([s for s in starts if s > start] + [10**6])
    body = lines[lines.index(head) + 1:]
    return " ".join(" ".join(x[start:end].split()) for x in body if len(x) > start and not x.lstrip().startswith("="))


def test_local_variables_appear_in_every_format(stale):
    model, res, chart = stale
    lines = commit_columns(chart, "")
    assert "pmd_lockless: NONE -> PTE_TABLE" in _lane_text(lines, "khugepaged")
    assert "pmd_seen: NONE -> PTE_TABLE" in _lane_text(lines, "khugepaged")
    assert "pmd_lockless: NONE → PTE_TABLE" in chart_mermaid(chart)
    assert "pmd_lockless: NONE \u2192 PTE_TABLE" in chart_dot(model, chart)
    assert "khugepaged.pmd_lockless: NONE -> PTE_TABLE" in format_result(model, res)


def test_every_change_of_the_text_trace_is_in_every_format(stale, uffd):
    for model, res, chart in (stale, uffd):
        text = format_result(model, res)
        numbers = [int(m.group(1)) for m in re.finditer(r"^\s+(\d+)\. ", text, re.M)]
        assert numbers == [r.number for r in chart.rows]  # the same steps, folded the same way
        dot, mmd, cols = chart_dot(model, chart), chart_mermaid(chart), commit_columns(chart, "")
        for r in chart.rows:
            lane = _lane_text(cols, r.lane)
            for e in r.events:
                assert f"{e.var}: {e.old} -> {e.new}" in " ".join(text.split())
                short = e.var[len(r.lane) + 1:] if e.var.startswith(r.lane + ".") else e.var
                if e.lock:
                    want = [f"lock {e.lock}" if e.new != "nobody" and e.kind == "acquire" else f"unlock {e.lock}"]
                    assert any(w in lane for w in want) and want[0] in mmd and want[0] in dot
                    continue
                assert f"{short}: {e.old} -> {e.new}" in lane
                assert f"{short}: {e.old} → {e.new}" in mmd
                if e.kind not in ("flag", "value", "slot") or "@" in e.var:
                    assert f"{short}: {e.old} \u2192 {e.new}" in dot or f"{short} \u2190 {e.new}" in dot
                elif e.kind == "slot":
                    assert f"<b>{e.new}</b>" in dot
                else:  # a state column: its name in the head, the new value on the row
                    assert f"<b>{e.var.split('[')[0]}</b>" in dot and re.search(
                        rf"R{r.number}_V\d+ \[.*{re.escape(e.new)}", dot)


def test_violated_property_values_and_held_locks_in_every_format(stale):
    model, res, chart = stale
    clause = "khugepaged@collapse_and_free_pmd implies"
    values = ["khugepaged.pmd_seen = PTE_TABLE", "pmd = HUGE", "mmap_lock.writer = khugepaged"]
    held = "mmap_lock (write) by khugepaged, h_lock by khugepaged"
    text = format_result(model, res)
    cols = "\n".join(commit_columns(chart, ""))
    flat = {"text": " ".join(text.split()), "commit": " ".join(cols.split()),
            "mmd": " ".join(chart_mermaid(chart).replace("<br/>", " ").split()),
            "dot": " ".join(chart_dot(model, chart).replace("<br/>", " ").replace("\u00a0", " ").split())}
    for name, body in flat.items():
        assert "FALSE" in body and clause in body, name
        assert all(v in body for v in values), name
        assert held in body, name


def test_initial_values_in_full(uffd):
    model, res, chart = uffd
    names = [d.qualname for d in model.all_vars()]
    cols = " ".join(" ".join(commit_columns(chart, "")).split())
    dot = chart_dot(model, chart)
    mmd = chart_mermaid(chart).replace("<br/>", " ")
    for n in names:
        assert re.search(rf"(^|[ ;,]){re.escape(n)} = ", cols), n
        assert re.search(rf"(^|[ ;,]){re.escape(n)} = ", " ".join(mmd.split())), n
        short = n.split(".", 1)[1] if "." in n and n.split(".")[0] in chart.lanes else n
        assert short in dot, n


def test_wrapping_never_splits_an_identifier(toy, stale, uffd):
    for model, res, chart in (uffd, stale):  # the text trace: long change lists wrap at spaces
        text = format_result(model, res).splitlines()
        assert all(len(x) <= 150 for x in text if not x.startswith("  witnesses"))
        for r in chart.rows:
            for e in r.events:
                assert any(e.var in x for x in text), e.var
    for model, res, chart in ((toy[0], toy[1], build_chart(*toy)), stale):
        cols = commit_columns(chart, "")
        dot = chart_dot(model, chart)
        words = {r.step for r in chart.rows} | {e.var.split(".")[-1] for r in chart.rows for e in r.events}
        for w in words:
            assert any(w in x for x in cols), w
            assert w in dot, w
    cols = commit_columns(build_chart(*toy), "")
    assert any(LONG in x for x in cols)  # longer than any column: the column widens instead


def test_cut_note_names_where_the_full_text_is(toy):
    model, res = toy
    dot = chart_dot(model, build_chart(model, res))
    assert re.search(r"cut; in full at toy_events\.py:\d+", dot)


@pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")
def test_png_of_every_format_renders(stale, tmp_path):
    r = CliRunner()
    for ext in ("png", "svg", "mmd", "txt", "dot"):
        out = tmp_path / f"c.{ext}"
        res = r.invoke(main, ["diagram", str(STALE), "-p", "variant=stale_pmd", "-o", str(out)])
        assert res.exit_code == 0, res.output
        assert out.stat().st_size > 0


def test_leaving_a_tested_position_is_shown_as_well_as_entering_it(stale):
    # M5 tests madvise_collapse@collapse_and_free_pmd: the step that enters it (8) and the step that leaves
    # it (9, the flush itself) both say so, in the text and in the chart every figure is drawn from.
    model, res, chart = stale
    text = "\n".join(trace_lines(model, res.trace, "", res.property))
    assert "madvise_collapse@collapse_and_free_pmd: false -> true" in text
    assert "madvise_collapse@collapse_and_free_pmd: true -> false" in text
    flips = [(r.number, e.old, e.new) for r in chart.rows for e in r.events
             if e.var == "madvise_collapse@collapse_and_free_pmd"]
    assert [f[1:] for f in flips] == [("false", "true"), ("true", "false")] and flips[0][0] < flips[1][0]
