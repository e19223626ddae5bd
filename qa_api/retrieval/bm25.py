"""Okapi BM25 as small pure functions over arrays, with the exact definitions of ``rank_bm25.BM25Okapi``.

The index stores, for every term, its postings (passage numbers, ascending) and the term's full BM25
contribution to each of those passages, precomputed in float64:

    w(t, d) = idf(t) * tf * (k1 + 1) / (tf + k1 * (1 - b + b * |d| / avgdl))
    idf(t)  = log(N - df + 0.5) - log(df + 0.5), or epsilon * mean(idf) where that is negative

A query's score for a passage is then the sum of w over the query's terms (repeated terms count again).
``ranked`` finds the best k with MaxScore pruning over those postings (exact, and with each term's largest
weight kept beside its postings), so a query costs a fraction of its terms' postings, never the corpus size;
``accumulate`` + ``top_k`` score every matching passage and stay the plain reference for both.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import kernels

BUILD_CHUNK = 65536  # passages per compiled call, so a progress bar moves during long builds
DENSE_FRACTION = 16  # a term in at least 1/16 of the passages also keeps a bitset of them (for ``total``)


@dataclass(frozen=True, slots=True)
class BM25Params:
    k1: float = 1.5
    b: float = 0.75
    epsilon: float = 0.25


@dataclass(frozen=True, slots=True)
class Postings:
    """Term-major compressed sparse weights: term t's postings are ``docs/weights[indptr[t]:indptr[t+1]]``.

    Term t's postings also come in blocks of ``kernels.BLOCK`` (``block_ptr[t]:block_ptr[t+1]``), each with its
    last passage and largest weight, so search can bound what a term adds to a range of passages. Frequent
    terms also keep their passages as a bitset, row ``bitset_row[t]`` of ``bitsets`` (-1 for none), so
    counting the passages a query matches costs little even when it has a word from every other passage.
    """

    indptr: NDArray[np.int64]
    docs: NDArray[np.int32]
    weights: NDArray[np.float64]
    idf: NDArray[np.float64]
    doc_len: NDArray[np.int32]
    block_ptr: NDArray[np.int64]
    block_last: NDArray[np.int32]
    block_max: NDArray[np.float64]
    bitset_row: NDArray[np.int32]
    bitsets: NDArray[np.uint64]

    @property
    def n_docs(self) -> int:
        return int(self.doc_len.shape[0])

    @property
    def n_terms(self) -> int:
        return int(self.idf.shape[0])

    def term_postings(self, term_id: int) -> tuple[NDArray[np.int32], NDArray[np.float64]]:
        lo, hi = int(self.indptr[term_id]), int(self.indptr[term_id + 1])
        return self.docs[lo:hi], self.weights[lo:hi]


@dataclass(frozen=True, slots=True)
class Ranked:
    """The best passages for a query, best first, with their scores and how many passages matched at all."""

    rows: NDArray[np.int64]
    scores: NDArray[np.float64]
    total: int


def okapi_idf(df: NDArray[np.int64], n_docs: int, epsilon: float) -> NDArray[np.float64]:
    """BM25Okapi's IDF per term, with rank-bm25's floor for terms in more than half the passages."""
    if df.size == 0:
        return np.zeros(0, dtype=np.float64)
    idf = np.log(n_docs - df + 0.5) - np.log(df + 0.5)
    floor = epsilon * (idf.sum() / idf.size)
    floored: NDArray[np.float64] = np.where(idf < 0, floor, idf)
    return floored


def build_postings(term_ids: NDArray[np.integer], doc_len: NDArray[np.integer], n_terms: int,
                   params: BM25Params, progress: Callable[[int], None] | None = None) -> Postings:
    """Postings from every passage's term ids laid end to end (``doc_len[i]`` of them for passage i).

    A two-pass counting sort (document frequencies, then placement), compiled: linear in the number of
    tokens. ``progress`` is called with the passages done after each chunk of each pass (2 x N in all).
    """
    term_ids = np.ascontiguousarray(term_ids, dtype=np.int32 if n_terms < 2**31 else np.int64)
    lengths: NDArray[np.int64] = np.asarray(doc_len, dtype=np.int64)
    n_docs = int(lengths.shape[0])
    starts = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    last = np.full(n_terms, -1, dtype=np.int64)
    df = np.zeros(n_terms, dtype=np.int64)
    for first, stop in _chunks(n_docs, progress):
        kernels.count_df(term_ids, starts, first, stop, last, df)
    indptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(df, out=indptr[1:])
    docs = np.empty(int(indptr[-1]), dtype=np.int32)
    tf = np.empty(int(indptr[-1]), dtype=np.int32)
    last.fill(-1)
    slot = np.zeros(n_terms, dtype=np.int64)
    fill = indptr[:-1].copy()
    for first, stop in _chunks(n_docs, progress):
        kernels.fill_postings(term_ids, starts, first, stop, last, slot, fill, docs, tf)
    idf = okapi_idf(df, n_docs, params.epsilon)
    weights = _all_weights(tf, docs, df, indptr, idf, lengths, params)
    return Postings(indptr, docs, weights, idf, lengths.astype(np.int32), *_blocks(indptr, docs, weights),
                    *_bitsets(indptr, docs, df, n_docs))


def _blocks(indptr: NDArray[np.int64], docs: NDArray[np.int32],
            weights: NDArray[np.float64]) -> tuple[NDArray[np.int64], NDArray[np.int32], NDArray[np.float64]]:
    block_ptr = np.zeros(indptr.shape[0], dtype=np.int64)
    np.cumsum(-(-np.diff(indptr) // kernels.BLOCK), out=block_ptr[1:])
    block_last = np.empty(int(block_ptr[-1]), dtype=np.int32)
    block_max = np.empty(int(block_ptr[-1]), dtype=np.float64)
    kernels.block_bounds(indptr, docs, weights, block_ptr, block_last, block_max)
    return block_ptr, block_last, block_max


def _chunks(n_docs: int, progress: Callable[[int], None] | None) -> Iterator[tuple[int, int]]:
    for first in range(0, n_docs, BUILD_CHUNK):
        stop = min(first + BUILD_CHUNK, n_docs)
        yield first, stop
        if progress:
            progress(stop - first)


def _all_weights(tf: NDArray[np.int32], docs: NDArray[np.int32], df: NDArray[np.int64], indptr: NDArray[np.int64],
                 idf: NDArray[np.float64], doc_len: NDArray[np.int64], params: BM25Params) -> NDArray[np.float64]:
    """``term_weights`` over every posting, a block of terms at a time to bound the temporaries."""
    weights = np.empty(tf.shape[0], dtype=np.float64)
    n_docs = doc_len.shape[0]
    avgdl = doc_len.sum() / n_docs if n_docs else 1.0
    t = 0
    while t < df.shape[0]:
        stop = int(np.searchsorted(indptr, indptr[t] + (1 << 22), side="right")) - 1
        stop = max(stop, t + 1)
        lo, hi = int(indptr[t]), int(indptr[stop])
        weights[lo:hi] = term_weights(tf[lo:hi], doc_len[docs[lo:hi]], np.repeat(idf[t:stop], df[t:stop]), avgdl,
                                      params)
        t = stop
    return weights


def _bitsets(indptr: NDArray[np.int64], docs: NDArray[np.int32], df: NDArray[np.int64],
             n_docs: int) -> tuple[NDArray[np.int32], NDArray[np.uint64]]:
    dense = np.flatnonzero(df * DENSE_FRACTION >= max(n_docs, 1)).astype(np.int64)
    rows = np.full(df.shape[0], -1, dtype=np.int32)
    rows[dense] = np.arange(dense.shape[0], dtype=np.int32)
    return rows, kernels.fill_bitsets(indptr, docs, dense, (n_docs + 63) // 64)


def term_weights(tf: NDArray[np.integer], dl: NDArray[np.integer], idf: NDArray[np.float64], avgdl: float,
                 params: BM25Params) -> NDArray[np.float64]:
    """w(t, d), with the operations in rank-bm25's order so the floats agree to the last bits."""
    k1, b = params.k1, params.b
    weights: NDArray[np.float64] = idf * (tf * (k1 + 1) / (tf + k1 * (1 - b + b * dl / avgdl)))
    return weights


