"""The Solr backend against a real 3-node SolrCloud on loopback: the configset's analyzer, pushing the corpus,
search and explain, global statistics across shards, k1 and b from the settings, node loss, and how far Lucene's
BM25 ranks like ours."""

from __future__ import annotations

import base64
import http.server
import io
import itertools
import json
import os
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from qa_api.corpus import Corpus, load_corpus
from qa_api.errors import SearchBackendError, UnknownPassageError, UnknownSourceError
from qa_api.retrieval import solr
from qa_api.retrieval.analysis import Analyzer, normalize, stopwords
from qa_api.retrieval.bm25 import BM25Params, accumulate
from qa_api.service import QAService
from tests.conftest import ROOT, SEEDS
from tests.live import wait_for
from tests.solr_cluster import SolrCluster

pytestmark = [pytest.mark.solr, pytest.mark.timeout(1800)]

CONFIGSET = ROOT / "solr" / "configsets" / "qa-api" / "conf"
ONE_SHARD, TWO_SHARDS, TUNED = "seeds-1x1", "seeds-2x2", "seeds-tuned"
# Words that Lucene 9.12's Snowball English stems otherwise than PyStemmer 3.1's, as found in the seeds and eval.
STEMMED_OTHERWISE = frozenset({"adding", "international", "organization", "university"})
TRICKY_TEXT = ("The U.S. Army's 10,000 troops don’t fight; 1.5% of Korea’s CAFÉ-goers and ﬁve Straße "
               "9'ers met at 3.14.15 on 2025-04-30 (ＦＵＬＬＷＩＤＴＨ) — it's well-known")


def eval_questions() -> list[str]:
    questions = []
    for path in sorted((ROOT / "eval").glob("*.jsonl")):
        for line in path.read_text(encoding="utf-8").splitlines():
            item = json.loads(line)
            questions.append(item.get("question") or item["standalone"])
    return questions


@dataclass(frozen=True)
class Seeded:
    client: solr.SolrClient
    corpus: Corpus


@pytest.fixture(scope="module")
def seeded(solr_cluster: SolrCluster) -> Iterator[Seeded]:
    """The seed corpus in a 1-shard and a 2-shard x 2-replica collection, and in one with other k1 and b."""
    client = solr.SolrClient(solr_cluster.urls, timeout=30)
    corpus = load_corpus(SEEDS)
    layouts = {ONE_SHARD: (1, 1, BM25Params()), TWO_SHARDS: (2, 2, BM25Params()),
               TUNED: (1, 1, BM25Params(k1=1.2, b=0.5))}
    for name, (shards, replicas, params) in layouts.items():
        solr.delete_collection(client, name)
        solr.create_collection(client, name, shards=shards, replication_factor=replicas, params=params)
        assert solr.push_corpus(client, name, corpus, params) == sum(1 for _ in corpus.passages())
    yield Seeded(client, corpus)
    for name in layouts:
        solr.delete_collection(client, name)


# --- the configset, without a cluster ------------------------------------------------------------------------


def test_configset_stopwords_are_ours_after_our_normalisation() -> None:
    lines = (CONFIGSET / "stopwords.txt").read_text(encoding="utf-8").splitlines()
    assert {w for w in lines if w and not w.startswith("#")} == stopwords()


def test_uploaded_configset_carries_k1_and_b_from_the_settings() -> None:
    archive = zipfile.ZipFile(io.BytesIO(solr.configset_zip(BM25Params(k1=0.9, b=0.4))))
    assert sorted(archive.namelist()) == sorted(solr.CONFIGSET_FILES)
    schema = archive.read("schema.xml").decode()
    assert '<float name="k1">0.9</float>' in schema and '<float name="b">0.4</float>' in schema
    assert archive.read("stopwords.txt") == (CONFIGSET / "stopwords.txt").read_bytes()


@pytest.mark.parametrize(("text", "escaped"), [
    ("north korea", r"north\ korea"),
    ('AND OR NOT (x:*) "y" a&&b || c/d', r'AND\ OR\ NOT\ \(x\:\*\)\ \"y\"\ a\&\&b\ \|\|\ c\/d'),
    ("what? +1 -2 ~3 ^4 [5 TO 6] {7} back\\slash", r"what\?\ \+1\ \-2\ \~3\ \^4\ \[5\ TO\ 6\]\ \{7\}\ back\\slash"),
])
def test_query_text_reaches_the_parser_as_plain_words(text: str, escaped: str) -> None:
    assert solr.escape(text) == escaped


