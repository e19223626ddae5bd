"""Compiled loops behind ``bm25``: the build's counting sort and block coding, and exact top-k search.

Postings are coded in blocks of ``BLOCK``: a block keeps its first passage, its last passage, its largest
weight and the bit widths of its packed doc-id gaps and term frequencies; the gaps (minus one) and the
frequencies (minus one) follow, each bit-packed at the smallest width that holds the block's largest value.
Search decodes a block's passages only when it needs one of them, into a small per-term buffer, reads a
frequency straight from its bits when it needs it, and computes each weight from the frequency, the
passage's length norm and the term's IDF as it goes.

The arrays travel in two tuples: ``pa`` (the coded postings and their passages' lengths, see
``bm25.Postings``) and ``sa`` (how they are scored, see ``bm25.Scoring``: IDF per term, an upper bound of the
weights in each block, a table of tf (k1 + 1) / (tf + norm) by tf and passage length, and k1, b, 1 - b,
avgdl and k1 + 1), so postings can be scored under statistics other than the ones they were built with.

Numba compiles each function on first use and caches the machine code beside this file (or in
``NUMBA_CACHE_DIR``), so only the first process after an install pays the compile. Callers hand in
read-only arrays for the search kernels, so a memory-mapped index and one built in memory share one
compiled signature.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, cast

import numba
import numpy as np

BLOCK = 64  # postings per block: the unit of coding, skipping and block-max bounds
_SHIFT = 6  # log2(BLOCK)
PROBE_COST = 8  # a search in a posting list costs about this many sequential postings
RANGE = 4096  # passages per range that search bounds, skips or sums as a whole
TABLE_TF = 16  # the weight table covers tf < 16 ...
TABLE_LEN_SHIFT = 10  # ... and passage lengths < 1024 (anything else is computed directly)
_DEBRUIJN = np.uint64(0x03F79D71B4CB0A89)
_DEBRUIJN_POS = np.array([0, 1, 48, 2, 57, 49, 28, 3, 61, 58, 50, 42, 38, 29, 17, 4, 62, 55, 59, 36, 53, 51, 43, 22,
                          45, 39, 33, 30, 24, 18, 12, 5, 63, 47, 56, 27, 60, 41, 37, 16, 54, 35, 52, 21, 44, 32, 23,
                          11, 46, 26, 40, 15, 34, 20, 31, 10, 25, 14, 19, 9, 13, 8, 7, 6], dtype=np.int64)
_U1 = np.uint64(1)
_U63 = np.uint64(63)
# Pruning compares a partial score plus an upper bound against the k-th best score. Both are sums of the
# same float64 weights added in different orders, so allow for rounding before skipping anything.
_SLACK = 1.0 + 1e-9


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


# --- build ---

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
def _width(value: int) -> int:
    """Bits needed for a non-negative value (0 for 0)."""
    bits = 0
    while value > 0:
        bits += 1
        value >>= 1
    return bits


@compiled
def _pow2_width(value: int) -> int:
    """The smallest of 0, 1, 2, 4, 8, 16, 32 bits that holds a non-negative value: a frequency packed at such
    a width never straddles two words, so reading one takes a shift and a mask."""
    bits = _width(value)
    width = 0 if bits == 0 else 1
    while width < bits:
        width *= 2
    return width


@compiled
def _words(n: int, width: int) -> int:
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
            best = _score(sa, sa[0][t], tf[start], doc_len[docs[start]])
            max_gap = 0
            max_tf = tf[start]
            min_len = doc_len[docs[start]]
            for p in range(start + 1, stop):
                w = _score(sa, sa[0][t], tf[p], doc_len[docs[p]])
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
            gap_bits[q] = _width(max_gap)
            tf_bits[q] = _pow2_width(max_tf - 1)
            block_words[q + 1] = _words(n - 1, gap_bits[q]) + _words(n, tf_bits[q])
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
                _put(packed, word, (i - 1) * gb, gb, docs[start + i] - docs[start + i - 1] - 1)
            word += _words(stop - start - 1, gb)
            for i in range(stop - start):
                _put(packed, word, i * tb, tb, tf[start + i] - 1)
            q += 1


@compiled
def _put(packed: Any, word: int, bit: int, width: int, value: int) -> None:
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
            out[r, d >> np.uint64(6)] |= _U1 << (d & _U63)
    return out


# --- decoding and weights ---

@compiled
def _score(sa: Any, idf_t: float, tf: int, dl: int) -> Any:
    """w(t, d) = idf * (tf * (k1 + 1) / (tf + k1 * (1 - b + b * |d| / avgdl))), rank-bm25's operations in
    rank-bm25's order. The parenthesis comes from the table ``sa[2]`` (filled by the same operations) when
    tf and the length are small, which is almost always: the same float64 without a division."""
    if tf < TABLE_TF and dl < (1 << TABLE_LEN_SHIFT):
        return idf_t * sa[2][(tf << TABLE_LEN_SHIFT) + dl]
    k1, b, one_minus_b, avgdl, k1p1 = sa[3][0], sa[3][1], sa[3][2], sa[3][3], sa[3][4]
    return idf_t * (tf * k1p1 / (tf + k1 * (one_minus_b + b * dl / avgdl)))


@compiled
def _tf(packed: Any, word: int, i: int, width: int) -> Any:
    """Posting i's term frequency, from those packed (minus one) at ``width`` bits, a power of two, from
    ``packed[word]`` on."""
    if width == 0:
        return 1
    bit = i * width
    v = packed[word + (bit >> 6)] >> np.uint64(bit & 63)
    return np.int64(v & ((_U1 << np.uint64(width)) - _U1)) + 1


@compiled
def _decode_docs(pa: Any, q: int, n: int, out: Any, at: int) -> None:
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
    mask = (_U1 << np.uint64(width)) - _U1
    bit: Any = 0
    for i in range(1, n):
        w = word + np.uint64(bit >> 6)
        off = bit & 63
        v = packed[w] >> np.uint64(off)
        if off + width > 64:
            v |= packed[w + _U1] << np.uint64(64 - off)
        d += np.int64(v & mask) + 1
        out[np.uint64(at + i)] = d
        bit += width


@compiled
def _tf_word(pa: Any, q: int, n: int) -> Any:
    """Where block q's frequencies start (after its ``n - 1`` gaps)."""
    return pa[4][q] + _words(n - 1, np.int64(pa[5][q]))


