"""Retrieval and answer quality on the dev set, and the scoring rules of the evaluation itself."""

from __future__ import annotations

import pytest

from qa_api.evaluate import answer_matches, evaluate, read_questions
from qa_api.service import QAService
from tests.conftest import ROOT


def test_dev_set_meets_the_bar(service: QAService) -> None:
    report = evaluate(service, read_questions(ROOT / "eval" / "dev.jsonl")).as_dict()
    assert report["recall@1"] >= 0.90
    assert report["recall@5"] >= 0.98
    assert report["mrr@10"] >= 0.93
    assert report["answer_accuracy"] >= 0.90
    assert report["unanswerable_null"] == report["unanswerable"]
    assert report["answerable_null"] <= report["answerable"] / 10


def test_holdout_set_stays_close_to_dev(service: QAService) -> None:
    """Questions kept aside from all tuning: a floor at what they measure, so a regression shows."""
    report = evaluate(service, read_questions(ROOT / "eval" / "holdout.jsonl")).as_dict()
    assert report["recall@1"] >= 0.80
    assert report["recall@5"] >= 0.95
    assert report["mrr@10"] >= 0.85
    assert report["answer_accuracy"] >= 0.88
    assert report["unanswerable_null"] == report["unanswerable"]
    assert report["answerable_null"] <= report["answerable"] / 10


def test_second_holdout_set_keeps_its_answer_rules(service: QAService) -> None:
    """Written after tuning and then used to find general failure classes: a floor so they stay fixed."""
    report = evaluate(service, read_questions(ROOT / "eval" / "holdout2.jsonl")).as_dict()
    assert report["recall@1"] >= 0.92
    assert report["mrr@10"] >= 0.92
    assert report["answer_accuracy"] >= 0.92
    assert report["unanswerable_null"] == report["unanswerable"]
    assert report["answerable_null"] <= 1  # the byline question: page furniture is not indexed



def test_third_holdout_set_keeps_its_answer_rules(service: QAService) -> None:
    # Written blind, measured once, then read for failure classes: a floor so their rules stay fixed.
    report = evaluate(service, read_questions(ROOT / "eval" / "holdout3.jsonl")).as_dict()
    assert report["answer_accuracy"] >= 0.72
    assert report["recall@1"] >= 0.81 and report["recall@5"] >= 0.99
    assert report["unanswerable_null"] == report["unanswerable"]


def test_fourth_holdout_set_keeps_its_measured_figures(service: QAService) -> None:
    # Written blind and measured once (0.500), then read for failure classes: a floor so their rules stay fixed.
    report = evaluate(service, read_questions(ROOT / "eval" / "holdout4.jsonl")).as_dict()
    assert report["answer_accuracy"] >= 0.86
    assert report["answerable_null"] == 0
    assert report["recall@1"] >= 0.81 and report["recall@5"] >= 0.95
    assert report["unanswerable_null"] >= 2



def test_fifth_holdout_set_keeps_its_measured_figures(service: QAService) -> None:
    # Written blind, measured once (0.370), then read for failure classes: a floor so their rules stay fixed.
    report = evaluate(service, read_questions(ROOT / "eval" / "holdout5.jsonl")).as_dict()
    assert report["answer_accuracy"] >= 0.55
    assert report["recall@1"] >= 0.81 and report["recall@5"] >= 0.92
    assert report["unanswerable_null"] >= 1


@pytest.mark.parametrize(
    ("answer", "accepted", "right"),
    [
        ("late April 2025", ["late April 2025"], True),
        ("Late April, 2025.", ["late april 2025"], True),
        ("the Russian Embassy", ["Russian Embassy"], True),
        ("“invincible comradeship”", ['"invincible comradeship"'], True),
        ("more than 10,000 troops", ["10,000"], True),
        ("it had sent more than 10,000 troops and weaponry to Russia", ["10,000"], False),
        ("March", ["February 2022"], False),
        ("", ["x"], False),
    ],
)
def test_answer_matching_rules(answer: str, accepted: list[str], right: bool) -> None:
    assert answer_matches(answer, accepted) is right
