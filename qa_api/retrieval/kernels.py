"""Compiled loops behind ``bm25``: the index build's counting sort, and exact top-k search with MaxScore pruning.

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

_NO_DOC = np.int64(2**62)
BLOCK = 64  # postings per block of the block-max bounds
PROBE_COST = 8  # a search in a posting list costs about this many sequential postings
RANGE = 4096  # passages per range that search bounds, skips or sums as a whole
_U1 = np.uint64(1)
_U63 = np.uint64(63)
# Pruning compares a partial score plus an upper bound against the k-th best score. Both are sums of the
# same float64 weights added in different orders, so allow for rounding before skipping anything.
_SLACK = 1.0 + 1e-9


def compiled(fn: Callable[..., Any]) -> Callable[..., Any]:
    """Compile with numba; typed loosely, as numba dispatches on the array types it is given."""
    try:
        return cast(Callable[..., Any], numba.njit(cache=True, nogil=True)(fn))
    except RuntimeError:  # no writable cache directory (a read-only install): compile in memory on first use
        return cast(Callable[..., Any], numba.njit(nogil=True)(fn))


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
def block_bounds(indptr: Any, docs: Any, weights: Any, block_ptr: Any, block_last: Any, block_max: Any) -> None:
    """Each term's postings in blocks of BLOCK: the block's last passage and its largest weight."""
    for t in range(indptr.shape[0] - 1):
        lo, hi = indptr[t], indptr[t + 1]
        q = block_ptr[t]
        for start in range(lo, hi, BLOCK):
            stop = min(start + BLOCK, hi)
            best = weights[start]
            for p in range(start + 1, stop):
                if weights[p] > best:
                    best = weights[p]
            block_max[q] = best
            block_last[q] = docs[stop - 1]
            q += 1


@compiled
def fill_bitsets(indptr: Any, docs: Any, terms: Any, words: int) -> Any:
    out = np.zeros((terms.shape[0], words), dtype=np.uint64)
    for r in range(terms.shape[0]):
        t = terms[r]
        for p in range(indptr[t], indptr[t + 1]):
            d = np.uint64(docs[p])
            out[r, d >> np.uint64(6)] |= _U1 << (d & _U63)
    return out


@compiled
def _popcount(x: Any) -> int:
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return int((x * np.uint64(0x0101010101010101)) >> np.uint64(56))


@compiled
def _allowed(allowed: Any, d: int) -> bool:
    if allowed.shape[0] == 0:
        return True
    u = np.uint64(d)
    return bool((allowed[u >> np.uint64(6)] >> (u & _U63)) & _U1)


@compiled
def count_matched(indptr: Any, docs: Any, bitset_row: Any, bitsets: Any, terms: Any, n_docs: int,
                  allowed: Any) -> int:
    """How many passages contain at least one of ``terms`` (and are allowed): a bitset union.

    Frequent terms keep a precomputed bitset, so their share costs n_docs/64 word ORs, not df bit sets.
    """
    words = (n_docs + 63) // 64
    bits = np.zeros(words, dtype=np.uint64)
    for i in range(terms.shape[0]):
        t = terms[i]
        r = bitset_row[t]
        if r >= 0:
            for w in range(words):
                bits[w] |= bitsets[r, w]
        else:
            for p in range(indptr[t], indptr[t + 1]):
                d = np.uint64(docs[p])
                bits[d >> np.uint64(6)] |= _U1 << (d & _U63)
    total = 0
    for w in range(words):
        x = bits[w] & allowed[w] if allowed.shape[0] else bits[w]
        if x:
            total += _popcount(x)
    return total


@compiled
def _advance(docs: Any, pos: int, hi: int, target: int) -> int:
    """First position in [pos, hi) whose passage is >= target: galloping, then binary search."""
    if pos >= hi or docs[pos] >= target:
        return pos
    step = 1
    lo = pos
    while pos + step < hi and docs[pos + step] < target:
        lo = pos + step
        step *= 2
    top = min(pos + step, hi)
    # invariant: docs[lo] < target, and docs[top] >= target or top == hi
    while top - lo > 1:
        mid = (lo + top) // 2
        if docs[mid] < target:
            lo = mid
        else:
            top = mid
    return top


@compiled
def _range_bound(docs: Any, lo: int, bp0: int, q: int, q_end: int, block_last: Any, block_max: Any,
                 first: int, stop: int) -> tuple[int, float]:
    """A term's largest weight on passages [first, stop): the max of the blocks that overlap it.

    Returns the first block that can still matter (for the next range too) and the bound (0 if none).
    """
    while q < q_end and block_last[q] < first:
        q += 1
    best = 0.0
    r = q
    while r < q_end and docs[lo + (r - bp0) * BLOCK] < stop:
        if block_max[r] > best:
            best = block_max[r]
        r += 1
    return q, best


@compiled
def top_k_block_max(indptr: Any, docs: Any, weights: Any, block_ptr: Any, block_last: Any, block_max: Any,
                    terms: Any, counts: Any, k: int, n_docs: int, allowed: Any,
                    range_size: int = RANGE) -> Any:
    """The k best passages for a query, exactly, best first (ties: lower passage number first).

    MaxScore (Turtle & Flood 1995) run one range of passages at a time, with each term's bound taken from
    the blocks of its postings that overlap the range (block-max, Ding & Suel 2011). A range whose bounds
    add up to less than the k-th best score so far is skipped whole. Inside a range, the terms that could
    lift a passage past it are summed term-at-a-time into a small dense accumulator (cache-resident, so
    even a word found in every passage costs about a nanosecond a posting); the others are only probed
    for the passages that could still make it. Needs non-negative weights.
    """
    n = terms.shape[0]
    lo = np.empty(n, dtype=np.int64)
    cur = np.empty(n, dtype=np.int64)
    hi = np.empty(n, dtype=np.int64)
    bq = np.empty(n, dtype=np.int64)
    bp0 = np.empty(n, dtype=np.int64)
    bend = np.empty(n, dtype=np.int64)
    for j in range(n):
        t = terms[j]
        lo[j] = indptr[t]
        cur[j] = indptr[t]
        hi[j] = indptr[t + 1]
        bp0[j] = block_ptr[t]
        bq[j] = block_ptr[t]
        bend[j] = block_ptr[t + 1]
    ub = np.empty(n, dtype=np.float64)
    order = np.empty(n, dtype=np.int64)
    cum = np.empty(n, dtype=np.float64)  # cum[i]: most that terms order[0..i] can add together in this range
    acc = np.zeros(range_size, dtype=np.float64)
    seen = np.zeros(range_size, dtype=np.bool_)
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
            bq[j], bound = _range_bound(docs, lo[j], bp0[j], bq[j], bend[j], block_last, block_max, first, stop)
            ub[j] = bound * counts[j]
            total += ub[j]
        if total * _SLACK < theta or (total == 0.0 and size == k):
            continue
        _order_by(ub, order)
        running = 0.0
        for i in range(n):
            running += ub[order[i]]
            cum[i] = running * _SLACK
        essential = 0
        while essential < n and cum[essential] < theta:
            essential += 1
        candidates = 0
        for i in range(essential, n):
            j = order[i]
            p = _advance(docs, cur[j], hi[j], first)
            while p < hi[j] and docs[p] < stop:
                x = docs[p] - first
                acc[x] += weights[p] * counts[j]
                if not seen[x]:
                    seen[x] = True
                    candidates += 1
                p += 1
            cur[j] = p
        # A non-essential term is either summed in here too (cheap when its postings in the range are few
        # next to the candidates, each of which would cost a search) or probed per candidate, strongest first.
        probed = 0
        probe_sum = 0.0
        for i in range(essential):
            j = order[i]
            p0 = _advance(docs, cur[j], hi[j], first)
            p1 = _advance(docs, p0, hi[j], stop)
            if p1 - p0 <= PROBE_COST * candidates:
                for p in range(p0, p1):
                    acc[docs[p] - first] += weights[p] * counts[j]
                cur[j] = p1
            else:
                cur[j] = p0
                probe[probed] = j
                probe_sum += ub[j]
                probe_cum[probed] = probe_sum * _SLACK
                probed += 1
        for x in range(stop - first):
            if not seen[x]:
                acc[x] = 0.0
                continue
            score = acc[x]
            acc[x] = 0.0
            seen[x] = False
            d = first + x
            if not _allowed(allowed, d):
                continue
            skipped = False
            for m in range(probed - 1, -1, -1):
                if score + probe_cum[m] < theta:
                    skipped = True
                    break
                j = probe[m]
                cur[j] = _advance(docs, cur[j], hi[j], d)
                if cur[j] < hi[j] and docs[cur[j]] == d:
                    score += weights[cur[j]] * counts[j]
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
