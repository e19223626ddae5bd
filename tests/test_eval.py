"""Retrieval and answer quality on the dev set, and the scoring rules of the evaluation itself."""

from __future__ import annotations

import pytest

from qa_api.evaluate import Question, Report, answer_matches, evaluate, read_questions
from qa_api.service import QAService
from tests.conftest import EXAMPLE_QUESTION, ROOT


def test_dev_set_meets_the_bar(service: QAService) -> None:
    report = evaluate(service, read_questions(ROOT / "eval" / "dev.jsonl")).as_dict()
    assert report["recall@1"] >= 0.90
    assert report["recall@5"] >= 0.98
    assert report["mrr@10"] >= 0.93
    assert report["answer_accuracy"] >= 0.90
    assert report["unanswerable_null"] == report["unanswerable"]
    assert report["answerable_null"] <= report["answerable"] / 10


# Floors at what each held-out set measures, so a regression shows: (Recall@1, Recall@5, MRR@10, answer accuracy,
# unanswerable questions left unanswered at least, answerable ones left unanswered at most). Holdout was kept
# aside from all tuning; holdout2 was written after it; holdout3 to holdout7 were written blind, measured once,
# then read for failure classes, so these floors keep the rules for those classes in place; holdout8 was written
# blind and never read, so its floors hold the figures the overfitting gap is stated with (README, "Quality").
HOLDOUT_FLOORS = {
    "holdout": (0.81, 0.96, 0.85, 0.88, 3, 1),
    "holdout2": (0.92, 0.92, 0.92, 0.92, 2, 1),  # the one unanswered asks for the byline, which is not indexed
    "holdout3": (0.81, 0.99, 0.87, 0.72, 3, 1),
    "holdout4": (0.81, 0.95, 0.87, 0.86, 2, 0),
    "holdout5": (0.81, 0.92, 0.86, 0.55, 1, 7),
    "holdout6": (0.85, 0.92, 0.89, 0.33, 0, 8),
    "holdout7": (0.81, 0.88, 0.84, 0.66, 1, 1),
    "holdout8": (0.85, 0.92, 0.88, 0.77, 2, 3),
}


@pytest.mark.parametrize("name", sorted(HOLDOUT_FLOORS))
def test_held_out_sets_keep_their_measured_figures(service: QAService, name: str) -> None:
    recall_1, recall_5, mrr, accuracy, unanswered_null, answered_null = HOLDOUT_FLOORS[name]
    report = evaluate(service, read_questions(ROOT / "eval" / f"{name}.jsonl")).as_dict()
    assert report["recall@1"] >= recall_1 and report["recall@5"] >= recall_5 and report["mrr@10"] >= mrr
    assert report["answer_accuracy"] >= accuracy
    assert report["unanswerable_null"] >= unanswered_null
    assert report["answerable_null"] <= answered_null


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


def test_answers_are_counted_by_confidence_band() -> None:
    given = [(0.25, False), (0.39, True), (0.4, True), (0.59, False), (0.6, True), (1.0, True), (None, True)]
    report = Report(details=[{"confidence": c, "answer_right": right} for c, right in given])  # None: no answer
    assert [(b["from"], b["to"], b["answers"], b["right"]) for b in report.by_confidence()] == [
        (0.0, 0.4, 2, 1), (0.4, 0.6, 2, 1), (0.6, 1.0, 2, 2)]


def test_an_answer_to_a_question_marked_unanswerable_counts_as_wrong(service: QAService) -> None:
    marked = Question(id="x", question=EXAMPLE_QUESTION, answerable=False, evidence=(), answers=())
    report = evaluate(service, [marked])
    assert [(b["answers"], b["right"]) for b in report.by_confidence() if b["answers"]] == [(1, 0)]
    assert report.details[0]["confidence"] is not None and report.details[0]["answer_right"] is False
