"""BM25 scoring: hand-computed values, and equality with the reference implementation (rank-bm25)."""

from __future__ import annotations

import math
import random
from collections import Counter

import numpy as np
import pytest
from rank_bm25 import BM25Okapi

from bench.corpus import generate, word
from qa_api.corpus import load_corpus
from qa_api.retrieval.analysis import Analyzer
from qa_api.retrieval.bm25 import BM25Params, accumulate, build_postings, passage_bitset, ranked, top_k
from tests.conftest import SEEDS


def _postings(docs: list[list[str]], params: BM25Params | None = None):
    vocab: dict[str, int] = {}
    ids = [vocab.setdefault(t, len(vocab)) for d in docs for t in d]
    lengths = np.array([len(d) for d in docs])
    return vocab, build_postings(np.array(ids, dtype=np.int64), lengths, len(vocab), params or BM25Params())


def _scores(vocab, postings, query: list[str]) -> np.ndarray:
    scores, _ = accumulate(postings, dict(Counter(vocab[t] for t in query if t in vocab)))
    return scores


def test_scores_match_a_hand_computation() -> None:
    docs = [["a", "b"], ["b", "c", "c"], ["d"]]
    vocab, postings = _postings(docs)
    k1, b, avgdl, n = 1.5, 0.75, 2.0, 3
    idf_c = math.log(n - 1 + 0.5) - math.log(1 + 0.5)
    expected = idf_c * (2 * (k1 + 1) / (2 + k1 * (1 - b + b * 3 / avgdl)))
    assert _scores(vocab, postings, ["c"])[1] == pytest.approx(expected, abs=1e-12)
    assert _scores(vocab, postings, ["c"])[0] == 0.0


def test_negative_idf_gets_rank_bm25s_epsilon_floor() -> None:
    docs = [["x", "y"], ["x"], ["x", "z"]]
    vocab, postings = _postings(docs)
    raw = {t: math.log(3 - df + 0.5) - math.log(df + 0.5) for t, df in {"x": 3, "y": 1, "z": 1}.items()}
    floor = 0.25 * sum(raw.values()) / 3
    assert postings.idf[vocab["x"]] == pytest.approx(floor)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_scores_equal_rank_bm25_on_random_corpora(seed: int) -> None:
    rng = random.Random(seed)
    words = [f"w{i}" for i in range(300)]
    docs = [rng.choices(words, weights=[1 / (i + 1) for i in range(300)], k=rng.randint(0, 40)) for _ in range(3000)]
    vocab, postings = _postings(docs)
    reference = BM25Okapi(docs)
    for _ in range(30):
        query = rng.choices(words, k=rng.randint(1, 6))
        np.testing.assert_allclose(_scores(vocab, postings, query), reference.get_scores(query), rtol=0, atol=1e-9)


def test_scores_equal_rank_bm25_on_the_seed_corpus_with_other_parameters() -> None:
    analyzer = Analyzer()
    docs = [analyzer.terms(p.text) for p in load_corpus(SEEDS).passages()]
    params = BM25Params(k1=1.2, b=0.6, epsilon=0.1)
    vocab, postings = _postings(docs, params)
    reference = BM25Okapi(docs, k1=1.2, b=0.6, epsilon=0.1)
    for question in ["When did North Korea confirm troop deployment?", "Putin Kim summit June treaty", "zzz"]:
        query = analyzer.terms(question)
        np.testing.assert_allclose(_scores(vocab, postings, query), reference.get_scores(query), rtol=0, atol=1e-9)


def test_top_k_breaks_ties_by_passage_order() -> None:
    scores = np.array([1.0, 3.0, 3.0, 2.0, 3.0])
    assert top_k(scores, np.arange(5), 2).tolist() == [1, 2]
    assert top_k(scores, np.arange(5), 10).tolist() == [1, 2, 4, 3, 0]
    assert top_k(scores, np.array([0, 3]), 1).tolist() == [3]
    assert top_k(scores, np.zeros(0, dtype=np.int64), 3).tolist() == []


