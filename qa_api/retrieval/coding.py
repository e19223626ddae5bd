"""The postings' block format, compiled: how a term's postings are coded at build time and read back.

A term's postings come in blocks of ``BLOCK``. A block keeps its first passage, its last passage, its
largest weight, its largest tf and shortest passage, and the bit widths of what follows: the gaps between
its passages (minus one), bit-packed at the smallest width that holds the largest, then the term
frequencies (minus one) at the smallest power-of-two width that holds the largest, so that one never
straddles two 64-bit words. Readers decode a block's passages into a buffer when they need one, read a
frequency straight from its bits, and compute the weight from it, the passage's length and the term's IDF.

The arrays travel in two tuples: ``pa`` (the coded postings and their passages' lengths, see
``bm25.Postings``) and ``sa`` (how they are scored, see ``bm25.Scoring``: IDF per term, an upper bound of the
weights in each block, a table of tf (k1 + 1) / (tf + norm) by tf and passage length, and k1, b, 1 - b,
avgdl and k1 + 1), so postings can be scored under statistics other than the ones they were built with.

Numba compiles each function on first use and caches the machine code beside this file (or in
``NUMBA_CACHE_DIR``), so only the first process after an install pays the compile. Callers hand in
read-only arrays for the readers, so a memory-mapped index and one built in memory share one compiled
signature.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numba
import numpy as np

BLOCK = 64  # postings per block: the unit of coding, skipping and block-max bounds
SHIFT = 6  # log2(BLOCK)
TABLE_TF = 16  # the weight table covers tf < 16 ...
TABLE_LEN_SHIFT = 10  # ... and passage lengths < 1024 (anything else is computed directly)
U1 = np.uint64(1)
U63 = np.uint64(63)


def compiled(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Compile with numba; typed loosely, as numba dispatches on the array types it is given.

    NumPy's error model: no divisor here can be zero, and without Python's zero-division checks LLVM
    keeps the loops simple. Float operations are never reordered or fused (no fastmath), so each weight
    is the same float64 that rank-bm25 computes.
    """
    try:
        return cast(Callable[..., Any], numba.njit(cache=True, nogil=True, error_model="numpy")(fn))
    except RuntimeError:  # no writable cache directory (a read-only install): compile in memory on first use
        return cast(Callable[..., Any], numba.njit(nogil=True, error_model="numpy")(fn))


# --- writing (the build) ---

@compiled
def count_df(term_ids: Any, starts: Any, first: int, stop: int, last: Any, df: Any) -> None:
    """Add to ``df`` the number of passages in [first, stop) that contain each term."""
    for d in range(first, stop):
        for p in range(starts[d], starts[d + 1]):
            t = term_ids[p]
            if last[t] != d:
                last[t] = d
                df[t] += 1


@compiled
def fill_postings(term_ids: Any, starts: Any, first: int, stop: int, last: Any, slot: Any, fill: Any,
                  docs: Any, tf: Any) -> None:
    """Place passages [first, stop) in their terms' postings (ascending, since passages come in order)."""
    for d in range(first, stop):
        for p in range(starts[d], starts[d + 1]):
            t = term_ids[p]
            if last[t] != d:
                last[t] = d
                s = fill[t]
                fill[t] = s + 1
                slot[t] = s
                docs[s] = d
                tf[s] = 1
            else:
                tf[slot[t]] += 1


@compiled
def width_of(value: int) -> int:
    """Bits needed for a non-negative value (0 for 0)."""
    bits = 0
    while value > 0:
        bits += 1
        value >>= 1
    return bits


@compiled
def pow2_width_of(value: int) -> int:
    """The smallest of 0, 1, 2, 4, 8, 16, 32 bits that holds a non-negative value: a frequency packed at such
    a width never straddles two words, so reading one takes a shift and a mask."""
    bits = width_of(value)
    width = 0 if bits == 0 else 1
    while width < bits:
        width *= 2
    return width


@compiled
def words_for(n: int, width: int) -> int:
    return (n * width + 63) >> 6


