"""The OpenAI-compatible chat endpoint through the contract-checking client: replies, follow-ups, streams, errors."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.conftest import EXAMPLE_QUESTION, ROOT, SEEDS, ContractClient

MODEL = "qa-api"
NO_QUESTION = "There is no question to answer: no user message has any text."
NO_ANSWER = "The corpus gives no short answer to that."


def ask(client: ContractClient, *turns: str, **extra: Any) -> dict[str, Any]:
    roles = ["user", "assistant"]
    messages = [{"role": roles[i % 2], "content": t} for i, t in enumerate(turns)]
    response = client.post("/v1/chat/completions", json={"model": MODEL, "messages": messages, **extra})
    assert response.status_code == 200, response.get_data(as_text=True)
    body: dict[str, Any] = response.get_json()
    return body


def reply(body: dict[str, Any]) -> str:
    content: str = body["choices"][0]["message"]["content"]
    return content


def test_the_reply_is_the_answer_then_numbered_citations_with_quotes(client: ContractClient) -> None:
    body = ask(client, EXAMPLE_QUESTION)
    assert body["object"] == "chat.completion" and body["model"] == MODEL and body["id"].startswith("chatcmpl-")
    assert body["choices"][0]["finish_reason"] == "stop"
    text = reply(body)
    assert text.startswith("late April 2025 [1]")
    first = body["citations"][0]
    assert first["passage_id"] == "001_5fe9c23b30af33fc-p4" and first["number"] == 1
    assert f'[1] 001_5fe9c23b30af33fc.txt, paragraph 4: "{first["quote"]}"' in text
    assert "officially confirmed in late April 2025" in first["quote"]
    source_text = (SEEDS / first["source"]).read_text(encoding="utf-8")
    for citation in body["citations"]:
        assert f"[{citation['number']}] {citation['source']}" in text
        quoted = citation["quote"].rstrip("…")
        assert " ".join(quoted.split()) in " ".join((SEEDS / citation["source"]).read_text().split())
    assert [c["number"] for c in body["citations"]] == [1, 2, 3]
    assert source_text
    usage = body["usage"]
    assert usage["total_tokens"] == usage["prompt_tokens"] + usage["completion_tokens"] > 0


DEV_QUESTIONS = [json.loads(line)["question"] for line in (ROOT / "eval" / "dev.jsonl").read_text().splitlines()[:12]]


@pytest.mark.parametrize("question", DEV_QUESTIONS)
def test_the_reply_says_what_post_ask_says(client: ContractClient, question: str) -> None:
    asked = client.post("/v1/ask", json={"question": question, "top_k": 3}).get_json()
    body = ask(client, question)
    if asked["answer"] is None:
        # no short answer: the reply quotes the evidence sentence, and its passage is cited first
        evidence = asked["evidence"]
        assert reply(body).startswith(f'{NO_ANSWER} The closest the corpus comes: "')
        assert body["citations"][0]["passage_id"] == evidence["passage_id"]
        assert " ".join(evidence["text"].split())[:60] in reply(body)
        assert {c["passage_id"] for c in body["citations"]} == {p["id"] for p in asked["passages"]}
    else:
        assert reply(body).startswith(f"{asked['answer']['text']} [1]")
        assert body["citations"][0]["passage_id"] == asked["answer"]["passage_id"]
        assert {c["passage_id"] for c in body["citations"]} == {p["id"] for p in asked["passages"]}


def test_an_unanswered_question_quotes_the_closest_sentence_and_cites_it(client: ContractClient) -> None:
    body = ask(client, "What is the population of Pyongyang?")
    assert reply(body).startswith(f'{NO_ANSWER} The closest the corpus comes: "') and '" [1]' in reply(body)
    assert len(body["citations"]) == 3
    nothing = ask(client, "xylophone zebra")
    assert reply(nothing) == f"{NO_ANSWER} No passage matches the question."
    assert nothing["citations"] == []


def test_a_follow_up_is_read_with_the_turn_before_and_its_answer(client: ContractClient) -> None:
    alone = ask(client, "And when was that?")
    assert reply(alone).startswith(NO_ANSWER)
    body = ask(client, "Where was the Victory Day celebration where Kim spoke held?",
               "the Russian Embassy in Pyongyang [1]", "And when was that?")
    assert body["citations"][0]["passage_id"] == "001_5fe9c23b30af33fc-p2"
    assert reply(body).startswith("May 9 [1]") or "on May 9" in body["citations"][0]["quote"]


def test_a_new_question_after_an_answer_stands_alone(client: ContractClient) -> None:
    body = ask(client, "Where was the Victory Day celebration where Kim spoke held?", "Pyongyang [1]",
               EXAMPLE_QUESTION)
    assert reply(body).startswith("late April 2025 [1]")


def test_content_parts_extensions_and_ignored_sampling_parameters(client: ContractClient) -> None:
    parts = [{"type": "text", "text": EXAMPLE_QUESTION}, {"type": "image_url", "image_url": {"url": "x"}}]
    response = client.post("/v1/chat/completions", json={
        "model": MODEL, "messages": [{"role": "system", "content": "Be brief."}, {"role": "user", "content": parts}],
        "temperature": 0.2, "max_tokens": 5, "seed": 1, "stop": ["\n"], "user": "u1", "top_k": 1,
    })
    body = response.get_json()
    assert reply(body).startswith("late April 2025 [1]") and len(body["citations"]) == 1
    only_004 = ask(client, "Who did Kim meet?", sources=["004_df01c9ba794d04db.txt"], top_k=5)
    assert {c["source"] for c in only_004["citations"]} == {"004_df01c9ba794d04db.txt"}


def test_a_whole_number_written_with_a_fraction_is_an_integer_as_json_schema_says(client: ContractClient) -> None:
    body = ask(client, EXAMPLE_QUESTION, top_k=2.0, n=1.0, seed=7.0)
    assert [c["number"] for c in body["citations"]] == [1, 2]


def events(raw: str) -> list[Any]:
    assert raw.endswith("data: [DONE]\n\n")
    blocks = [b for b in raw.split("\n\n") if b]
    assert all(b.startswith("data: ") for b in blocks)
    return [json.loads(b.removeprefix("data: ")) for b in blocks[:-1]]


def test_a_streamed_reply_is_server_sent_chunks_that_add_up_to_the_plain_reply(client: ContractClient) -> None:
    plain = reply(ask(client, EXAMPLE_QUESTION))
    response = client.post("/v1/chat/completions", json={
        "model": MODEL, "stream": True, "stream_options": {"include_usage": True},
        "messages": [{"role": "user", "content": EXAMPLE_QUESTION}],
    })
    assert response.status_code == 200 and response.mimetype == "text/event-stream"
    chunks = events(response.get_data(as_text=True))
    assert {c["object"] for c in chunks} == {"chat.completion.chunk"} and len({c["id"] for c in chunks}) == 1
    assert chunks[0]["choices"][0]["delta"]["role"] == "assistant"
    content = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks if c["choices"])
    assert content == plain and len(chunks) > 3
    finish = [c for c in chunks if c["choices"] and c["choices"][0]["finish_reason"]]
    assert len(finish) == 1 and finish[0]["choices"][0]["finish_reason"] == "stop"
    assert finish[0]["citations"][0]["passage_id"] == "001_5fe9c23b30af33fc-p4"
    assert chunks[-1]["choices"] == [] and chunks[-1]["usage"]["completion_tokens"] > 0


@pytest.mark.parametrize(
    ("messages", "says"),
    [
        ([{"role": "system", "content": "Answer briefly."}], NO_QUESTION),
        ([{"role": "assistant", "content": "hi"}, {"role": "user", "content": "   "}], NO_QUESTION),
        ([{"role": "user", "content": [{"type": "image_url", "image_url": {"url": "x"}}]}], NO_QUESTION),
        ([{"role": "user", "content": "Who? " * 201}], "The question is too long to search (1004 characters)"),
    ],
)
@pytest.mark.parametrize("stream", [False, True])
def test_a_conversation_without_a_question_to_search_is_answered_with_what_to_do(
        client: ContractClient, messages: list[dict[str, Any]], says: str, stream: bool) -> None:
    response = client.post("/v1/chat/completions", json={"model": MODEL, "messages": messages, "stream": stream})
    assert response.status_code == 200
    if stream:
        chunks = events(response.get_data(as_text=True))
        text = "".join(c["choices"][0]["delta"].get("content", "") for c in chunks)
        assert chunks[-1]["choices"][0]["finish_reason"] == "stop" and chunks[-1]["citations"] == []
    else:
        body = response.get_json()
        text, citations = reply(body), body["citations"]
        assert citations == [] and body["choices"][0]["finish_reason"] == "stop"
    assert text.startswith(says), text


def test_models_lists_the_one_model(client: ContractClient) -> None:
    body = client.get("/v1/models").get_json()
    assert body["object"] == "list" and [m["id"] for m in body["data"]] == [MODEL]
    assert client.get(f"/v1/models/{MODEL}").get_json()["id"] == MODEL


def openai_error(response: Any, status: int) -> dict[str, Any]:
    """The OpenAI error shape, which these routes use instead of problem+json."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/json"
    error: dict[str, Any] = response.get_json()["error"]
    assert set(error) == {"message", "type", "param", "code"} and error["message"]
    assert "Traceback" not in response.get_data(as_text=True)
    return error


