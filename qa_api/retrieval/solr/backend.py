"""The Solr backend: the ``Backend`` seam over a SolrCloud collection (through the alias qa-api serves from).

A passage's key is its id. ``pool`` asks Solr once for the best passages with everything ``read`` and
``term_scores`` need (text, sentences, vectors, each term's share of the score) and keeps it, so one ask costs one
search request; the document frequencies of its terms and the passage count come back with it, for ``idf``.
Reads are kept in an LRU by record version, so a passage is analyzed once until it changes.
"""

from __future__ import annotations

import logging
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Hashable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from qa_api.corpus import Document, Passage
from qa_api.errors import IndexUnavailableError, SearchBackendError, UnknownSourceError
from qa_api.retrieval.analysis import Analyzer
from qa_api.retrieval.backend import CorpusStats, DocumentEntry
from qa_api.retrieval.bm25 import BM25Params
from qa_api.retrieval.encoder import Encoder
from qa_api.retrieval.search import Pool, ReadPassage
from qa_api.retrieval.vectors import signature

from . import admin, indexing, queries
from .client import SolrClient
from .records import FORMAT_VERSION, PASSAGE_FIELDS, READ_FIELDS, passage_of, read_of

log = logging.getLogger(__name__)

READ_CACHE = 8192  # passages kept analyzed, as the local backend keeps them
SHARES_CACHE = 4096  # (query, passage) pairs whose per-term scores are kept for ``term_scores``
DOCUMENTS_TTL_S = 5.0  # how long the document list is reused before Solr is asked again
_WHAT = {"format": "record format", "analyzer": "analyzer", "bm25": "BM25 k1, b or epsilon",
         "vectors": "sentence encoder or sentence splitter (or none)"}
K = TypeVar("K", bound=Hashable)
V = TypeVar("V")