@compiled
def block_layout(indptr: Any, docs: Any, tf: Any, doc_len: Any, sa: Any, block_ptr: Any, block_first: Any,
                 block_last: Any, block_max: Any, block_max_tf: Any, block_min_len: Any, gap_bits: Any,
                 tf_bits: Any, block_words: Any) -> None:
    """Per block: first and last passage, largest weight, largest tf and shortest passage (both clamped so
    they stay bounds), bit widths, and (in ``block_words[q + 1]``) how many 64-bit words it packs into."""
    for t in range(indptr.shape[0] - 1):
        lo, hi = indptr[t], indptr[t + 1]
        q = block_ptr[t]
        for start in range(lo, hi, BLOCK):
            stop = min(start + BLOCK, hi)
            best = weight(sa, sa[0][t], tf[start], doc_len[docs[start]])
            max_gap = 0
            max_tf = tf[start]
            min_len = doc_len[docs[start]]
            for p in range(start + 1, stop):
                w = weight(sa, sa[0][t], tf[p], doc_len[docs[p]])
                if w > best:
                    best = w
                max_gap = max(max_gap, docs[p] - docs[p - 1] - 1)
                max_tf = max(max_tf, tf[p])
                min_len = min(min_len, doc_len[docs[p]])
            n = stop - start
            block_first[q] = docs[start]
            block_last[q] = docs[stop - 1]
            block_max[q] = best
            block_max_tf[q] = min(max_tf, 255)  # 255: "255 or more", read as unbounded
            block_min_len[q] = min(min_len, 65535)  # a shorter length than the real one still bounds
            gap_bits[q] = width_of(max_gap)
            tf_bits[q] = pow2_width_of(max_tf - 1)
            block_words[q + 1] = words_for(n - 1, gap_bits[q]) + words_for(n, tf_bits[q])
            q += 1


@compiled
def pack_blocks(indptr: Any, docs: Any, tf: Any, block_ptr: Any, gap_bits: Any, tf_bits: Any,
                block_words: Any, packed: Any) -> None:
    """Write every block's gaps (minus one) and frequencies (minus one), bit-packed, where ``block_words``
    says. ``packed`` must be zeroed."""
    for t in range(indptr.shape[0] - 1):
        lo, hi = indptr[t], indptr[t + 1]
        q = block_ptr[t]
        for start in range(lo, hi, BLOCK):
            stop = min(start + BLOCK, hi)
            word = block_words[q]
            gb, tb = np.int64(gap_bits[q]), np.int64(tf_bits[q])
            for i in range(1, stop - start):
                put(packed, word, (i - 1) * gb, gb, docs[start + i] - docs[start + i - 1] - 1)
            word += words_for(stop - start - 1, gb)
            for i in range(stop - start):
                put(packed, word, i * tb, tb, tf[start + i] - 1)
            q += 1


@compiled
def put(packed: Any, word: int, bit: int, width: int, value: int) -> None:
    if width == 0:
        return
    v = np.uint64(value)
    w = word + (bit >> 6)
    off = bit & 63
    packed[w] |= v << np.uint64(off)
    if off + width > 64:
        packed[w + 1] |= v >> np.uint64(64 - off)


@compiled
def fill_bitsets(indptr: Any, docs: Any, terms: Any, words: int) -> Any:
    out = np.zeros((terms.shape[0], words), dtype=np.uint64)
    for r in range(terms.shape[0]):
        t = terms[r]
        for p in range(indptr[t], indptr[t + 1]):
            d = np.uint64(docs[p])
            out[r, d >> np.uint64(6)] |= U1 << (d & U63)
    return out


# --- reading ---

@compiled
def weight(sa: Any, idf_t: float, tf: int, dl: int) -> Any:
    """w(t, d) = idf * (tf * (k1 + 1) / (tf + k1 * (1 - b + b * |d| / avgdl))), rank-bm25's operations in
    rank-bm25's order. The parenthesis comes from the table ``sa[2]`` (filled by the same operations) when
    tf and the length are small, which is almost always: the same float64 without a division."""
    if tf < TABLE_TF and dl < (1 << TABLE_LEN_SHIFT):
        return idf_t * sa[2][(tf << TABLE_LEN_SHIFT) + dl]
    k1, b, one_minus_b, avgdl, k1p1 = sa[3][0], sa[3][1], sa[3][2], sa[3][3], sa[3][4]
    return idf_t * (tf * k1p1 / (tf + k1 * (one_minus_b + b * dl / avgdl)))


