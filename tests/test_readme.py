"""The curl examples of the README and docs/ give the outputs they show, against the real server (timings
aside); the README stays a front door."""

from __future__ import annotations

import pytest

from tests.live import LiveServer
from tests.readme_examples import DOCUMENTS, README, comparable, find_examples, run

EXAMPLES = [e for page in DOCUMENTS for e in find_examples(page.read_text(encoding="utf-8"))]
README_LINES = 200


def test_the_readme_is_a_front_door() -> None:
    text = README.read_text(encoding="utf-8")
    assert len(text.splitlines()) <= README_LINES
    assert text.split("```sh\n", 1)[1].startswith("make run") and "\nmake test" in text.split("```", 2)[1]
    for page in DOCUMENTS[1:]:
        assert f"(docs/{page.name})" in text, page.name  # every page of the manual is linked from it


def test_the_docs_have_a_curl_example_of_each_endpoint() -> None:
    commands = " ".join(e.command for e in EXAMPLES)
    for path in ("/v1/search", "/v1/ask", "/v1/documents", "/v1/documents/", "/v1/passages/", "/healthz",
                 "/readyz", "/v1/chat/completions"):
        assert f"8000{path}" in commands, path


@pytest.mark.server
@pytest.mark.parametrize("example", EXAMPLES, ids=[e.command.split("8000")[1].split()[0][:40] for e in EXAMPLES])
def test_a_readme_example_prints_what_the_readme_shows(live_server: LiveServer, example) -> None:
    assert comparable(run(example, live_server.url)) == comparable(example.output)
