"""The local backend: the document store and the index derived from it on this machine, memory-mapped, searched
by the exact pruned BM25 top-k.

A write commits to the store and returns; a background thread then builds the next index generation (several
writes close together make one build: a delta segment, or a merge; ``segments.py``), and every process serving the
index (each gunicorn worker) notices the new generation by one ``stat`` of the index's ``CURRENT`` pointer at most
every ``WATCH_INTERVAL_S`` and loads it. A passage's key is the generation's segments, the segment and the row, so
a request that began on one generation reads the passages of that generation to its end. Every call's cost
depends on the query's postings, not on the corpus.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Hashable, Mapping, Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from qa_api.corpus import Document, DocumentStore, Passage
from qa_api.corpus.sentences import sentence_spans
from qa_api.errors import IndexUnavailableError, UnknownSourceError, WritesUnavailableError

from .analysis import Analyzer
from .backend import CorpusStats, DocumentEntry
from .bm25 import BM25Params, score_rows, warm_up
from .encoder import Encoder
from .index import Index
from .progress import Progress
from .search import Pool, ReadPassage, read_passage
from .segments import Generation, Segments
from .store import current_build, generation_of, load_generation, open_index, rebuild_index, refresh_index

log = logging.getLogger(__name__)

WATCH_INTERVAL_S = 0.1  # how often a process looks for a new index generation
DEBOUNCE_S = 0.05  # a build waits this long for more writes to take in


class LocalBackend:
    def __init__(self, index: Index | Generation, analyzer: Analyzer | None = None,
                 writer: IndexWriter | None = None) -> None:
        self.analyzer = analyzer or Analyzer()
        generation = index if isinstance(index, Generation) else Generation(index)
        self.segments = Segments(generation, self.analyzer)
        self.writer = writer
        self.read = lru_cache(maxsize=8192)(self._read)
        self._seen = current_build(writer.index_dir) if writer else None
        self._checked = time.monotonic()
        self._swap = threading.Lock()
        warm_up()

    @property
    def index(self) -> Index:
        """The base segment (the whole index when the generation has no delta)."""
        return self.segments.parts[0]

    @property
    def has_vectors(self) -> bool:
        return self.index.vectors is not None

    @property
    def unseen_idf(self) -> float:
        return float(np.log((max(self.segments.n_passages, 1) + 0.5) / 0.5))

    def pool(self, query: Mapping[str, float], k: int, sources: Sequence[str] = ()) -> Pool:
        segments = self.current()
        keys, scores, total = segments.pool(query, k, sources)
        return Pool(tuple((segments, p, row) for p, row in keys), tuple(scores), total)

    def term_scores(self, query: Mapping[str, float], key: Hashable) -> tuple[tuple[str, float], ...]:
        segments, p, row = _key(key)
        part = segments.parts[p]
        term_ids = {t: part.vocab[t] for t in query if t in part.vocab}
        shares = score_rows(part.postings, list(term_ids.values()), [row], segments.scorings[p])[:, 0].tolist()
        share_of = dict(zip(term_ids, shares, strict=True))
        return tuple((term, share_of[term] * weight if term in share_of else 0.0) for term, weight in query.items())

    def idf(self, term: str) -> float:
        value = self.segments.idf(term)
        return max(value, 0.1) if value is not None else self.unseen_idf

    # --- writes: committed to the store, then searchable once the next generation is built -------------------

    def put_document(self, document: Document, data: bytes = b"", kind: str = "") -> bool:
        """Create or replace a document (committed when this returns); whether it was created."""
        return self.put_documents([(document, data, kind)])[0]

    def put_documents(self, written: Sequence[tuple[Document, bytes, str]]) -> list[bool]:
        """Several documents in one transaction of the store: all of them or none; whether each was created."""
        writer = self._writer()
        created = writer.store.put_many([(document.source, kind, data) for document, data, kind in written])
        writer.changed()
        return created

    def delete_document(self, source: str) -> None:
        """Remove a document (committed when this returns); ``UnknownSourceError`` when there is none."""
        writer = self._writer()
        if not writer.store.delete(source):
            raise UnknownSourceError(source)
        writer.changed()

    def flush(self) -> None:
        """Build the generation of every write made so far now, in this thread, and serve it."""
        writer = self._writer()
        refresh_index(writer.store, writer.index_dir, writer.params, writer.analyzer, writer.encoder)
        self._checked = 0.0
        self.current()

    def current(self) -> Segments:
        """The newest index generation, looked for at most every ``WATCH_INTERVAL_S``."""
        writer = self.writer
        if writer is None or time.monotonic() - self._checked < WATCH_INTERVAL_S:
            return self.segments
        with self._swap:
            self._checked = time.monotonic()
            build = current_build(writer.index_dir)
            if build != self._seen:
                try:
                    self.segments = Segments(load_generation(writer.index_dir), self.analyzer)
                    self._seen = build
                    self.read.cache_clear()
                # replaced again while read, or CPython 3.11's header parsing failing under threads (see
                # store._load_array): the old generation serves on and the next look loads the new one
                except (IndexUnavailableError, OSError, SystemError) as exc:
                    log.info("index generation not loaded yet: %s", exc)
        return self.segments

    def _writer(self) -> IndexWriter:
        if self.writer is None:
            raise WritesUnavailableError("this index is served without its document store; it cannot be written")
        return self.writer

    def has_document(self, source: str) -> bool:
        """Whether a live document has that source (without listing them all)."""
        try:
            self.current().locate(source)
        except UnknownSourceError:
            return False
        return True

    def documents(self) -> list[DocumentEntry]:
        return [DocumentEntry(d.source, d.title, d.passage_count, d.characters) for d in self.current().documents()]

    def document(self, source: str) -> tuple[DocumentEntry, str, list[Passage]]:
        segments = self.current()
        p, doc = segments.locate(source)
        part = segments.parts[p]
        d = part.documents[doc]
        return (DocumentEntry(d.source, d.title, d.passage_count, d.characters), part.document_text(doc),
                part.document_passages(doc))

    def passage(self, passage_id: str) -> Passage:
        segments = self.current()
        return segments.passage(*segments.passage_key(passage_id))

    def stats(self) -> CorpusStats:
        segments = self.current()
        m: dict[str, Any] = segments.generation.current.manifest
        return CorpusStats("local", len(segments.documents()), segments.n_passages,
                           int(segments.statistics[2].sum()), m["built_at"], m["build_seconds"], m["format_version"],
                           m["corpus"]["checksum"],
                           [s for part in segments.parts for s in part.manifest["corpus"].get("skipped", [])])

    def _read(self, key: Hashable) -> ReadPassage:
        segments, p, row = _key(key)
        part = segments.parts[p]
        passage = part.passage(row)
        vectors = part.vectors.of_passage(row) if part.vectors is not None else None
        return read_passage(passage, sentence_spans(passage.text), self.analyzer, vectors)


class IndexWriter:
    """Builds the next index generation from the store after writes, in a background thread of this process.

    Writes close together make one build; builds of all processes take turns under the index's build lock, and
    each builds only if the current generation is not already built from what the store holds.
    """

    def __init__(self, store: DocumentStore, index_dir: Path, params: BM25Params, analyzer: Analyzer,
                 encoder: Encoder | None) -> None:
        self.store = store
        self.index_dir = index_dir
        self.params = params
        self.analyzer = analyzer
        self.encoder = encoder
        self._wanted = threading.Event()
        self._thread: threading.Thread | None = None
        self._start = threading.Lock()

    def changed(self) -> None:
        """The store changed: build a new generation soon."""
        self._wanted.set()
        with self._start:
            if self._thread is None or not self._thread.is_alive():
                self._thread = threading.Thread(target=self._run, name="index-writer", daemon=True)
                self._thread.start()

    def _run(self) -> None:
        while self._wanted.wait():
            time.sleep(DEBOUNCE_S)
            self._wanted.clear()
            try:
                refresh_index(self.store, self.index_dir, self.params, self.analyzer, self.encoder)
            except Exception:  # the store keeps the write; the next write, or the next start, builds again
                log.exception("building the next index generation failed")


def open_local(store_path: Path, corpus_dir: Path, index_dir: Path, params: BM25Params, analyzer: Analyzer,
               progress: Progress | None = None, encoder: Encoder | None = None) -> LocalBackend:
    """The local backend over its document store: a new store first imports the corpus directory; the index is
    loaded when it was built from what the store holds, else built first."""
    store = DocumentStore(store_path)
    if not store.imported:
        store.import_directory(corpus_dir, first_start=True)
    if not store.read_only:  # writes the last run acknowledged but did not index: a new segment (or a merge)
        refresh_index(store, index_dir, params, analyzer, encoder, progress)
    index = open_index(store, index_dir, params, analyzer, progress, encoder)
    try:
        generation = generation_of(index_dir, index)
    except IndexUnavailableError as exc:  # the delta's base is damaged or gone: one new base from the store
        log.warning("rebuilding the index: %s", exc)
        generation = Generation(rebuild_index(store, index_dir, params, analyzer, progress, encoder))
    return LocalBackend(generation, analyzer, IndexWriter(store, index_dir, params, analyzer, encoder))


def _key(key: Hashable) -> tuple[Segments, int, int]:
    assert isinstance(key, tuple) and isinstance(key[0], Segments), key  # keys come from this backend's own pools
    return key[0], int(key[1]), int(key[2])
