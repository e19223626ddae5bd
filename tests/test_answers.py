"""Ask's answers: an evidence sentence always, a short answer only when likely right, neither depending on top_k."""

from __future__ import annotations

import pytest

from qa_api.answers.finder import KindOfName
from qa_api.questions.reading import AnswerType
from qa_api.retrieval.encoder import shared_encoder
from qa_api.service import QAService
from tests.conftest import EXAMPLE_QUESTION, service_over

LIGHTHOUSE = """The Gray Point Lighthouse

The Gray Point Lighthouse first shone on 14 June 1871, after four years of building on the granite cape.

Its keeper for most of the next century was Maria Okafor, who kept the lamp lit through the storm of 1903.

The tower stands 41 metres tall and was painted red and white because sailors could not see it against the fog.

In 1962 the Coastal Heritage Trust bought the lighthouse and opened it to visitors.
"""


@pytest.fixture(scope="module")
def lighthouse(tmp_path_factory: pytest.TempPathFactory) -> QAService:
    return service_over({"gray-point.txt": LIGHTHOUSE}, tmp_path_factory)


def test_the_example_question_is_answered_from_its_evidence(service: QAService) -> None:
    result = service.ask(EXAMPLE_QUESTION, 3)
    assert result.answer is not None and result.answer.text == "late April 2025"
    assert result.evidence is not None
    evidence = result.evidence.read.passage.text[result.evidence.sentence.start:result.evidence.sentence.end]
    assert result.answer.sentence == evidence and result.answer.text in evidence


@pytest.mark.parametrize(("question", "answer"), [
    ("When did the Gray Point Lighthouse first shine?", "14 June 1871"),
    ("Who kept the lamp lit through the storm?", "Maria Okafor"),
    ("How tall is the tower?", "41 metres"),
])
def test_plain_questions_on_a_written_article_are_answered(lighthouse: QAService, question: str, answer: str) -> None:
    result = lighthouse.ask(question, 3)
    assert result.answer is not None and result.answer.text == answer


def test_an_answer_and_its_evidence_are_exact_slices_of_the_source(lighthouse: QAService) -> None:
    result = lighthouse.ask("Who kept the lamp lit through the storm?", 3)
    assert result.answer is not None and result.evidence is not None
    text = lighthouse.document("gray-point.txt")[1]
    assert text[result.answer.start:result.answer.end] == result.answer.text
    passage, sentence = result.evidence.read.passage, result.evidence.sentence
    assert text[passage.start + sentence.start:passage.start + sentence.end] == result.answer.sentence


def test_a_question_the_article_does_not_answer_gets_no_short_answer_but_evidence(lighthouse: QAService) -> None:
    result = lighthouse.ask("How many ships were wrecked off Gray Point last winter?", 3)
    assert result.answer is None
    assert result.evidence is not None  # the closest sentence is still shown


@pytest.mark.parametrize("question", [EXAMPLE_QUESTION, "Who led the Russian military delegation that met Kim?",
                                      "How long had the war against Ukraine gone on?"])
def test_the_answer_does_not_depend_on_how_many_passages_are_returned(service: QAService, question: str) -> None:
    one, many = service.ask(question, 1), service.ask(question, 20)
    assert one.answer == many.answer
    assert (one.evidence.sentence, one.evidence.read.passage.id) == (many.evidence.sentence,  # type: ignore[union-attr]
                                                                     many.evidence.read.passage.id)  # type: ignore[union-attr]
    assert [h.passage.id for h in one.hits] == [h.passage.id for h in many.hits[:1]]


def test_a_passage_score_is_bm25_plus_its_named_boosts(service: QAService) -> None:
    for hit in service.ask(EXAMPLE_QUESTION, 5).hits:
        boosts = dict(hit.explanation.boosts)
        assert list(boosts) == ["dense", "sentence", "answer_type"]
        assert hit.score == pytest.approx(hit.explanation.bm25 + sum(boosts.values()))
        assert hit.explanation.bm25 == pytest.approx(sum(s for _, s in hit.explanation.terms))


@pytest.mark.parametrize(("name", "kind"), [("Maria Okafor", AnswerType.PERSON), ("Lisbon", AnswerType.PLACE),
                                            ("the Coastal Heritage Trust", AnswerType.ORGANIZATION)])
def test_the_encoder_tells_what_kind_of_thing_a_name_is(name: str, kind: AnswerType) -> None:
    kinds = KindOfName(shared_encoder())
    assert kinds.fit(name, kind) > 0
