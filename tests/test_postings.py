"""The coded postings: exact round trip, weights equal to rank-bm25's bit for bit, weighted query terms,
scoring given passages, and bounds that hold under other corpus statistics (segments scored globally)."""

from __future__ import annotations

import random
from collections import Counter

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from bench.corpus import generate, word
from qa_api.retrieval import coding
from qa_api.retrieval.bm25 import (
    BM25Params,
    Postings,
    Scoring,
    Statistics,
    build_postings,
    length_norms,
    mean_length,
    ranked,
    score_rows,
    term_weights,
)


def _build(docs: list[list[str]], vocab: dict[str, int] | None = None,
           params: BM25Params | None = None) -> tuple[dict[str, int], Postings]:
    vocab = {} if vocab is None else vocab
    ids = [vocab.setdefault(t, len(vocab)) for d in docs for t in d]
    lengths = np.array([len(d) for d in docs])
    return vocab, build_postings(np.array(ids, dtype=np.int64), lengths, len(vocab), params or BM25Params())


def _truth(docs: list[list[str]], vocab: dict[str, int]) -> dict[int, tuple[np.ndarray, np.ndarray]]:
    """Each term's passages and frequencies, counted the slow way."""
    postings: dict[int, dict[int, int]] = {}
    for d, doc in enumerate(docs):
        for term, tf in Counter(doc).items():
            postings.setdefault(vocab[term], {})[d] = tf
    return {t: (np.array(list(p)), np.array(list(p.values()))) for t, p in postings.items()}


@pytest.fixture(scope="module")
def awkward() -> tuple[dict[str, int], Postings, dict[int, tuple[np.ndarray, np.ndarray]]]:
    """Passages that stress the coding: gaps of every width up to 2^17, one term in nearly every passage,
    frequencies past the weight table and the 255 a block records, passages past the table's length."""
    rng = random.Random(5)
    words = [f"w{i}" for i in range(400)]
    docs = [[*rng.choices(words, k=rng.randint(0, 6)), "common"] for _ in range(140_000)]
    for i in range(0, 140_000, 1 << 13):
        docs[i].append("rare")
    docs[7] += ["burst"] * 300 + ["x"] * 1500  # tf 300 (> 255) in a passage of 1,800+ terms (> 1,024)
    docs[9] += ["filler"] * 70_000  # longer than the 65,535 a block records as its shortest passage
    docs[100_001] += ["burst"] * 17
    vocab, postings = _build(docs)
    return vocab, postings, _truth(docs, vocab)


def test_postings_decode_to_exactly_the_passages_and_frequencies_put_in(awkward) -> None:
    _, postings, truth = awkward
    for term_id, (docs, tf) in truth.items():
        got_docs, got_tf = coding.decode_term(postings.arrays, term_id)
        np.testing.assert_array_equal(got_docs, docs)
        np.testing.assert_array_equal(got_tf, tf)
    assert postings.gap_bits.max() >= 13 and postings.tf_bits.max() >= 8


def test_weights_read_at_query_time_are_the_reference_float64s(awkward) -> None:
    """score_rows, the top-k kernel and term_postings all give numpy's term_weights, bit for bit, including
    for a tf and a passage length outside the weight table."""
    vocab, postings, truth = awkward
    stats = postings.own.stats
    for term in ("common", "rare", "burst", "w3", "x", "filler"):
        docs, tf = truth[vocab[term]]
        expected = term_weights(tf, length_norms(postings.doc_len[docs], stats.avgdl, stats.params),
                                stats.idf[vocab[term]], stats.params)
        np.testing.assert_array_equal(score_rows(postings, [vocab[term]], docs)[0], expected)
        np.testing.assert_array_equal(postings.term_postings(vocab[term])[1], expected)
        best = ranked(postings, {vocab[term]: 1}, 3)
        np.testing.assert_array_equal(best.scores, np.sort(expected)[::-1][:3])


def test_block_maxima_are_exact_and_bounds_hold_under_other_statistics(awkward) -> None:
    _, postings, _ = awkward

    def block_maxima(weights: np.ndarray) -> np.ndarray:
        return np.maximum.reduceat(weights, np.arange(0, weights.size, coding.BLOCK))

    blocks = [slice(postings.block_ptr[t], postings.block_ptr[t + 1]) for t in range(postings.n_terms)]
    for term_id, block in enumerate(blocks):
        np.testing.assert_array_equal(postings.block_max[block], block_maxima(postings.term_postings(term_id)[1]))
    rng = np.random.default_rng(3)
    for avgdl, n_docs in ((mean_length(postings.doc_len), 140_000), (3.0, 200_000), (400.0, 10**6)):
        df = np.minimum(np.diff(postings.indptr) + rng.integers(0, 5000, postings.n_terms), n_docs)
        scoring = Scoring.under(postings, Statistics.of(postings.params, df, n_docs, avgdl))
        for term_id, block in enumerate(blocks):
            weights = postings.term_postings(term_id, scoring)[1]
            assert (scoring.bounds[block] >= block_maxima(weights)).all(), (term_id, avgdl)


