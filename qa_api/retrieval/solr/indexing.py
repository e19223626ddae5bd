"""Writing a corpus into Solr: ``qa-api index`` builds a fresh collection and then points the alias at it.

A build goes into a new collection ``<alias>_<UTC time>``, is committed and counted, and only then does the
alias (the name qa-api serves from) switch to it, in one ZooKeeper update. A build that dies midway leaves the
alias on the previous collection, still serving; the next build deletes what it left. The collection the
alias named before is kept until the build after, so requests under way at the switch finish on it.

One document can also be written or removed in place (``write_document``, ``remove_document``): acknowledged once
Solr has committed it.
"""

from __future__ import annotations

import json
import logging
import math
import re
import time
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any

from qa_api.corpus import Corpus, Document, Passage
from qa_api.corpus.sentences import sentence_spans
from qa_api.errors import IndexUnavailableError, SearchBackendError
from qa_api.retrieval.analysis import Analyzer
from qa_api.retrieval.bm25 import BM25Params
from qa_api.retrieval.encoder import Encoder
from qa_api.retrieval.progress import Progress
from qa_api.retrieval.vectors import embed_passages, signature

from . import admin, queries
from .client import SolrClient
from .records import FORMAT_VERSION, document_record, meta_record, passage_record

log = logging.getLogger(__name__)

BATCH = 500  # passages embedded and sent per update request
IN_FLIGHT = 2  # update requests under way while the next batch is embedded


@dataclass(frozen=True, slots=True)
class Built:
    collection: str
    documents: int
    passages: int
    terms: int
    seconds: float
    replaced: str | None  # the collection the alias named before


def build_collection(client: SolrClient, alias: str, corpus: Corpus, *, params: BM25Params, shards: int,
                     replication_factor: int, analyzer: Analyzer, encoder: Encoder | None,
                     progress: Progress | None = None) -> Built:
    """Index ``corpus`` into a fresh collection, check it, and point ``alias`` at it."""
    started = time.perf_counter()
    if alias in admin.list_collections(client):
        raise IndexUnavailableError(f"{alias} is a collection, not an alias: qa-api serves from an alias that it "
                                    f"points at the collections it builds; delete that collection or choose "
                                    f"another QA_API_SOLR_COLLECTION")
    replaced = admin.aliases(client).get(alias, [None])[0]
    collection = f"{alias}_{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}_{time.monotonic_ns() % 1000:03d}"
    admin.create_collection(client, collection, shards=shards, replication_factor=replication_factor,
                            params=params)
    stats = _Stats()
    passages = sum(len(d.passages) for d in corpus.documents)
    records = _records(corpus.documents, 0, analyzer, encoder, stats, progress, passages)
    _send(client, collection, records, commit=False)
    meta = {"format": FORMAT_VERSION, "checksum": corpus.checksum, "documents": len(corpus.documents),
            "passages": passages, "terms": len(stats.document_frequency), "idf_floor": stats.idf_floor(params),
            "skipped": list(corpus.skipped), "skip_reasons": list(corpus.skip_reasons),
            "bm25": params.as_dict(), "analyzer": analyzer.signature,
            "vectors": signature(encoder) if encoder else None,
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "build_seconds": round(time.perf_counter() - started, 3)}
    _send(client, collection, iter([meta_record(meta)]), commit=True)
    held = queries.counts(client, collection)
    if (held.get("passage", 0), held.get("document", 0)) != (passages, len(corpus.documents)):
        raise IndexUnavailableError(f"collection {collection} holds {held} after the push, not {passages} passages "
                                    f"and {len(corpus.documents)} documents; {alias} still names {replaced}")
    admin.point_alias(client, alias, collection)
    _delete_old_builds(client, alias, keep={collection, replaced})
    return Built(collection, len(corpus.documents), passages, len(stats.document_frequency),
                 time.perf_counter() - started, replaced)


def write_document(client: SolrClient, collection: str, document: Document, doc_seq: int, analyzer: Analyzer,
                   encoder: Encoder | None) -> None:
    """Replace the document's records (all its passages) by these, and commit."""
    records = _records([document], doc_seq, analyzer, encoder, _Stats(), None, len(document.passages))
    commands = [{"delete": {"query": f'source:"{queries.phrase(document.source)}"'}},
                *({"add": {"doc": r}} for r in records), {"commit": {"waitSearcher": True}}]
    # One request, so that Solr applies the delete and the adds in order and commits them together.
    body = "{" + ",".join(json.dumps(c)[1:-1] for c in commands) + "}"
    client.request("POST", f"/{collection}/update", body=body.encode())