def ranked(postings: Postings, query_terms: dict[int, float], k: int,
           allowed: NDArray[np.uint64] | None = None) -> Ranked:
    """The k best passages for ``{term id: weight}`` (a term's BM25 counts ``weight`` times: its times in the
    query, or a fraction for a related word), as ``top_k(*accumulate(...))`` would rank them.

    ``allowed`` is an optional bitset of passages (see ``passage_bitset``) that results must come from.
    """
    terms = np.fromiter(query_terms, dtype=np.int64, count=len(query_terms))
    counts = np.fromiter(query_terms.values(), dtype=np.float64, count=len(query_terms))
    (mask,) = _readonly(allowed if allowed is not None else np.zeros(0, dtype=np.uint64))
    p = postings
    total = kernels.count_matched(*_readonly(p.indptr, p.docs, p.bitset_row, p.bitsets), terms, p.n_docs, mask)
    if k <= 0 or total == 0:
        return Ranked(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64), total)
    if (p.idf[terms] < 0).any():  # only a negative epsilon floor does this; pruning needs weights >= 0
        return _ranked_exhaustively(p, query_terms, k, allowed, total)
    rows, scores = kernels.top_k_block_max(
        *_readonly(p.indptr, p.docs, p.weights, p.block_ptr, p.block_last, p.block_max), terms, counts, k,
        p.n_docs, mask)
    return Ranked(rows, scores, total)