USER = [{"role": "user", "content": "hi"}]


@pytest.mark.parametrize(
    ("body", "status", "param", "code"),
    [
        ({"model": MODEL, "messages": USER, "frobnicate": 1}, 400, "frobnicate", None),
        ({"model": MODEL, "messages": USER, "n": 2}, 400, "n", "invalid_value"),
        ({"model": MODEL, "messages": USER, "tool_choice": "required"}, 400, "tool_choice", "invalid_value"),
        ({"model": MODEL, "messages": USER, "response_format": {"type": "json_object"}}, 400, "response_format",
         "invalid_value"),
        ({"model": MODEL, "messages": USER, "temperature": "hot"}, 400, "temperature", "invalid_value"),
        ({"model": MODEL, "messages": USER, "top_k": 51}, 400, "top_k", "invalid_value"),
        ({"model": MODEL, "messages": USER, "sources": ["nope.txt"]}, 404, "sources", "source_not_found"),
        ({"model": MODEL, "messages": USER, "parallel_tool_calls": 0}, 400, "parallel_tool_calls", "invalid_value"),
        ({"model": MODEL, "messages": USER, "stream": "true"}, 400, "stream", "invalid_value"),
        ({"model": MODEL, "messages": USER, "stream_options": {"include_usage": 1}}, 400,
         "stream_options.include_usage", "invalid_value"),
        ({"model": MODEL, "messages": USER, "top_k": "3"}, 400, "top_k", "invalid_value"),
        ({"model": MODEL, "messages": USER, "top_k": 2.5}, 400, "top_k", "invalid_value"),
        ({"model": MODEL, "messages": USER, "sources": "004_df01c9ba794d04db.txt"}, 400, "sources",
         "invalid_value"),
        ({"model": MODEL, "messages": USER, "logit_bias": {"50256": True}}, 400, "logit_bias",
         "invalid_value"),
        ({"model": MODEL, "messages": [{"role": "user", "content": [{"type": "text", "text": None}]}]}, 400,
         "messages[0].content", "invalid_value"),
        ({"model": MODEL, "messages": [{"role": "user", "content": "When \ud800"}]}, 400, "messages[0].content",
         "invalid_value"),
        ({"model": MODEL, "messages": []}, 400, "messages", "invalid_value"),
        ({"model": MODEL, "messages": [{"role": "wizard", "content": "hi"}]}, 400, "messages[0].role",
         "invalid_value"),
        ({"model": MODEL, "messages": [{"role": "user", "content": 5}]}, 400, "messages[0].content",
         "invalid_value"),
        ({"messages": USER}, 400, "model", "invalid_value"),
        ({"model": "gpt-4o", "messages": USER}, 404, "model", "model_not_found"),
        (["not", "an", "object"], 400, None, "invalid_value"),  # no one parameter is at fault
    ],
)
def test_bad_chat_requests_get_openai_errors(client: ContractClient, body: Any, status: int, param: str | None,
                                             code: str | None) -> None:
    error = openai_error(client.post("/v1/chat/completions", json=body), status)
    assert error["type"] == "invalid_request_error"
    assert error["param"] == param and error["code"] == code


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("POST", "/v1/chat/completions", {"data": "{", "content_type": "application/json"}, 400),
        ("POST", "/v1/chat/completions", {"data": "model=qa-api", "content_type": "text/plain"}, 415),
        ("POST", "/v1/chat/completions", {"json": {"model": MODEL, "messages": [{"role": "user",
                                                                                "content": "x" * 70000}]}}, 413),
        ("GET", "/v1/chat/completions", {}, 405),
        ("GET", "/v1/models/gpt-4o", {}, 404),
    ],
)
def test_errors_from_shared_handlers_take_the_openai_shape_on_chat_routes(
        client: ContractClient, method: str, path: str, kwargs: dict, status: int) -> None:
    openai_error(client.open(method, path, **kwargs), status)
