"""The question-answering service: one object that the HTTP API, the CLI and every other front end share.

``ask`` runs one path for every caller: read the question once; take BM25's best ``POOL`` passages through the
pruned top-k while the encoder embeds the question on another core; re-rank that pool; choose the evidence
sentence from the top passages; extract a short answer from it when one is likely right.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .answers.finder import Answer, AnswerFinder
from .answers.ranking import POOL, Evidence, Ranker
from .corpus import Document, Passage, read_document
from .errors import UnknownSourceError
from .questions.reading import QuestionReader, Reading
from .retrieval.analysis import Analyzer
from .retrieval.backend import Backend, CorpusStats, DocumentEntry
from .retrieval.bm25 import BM25Params
from .retrieval.encoder import Encoder, shared_encoder
from .retrieval.local import open_local
from .retrieval.progress import Progress
from .retrieval.search import Hit, Searcher, SearchResult
from .retrieval.solr import SolrBackend
from .settings import Settings


@dataclass(frozen=True, slots=True)
class AskResult:
    question: str
    answer: Answer | None
    evidence: Evidence | None
    hits: tuple[Hit, ...]
    total: int
    took_ms: float


class QAService:
    """Ask, search and the corpus's documents, over one backend (``retrieval.backend``)."""

    def __init__(self, backend: Backend, encoder: Encoder | None = None) -> None:
        self.backend = backend
        self.analyzer = backend.analyzer
        self.searcher = Searcher(backend)
        self.reader = QuestionReader(self.analyzer)
        self.ranker = Ranker(backend)
        self.encoder = encoder if backend.has_vectors else None
        self.finder = AnswerFinder(self.analyzer, self.encoder)
        self._encoding = ThreadPoolExecutor(max_workers=2, thread_name_prefix="encode") if self.encoder else None

    @staticmethod
    def preload(settings: Settings) -> None:
        """Load what every service in this process shares and never changes (the encoder, checked; the word
        tables), so processes forked from this one start at once and share those pages."""
        if settings.dense:
            shared_encoder()
        QuestionReader(Analyzer())

    @classmethod
    def open(cls, settings: Settings, progress: Progress | None = None) -> QAService:
        """Load the index for the configured corpus, building it first when missing, stale or corrupt; or, with
        the Solr backend, connect to the collection ``qa-api index`` built."""
        analyzer = Analyzer()
        encoder = shared_encoder() if settings.dense else None
        params = bm25_params(settings)
        if settings.backend == "solr":
            return cls(SolrBackend.connect(settings.solr_urls, settings.solr_collection, timeout=settings.solr_timeout,
                                           params=params, analyzer=analyzer, encoder=encoder), encoder)
        return cls(open_local(settings.store_path, settings.corpus_dir, settings.index_dir, params, analyzer, progress,
                              encoder), encoder)

    def search(self, query: str, top_k: int, sources: Sequence[str] = ()) -> SearchResult:
        """Keyword search: plain BM25, the fast path whose cost does not grow with the corpus."""
        return self.searcher.search(query, top_k, sources)

    def ask(self, question: str, top_k: int, sources: Sequence[str] = (), context: str = "") -> AskResult:
        """Answer ``question``; ``context`` is what a follow-up leans on (earlier turns of a conversation)."""
        started = time.perf_counter()
        reading = self.reader.read(question, context)
        vector = self._encoding.submit(self._embed, f"{question} {context}".strip()) if self._encoding else None
        pool = self.backend.pool(reading.query, max(POOL, top_k), sources)
        for key in pool.keys:  # read (and cache) the pool while the question is still being embedded
            self.backend.read(key)
        question_vector = vector.result() if vector else None
        ranked = self.ranker.rerank(reading, pool, question_vector)
        evidence = self.ranker.evidence(reading, ranked, question_vector)
        answer = self.finder.find(reading, evidence)
        hits = tuple(self.searcher.hit(s.key, s.bm25, rank, reading.query, s.boosts)
                     for rank, s in enumerate(ranked[:top_k], start=1))
        return AskResult(question, answer, evidence[0] if evidence else None, hits, pool.total,
                         (time.perf_counter() - started) * 1000)

    def documents(self) -> Sequence[DocumentEntry]:
        return self.backend.documents()

    def document(self, source: str) -> tuple[DocumentEntry, str, list[Passage]]:
        return self.backend.document(source)

    def passage(self, passage_id: str) -> Passage:
        return self.backend.passage(passage_id)

    def stats(self) -> CorpusStats:
        return self.backend.stats()

    def put_document(self, source: str, data: bytes, kind: str) -> tuple[Document, bool]:
        """Read a file of ``kind`` and store it as ``source`` (``UnreadableDocumentError`` before anything is
        written when it cannot be read); the document, and whether it was created. Acknowledged once committed:
        searchable within a second."""
        document = read_document(source, data, kind)
        return document, self.backend.put_document(document, data, kind)

    def put_documents(self, files: Sequence[tuple[str, bytes, str]]) -> list[tuple[Document, bool]]:
        """Several files (source, bytes, kind): all read first (``UnreadableDocumentError`` before anything is
        written), then written together; each document and whether it was created."""
        documents = [read_document(source, data, kind) for source, data, kind in files]
        created = self.backend.put_documents([(d, data, kind) for d, (_, data, kind) in zip(documents, files,
                                                                                          strict=True)])
        return list(zip(documents, created, strict=True))

    def delete_document(self, source: str) -> None:
        self.backend.delete_document(source)

    def unknown_sources(self, sources: Sequence[str]) -> list[str]:
        """Why each named source is not a document of the corpus (empty when all are)."""
        return [str(UnknownSourceError(s)) for s in sources if not self.backend.has_document(s)]

    def read(self, question: str, context: str = "") -> Reading:
        return self.reader.read(question, context)

    def _embed(self, text: str) -> NDArray[np.float32]:
        assert self.encoder is not None
        vector: NDArray[np.float32] = self.encoder.encode([text])[0]
        return vector


def bm25_params(settings: Settings) -> BM25Params:
    """The BM25 parameters the settings name, for building and for serving alike."""
    return BM25Params(k1=settings.k1, b=settings.b, epsilon=settings.epsilon)
