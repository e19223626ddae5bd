"""Plain text read as a person reads it: hard-wrapped lines join into paragraphs, whatever the wrap width, and
no sentence is cut across two passages; long paragraphs become windows cut at sentence ends."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from qa_api.corpus import WINDOW_CHARS, display_text, load_corpus, split_document
from tests.conftest import ROOT, SEEDS

FIXTURES = ROOT / "tests" / "fixtures"
WRAPPED = sorted((FIXTURES / "wrapped").glob("*.txt"))
SENTENCE_END = re.compile(r"[.!?:;][\"'”’)]*$")
ONE_LINE = ("A paragraph written on a single line, as a word processor saves it, runs on for as long as the "
            "writer goes on, well past any width at which text would be wrapped by hand, and ends here.")


def reading(source: str, text: str) -> list[str]:
    """The passages as a person reads them, one a line, each heading as a ``# `` line before its passages."""
    rows: list[str] = []
    section = None
    for passage in split_document(source, text).passages:
        if passage.section != section:
            rows.append(f"# {passage.section}")
            section = passage.section
        rows.append(display_text(passage.text))
    return rows


def test_the_written_fixtures_cover_every_width_and_style() -> None:
    widths = {int(path.name.split("-")[1]) for path in WRAPPED}
    assert widths == {40, 45, 60, 72, 80}
    for path in WRAPPED:
        raw = path.read_bytes()
        lines = raw.decode().splitlines()
        width = int(path.name.split("-")[1])
        assert max(len(line.rstrip()) for line in lines) <= width
        assert ("\r\n" in raw.decode()) == ("crlf" in path.name), path.name
        assert any(line.startswith("    ") and line[4].isupper() for line in lines) == ("indented" in path.name)
        if "ragged" in path.name:  # full lines stop anywhere in the last ten columns
            body = [len(line.rstrip()) for line in lines if len(line.rstrip()) > width * 0.7]
            assert max(body) - min(body) >= 8, path.name
    assert any(b" \r\n" in p.read_bytes() or b" \n" in p.read_bytes() for p in WRAPPED)  # trailing spaces


@pytest.mark.parametrize("path", WRAPPED, ids=[p.stem for p in WRAPPED])
def test_a_hard_wrapped_text_gives_the_paragraphs_a_reader_sees(path: Path) -> None:
    text = path.read_bytes().decode()
    expected = path.with_suffix(".expected").read_text(encoding="utf-8").splitlines()
    assert reading(path.name, text) == expected
    doc = split_document(path.name, text)
    assert doc.title == expected[0].removeprefix("# ")
    for passage in doc.passages:
        assert text[passage.start : passage.end] == passage.text
        assert passage.text == passage.text.strip()