class _Recorder(http.server.BaseHTTPRequestHandler):
    """A stand-in node on loopback: answers 503 on /busy, JSON elsewhere, and remembers each request's headers."""

    seen: ClassVar[list[tuple[str, str | None]]] = []

    def do_GET(self) -> None:
        self.seen.append((self.path, self.headers.get("Authorization")))
        busy = self.path.startswith("/busy")
        body = b"busy" if busy else json.dumps({"collections": ["x"]}).encode()
        self.send_response(503 if busy else 200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: Any) -> None:
        pass


def test_client_sends_basic_auth_from_the_url_and_fails_over_past_dead_and_busy_nodes() -> None:
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _Recorder)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        port = server.server_address[1]
        dead = "http://127.0.0.1:9/solr"  # nothing listens on the discard port
        client = solr.SolrClient([dead, f"http://qa:s3cret@127.0.0.1:{port}/busy",
                                  f"http://qa:s3cret@127.0.0.1:{port}/solr"], timeout=2)
        assert solr.list_collections(client) == ["x"]
        assert [p.split("?")[0] for p, _ in _Recorder.seen] == ["/busy/admin/collections", "/solr/admin/collections"]
        assert {a for _, a in _Recorder.seen} == {"Basic " + base64.b64encode(b"qa:s3cret").decode()}
        assert all("s3cret" not in url for url in client.urls)
    finally:
        server.shutdown()
        server.server_close()


def test_no_reachable_node_is_a_backend_error() -> None:
    client = solr.SolrClient(["http://127.0.0.1:9/solr"], timeout=2)
    with pytest.raises(SearchBackendError, match="no Solr node answered"):
        solr.list_collections(client)


# --- against the cluster -------------------------------------------------------------------------------------


def listening_addresses(pid: int) -> set[str]:
    """The local addresses of the TCP sockets process ``pid`` listens on, from /proc."""
    inodes = set()
    for fd in Path(f"/proc/{pid}/fd").iterdir():
        target = os.readlink(fd) if fd.is_symlink() else ""
        if target.startswith("socket:["):
            inodes.add(target[8:-1])
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            if fields[3] == "0A" and fields[9] in inodes:  # 0A: LISTEN
                found.add(fields[1].rsplit(":", 1)[0])
    return found


def test_cluster_listens_on_loopback_only_and_start_is_idempotent(solr_cluster: SolrCluster) -> None:
    pid = int((solr_cluster.state_dir / "launcher.pid").read_text())
    addresses = listening_addresses(pid)
    assert len(addresses) >= 1 and addresses <= {"0100007F"}, addresses  # 127.0.0.1, as /proc/net/tcp spells it
    assert solr_cluster.run("start").strip().splitlines()[-1] == ",".join(solr_cluster.urls)
    with pytest.raises(AssertionError, match=r"node number must be 1\.\.3"):
        solr_cluster.run("kill-node", "9")


def solr_stages(client: solr.SolrClient, collection: str, text: str) -> tuple[list[str], list[str]]:
    """The terms of ``text`` from the collection's analyzer: before stemming, and after."""
    body = client.request("POST", f"/{collection}/analysis/field",
                          {"analysis.fieldtype": "text_qa", "analysis.fieldvalue": text})
    stages = body["analysis"]["field_types"]["text_qa"]["index"]
    # stages alternate: a tokenizer's or filter's class name, then the tokens it gave
    return [token["text"] for token in stages[-3]], [token["text"] for token in stages[-1]]


