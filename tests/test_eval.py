"""Retrieval and answer quality on the dev set, and the scoring rules of the evaluation itself."""

from __future__ import annotations

import pytest

from qa_api.evaluate import Question, Report, answer_matches, evaluate, evaluate_follow_ups, read_questions
from qa_api.service import QAService
from tests.conftest import EXAMPLE_QUESTION, ROOT


def test_dev_set_meets_the_bar(service: QAService) -> None:
    report = evaluate(service, read_questions(ROOT / "eval" / "dev.jsonl")).as_dict()
    assert report["recall@1"] >= 0.95 and report["recall@5"] >= 0.98 and report["mrr@10"] >= 0.95
    assert report["evidence_accuracy"] >= 0.90
    assert report["answer_precision"] >= 0.83
    assert report["unanswerable_null"] == report["unanswerable"]


# Floors at what each held-out set measures with the hybrid ranking and fitted answers (docs/quality.md), so a
# regression shows: Recall@1, Recall@5, evidence accuracy, short-answer precision, and unanswerable questions
# left without an answer at least. Holdout and holdout2 were kept aside; holdout3 to holdout8 were written blind
# and read in earlier rounds; holdout9 to holdout11 were written blind for this round and measured once before
# it started; holdout12 was written blind after it and measured once on the code as it stood (eval/README.md).
HOLDOUT_FLOORS = {
    "holdout": (0.77, 0.99, 0.77, 0.83, 3),
    "holdout2": (0.92, 0.92, 0.92, 0.99, 2),
    "holdout3": (0.77, 0.95, 0.81, 0.99, 3),
    "holdout4": (0.72, 0.99, 0.81, 0.99, 3),
    "holdout5": (0.85, 0.96, 0.77, 0.99, 3),
    "holdout6": (0.85, 0.96, 0.70, 0.83, 2),
    "holdout7": (0.85, 0.92, 0.85, 0.99, 3),
    "holdout8": (0.88, 0.96, 0.92, 0.99, 3),
    "holdout9": (0.80, 0.97, 0.68, 0.88, 6),
    "holdout10": (0.84, 0.95, 0.82, 0.99, 5),
    "holdout11": (0.92, 0.99, 0.80, 0.99, 7),
    "holdout12": (0.84, 0.94, 0.81, 0.85, 7),
}


@pytest.mark.parametrize("name", sorted(HOLDOUT_FLOORS))
def test_held_out_sets_keep_their_measured_figures(service: QAService, name: str) -> None:
    recall_1, recall_5, evidence, precision, unanswered_null = HOLDOUT_FLOORS[name]
    report = evaluate(service, read_questions(ROOT / "eval" / f"{name}.jsonl")).as_dict()
    assert report["recall@1"] >= recall_1 and report["recall@5"] >= recall_5
    assert report["evidence_accuracy"] >= evidence and report["answer_precision"] >= precision
    assert report["unanswerable_null"] >= unanswered_null


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
    given = [(0.25, False), (0.59, True), (0.6, True), (0.79, False), (0.8, True), (1.0, True), (None, True)]
    report = Report(details=[{"confidence": c, "answer_right": right} for c, right in given])  # None: no answer
    assert [(b["from"], b["to"], b["answers"], b["right"]) for b in report.by_confidence()] == [
        (0.0, 0.6, 2, 1), (0.6, 0.8, 2, 1), (0.8, 1.0, 2, 2)]


def test_precision_counts_answers_given_and_coverage_the_answerable_questions_that_got_one() -> None:
    report = Report(answerable=4, answers_given=2, answers_right=1, evidence_right=3).as_dict()
    assert (report["answer_precision"], report["answer_coverage"], report["answer_accuracy"]) == (0.5, 0.5, 0.25)
    assert report["evidence_accuracy"] == 0.75 and report["answerable_null"] == 2


def test_the_follow_up_set_is_asked_as_a_chat_would_ask_it(service: QAService) -> None:
    figures = evaluate_follow_ups(service, read_questions(ROOT / "eval" / "followups-dev.jsonl"))
    assert figures["conversations"] == 39
    assert figures["follow_up_top1"] >= 0.79


def test_blind_follow_ups_keep_their_measured_figure(service: QAService) -> None:
    figures = evaluate_follow_ups(service, read_questions(ROOT / "eval" / "followups.jsonl"))
    assert figures["follow_up_top1"] >= 0.87


def test_an_answer_to_a_question_marked_unanswerable_counts_as_wrong(service: QAService) -> None:
    marked = Question(id="x", question=EXAMPLE_QUESTION, answerable=False, evidence=(), answers=())
    report = evaluate(service, [marked])
    assert [(b["answers"], b["right"]) for b in report.by_confidence() if b["answers"]] == [(1, 0)]
    assert report.details[0]["confidence"] is not None and report.details[0]["answer_right"] is False
