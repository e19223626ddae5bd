"""Markdown, HTML and PDF files, made here, are read by their libraries, indexed, searched and answered from,
with every offset pointing into the document's extracted text that ``GET /v1/documents/{source}`` returns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from fpdf import FPDF
from openapi_core import OpenAPI

from qa_api.corpus import load_corpus, read_document
from qa_api.errors import UnreadableDocumentError
from qa_api.http.app import create_app
from qa_api.settings import Settings
from tests.conftest import ContractClient

MARKDOWN = """\
# The Gray Point *Lighthouse*

The lighthouse on Gray Point was built in 1871 from granite quarried on the
island itself. Its first keeper, Thomas Whitcombe, kept a log of every ship
that passed, and the log survives in the [county archive](https://example.org/archive).

Life on the Point
-----------------

Keepers served in pairs and changed watch at midnight. Supplies came by boat
every second week, weather permitting.

1. The lamp burned **whale oil** until 1885.
2. Kerosene took its place, and the light was electrified in 1952.

<div class="note">Raw HTML is not text.</div>

```
LOG 1871-05-02  brig Alice, bound north
```
"""

HTML = """\
<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<title>Keeping Bees in Cold Climates | Apiary Weekly</title></head>
<body>
<header><nav><a href="/">Home</a> <a href="/shop">Shop our hive tools</a> <a href="/login">Sign in</a></nav></header>
<main><article>
<h1>Keeping Bees in Cold Climates</h1>
<p>Honey bees survive the winter by forming a tight cluster inside the hive. The
workers shiver their flight muscles to keep the queen warm, and the cluster moves
slowly across the combs as it eats the stored honey.</p>
<h2>Insulating the hive</h2>
<p>Beekeepers in Finland wrap their hives in <b>wool</b> blankets from November to March.
A wrapped hive loses less heat, so the colony eats less honey. Maria Okafor, who keeps
forty colonies near Tampere, weighs every hive in October.</p>
<ul><li>Narrow the entrance against mice.</li><li>Leave twenty kilograms of honey per colony.</li></ul>
<h2>Feeding in late winter</h2>
<p>Fondant placed directly above the cluster keeps a colony alive when its honey runs out in February.</p>
</article></main>
<aside><h3>Most read</h3><ul><li><a href="/ten-tools">Ten hive tools every beginner needs</a></li></ul></aside>
<footer><p>Copyright 2024 Apiary Weekly. Subscribe to our newsletter for weekly offers.</p></footer>
</body></html>
"""

PDF_PAGES = [
    ("Tidal Power in the Bay of Fundy", [
        "The Bay of Fundy has the highest tides in the world, rising and falling by as much as sixteen metres "
        "twice a day. Engineers have tried for a century to turn that water into electricity.",
        "The Annapolis Royal station ran from 1984 until 2019. It used a single turbine in a barrage across the "
        "river and produced about twenty megawatts at its best.",
    ]),
    ("Fish and Turbines", [
        "Fishermen worry most about the passage of fish through the blades. A study by Dalhousie University "
        "found that most fish avoid the turbines, but some striped bass do not.",
    ]),
]


def make_pdf(path: Path) -> None:
    pdf = FPDF()
    pdf.set_title("Tidal Power in the Bay of Fundy")
    for heading, paragraphs in PDF_PAGES:
        pdf.add_page()
        pdf.set_font("Helvetica", "B", 16)
        pdf.cell(text=heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("Helvetica", size=12)
        for paragraph in paragraphs:
            pdf.multi_cell(w=0, text=paragraph, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


@pytest.fixture(scope="module")
def corpus_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    corpus = tmp_path_factory.mktemp("formats")
    (corpus / "lighthouse.md").write_text(MARKDOWN, encoding="utf-8")
    (corpus / "bees.html").write_text(HTML, encoding="utf-8")
    make_pdf(corpus / "tides.pdf")
    return corpus


@pytest.fixture(scope="module")
def formats_app(corpus_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return create_app(Settings(corpus_dir=corpus_dir, index_dir=tmp_path_factory.mktemp("index")))


@pytest.fixture()
def api(formats_app: Flask, openapi: OpenAPI) -> ContractClient:
    return ContractClient(formats_app, openapi)


def document(api: ContractClient, source: str) -> dict[str, Any]:
    response = api.get(f"/v1/documents/{source}")
    assert response.status_code == 200
    doc: dict[str, Any] = response.get_json()
    for passage in doc["passages"]:
        assert doc["text"][passage["start"] : passage["end"]] == passage["text"]
    return doc


def test_markdown_headings_are_sections_without_their_marks(api: ContractClient) -> None:
    doc = document(api, "lighthouse.md")
    assert doc["title"] == "The Gray Point Lighthouse"
    sections = [p["section"] for p in doc["passages"]]
    assert sections[0] == "The Gray Point Lighthouse" and "Life on the Point" in sections
    assert "#" not in doc["text"] and "*" not in doc["text"] and "-----" not in doc["text"]
    assert "Raw HTML" not in doc["text"] and "https://example.org" not in doc["text"]
    texts = [p["text"] for p in doc["passages"]]
    assert "county archive." in texts[0] and "1. The lamp burned whale oil until 1885." in texts
    assert any(t.startswith("LOG 1871-05-02") for t in texts)
    assert all(p["page"] is None for p in doc["passages"])


def test_an_html_page_is_its_main_text_with_headings_as_sections(api: ContractClient) -> None:
    doc = document(api, "bees.html")
    assert doc["title"] == "Keeping Bees in Cold Climates"
    for furniture in ("Shop our hive tools", "Sign in", "Most read", "Ten hive tools", "Subscribe", "Copyright"):
        assert furniture not in doc["text"]
    by_text = {p["text"]: p["section"] for p in doc["passages"]}
    assert by_text["Narrow the entrance against mice."] == "Insulating the hive"
    assert any(t.startswith("Fondant placed") and s == "Feeding in late winter" for t, s in by_text.items())


def test_a_pdf_is_read_page_by_page_and_passages_name_their_page(api: ContractClient) -> None:
    doc = document(api, "tides.pdf")
    assert doc["title"] == "Tidal Power in the Bay of Fundy"
    pages = {p["text"].split()[0] + " " + p["text"].split()[1]: (p["page"], p["section"]) for p in doc["passages"]}
    assert pages == {"The Bay": (1, "Tidal Power in the Bay of Fundy"),
                     "The Annapolis": (1, "Tidal Power in the Bay of Fundy"),
                     "Fishermen worry": (2, "Fish and Turbines")}
    wrapped = next(p for p in doc["passages"] if p["text"].startswith("The Bay"))
    assert "\n" in wrapped["text"]  # the PDF's own line breaks, joined into one paragraph


@pytest.mark.parametrize(("query", "source", "page"), [
    ("granite quarried keeper log", "lighthouse.md", None),
    ("wool blankets Finland", "bees.html", None),
    ("striped bass turbines", "tides.pdf", 2),
])
def test_each_format_is_found_by_search(api: ContractClient, query: str, source: str, page: int | None) -> None:
    response = api.get("/v1/search", query={"q": query, "top_k": 1})
    [hit] = response.get_json()["passages"]
    assert hit["source"] == source and hit["page"] == page
    text = document(api, source)["text"]
    assert text[hit["start"] : hit["end"]] == hit["text"]
    for mark in hit["highlights"]:
        assert hit["text"][mark["start"] : mark["end"]].lower().startswith(mark["term"][:4])


@pytest.mark.parametrize(("question", "source", "answer"), [
    ("Who kept a log of every ship that passed?", "lighthouse.md", "Thomas Whitcombe"),
    ("Who keeps forty colonies near Tampere?", "bees.html", "Maria Okafor"),
    ("When did the Annapolis Royal station stop running?", "tides.pdf", "2019"),
])
def test_each_format_answers_a_question_with_offsets_into_its_text(
        api: ContractClient, question: str, source: str, answer: str) -> None:
    body = api.post("/v1/ask", json={"question": question}).get_json()
    text = document(api, source)["text"]
    evidence = body["evidence"]
    assert evidence["source"] == source and answer in evidence["text"]
    assert text[evidence["start"] : evidence["end"]] == evidence["text"]
    if body["answer"] is not None:  # given only when likely right
        reply = body["answer"]
        assert reply["source"] == source and answer in reply["text"]
        assert text[reply["start"] : reply["end"]] == reply["text"]


def test_files_that_cannot_be_read_are_skipped_and_say_why(tmp_path: Path) -> None:
    (tmp_path / "good.md").write_text("# Title\n\nA fine paragraph.\n", encoding="utf-8")
    (tmp_path / "broken.pdf").write_bytes(b"%PDF-1.4\nnot really a PDF at all")
    (tmp_path / "latin1.md").write_bytes("caf\xe9 au lait.\n".encode("latin-1"))
    (tmp_path / "notes.docx").write_bytes(b"PK\x03\x04 not a kind of file we read")
    corpus = load_corpus(tmp_path)
    assert [d.source for d in corpus.documents] == ["good.md"]
    reasons = dict(zip(corpus.skipped, corpus.skip_reasons, strict=True))
    assert reasons.keys() == {"broken.pdf", "latin1.md"}
    assert reasons["broken.pdf"].startswith("not a readable PDF") and reasons["latin1.md"].startswith("not UTF-8")
    with pytest.raises(UnreadableDocumentError, match=r"\.docx is not a kind of file we read"):
        read_document("notes.docx", b"")


def test_an_html_page_in_another_encoding_is_decoded_by_its_charset() -> None:
    page = HTML.replace('charset="utf-8"', 'charset="iso-8859-1"').replace("Tampere", "Tampere, Jyväskylä")
    doc = read_document("bees.html", page.encode("iso-8859-1"))
    assert "Jyväskylä" in doc.text
