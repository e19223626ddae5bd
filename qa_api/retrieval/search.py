"""What search returns, whichever backend serves it: pools, read passages, ranked hits and their explanations.

Retrieval knows nothing of questions: ``Searcher.search`` serves keyword queries (``/v1/search``); the ask path
takes a backend's ``pool`` of candidates for a weighted query, ``read``s them (tokens, sentences, sentence
vectors) to re-rank them, and turns the best into ``hit``s.
"""

from __future__ import annotations

import time
from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from numpy.typing import NDArray

from qa_api.corpus import Passage

from .analysis import Analyzer

if TYPE_CHECKING:
    from .backend import Backend


@dataclass(frozen=True, slots=True)
class Highlight:
    start: int
    end: int
    term: str


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a passage scored what it did: BM25 per query term, then each boost; they sum to the score."""

    bm25: float
    terms: tuple[tuple[str, float], ...]
    boosts: tuple[tuple[str, float], ...]


@dataclass(frozen=True, slots=True)
class Hit:
    passage: Passage
    key: Hashable  # the backend's name for the passage
    score: float
    rank: int
    highlights: tuple[Highlight, ...]
    explanation: Explanation


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: str
    terms: tuple[str, ...]
    hits: tuple[Hit, ...]
    total: int
    took_ms: float


@dataclass(frozen=True, slots=True)
class Pool:
    """The best passages for a weighted query by BM25, best first (by the backend's keys), and how many matched
    at all."""

    keys: tuple[Hashable, ...]
    scores: tuple[float, ...]
    total: int


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int  # offsets into the passage text
    end: int
    terms: frozenset[str]


@dataclass(frozen=True, slots=True)
class ReadPassage:
    """A passage analyzed once and kept: its sentences with their terms and (when the index has them) their
    vectors."""

    passage: Passage
    sentences: tuple[Sentence, ...]
    vectors: NDArray[np.float32] | None


def read_passage(passage: Passage, spans: Sequence[tuple[int, int]], analyzer: Analyzer,
                 vectors: NDArray[np.float32] | None) -> ReadPassage:
    """``passage`` read as the ask path needs it: each sentence (``spans``, offsets into its text) with its terms."""
    text = passage.text
    sentences = tuple(Sentence(s, e, analyzer.term_set(text[s:e])) for s, e in spans or [(0, len(text))])
    return ReadPassage(passage, sentences, vectors)


class Searcher:
    """Keyword search and ranked hits over any backend: what ``/v1/search`` returns, and each ask hit's
    highlights and explanation."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.analyzer = backend.analyzer

    def search(self, text: str, k: int, sources: Sequence[str] = ()) -> SearchResult:
        """The ``k`` best passages for a keyword query by BM25, optionally only from the named source files."""
        started = time.perf_counter()
        terms = tuple(self.analyzer.terms(text))
        query = {t: float(terms.count(t)) for t in terms}
        best = self.backend.pool(query, k, sources)
        hits = tuple(self.hit(key, score, rank, query) for rank, (key, score) in
                     enumerate(zip(best.keys, best.scores, strict=True), start=1))
        return SearchResult(text, terms, hits, best.total, (time.perf_counter() - started) * 1000)

    def hit(self, key: Hashable, bm25: float, rank: int, query: Mapping[str, float],
            boosts: Sequence[tuple[str, float]] = ()) -> Hit:
        """A ranked passage with its highlights and the explanation of its score (BM25 plus any ``boosts``)."""
        passage = self.backend.read(key).passage
        highlights = tuple(Highlight(t.start, t.end, t.term) for t in self.analyzer.tokens(passage.text)
                           if t.term in query)
        explanation = Explanation(bm25, self.backend.term_scores(query, key), tuple(boosts))
        return Hit(passage, key, bm25 + sum(b for _, b in boosts), rank, highlights, explanation)


__all__ = ["Explanation", "Highlight", "Hit", "Pool", "ReadPassage", "SearchResult", "Searcher", "Sentence",
           "read_passage"]
