"""Explained ranking: each passage's score split into rank-bm25's per-term scores and the boosts on top."""

from __future__ import annotations

import pytest
from rank_bm25 import BM25Okapi

from qa_api.corpus import load_corpus
from qa_api.retrieval.analysis import Analyzer
from qa_api.service import QAService
from tests.conftest import SEEDS, ContractClient, assert_problem

BOOSTS = ["dense", "sentence", "answer_type"]


def _check_sums(passage: dict[str, object], boost_names: list[str]) -> dict[str, object]:
    explanation = passage["explanation"]
    assert isinstance(explanation, dict)
    terms, boosts = explanation["terms"], explanation["boosts"]
    assert explanation["bm25"] == pytest.approx(sum(t["score"] for t in terms))
    assert [b["name"] for b in boosts] == boost_names
    assert passage["score"] == pytest.approx(explanation["bm25"] + sum(b["score"] for b in boosts))
    return explanation


def test_search_explains_plain_bm25_scores_when_asked(client: ContractClient) -> None:
    body = client.get("/v1/search", query={"q": "Russian military delegation", "top_k": 3, "explain": "true"})
    passages = body.get_json()["passages"]
    assert passages
    for p in passages:
        explanation = _check_sums(p, [])  # keyword search ranks by BM25 alone: no boosts
        assert [t["term"] for t in explanation["terms"]] == ["russian", "militari", "deleg"]


def test_search_leaves_explanations_out_by_default(client: ContractClient) -> None:
    passages = client.get("/v1/search", query={"q": "Russian military delegation"}).get_json()["passages"]
    assert passages and all("explanation" not in p for p in passages)


def test_ask_explains_scores_when_asked(client: ContractClient) -> None:
    body = client.post("/v1/ask", json={"question": "Who led the Russian military delegation?", "top_k": 2,
                                        "explain": True}).get_json()
    assert "Alexei Krivoruchko" in body["evidence"]["text"]
    for p in body["passages"]:
        _check_sums(p, BOOSTS)


@pytest.mark.parametrize("value", ["maybe", "2"])
def test_explain_must_be_a_boolean(client: ContractClient, value: str) -> None:
    assert_problem(client.get("/v1/search", query={"q": "Kim", "explain": value}), 422)


def test_explain_in_ask_must_be_a_json_boolean(client: ContractClient) -> None:
    assert_problem(client.post("/v1/ask", json={"question": "Who?", "explain": "yes"}), 422)


def test_explained_bm25_equals_rank_bm25(service: QAService) -> None:
    analyzer = Analyzer()
    passages = list(load_corpus(SEEDS).passages())
    reference = BM25Okapi([analyzer.terms(p.text) for p in passages])
    ids = [p.id for p in passages]
    for question in ["Which Chinese official attended the parade?", "Kim Putin treaty June"]:
        result = service.search(question, 10)
        expected = reference.get_scores(list(result.terms))
        for hit in result.hits:
            assert hit.explanation.bm25 == pytest.approx(expected[ids.index(hit.passage.id)], abs=1e-9)
        assert all(h.score >= h.explanation.bm25 for h in result.hits)
