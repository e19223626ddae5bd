"""Splitting files into passages: paragraphs a reader would see, sections, boilerplate, exact offsets."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_api.corpus import load_corpus, split_document
from tests.conftest import SEEDS


@pytest.fixture(scope="module")
def corpus():
    return load_corpus(SEEDS)


def test_every_passage_is_the_exact_slice_of_its_source(corpus) -> None:
    passages = list(corpus.passages())
    assert len(passages) > 50
    for doc in corpus.documents:
        source_text = (SEEDS / doc.source).read_text(encoding="utf-8")
        for p in doc.passages:
            assert source_text[p.start:p.end] == p.text
            assert p.text == p.text.strip() and p.text


def test_ids_are_stable_and_unique(corpus) -> None:
    again = load_corpus(SEEDS)
    ids = [p.id for p in corpus.passages()]
    assert ids == [p.id for p in again.passages()]
    assert len(set(ids)) == len(ids)
    assert ids[0] == "000_991727d72fd32601-p1"


def test_single_newline_paragraphs_are_separate_passages(corpus) -> None:
    doc = corpus.documents[0]  # 000: one paragraph a line, title first
    assert doc.title == "North Korea Affirms Solidarity with Russia Over Ukraine Conflict"
    assert len(doc.passages) == 6
    assert all(p.section == doc.title for p in doc.passages)
    assert doc.passages[0].text.startswith("North Korean leader Kim Jong-un publicly affirmed")


def test_headings_become_the_section_of_the_passages_under_them(corpus) -> None:
    doc = next(d for d in corpus.documents if d.source.startswith("003"))
    sections = [p.section for p in doc.passages]
    assert sections[0] is None
    assert "Remembering the Korean War" in sections
    assert not any(p.text == "Remembering the Korean War" for p in doc.passages)
    armistice = next(p for p in doc.passages if "70th Anniversary of the Korean War armistice" in p.text)
    assert armistice.section == "Remembering the Korean War"


def test_web_boilerplate_is_not_indexed(corpus) -> None:
    doc = next(d for d in corpus.documents if d.source.startswith("002"))
    texts = " ".join(p.text for p in doc.passages)
    for furniture in ("RELATED STORIES", "Opens in new window", "Edited by Mike Firn"):
        assert furniture not in texts
    assert "Democratic People’s Republic of Korea" in texts


def test_trailing_headlines_are_passages_of_their_own(corpus) -> None:
    doc = next(d for d in corpus.documents if d.source.startswith("001"))
    headline = next(p for p in doc.passages if p.text.startswith("New York Legalizes"))
    assert headline.text == "New York Legalizes Medical Aid in Dying for Terminally Ill Patients"


def test_nothing_but_boilerplate_and_headings_is_dropped(corpus) -> None:
    dropped_ok = {"RELATED STORIES", "Edited by Mike Firn."}
    for doc in corpus.documents:
        kept = {p.text for p in doc.passages} | {p.section for p in doc.passages if p.section}
        for line in doc.text.splitlines():
            line = line.strip()
            if line and line not in dropped_ok and "Opens in new window" not in line:
                assert line in kept, (doc.source, line)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("One.\nTwo.\n", ["One.", "Two."]),
        ("One.\r\n\r\nTwo.\r\n", ["One.", "Two."]),
        ("  indented paragraph.  \n", ["indented paragraph."]),
        ("Heading\n\nBody text follows here.\n", ["Body text follows here."]),
        ("", []),
        ("\n\n   \n", []),
    ],
)
def test_split_edge_cases(text: str, expected: list[str]) -> None:
    doc = split_document("x.txt", text)
    assert [p.text for p in doc.passages] == expected
    assert all(text[p.start:p.end] == p.text for p in doc.passages)


def test_hard_wrapped_paragraphs_are_joined() -> None:
    para = ("This is a long paragraph that was wrapped at a fixed width by an old text editor so that\n"
            "every line stops somewhere in the middle of a sentence and carries on in the next line\n"
            "until the sentence finally ends here.")
    text = "\n\n".join([para, para.replace("This", "That"), para.replace("This", "Such a")]) + "\n"
    doc = split_document("wrapped.txt", text)
    assert len(doc.passages) == 3
    assert doc.passages[0].text == para


def test_files_that_are_not_utf8_are_skipped_and_named(tmp_path: Path) -> None:
    (tmp_path / "good.txt").write_text("A fine paragraph.\n", encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"caf\xe9 au lait.\n")
    corpus = load_corpus(tmp_path)
    assert [d.source for d in corpus.documents] == ["good.txt"]
    assert corpus.skipped == ("bad.txt",)


def test_unsafe_file_names_get_url_safe_ids(tmp_path: Path) -> None:
    (tmp_path / "a b#c.txt").write_text("Some text here.\n", encoding="utf-8")
    [doc] = load_corpus(tmp_path).documents
    assert doc.passages[0].id.replace("-", "").replace("_", "").replace(".", "").isalnum()