class SolrBackend:
    def __init__(self, client: SolrClient, collection: str, analyzer: Analyzer | None = None, *,
                 params: BM25Params | None = None, encoder: Encoder | None = None) -> None:
        self.client = client
        self.collection = collection
        self.analyzer = analyzer or Analyzer()
        self.params = params or BM25Params()
        self.encoder = encoder
        self._meta: dict[str, Any] | None = None
        self._reads: _LRU[str, tuple[int, ReadPassage]] = _LRU(READ_CACHE)
        self._shares: _LRU[tuple[Hashable, str], dict[str, float]] = _LRU(SHARES_CACHE)
        self._frequencies: _LRU[str, int] = _LRU(1 << 16)
        self._passages: int | None = None
        self._documents: tuple[float, list[DocumentEntry]] | None = None

    @classmethod
    def connect(cls, urls: Sequence[str], collection: str, *, timeout: float, params: BM25Params,
                analyzer: Analyzer | None = None, encoder: Encoder | None = None) -> SolrBackend:
        """A backend over ``collection``, checked when the cluster answers (a cluster that does not is tried again
        on every request, and ``/readyz`` says so meanwhile)."""
        backend = cls(SolrClient(urls, timeout=timeout), collection, analyzer, params=params, encoder=encoder)
        try:
            backend.check()
        except SearchBackendError as exc:
            log.warning("Solr is not answering; serving once it does: %s", exc)
        return backend

    def check(self) -> dict[str, Any]:
        """What ``qa-api index`` recorded, once it is known to suit this analyzer, BM25 and encoder;
        ``IndexUnavailableError`` (run ``qa-api index``) when it does not."""
        if self.collection not in admin.aliases(self.client) and \
                self.collection not in admin.list_collections(self.client):
            raise IndexUnavailableError(f"SolrCloud has no collection or alias {self.collection}: run "
                                        f"`qa-api index` with QA_API_BACKEND=solr")
        try:
            meta = queries.read_meta(self.client, self.collection)
        except SearchBackendError as exc:
            raise IndexUnavailableError(f"{exc}; run `qa-api index` with QA_API_BACKEND=solr") from exc
        expected = {"format": FORMAT_VERSION, "analyzer": self.analyzer.signature,
                    "bm25": self.params.as_dict()}
        if self.encoder is not None:
            expected["vectors"] = signature(self.encoder)
        stale = [_WHAT[name] for name, value in expected.items() if meta.get(name) != value]
        if stale:
            raise IndexUnavailableError(f"Solr collection {self.collection} was indexed with another "
                                        f"{' and '.join(stale)}: run `qa-api index` with QA_API_BACKEND=solr")
        self._meta = meta
        return meta

    @property
    def has_vectors(self) -> bool:
        return self.encoder is not None and (self._meta is None or self._meta.get("vectors") is not None)

    def pool(self, query: Mapping[str, float], k: int, sources: Sequence[str] = ()) -> Pool:
        ranked = queries.search(self.client, self.collection, query, k, sources, fields=self._fields())
        fingerprint = _fingerprint(query)
        for found in ranked.found:
            self._remember(found.record)
            self._shares.put((fingerprint, found.record["id"]), found.terms)
        for term, frequency in ranked.document_frequencies.items():
            self._frequencies.put(term, frequency)
        if ranked.found or ranked.document_frequencies:
            self._passages = ranked.passages
        return Pool(tuple(f.record["id"] for f in ranked.found), tuple(f.score for f in ranked.found), ranked.total)

    def read(self, key: Hashable) -> ReadPassage:
        cached = self._reads.get(_id(key))
        if cached is not None:
            return cached[1]
        return self._remember(queries.get_records(self.client, self.collection, [_id(key)], self._fields())[0])

    def term_scores(self, query: Mapping[str, float], key: Hashable) -> tuple[tuple[str, float], ...]:
        shares = self._shares.get((_fingerprint(query), _id(key)))
        if shares is None:  # not from a pool of this query: ask for this passage alone
            found = queries.search(self.client, self.collection, query, 1, only=[_id(key)], fields=("id",)).found
            shares = found[0].terms if found else {}
        return tuple((term, weight * shares.get(term, 0.0)) for term, weight in query.items())

    def idf(self, term: str) -> float:
        """rank-bm25's IDF from Solr's corpus-wide document frequency, floored as the local index floors it."""
        frequency = self._frequencies.get(term)
        if frequency is None:
            frequency = queries.document_frequencies(self.client, self.collection, [term])[term]
            self._frequencies.put(term, frequency)
        n = self._passage_count()
        if frequency == 0:
            return math.log((n + 0.5) / 0.5)
        idf = math.log(n - frequency + 0.5) - math.log(frequency + 0.5)
        return max(idf if idf >= 0 else float((self._meta or {}).get("idf_floor", 0.0)), 0.1)

    def has_document(self, source: str) -> bool:
        return queries.document_record(self.client, self.collection, source) is not None

    def documents(self) -> list[DocumentEntry]:
        cached = self._documents
        if cached is not None and time.monotonic() - cached[0] < DOCUMENTS_TTL_S:
            return cached[1]
        documents = [_entry(d) for d in queries.list_documents(self.client, self.collection)]
        self._documents = (time.monotonic(), documents)
        return documents

    def document(self, source: str) -> tuple[DocumentEntry, str, list[Passage]]:
        record, passages = queries.get_document(self.client, self.collection, source)
        return _entry(record), record["document_text"], [passage_of(p) for p in passages]

    def passage(self, passage_id: str) -> Passage:
        return passage_of(queries.get_records(self.client, self.collection, [passage_id], PASSAGE_FIELDS)[0])

    def stats(self) -> CorpusStats:
        health = admin.cluster_health(self.client, self.collection)
        if health.status == "red":  # a shard has no replica to ask: counting would fail
            meta = self._meta or {}
            return CorpusStats(backend="solr", documents=0, passages=0, terms=0, built_at=meta.get("built_at", ""),
                               build_seconds=0.0, index_format=FORMAT_VERSION, health="red")
        meta = self._meta or self.check()
        held = queries.counts(self.client, self.collection)
        return CorpusStats(backend="solr", documents=held.get("document", 0), passages=held.get("passage", 0),
                           terms=int(meta["terms"]), built_at=meta["built_at"],
                           build_seconds=float(meta["build_seconds"]), index_format=int(meta["format"]),
                           skipped_files=list(meta.get("skipped", [])), health=health.status)

    # --- writes: one document at a time, acknowledged once committed -------------------------------------------

    def put_document(self, document: Document, data: bytes = b"", kind: str = "") -> bool:
        """Add ``document``, or replace the one with its source (keeping its place in the corpus order); whether
        it was added. The collection keeps the passages, not the file's bytes."""
        previous = queries.document_record(self.client, self.collection, document.source)
        seq = int(previous["doc_seq"]) if previous else queries.last_doc_seq(self.client, self.collection) + 1
        encoder = self.encoder if self.has_vectors else None
        indexing.write_document(self.client, self.collection, document, seq, self.analyzer, encoder)
        self._forget(document.source)
        return previous is None

    def put_documents(self, written: Sequence[tuple[Document, bytes, str]]) -> list[bool]:
        """Each document in turn, each committed before the next (a collection has no transaction across
        documents)."""
        return [self.put_document(document) for document, _, _ in written]

    def delete_document(self, source: str) -> None:
        """Remove the document with this source and its passages; ``UnknownSourceError`` when there is none."""
        if queries.document_record(self.client, self.collection, source) is None:
            raise UnknownSourceError(source)
        indexing.remove_document(self.client, self.collection, source)
        self._forget(source)

    def _forget(self, source: str) -> None:
        """What this process keeps that a write to ``source`` makes stale."""
        self._reads.drop(lambda _, value: value[1].passage.source == source)
        self._frequencies.drop(lambda _, __: True)
        self._passages = None
        self._documents = None

    # --- helpers ---------------------------------------------------------------------------------------------

    def _fields(self) -> tuple[str, ...]:
        return READ_FIELDS if self.has_vectors else tuple(f for f in READ_FIELDS if f != "vectors")

    def _remember(self, record: dict[str, Any]) -> ReadPassage:
        version = int(record.get("_version_", 0))
        cached = self._reads.get(record["id"])
        if cached is not None and cached[0] == version:
            return cached[1]
        read = read_of(record, self.analyzer)
        self._reads.put(record["id"], (version, read))
        return read

    def _passage_count(self) -> int:
        if self._passages is None:
            self._passages = queries.counts(self.client, self.collection).get("passage", 0)
        return self._passages


class _LRU(Generic[K, V]):
    """A bounded map, least recently used out first, safe across threads."""

    def __init__(self, size: int) -> None:
        self._items: OrderedDict[K, V] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: K) -> V | None:
        with self._lock:
            value = self._items.get(key)
            if value is not None:
                self._items.move_to_end(key)
            return value

    def put(self, key: K, value: V) -> None:
        with self._lock:
            self._items[key] = value
            self._items.move_to_end(key)
            while len(self._items) > self._size:
                self._items.popitem(last=False)

    def drop(self, which: Callable[[K, V], bool]) -> None:
        with self._lock:
            for key in [k for k, v in self._items.items() if which(k, v)]:
                del self._items[key]


def _fingerprint(query: Mapping[str, float]) -> Hashable:
    return tuple(query.items())


def _entry(record: dict[str, Any]) -> DocumentEntry:
    return DocumentEntry(record["source"], record.get("title"), int(record.get("passage_count", 0)),
                         int(record.get("characters", 0)))


def _id(key: Hashable) -> str:
    assert isinstance(key, str), key  # keys come from this backend's own pools
    return key
