"""Candidate answers found in written sentences, kind by kind: general readers of English, not question rules."""

from __future__ import annotations

import pytest

from qa_api.answers.candidates import candidates, open_spans
from qa_api.questions.reading import AnswerType
from qa_api.retrieval.analysis import Analyzer

T = AnswerType
ANALYZER = Analyzer()


def found(sentence: str, kind: AnswerType) -> list[str]:
    return [sentence[c.start:c.end] for c in candidates(sentence, kind, ANALYZER.stopwords)]


@pytest.mark.parametrize(("sentence", "kind", "expected"), [
    ("The bridge opened in late April 2025 after delays.", T.DATE, ["late April 2025"]),
    ("Talks resumed on May 9 and again last week.", T.DATE, ["May 9", "last week"]),
    ("The war of the 1950s ended in 1953.", T.DATE, ["the 1950s", "1953"]),
    ("It had sent more than 10,000 troops to the front.", T.NUMBER, ["more than 10,000 troops"]),
    ("The museum marked its 70th anniversary.", T.NUMBER, ["70th anniversary"]),
    ("Nearly two dozen kinds of tools were sold.", T.NUMBER, ["Nearly two dozen kinds"]),
    ("She called the plan “a bridge to nowhere” on Monday.", T.QUOTE, ["a bridge to nowhere"]),
    ("The road was closed because of heavy snow on the pass.", T.REASON, ["because of heavy snow on the pass"]),
    ("Farmers moved north in order to find water.", T.REASON, ["in order to find water"]),
])
def test_each_kind_is_found_where_the_text_says_it(sentence: str, kind: AnswerType, expected: list[str]) -> None:
    assert [x for x in expected if x not in found(sentence, kind)] == []


def test_a_title_before_a_name_marks_a_person_and_is_not_part_of_the_name() -> None:
    sentence = "The visit was led by Deputy Transport Minister Ana Roux and her aides."
    people = [c for c in candidates(sentence, T.PERSON, ANALYZER.stopwords)]
    assert [(sentence[c.start:c.end], c.cue) for c in people] == [("Ana Roux", True)]


def test_names_joined_by_and_or_a_possessive_are_read_one_by_one() -> None:
    sentence = "Envoys from Norway and Chile met Brazil’s Marta Reis in Lisbon."
    places = found(sentence, T.PLACE)
    assert {"Norway", "Chile", "Lisbon"} <= set(places)
    assert "Marta Reis" in found(sentence, T.PERSON)


def test_a_title_case_headline_is_cut_at_its_little_words() -> None:
    headline = "Navy Ends Training Programs With Harvard University"
    assert "Harvard University" in found(headline, T.ORGANIZATION)


def test_places_and_bodies_written_with_lowercase_words() -> None:
    sentence = "Sanctions imposed by the UN security council hit firms in eastern Ukraine and the northern capital."
    assert "UN security council" in found(sentence, T.ORGANIZATION)
    assert {"eastern Ukraine", "the northern capital"} <= set(found(sentence, T.PLACE))


def test_open_spans_are_what_the_sentence_adds_to_the_question() -> None:
    sentence = "Satellite images had long suggested growing cooperation between the two nations."
    asked = frozenset(ANALYZER.terms("What had satellite images suggested?"))
    spans = [sentence[c.start:c.end] for c in open_spans(sentence, asked, ANALYZER.term)]
    assert "growing cooperation between the two nations" in spans
    assert all("images" not in s for s in spans)
