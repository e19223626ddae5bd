"""Answer types read from questions, and typed spans found in hand-written sentences."""

from __future__ import annotations

import re

import pytest

from qa_api.answers.spans import Candidate, copula_other_side, instances, object_after, sentence_spans, typed_candidates
from qa_api.questions.reading import AnswerType, QueryReader, classify, content_start
from qa_api.retrieval.analysis import Analyzer


def _no_kind(name: str) -> str | None:
    return {"Lisbon": "place", "Portugal": "place", "Portuguese": "place"}.get(name)


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        ("When did the ferry company open its new route?", AnswerType.DATE),
        ("What year was the bridge finished?", AnswerType.DATE),
        ("How many passengers does the ferry carry?", AnswerType.NUMBER),
        ("How long did the strike last?", AnswerType.NUMBER),
        ("Who chairs the harbour board?", AnswerType.PERSON),
        ("Which minister opened the terminal?", AnswerType.PERSON),
        ("Where is the new terminal?", AnswerType.PLACE),
        ("Which city hosts the festival?", AnswerType.PLACE),
        ("Which agency inspected the ships?", AnswerType.ORGANIZATION),
        ("What did the mayor call the plan?", AnswerType.QUOTE),
        ("Why was the route closed?", AnswerType.REASON),
        ("Did the council approve the budget?", AnswerType.YESNO),
        ("What phrase did the mayor use for the new bridge?", AnswerType.QUOTE),
        ("Besides Lisbon, which city hosts the festival?", AnswerType.PLACE),
        ("Under the new contract, who pays for the repairs?", AnswerType.PERSON),
        ("What does the ferry carry besides cars?", AnswerType.OTHER),
        ("What's the length of the new bridge in km?", AnswerType.NUMBER),
    ],
)
def test_questions_are_classified_by_their_wording(question: str, expected: AnswerType) -> None:
    assert classify(question) == expected


def test_type_cues_are_not_searched_for() -> None:
    question = "How many passengers does the ferry carry?"
    assert question[content_start(question):].strip().startswith("passengers")
    plan = QueryReader(Analyzer()).read(question)
    assert "mani" not in plan.terms and "passeng" in plan.terms


def test_aliases_become_concepts_with_their_alternatives() -> None:
    plan = QueryReader(Analyzer()).read("Did the pact cover troops?")
    alternatives = {alt for c in plan.concepts for alt in c.alternatives}
    assert ("treati",) in alternatives and ("soldier",) in alternatives


@pytest.mark.parametrize(
    ("question", "article_words"),
    [
        ("When did the agency put out the mayor's comments?", "carri"),
        ("How did the council defend the new tax?", "justifi"),
        ("Which towns could the storm hit?", "strike"),
        ("Who put on the harvest festival?", "host"),
        ("What boats did the navy show off?", "display"),
    ],
)
def test_news_verb_paraphrases_reach_the_articles_wording(question: str, article_words: str) -> None:
    plan = QueryReader(Analyzer()).read(question)
    alternatives = {term for c in plan.concepts for alt in c.alternatives for term in alt}
    assert article_words in alternatives


def _texts(answer_type: AnswerType, body: str) -> list[str]:
    return [body[c.start:c.end] for c in typed_candidates(answer_type, body, _no_kind)]


@pytest.mark.parametrize(
    ("answer_type", "body", "expected"),
    [
        (AnswerType.DATE, "The ferry line reopened in early March 2024 after repairs.", "early March 2024"),
        (AnswerType.DATE, "The old bridge stood from 1890 to 1962 before it was replaced.", "from 1890 to 1962"),
        (AnswerType.DATE, "The crew returned the following day with spare parts.", "the following day"),
        (AnswerType.NUMBER, "The ship carries more than 2,400 passengers each week.", "more than 2,400"),
        (AnswerType.NUMBER, "Workers held a 12-day strike over wages.", "12-day"),
        (AnswerType.PERSON, "The terminal was opened by Transport Minister Ana Ribeiro on a wet morning.",
         "Ana Ribeiro"),
        (AnswerType.PLACE, "The festival moved to Lisbon this summer.", "Lisbon"),
        (AnswerType.ORGANIZATION, "Inspections were made by the Maritime Safety Agency last year.",
         "Maritime Safety Agency"),
        (AnswerType.QUOTE, "The mayor called the plan “a lifeline for the islands”.", "a lifeline for the islands"),
        (AnswerType.QUOTE, "Residents described it as overdue and costly.", "overdue"),
        (AnswerType.REASON, "The route closed because the pier was unsafe.", "because the pier was unsafe"),
        (AnswerType.REASON, "Fees rose in a bid to cover repairs to keep the ferries running.", "to cover repairs"),
        (AnswerType.REASON, "The line closed in order to move the pier to the other bank.",
         "in order to move the pier to the other bank"),
    ],
)
def test_typed_spans_are_found_in_sentences(answer_type: AnswerType, body: str, expected: str) -> None:
    assert expected in _texts(answer_type, body)