def _reference_ranking(reference: BM25Okapi, query: list[str], allowed: np.ndarray | None = None):
    scores = np.asarray(reference.get_scores(query))
    matched = np.flatnonzero([any(t in reference.doc_freqs[i] for t in query) for i in range(len(scores))])
    if allowed is not None:
        matched = matched[allowed[matched]]
    return scores, matched


@pytest.fixture(scope="module")
def generated() -> tuple[list[list[str]], list[list[str]]]:
    """10,000 passages of Zipf-distributed words (the benchmark's generator) and 60 queries drawn from them."""
    c = generate(10_000, n_queries=60, vocabulary=20_000)
    bounds = c.offsets()
    docs = [[word(r) for r in c.tokens[bounds[i]:bounds[i + 1]].tolist()] for i in range(c.n_passages)]
    return docs, [[word(r) for r in q.tolist()] for q in c.queries]


@pytest.mark.parametrize("k", [1, 10, 50])
def test_ranked_equals_rank_bm25_on_a_generated_corpus(generated, k: int) -> None:
    docs, queries = generated
    vocab, postings = _postings(docs)
    reference = BM25Okapi(docs)
    for query in [*queries, queries[0] + queries[0][:1], ["w0"], ["w1", "w2"]]:
        best = ranked(postings, dict(Counter(vocab[t] for t in query)), k)
        scores, matched = _reference_ranking(reference, query)
        expected = matched[np.lexsort((matched, -scores[matched]))][:k]
        assert best.total == matched.size
        np.testing.assert_allclose(best.scores, scores[best.rows], rtol=0, atol=1e-9)
        # the same passages up to ties: the score at every rank is the reference's score at that rank
        np.testing.assert_allclose(best.scores, scores[expected], rtol=0, atol=1e-9)
        assert len(set(best.rows.tolist())) == best.rows.size
        for rank, row in enumerate(expected.tolist()):
            if np.sum(np.abs(scores[matched] - scores[row]) <= 1e-9) == 1:  # no tie: the very same passage
                assert best.rows[rank] == row


def test_ranked_only_returns_allowed_passages_and_counts_them(generated) -> None:
    docs, queries = generated
    vocab, postings = _postings(docs)
    reference = BM25Okapi(docs)
    spans = [(100, 900), (4000, 4100), (9990, 10_000)]
    allowed = np.zeros(len(docs), dtype=bool)
    for lo, hi in spans:
        allowed[lo:hi] = True
    for query in queries[:20]:
        best = ranked(postings, dict(Counter(vocab[t] for t in query)), 10, passage_bitset(len(docs), spans))
        scores, matched = _reference_ranking(reference, query, allowed)
        expected = matched[np.lexsort((matched, -scores[matched]))][:10]
        assert best.total == matched.size
        assert allowed[best.rows].all()
        np.testing.assert_allclose(best.scores, scores[expected], rtol=0, atol=1e-9)


def test_ranked_with_a_negative_idf_floor_equals_rank_bm25() -> None:
    docs = [["x", "y"], ["x"], ["x", "z"], ["x", "y", "y"]]
    vocab, postings = _postings(docs, BM25Params(epsilon=-1.0))
    reference = BM25Okapi(docs, epsilon=-1.0)
    best = ranked(postings, {vocab["x"]: 1, vocab["y"]: 1}, 3)
    scores = np.asarray(reference.get_scores(["x", "y"]))
    assert best.total == 4
    np.testing.assert_allclose(best.scores, np.sort(scores)[::-1][:3], rtol=0, atol=1e-12)


def test_ranked_matches_accumulate_and_top_k_on_the_seed_corpus(service) -> None:
    index = service.backend.index  # type: ignore[attr-defined]
    postings = index.postings
    for question in ["When did North Korea confirm troop deployment?", "Putin Kim summit June treaty", "Russia"]:
        terms = dict(Counter(index.vocab[t] for t in Analyzer().terms(question) if t in index.vocab))
        scores, candidates = accumulate(postings, terms)
        best = ranked(postings, terms, 5)
        assert best.rows.tolist() == top_k(scores, candidates, 5).tolist()
        assert best.total == candidates.size
