"""The Solr backend against a real 3-node SolrCloud on loopback: the configset, ``qa-api index`` (a fresh
collection behind an alias, crash safe), the backend's pool, reads, term scores and IDF against the local
backend, corpus-wide statistics across shards, k1 and b, writing one document, and how far Lucene's BM25 ranks
like ours."""

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
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any, ClassVar

import numpy as np
import pytest

from qa_api.corpus import Corpus, load_corpus, split_document
from qa_api.errors import IndexUnavailableError, SearchBackendError, UnknownPassageError, UnknownSourceError
from qa_api.retrieval.analysis import Analyzer, normalize, stopwords
from qa_api.retrieval.bm25 import BM25Params
from qa_api.retrieval.encoder import shared_encoder
from qa_api.retrieval.local import LocalBackend
from qa_api.retrieval.solr import SolrBackend, SolrClient, admin, indexing, queries, records
from qa_api.service import QAService
from qa_api.settings import Settings
from tests.conftest import EXAMPLE_QUESTION, ROOT, SEEDS
from tests.solr_cluster import SolrCluster

pytestmark = [pytest.mark.solr, pytest.mark.timeout(1800)]

CONFIGSET = ROOT / "solr" / "configsets" / "qa-api" / "conf"
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


def term_counts(text: str) -> dict[str, float]:
    """A keyword query as ``/v1/search`` makes it: each term weighted by its count."""
    terms = Analyzer().terms(text)
    return {t: float(terms.count(t)) for t in terms}


@pytest.fixture(scope="module")
def client(solr_cluster: SolrCluster) -> SolrClient:
    return SolrClient(solr_cluster.urls, timeout=120)


@pytest.fixture(scope="module")
def corpus() -> Corpus:
    return load_corpus(SEEDS)


def build(client: SolrClient, alias: str, corpus: Corpus, *, shards: int = 1, params: BM25Params | None = None,
          vectors: bool = False) -> indexing.Built:
    return indexing.build_collection(client, alias, corpus, params=params or BM25Params(), shards=shards,
                                     replication_factor=1, analyzer=Analyzer(),
                                     encoder=shared_encoder() if vectors else None)


def drop(client: SolrClient, alias: str) -> None:
    """The alias and every collection built for it."""
    admin.delete_alias(client, alias)
    for name in admin.list_collections(client):
        if name.startswith(f"{alias}_"):
            admin.delete_collection(client, name)


@pytest.fixture(scope="module")
def one_shard(client: SolrClient, corpus: Corpus) -> Iterator[str]:
    """The seed corpus in a single shard, to compare with the 2 x 2 ``seeds``."""
    build(client, "seeds-one", corpus)
    yield "seeds-one"
    drop(client, "seeds-one")


# --- without a cluster ------------------------------------------------------------------------------------------


def test_configset_stopwords_are_ours_after_our_normalisation() -> None:
    lines = (CONFIGSET / "stopwords.txt").read_text(encoding="utf-8").splitlines()
    assert {w for w in lines if w and not w.startswith("#")} == stopwords()


def test_uploaded_configset_carries_k1_and_b_from_the_settings() -> None:
    archive = zipfile.ZipFile(io.BytesIO(admin.configset_zip(BM25Params(k1=0.9, b=0.4))))
    assert sorted(archive.namelist()) == sorted(admin.CONFIGSET_FILES)
    schema = archive.read("schema.xml").decode()
    assert '<float name="k1">0.9</float>' in schema and '<float name="b">0.4</float>' in schema
    assert archive.read("stopwords.txt") == (CONFIGSET / "stopwords.txt").read_bytes()


def test_configset_dir_is_the_packaged_one() -> None:
    assert CONFIGSET.resolve() == (Path(records.__file__).parents[2] / "data" / "solr-configset" / "conf").resolve()