def remove_document(client: SolrClient, collection: str, source: str) -> None:
    """Delete the document's records, and commit."""
    query = f'source:"{queries.phrase(source)}"'  # its passages and its document record
    client.request("POST", f"/{collection}/update", {"commit": "true", "waitSearcher": "true"},
                   body=json.dumps({"delete": {"query": query}}).encode())


class _Stats:
    """Document frequencies of our terms, for the meta record (term count, and rank-bm25's IDF floor)."""

    def __init__(self) -> None:
        self.document_frequency: Counter[str] = Counter()
        self.passages = 0

    def add(self, terms: Sequence[str]) -> None:
        self.document_frequency.update(set(terms))
        self.passages += 1

    def idf_floor(self, params: BM25Params) -> float:
        """``epsilon`` x the mean IDF over every term: rank-bm25's stand-in for a negative IDF."""
        n = self.passages
        if not self.document_frequency:
            return 0.0
        total = sum(math.log(n - df + 0.5) - math.log(df + 0.5) for df in self.document_frequency.values())
        return params.epsilon * total / len(self.document_frequency)


def _records(documents: Iterable[Document], first_seq: int, analyzer: Analyzer, encoder: Encoder | None,
             stats: _Stats, progress: Progress | None, total: int) -> Iterator[dict[str, Any]]:
    """Every document's record and its passages', a batch of passages embedded at a time."""
    seq_of: dict[str, int] = {}
    docs = {}
    for seq, doc in enumerate(documents, start=first_seq):
        seq_of[doc.source], docs[doc.source] = seq, doc
        yield document_record(doc, seq)

    def passages() -> Iterator[Passage]:
        for doc in docs.values():
            yield from doc.passages

    batch: list[Passage] = []
    for passage in progress(passages(), total, "indexing") if progress else passages():
        batch.append(passage)
        if len(batch) == BATCH:
            yield from _passage_records(batch, seq_of, analyzer, encoder, stats)
            batch = []
    yield from _passage_records(batch, seq_of, analyzer, encoder, stats)


def _passage_records(batch: Sequence[Passage], seq_of: dict[str, int], analyzer: Analyzer, encoder: Encoder | None,
                     stats: _Stats) -> Iterator[dict[str, Any]]:
    if not batch:
        return
    vectors = embed_passages([p.text for p in batch], encoder) if encoder else None
    for i, p in enumerate(batch):
        terms = analyzer.terms(p.text)
        stats.add(terms)
        spans = sentence_spans(p.text) or [(0, len(p.text))]  # as embed_passages splits it
        own = None
        if vectors is not None:
            rows = vectors.row_of[int(vectors.ptr[i]):int(vectors.ptr[i + 1])]
            own = (vectors.vectors[rows], vectors.scales[rows])
        yield passage_record(p, seq_of[p.source], terms, spans, own)


def _send(client: SolrClient, collection: str, records: Iterator[dict[str, Any]], *, commit: bool) -> None:
    """Send records in batches, ``IN_FLIGHT`` requests at a time, then commit if asked."""
    with ThreadPoolExecutor(max_workers=IN_FLIGHT, thread_name_prefix="solr-push") as pool:
        pending: list[Future[dict[str, Any]]] = []
        batch: list[dict[str, Any]] = []
        for record in records:
            batch.append(record)
            if len(batch) == BATCH:
                pending.append(pool.submit(_update, client, collection, batch))
                batch = []
                while len(pending) > IN_FLIGHT:
                    pending.pop(0).result()
        if batch:
            pending.append(pool.submit(_update, client, collection, batch))
        for future in pending:
            future.result()
    if commit:
        client.request("POST", f"/{collection}/update", {"commit": "true", "waitSearcher": "true"}, body=b"[]")


def _update(client: SolrClient, collection: str, records: list[dict[str, Any]]) -> dict[str, Any]:
    return client.request("POST", f"/{collection}/update", body=json.dumps(records).encode())


def _delete_old_builds(client: SolrClient, alias: str, keep: set[str | None]) -> None:
    """Collections of earlier builds of ``alias`` (finished or not), but for those in ``keep``."""
    built = re.compile(rf"{re.escape(alias)}_\d{{8}}T\d{{6}}_\d{{3}}")
    for name in admin.list_collections(client):
        if built.fullmatch(name) and name not in keep:
            try:
                admin.delete_collection(client, name)
            except SearchBackendError as exc:  # another alias may name it: the build stands, the cleanup waits
                log.warning("left collection %s in place: %s", name, exc)
