"""The benchmark's corpus generator and harness (a smoke test on a tiny corpus; nothing here is timed)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np

from bench.corpus import generate, load, save
from tests.conftest import ROOT


def test_generator_is_deterministic_and_zipf_shaped(tmp_path: Path) -> None:
    a, b = generate(2000, n_queries=50), generate(2000, n_queries=50)
    np.testing.assert_array_equal(a.tokens, b.tokens)
    assert a.n_passages == 2000 and 80 < a.lengths.mean() < 100
    counts = np.bincount(a.tokens)
    assert counts[0] > 5 * counts[10] > 0  # rank 1 about 10x rank 11 under Zipf's law
    assert all(3 <= q.size <= 8 and np.isin(q, a.tokens).all() for q in a.queries)
    save(a, tmp_path / "c.npz")
    again = load(tmp_path / "c.npz")
    np.testing.assert_array_equal(again.tokens, a.tokens)
    assert [q.tolist() for q in again.queries] == [q.tolist() for q in a.queries]


def test_bench_search_reports_every_figure_as_json(tmp_path: Path) -> None:
    done = subprocess.run([sys.executable, "-m", "bench.search", "--passages", "1500", "--queries", "30",
                           "--systems", "qa-api,rank-bm25", "--workdir", str(tmp_path), "--json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=240, check=True)
    report = json.loads(done.stdout)
    assert report["passages"] == 1500
    qa = report["systems"]["qa-api"]
    for figure in ("build_s", "peak_rss_mb", "disk_mb", "load_s", "p50_ms", "p95_ms", "p99_ms"):
        assert qa[figure] > 0, figure
    assert qa["queries"] == 30 and qa["p50_ms"] <= qa["p95_ms"] <= qa["p99_ms"]
    assert report["systems"]["rank-bm25"]["ratios_to_qa_api"]["p50_ms"] > 0


def test_bench_wrapping_compares_wrapped_text_with_one_paragraph_a_line() -> None:
    done = subprocess.run([sys.executable, "-m", "bench.wrapping", "--corpus", "seeds", "--queries", "40",
                           "--widths", "45", "--json"], capture_output=True, text=True, cwd=ROOT, timeout=240,
                          check=True)
    report = json.loads(done.stdout)
    flat = report["one_paragraph_a_line"]
    assert report["queries"] == 40 and 0 < flat["ndcg@10"] <= 1
    assert [(row["width"], row["style"]) for row in report["wrapped"]] == [(45, "blank"), (45, "flush")]
    for row in report["wrapped"]:
        assert row["ndcg_ratio"] == round(row["ndcg@10"] / flat["ndcg@10"], 4)
        # Wrapped lines join into paragraphs: nothing like one passage per 45-column line.
        assert row["passages_per_document"] < 1.25 * flat["passages_per_document"]


_SENTENCES = """The default encoding is the one the platform prefers for text files.
The worker pool is shared by every request that the server accepts.
When the buffer is full, the writer waits until a reader has made room.
If the path does not exist, an empty list is returned instead.
Return the number of items that the queue holds at this moment.
Create a new archive from the files listed in the manifest.
A timeout is an upper bound on the seconds a call may block.
When the connection drops, pending requests are retried once.
Remove every entry whose key starts with the given prefix.
The cache keeps the most recently used results in memory.""".splitlines()


def test_bench_ask_builds_serves_and_times_every_route(tmp_path: Path) -> None:
    """A small run end to end: corpus written from a given sentence pool, built with qa-api index, served by a
    real gunicorn worker on loopback, asked the same questions on the three routes, then timed in process."""
    (tmp_path / "sentences.txt").write_text("\n".join(_SENTENCES) + "\n", encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "bench.ask", "--passages", "250", "--questions", "9",
                           "--workdir", str(tmp_path), "--json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=280, check=True)
    report = json.loads(done.stdout)
    assert report["passages"] == 250 and report["questions"] == 9
    build = report["build"]
    assert build["seconds"] > 0 and report["index_mb"] > 0 and build["embed_seconds"] > 0
    assert build["bm25_seconds"] == round(build["seconds"] - build["embed_seconds"], 2)
    assert len(list((tmp_path / "text-n250" / "corpus").glob("*.txt"))) == 3
    for route in ("search", "ask", "chat"):
        r = report["http"][route]
        assert r["requests"] == 9 and r["errors"] == 0 and 0 < r["p50_ms"] <= r["p95_ms"] <= r["p99_ms"], route
    assert set(report["in_process_ms"]) == {"search_bm25", "ask_pool", "ask"}
    questions = json.loads((tmp_path / "text-n250" / "corpus.json").read_text())["questions"]
    assert "What happens when the buffer is full?" in questions and "What is the default encoding?" in questions
    assert "What returns the number of items that the queue holds at this moment?" in questions


def test_bench_ingest_times_a_generation_against_the_full_build() -> None:
    done = subprocess.run([sys.executable, "-m", "bench.ingest", "--documents", "50", "--json"], capture_output=True,
                          text=True, cwd=ROOT, timeout=240, check=True)
    report = json.loads(done.stdout)
    assert report["documents"] == 55 and report["dense"] is False and len(report["generation_s"]) == 3
    assert report["generation_vs_full_build"] == round(max(report["generation_s"]) / report["full_build_s"], 3)
