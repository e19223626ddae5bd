"""The local backend: the index on this machine, memory-mapped, searched by the exact pruned BM25 top-k.

A passage's key is its row in the index. Every call's cost depends on the query's postings, not on the corpus.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qa_api.corpus import Passage
from qa_api.corpus.sentences import sentence_spans

from .analysis import Analyzer
from .backend import CorpusStats, DocumentEntry
from .bm25 import passage_bitset, ranked, score_rows, warm_up
from .index import Index
from .search import Pool, ReadPassage, read_passage


class LocalBackend:
    def __init__(self, index: Index, analyzer: Analyzer | None = None) -> None:
        self.index = index
        self.analyzer = analyzer or Analyzer()
        n = max(index.n_passages, 1)
        self.unseen_idf = float(np.log((n + 0.5) / 0.5))
        self.read = lru_cache(maxsize=8192)(self._read)
        warm_up()

    @property
    def has_vectors(self) -> bool:
        return self.index.vectors is not None

    def pool(self, query: Mapping[str, float], k: int, sources: Sequence[str] = ()) -> Pool:
        ids = {self.index.vocab[t]: w for t, w in query.items() if t in self.index.vocab and w > 0}
        best = ranked(self.index.postings, ids, k, self._only(sources) if sources else None)
        return Pool(tuple(best.rows.tolist()), tuple(best.scores.tolist()), best.total)

    def term_scores(self, query: Mapping[str, float], key: Hashable) -> tuple[tuple[str, float], ...]:
        term_ids = {t: self.index.vocab[t] for t in query if t in self.index.vocab}
        shares = score_rows(self.index.postings, list(term_ids.values()), [_row(key)])[:, 0].tolist()
        share_of = dict(zip(term_ids, shares, strict=True))
        return tuple((term, share_of[term] * weight if term in share_of else 0.0) for term, weight in query.items())

    def idf(self, term: str) -> float:
        term_id = self.index.vocab.get(term)
        return max(float(self.index.postings.idf[term_id]), 0.1) if term_id is not None else self.unseen_idf

    def has_document(self, source: str) -> bool:
        return self.index.has_document(source)

    def documents(self) -> list[DocumentEntry]:
        return [DocumentEntry(d.source, d.title, d.passage_count, d.characters) for d in self.index.documents]

    def document(self, source: str) -> tuple[DocumentEntry, str, list[Passage]]:
        doc = self.index.document_index(source)
        d = self.index.documents[doc]
        return (DocumentEntry(d.source, d.title, d.passage_count, d.characters), self.index.document_text(doc),
                self.index.document_passages(doc))

    def passage(self, passage_id: str) -> Passage:
        return self.index.passage(self.index.passage_number(passage_id))

    def stats(self) -> CorpusStats:
        m: dict[str, Any] = self.index.manifest
        return CorpusStats("local", len(self.index.documents), self.index.n_passages, len(self.index.vocab_list),
                           m["built_at"], m["build_seconds"], m["format_version"], m["corpus"]["checksum"],
                           list(m["corpus"].get("skipped", [])))

    def _read(self, key: Hashable) -> ReadPassage:
        row = _row(key)
        passage = self.index.passage(row)
        vectors = self.index.vectors.of_passage(row) if self.index.vectors is not None else None
        return read_passage(passage, sentence_spans(passage.text), self.analyzer, vectors)

    def _only(self, sources: Sequence[str]) -> NDArray[np.uint64]:
        """The passages of the named source files, as a bitset for ``ranked``."""
        docs = (self.index.documents[self.index.document_index(s)] for s in sources)
        spans = [(d.first_passage, d.first_passage + d.passage_count) for d in docs]
        return passage_bitset(self.index.n_passages, spans)


def _row(key: Hashable) -> int:
    assert isinstance(key, int), key  # keys come from this backend's own pools
    return key