def test_titles_and_places_are_not_people() -> None:
    body = "Portuguese officials met Harbour Master João Silva and Deputy Mayor Rita Costa in Lisbon."
    assert _texts(AnswerType.PERSON, body) == ["João Silva", "Rita Costa"]


def test_months_and_weekdays_are_not_people() -> None:
    body = "On Monday, the festival hosted by Mayor Rita Costa in Lisbon on May 9 drew record crowds."
    assert _texts(AnswerType.PERSON, body) == ["Rita Costa"]


def test_a_demonym_modifying_a_noun_is_a_weaker_place_than_a_country() -> None:
    body = "Only Portugal signed the Portuguese proposal."
    qualities = {body[c.start:c.end]: c.quality for c in typed_candidates(AnswerType.PLACE, body, _no_kind)}
    assert qualities["Portugal"] > qualities["Portuguese"]


def test_sentences_do_not_end_at_abbreviations() -> None:
    text = "The U.S. envoy arrived. She met Dr. Lee on Monday! Talks ended."
    assert [text[s:e] for s, e in sentence_spans(text)] == [
        "The U.S. envoy arrived.", "She met Dr. Lee on Monday!", "Talks ended."]


@pytest.mark.parametrize(
    ("question", "focus", "plural"),
    [
        ("Which ferries does the company run?", "ferries", True),
        ("What kind of engine does the Stella-3 use?", "engine", False),
        ("Apart from cars, what new vehicles did the port buy?", "vehicles", True),
        ("What did the mayor promise to do?", None, False),
    ],
)
def test_the_focus_noun_of_what_and_which_questions(question: str, focus: str | None, plural: bool) -> None:
    plan = QueryReader(Analyzer()).read(question)
    assert (plan.focus.word if plan.focus else None) == focus
    assert plan.focus is None or plan.focus.plural is plural


def test_definitions_and_verbs_are_read_from_the_question() -> None:
    reader = QueryReader(Analyzer())
    assert reader.read("What is the port's official name?").copula
    assert not reader.read("What is the port suspected of hiding?").copula
    plan = reader.read("What was the council offering the fishermen in March?")
    assert "offer" in plan.predicates and "council" not in plan.predicates
    assert reader.read("Who is the mayor of Porto Novo?").names == (("porto", "novo"),)


def _spans_of(body: str, candidates: list[Candidate]) -> dict[str, float]:
    return {body[c.start:c.end]: c.quality for c in candidates}


def test_instances_of_the_focus_noun() -> None:
    analyzer = Analyzer()
    body = "The company runs ferries on three routes, in particular the Aurora and the Borealis, at a loss."
    heads = [(t.start, t.end) for t in analyzer.tokens(body) if t.term == "ferri"]
    assert "the Aurora and the Borealis" in _spans_of(body, instances(body, heads, lambda s, e: False))


def test_a_description_belongs_to_the_name_before_it() -> None:
    body = "The fleet has the Stella-2, a diesel-powered ferry, alongside the Stella-3, an electric-powered ferry."
    heads = [(m.start(), m.end()) for m in re.finditer(r"powered", body)]
    found = _spans_of(body, instances(body, heads, lambda s, e: body[s:e] == "Stella-3"))
    assert found["electric-powered"] > found["diesel-powered"]
    found = _spans_of(body, instances(body, [(m.start(), m.end()) for m in re.finditer("ferry", body)],
                                      lambda s, e: False))
    assert {"Stella-2", "Stella-3"} <= found.keys()


def test_a_definition_is_read_across_the_copula() -> None:
    body = "The Harbour Authority of Lisbon, or HAL, is the port's governing body."
    own = [(m.start(), m.end()) for m in re.finditer(r"port|governing|body", body)]
    assert [body[c.start:c.end] for c in copula_other_side(body, own)] == ["The Harbour Authority of Lisbon"]


@pytest.mark.parametrize(
    ("body", "verb", "matched", "expected"),
    [
        ("The council agreed to offer grants – amid protests – to the fishermen.", "offer", [], "grants"),
        ("The law passed and commits the city to building shelters should floods come.", "commits", ["city"],
         "building shelters"),
        ("The mayor vowed to “rebuild the pier” within a year.", "vowed", [], "rebuild the pier"),
        ("The mayor pledged the city’s “full backing” to the crews.", "pledged", [], "the city’s “full backing”"),
    ],
)
def test_the_object_of_the_questions_verb(body: str, verb: str, matched: list[str], expected: str) -> None:
    at = body.index(verb)
    spans = [(body.index(w), body.index(w) + len(w)) for w in matched]
    found = object_after(body, (at, at + len(verb)), spans)
    assert found is not None and body[found.start:found.end] == expected


