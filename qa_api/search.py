"""Search: a query in, ranked passages out, each with its score and the spans of the terms that matched."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from .analysis import Analyzer
from .bm25 import accumulate, top_k
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

    def search(self, query: str, k: int, sources: Sequence[str] = ()) -> SearchResult:
        """The ``k`` best passages for ``query``, optionally only from the named source files."""
        started = time.perf_counter()
        terms = self.analyzer.terms(query)
        known = Counter(self.index.vocab[t] for t in terms if t in self.index.vocab)
        scores, candidates = accumulate(self.index.postings, dict(known))
        if sources:
            docs = np.array(sorted({self.index.document_index(s) for s in sources}), dtype=np.int32)
            candidates = candidates[np.isin(self.index.passages.doc[candidates], docs)]
        rows = top_k(scores, candidates, k)
        query_terms = set(terms)
        hits = tuple(
            Hit(passage, int(row), float(scores[row]), rank, self.highlights(passage.text, query_terms))
            for rank, row in enumerate(rows.tolist(), start=1)
            for passage in (self.index.passage(row),)
        )
        took_ms = (time.perf_counter() - started) * 1000
        return SearchResult(query, tuple(terms), hits, int(candidates.size), took_ms)

    def highlights(self, text: str, terms: set[str]) -> tuple[Highlight, ...]:
        return tuple(Highlight(t.start, t.end, t.term) for t in self.analyzer.tokens(text) if t.term in terms)