def test_terms_go_to_solr_pre_analyzed_with_its_escapes() -> None:
    assert records.pre_analyzed(["korea", "9'er", "a b", "1,5", "=x", "back\\slash"]) == \
        "1 korea 9'er a\\ b 1\\,5 \\=x back\\\\slash"
    assert records.pre_analyzed([]) == "1 "


def test_sentence_vectors_come_back_from_a_record_as_they_went_in() -> None:
    rng = np.random.default_rng(7)
    vectors = rng.integers(-127, 128, size=(3, 384), dtype=np.int8)
    scales = rng.random(3, dtype=np.float32)
    decoded = records.decode_vectors(records.encode_vectors(vectors, scales), 3)
    np.testing.assert_array_equal(decoded, vectors.astype(np.float32) * scales[:, None])
    with pytest.raises(ValueError, match="for 2 sentences"):
        records.decode_vectors(records.encode_vectors(vectors, scales), 2)


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
        client = SolrClient([dead, f"http://qa:s3cret@127.0.0.1:{port}/busy",
                             f"http://qa:s3cret@127.0.0.1:{port}/solr"], timeout=2)
        assert admin.list_collections(client) == ["x"]
        assert [p.split("?")[0] for p, _ in _Recorder.seen] == ["/busy/admin/collections", "/solr/admin/collections"]
        assert {a for _, a in _Recorder.seen} == {"Basic " + base64.b64encode(b"qa:s3cret").decode()}
        assert all("s3cret" not in url for url in client.urls)
    finally:
        server.shutdown()
        server.server_close()


def test_no_reachable_node_is_a_backend_error() -> None:
    client = SolrClient(["http://127.0.0.1:9/solr"], timeout=2)
    with pytest.raises(SearchBackendError, match="no Solr node answered"):
        admin.list_collections(client)


# --- the cluster and the configset ---------------------------------------------------------------------------


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


def solr_stages(client: SolrClient, collection: str, text: str) -> tuple[list[str], list[str]]:
    """The terms of ``text`` from the configset's query analyzer: before stemming, and after."""
    body = client.request("POST", f"/{collection}/analysis/field",
                          {"analysis.fieldtype": "terms_qa", "analysis.query": text})
    stages = body["analysis"]["field_types"]["terms_qa"]["query"]
    # stages alternate: a tokenizer's or filter's class name, then the tokens it gave
    return [token["text"] for token in stages[-3]], [token["text"] for token in stages[-1]]


def test_the_query_analyzer_for_hand_written_queries_gives_our_terms_but_for_a_few_stems(
        client: SolrClient, one_shard: str, corpus: Corpus) -> None:
    """Every step but stemming matches exactly; Lucene's Snowball English is an older release than PyStemmer's,
    and the words it stems otherwise are the ones docs/solr.md lists. (qa-api itself sends its own terms.)"""
    analyzer = Analyzer()
    texts = [TRICKY_TEXT, *(p.text for p in corpus.passages()), *eval_questions()]
    stemmed_otherwise: dict[str, tuple[str, str]] = {}
    words = set()
    for text in texts:
        folded, stems = solr_stages(client, one_shard, text)
        tokens = analyzer.tokens(text)
        assert folded == [normalize(text[t.start:t.end]) for t in tokens], text
        for word, ours, theirs in zip(folded, (t.term for t in tokens), stems, strict=True):
            words.add(word)
            if ours != theirs:
                stemmed_otherwise[word] = (ours, theirs)
    print("stemmed-otherwise", len(stemmed_otherwise), "of", len(words), json.dumps(stemmed_otherwise))
    assert set(stemmed_otherwise) <= STEMMED_OTHERWISE
    assert len(stemmed_otherwise) <= 0.01 * len(words)


# --- qa-api index: the alias, the records --------------------------------------------------------------------


