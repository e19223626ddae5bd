"""An OpenAI-compatible chat endpoint: ``/v1/models`` and ``/v1/chat/completions`` (plain and streamed).

The reply is built from ``QAService.ask`` (the answer and the passages behind it), never generated.
Errors on these routes use the OpenAI shape ``{"error": {"message", "type", "param", "code"}}`` so that
OpenAI client libraries report them as usual; the rest of the API keeps problem+json.
"""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterator
from datetime import datetime
from typing import Any

from flask import Blueprint, Flask, Response, request
from pydantic import ValidationError

from qa_api.frontends.conversation import Reply, compose_reply, count_tokens, notice, read_conversation

from .chat_models import ChatRequest, OpenAIError
from .context import parse_json, service
from .middleware.observe import note_query
from .problems import PROBLEM_JSON

MODEL_ID = "qa-api"
OWNER = "qa-api"
CHAT_PATHS = ("/v1/chat/", "/v1/models")
_UNION_TAGS = {"str", "int", "float", "bool", "list", "dict", "none"}

bp = Blueprint("chat", __name__, url_prefix="/v1")


class ChatError(Exception):
    """A request the chat endpoint refuses, reported in the OpenAI error shape."""

    def __init__(self, status: int, message: str, param: str | None = None, code: str | None = None) -> None:
        super().__init__(message)
        self.status, self.message, self.param, self.code = status, message, param, code


def register(app: Flask) -> None:
    app.register_blueprint(bp)
    app.after_request(_openai_error_shape)


@bp.errorhandler(ChatError)
def _chat_error(exc: ChatError) -> Response:
    return openai_error(exc.status, exc.message, exc.param, exc.code)


@bp.get("/models")
def list_models() -> Response:
    return _json({"object": "list", "data": [_model()]})


@bp.get("/models/<path:model>")
def get_model(model: str) -> Response:
    _require_model(model)
    return _json(_model())


@bp.post("/chat/completions")
def chat_completions() -> Response:
    body = _parse()
    _require_model(body.model)
    _require_sources(body.sources)
    reply = notice(body.user_turns()) or _answer(body)
    completion_id, created = f"chatcmpl-{uuid.uuid4().hex}", int(time.time())
    usage = _usage(body.prompt_text(), reply.text)
    if body.stream:
        include_usage = bool(body.stream_options and body.stream_options.include_usage)
        events = _stream(completion_id, created, reply, usage if include_usage else None)
        return Response(events, mimetype="text/event-stream",
                        headers={"Cache-Control": "no-cache", "X-Accel-Buffering": "no"})
    return _json({
        "id": completion_id, "object": "chat.completion", "created": created, "model": MODEL_ID,
        "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.text, "refusal": None},
                     "logprobs": None, "finish_reason": "stop"}],
        "usage": usage, "citations": _citations(reply),
    })


def _answer(body: ChatRequest) -> Reply:
    question = read_conversation(body.turns(), service().analyzer)
    note_query(question.text)
    return compose_reply(service().ask(question.text, body.top_k, body.sources, question.context))


def openai_error(status: int, message: str, param: str | None = None, code: str | None = None) -> Response:
    body = OpenAIError.of(status, message, param, code)
    return Response(body.model_dump_json(), status=status, mimetype="application/json")


def _openai_error_shape(response: Response) -> Response:
    """Rewrite problem+json from shared handlers (401, 405, 413, 415, 429 ...) on the chat routes, in place."""
    if response.mimetype != PROBLEM_JSON or not request.path.startswith(CHAT_PATHS):
        return response
    problem: dict[str, Any] = json.loads(response.get_data())
    errors = problem.get("errors") or [{}]
    code = {401: "invalid_api_key", 429: "rate_limit_exceeded"}.get(response.status_code)
    body = OpenAIError.of(response.status_code, problem.get("detail", ""), errors[0].get("field"), code)
    response.set_data(body.model_dump_json())
    response.mimetype = "application/json"
    return response


def _parse() -> ChatRequest:
    try:
        return parse_json(ChatRequest)
    except ValidationError as exc:
        error = exc.errors()[0]
        if error["type"] == "model_type" and not error["loc"]:
            raise ChatError(400, "The request body must be a JSON object.", None, "invalid_value") from None
        param = _param(error["loc"]) or "messages"  # only the whole-conversation check has no location
        if error["type"] == "extra_forbidden":
            raise ChatError(400, f"Unrecognized request argument supplied: {param}", param) from None
        raise ChatError(400, f"Invalid value for '{param}': {error['msg']}", param, "invalid_value") from None


def _param(loc: tuple[int | str, ...]) -> str:
    """A pydantic location as OpenAI names parameters: ``messages[0].content``."""
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        elif not re.fullmatch(r"[a-z_]+", part) or part in _UNION_TAGS:
            break  # a union branch or validator, not a field
        else:
            out += f".{part}" if out else part
    return out


def _require_model(model: str) -> None:
    if model != MODEL_ID:
        raise ChatError(404, f"The model `{model}` does not exist or you do not have access to it.", "model",
                        "model_not_found")


def _require_sources(sources: list[str]) -> None:
    # The OpenAI API answers a body naming a model or a file that does not exist with 404; so does this.
    if unknown := service().unknown_sources(sources):
        raise ChatError(404, unknown[0], "sources", "source_not_found")


def _model() -> dict[str, Any]:
    built_at = service().stats().built_at
    created = int(datetime.fromisoformat(built_at).timestamp()) if built_at else 0
    return {"id": MODEL_ID, "object": "model", "created": created,
            "owned_by": OWNER}


def _usage(prompt: str, completion: str) -> dict[str, int]:
    prompt_tokens, completion_tokens = count_tokens(prompt), count_tokens(completion)
    return {"prompt_tokens": prompt_tokens, "completion_tokens": completion_tokens,
            "total_tokens": prompt_tokens + completion_tokens}


def _citations(reply: Reply) -> list[dict[str, Any]]:
    return [{"number": c.number, "passage_id": c.passage_id, "source": c.source, "paragraph": c.paragraph,
             "quote": c.quote} for c in reply.citations]


def _stream(completion_id: str, created: int, reply: Reply, usage: dict[str, int] | None) -> Iterator[str]:
    """Server-sent events as the OpenAI API sends them: role, content pieces, finish, [usage], [DONE]."""
    def chunk(choices: list[dict[str, Any]], **extra: Any) -> str:
        body = {"id": completion_id, "object": "chat.completion.chunk", "created": created, "model": MODEL_ID,
                "choices": choices, **extra}
        return f"data: {json.dumps(body, ensure_ascii=False)}\n\n"

    def delta(content: dict[str, Any], finish_reason: str | None = None, **extra: Any) -> str:
        return chunk([{"index": 0, "delta": content, "logprobs": None, "finish_reason": finish_reason}], **extra)

    yield delta({"role": "assistant", "content": ""})
    for piece in reply.text.splitlines(keepends=True):
        yield delta({"content": piece})
    yield delta({}, "stop", citations=_citations(reply))
    if usage is not None:
        yield chunk([], usage=usage)
    yield "data: [DONE]\n\n"


def _json(body: dict[str, Any]) -> Response:
    return Response(json.dumps(body, ensure_ascii=False), mimetype="application/json")