@compiled
def decode_term(pa: Any, t: int) -> tuple[Any, Any]:
    """Term t's postings: its passages (ascending) and their term frequencies."""
    indptr, block_ptr, tf_bits, packed = pa[0], pa[1], pa[6], pa[7]
    lo, hi = indptr[t], indptr[t + 1]
    docs = np.empty(hi - lo, dtype=np.int64)
    tf = np.empty(hi - lo, dtype=np.int64)
    for q in range(block_ptr[t], block_ptr[t + 1]):
        at = (q - block_ptr[t]) << _SHIFT
        n = min(BLOCK, hi - lo - at)
        _decode_docs(pa, q, n, docs, at)
        word, width = _tf_word(pa, q, n), np.int64(tf_bits[q])
        for i in range(n):
            tf[at + i] = _tf(packed, word, i, width)
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
            n = min(BLOCK, indptr[t + 1] - indptr[t] - ((q - q0) << _SHIFT))
            if q != decoded:
                _decode_docs(pa, q, n, docs, 0)
                decoded = q
            x = np.searchsorted(docs[:n], d)
            if x < n and docs[x] == d:
                tf = _tf(packed, _tf_word(pa, q, n), x, np.int64(tf_bits[q]))
                out[i, r] = _score(sa, idf[t], tf, doc_len[d])
    return out


# --- search ---