def test_solr_analyzer_gives_our_terms_but_for_a_few_stems(seeded: Seeded) -> None:
    """Every step but stemming matches exactly; Lucene's Snowball English is an older release than PyStemmer's,
    and the words it stems otherwise are the ones docs/solr.md lists."""
    analyzer = Analyzer()
    texts = [TRICKY_TEXT, *(p.text for p in seeded.corpus.passages()), *eval_questions()]
    stemmed_otherwise: dict[str, tuple[str, str]] = {}
    words = set()
    for text in texts:
        folded, stems = solr_stages(seeded.client, ONE_SHARD, text)
        tokens = analyzer.tokens(text)
        assert folded == [normalize(text[t.start:t.end]) for t in tokens], text
        for word, ours, theirs in zip(folded, (t.term for t in tokens), stems, strict=True):
            words.add(word)
            if ours != theirs:
                stemmed_otherwise[word] = (ours, theirs)
    print("stemmed-otherwise", len(stemmed_otherwise), "of", len(words), json.dumps(stemmed_otherwise))
    assert set(stemmed_otherwise) <= STEMMED_OTHERWISE
    assert len(stemmed_otherwise) <= 0.01 * len(words)


def test_pushed_passages_keep_the_local_ids_offsets_sections_and_sources(seeded: Seeded) -> None:
    local = list(seeded.corpus.passages())
    assert solr.get_passages(seeded.client, TWO_SHARDS, [p.id for p in local]) == local
    for doc in seeded.corpus.documents:
        fetched = solr.get_document(seeded.client, TWO_SHARDS, doc.source)
        assert (fetched.text, fetched.title, fetched.passages) == (doc.text, doc.title, doc.passages)
        assert all(doc.text[p.start:p.end] == p.text for p in fetched.passages)
    stats = solr.corpus_stats(seeded.client, TWO_SHARDS)
    assert (stats.documents, stats.passages) == (len(seeded.corpus.documents), len(local))
    assert stats.meta["checksum"] == seeded.corpus.checksum and stats.meta["bm25"] == {"k1": 1.5, "b": 0.75}


def test_missing_passages_and_documents_are_not_found(seeded: Seeded) -> None:
    with pytest.raises(UnknownPassageError):
        solr.get_passages(seeded.client, TWO_SHARDS, ["001_5fe9c23b30af33fc-p1", "nope-p1"])
    with pytest.raises(UnknownPassageError):  # a document record is no passage
        solr.get_passages(seeded.client, TWO_SHARDS, [solr.document_id(seeded.corpus.documents[0].source)])
    with pytest.raises(UnknownSourceError):
        solr.get_document(seeded.client, TWO_SHARDS, "nope.txt")
    with pytest.raises(SearchBackendError, match="no such collection"):
        solr.corpus_stats(seeded.client, "no-such-collection")


def test_search_ranks_with_scores_whose_per_term_explain_sums_to_the_score(seeded: Seeded) -> None:
    ranked = solr.search(seeded.client, TWO_SHARDS, "When did North Korea confirm troop deployment?", 5,
                         explain=True)
    assert ranked.total > len(ranked.hits) == 5
    assert ranked.hits[0].passage.id == "001_5fe9c23b30af33fc-p4"
    scores = [h.score for h in ranked.hits]
    assert scores == sorted(scores, reverse=True)
    for hit in ranked.hits:
        assert {t for t, _ in hit.terms} <= {"north", "korea", "confirm", "troop", "deploy"}
        assert sum(s for _, s in hit.terms) == pytest.approx(hit.score, rel=1e-5)


def test_search_takes_operators_as_words_and_filters_by_source(seeded: Seeded) -> None:
    plain = solr.search(seeded.client, TWO_SHARDS, "korea russia", 100)
    with_syntax = solr.search(seeded.client, TWO_SHARDS, 'korea AND (russia:*) OR "', 100)
    assert [(h.passage.id, h.score) for h in with_syntax.hits] == [(h.passage.id, h.score) for h in plain.hits]
    ties = [(a.passage, b.passage) for a, b in itertools.pairwise(plain.hits) if a.score == b.score]
    assert ties and all((a.source, a.paragraph) < (b.source, b.paragraph) for a, b in ties)  # in corpus order
    assert solr.search(seeded.client, TWO_SHARDS, "the and of", 5).total == 0
    source = seeded.corpus.documents[1].source
    only = solr.search(seeded.client, TWO_SHARDS, "korea russia", 100, sources=[source])
    assert only.hits and {h.passage.source for h in only.hits} == {source}
    assert only.total == sum(1 for h in plain.hits if h.passage.source == source)


