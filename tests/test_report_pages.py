"""``reports/``: byte-identical regeneration, no timings or absolute paths, and deterministic degradation
without Graphviz."""
from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from collapsecheck.orchestration import verify
from collapsecheck.engine_config import CheckConfig
from collapsecheck.report import write_reports

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / "models" / "manifest.toml"
needs_dot = pytest.mark.skipif(shutil.which("dot") is None, reason="Graphviz dot is not installed")


def gate_reports(out: Path, engines: list[str] | None = None, only: tuple[str, ...] = ()) -> dict[str, bytes]:
    # The whole manifest with the explicit engine (the symbolic pass over all of it takes minutes and is
    # what `collapsecheck verify` in CI compares against the committed reports); pdr on a subset below.
    rows, _ = verify.run_gate(MANIFEST, CheckConfig(max_states=2_000_000, timeout=300), only=only,
                              engine_override=engines or ["explicit"])
    write_reports(rows, out)
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


@pytest.fixture(scope="module")
def two_runs(tmp_path_factory):
    a = gate_reports(tmp_path_factory.mktemp("reports_a"))
    b = gate_reports(tmp_path_factory.mktemp("reports_b"))
    return a, b


def test_reports_regenerate_byte_identically(two_runs):
    a, b = two_runs
    assert list(a) == list(b)
    assert [n for n in a if a[n] != b[n]] == []


def test_symbolic_reports_regenerate_byte_identically(tmp_path):
    only = ("collapse_file_poison", "collapse_pte_mapped_thp_vs_pmd")
    a = gate_reports(tmp_path / "a", ["explicit", "pdr"], only)
    b = gate_reports(tmp_path / "b", ["explicit", "pdr"], only)
    assert list(a) == list(b)
    assert [n for n in a if a[n] != b[n]] == []
    assert any(b"pdr" in v for v in a.values())  # the symbolic results are in the pages
    # a proof's page lists each target and prints the re-checked invariant (the same at N and at 512)
    for size in ("N", "512"):
        page = a[f"collapse_file_poison__variant-post_fix__pages-{size}.md"].decode()
        assert "- `file_keeps_its_data`: proved" in page and "## ∀-invariant (certificate for pages = N" in page
        assert "∀ p. " in page and "re-check of the N certificate at pages = " in page and "all valid" in page
    assert "not proved" in a["collapse_file_poison__variant-v6_4__pages-N.html"].decode()


def test_one_page_per_entry_and_a_summary(two_runs):
    a, _ = two_runs
    from collapsecheck.orchestration import manifest

    entries = manifest.load(MANIFEST)
    summary = a["summary.md"].decode()
    table = [x for x in summary.splitlines() if x.startswith("| ") and not x.startswith("| model")]
    assert len(table) == len(entries)
    for e in entries:
        stem = e.model + "".join(f"__{k}-{v}" for k, v in e.params.items())
        assert f"{stem}.md" in a and f"{stem}.html" in a
        assert f"[md]({stem}.md)" in summary
        if e.expect == "violated":
            # a counterexample pumped to 512 pages is too long for a picture: no DOT, and the page says why
            long = "pictures are drawn for at most" in a[f"{stem}.md"].decode()
            assert (f"{stem}.dot" in a) != long
            assert long == (e.trace_len is not None and e.trace_len > 300)


def test_no_timings_or_absolute_paths(two_runs, tmp_path):
    a, _ = two_runs
    for name, data in a.items():
        text = data.decode("utf-8")
        assert str(ROOT) not in text and "/tmp" not in text, name
        assert " s)" not in text and "states/s" not in text and "seconds" not in text, name


@needs_dot
def test_pages_embed_the_figure(two_runs):
    a, _ = two_runs
    stem = "collapse_file_vs_uffd_register__variant-pre_fix__pages-2"
    md, html = a[f"{stem}.md"].decode(), a[f"{stem}.html"].decode()
    assert f"![sequence diagram of the counterexample]({stem}.svg)" in md
    assert f"{stem}.svg" in a
    assert "<svg" in html and "<?xml" not in html and "src=" not in html  # inlined, self-contained
    assert "CPU A (uffd_register)" in md and "=> violated: no_missing_page_becomes_present" in md
    assert "| counterexample | 19 steps (2 purely local folded), 2 thread switches |" in md


def test_without_dot_pages_degrade_deterministically(tmp_path, monkeypatch):
    monkeypatch.setenv("COLLAPSECHECK_DOT", "")
    rows, _ = verify.run_gate(MANIFEST, CheckConfig(), only=["collapse_file_lock_sequence"], engine_override=["explicit"])
    out = tmp_path / "r"
    (out).mkdir()
    stale = out / "collapse_file_lock_sequence__variant-pre_fix__pages-2.svg"
    stale.write_text("<svg>old</svg>")
    write_reports(rows, out)
    first = {p.name: p.read_bytes() for p in out.iterdir()}
    write_reports(rows, out)
    assert first == {p.name: p.read_bytes() for p in out.iterdir()}
    assert not stale.exists()  # no page may point at a picture of an older result
    md = first["collapse_file_lock_sequence__variant-pre_fix__pages-2.md"].decode()
    html = first["collapse_file_lock_sequence__variant-pre_fix__pages-2.html"].decode()
    assert "No picture: the Graphviz `dot` program was not found" in md
    assert '<table class="msc">' in html and "<svg" not in html
