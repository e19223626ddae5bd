"""Ask, chat and search over HTTP on a text corpus: ``python -m bench.ask --passages N [--json]``.

Writes (once, cached in ``bench/output/text-n<N>/``) a corpus of N passages of recombined English sentences
(``bench.text``), builds its index from the text with ``qa-api index`` (timed: wall and CPU seconds, on
every core), serves it with ``qa-api serve`` with one worker on a free loopback port, and sends the same
natural questions, one at a time over one kept-alive connection, to ``GET /v1/search``, ``POST /v1/ask``
and ``POST /v1/chat/completions``: p50/p95/p99 per route, each question asked once (after a few warm-up
requests of other questions), as a user would. Then, with the server stopped, it times the same questions
in this process: plain BM25 (what search runs), the ask's pool (the question read, then the exact pruned
BM25 top 30 for its weighted terms) and the whole ask (the question's vector, the pool re-ranked with the
sentence features, the evidence and the answer), so the HTTP figures can be read as BM25 + the rest.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import resource
import subprocess
import sys
import time
import urllib.parse
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench import text
from bench.http import start, stop
from bench.load import gunicorn_workers
from qa_api.retrieval.store import current_manifest

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "bench" / "output"
TOP_K = 5  # the API's default for search and ask
ROUNDS = 1  # every question is asked this many times per route
WARM_UP = ("What is the default value?", "What happens if the file does not exist?", "What returns a new list?")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.ask", description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--questions", type=int, default=text.QUESTIONS)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--reuse-index", action="store_true", help="serve the index of an earlier run as it is")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument("--workdir", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    report = run(args.passages, args.questions, args.rounds, args.workdir, args.reuse_index)
    print(json.dumps(report, indent=2) if args.json else format_table(report))
    return 0


def run(passages: int, n_questions: int, rounds: int, workdir: Path, reuse_index: bool) -> dict[str, Any]:
    home = workdir / f"text-n{passages}"
    corpus, questions, pool = prepare_corpus(workdir, home, passages, n_questions)
    index = home / "index"
    build = previous_build(home) if reuse_index and (index / "CURRENT").exists() else build_index(corpus, index)
    (home / "build.json").write_text(json.dumps(build))
    report: dict[str, Any] = {"passages": passages, "questions": len(questions), "rounds": rounds,
                              "sentence_pool": pool, "build": build,
                              "index_mb": disk_mb(index / (index / "CURRENT").read_text().split()[0])}
    report.update(serve_and_ask(corpus, index, questions, rounds))
    report["in_process_ms"] = in_process(corpus, index, questions)
    report["load_average"] = os.getloadavg()[0]
    return report


def prepare_corpus(workdir: Path, home: Path, passages: int, n_questions: int
                   ) -> tuple[Path, list[str], dict[str, Any]]:
    """The corpus and its questions, generated on the first run and read back after."""
    corpus, meta_path = home / "corpus", home / "corpus.json"
    pool_path = workdir / "sentences.txt"
    if pool_path.exists():
        pool = pool_path.read_text(encoding="utf-8").splitlines()
    else:
        log("collecting sentences from the installed docstrings")
        pool = text.sentence_pool()
        workdir.mkdir(parents=True, exist_ok=True)
        pool_path.write_text("\n".join(pool) + "\n", encoding="utf-8")
    digest = text.pool_digest(pool)
    meta = json.loads(meta_path.read_text()) if meta_path.exists() else {}
    stale = meta.get("pool_digest") != digest or meta.get("seed") != text.SEED
    if stale or len(meta.get("questions", [])) < n_questions:
        log(f"writing {passages} passages to {corpus}")
        used = text.write_corpus(pool, passages, corpus)
        meta = {"pool_digest": digest, "seed": text.SEED, "questions": text.questions(used, n_questions)}
        meta_path.write_text(json.dumps(meta, indent=1))
    return corpus, meta["questions"][:n_questions], {"sentences": len(pool), "digest": digest}


def build_index(corpus: Path, index: Path) -> dict[str, Any]:
    log("building the index from text: qa-api index")
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "qa_api", "index", "--corpus", str(corpus), "--index", str(index)],
                   check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    embedding = current_manifest(index).get("embed_seconds", 0.0)  # the sentence vectors' share of the wall time
    return {"seconds": round(wall, 2), "cpu_seconds": round(cpu, 2), "embed_seconds": embedding,
            "bm25_seconds": round(wall - embedding, 2), "cores": len(os.sched_getaffinity(0)),
            "peak_rss_mb": round(after.ru_maxrss / 1024, 1), "measured_at": time.strftime("%Y-%m-%dT%H:%M:%SZ",
                                                                                        time.gmtime())}


def previous_build(home: Path) -> dict[str, Any]:
    path = home / "build.json"
    build: dict[str, Any] = json.loads(path.read_text()) if path.exists() else {}
    return dict(build, reused=True)


def serve_and_ask(corpus: Path, index: Path, questions: list[str], rounds: int) -> dict[str, Any]:
    env = dict(os.environ, QA_API_CORPUS_DIR=str(corpus), QA_API_INDEX_DIR=str(index), QA_API_WORKERS="1")
    log("serving with one worker")
    port, server = start(env, [sys.executable, "-m", "qa_api", "serve"])
    try:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        routes: dict[str, Callable[[str], tuple[str, str, bytes | None]]] = {
            "search": lambda q: ("GET", "/v1/search?" + urllib.parse.urlencode({"q": q, "top_k": TOP_K}), None),
            "ask": lambda q: ("POST", "/v1/ask", json.dumps({"question": q, "top_k": TOP_K}).encode()),
            "chat": lambda q: ("POST", "/v1/chat/completions", json.dumps(
                {"model": "qa-api", "messages": [{"role": "user", "content": q}]}).encode()),
        }
        results = {}
        for name, request in routes.items():
            log(f"{name}: {len(questions)} questions x {rounds}")
            latencies(conn, [request(q) for q in WARM_UP])
            results[name] = latencies(conn, [request(q) for q in questions] * rounds)
        worker = gunicorn_workers(server.pid)[0]
        return {"http": results, "server": {"workers": 1, "worker_peak_rss_mb": peak_rss_mb(worker)}}
    finally:
        stop(server)


def latencies(conn: http.client.HTTPConnection, requests: list[tuple[str, str, bytes | None]]) -> dict[str, Any]:
    times, errors = [], 0
    headers = {"Content-Type": "application/json"}
    for method, path, body in requests:
        started = time.perf_counter()
        conn.request(method, path, body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        times.append((time.perf_counter() - started) * 1000)
        errors += response.status != 200
    return {**percentiles(times), "requests": len(times), "errors": errors}


def percentiles(times: list[float]) -> dict[str, float]:
    p50, p95, p99 = np.percentile(times, [50, 95, 99]) if times else (0.0, 0.0, 0.0)
    return {"p50_ms": round(float(p50), 2), "p95_ms": round(float(p95), 2), "p99_ms": round(float(p99), 2),
            "mean_ms": round(float(np.mean(times)), 2) if times else 0.0}


def in_process(corpus: Path, index: Path, questions: list[str]) -> dict[str, Any]:
    """The same questions timed inside one process: where an ask spends its time."""
    from qa_api.answers.ranking import POOL
    from qa_api.service import QAService
    from qa_api.settings import Settings

    service = QAService.open(Settings(corpus_dir=corpus, index_dir=index))
    stages: dict[str, Callable[[str], object]] = {
        "search_bm25": lambda q: service.search(q, TOP_K),
        "ask_pool": lambda q: service.backend.pool(service.read(q).query, POOL),
        "ask": lambda q: service.ask(q, TOP_K),
    }
    for q in WARM_UP:
        for stage in stages.values():
            stage(q)
    times: dict[str, list[float]] = {name: [] for name in stages}
    for q in questions:
        for name, stage in stages.items():
            started = time.perf_counter()
            stage(q)
            times[name].append((time.perf_counter() - started) * 1000)
    return {name: percentiles(t) for name, t in times.items()}


def peak_rss_mb(pid: int) -> float:
    status = Path(f"/proc/{pid}/status").read_text()
    return round(int(next(line.split()[1] for line in status.splitlines() if line.startswith("VmHWM:"))) / 1024, 1)


def disk_mb(path: Path) -> float:
    return round(sum(p.stat().st_size for p in path.rglob("*") if p.is_file()) / 2**20, 1)


def log(message: str) -> None:
    print(f"[bench.ask] {message}", file=sys.stderr, flush=True)


def format_table(report: dict[str, Any]) -> str:
    b = report["build"]
    lines = [f"{report['passages']} passages, {report['questions']} questions x {report['rounds']}, one worker "
             f"(load average {report['load_average']:.2f})",
             f"build from text: {b.get('seconds')} s wall ({b.get('bm25_seconds')} s the BM25 index, "
             f"{b.get('embed_seconds')} s the sentence vectors), {b.get('cpu_seconds')} s CPU on {b.get('cores')} "
             f"cores; index {report['index_mb']} MB; worker peak RSS {report['server']['worker_peak_rss_mb']} MB",
             f"{'over HTTP':22}{'p50_ms':>10}{'p95_ms':>10}{'p99_ms':>10}{'mean_ms':>10}"]
    for name, r in report["http"].items():
        lines.append(f"{name:22}{r['p50_ms']:>10}{r['p95_ms']:>10}{r['p99_ms']:>10}{r['mean_ms']:>10}")
    lines.append("in process")
    for name, r in report["in_process_ms"].items():
        lines.append(f"{name:22}{r['p50_ms']:>10}{r['p95_ms']:>10}{r['p99_ms']:>10}{r['mean_ms']:>10}")
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