@pytest.fixture(scope="module")
def generated() -> tuple[list[list[str]], list[list[str]]]:
    c = generate(12_000, n_queries=40, vocabulary=20_000)
    bounds = c.offsets()
    docs = [[word(r) for r in c.tokens[bounds[i]:bounds[i + 1]].tolist()] for i in range(c.n_passages)]
    return docs, [[word(r) for r in q.tolist()] for q in c.queries]


def _reference_top(scores: np.ndarray, matched: np.ndarray, k: int) -> np.ndarray:
    return matched[np.lexsort((matched, -scores[matched]))][:k]


def test_ranked_takes_fractional_query_term_weights(generated) -> None:
    """An alias at 0.5 and a repeated word at 2 rank as the weighted sum of rank-bm25's per-term scores."""
    docs, queries = generated
    vocab, postings = _build(docs)
    reference = BM25Okapi(docs)
    per_term = {t: np.asarray(reference.get_scores([t])) for q in queries for t in q}
    rng = random.Random(9)
    for query in queries:
        weights = {t: rng.choice([0.5, 1.0, 2.0, 0.25, 1.75]) for t in query}
        best = ranked(postings, {vocab[t]: w for t, w in weights.items()}, 10)
        scores = sum(w * per_term[t] for t, w in weights.items())
        matched = np.flatnonzero(sum((per_term[t] != 0) for t in query))
        assert best.total == matched.size
        np.testing.assert_allclose(best.scores, scores[_reference_top(scores, matched, 10)], rtol=0, atol=1e-9)
        np.testing.assert_allclose(best.scores, scores[best.rows], rtol=0, atol=1e-9)


@pytest.mark.parametrize("weights", [{0: -0.5}, {0: float("nan")}, {0: float("inf")}])
def test_ranked_refuses_negative_or_non_finite_weights(weights: dict[int, float]) -> None:
    _, postings = _build([["a", "b"], ["a"]])
    with pytest.raises(ValueError, match="finite and non-negative"):
        ranked(postings, weights, 3)


def test_a_term_of_weight_zero_neither_scores_nor_counts() -> None:
    vocab, postings = _build([["a", "b"], ["c"], ["d"], ["b", "b"]])
    best = ranked(postings, {vocab["a"]: 1, vocab["c"]: 0.0}, 5)
    assert best.rows.tolist() == [0] and best.total == 1


def test_score_rows_gives_each_terms_share_of_each_passage(generated) -> None:
    docs, queries = generated
    vocab, postings = _build(docs)
    reference = BM25Okapi(docs)
    rows = np.array([11_999, 0, 5, 4_097, 4_096, 8_191, 7, 7])  # unsorted, repeated, across ranges
    terms = [*queries[0], queries[0][0]]
    out = score_rows(postings, [vocab[t] for t in terms], rows)
    assert out.shape == (len(terms), rows.size)
    for i, term in enumerate(terms):
        np.testing.assert_allclose(out[i], np.asarray(reference.get_scores([term]))[rows], rtol=0, atol=1e-12)
    with pytest.raises(ValueError, match="passage rows"):
        score_rows(postings, [0], [len(docs)])


def test_segments_scored_under_global_statistics_rank_like_rank_bm25_over_the_whole_corpus(generated) -> None:
    """Two halves indexed apart, each scored under the whole corpus's N, avgdl and df, merge to the top k of
    rank-bm25 over all passages: the way segments of a growing index will be searched."""
    docs, queries = generated
    half = len(docs) // 2
    vocab = {t: i for i, t in enumerate(dict.fromkeys(t for d in docs for t in d))}
    first, second = (_build(part, dict(vocab))[1] for part in (docs[:half], docs[half:]))
    df = np.zeros(len(vocab), dtype=np.int64)
    for part in (first, second):
        df += np.diff(part.indptr)
    lengths = np.concatenate([first.doc_len, second.doc_len])
    stats = Statistics.of(BM25Params(), df, len(docs), mean_length(lengths))
    reference = BM25Okapi(docs)
    for query in queries[:20]:
        hits = []
        for offset, part in ((0, first), (half, second)):
            ids = {vocab[t]: c for t, c in Counter(query).items()}
            best = ranked(part, ids, 10, scoring=Scoring.under(part, stats))
            hits += [(s, offset + int(r)) for s, r in zip(best.scores.tolist(), best.rows.tolist(), strict=True)]
        merged = sorted(hits, key=lambda h: (-h[0], h[1]))[:10]
        scores = np.asarray(reference.get_scores(query))
        matched = np.flatnonzero(scores)
        np.testing.assert_allclose([s for s, _ in merged], scores[_reference_top(scores, matched, 10)],
                                   rtol=0, atol=1e-9)