def test_qa_api_index_builds_a_collection_behind_the_alias(solr_settings: Settings, client: SolrClient,
                                                           corpus: Corpus) -> None:
    (collection,) = admin.aliases(client)["seeds"]
    assert collection.startswith("seeds_")
    assert queries.counts(client, "seeds") == {"document": 5, "passage": 59, "meta": 1}
    meta = queries.read_meta(client, "seeds")
    assert meta["checksum"] == corpus.checksum and meta["bm25"] == {"k1": 1.5, "b": 0.75, "epsilon": 0.25}
    assert meta["vectors"] is not None and meta["terms"] == 624
    assert admin.cluster_health(client, "seeds") == admin.ClusterHealth("green", 3, 2, 4, 4)


def test_indexed_passages_and_documents_are_the_local_ones(solr_service: QAService, service: QAService) -> None:
    solr, local = solr_service.backend, service.backend
    assert isinstance(solr, SolrBackend) and isinstance(local, LocalBackend)
    assert solr.documents() == local.documents()
    for entry in local.documents():
        assert solr.document(entry.source) == local.document(entry.source)
    segments = local.current()
    for passage in (p for entry in local.documents() for p in local.document(entry.source)[2]):
        ours = local.read((segments, *segments.passage_key(passage.id)))
        assert solr.passage(ours.passage.id) == ours.passage == passage
        theirs = solr.read(ours.passage.id)
        assert (theirs.passage, theirs.sentences) == (ours.passage, ours.sentences)
        assert ours.vectors is not None and theirs.vectors is not None
        np.testing.assert_array_equal(theirs.vectors, ours.vectors)  # the same int8 values and scales
    ours_stats, theirs_stats = local.stats(), solr.stats()
    assert (theirs_stats.backend, theirs_stats.health) == ("solr", "green")
    assert (theirs_stats.documents, theirs_stats.passages, theirs_stats.terms) == \
        (ours_stats.documents, ours_stats.passages, ours_stats.terms)


def test_missing_passages_and_documents_are_not_found(solr_service: QAService, corpus: Corpus) -> None:
    backend = solr_service.backend
    for passage_id in ("nope-p1", "001_5fe9c23b30af33fc-p999", records.document_id(corpus.documents[0].source),
                       records.META_ID, "001_5fe9c23b30af33fc-p1,001_5fe9c23b30af33fc-p2"):
        with pytest.raises(UnknownPassageError):
            backend.passage(passage_id)
    with pytest.raises(UnknownSourceError):
        backend.document("nope.txt")


# --- the backend: pool, term scores, IDF ------------------------------------------------------------------------


def test_pool_ranks_by_bm25_and_each_terms_share_sums_to_the_score(solr_service: QAService,
                                                                  solr_settings: Settings) -> None:
    backend = solr_service.backend
    query = solr_service.read(EXAMPLE_QUESTION).query
    pool = backend.pool(query, 30)
    assert pool.keys[0] == "001_5fe9c23b30af33fc-p4" and pool.total > len(pool.keys) == 30
    assert list(pool.scores) == sorted(pool.scores, reverse=True)
    fresh = SolrBackend.connect(solr_settings.solr_urls, "seeds", timeout=30, params=BM25Params())
    for key, score in zip(pool.keys, pool.scores, strict=True):
        shares = backend.term_scores(query, key)
        assert [t for t, _ in shares] == list(query)
        assert sum(s for _, s in shares) == pytest.approx(score, rel=1e-5)
        # asked of a backend that never pooled this query: one request for the passage alone, same figures
        again = fresh.term_scores(query, key)
        assert [t for t, _ in again] == [t for t, _ in shares]
        assert [s for _, s in again] == pytest.approx([s for _, s in shares], rel=1e-6)


def test_idf_is_rank_bm25s_from_solrs_document_frequencies(solr_service: QAService, service: QAService,
                                                          solr_settings: Settings) -> None:
    terms = [*sorted({t for q in eval_questions() for t in Analyzer().terms(q)}), "zzzunseen"]
    fresh = SolrBackend.connect(solr_settings.solr_urls, "seeds", timeout=30, params=BM25Params())
    solr_service.backend.pool(dict.fromkeys(terms, 1.0), 1)  # document frequencies come with a pool too
    for term in terms:
        assert fresh.idf(term) == pytest.approx(service.backend.idf(term), rel=1e-12), term
        assert solr_service.backend.idf(term) == pytest.approx(service.backend.idf(term), rel=1e-12), term