def scores_by_id(client: solr.SolrClient, collection: str, query: str, **extra: Any) -> dict[str, float]:
    params = [("q", solr.escape(query)), ("defType", "lucene"), ("df", "text"), ("sow", "false"),
              ("rows", 1000), ("fl", "id,score"), *extra.items()]
    docs = client.request("POST", f"/{collection}/select", params)["response"]["docs"]
    return {d["id"]: float(d["score"]) for d in docs}


def test_a_passage_scores_the_same_whichever_shard_holds_it(seeded: Seeded) -> None:
    shard_of = {d["id"]: d["[shard]"] for d in seeded.client.request("POST", f"/{TWO_SHARDS}/select", {
        "q": "kind:passage", "rows": 1000, "fl": "id,[shard]"})["response"]["docs"]}
    assert len(set(shard_of.values())) == 2  # the passages really are split
    questions = eval_questions()[:120]
    alone_differs = 0
    for question in questions:
        one = scores_by_id(seeded.client, ONE_SHARD, question)
        two = scores_by_id(seeded.client, TWO_SHARDS, question)
        assert one.keys() == two.keys(), question
        for pid, score in one.items():
            assert two[pid] == pytest.approx(score, rel=1e-6), (question, pid)
        # Searched on its own, shard 1 scores with its own statistics: the global ones are what keep them equal.
        alone = scores_by_id(seeded.client, TWO_SHARDS, question, shards="shard1")
        alone_differs += any(abs(alone[p] - two[p]) > 1e-4 * two[p] for p in alone)
    assert alone_differs > len(questions) // 2


def explained_parameters(client: solr.SolrClient, collection: str) -> dict[str, float]:
    body = client.request("POST", f"/{collection}/select", {
        "q": "korea", "df": "text", "rows": 1, "fl": "id", "debug": "results", "debug.explain.structured": "true"})
    found: dict[str, float] = {}

    def walk(node: dict[str, Any]) -> None:
        name = node["description"].split(",")[0]
        if name in ("k1", "b"):
            found[name] = node["value"]
        for child in node.get("details", ()):
            walk(child)

    for explanation in body["debug"]["explain"].values():
        walk(explanation)
    return found


def test_k1_and_b_from_the_settings_are_what_solr_scores_with(seeded: Seeded) -> None:
    assert explained_parameters(seeded.client, TWO_SHARDS) == pytest.approx({"k1": 1.5, "b": 0.75})
    assert explained_parameters(seeded.client, TUNED) == pytest.approx({"k1": 1.2, "b": 0.5})
    default, tuned = (scores_by_id(seeded.client, c, "korea") for c in (ONE_SHARD, TUNED))
    assert default.keys() == tuned.keys() and any(abs(default[p] - tuned[p]) > 1e-3 for p in default)


def spearman(a: list[float], b: list[float]) -> float:
    ra, rb = (np.argsort(np.argsort(-np.asarray(x), kind="stable"), kind="stable") for x in (a, b))
    if len(a) < 2:
        return 1.0
    return float(np.corrcoef(ra, rb)[0, 1])


def test_lucene_bm25_ranks_the_eval_questions_close_to_ours(seeded: Seeded, service: QAService) -> None:
    """Lucene's BM25 (IDF log(1 + (N - n + 0.5) / (n + 0.5)), lengths stored in one lossy byte) against ours
    (rank-bm25's, IDF floored by epsilon), over every passage each eval question matches. docs/solr.md quotes
    the figures; the floors sit just under them."""
    index, analyzer = service.index, service.analyzer
    top1 = top5 = 0.0
    rhos = []
    questions = [q for q in eval_questions() if any(t in index.vocab for t in analyzer.terms(q))]
    for question in questions:
        terms: dict[int, int] = {}
        for term in analyzer.terms(question):
            if term in index.vocab:
                terms[index.vocab[term]] = terms.get(index.vocab[term], 0) + 1
        scores, rows = accumulate(index.postings, terms)
        ours = {index.passage(int(r)).id: float(scores[r]) for r in rows}
        theirs = scores_by_id(seeded.client, TWO_SHARDS, question)
        assert ours.keys() == theirs.keys(), question
        order_ours = sorted(ours, key=lambda p: (-ours[p], p))
        order_theirs = sorted(theirs, key=lambda p: (-theirs[p], p))
        top1 += order_ours[0] == order_theirs[0]
        top5 += len(set(order_ours[:5]) & set(order_theirs[:5])) / min(5, len(ours))
        rhos.append(spearman([ours[p] for p in order_ours], [theirs[p] for p in order_ours]))
    n = len(questions)
    figures = {"questions": n, "top1_agreement": top1 / n, "top5_overlap": top5 / n,
               "mean_spearman": float(np.mean(rhos))}
    print("lucene-vs-ours", json.dumps(figures))
    assert n > 300
    assert figures["top1_agreement"] >= 0.8
    assert figures["top5_overlap"] >= 0.8
    assert figures["mean_spearman"] >= 0.8


