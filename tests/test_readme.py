"""The README's curl examples give the outputs it shows, against the real server (timings aside)."""

from __future__ import annotations

import pytest

from tests.live import LiveServer
from tests.readme_examples import README, comparable, find_examples, run

EXAMPLES = find_examples(README.read_text(encoding="utf-8"))


def test_the_readme_has_a_curl_example_of_each_endpoint() -> None:
    commands = " ".join(e.command for e in EXAMPLES)
    for path in ("/v1/search", "/v1/ask", "/v1/documents", "/v1/documents/", "/v1/passages/", "/healthz",
                 "/readyz", "/v1/chat/completions"):
        assert f"8000{path}" in commands, path


@pytest.mark.server
@pytest.mark.parametrize("example", EXAMPLES, ids=[e.command.split("8000")[1].split()[0][:40] for e in EXAMPLES])
def test_a_readme_example_prints_what_the_readme_shows(live_server: LiveServer, example) -> None:
    assert comparable(run(example, live_server.url)) == comparable(example.output)