def test_sources_filter_the_pool_and_ties_keep_corpus_order(solr_service: QAService, service: QAService,
                                                            corpus: Corpus) -> None:
    backend = solr_service.backend
    order = {p.id: i for i, p in enumerate(corpus.passages())}
    query = term_counts("korea russia")
    pool = backend.pool(query, 100)
    assert pool.total == service.backend.pool(query, 100).total == len(pool.keys)
    ties = [(a, b) for (a, sa), (b, sb) in itertools.pairwise(zip(pool.keys, pool.scores, strict=True)) if sa == sb]
    assert ties and all(order[str(a)] < order[str(b)] for a, b in ties)
    source = corpus.documents[1].source
    only = backend.pool(query, 100, [source])
    assert only.keys and {backend.read(k).passage.source for k in only.keys} == {source}
    assert only.total == sum(1 for k in pool.keys if backend.read(k).passage.source == source)
    assert backend.pool(term_counts("the and of"), 5).total == 0


def test_a_query_of_more_terms_than_solr_takes_keeps_the_heaviest(solr_service: QAService) -> None:
    backend = solr_service.backend
    crowded = {"korea": 2.0, **{f"zz{i}": 0.5 for i in range(queries.MAX_TERMS + 500)}}
    pool = backend.pool(crowded, 5)
    alone = backend.pool({"korea": 2.0}, 5)
    assert (pool.keys, pool.total) == (alone.keys, alone.total)
    assert pool.scores == pytest.approx(alone.scores, rel=1e-6)


def scores_by_id(client: SolrClient, collection: str, question: str, *extra: tuple[str, str]) -> dict[str, float]:
    terms = list(term_counts(question).items())
    params = [*queries.scoring_params(terms), ("rows", 1000), ("fl", "id,score"), *extra]
    docs = client.request("POST", f"/{collection}/select", params)["response"]["docs"] if terms else []
    return {d["id"]: float(d["score"]) for d in docs}


def test_a_passage_scores_the_same_whichever_shard_holds_it(client: SolrClient, one_shard: str) -> None:
    (two_shards,) = admin.aliases(client)["seeds"]
    shard_of = {d["id"]: d["[shard]"] for d in client.request("POST", f"/{two_shards}/select", {
        "q": "kind:passage", "rows": 1000, "fl": "id,[shard]"})["response"]["docs"]}
    assert len(set(shard_of.values())) == 2  # the passages really are split
    questions = eval_questions()[:120]
    alone_differs = 0
    for question in questions:
        one = scores_by_id(client, one_shard, question)
        two = scores_by_id(client, two_shards, question)
        assert one.keys() == two.keys(), question
        for pid, score in one.items():
            assert two[pid] == pytest.approx(score, rel=1e-6), (question, pid)
        # Searched on its own, shard 1 scores with its own statistics: the global ones are what keep them equal.
        alone = scores_by_id(client, two_shards, question, ("shards", "shard1"))
        alone_differs += any(abs(alone[p] - two[p]) > 1e-4 * two[p] for p in alone)
    assert alone_differs > len(questions) // 2


def explained_parameters(client: SolrClient, collection: str) -> dict[str, float]:
    body = client.request("POST", f"/{collection}/select", [
        *queries.scoring_params([("korea", 1.0)]), ("rows", 1), ("fl", "id"), ("debug", "results"),
        ("debug.explain.structured", "true")])
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


