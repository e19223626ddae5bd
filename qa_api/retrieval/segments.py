"""An index generation as segments: a base build, and the delta segment of the documents written since it, with
the base's replaced and removed documents as tombstones. Searched as one corpus, scored exactly as a rebuild.

Every weight is computed from the statistics of the live corpus: N and the total length are the base's less its
tombstoned passages plus the delta's, a term's document frequency likewise (the tombstoned passages' terms are
counted from their text), and the IDFs, with rank-bm25's epsilon floor, over the live vocabulary. Each segment's
blocks are bounded under those statistics (``Scoring.under``), its tombstoned passages masked out, and the
segments' best passages merged: the scores are a rebuild's.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from functools import cached_property

import numpy as np
from numpy.typing import NDArray

from qa_api.corpus import Passage
from qa_api.errors import UnknownPassageError, UnknownSourceError

from .analysis import Analyzer
from .bm25 import Scoring, Statistics, okapi_idf, passage_bitset, ranked
from .encoder import Encoder
from .index import DocumentInfo, Index
from .vectors import SentenceVectors, signature


@dataclass(frozen=True, slots=True, eq=False)
class Generation:
    """What one index generation is made of: a base, and maybe a delta segment and the base's tombstones."""

    base: Index
    delta: Index | None = None
    tombstones: frozenset[str] = frozenset()

    @property
    def current(self) -> Index:
        return self.delta if self.delta is not None else self.base

    def vectors_of(self, encoder: Encoder) -> SentenceVectors | None:
        """Every sentence vector of the generation made by ``encoder``, for the next build to copy."""
        parts = [p.vectors for p in (self.base, self.delta) if p is not None and p.vectors is not None
                 and p.manifest.get("vectors") == signature(encoder)]
        if not parts:
            return None
        empty = np.zeros(0, dtype=np.int64)
        return SentenceVectors(empty, empty.astype(np.int32), np.concatenate([p.vectors for p in parts]),
                               np.concatenate([p.scales for p in parts]), np.concatenate([p.hashes for p in parts]))


