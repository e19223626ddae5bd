"""Search: weighted terms in, the best passages out by exact BM25 (rank-bm25's scores), through the pruned top-k.

Retrieval knows nothing of questions: ``search`` serves keyword queries (``/v1/search``), ``pool`` serves the ask
path a fixed number of candidates for a weighted query, and ``read`` gives a candidate's tokens, sentences and
sentence vectors for whoever re-ranks them. Each call's cost depends on the query's postings, not the corpus.
"""

from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from qa_api.corpus import Passage
from qa_api.corpus.sentences import sentence_spans

from .analysis import Analyzer, Token
from .bm25 import passage_bitset, ranked, warm_up
from .index import Index


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
    row: int
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
    """The best passages for a weighted query by BM25, best first, and how many matched at all."""

    rows: tuple[int, ...]
    scores: tuple[float, ...]
    total: int


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int  # offsets into the passage text
    end: int
    terms: frozenset[str]


@dataclass(frozen=True, slots=True)
class ReadPassage:
    """A passage analyzed once and kept: its tokens, its sentences and (when the index has them) their vectors."""

    passage: Passage
    tokens: tuple[Token, ...]
    sentences: tuple[Sentence, ...]
    vectors: NDArray[np.float32] | None


class Searcher:
    def __init__(self, index: Index, analyzer: Analyzer | None = None) -> None:
        self.index = index
        self.analyzer = analyzer or Analyzer()
        n = max(index.n_passages, 1)
        self.unseen_idf = float(np.log((n + 0.5) / 0.5))
        self.read = lru_cache(maxsize=8192)(self._read)
        warm_up()

    def search(self, text: str, k: int, sources: Sequence[str] = ()) -> SearchResult:
        """The ``k`` best passages for a keyword query by BM25, optionally only from the named source files."""
        started = time.perf_counter()
        terms = tuple(self.analyzer.terms(text))
        query = {t: float(terms.count(t)) for t in terms}
        best = self.pool(query, k, sources)
        hits = tuple(self.hit(row, score, rank, query) for rank, (row, score) in
                     enumerate(zip(best.rows, best.scores, strict=True), start=1))
        return SearchResult(text, terms, hits, best.total, (time.perf_counter() - started) * 1000)

    def pool(self, query: Mapping[str, float], k: int, sources: Sequence[str] = ()) -> Pool:
        """The ``k`` best passages for ``{term: weight}`` (a term's BM25 counts ``weight`` times), exactly."""
        ids = {self.index.vocab[t]: w for t, w in query.items() if t in self.index.vocab and w > 0}
        best = ranked(self.index.postings, ids, k, self._only(sources) if sources else None)
        return Pool(tuple(best.rows.tolist()), tuple(best.scores.tolist()), best.total)

    def hit(self, row: int, bm25: float, rank: int, query: Mapping[str, float],
            boosts: Sequence[tuple[str, float]] = ()) -> Hit:
        """A ranked passage with its highlights and the explanation of its score (BM25 plus any ``boosts``)."""
        passage = self.index.passage(row)
        highlights = self.highlights(passage.text, set(query))
        explanation = Explanation(bm25, self.term_scores(query, row), tuple(boosts))
        return Hit(passage, row, bm25 + sum(b for _, b in boosts), rank, highlights, explanation)

    def term_scores(self, query: Mapping[str, float], row: int) -> tuple[tuple[str, float], ...]:
        """Each query term's share of a passage's BM25 score."""
        out = []
        for term, weight in query.items():
            term_id = self.index.vocab.get(term)
            score = 0.0
            if term_id is not None:
                docs, weights = self.index.postings.term_postings(term_id)
                i = int(np.searchsorted(docs, row))
                score = float(weights[i]) * weight if i < docs.size and docs[i] == row else 0.0
            out.append((term, score))
        return tuple(out)

    def highlights(self, text: str, terms: set[str]) -> tuple[Highlight, ...]:
        return tuple(Highlight(t.start, t.end, t.term) for t in self.analyzer.tokens(text) if t.term in terms)

    def idf(self, term: str) -> float:
        """A term's IDF; a term the corpus has never seen weighs as much as the rarest one could."""
        term_id = self.index.vocab.get(term)
        return max(float(self.index.postings.idf[term_id]), 0.1) if term_id is not None else self.unseen_idf

    def _read(self, row: int) -> ReadPassage:
        passage = self.index.passage(row)
        tokens = tuple(self.analyzer.tokens(passage.text))
        sentences = tuple(Sentence(s, e, frozenset(t.term for t in tokens if s <= t.start < e))
                          for s, e in sentence_spans(passage.text) or [(0, len(passage.text))])
        vectors = self.index.vectors.of_passage(row) if self.index.vectors is not None else None
        return ReadPassage(passage, tokens, sentences, vectors)

    def _only(self, sources: Sequence[str]) -> NDArray[np.uint64]:
        """The passages of the named source files, as a bitset for ``ranked``."""
        docs = (self.index.documents[self.index.document_index(s)] for s in sources)
        spans = [(d.first_passage, d.first_passage + d.passage_count) for d in docs]
        return passage_bitset(self.index.n_passages, spans)


__all__ = ["Explanation", "Highlight", "Hit", "Pool", "ReadPassage", "SearchResult", "Searcher", "Sentence"]