def test_k1_and_b_from_the_settings_are_what_solr_scores_with(client: SolrClient, one_shard: str,
                                                             corpus: Corpus) -> None:
    build(client, "seeds-tuned", corpus, params=BM25Params(k1=1.2, b=0.5))
    try:
        assert explained_parameters(client, one_shard) == pytest.approx({"k1": 1.5, "b": 0.75})
        assert explained_parameters(client, "seeds-tuned") == pytest.approx({"k1": 1.2, "b": 0.5})
        default, tuned = (scores_by_id(client, c, "korea") for c in (one_shard, "seeds-tuned"))
        assert default.keys() == tuned.keys() and any(abs(default[p] - tuned[p]) > 1e-3 for p in default)
    finally:
        drop(client, "seeds-tuned")


def spearman(a: list[float], b: list[float]) -> float:
    ra, rb = (np.argsort(np.argsort(-np.asarray(x), kind="stable"), kind="stable") for x in (a, b))
    if len(a) < 2:
        return 1.0
    return float(np.corrcoef(ra, rb)[0, 1])


def test_lucene_bm25_ranks_the_eval_questions_close_to_ours(solr_service: QAService, service: QAService) -> None:
    """Lucene's BM25 (IDF log(1 + (N - n + 0.5) / (n + 0.5)), lengths stored in one lossy byte) against ours
    (rank-bm25's, IDF floored by epsilon), over every passage each eval question matches, on the same terms.
    docs/solr.md quotes the figures; the floors sit just under them."""
    local, solr = service.backend, solr_service.backend
    assert isinstance(local, LocalBackend) and isinstance(solr, SolrBackend)
    top1 = top5 = 0.0
    rhos = []
    questions = [q for q in eval_questions() if local.pool(term_counts(q), 1).total]
    for question in questions:
        query = term_counts(question)
        pool = local.pool(query, local.index.n_passages)
        ours = {local.read(k).passage.id: s for k, s in zip(pool.keys, pool.scores, strict=True)}
        ranked = queries.search(solr.client, "seeds", query, 1000, fields=("id",))
        theirs = {f.record["id"]: f.score for f in ranked.found}
        assert ours.keys() == theirs.keys(), question
        order_ours = list(ours)  # best first, ties in corpus order, as each backend ranks them
        order_theirs = list(theirs)
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


# --- building again, and failing midway --------------------------------------------------------------------------


def test_a_new_build_replaces_the_served_one_and_a_failed_build_leaves_it_serving(
        client: SolrClient, corpus: Corpus, monkeypatch: pytest.MonkeyPatch) -> None:
    smaller = Corpus(corpus.documents[:2], "two-documents")
    try:
        first = build(client, "rebuilt", corpus)
        second = build(client, "rebuilt", smaller)
        assert (second.replaced, admin.aliases(client)["rebuilt"]) == (first.collection, [second.collection])
        assert queries.counts(client, "rebuilt")["document"] == 2

        monkeypatch.setattr(indexing, "BATCH", 10)
        sent = []

        def fail_on_the_third(client: SolrClient, collection: str, batch: list[dict[str, Any]]) -> dict[str, Any]:
            sent.append(collection)
            if len(sent) == 3:
                raise SearchBackendError("no Solr node answered (the network failed mid-push)")
            return client.request("POST", f"/{collection}/update", body=json.dumps(batch).encode())

        monkeypatch.setattr(indexing, "_update", fail_on_the_third)
        with pytest.raises(SearchBackendError, match="mid-push"):
            build(client, "rebuilt", corpus)
        assert admin.aliases(client)["rebuilt"] == [second.collection]  # still serving the last good build
        serving = SolrBackend(client, "rebuilt")
        assert [d.source for d in serving.documents()] == [d.source for d in smaller.documents]
        assert serving.pool(term_counts("korea"), 3).keys
        left = set(admin.list_collections(client)) - {first.collection, second.collection}
        assert any(name.startswith("rebuilt_") for name in left)  # the failed build's collection, half pushed

        monkeypatch.undo()
        third = build(client, "rebuilt", corpus)
        assert admin.aliases(client)["rebuilt"] == [third.collection]
        builds = {n for n in admin.list_collections(client) if n.startswith("rebuilt_")}
        assert builds == {second.collection, third.collection}  # the one replaced is kept; older and failed go
    finally:
        drop(client, "rebuilt")