@pytest.mark.parametrize("path", WRAPPED, ids=[p.stem for p in WRAPPED])
def test_no_passage_is_a_wrapped_line_and_none_ends_mid_sentence(path: Path) -> None:
    text = path.read_bytes().decode()
    doc = split_document(path.name, text)
    for passage in doc.passages:
        assert SENTENCE_END.search(passage.text), passage.text
        one_line = "\n" not in passage.text
        assert not one_line or len(passage.text) < 0.8 * int(path.name.split("-")[1]) or passage.text[0] in "-(1"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("The checklist for the\nwinter months:\n1. Narrow the\n   entrance.\n2. Weigh the hive.\n"
                     "- Leave the guard on\n  until April.\n* Feed fondant.\n(a) Never feed\nsyrup in the cold.\n",
                     ["The checklist for the winter months:", "1. Narrow the entrance.", "2. Weigh the hive.",
                      "- Leave the guard on until April.", "* Feed fondant.", "(a) Never feed syrup in the cold."],
                     id="list-items-start-paragraphs"),
        pytest.param("Bees cluster in the hive to keep\nwarm all winter long. Workers shiver\nto warm the queen.\n"
                     "Insulating the Hive\nBeekeepers wrap the hives in wool\nblankets from November to March.\n",
                     ["Bees cluster in the hive to keep warm all winter long. Workers shiver to warm the queen.",
                      "# Insulating the Hive", "Beekeepers wrap the hives in wool blankets from November to March."],
                     id="a-heading-line-inside-wrapped-text"),
        pytest.param("Ukraine-Russia Talks Yield Major POW Swap as U.S. Pushes for Peace\n"
                     "Missouri Judge Dismisses Lawsuit Challenging Diversity and Inclusion Policies\n"
                     "Iran and U.S. Nuclear Talks in Oman Face Major Hurdles Amid Rising Tensions\n"
                     "Pentagon Ends Military Education Programs With Harvard University\n",
                     ["Ukraine-Russia Talks Yield Major POW Swap as U.S. Pushes for Peace",
                      "Missouri Judge Dismisses Lawsuit Challenging Diversity and Inclusion Policies",
                      "Iran and U.S. Nuclear Talks in Oman Face Major Hurdles Amid Rising Tensions",
                      "Pentagon Ends Military Education Programs With Harvard University"],
                     id="a-list-of-headlines-stays-a-line-each"),
        pytest.param(f"{ONE_LINE}\n{ONE_LINE}\n{ONE_LINE[:-6]} and a stray line break\ncuts it in two.\n",
                     [ONE_LINE, ONE_LINE, f"{ONE_LINE[:-6]} and a stray line break cuts it in two."],
                     id="a-sentence-goes-on-in-lower-case-in-text-of-one-paragraph-a-line"),
        pytest.param("Ingredients\n\nFlour, water and salt.\nx = rise(dough)\n\nBake at 250 degrees.\n",
                     ["# Ingredients", "Flour, water and salt.", "x = rise(dough)", "Bake at 250 degrees."],
                     id="no-heading-starts-in-lower-case"),
        pytest.param("Bees cluster in the hive all winter, and the workers shiver\nto keep the queen warm: "
                     "the cluster moves slowly across\nthe combs. Beekeepers check the hives in March and\n"
                     "count the dead bees: a few hundred is normal after a long\nwinter.\n",
                     ["Bees cluster in the hive all winter, and the workers shiver to keep the queen warm: the "
                      "cluster moves slowly across the combs. Beekeepers check the hives in March and count the dead "
                      "bees: a few hundred is normal after a long winter."],
                     id="no-paragraph-starts-in-lower-case"),
        pytest.param("## Feeding in Winter ##\n\nFondant keeps a colony alive.\n",
                     ["# Feeding in Winter", "Fondant keeps a colony alive."], id="heading-marks-are-dropped"),
        pytest.param("Feeding in Winter\n=================\n\nFondant keeps a colony alive.\n\n* * *\n\nThe end.\n",
                     ["# Feeding in Winter", "Fondant keeps a colony alive.", "The end."], id="rules-are-dropped"),
        pytest.param("A short line\nthat the writer broke early, and\n"
                     "a line broken before a-very-long-hyphenated-compound-word\nstill join.\n",
                     ["A short line that the writer broke early, and a line broken before "
                      "a-very-long-hyphenated-compound-word still join."], id="short-lines-join"),
    ],
)
def test_what_starts_a_paragraph(text: str, expected: list[str]) -> None:
    assert reading("x.txt", text) == expected


def test_a_long_paragraph_becomes_windows_cut_at_sentence_ends() -> None:
    sentences = [f"Colony {n} of Dr. Okafor's apiary wintered on {n + 12} kilograms of honey." for n in range(70)]
    text = "Winter Stores\n\n" + "\n".join(_wrap(" ".join(sentences), 60)) + "\n"
    doc = split_document("stores.txt", text)
    sizes = [len(p.text) for p in doc.passages]
    assert len(sizes) > 1 and max(sizes) <= WINDOW_CHARS
    assert max(sizes) - min(sizes) < 0.1 * WINDOW_CHARS  # about equal, not full windows and a remnant
    assert [s for p in doc.passages for s in _sentences(p.text)] == sentences
    assert all(p.section == "Winter Stores" for p in doc.passages)


def test_one_sentence_longer_than_a_window_stays_whole() -> None:
    long_sentence = "The list of the keepers' duties " + ", ".join(f"duty {n}" for n in range(200)) + "."
    text = f"Short opening sentence. {long_sentence} A closing sentence.\n"
    texts = [p.text for p in split_document("duties.txt", text).passages]
    assert any(long_sentence in t for t in texts) and len(long_sentence) > WINDOW_CHARS


def test_text_without_any_sentence_end_is_cut_between_words() -> None:
    text = " ".join(f"word{n}" for n in range(2000))
    passages = split_document("words.txt", text).passages
    assert len(passages) > 1 and all(len(p.text) <= WINDOW_CHARS for p in passages)
    assert " ".join(p.text for p in passages) == text


def test_the_seed_corpus_keeps_every_passage_id_text_and_offset() -> None:
    before = json.loads((FIXTURES / "seed-passages.json").read_text(encoding="utf-8"))
    corpus = load_corpus(SEEDS)
    now = {doc.source: {"title": doc.title, "passages": [[p.id, p.start, p.end, p.section] for p in doc.passages]}
           for doc in corpus.documents}
    assert now == before


def _wrap(text: str, width: int) -> list[str]:
    lines = [""]
    for word in text.split():
        if lines[-1] and len(lines[-1]) + 1 + len(word) > width:
            lines.append("")
        lines[-1] = f"{lines[-1]} {word}".strip()
    return lines


def _sentences(text: str) -> list[str]:
    return re.split(r"(?<=\.) (?=Colony)", display_text(text))