# --- node loss: last, since it stops a node (and starts it again) ---------------------------------------------


@dataclass(frozen=True)
class Attempt:
    started: float
    ended: float
    error: str | None


def test_searches_go_on_when_a_node_is_killed_and_health_says_so(seeded: Seeded,
                                                                 solr_cluster: SolrCluster) -> None:
    assert solr.cluster_health(seeded.client, TWO_SHARDS) == solr.ClusterHealth("green", 3, 2, 4, 4)
    client = solr.SolrClient(solr_cluster.urls, timeout=10)  # prefers node 1, the one to be killed
    attempts: list[Attempt] = []
    done = threading.Event()
    questions = eval_questions()

    def loop() -> None:
        i = 0
        while not done.is_set() and len(attempts) < 5000:
            started = time.monotonic()
            try:
                hits = solr.search(client, TWO_SHARDS, questions[i % len(questions)], 5).hits
                error = None if hits else "no hits"
            except SearchBackendError as exc:
                error = str(exc)
            attempts.append(Attempt(started, time.monotonic(), error))
            i += 1

    searcher = threading.Thread(target=loop, daemon=True)
    searcher.start()
    try:
        time.sleep(1.5)
        kill_started = time.monotonic()
        solr_cluster.kill_node(1)
        kill_ended = time.monotonic()
        time.sleep(3)
    finally:
        done.set()
        searcher.join(timeout=30)
    before = [a for a in attempts if a.ended < kill_started]
    after = [a for a in attempts if a.started > kill_ended]
    failed = [a for a in attempts if a.error]
    print("node-loss", json.dumps({"before": len(before), "during": len(attempts) - len(before) - len(after),
                                   "after": len(after), "failed": len(failed)}))
    assert len(before) >= 10 and len(after) >= 10
    assert not [a.error for a in after if a.error], "a search started after the kill failed"
    assert all(a.started <= kill_ended and a.ended >= kill_started for a in failed), "only in-flight ones may fail"

    health = solr.cluster_health(seeded.client, TWO_SHARDS)
    assert (health.status, health.live_nodes) == ("yellow", 2) and 2 <= health.active_replicas < 4
    solr_cluster.start_node(1)
    assert wait_for(lambda: solr.cluster_health(seeded.client, TWO_SHARDS).status == "green", 90)


def test_bench_solr_reports_both_backends_and_every_node(solr_cluster: SolrCluster) -> None:
    done = subprocess.run([sys.executable, "-m", "bench.solr", "--passages", "400", "--queries", "20", "--url",
                           ",".join(solr_cluster.urls), "--json"],
                          capture_output=True, text=True, cwd=ROOT, timeout=600, check=True)
    report = json.loads(done.stdout)
    assert report["passages"] == 400 and report["documents"] == 40 and report["queries"] == 20
    assert sum(n["passages"] for n in report["per_node"].values()) == 2 * 400  # two replicas of each passage
    assert len(report["per_node"]) == 3 and all(n["index_mb"] > 0 for n in report["per_node"].values())
    for backend in ("local", "solr"):
        assert 0 < report[backend]["p50_ms"] <= report[backend]["p95_ms"] <= report[backend]["p99_ms"]
    assert report["top1_agreement_200"] >= 0.8


def test_health_of_a_missing_collection_is_red(seeded: Seeded) -> None:
    assert solr.cluster_health(seeded.client, "no-such-collection").status == "red"


def test_configset_dir_is_the_packaged_one() -> None:
    assert CONFIGSET.resolve() == (Path(solr.__file__).parent.parent / "data" / "solr-configset" / "conf").resolve()
