"""The question-answering service: one object that the HTTP API, the CLI and other front ends share."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass

from qa_api.answers.finder import Answer, AnswerFinder
from qa_api.retrieval.analysis import Analyzer
from qa_api.retrieval.bm25 import BM25Params
from qa_api.retrieval.index import Index
from qa_api.retrieval.search import Searcher, SearchResult
from qa_api.retrieval.store import Progress, open_index
from qa_api.settings import Settings


@dataclass(frozen=True, slots=True)
class AskResult:
    question: str
    answer: Answer | None
    result: SearchResult
    took_ms: float


class QAService:
    def __init__(self, index: Index, analyzer: Analyzer | None = None) -> None:
        self.index = index
        self.analyzer = analyzer or Analyzer()
        self.searcher = Searcher(index, self.analyzer)
        self.answers = AnswerFinder(self.searcher)

    @classmethod
    def open(cls, settings: Settings, progress: Progress | None = None) -> QAService:
        """Load the index for the configured corpus, building it first when missing, stale or corrupt."""
        analyzer = Analyzer()
        params = BM25Params(k1=settings.k1, b=settings.b, epsilon=settings.epsilon)
        return cls(open_index(settings.corpus_dir, settings.index_dir, params, analyzer, progress), analyzer)

    def search(self, query: str, top_k: int, sources: Sequence[str] = ()) -> SearchResult:
        """Keyword search: plain BM25, the fast path whose cost does not grow with the corpus."""
        return self.searcher.search(query, top_k, sources, rerank=False)

    def ask(self, question: str, top_k: int, sources: Sequence[str] = ()) -> AskResult:
        started = time.perf_counter()
        result = self.searcher.search(question, top_k, sources, rerank=True)
        answer = self.answers.find(question, result.plan, result.hits)
        return AskResult(question, answer, result, (time.perf_counter() - started) * 1000)
