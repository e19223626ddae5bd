"""Reading a question once: the kind of answer it wants, the terms to search, and what a follow-up leans on."""

from __future__ import annotations

import pytest

from qa_api.questions.reading import CONTEXT_WEIGHT, RELATED_WEIGHT, AnswerType, QuestionReader, answer_type
from qa_api.retrieval.analysis import Analyzer

T = AnswerType


@pytest.mark.parametrize(("question", "kind"), [
    ("When did the storm reach the coast?", T.DATE),
    ("on what date did the bridge open", T.DATE),
    ("In which month was the treaty signed?", T.DATE),
    ("During which years was the dam built?", T.DATE),
    ("How many people live in the valley?", T.NUMBER),
    ("According to the report, roughly how many boats sank?", T.NUMBER),
    ("Which anniversary did the school celebrate?", T.NUMBER),
    ("Who painted the mural?", T.PERSON),
    ("Which senior official resigned?", T.PERSON),
    ("What is the name of the new police chief?", T.PERSON),
    ("Where did the ferry run aground?", T.PLACE),
    ("The flood made travel harder in which regions?", T.PLACE),
    ("Which agency issued the warning?", T.ORGANIZATION),
    ("Why was the road closed?", T.REASON),
    ("What did the mayor call the plan?", T.QUOTE),
    ("Did the council approve the budget?", T.YESNO),
    ("In her speech, did the mayor mention the strike?", T.YESNO),
    ("Did the minister say what the plan would cost?", T.YESNO),
    ("What does the new law require?", T.OTHER),
])
def test_the_question_word_and_its_noun_say_what_kind_of_answer_is_wanted(question: str, kind: AnswerType) -> None:
    assert answer_type(question) == kind


@pytest.fixture(scope="module")
def reader() -> QuestionReader:
    return QuestionReader(Analyzer())


def test_the_cue_that_only_names_the_kind_is_not_searched(reader: QuestionReader) -> None:
    assert reader.read("How many boats sank in the harbour?").terms == ("boat", "sank", "harbour")


def test_related_words_count_at_a_lower_weight_than_the_question_s_own(reader: QuestionReader) -> None:
    query = reader.read("What was the foundation of the alliance?").query
    assert query["foundat"] == 1.0 and query["allianc"] == 1.0
    assert query["basi"] == RELATED_WEIGHT  # WordNet: "basis" for "foundation"


def test_names_are_kept_and_get_no_related_words(reader: QuestionReader) -> None:
    reading = reader.read("When did Grace Hopper visit Harbour Town?")
    assert reading.names == (("grace", "hopper"), ("harbour", "town"))
    assert not {t for t, _ in reading.related} & {"grace", "hopper", "harbour", "town"}


def test_a_follow_up_carries_its_context_at_a_lower_weight(reader: QuestionReader) -> None:
    reading = reader.read("what was his job?", context="Who led the delegation? Alexei Krivoruchko")
    assert reading.terms == ("job",)
    assert dict(reading.context)["krivoruchko"] == CONTEXT_WEIGHT
    assert reading.query["deleg"] == CONTEXT_WEIGHT and "krivoruchko" in reading.known
