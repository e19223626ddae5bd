"""Okapi BM25 as small pure functions over arrays, with the exact definitions of ``rank_bm25.BM25Okapi``.

The index stores, for every term, its postings (passage numbers, ascending, with the term's frequency in
each), coded in blocks of ``coding.BLOCK``: bit-packed doc-id gaps and frequencies. A weight is computed
when it is needed, in float64 and in rank-bm25's operation order, so it equals rank-bm25's to the last bit:

    w(t, d) = idf(t) * (tf * (k1 + 1) / (tf + norm(d))),   norm(d) = k1 * (1 - b + b * |d| / avgdl)
    idf(t)  = log(N - df + 0.5) - log(df + 0.5), or epsilon * mean(idf) where that is negative

A query's score for a passage is the sum over the query's terms of w times the term's weight in the query
(its count, or a fraction for a weighted term such as an alias). ``ranked`` finds the best k with block-max
MaxScore (exact); ``score_rows`` scores given passages for given terms; ``accumulate`` + ``top_k`` score every
matching passage and stay the plain reference for both.

Weights come from a ``Scoring``: the statistics (IDF, average length; see ``Statistics``) and an upper bound
of the weights in each block. An index's own scoring keeps each block's exact largest weight, computed at
build time. Every block also keeps its largest tf and its shortest passage, so ``Scoring.under`` can bound it
under any other statistics (as a segment of a larger corpus will be scored) in one vectorized pass.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from numpy.typing import NDArray

from . import coding, kernels

BUILD_CHUNK = 65536  # passages per compiled call, so a progress bar moves during long builds
DENSE_FRACTION = 16  # a term in at least 1/16 of the passages also keeps a bitset of them (for ``total``)
TF_SATURATED = 255  # a block's largest tf as stored: 255 means "255 or more"


@dataclass(frozen=True, slots=True)
class BM25Params:
    k1: float = 1.5
    b: float = 0.75
    epsilon: float = 0.25

    def as_dict(self) -> dict[str, float]:
        """As a manifest or a collection's meta record names them."""
        return {"k1": self.k1, "b": self.b, "epsilon": self.epsilon}


@dataclass(frozen=True, slots=True, eq=False)
class Statistics:
    """The corpus-wide figures a weight is computed from: the IDF of each term and the mean passage length."""

    params: BM25Params
    idf: NDArray[np.float64]  # per term id of the postings scored
    avgdl: float

    @classmethod
    def of(cls, params: BM25Params, df: NDArray[np.int64], n_docs: int, avgdl: float) -> Statistics:
        """For a corpus of ``n_docs`` passages of mean length ``avgdl``, with document frequencies ``df``."""
        return cls(params, okapi_idf(df, n_docs, params.epsilon), avgdl)