@dataclass(eq=False)
class Segments:
    """A generation searched as one corpus. ``parts[0]`` is the base; a passage is ``(part, row)``."""

    generation: Generation
    analyzer: Analyzer
    parts: list[Index] = field(init=False)
    live: list[NDArray[np.uint64] | None] = field(init=False)  # per part: its live passages, None for all

    def __post_init__(self) -> None:
        g = self.generation
        self.parts = [g.base] + ([g.delta] if g.delta is not None else [])
        dead = [i for i, d in enumerate(g.base.documents) if d.source in g.tombstones]
        self._dead_docs = frozenset(dead)
        live_base = None
        if dead:  # the base's passages but the tombstoned documents'
            spans = _spans(g.base, [i for i in range(len(g.base.documents)) if i not in self._dead_docs])
            live_base = passage_bitset(g.base.n_passages, spans)
        self.live = [live_base] + [None] * (len(self.parts) - 1)
        self._dead_rows = np.concatenate([np.arange(a, b) for a, b in _spans(g.base, dead)] or [np.zeros(0, int)])

    # --- the live corpus's statistics --------------------------------------------------------------------

    @cached_property
    def _terms(self) -> tuple[dict[str, int], list[NDArray[np.int64]]]:
        """The live vocabulary's ids (the base's, then the delta's new ones), and each part's term ids in it."""
        ids = dict(self.parts[0].vocab)
        to_global = [np.arange(len(ids), dtype=np.int64)]
        for part in self.parts[1:]:
            to_global.append(np.array([ids.setdefault(t, len(ids)) for t in part.vocab_list], dtype=np.int64))
        return ids, to_global

    @cached_property
    def n_passages(self) -> int:
        return sum(p.n_passages for p in self.parts) - int(self._dead_rows.size)

    @cached_property
    def statistics(self) -> tuple[NDArray[np.float64], float, NDArray[np.bool_]]:
        """The IDF of every term of the vocabulary (0 for a term no live passage has) and avgdl, of the live
        corpus, and which terms a live passage has."""
        ids, to_global = self._terms
        base = self.parts[0]
        if len(self.parts) == 1 and not self._dead_rows.size:
            return base.postings.idf, base.postings.own.stats.avgdl, np.ones(len(ids), dtype=bool)
        df = np.zeros(len(ids), dtype=np.int64)
        length = 0
        for part, mapping in zip(self.parts, to_global, strict=True):
            np.add.at(df, mapping, np.diff(part.postings.indptr))
            length += int(part.postings.doc_len.astype(np.int64).sum())
        for row in self._dead_rows.tolist():
            terms = {base.vocab[t] for t in self.analyzer.terms(base.passage(row).text) if t in base.vocab}
            df[list(terms)] -= 1
        length -= int(base.postings.doc_len[self._dead_rows].astype(np.int64).sum())
        n = self.n_passages
        idf = np.zeros(len(ids), dtype=np.float64)
        present = df > 0  # a term only tombstoned passages had is no term of the live corpus
        idf[present] = okapi_idf(df[present], n, base.params.epsilon)
        return idf, (float(length / n) if n else 1.0), present

    @cached_property
    def scorings(self) -> list[Scoring]:
        """Each part's scoring under the live corpus's statistics (a part's own when nothing else is live)."""
        if len(self.parts) == 1 and not self._dead_rows.size:
            return [self.parts[0].postings.own]
        idf, avgdl, _ = self.statistics
        params = self.parts[0].params
        return [Scoring.under(part.postings, Statistics(params, idf[mapping], avgdl))
                for part, mapping in zip(self.parts, self._terms[1], strict=True)]

    def idf(self, term: str) -> float | None:
        """A term's IDF in the live corpus; None for a term it does not have."""
        i = self._terms[0].get(term)
        idf, _, present = self.statistics
        return float(idf[i]) if i is not None and present[i] else None

    # --- search --------------------------------------------------------------------------------------------

    def pool(self, query: Mapping[str, float], k: int, sources: Sequence[str] = ()
             ) -> tuple[list[tuple[int, int]], list[float], int]:
        """The k best live passages as (part, row), best first, ties in part then row order, optionally only from
        ``sources``; and how many matched."""
        for source in sources:  # ``UnknownSourceError`` for a source that is no live document
            self.locate(source)
        hits: list[tuple[float, int, int]] = []
        total = 0
        for p, (part, scoring) in enumerate(zip(self.parts, self.scorings, strict=True)):
            ids = {part.vocab[t]: w for t, w in query.items() if t in part.vocab and w > 0}
            allowed = self._allowed(p, sources)
            if allowed is not None and not allowed.any():
                continue
            best = ranked(part.postings, ids, k, allowed, scoring)
            total += best.total
            hits += [(s, p, r) for s, r in zip(best.scores.tolist(), best.rows.tolist(), strict=True)]
        hits.sort(key=lambda h: (-h[0], h[1], h[2]))
        return [(p, r) for _, p, r in hits[:k]], [s for s, _, _ in hits[:k]], total

    def _allowed(self, p: int, sources: Sequence[str]) -> NDArray[np.uint64] | None:
        live = self.live[p]
        if not sources:
            return live
        part = self.parts[p]
        docs = [d for d in map(part.find_document, sources) if d is not None and (p or d not in self._dead_docs)]
        only = passage_bitset(part.n_passages, _spans(part, docs))
        return only if live is None else only & live

    # --- documents and passages ----------------------------------------------------------------------------

    def documents(self) -> list[DocumentInfo]:
        base = [d for i, d in enumerate(self.parts[0].documents) if i not in self._dead_docs]
        return base + [d for part in self.parts[1:] for d in part.documents]

    def locate(self, source: str) -> tuple[int, int]:
        """(part, document number) of a live document; ``UnknownSourceError`` when there is none."""
        for p in range(len(self.parts) - 1, -1, -1):
            doc = self.parts[p].find_document(source)
            if doc is not None and (p or doc not in self._dead_docs):
                return p, doc
        raise UnknownSourceError(source)

    def passage_key(self, passage_id: str) -> tuple[int, int]:
        """(part, row) of a live passage id; ``UnknownPassageError`` when there is none."""
        for p in range(len(self.parts) - 1, -1, -1):
            try:
                row = self.parts[p].passage_number(passage_id)
            except UnknownPassageError:
                continue
            if p or int(self.parts[p].passages.doc[row]) not in self._dead_docs:
                return p, row
        raise UnknownPassageError(passage_id)

    def passage(self, p: int, row: int) -> Passage:
        return self.parts[p].passage(row)


def _spans(index: Index, docs: Sequence[int]) -> list[tuple[int, int]]:
    return [(index.documents[d].first_passage, index.documents[d].first_passage + index.documents[d].passage_count)
            for d in docs]


__all__ = ["Generation", "Segments"]