@compiled
def _popcount(x: Any) -> int:
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return int((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@compiled
def _lowest_bit(x: Any) -> Any:
    """The position of the lowest set bit of a non-zero uint64 (de Bruijn multiplication)."""
    return _DEBRUIJN_POS[((x & (~x + _U1)) * _DEBRUIJN) >> np.uint64(58)]


@compiled
def _allowed(allowed: Any, d: int) -> bool:
    if allowed.shape[0] == 0:
        return True
    u = np.uint64(d)
    return bool((allowed[u >> np.uint64(6)] >> (u & _U63)) & _U1)


@compiled
def count_matched(pa: Any, bitset_row: Any, bitsets: Any, terms: Any, n_docs: int, allowed: Any) -> int:
    """How many passages contain at least one of ``terms`` (and are allowed): a bitset union.

    Frequent terms keep a precomputed bitset, so their share costs n_docs/64 word ORs, not df bit sets.
    """
    indptr, block_ptr = pa[0], pa[1]
    words = (n_docs + 63) // 64
    bits = np.zeros(words, dtype=np.uint64)
    docs = np.empty(BLOCK, dtype=np.int64)
    for i in range(terms.shape[0]):
        t = terms[i]
        r = bitset_row[t]
        if r >= 0:
            for w in range(words):
                bits[w] |= bitsets[r, w]
            continue
        df = indptr[t + 1] - indptr[t]
        for q in range(block_ptr[t], block_ptr[t + 1]):
            n = min(BLOCK, df - ((q - block_ptr[t]) << _SHIFT))
            _decode_docs(pa, q, n, docs, 0)
            for x in range(n):
                d = np.uint64(docs[x])
                bits[d >> np.uint64(6)] |= _U1 << (d & _U63)
    total = 0
    for w in range(words):
        x = bits[w] & allowed[w] if allowed.shape[0] else bits[w]
        if x:
            total += _popcount(x)
    return total


@compiled
def _find(pa: Any, c: Any, j: int, pos: int, target: int, docs: Any, scratch: Any, move: bool) -> Any:
    """First position in [pos, hi) of query term j whose passage is >= target (hi if none): galloping over
    the blocks' last passages, then a binary search in the block.

    ``c[j]`` is term j's cursor: its first and end position, first and end block, and the block decoded in
    ``docs[j * BLOCK:]``. With ``move`` the block found becomes the decoded one; without, a block other than
    the decoded one is decoded into ``scratch``, so a look-ahead does not evict the block in use.
    """
    block_last = pa[3]
    lo, hi, q0, q1 = c[j, 0], c[j, 1], c[j, 2], c[j, 3]
    if pos >= hi:
        return pos
    q = q0 + ((pos - lo) >> _SHIFT)
    if block_last[q] < target:
        step = 1
        a = q
        while a + step < q1 and block_last[a + step] < target:
            a += step
            step *= 2
        b = min(a + step, q1)
        # invariant: block_last[a] < target, and block_last[b] >= target or b == q1
        while b - a > 1:
            m = (a + b) // 2
            if block_last[m] < target:
                a = m
            else:
                b = m
        if b >= q1:
            return hi
        q = b
        pos = lo + ((q - q0) << _SHIFT)
    base = lo + ((q - q0) << _SHIFT)
    n = min(BLOCK, hi - base)
    buf, at = docs, j << _SHIFT
    if c[j, 4] != q:
        if move:
            _decode_docs(pa, q, n, docs, at)
            c[j, 4] = q
        else:
            buf, at = scratch, 0
            _decode_docs(pa, q, n, scratch, 0)
    x, top = pos - base, n
    if buf[at + x] >= target:
        return pos
    # buf[x] < target <= buf[n - 1] (the block's last passage)
    while top - x > 1:
        m = (x + top) // 2
        if buf[at + m] < target:
            x = m
        else:
            top = m
    return base + top


@compiled
def _range_bound(pa: Any, bounds: Any, q: int, q_end: int, first: int, stop: int) -> tuple[int, float]:
    """A term's largest weight on passages [first, stop): the max of the blocks that overlap it.

    Returns the first block that can still matter (for the next range too) and the bound (0 if none).
    """
    block_first, block_last = pa[2], pa[3]
    while q < q_end and block_last[q] < first:
        q += 1
    best = 0.0
    r = q
    while r < q_end and block_first[r] < stop:
        if bounds[r] > best:
            best = bounds[r]
        r += 1
    return q, best


@compiled
def _add_range(pa: Any, sa: Any, c: Any, j: int, idf_t: float, pos: int, first: int, stop: int, count: float,
               acc: Any, seen: Any, docs: Any, essential: bool) -> int:
    """Add query term j's weights (times ``count``) for its postings from ``pos`` on below ``stop`` into
    ``acc``. An essential term marks its passages in ``seen`` (a bitset) and adds to all of them, the others
    only add to passages already seen. Returns the position of the first posting at or past ``stop``.

    The hot loop of search, so the weight and the frequency are read inline, and indices are unsigned:
    numba then does not check them for negative wraparound.
    """
    tf_bits, packed, doc_len = pa[6], pa[7], pa[8]
    table = sa[2]
    lo, hi, q0 = c[j, 0], c[j, 1], c[j, 2]
    at = j << _SHIFT
    while pos < hi:
        q = q0 + ((pos - lo) >> _SHIFT)
        base = lo + ((q - q0) << _SHIFT)
        n = min(BLOCK, hi - base)
        if c[j, 4] != q:
            _decode_docs(pa, q, n, docs, at)
            c[j, 4] = q
        x = pos - base
        end = n
        if docs[at + n - 1] >= stop:
            end = x
            while docs[at + end] < stop:
                end += 1
        width = np.int64(tf_bits[q])
        word = _tf_word(pa, q, n)
        mask = (_U1 << np.uint64(width)) - _U1
        for i in range(x, end):
            d = docs[np.uint64(at + i)]
            y = np.uint64(d - first)
            bit = _U1 << (y & _U63)
            if essential:
                seen[y >> np.uint64(6)] |= bit
            elif not seen[y >> np.uint64(6)] & bit:
                continue
            tf: Any = 1
            if width:
                b = i * width
                tf = np.int64((packed[np.uint64(word + (b >> 6))] >> np.uint64(b & 63)) & mask) + 1
            dl = doc_len[np.uint64(d)]
            if tf < TABLE_TF and dl < (1 << TABLE_LEN_SHIFT):
                wt = idf_t * table[np.uint64((tf << TABLE_LEN_SHIFT) + dl)]
            else:
                wt = _score(sa, idf_t, tf, dl)
            acc[y] += wt * count
        pos = base + end
        if end < n:
            break
    return pos


@compiled
def top_k_block_max(pa: Any, sa: Any, terms: Any, counts: Any, k: int, n_docs: int, allowed: Any,
                    range_size: int = RANGE) -> Any:
    """The k best passages for a query, exactly, best first (ties: lower passage number first).

    MaxScore (Turtle & Flood 1995) run one range of passages at a time, with each term's bound taken from
    the blocks of its postings that overlap the range (block-max, Ding & Suel 2011). A range whose bounds
    add up to less than the k-th best score so far is skipped whole. Inside a range, the terms are split:
    the non-essential ones have bounds adding up to less than that score (the densest terms first, so that
    a word found in most passages does not make most passages candidates), and the essential ones are
    summed term-at-a-time into a small dense accumulator, marking candidates in a bitset; the others are
    summed in for the candidates or probed for the ones that could still make it. Needs non-negative
    weights. ``range_size`` must be a multiple of 64.
    """
    indptr, block_ptr, tf_bits, packed, doc_len = pa[0], pa[1], pa[6], pa[7], pa[8]
    idf, bounds = sa[0], sa[1]
    n = terms.shape[0]
    c = np.empty((n, 5), dtype=np.int64)  # cursors, see _find
    cur = np.empty(n, dtype=np.int64)
    bq = np.empty(n, dtype=np.int64)
    for j in range(n):
        t = terms[j]
        c[j, 0], c[j, 1] = indptr[t], indptr[t + 1]
        c[j, 2], c[j, 3] = block_ptr[t], block_ptr[t + 1]
        c[j, 4] = -1
        cur[j] = indptr[t]
        bq[j] = block_ptr[t]
    docs = np.empty(n * BLOCK, dtype=np.int64)
    scratch = np.empty(BLOCK, dtype=np.int64)
    ub = np.empty(n, dtype=np.float64)
    order = np.empty(n, dtype=np.int64)
    essential = np.empty(n, dtype=np.bool_)
    by_size = np.empty(n, dtype=np.int64)
    _order_by(-(c[:, 1] - c[:, 0]).astype(np.float64), by_size)  # most postings first
    acc = np.zeros(range_size, dtype=np.float64)
    seen = np.zeros(range_size >> 6, dtype=np.uint64)
    probe = np.empty(n, dtype=np.int64)
    probe_cum = np.empty(n, dtype=np.float64)
    heap_s = np.empty(max(k, 1), dtype=np.float64)
    heap_d = np.empty(max(k, 1), dtype=np.int64)
    size = 0
    worst = 0
    theta = -np.inf
    for first in range(0, n_docs, range_size):
        stop = min(first + range_size, n_docs)
        total = 0.0
        for j in range(n):
            bq[j], bound = _range_bound(pa, bounds, bq[j], c[j, 3], first, stop)
            ub[j] = bound * counts[j]
            total += ub[j]
        if total * _SLACK < theta or (total == 0.0 and size == k):
            continue
        _order_by(ub, order)
        # Non-essential terms: any set whose bounds add up to less than the k-th score, as a passage holding
        # only those cannot make the top k. The densest terms go first (their postings cost the most to scan,
        # and a word in most passages would make most passages candidates), then, in the classic MaxScore
        # way, the weakest.
        spare = 0.0
        for i in range(n):
            essential[i] = True
        for i in range(n):
            j = by_size[i]
            if (spare + ub[j]) * _SLACK < theta:
                spare += ub[j]
                essential[j] = False
        for i in range(n):
            j = order[i]
            if essential[j]:
                p = _find(pa, c, j, cur[j], first, docs, scratch, True)
                cur[j] = _add_range(pa, sa, c, j, idf[terms[j]], p, first, stop, counts[j], acc, seen, docs, True)
        candidates = 0
        for wi in range(seen.shape[0]):
            candidates += _popcount(seen[wi])
        # A non-essential term is either summed in here too (cheap when its postings in the range are few
        # next to the candidates, each of which would cost a search) or probed per candidate, strongest first.
        probed = 0
        probe_sum = 0.0
        for i in range(n):
            j = order[i]
            if essential[j]:
                continue
            p0 = _find(pa, c, j, cur[j], first, docs, scratch, True)
            p1 = _find(pa, c, j, p0, stop, docs, scratch, False)
            if p1 - p0 <= PROBE_COST * candidates:
                cur[j] = _add_range(pa, sa, c, j, idf[terms[j]], p0, first, stop, counts[j], acc, seen, docs, False)
            else:
                cur[j] = p0
                probe[probed] = j
                probe_sum += ub[j]
                probe_cum[probed] = probe_sum * _SLACK
                probed += 1
        if probed == 0 and allowed.shape[0] == 0 and size == k and theta >= 0.0:
            # Nothing to probe and the heap full: a straight pass over the range is cheaper than visiting the
            # candidates bit by bit, and a passage not seen has score 0, which cannot beat theta.
            seen[:] = 0
            for x in range(stop - first):
                score = acc[x]
                acc[x] = 0.0
                if score > theta:
                    heap_s[worst] = score
                    heap_d[worst] = first + x
                    worst = 0
                    for i in range(1, k):
                        if heap_s[i] < heap_s[worst] or (heap_s[i] == heap_s[worst] and heap_d[i] > heap_d[worst]):
                            worst = i
                    theta = heap_s[worst]
            continue
        for wi in range(seen.shape[0]):
            word = seen[wi]
            seen[wi] = 0
            while word:
                x = (wi << 6) + _lowest_bit(word)
                word &= word - _U1
                score = acc[x]
                acc[x] = 0.0
                d = first + x
                if not _allowed(allowed, d):
                    continue
                skipped = False
                for m in range(probed - 1, -1, -1):
                    if score + probe_cum[m] < theta:
                        skipped = True
                        break
                    j = probe[m]
                    p = _find(pa, c, j, cur[j], d, docs, scratch, True)
                    cur[j] = p
                    if p < c[j, 1]:
                        y = (p - c[j, 0]) & (BLOCK - 1)
                        if docs[(j << _SHIFT) + y] == d:
                            q = c[j, 2] + ((p - c[j, 0]) >> _SHIFT)
                            tf = _tf(packed, _tf_word(pa, q, min(BLOCK, c[j, 1] - (p - y))), y,
                                     np.int64(tf_bits[q]))
                            score += _score(sa, idf[terms[j]], tf, doc_len[d]) * counts[j]
                if skipped:
                    continue
                if size < k:
                    heap_s[size] = score
                    heap_d[size] = d
                    size += 1
                    if size < k:
                        continue
                elif score > theta:  # a tie loses: passages come in order, so every one in the heap is lower
                    heap_s[worst] = score
                    heap_d[worst] = d
                else:
                    continue
                worst = 0
                for i in range(1, k):
                    if heap_s[i] < heap_s[worst] or (heap_s[i] == heap_s[worst] and heap_d[i] > heap_d[worst]):
                        worst = i
                theta = heap_s[worst]
    return _sorted_hits(heap_s[:size], heap_d[:size])


@compiled
def _order_by(values: Any, order: Any) -> None:
    """``order`` = indices of ``values`` ascending (insertion sort: a query has a handful of terms)."""
    for i in range(values.shape[0]):
        order[i] = i
    for i in range(1, values.shape[0]):
        o = order[i]
        j = i - 1
        while j >= 0 and values[order[j]] > values[o]:
            order[j + 1] = order[j]
            j -= 1
        order[j + 1] = o


@compiled
def _sorted_hits(scores: Any, rows: Any) -> tuple[Any, Any]:
    n = scores.shape[0]
    s = scores.copy()
    d = rows.copy()
    for i in range(1, n):  # insertion sort: k is small
        si, di = s[i], d[i]
        j = i - 1
        while j >= 0 and (s[j] < si or (s[j] == si and d[j] > di)):
            s[j + 1] = s[j]
            d[j + 1] = d[j]
            j -= 1
        s[j + 1] = si
        d[j + 1] = di
    return d, s
