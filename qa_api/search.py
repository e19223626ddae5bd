"""Search: a query in, ranked passages out, each with its score and the spans of the terms that matched."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from .analysis import Analyzer
from .bm25 import passage_bitset, ranked, warm_up
from .corpus import Passage
from .index import Index


@dataclass(frozen=True, slots=True)
class Highlight:
    start: int
    end: int
    term: str


@dataclass(frozen=True, slots=True)
class Hit:
    passage: Passage
    row: int
    score: float
    rank: int
    highlights: tuple[Highlight, ...]


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: str
    terms: tuple[str, ...]
    hits: tuple[Hit, ...]
    total: int
    took_ms: float


class Searcher:
    def __init__(self, index: Index, analyzer: Analyzer | None = None) -> None:
        self.index = index
        self.analyzer = analyzer or Analyzer()
        warm_up()

    def search(self, query: str, k: int, sources: Sequence[str] = ()) -> SearchResult:
        """The ``k`` best passages for ``query``, optionally only from the named source files."""
        started = time.perf_counter()
        terms = self.analyzer.terms(query)
        known = Counter(self.index.vocab[t] for t in terms if t in self.index.vocab)
        best = ranked(self.index.postings, dict(known), k, self._only(sources) if sources else None)
        query_terms = set(terms)
        hits = tuple(
            Hit(passage, row, score, rank, self.highlights(passage.text, query_terms))
            for rank, (row, score) in enumerate(zip(best.rows.tolist(), best.scores.tolist(), strict=True), start=1)
            for passage in (self.index.passage(row),)
        )
        took_ms = (time.perf_counter() - started) * 1000
        return SearchResult(query, tuple(terms), hits, best.total, took_ms)

    def _only(self, sources: Sequence[str]) -> NDArray[np.uint64]:
        """The passages of the named source files, as a bitset for ``ranked``."""
        docs = (self.index.documents[self.index.document_index(s)] for s in sources)
        spans = [(d.first_passage, d.first_passage + d.passage_count) for d in docs]
        return passage_bitset(self.index.n_passages, spans)

    def highlights(self, text: str, terms: set[str]) -> tuple[Highlight, ...]:
        return tuple(Highlight(t.start, t.end, t.term) for t in self.analyzer.tokens(text) if t.term in terms)