def test_an_alias_name_taken_by_a_collection_is_refused(client: SolrClient, corpus: Corpus) -> None:
    admin.create_collection(client, "plain", shards=1, replication_factor=1, params=BM25Params())
    try:
        with pytest.raises(IndexUnavailableError, match="is a collection, not an alias"):
            build(client, "plain", corpus)
    finally:
        admin.delete_collection(client, "plain")


def test_a_missing_or_differently_indexed_collection_is_refused(solr_settings: Settings) -> None:
    urls = solr_settings.solr_urls
    with pytest.raises(IndexUnavailableError, match="no collection or alias nothing-here"):
        SolrBackend.connect(urls, "nothing-here", timeout=30, params=BM25Params())
    with pytest.raises(IndexUnavailableError, match="another BM25 k1, b or epsilon"):
        SolrBackend.connect(urls, "seeds", timeout=30, params=BM25Params(k1=1.2))
    unreachable = SolrBackend.connect(["http://127.0.0.1:9/solr"], "seeds", timeout=2, params=BM25Params())
    with pytest.raises(SearchBackendError):  # built anyway: it serves once the cluster answers
        unreachable.stats()


def test_health_of_a_missing_collection_is_red(client: SolrClient) -> None:
    assert admin.cluster_health(client, "no-such-collection").status == "red"
    assert SolrBackend(client, "no-such-collection").stats().health == "red"


# --- writing one document --------------------------------------------------------------------------------------


def test_a_document_put_or_deleted_is_searchable_as_such_once_acknowledged(client: SolrClient,
                                                                         corpus: Corpus) -> None:
    build(client, "writes", corpus, vectors=True)
    try:
        encoder = shared_encoder()
        backend = SolrBackend(client, "writes", encoder=encoder)
        backend.check()
        text = (f"The zyzzogeton season began early this year, as it always does.\n\n{TRICKY_TEXT}. The zyzzogeton "
                f"came back.\n\nA third paragraph follows here.")
        assert backend.put_document(split_document("new.txt", text)) is True  # created
        entry = backend.document("new.txt")[0]
        assert (entry.source, entry.passage_count) == ("new.txt", 3)
        found = backend.pool(term_counts("zyzzogeton"), 5)
        assert found.keys == ("new-p1", "new-p2") and found.total == 2
        assert [d.source for d in backend.documents()][-1] == "new.txt"  # after the corpus's documents
        for term in Analyzer().terms(TRICKY_TEXT):  # every term as our analyzer made it, escapes and all
            assert backend.pool({term: 1.0}, 1).total >= 1, term
        read = backend.read("new-p2")
        assert read.vectors is not None and read.vectors.shape == (2, 384)
        sentence = read.passage.text[read.sentences[1].start:read.sentences[1].end]
        assert float(read.vectors[1] @ encoder.encode([sentence])[0]) > 0.99

        assert backend.put_document(split_document("new.txt", "Only one zyzzogeton paragraph now.")) is False
        assert backend.pool(term_counts("zyzzogeton"), 5).keys == ("new-p1",)
        assert backend.read("new-p1").passage.text == "Only one zyzzogeton paragraph now."
        with pytest.raises(UnknownPassageError):
            backend.passage("new-p2")
        assert [d.source for d in backend.documents()].index("new.txt") == len(corpus.documents)

        backend.delete_document("new.txt")
        assert backend.pool(term_counts("zyzzogeton"), 5).total == 0
        with pytest.raises(UnknownSourceError):
            backend.document("new.txt")
        with pytest.raises(UnknownSourceError):
            backend.delete_document("new.txt")
        stats = backend.stats()
        assert (stats.documents, stats.passages) == (5, 59)
    finally:
        drop(client, "writes")


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
