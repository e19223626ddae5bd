"""The Solr backend against the local one: ``python -m bench.solr --passages N [--json]``.

One synthetic corpus (``bench.corpus``: passages of Zipf words, 10 to a document) is indexed twice: by the local
builder (``build_index``) and into a SolrCloud collection (2 shards x 2 replicas by default) on the 3-node
loopback cluster that ``scripts/solr-cluster`` starts (or on ``--url``). The same queries then run one at a time
through each backend's keyword search with passages returned: ``Searcher.search(rerank=False)``, the
``/v1/search`` path, and ``qa_api.retrieval.solr.search`` over HTTP. Printed: build and push times, documents
per node (passages and index size), p50/p95/p99 latency of each and their ratios (Solr / local), how often the
two put the same passage first, and the load average.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import numpy as np

from bench import corpus as synth
from qa_api.corpus import Corpus, Document, Passage
from qa_api.retrieval import solr
from qa_api.retrieval.analysis import Analyzer
from qa_api.retrieval.bm25 import BM25Params
from qa_api.retrieval.index import build_index
from qa_api.retrieval.search import Searcher

ROOT = Path(__file__).resolve().parent.parent
PASSAGES_PER_DOCUMENT = 10
TOP_K = 10
COLLECTION = "bench"


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
    corpus = synthetic_corpus(data)
    queries = [" ".join(synth.word(int(r)) for r in q) for q in data.queries]
    params = BM25Params()

    started = time.perf_counter()
    log("local: building the index")
    searcher = Searcher(build_index(corpus, Analyzer(), params))
    local_build_s = time.perf_counter() - started

    client = solr.SolrClient(urls, timeout=120)
    solr.delete_collection(client, COLLECTION)
    started = time.perf_counter()
    log(f"solr: creating {shards} x {replicas} and pushing")
    solr.create_collection(client, COLLECTION, shards=shards, replication_factor=replicas, params=params)
    solr.push_corpus(client, COLLECTION, corpus, params)
    solr_push_s = time.perf_counter() - started

    log("querying")
    local_ms = _timed(lambda q: searcher.search(q, TOP_K, rerank=False), queries)
    solr_ms = _timed(lambda q: solr.search(client, COLLECTION, q, TOP_K), queries)
    agree = sum(searcher.search(q, 1, rerank=False).hits[0].passage.id
                == solr.search(client, COLLECTION, q, 1).hits[0].passage.id for q in queries[:200])
    report: dict[str, Any] = {
        "passages": n_passages, "documents": len(corpus.documents), "queries": len(queries),
        "layout": f"{shards} shards x {replicas} replicas on {len(urls)} nodes",
        "per_node": per_node(client, COLLECTION),
        "local_build_s": round(local_build_s, 1), "solr_create_and_push_s": round(solr_push_s, 1),
        "local": _percentiles(local_ms), "solr": _percentiles(solr_ms),
        "top1_agreement_200": agree / min(200, len(queries)),
    }
    report["solr_to_local"] = {k: round(report["solr"][k] / report["local"][k], 1) for k in report["local"]}
    report["load_average"] = os.getloadavg()[0]  # other work on the machine slows both, Solr's 3 nodes more
    solr.delete_collection(client, COLLECTION)
    return report


def synthetic_corpus(data: synth.SyntheticCorpus) -> Corpus:
    """The synthetic passages as documents of 10 paragraphs, with offsets as the corpus reader gives them."""
    offsets = data.offsets()
    texts = [" ".join(synth.word(int(r)) for r in data.tokens[offsets[i]:offsets[i + 1]])
             for i in range(data.n_passages)]
    documents = []
    for d, first in enumerate(range(0, len(texts), PASSAGES_PER_DOCUMENT)):
        source, parts, passages, at = f"bench-{d:06d}.txt", texts[first:first + PASSAGES_PER_DOCUMENT], [], 0
        for n, text in enumerate(parts, start=1):
            passages.append(Passage(f"bench-{d:06d}-p{n}", source, n, None, text, at, at + len(text)))
            at += len(text) + 2
        documents.append(Document(source, "\n\n".join(parts), None, tuple(passages)))
    return Corpus(tuple(documents), f"synthetic-{data.n_passages}")


def per_node(client: solr.SolrClient, collection: str) -> dict[str, dict[str, float]]:
    """Passage records and index megabytes each node holds, over all the replicas it hosts."""
    replicas = client.request("GET", "/admin/collections", {"action": "CLUSTERSTATUS", "collection": collection})
    held: dict[str, dict[str, float]] = {}
    for shard_name, shard in replicas["cluster"]["collections"][collection]["shards"].items():
        count = client.request("POST", f"/{collection}/select", {"q": "kind:passage", "rows": 0,
                                                                 "shards": shard_name})["response"]["numFound"]
        for replica in shard["replicas"].values():
            cores = solr.SolrClient([replica["base_url"]]).request(
                "GET", "/admin/cores", {"action": "STATUS", "core": replica["core"]})["status"]
            node = held.setdefault(replica["node_name"], {"passages": 0, "index_mb": 0.0})
            node["passages"] += int(count)
            node["index_mb"] = round(node["index_mb"] + cores[replica["core"]]["index"]["sizeInBytes"] / 2**20, 1)
    return dict(sorted(held.items()))


def _timed(search: Any, queries: list[str]) -> list[float]:
    for q in queries[:300]:  # warm both up (the JIT above all), untimed
        search(q)
    out = []
    for q in queries:
        started = time.perf_counter()
        search(q)
        out.append((time.perf_counter() - started) * 1000)
    return out


def _percentiles(ms: list[float]) -> dict[str, float]:
    return {f"p{p}_ms": round(float(np.percentile(ms, p)), 2) for p in (50, 95, 99)}


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
