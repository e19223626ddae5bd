"""Exact top-k search over the coded postings (``coding``), compiled: block-max MaxScore, one range of
passages at a time, and the count of passages a query matches.

The arrays come in the tuples ``coding`` describes: ``pa`` (the coded postings) and ``sa`` (how they are
scored). Callers hand in read-only arrays, so a memory-mapped index and one built in memory share one
compiled signature.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from .coding import BLOCK, SHIFT, TABLE_LEN_SHIFT, TABLE_TF, U1, U63, compiled, decode_docs, tf_at, tf_word, weight

PROBE_COST = 8  # a search in a posting list costs about this many sequential postings
RANGE = 4096  # passages per range that search bounds, skips or sums as a whole
_DEBRUIJN = np.uint64(0x03F79D71B4CB0A89)
_DEBRUIJN_POS = np.array([0, 1, 48, 2, 57, 49, 28, 3, 61, 58, 50, 42, 38, 29, 17, 4, 62, 55, 59, 36, 53, 51, 43, 22,
                          45, 39, 33, 30, 24, 18, 12, 5, 63, 47, 56, 27, 60, 41, 37, 16, 54, 35, 52, 21, 44, 32, 23,
                          11, 46, 26, 40, 15, 34, 20, 31, 10, 25, 14, 19, 9, 13, 8, 7, 6], dtype=np.int64)
# Pruning compares a partial score plus an upper bound against the k-th best score. Both are sums of the
# same float64 weights added in different orders, so allow for rounding before skipping anything.
_SLACK = 1.0 + 1e-9


@compiled
def _popcount(x: Any) -> int:
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return int((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@compiled
def _lowest_bit(x: Any) -> Any:
    """The position of the lowest set bit of a non-zero uint64 (de Bruijn multiplication)."""
    return _DEBRUIJN_POS[((x & (~x + U1)) * _DEBRUIJN) >> np.uint64(58)]


@compiled
def _allowed(allowed: Any, d: int) -> bool:
    if allowed.shape[0] == 0:
        return True
    u = np.uint64(d)
    return bool((allowed[u >> np.uint64(6)] >> (u & U63)) & U1)


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
            n = min(BLOCK, df - ((q - block_ptr[t]) << SHIFT))
            decode_docs(pa, q, n, docs, 0)
            for x in range(n):
                d = np.uint64(docs[x])
                bits[d >> np.uint64(6)] |= U1 << (d & U63)
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
    q = q0 + ((pos - lo) >> SHIFT)
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
        pos = lo + ((q - q0) << SHIFT)
    base = lo + ((q - q0) << SHIFT)
    n = min(BLOCK, hi - base)
    buf, at = docs, j << SHIFT
    if c[j, 4] != q:
        if move:
            decode_docs(pa, q, n, docs, at)
            c[j, 4] = q
        else:
            buf, at = scratch, 0
            decode_docs(pa, q, n, scratch, 0)
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
    at = j << SHIFT
    while pos < hi:
        q = q0 + ((pos - lo) >> SHIFT)
        base = lo + ((q - q0) << SHIFT)
        n = min(BLOCK, hi - base)
        if c[j, 4] != q:
            decode_docs(pa, q, n, docs, at)
            c[j, 4] = q
        x = pos - base
        end = n
        if docs[at + n - 1] >= stop:
            end = x
            while docs[at + end] < stop:
                end += 1
        width = np.int64(tf_bits[q])
        word = tf_word(pa, q, n)
        mask = (U1 << np.uint64(width)) - U1
        for i in range(x, end):
            d = docs[np.uint64(at + i)]
            y = np.uint64(d - first)
            bit = U1 << (y & U63)
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
                wt = weight(sa, idf_t, tf, dl)
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
                word &= word - U1
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
                        if docs[(j << SHIFT) + y] == d:
                            q = c[j, 2] + ((p - c[j, 0]) >> SHIFT)
                            tf = tf_at(packed, tf_word(pa, q, min(BLOCK, c[j, 1] - (p - y))), y,
                                     np.int64(tf_bits[q]))
                            score += weight(sa, idf[terms[j]], tf, doc_len[d]) * counts[j]
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