def _ranked_exhaustively(postings: Postings, query_terms: dict[int, float], k: int,
                         allowed: NDArray[np.uint64] | None, total: int) -> Ranked:
    scores, candidates = accumulate(postings, query_terms)
    if allowed is not None:
        bits = np.unpackbits(allowed.view(np.uint8), bitorder="little")
        candidates = candidates[bits[candidates].astype(bool)]
    rows = top_k(scores, candidates, k)
    return Ranked(rows, scores[rows], total)


def passage_bitset(n_docs: int, ranges: list[tuple[int, int]]) -> NDArray[np.uint64]:
    """A bitset of the passages in the half-open ``ranges``, as ``ranked`` takes it."""
    mask = np.zeros(((n_docs + 63) // 64) * 64, dtype=bool)
    for lo, hi in ranges:
        mask[lo:hi] = True
    return np.packbits(mask, bitorder="little").view(np.uint64)


def _readonly(*arrays: NDArray[Any]) -> tuple[NDArray[Any], ...]:
    """Read-only views, so in-memory and memory-mapped indexes share one compiled kernel signature."""
    views = []
    for a in arrays:
        v = a.view(np.ndarray)
        v.flags.writeable = False
        views.append(v)
    return tuple(views)


def warm_up() -> None:
    """Load (or compile) the search kernels now, not on a user's first query. Only search runs: serving
    processes never build, so they need not load the build kernels."""
    postings = Postings(np.array([0, 1, 2], dtype=np.int64), np.array([0, 0], dtype=np.int32), np.ones(2), np.ones(2),
                        np.ones(1, dtype=np.int32), np.array([0, 1, 2], dtype=np.int64),
                        np.zeros(2, dtype=np.int32), np.ones(2), np.array([0, -1], dtype=np.int32),
                        np.ones((1, 1), dtype=np.uint64))
    ranked(postings, {0: 1, 1: 1}, 1)
    ranked(postings, {1: 2}, 1, passage_bitset(1, [(0, 1)]))


def accumulate(postings: Postings, query_terms: dict[int, float]) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Scores of every passage for ``{term id: weight}``, and the passages that matched any term."""
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
