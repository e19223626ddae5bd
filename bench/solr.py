"""The Solr backend against the local one: ``python -m bench.solr --passages N [--json]``.

One synthetic corpus (``bench.corpus``: passages of Zipf words, 10 to a document, written as files) is indexed
twice: by the local builder (``build_index``) and by ``qa-api index``'s Solr path (``build_collection``: a fresh
collection, 2 shards x 2 replicas by default, behind an alias) on the 3-node loopback cluster that
``scripts/solr-cluster`` starts (or on ``--url``). Sentence vectors are left out (embedding N synthetic passages
would time the encoder, not the backends). The same queries then run one at a time through each backend behind
the service: ``QAService.search`` (``/v1/search``: BM25 top 10 with highlights and per-term scores) and
``QAService.ask`` (BM25's pool of 30, re-ranked by lexical features, evidence and answer; no vectors).
Printed: build times, documents per node (passages and index size), p50/p95/p99 latency of each path on each
backend and their ratios (Solr / local), how often the two put the same passage first, and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from bench import corpus as synth
from qa_api.corpus import load_corpus
from qa_api.retrieval.analysis import Analyzer
from qa_api.retrieval.bm25 import BM25Params
from qa_api.retrieval.builder import build_index
from qa_api.retrieval.local import LocalBackend
from qa_api.retrieval.solr import SolrBackend, SolrClient, admin, build_collection
from qa_api.service import QAService

ROOT = Path(__file__).resolve().parent.parent
PASSAGES_PER_DOCUMENT = 10
TOP_K = 10
ALIAS = "bench"
WARM_UP = 300  # queries run untimed first on each path (the JVM's JIT above all)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.solr", description=__doc__.split("\n")[0])
    parser.add_argument("--passages", type=int, default=100_000)
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--shards", type=int, default=2)
    parser.add_argument("--replicas", type=int, default=2)
    parser.add_argument("--url", help="an existing SolrCloud (comma-separated node URLs); default: start one")
    parser.add_argument("--heap", default="2g", help="the started cluster's JVM heap (all nodes together)")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    env = dict(os.environ, SOLR_CLUSTER_HEAP=args.heap)
    urls = args.url or _cluster("start", env).strip().splitlines()[-1]
    try:
        report = run(args.passages, args.queries, urls.split(","), args.shards, args.replicas)
    finally:
        if not args.url:
            _cluster("stop", env)
    print(json.dumps(report, indent=2) if args.json else "\n".join(f"{k}: {v}" for k, v in report.items()))
    return 0


def run(n_passages: int, n_queries: int, urls: list[str], shards: int, replicas: int) -> dict[str, Any]:
    log(f"generating {n_passages} passages")
    data = synth.generate(n_passages, n_queries)
    corpus_dir = write_corpus(data, Path(tempfile.mkdtemp(prefix="bench-solr-")) / "corpus")
    corpus = load_corpus(corpus_dir)
    queries = [" ".join(synth.word(int(r)) for r in q) for q in data.queries]
    params, analyzer = BM25Params(), Analyzer()

    started = time.perf_counter()
    log("local: building the index")
    local = QAService(LocalBackend(build_index(corpus_dir, analyzer, params), analyzer))
    local_build_s = time.perf_counter() - started

    client = SolrClient(urls, timeout=600)
    _drop(client)
    log(f"solr: building a {shards} x {replicas} collection")
    built = build_collection(client, ALIAS, corpus, params=params, shards=shards, replication_factor=replicas,
                             analyzer=analyzer, encoder=None)
    solr = QAService(SolrBackend(SolrClient(urls, timeout=30), ALIAS, analyzer, params=params))

    report: dict[str, Any] = {
        "passages": n_passages, "documents": len(corpus.documents), "queries": len(queries),
        "layout": f"{shards} shards x {replicas} replicas on {len(urls)} nodes",
        "per_node": per_node(client, built.collection),
        "local_build_s": round(local_build_s, 1), "solr_build_s": round(built.seconds, 1),
    }
    # keys: "local" and "solr" for search, "local_ask" and "solr_ask" for ask
    for suffix, call in (("", _search), ("_ask", _ask)):
        log(f"querying: {'ask' if suffix else 'search'}")
        for name, service in (("local", local), ("solr", solr)):
            report[name + suffix] = _percentiles(_timed(service, call, queries))
        report["solr_to_local" + suffix] = {k: round(report["solr" + suffix][k] / report["local" + suffix][k], 1)
                                            for k in report["local" + suffix]}
    report["top1_agreement_200"] = sum(local.search(q, 1).hits[0].passage.id == solr.search(q, 1).hits[0].passage.id
                                       for q in queries[:200]) / min(200, len(queries))
    report["load_average"] = os.getloadavg()[0]  # other work on the machine slows both, Solr's 3 nodes more
    _drop(client)
    shutil.rmtree(corpus_dir.parent)
    return report


def write_corpus(data: synth.SyntheticCorpus, directory: Path) -> Path:
    """The synthetic passages as files of 10 paragraphs each, separated by blank lines, as a corpus directory."""
    offsets = data.offsets()
    texts = [" ".join(synth.word(int(r)) for r in data.tokens[offsets[i]:offsets[i + 1]])
             for i in range(data.n_passages)]
    directory.mkdir(parents=True, exist_ok=True)
    for d, first in enumerate(range(0, len(texts), PASSAGES_PER_DOCUMENT)):
        parts = texts[first:first + PASSAGES_PER_DOCUMENT]
        (directory / f"bench-{d:06d}.txt").write_text("\n\n".join(parts) + "\n", encoding="utf-8")
    return directory


def per_node(client: SolrClient, collection: str) -> dict[str, dict[str, float]]:
    """Passage records and index megabytes each node holds, over all the replicas it hosts."""
    replicas = client.request("GET", "/admin/collections", {"action": "CLUSTERSTATUS", "collection": collection})
    held: dict[str, dict[str, float]] = {}
    for shard_name, shard in replicas["cluster"]["collections"][collection]["shards"].items():
        count = client.request("POST", f"/{collection}/select", {"q": "kind:passage", "rows": 0,
                                                                 "shards": shard_name})["response"]["numFound"]
        for replica in shard["replicas"].values():
            cores = SolrClient([replica["base_url"]]).request(
                "GET", "/admin/cores", {"action": "STATUS", "core": replica["core"]})["status"]
            node = held.setdefault(replica["node_name"], {"passages": 0, "index_mb": 0.0})
            node["passages"] += int(count)
            node["index_mb"] = round(node["index_mb"] + cores[replica["core"]]["index"]["sizeInBytes"] / 2**20, 1)
    return dict(sorted(held.items()))


def _search(service: QAService, query: str) -> Any:
    return service.search(query, TOP_K)


def _ask(service: QAService, query: str) -> Any:
    return service.ask(query, TOP_K)


def _timed(service: QAService, call: Callable[[QAService, str], Any], queries: list[str]) -> list[float]:
    for q in queries[:WARM_UP]:
        call(service, q)
    out = []
    for q in queries:
        started = time.perf_counter()
        call(service, q)
        out.append((time.perf_counter() - started) * 1000)
    return out


def _percentiles(ms: list[float]) -> dict[str, float]:
    return {f"p{p}_ms": round(float(np.percentile(ms, p)), 2) for p in (50, 95, 99)}


def _drop(client: SolrClient) -> None:
    admin.delete_alias(client, ALIAS)
    for name in admin.list_collections(client):
        if name.startswith(f"{ALIAS}_"):
            admin.delete_collection(client, name)


def _cluster(command: str, env: dict[str, str]) -> str:
    done = subprocess.run([str(ROOT / "scripts" / "solr-cluster"), command], env=env, capture_output=True,
                          text=True, timeout=1500)
    if done.returncode != 0:
        raise SystemExit(f"scripts/solr-cluster {command} failed:\n{done.stderr}")
    return done.stdout


def log(message: str) -> None:
    print(f"[bench.solr] {message}", file=sys.stderr, flush=True)


if __name__ == "__main__":
    sys.exit(main())
