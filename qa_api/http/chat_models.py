"""Pydantic models of the OpenAI-compatible chat endpoint: the request it accepts and its error body.

Every model is strict: a value of another JSON type than the schema declares (``"parallel_tool_calls": 0``,
``"include_usage": "yes"``) is refused with 400, as the OpenAI API does, rather than coerced.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from qa_api.frontends.conversation import Turn
from qa_api.frontends.schemas import MAX_SOURCES, MAX_TOP_K, Source

MAX_MESSAGES = 200
MAX_MESSAGE_CHARS = 32768
CHAT_TOP_K = 3  # passages cited; the answer reads the same passages whatever this is, as in POST /v1/ask
_ERROR_TYPES = {429: "requests"}


def _whole_number(value: Any) -> Any:
    # JSON Schema's integer is any number without a fraction, so 3.0 is one; strict mode alone would refuse it.
    return int(value) if isinstance(value, float) and value.is_integer() else value


Integer = Annotated[int, BeforeValidator(_whole_number)]


class ContentPart(BaseModel):
    """A part of a message's content; only ``text`` parts are read."""

    model_config = ConfigDict(extra="allow", strict=True)

    type: str
    text: Annotated[str, Field(max_length=MAX_MESSAGE_CHARS)] = ""


class ChatMessage(BaseModel):
    """One turn. Fields a reply never uses (``name``, ``tool_calls`` ...) are accepted and ignored."""

    model_config = ConfigDict(extra="allow", strict=True)

    role: Literal["system", "developer", "user", "assistant", "tool", "function"]
    content: Annotated[str, Field(max_length=MAX_MESSAGE_CHARS)] | list[ContentPart] | None = None

    def text(self) -> str:
        if isinstance(self.content, list):
            return "\n".join(p.text for p in self.content if p.type == "text" and p.text)
        return self.content or ""


class StreamOptions(BaseModel):
    model_config = ConfigDict(extra="allow", strict=True)

    include_usage: bool = False


class ChatRequest(BaseModel):
    """``POST /v1/chat/completions``. Sampling parameters are accepted and ignored: nothing is sampled."""

    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)

    model: Annotated[str, Field(min_length=1)]
    messages: Annotated[list[ChatMessage], Field(min_length=1, max_length=MAX_MESSAGES)]
    stream: bool | None = False
    stream_options: StreamOptions | None = None
    n: Annotated[Integer, Field(ge=1, le=1)] | None = 1
    # Extensions (pass them as extra body fields): how many passages to cite, and which files to search.
    top_k: Annotated[Integer, Field(ge=1, le=MAX_TOP_K)] = CHAT_TOP_K
    sources: Annotated[list[Source], Field(max_length=MAX_SOURCES)] = []
    # Accepted and ignored, as the reply is built from the corpus, not sampled.
    temperature: float | None = None
    top_p: float | None = None
    presence_penalty: float | None = None
    frequency_penalty: float | None = None
    seed: Integer | None = None
    stop: str | list[str] | None = None
    max_tokens: Integer | None = None
    max_completion_tokens: Integer | None = None
    logit_bias: dict[str, float] | None = None
    logprobs: bool | None = None
    top_logprobs: Integer | None = None
    user: str | None = None
    metadata: dict[str, str] | None = None
    store: bool | None = None
    service_tier: str | None = None
    parallel_tool_calls: bool | None = None
    reasoning_effort: str | None = None
    prompt_cache_key: str | None = None
    safety_identifier: str | None = None
    tools: list[dict[str, Any]] | None = None
    tool_choice: Literal["none", "auto"] | None = None
    response_format: dict[str, Any] | None = None

    @field_validator("response_format")
    @classmethod
    def _text_only(cls, value: dict[str, Any] | None) -> dict[str, Any] | None:
        if value is not None and value.get("type") != "text":
            raise ValueError("only {'type': 'text'} is supported: replies are plain text")
        return value

    def user_turns(self) -> list[str]:
        """The text of each user message that has some, oldest first."""
        return [t for m in self.messages if m.role == "user" for t in (m.text(),) if t.strip()]

    def turns(self) -> list[Turn]:
        """The user and assistant messages that have text, oldest first."""
        return [Turn(m.role, t) for m in self.messages if m.role in ("user", "assistant") for t in (m.text(),)
                if t.strip()]

    def prompt_text(self) -> str:
        return "\n".join(m.text() for m in self.messages)


class OpenAIErrorDetail(BaseModel):
    message: str
    type: str
    param: str | None
    code: str | None


class OpenAIError(BaseModel):
    error: OpenAIErrorDetail

    @classmethod
    def of(cls, status: int, message: str, param: str | None = None, code: str | None = None) -> OpenAIError:
        kind = "server_error" if status >= 500 else _ERROR_TYPES.get(status, "invalid_request_error")
        return cls(error=OpenAIErrorDetail(message=message, type=kind, param=param, code=code))
