"""Search engines compared on one synthetic corpus: ``python -m bench.search --passages N [--json]``.

qa-api, rank-bm25, bm25s and tantivy index the same tokens (``bench.corpus``) and answer the same queries
(top 10, one thread). Each system builds in one subprocess and serves in another, so peak RSS is its own:
build time and size on disk come from the first, load time, latency and RSS while serving from the second.
rank-bm25 keeps nothing on disk, so it builds and serves in one process, and at large N only answers a
sample of the queries (it scores every passage in Python); the output says how many.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench import corpus as synth

OUTPUT = Path(__file__).resolve().parent / "output"
SYSTEMS = ("qa-api", "bm25s", "tantivy", "rank-bm25")
TOP_K = 10
RANK_BM25_POSTINGS_BUDGET = 2_000_000_000  # passages x queries scored in Python, ~1 minute


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.search", description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--systems", default=",".join(SYSTEMS), help="comma-separated subset of " + ", ".join(SYSTEMS))
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--workdir", type=Path, default=OUTPUT)
    parser.add_argument("--child", nargs=2, metavar=("SYSTEM", "PHASE"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        print(json.dumps(CHILDREN[args.child[0]][args.child[1]](args.workdir)))
        return 0
    systems = [s for s in args.systems.split(",") if s]
    unknown = set(systems) - set(SYSTEMS)
    if unknown:
        parser.error(f"unknown systems {sorted(unknown)}; choose from {', '.join(SYSTEMS)}")
    report = run(args.passages, args.queries, systems, args.workdir / f"n{args.passages}")
    print(json.dumps(report, indent=2) if args.json else format_table(report))
    return 0


def run(passages: int, queries: int, systems: list[str], workdir: Path) -> dict[str, Any]:
    workdir.mkdir(parents=True, exist_ok=True)
    data = workdir / "corpus.npz"
    if not data.exists():
        log(f"generating {passages} passages and {queries} queries")
        synth.save(synth.generate(passages, queries), data)
    results: dict[str, Any] = {}
    for system in systems:
        shutil.rmtree(workdir / system, ignore_errors=True)
        (workdir / system).mkdir()
        log(f"{system}: building")
        measured = child(system, "build", workdir)
        log(f"{system}: serving")
        measured.update(child(system, "serve", workdir))
        results[system] = measured
    base = results.get("qa-api")
    if base:
        for r in results.values():
            r["ratios_to_qa_api"] = {m: round(r[m] / base[m], 2) if r.get(m) and base.get(m) else None
                                     for m in ("build_s", "peak_rss_mb", "disk_mb", "load_s", "p50_ms", "p95_ms",
                                               "p99_ms")}
    return {"passages": passages, "queries": queries, "systems": results, "load_average": os.getloadavg()[0]}


def child(system: str, phase: str, workdir: Path) -> dict[str, Any]:
    done = subprocess.run([sys.executable, "-m", "bench.search", "--workdir", str(workdir), "--child", system, phase],
                          stdout=subprocess.PIPE, check=True, cwd=Path(__file__).resolve().parent.parent)
    result: dict[str, Any] = json.loads(done.stdout.decode().strip().splitlines()[-1])
    return result


def log(message: str) -> None:
    print(f"[bench] {message}", file=sys.stderr, flush=True)


def format_table(report: dict[str, Any]) -> str:
    cols = ("build_s", "peak_rss_mb", "disk_mb", "load_s", "p50_ms", "p95_ms", "p99_ms", "queries")
    lines = [f"{report['passages']} passages, top-{TOP_K}, one thread (load average {report['load_average']:.2f})",
             f"{'system':10}" + "".join(f"{c:>13}" for c in cols) + "   x qa-api p50 / p99"]
    for system, r in report["systems"].items():
        ratios = r.get("ratios_to_qa_api", {})
        lines.append(f"{system:10}" + "".join(f"{_fmt(r.get(c)):>13}" for c in cols)
                     + f"   {_fmt(ratios.get('p50_ms'))} / {_fmt(ratios.get('p99_ms'))}")
    lines.append("peak_rss_mb: while loading and serving (build peaks are in --json as build_peak_rss_mb)")
    return "\n".join(lines)


def _fmt(value: Any) -> str:
    if value is None:
        return "-"
    return f"{value:.3g}" if isinstance(value, float) else str(value)


# --- measuring, inside a child process ---

def peak_rss_mb() -> float:
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def disk_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20, 1)


def latencies(queries: list[Any], search: Callable[[Any], object]) -> dict[str, Any]:
    times = []
    for q in queries:
        started = time.perf_counter()
        search(q)
        times.append((time.perf_counter() - started) * 1000)
    p50, p95, p99 = np.percentile(times, [50, 95, 99]) if times else (0.0, 0.0, 0.0)
    return {"p50_ms": round(float(p50), 3), "p95_ms": round(float(p95), 3), "p99_ms": round(float(p99), 3),
            "queries": len(times)}


def timed(fn: Callable[[], Any]) -> tuple[Any, float]:
    started = time.perf_counter()
    out = fn()
    return out, round(time.perf_counter() - started, 3)


def _corpus(workdir: Path) -> synth.SyntheticCorpus:
    return synth.load(workdir / "corpus.npz")


def _queries(workdir: Path) -> list[np.ndarray[Any, Any]]:
    return synth.load_queries(workdir / "corpus.npz")


def _token_lists(c: synth.SyntheticCorpus) -> list[list[int]]:
    bounds = c.offsets()
    return [c.tokens[bounds[i]:bounds[i + 1]].tolist() for i in range(c.n_passages)]


# --- qa-api ---

def qa_api_build(workdir: Path) -> dict[str, Any]:
    from bench.qa_index import build_and_save

    c = _corpus(workdir)
    _, build_s = timed(lambda: build_and_save(c, workdir / "qa-api"))
    return {"build_s": build_s, "build_peak_rss_mb": peak_rss_mb(), "disk_mb": disk_mb(workdir / "qa-api")}


def qa_api_serve(workdir: Path) -> dict[str, Any]:
    from qa_api.retrieval.bm25 import ranked, warm_up
    from qa_api.retrieval.store import load_index

    queries = [dict(Counter(q.tolist())) for q in _queries(workdir)]

    def load() -> Any:
        index = load_index(workdir / "qa-api")
        warm_up()
        return index

    index, load_s = timed(load)
    figures = latencies(queries, lambda q: ranked(index.postings, q, TOP_K))
    return {"load_s": load_s, "peak_rss_mb": peak_rss_mb(), **figures}


# --- bm25s ---

def bm25s_build(workdir: Path) -> dict[str, Any]:
    import bm25s

    c = _corpus(workdir)
    ids, vocab = _token_lists(c), {synth.word(i): i for i in range(synth.VOCABULARY)}
    del c

    def build() -> None:
        retriever = bm25s.BM25(backend="numba")
        retriever.index((ids, vocab), show_progress=False)
        retriever.save(str(workdir / "bm25s"))

    _, build_s = timed(build)
    return {"build_s": build_s, "build_peak_rss_mb": peak_rss_mb(), "disk_mb": disk_mb(workdir / "bm25s")}


def bm25s_serve(workdir: Path) -> dict[str, Any]:
    import bm25s
    from bm25s.tokenization import Tokenized

    queries = [q.tolist() for q in _queries(workdir)]

    def load() -> Any:
        retriever = bm25s.BM25.load(str(workdir / "bm25s"))
        retriever.backend = "numba"
        search(retriever, queries[0])  # compile before timing
        return retriever

    def search(retriever: Any, q: list[int]) -> object:
        return retriever.retrieve(Tokenized(ids=[q], vocab=retriever.vocab_dict), k=TOP_K, show_progress=False,
                                  n_threads=1)

    retriever, load_s = timed(load)
    figures = latencies(queries, lambda q: search(retriever, q))
    return {"load_s": load_s, "peak_rss_mb": peak_rss_mb(), **figures}


# --- tantivy ---

def tantivy_build(workdir: Path) -> dict[str, Any]:
    import tantivy

    c = _corpus(workdir)
    bounds = c.offsets()
    path = workdir / "tantivy"

    def build() -> None:
        builder = tantivy.SchemaBuilder()
        builder.add_text_field("body", stored=False, tokenizer_name="whitespace", index_option="freq")
        index = tantivy.Index(builder.build(), path=str(path))
        writer = index.writer(heap_size=512 * 2**20, num_threads=1)
        for i in range(c.n_passages):
            text = " ".join(map(synth.word, c.tokens[bounds[i]:bounds[i + 1]].tolist()))
            writer.add_document(tantivy.Document(body=text))
        writer.commit()
        writer.wait_merging_threads()

    _, build_s = timed(build)
    return {"build_s": build_s, "build_peak_rss_mb": peak_rss_mb(), "disk_mb": disk_mb(path),
            "build_note": "build time includes joining tokens into text"}


def tantivy_serve(workdir: Path) -> dict[str, Any]:
    import tantivy

    texts = [" ".join(map(synth.word, q.tolist())) for q in _queries(workdir)]

    def load() -> Any:
        index = tantivy.Index.open(str(workdir / "tantivy"))
        index.reload()
        return index, index.searcher()

    (index, searcher), load_s = timed(load)
    figures = latencies(texts, lambda q: searcher.search(index.parse_query(q, ["body"]), TOP_K).hits)
    return {"load_s": load_s, "peak_rss_mb": peak_rss_mb(), **figures}


# --- rank-bm25 ---

def rank_bm25_build(workdir: Path) -> dict[str, Any]:
    from rank_bm25 import BM25Okapi

    c = _corpus(workdir)
    docs = _token_lists(c)
    queries = c.queries
    sample = max(5, min(len(queries), RANK_BM25_POSTINGS_BUDGET // max(c.n_passages * 100, 1)))
    del c
    started = time.perf_counter()
    model = BM25Okapi(docs)
    build_s = round(time.perf_counter() - started, 3)
    del docs

    def search(q: np.ndarray[Any, Any]) -> object:
        return np.argpartition(-model.get_scores(q.tolist()), TOP_K)[:TOP_K]

    figures = latencies(queries[:sample], search)
    return {"build_s": build_s, "disk_mb": None, "load_s": None, "peak_rss_mb": peak_rss_mb(), **figures,
            "note": f"no index on disk; {figures['queries']} of {len(queries)} queries (every passage scored in "
                    "Python per query term)"}


def _serve_none(workdir: Path) -> dict[str, Any]:
    return {}


CHILDREN: dict[str, dict[str, Callable[[Path], dict[str, Any]]]] = {
    "qa-api": {"build": qa_api_build, "serve": qa_api_serve},
    "bm25s": {"build": bm25s_build, "serve": bm25s_serve},
    "tantivy": {"build": tantivy_build, "serve": tantivy_serve},
    "rank-bm25": {"build": rank_bm25_build, "serve": _serve_none},
}

if __name__ == "__main__":
    sys.exit(main())