def test_a_noun_is_not_read_as_a_verb() -> None:
    body = "The harbour's ferries carry cars."
    assert object_after(body, (body.index("ferries"), body.index("ferries") + 7), []) is None


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Envoy Marta Reis and Portuguese Socialist Party leaders met on Monday.", "Portuguese Socialist Party"),
        ("The fines were imposed by the EU competition commission last spring.", "EU competition commission"),
        ("Harbour Fees Rise With Lisbon Port Authority Approval", "Lisbon Port Authority"),
    ],
)
def test_an_organisation_is_its_whole_name(body: str, expected: str) -> None:
    assert expected in _texts(AnswerType.ORGANIZATION, body)


@pytest.mark.parametrize(
    ("question", "verb"),
    [
        ("How much did Lisbon Ferries pay for the new ships?", "pay"),
        ("Who commanded the rescue boats?", "command"),
        ("Which union organised the strike?", "organis"),
        ("When did Putin's envoy reach the port?", None),  # a noun follows a possessive name
        ("What did the harbour's new owner buy?", "buy"),  # the verb ends the question
        ("When did the ferries reach the Kursk region?", None),  # a noun after a name ends it
        ("What did the mayor say about the port?", None),  # a verb of saying: articles report it with others
        ("When did Rita Costa give her speech?", None),  # a light verb: the noun carries the meaning
    ],
)
def test_the_main_verb_of_a_question(question: str, verb: str | None) -> None:
    assert QueryReader(Analyzer()).read(question).verb == verb


def test_a_subject_question_is_told_from_an_object_one() -> None:
    reader = QueryReader(Analyzer())
    assert reader.read("Who repaired the pier?").asks_subject
    assert not reader.read("Who did Lisbon Ferries hire?").asks_subject
    passive = reader.read("What was repaired after the storm?")
    assert passive.asks_passive_subject and passive.verb == "repair"


@pytest.mark.parametrize(
    ("question", "dangling"),
    [
        ("What did the mayor praise the crews as symbols of?", ("symbol", "of")),
        ("What is the port ready to respond with if storms come?", ("respond", "with")),
        ("What is the port's founding celebrated as in Lisbon?", ("celebr", "as")),
        ("What did the mayor say the fees fall within?", ("fall", "within")),
        ("What did the port buy?", None),
    ],
)
def test_a_stranded_preposition_is_read(question: str, dangling: tuple[str, str] | None) -> None:
    assert QueryReader(Analyzer()).read(question).dangling == dangling


def test_a_verb_after_to_is_a_predicate_when_a_verb_precedes() -> None:
    plan = QueryReader(Analyzer()).read("What does the council want to build with the port?")
    assert {"want", "build"} <= plan.predicates


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("The minister visited the Portuguese capital, arriving late.", "the Portuguese capital"),
        ("Talks were held in a small border town near the coast.", "a small border town"),
    ],
)
def test_places_named_by_common_nouns(body: str, expected: str) -> None:
    assert expected in _texts(AnswerType.PLACE, body)


def test_a_preposition_of_place_needs_a_noun_for_a_place() -> None:
    assert _texts(AnswerType.PLACE, "The ferry sailed in bad weather.") == []


@pytest.mark.parametrize(
    ("body", "expected", "not_expected"),
    [
        ("Inspectors cited reports of diesel engine faults on two ships.", "diesel engine faults", None),
        ("Crews from North Korean shipyards repaired the faults.", "North Korean shipyards", None),
        ("Last week the yard sent engine parts to the port.", "engine parts", "sent engine parts"),
    ],
)
def test_a_focus_nouns_modifiers_are_its_noun_phrase(body: str, expected: str, not_expected: str | None) -> None:
    analyzer = Analyzer()
    head = expected.split()[-1]
    heads = [(t.start, t.end) for t in analyzer.tokens(body) if t.term == analyzer.term(head)]
    found = _spans_of(body, instances(body, heads, lambda s, e: False))
    assert expected in found and not_expected not in found


def test_a_headline_capitalised_preposition_ends_a_name() -> None:
    body = "Ferry Strike Ends With Deal Near Lisbon Harbour"
    assert "Lisbon Harbour" in _texts(AnswerType.PLACE, body)
    assert not any("Near" in text for text in _texts(AnswerType.PLACE, body))
