"""People inside Title Case headlines and places named together, on an article written for these tests: in a
headline every word is capitalised, so a capitalised run is not a name by itself; a list of places after a
preposition answers a place question whole."""

from __future__ import annotations

import pytest

from qa_api.answers.spans import persons, place_lists, title_case_line
from qa_api.evaluate import answer_matches
from qa_api.service import QAService
from tests.conftest import service_over

SHIPPING = "\n".join((
    "Baltic Shipping Lane Opens",
    "A new shipping lane between Gdansk and Rostock opened on Monday after two years of dredging.",
    "Baltic freight companies warn that the lane complicates route planning in both Europe and the Nordic region.",
    "The port council said the lane would improve the safety and reliability of the Danish coast and south-west"
    " Europe.",
    "Harbour pilots and dock workers welcomed the opening with a parade.",
    "",
    "Tomas Keller Resigns as Chief Harbour Inspector Amid Safety Audit Findings",
    "Mayor Praises Germany’s Lena Hartmann Ahead of Key Vote Amid Housing and Energy Worries",
    "Dock Strike Ends After Wage Deal With Freight Operators",
)) + "\n"


def _kind(name: str) -> str | None:
    return {"Europe": "place", "Germany": "place", "Germany’s": "place"}.get(name)


@pytest.fixture(scope="module")
def service(tmp_path_factory: pytest.TempPathFactory) -> QAService:
    return service_over({"shipping.txt": SHIPPING}, tmp_path_factory)


@pytest.mark.parametrize(
    ("question", "accepted"),
    [
        # a person in a headline sits before its verb ("Resigns") or by a possessive ("Germany’s")
        ("Who resigned as chief harbour inspector?", ["Tomas Keller"]),
        ("which german politician did the mayor praise before the vote", ["Lena Hartmann"]),
        # places named together answer whole, even with the question's word inside ("Baltic" ... "Nordic")
        ("Baltic freight firms say the lane makes route planning harder in which regions?",
         ["Europe and the Nordic region"]),
        ("the port council expects the lane to improve safety and reliability where?",
         ["the Danish coast and south-west Europe"]),
    ],
)
def test_headline_people_and_listed_places_are_answered(service: QAService, question: str,
                                                         accepted: list[str]) -> None:
    answer = service.ask(question, 5).answer
    assert answer is not None and answer_matches(answer.text, accepted), answer


@pytest.mark.parametrize(
    ("line", "headline"),
    [
        ("Tomas Keller Resigns as Chief Harbour Inspector Amid Safety Audit Findings", True),
        ("Dock Strike Ends After Wage Deal With Freight Operators", True),
        ("Harbour pilots and dock workers welcomed the opening with a parade.", False),
        ("Baltic Shipping Lane Opens", True),
        ("Keller met Hartmann in Gdansk", False),
    ],
)
def test_title_case_lines_are_told_from_sentences(line: str, headline: bool) -> None:
    assert title_case_line(line) is headline


@pytest.mark.parametrize(
    ("line", "people", "not_people"),
    [
        ("Tomas Keller Resigns as Chief Harbour Inspector Amid Safety Audit Findings", ["Tomas Keller"],
         ["Safety Audit Findings"]),
        ("Mayor Praises Germany’s Lena Hartmann Ahead of Key Vote Amid Housing and Energy Worries",
         ["Lena Hartmann"], ["Energy Worries", "Lena Hartmann Ahead", "Germany"]),
    ],
)
def test_a_headline_person_sits_before_its_verb_or_by_a_possessive(line: str, people: list[str],
                                                                    not_people: list[str]) -> None:
    found = [line[c.start:c.end] for c in persons(line, _kind)]
    assert all(p in found for p in people) and not any(p in found for p in not_people), found


@pytest.mark.parametrize(
    ("body", "expected"),
    [
        ("Trade grew in both Europe and the Nordic region.", ["Europe and the Nordic region"]),
        ("It made the Danish coast and south-west Europe safer, and the route to Germany and the eastern ports"
         " shorter.", ["Germany and the eastern ports"]),
        ("It improved the safety of the Danish coast and south-west Europe.",
         ["the Danish coast and south-west Europe"]),
        ("It improved the safety and reliability of shipping.", []),
        ("Pilots from Germany and Tomas Keller spoke.", []),  # not every item is a place
        ("Europe and Germany signed the deal.", []),  # who acts, not where
    ],
)
def test_places_listed_after_a_preposition_are_one_candidate(body: str, expected: list[str]) -> None:
    assert [body[c.start:c.end] for c in place_lists(body, _kind)] == expected
