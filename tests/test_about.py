"""Any corpus, not only news: the page's title, description and example questions come from settings, or from
the corpus itself; and text shown to people never carries a hard-wrapped line's break."""

from __future__ import annotations

import html
from pathlib import Path

import pytest
from flask import Flask
from openapi_core import OpenAPI

from qa_api.frontends.about import describe
from qa_api.http.app import create_app
from qa_api.service import QAService
from qa_api.settings import Settings
from tests.conftest import ContractClient, service_over

BEES = """\
Keeping Bees at Tampere

The apiary on the shore of Lake Nasijarvi is run by Maria
Okafor, who keeps forty colonies there and weighs every hive
in October by lifting one side with a luggage scale. She
wraps the hives in wool blankets from November to March.

The Winter Cluster

Honey bees survive the winter by forming a tight cluster
inside the hive. The workers shiver their flight muscles to
keep the queen warm, and the cluster moves slowly across the
combs as it eats the stored honey.
"""
LIGHTHOUSE = """\
# The Gray Point Lighthouse

The lighthouse on Gray Point was built in 1871 from granite. Its first keeper, Thomas Whitcombe, kept a log.

## Life on the Point

Keepers served in pairs and changed watch at midnight on the Point.
"""
QUESTION = "Who keeps forty colonies?"


@pytest.fixture(scope="module")
def bees(tmp_path_factory: pytest.TempPathFactory) -> QAService:
    return service_over({"bees.txt": BEES, "lighthouse.md": LIGHTHOUSE}, tmp_path_factory)


@pytest.fixture(scope="module")
def bees_app(bees: QAService, tmp_path_factory: pytest.TempPathFactory) -> Flask:
    return create_app(Settings(corpus_dir=tmp_path_factory.mktemp("unused")), bees)


def test_the_defaults_come_from_the_corpus(bees: QAService) -> None:
    about = describe(bees, Settings())
    assert about.title == "Ask the documents"
    assert "2 documents" in about.description
    # Headings in the words the text uses: "winter" and "cluster" are lower case there, "Point" is a name.
    assert about.examples == ("What about keeping bees at Tampere?", "What about the Gray Point lighthouse?",
                              "What about the winter cluster?")


@pytest.mark.parametrize(("articles", "title", "examples"), [
    ({"only.md": LIGHTHOUSE}, "Ask The Gray Point Lighthouse",
     ("What about the Gray Point lighthouse?", "What about life on the Point?")),
    ({"a.txt": "The ferry to Vaasa was run by Karin Lund for thirty years.\n",
      "b.txt": "Her brother, Erik Lund, kept the harbour office.\n"}, "Ask the documents",
     ("What about Karin Lund?", "What about Erik Lund?")),
    ({"faq.md": "# Questions\n\n## How do I feed bees in winter?\n\nWith fondant, never syrup.\n"},
     "Ask Questions", ("How do I feed bees in winter?",)),
], ids=["one-document", "names-from-first-sentences", "headings-that-are-questions"])
def test_examples_come_from_headings_else_first_sentences(
        articles: dict[str, str], title: str, examples: tuple[str, ...],
        tmp_path_factory: pytest.TempPathFactory) -> None:
    about = describe(service_over(articles, tmp_path_factory), Settings())
    assert about.title == title and about.examples == examples


def test_settings_override_every_default(bees: QAService) -> None:
    about = describe(bees, Settings(title="Ask the apiary", description="Notes from forty hives.",
                                          examples="Who keeps the bees? | When are hives weighed?|"))
    assert about == type(about)("Ask the apiary", "Notes from forty hives.",
                                ("Who keeps the bees?", "When are hives weighed?"))


def test_the_page_tells_of_this_corpus_not_of_news(bees_app: Flask) -> None:
    page = bees_app.test_client().get("/").get_data(as_text=True)
    assert "<h1>Ask the documents</h1>" in page and "2 documents" in page
    assert f'placeholder="{html.escape("What about keeping bees at Tampere?")}"' in page
    assert 'content="Every answer comes from the 2 documents in the corpus' in page
    for news in ("news", "North Korea", "articles"):
        assert news not in page


def test_the_api_keeps_the_exact_slice_while_chat_reads_it_as_a_person_would(
        bees_app: Flask, openapi: OpenAPI) -> None:
    api = ContractClient(bees_app, openapi)
    answer = api.post("/v1/ask", json={"question": QUESTION}).get_json()["answer"]
    assert answer["text"] == "Maria\nOkafor"  # the source's own line break, with offsets into the source
    assert BEES[answer["start"] : answer["end"]] == answer["text"]
    reply = api.post("/v1/chat/completions", json={"model": "qa-api", "messages": [
        {"role": "user", "content": QUESTION}]}).get_json()
    content = reply["choices"][0]["message"]["content"]
    assert content.startswith("Maria Okafor [1]") and "Maria\nOkafor" not in content
    assert all("\n" not in c["quote"] for c in reply["citations"])


def test_the_command_line_prints_answers_without_line_breaks(
        bees: QAService, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    from qa_api.cli import main

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "bees.txt").write_text(BEES, encoding="utf-8")
    assert main(["ask", QUESTION, "--corpus", str(corpus), "--index", str(tmp_path / "index")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Answer: Maria Okafor ") and "forty colonies there and weighs" in out


def test_the_mcp_server_describes_this_corpus(bees: QAService) -> None:
    from qa_api.frontends.mcp import build_server

    server = build_server(bees, describe(bees, Settings(title="Ask the apiary")))
    assert server.title == "qa-api: Ask the apiary"
    assert server.instructions and "the 2 documents in the corpus" in server.instructions
    assert "news" not in server.instructions
