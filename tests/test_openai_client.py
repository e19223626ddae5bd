"""The official ``openai`` package, pointed at a real ``qa-api serve`` on loopback, plain and streaming."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from tests.conftest import EXAMPLE_QUESTION, SEEDS
from tests.live import LiveServer, start_server

pytestmark = pytest.mark.server
MODEL = "qa-api"
KEY = "live-test-key"


def connect(server: LiveServer, api_key: str = "unused") -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{server.url}/v1", api_key=api_key, max_retries=0, timeout=20)


def test_the_client_lists_and_retrieves_the_model(live_server: LiveServer) -> None:
    with connect(live_server) as client:
        assert [m.id for m in client.models.list()] == [MODEL]
        assert client.models.retrieve(MODEL).owned_by == "qa-api"
        with pytest.raises(openai.NotFoundError) as caught:
            client.models.retrieve("gpt-4o")
        assert caught.value.code == "model_not_found"


def test_a_plain_completion(live_server: LiveServer) -> None:
    with connect(live_server) as client:
        completion = client.chat.completions.create(
            model=MODEL, messages=[{"role": "user", "content": EXAMPLE_QUESTION}], temperature=0)
    assert completion.object == "chat.completion" and completion.model == MODEL
    choice = completion.choices[0]
    assert choice.finish_reason == "stop" and choice.message.role == "assistant"
    assert choice.message.content is not None and choice.message.content.startswith("late April 2025 [1]")
    assert "[1] 001_5fe9c23b30af33fc.txt, paragraph 4:" in choice.message.content
    assert completion.usage is not None and completion.usage.completion_tokens > 0


def test_a_follow_up_through_the_client(live_server: LiveServer) -> None:
    with connect(live_server) as client:
        completion = client.chat.completions.create(model=MODEL, messages=[
            {"role": "user", "content": "Where was the Victory Day celebration where Kim spoke held?"},
            {"role": "assistant", "content": "the Russian Embassy in Pyongyang [1]"},
            {"role": "user", "content": "And when was that?"},
        ])
    assert (completion.choices[0].message.content or "").startswith("May 9 [1]")


def test_a_streamed_completion(live_server: LiveServer) -> None:
    with connect(live_server) as client:
        plain = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": EXAMPLE_QUESTION}])
        stream = client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": EXAMPLE_QUESTION}],
                                                stream=True, stream_options={"include_usage": True})
        chunks = list(stream)
    pieces = [c.choices[0].delta.content or "" for c in chunks if c.choices]
    assert "".join(pieces) == plain.choices[0].message.content and len(pieces) > 3
    assert [c.choices[0].finish_reason for c in chunks if c.choices][-1] == "stop"
    assert chunks[-1].usage is not None and chunks[-1].usage.total_tokens > 0


def test_client_errors_arrive_as_the_clients_exceptions(live_server: LiveServer) -> None:
    with connect(live_server) as client:
        with pytest.raises(openai.BadRequestError) as unknown:
            client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}],
                                           extra_body={"frobnicate": True})
        with pytest.raises(openai.BadRequestError) as too_many:
            client.chat.completions.create(model=MODEL, messages=[{"role": "user", "content": "hi"}], n=3)
        with pytest.raises(openai.NotFoundError):
            client.chat.completions.create(model="gpt-4o", messages=[{"role": "user", "content": "hi"}])
    assert unknown.value.param == "frobnicate" and "frobnicate" in unknown.value.message
    assert too_many.value.param == "n" and too_many.value.status_code == 400


def test_the_client_reads_the_request_id_of_replies_and_errors(live_server: LiveServer) -> None:
    question = [{"role": "user", "content": EXAMPLE_QUESTION}]
    with connect(live_server) as client:
        chosen = client.chat.completions.create(model=MODEL, messages=question,
                                                extra_headers={"X-Request-Id": "support-ticket-81"})
        made = client.chat.completions.create(model=MODEL, messages=question)
        with pytest.raises(openai.NotFoundError) as caught:
            client.chat.completions.create(model="gpt-4o", messages=question)
    assert chosen._request_id == "support-ticket-81"
    assert made._request_id and len(made._request_id) == 32 and made._request_id != caught.value.request_id
    assert caught.value.request_id and len(caught.value.request_id) == 32


@pytest.fixture(scope="module")
def keyed_server(index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A second server, one worker, with QA_API_KEY set."""
    env = dict(os.environ, QA_API_CORPUS_DIR=str(SEEDS), QA_API_INDEX_DIR=str(index_dir), QA_API_KEY=KEY)
    with start_server(env, tmp_path_factory.mktemp("keyed") / "server.log", workers=1) as server:
        yield server


def test_the_api_key_is_the_clients_api_key(keyed_server: LiveServer) -> None:
    with connect(keyed_server, KEY) as client:
        completion = client.chat.completions.create(model=MODEL, messages=[{"role": "user",
                                                                            "content": EXAMPLE_QUESTION}])
        assert (completion.choices[0].message.content or "").startswith("late April 2025")
    with connect(keyed_server, "wrong") as client, pytest.raises(openai.AuthenticationError) as caught:
        client.models.list()
    assert caught.value.code == "invalid_api_key"
