"""What every blueprint needs of the request it serves: the service, and a JSON body parsed once, one way.

Blueprints import this module, never one another.
"""

from __future__ import annotations

import json
import sys
from typing import Any, TypeVar

from flask import current_app, request
from pydantic import BaseModel
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

from qa_api.service import QAService
from qa_api.settings import Settings

M = TypeVar("M", bound=BaseModel)


def service() -> QAService:
    """The app's one service (``create_app`` puts it there)."""
    svc: QAService = current_app.extensions["qa_api"]
    return svc


def settings() -> Settings:
    found: Settings = current_app.config["QA_API_SETTINGS"]
    return found


def parse_json(model: type[M]) -> M:
    """The request body as ``model``: 415 unless JSON, 413 when too large, 400 when malformed, 422 when invalid."""
    if request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
        raise UnsupportedMediaType("Send the body as application/json.")
    raw = read_body(current_app.config["QA_API_MAX_BODY_BYTES"], "The body")
    try:
        data: Any = json.loads(raw, parse_constant=_refuse_constant, parse_int=_integer)
    except RecursionError:
        raise BadRequest("The JSON body is nested too deeply.") from None
    except ValueError as exc:
        raise BadRequest(f"The body is not valid JSON: {exc}") from None
    return model.model_validate(data)


def read_body(limit: int, what: str) -> bytes:
    """The request body, at most ``limit`` bytes (413 naming ``what`` beyond), read whatever its framing; 400 when
    the server's reader refuses the framing (a bad chunk, a forbidden trailer)."""
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge(f"{what} may be at most {limit} bytes.")
    try:
        raw: bytes = request.stream.read(limit + 1)
    except Exception:
        raise BadRequest("The request body could not be read: its framing is not valid HTTP/1.1.") from None
    if len(raw) > limit:
        raise RequestEntityTooLarge(f"{what} may be at most {limit} bytes.")
    return raw


def _integer(digits: str) -> int | float:
    """A JSON integer; one too long for Python to read as an int (over 4,300 digits) becomes an infinite float,
    which any integer field refuses (422) and a free-form one ignores, instead of failing the whole body."""
    return int(digits) if len(digits) <= sys.get_int_max_str_digits() else float(digits)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")