@compiled
def tf_at(packed: Any, word: int, i: int, width: int) -> Any:
    """Posting i's term frequency, from those packed (minus one) at ``width`` bits, a power of two, from
    ``packed[word]`` on."""
    if width == 0:
        return 1
    bit = i * width
    v = packed[word + (bit >> 6)] >> np.uint64(bit & 63)
    return np.int64(v & ((U1 << np.uint64(width)) - U1)) + 1


@compiled
def decode_docs(pa: Any, q: int, n: int, out: Any, at: int) -> None:
    """Block q's ``n`` passages into ``out[at:at + n]``: its first passage, then the unpacked gaps added up."""
    block_first, block_words, gap_bits, packed = pa[2], pa[4], pa[5], pa[7]
    d: Any = np.int64(block_first[q])
    out[at] = d
    width = np.int64(gap_bits[q])
    if width == 0:
        for i in range(1, n):
            d += 1
            out[at + i] = d
        return
    word = np.uint64(block_words[q])
    mask = (U1 << np.uint64(width)) - U1
    bit: Any = 0
    for i in range(1, n):
        w = word + np.uint64(bit >> 6)
        off = bit & 63
        v = packed[w] >> np.uint64(off)
        if off + width > 64:
            v |= packed[w + U1] << np.uint64(64 - off)
        d += np.int64(v & mask) + 1
        out[np.uint64(at + i)] = d
        bit += width


@compiled
def tf_word(pa: Any, q: int, n: int) -> Any:
    """Where block q's frequencies start (after its ``n - 1`` gaps)."""
    return pa[4][q] + words_for(n - 1, np.int64(pa[5][q]))


@compiled
def decode_term(pa: Any, t: int) -> tuple[Any, Any]:
    """Term t's postings: its passages (ascending) and their term frequencies."""
    indptr, block_ptr, tf_bits, packed = pa[0], pa[1], pa[6], pa[7]
    lo, hi = indptr[t], indptr[t + 1]
    docs = np.empty(hi - lo, dtype=np.int64)
    tf = np.empty(hi - lo, dtype=np.int64)
    for q in range(block_ptr[t], block_ptr[t + 1]):
        at = (q - block_ptr[t]) << SHIFT
        n = min(BLOCK, hi - lo - at)
        decode_docs(pa, q, n, docs, at)
        word, width = tf_word(pa, q, n), np.int64(tf_bits[q])
        for i in range(n):
            tf[at + i] = tf_at(packed, word, i, width)
    return docs, tf


@compiled
def score_rows(pa: Any, sa: Any, terms: Any, rows: Any) -> Any:
    """``out[i, r]``: term ``terms[i]``'s weight in passage ``rows[r]`` (0 where it does not occur)."""
    indptr, block_ptr, block_first, block_last = pa[0], pa[1], pa[2], pa[3]
    tf_bits, packed, doc_len = pa[6], pa[7], pa[8]
    idf = sa[0]
    out = np.zeros((terms.shape[0], rows.shape[0]), dtype=np.float64)
    docs = np.empty(BLOCK, dtype=np.int64)
    for i in range(terms.shape[0]):
        t = terms[i]
        q0, q1 = block_ptr[t], block_ptr[t + 1]
        decoded = -1
        for r in range(rows.shape[0]):
            d = rows[r]
            q = q0 + np.searchsorted(block_last[q0:q1], d)
            if q >= q1 or block_first[q] > d:
                continue
            n = min(BLOCK, indptr[t + 1] - indptr[t] - ((q - q0) << SHIFT))
            if q != decoded:
                decode_docs(pa, q, n, docs, 0)
                decoded = q
            x = np.searchsorted(docs[:n], d)
            if x < n and docs[x] == d:
                tf = tf_at(packed, tf_word(pa, q, n), x, np.int64(tf_bits[q]))
                out[i, r] = weight(sa, idf[t], tf, doc_len[d])
    return out


