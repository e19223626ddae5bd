"""Okapi BM25 as small pure functions over arrays, with the exact definitions of ``rank_bm25.BM25Okapi``.

The index stores, for every term, its postings (passage numbers, ascending) and the term's full BM25
contribution to each of those passages, precomputed in float64:

    w(t, d) = idf(t) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * |d| / avgdl))
    idf(t)  = log(N - df + 0.5) - log(df + 0.5), or epsilon * mean(idf) where that is negative

A query's score for a passage is then the sum of w over the query's terms (repeated terms count again),
so answering a query costs the length of its terms' postings, not the size of the corpus.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray


@dataclass(frozen=True, slots=True)
class BM25Params:
    k1: float = 1.5
    b: float = 0.75
    epsilon: float = 0.25


@dataclass(frozen=True, slots=True)
class Postings:
    """Term-major compressed sparse weights: term t's postings are ``docs/weights[indptr[t]:indptr[t+1]]``."""

    indptr: NDArray[np.int64]
    docs: NDArray[np.int32]
    weights: NDArray[np.float64]
    idf: NDArray[np.float64]
    doc_len: NDArray[np.int32]

    @property
    def n_docs(self) -> int:
        return int(self.doc_len.shape[0])

    @property
    def n_terms(self) -> int:
        return int(self.idf.shape[0])

    def term_postings(self, term_id: int) -> tuple[NDArray[np.int32], NDArray[np.float64]]:
        lo, hi = int(self.indptr[term_id]), int(self.indptr[term_id + 1])
        return self.docs[lo:hi], self.weights[lo:hi]


def okapi_idf(df: NDArray[np.int64], n_docs: int, epsilon: float) -> NDArray[np.float64]:
    """BM25Okapi's IDF per term, with rank-bm25's floor for terms in more than half the passages."""
    if df.size == 0:
        return np.zeros(0, dtype=np.float64)
    idf = np.log(n_docs - df + 0.5) - np.log(df + 0.5)
    floor = epsilon * (idf.sum() / idf.size)
    floored: NDArray[np.float64] = np.where(idf < 0, floor, idf)
    return floored


def build_postings(term_ids: NDArray[np.integer], doc_len: NDArray[np.integer], n_terms: int,
                   params: BM25Params) -> Postings:
    """Postings from every passage's term ids laid end to end (``doc_len[i]`` of them for passage i)."""
    doc_len = np.asarray(doc_len, dtype=np.int64)
    n_docs = int(doc_len.shape[0])
    doc_of = np.repeat(np.arange(n_docs, dtype=np.int64), doc_len)
    keys, tf = np.unique(np.asarray(term_ids, dtype=np.int64) * max(n_docs, 1) + doc_of, return_counts=True)
    terms, docs = np.divmod(keys, max(n_docs, 1))
    df = np.bincount(terms, minlength=n_terms).astype(np.int64)
    idf = okapi_idf(df, n_docs, params.epsilon)
    indptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(df, out=indptr[1:])
    avgdl = doc_len.sum() / n_docs if n_docs else 1.0
    weights = term_weights(tf, doc_len[docs], idf[terms], avgdl, params)
    return Postings(indptr, docs.astype(np.int32), weights, idf, doc_len.astype(np.int32))


def term_weights(tf: NDArray[np.integer], dl: NDArray[np.integer], idf: NDArray[np.float64], avgdl: float,
                 params: BM25Params) -> NDArray[np.float64]:
    """w(t, d), with the operations in rank-bm25's order so the floats agree to the last bits."""
    k1, b = params.k1, params.b
    weights: NDArray[np.float64] = idf * (tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl)))
    return weights


def accumulate(postings: Postings, query_terms: dict[int, int]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Scores of every passage for ``{term id: times in query}``, and the passages that matched any term."""
    scores = np.zeros(postings.n_docs, dtype=np.float64)
    matched = np.zeros(postings.n_docs, dtype=bool)
    for term_id, count in query_terms.items():
        docs, weights = postings.term_postings(term_id)
        scores[docs] += weights * count
        matched[docs] = True
    return scores, np.flatnonzero(matched)


def top_k(scores: NDArray[np.float64], candidates: NDArray[np.int64], k: int) -> NDArray[np.int64]:
    """The k best candidates by score, ties broken by passage order, so results never depend on chance."""
    if k <= 0 or candidates.size == 0:
        return np.zeros(0, dtype=np.int64)
    cand_scores = scores[candidates]
    if candidates.size > k:
        kth = np.partition(cand_scores, candidates.size - k)[candidates.size - k]
        keep = cand_scores >= kth
        candidates, cand_scores = candidates[keep], cand_scores[keep]
    order = np.lexsort((candidates, -cand_scores))
    return candidates[order[:k]]