@dataclass(frozen=True, slots=True, eq=False)
class Scoring:
    """Statistics and, per block of the postings scored, an upper bound of its weights under them.

    ``arrays`` is what the kernels take: the IDFs, the bounds, a table of tf * (k1 + 1) / (tf + norm) for
    small tf and passage lengths (filled by ``term_weights``' own operations, so a weight read from it is
    the float64 rank-bm25 computes), and k1, b, 1 - b, avgdl, k1 + 1 for the rest.
    """

    stats: Statistics
    bounds: NDArray[np.float64]
    arrays: tuple[Any, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        s, p = self.stats, self.stats.params
        tf = np.arange(coding.TABLE_TF)[:, None]
        norm = length_norms(np.arange(1 << coding.TABLE_LEN_SHIFT), s.avgdl, p)[None, :]
        table = term_weights(tf, norm, 1.0, p).ravel()  # idf * x with idf = 1.0 is x itself
        constants = np.array([p.k1, p.b, 1 - p.b, s.avgdl, p.k1 + 1], dtype=np.float64)
        object.__setattr__(self, "arrays", _readonly(s.idf, self.bounds, table, constants))

    @classmethod
    def under(cls, postings: Postings, stats: Statistics) -> Scoring:
        """Bounds valid under ``stats``: a block's weight at its largest tf and shortest passage (a weight
        grows with tf and shrinks with length, and every floating-point step is monotone, so it bounds)."""
        p, k1 = stats.params, stats.params.k1
        term = np.repeat(np.arange(postings.n_terms), np.diff(postings.block_ptr))
        tf = postings.block_max_tf.astype(np.float64)
        norm = length_norms(postings.block_min_len, stats.avgdl, p)
        bounds = term_weights(tf, norm, stats.idf[term], p)
        saturated = postings.block_max_tf >= TF_SATURATED  # tf unbounded: the weight's limit, k1 + 1, rounded up
        bounds[saturated] = stats.idf[term[saturated]] * np.nextafter(k1 + 1, np.inf)
        return cls(stats, bounds)


@dataclass(frozen=True, slots=True, eq=False)
class Postings:
    """Term-major coded postings: term t's are positions ``indptr[t]:indptr[t+1]``, in blocks
    ``block_ptr[t]:block_ptr[t+1]``; block q's bits start at word ``block_words[q]`` of ``packed``.

    Frequent terms also keep their passages as a bitset, row ``bitset_row[t]`` of ``bitsets`` (-1 for none),
    so counting the passages a query matches costs little even when it has a word from every other passage.
    """

    params: BM25Params
    indptr: NDArray[np.int64]
    doc_len: NDArray[np.int32]
    block_ptr: NDArray[np.int64]
    block_first: NDArray[np.int32]
    block_last: NDArray[np.int32]
    block_max: NDArray[np.float64]  # exact, under the postings' own statistics
    block_max_tf: NDArray[np.uint8]
    block_min_len: NDArray[np.uint16]
    block_words: NDArray[np.int64]
    gap_bits: NDArray[np.uint8]
    tf_bits: NDArray[np.uint8]
    packed: NDArray[np.uint64]
    bitset_row: NDArray[np.int32]
    bitsets: NDArray[np.uint64]
    own: Scoring = field(init=False, repr=False)
    arrays: tuple[Any, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        stats = Statistics.of(self.params, np.diff(self.indptr), self.n_docs, mean_length(self.doc_len))
        object.__setattr__(self, "own", Scoring(stats, self.block_max))
        object.__setattr__(self, "arrays", _readonly(self.indptr, self.block_ptr, self.block_first, self.block_last,
                                                     self.block_words, self.gap_bits, self.tf_bits, self.packed,
                                                     self.doc_len))

    @property
    def n_docs(self) -> int:
        return int(self.doc_len.shape[0])

    @property
    def n_terms(self) -> int:
        return int(self.indptr.shape[0]) - 1

    @property
    def n_postings(self) -> int:
        return int(self.indptr[-1])

    @property
    def idf(self) -> NDArray[np.float64]:
        return self.own.stats.idf

    def term_postings(self, term_id: int, scoring: Scoring | None = None
                      ) -> tuple[NDArray[np.int64], NDArray[np.float64]]:
        """Term ``term_id``'s passages (ascending) and its weight in each."""
        stats = (scoring or self.own).stats
        docs, tf = coding.decode_term(self.arrays, term_id)
        norm = length_norms(self.doc_len[docs], stats.avgdl, stats.params)
        return docs, term_weights(tf, norm, stats.idf[term_id], stats.params)


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


def mean_length(doc_len: NDArray[np.integer]) -> float:
    """avgdl as rank-bm25 computes it: the total length over the number of passages."""
    return float(doc_len.astype(np.int64).sum() / doc_len.shape[0]) if doc_len.shape[0] else 1.0


def length_norms(doc_len: NDArray[np.integer], avgdl: float, params: BM25Params) -> NDArray[np.float64]:
    """k1 * (1 - b + b * |d| / avgdl) per passage, as rank-bm25 computes it inside each weight."""
    k1, b = params.k1, params.b
    norm = k1 * (1 - b + b * doc_len.astype(np.int64) / avgdl)
    return norm.astype(np.float64, copy=False)


def term_weights(tf: NDArray[Any], norm: NDArray[np.float64], idf: Any, params: BM25Params) -> NDArray[np.float64]:
    """w(t, d), with the operations in rank-bm25's order so the floats agree to the last bits."""
    weights: NDArray[np.float64] = idf * (tf * (params.k1 + 1) / (tf + norm))
    return weights


def build_postings(term_ids: NDArray[np.integer], doc_len: NDArray[np.integer], n_terms: int,
                   params: BM25Params, progress: Callable[[int], None] | None = None) -> Postings:
    """Postings from every passage's term ids laid end to end (``doc_len[i]`` of them for passage i).

    A two-pass counting sort (document frequencies, then placement), compiled: linear in the number of
    tokens; then each term's postings are coded in blocks. ``progress`` is called with the passages done
    after each chunk of each pass (2 x N in all).
    """
    term_ids = np.ascontiguousarray(term_ids, dtype=np.int32 if n_terms < 2**31 else np.int64)
    lengths: NDArray[np.int64] = np.asarray(doc_len, dtype=np.int64)
    n_docs = int(lengths.shape[0])
    starts = np.zeros(n_docs + 1, dtype=np.int64)
    np.cumsum(lengths, out=starts[1:])
    last = np.full(n_terms, -1, dtype=np.int64)
    df = np.zeros(n_terms, dtype=np.int64)
    for first, stop in _chunks(n_docs, progress):
        coding.count_df(term_ids, starts, first, stop, last, df)
    indptr = np.zeros(n_terms + 1, dtype=np.int64)
    np.cumsum(df, out=indptr[1:])
    docs = np.empty(int(indptr[-1]), dtype=np.int32)
    tf = np.empty(int(indptr[-1]), dtype=np.int32)
    last.fill(-1)
    slot = np.zeros(n_terms, dtype=np.int64)
    fill = indptr[:-1].copy()
    for first, stop in _chunks(n_docs, progress):
        coding.fill_postings(term_ids, starts, first, stop, last, slot, fill, docs, tf)
    del term_ids, last, slot, fill
    return _coded(params, indptr, docs, tf, lengths.astype(np.int32))


def _coded(params: BM25Params, indptr: NDArray[np.int64], docs: NDArray[np.int32], tf: NDArray[np.int32],
           doc_len: NDArray[np.int32]) -> Postings:
    n_docs = int(doc_len.shape[0])
    df = np.diff(indptr)
    own = Scoring(Statistics.of(params, df, n_docs, mean_length(doc_len)), np.zeros(0))
    block_ptr = np.zeros(indptr.shape[0], dtype=np.int64)
    np.cumsum(-(-df // coding.BLOCK), out=block_ptr[1:])
    n_blocks = int(block_ptr[-1])
    first, last = np.empty(n_blocks, dtype=np.int32), np.empty(n_blocks, dtype=np.int32)
    block_max = np.empty(n_blocks, dtype=np.float64)
    max_tf, min_len = np.empty(n_blocks, dtype=np.uint8), np.empty(n_blocks, dtype=np.uint16)
    gap_bits, tf_bits = np.empty(n_blocks, dtype=np.uint8), np.empty(n_blocks, dtype=np.uint8)
    words = np.zeros(n_blocks + 1, dtype=np.int64)
    coding.block_layout(indptr, docs, tf, doc_len, own.arrays, block_ptr, first, last, block_max, max_tf, min_len,
                         gap_bits, tf_bits, words)
    np.cumsum(words, out=words)
    packed = np.zeros(int(words[-1]), dtype=np.uint64)
    coding.pack_blocks(indptr, docs, tf, block_ptr, gap_bits, tf_bits, words, packed)
    return Postings(params, indptr, doc_len, block_ptr, first, last, block_max, max_tf, min_len, words, gap_bits,
                    tf_bits, packed, *_bitsets(indptr, docs, df, n_docs))


def _chunks(n_docs: int, progress: Callable[[int], None] | None) -> Iterator[tuple[int, int]]:
    for first in range(0, n_docs, BUILD_CHUNK):
        stop = min(first + BUILD_CHUNK, n_docs)
        yield first, stop
        if progress:
            progress(stop - first)


def _bitsets(indptr: NDArray[np.int64], docs: NDArray[np.int32], df: NDArray[np.int64],
             n_docs: int) -> tuple[NDArray[np.int32], NDArray[np.uint64]]:
    dense = np.flatnonzero(df * DENSE_FRACTION >= max(n_docs, 1)).astype(np.int64)
    rows = np.full(df.shape[0], -1, dtype=np.int32)
    rows[dense] = np.arange(dense.shape[0], dtype=np.int32)
    return rows, coding.fill_bitsets(indptr, docs, dense, (n_docs + 63) // 64)


def ranked(postings: Postings, query_terms: Mapping[int, float], k: int,
           allowed: NDArray[np.uint64] | None = None, scoring: Scoring | None = None) -> Ranked:
    """The k best passages for ``{term id: weight in the query}``, as ``top_k(*accumulate(...))`` would rank
    them. A weight is a term's count in the query, or any fraction (an alias at 0.5); terms of weight 0 are
    left out, and a negative or non-finite weight is a ``ValueError``.

    ``allowed`` is an optional bitset of passages (see ``passage_bitset``) that results must come from.
    """
    query_terms = _checked(query_terms)
    terms = np.fromiter(query_terms, dtype=np.int64, count=len(query_terms))
    weights = np.fromiter(query_terms.values(), dtype=np.float64, count=len(query_terms))
    (mask,) = _readonly(allowed if allowed is not None else np.zeros(0, dtype=np.uint64))
    p, scoring = postings, scoring or postings.own
    total = kernels.count_matched(p.arrays, *_readonly(p.bitset_row, p.bitsets), terms, p.n_docs, mask)
    if k <= 0 or total == 0:
        return Ranked(np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float64), total)
    if (scoring.stats.idf[terms] < 0).any():  # only a negative epsilon floor does this; pruning needs weights >= 0
        return _ranked_exhaustively(p, query_terms, k, allowed, total, scoring)
    rows, scores = kernels.top_k_block_max(p.arrays, scoring.arrays, terms, weights, k, p.n_docs, mask)
    return Ranked(rows, scores, total)


def score_rows(postings: Postings, terms: Sequence[int], rows: Sequence[int] | NDArray[np.integer],
               scoring: Scoring | None = None) -> NDArray[np.float64]:
    """Each term's weight in each passage: ``out[i, r]`` for ``terms[i]`` in ``rows[r]`` (0 where absent).

    Costs a block lookup per (term, passage), so it scores a fixed pool of passages cheaply; a passage's
    BM25 score is ``sum(weight_i * out[i, r])`` over the query's terms.
    """
    term_ids = np.asarray(terms, dtype=np.int64).reshape(-1)
    row_ids = np.asarray(rows, dtype=np.int64).reshape(-1)
    if row_ids.size and (row_ids.min() < 0 or row_ids.max() >= postings.n_docs):
        raise ValueError(f"passage rows must be in 0..{postings.n_docs - 1}")
    out: NDArray[np.float64] = coding.score_rows(postings.arrays, (scoring or postings.own).arrays, term_ids,
                                                  row_ids)
    return out


def _checked(query_terms: Mapping[int, float]) -> dict[int, float]:
    weights = np.fromiter(query_terms.values(), dtype=np.float64, count=len(query_terms))
    if not np.isfinite(weights).all() or (weights < 0).any():
        raise ValueError("query term weights must be finite and non-negative")
    return {t: w for t, w in query_terms.items() if w > 0}


def _ranked_exhaustively(postings: Postings, query_terms: Mapping[int, float], k: int,
                         allowed: NDArray[np.uint64] | None, total: int, scoring: Scoring) -> Ranked:
    scores, candidates = accumulate(postings, query_terms, scoring)
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
    processes never build, so they need not load the build kernels. Three passages of one word each:
    term 0 is in passage 0, term 1 in passage 1."""
    two = np.array([0, 1, 2], dtype=np.int64)
    rows = np.array([0, 1], dtype=np.int32)
    postings = Postings(BM25Params(), two, np.ones(3, dtype=np.int32), two, rows, rows, np.ones(2),
                        np.ones(2, dtype=np.uint8), np.ones(2, dtype=np.uint16), np.zeros(3, dtype=np.int64),
                        np.zeros(2, dtype=np.uint8), np.zeros(2, dtype=np.uint8), np.zeros(1, dtype=np.uint64),
                        np.array([0, -1], dtype=np.int32), np.ones((1, 1), dtype=np.uint64))
    ranked(postings, {0: 1, 1: 1}, 1)
    ranked(postings, {1: 0.5}, 1, passage_bitset(3, [(0, 2)]))
    score_rows(postings, [0, 1], [0, 1])


def accumulate(postings: Postings, query_terms: Mapping[int, float], scoring: Scoring | None = None
               ) -> tuple[NDArray[np.float64], NDArray[np.int64]]:
    """Scores of every passage for ``{term id: weight in the query}``, and the passages that matched any term."""
    scores = np.zeros(postings.n_docs, dtype=np.float64)
    matched = np.zeros(postings.n_docs, dtype=bool)
    for term_id, weight in query_terms.items():
        docs, weights = postings.term_postings(term_id, scoring)
        scores[docs] += weights * weight
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
