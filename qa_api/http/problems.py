"""Every error a client can cause becomes one ``application/problem+json`` body (RFC 9457), here and only here.

Its ``instance`` is the request id (``X-Request-Id``), which the access log and any error logged carry too."""

from __future__ import annotations

import logging
from http import HTTPStatus
from typing import Any

from flask import Flask, Response
from pydantic import ValidationError
from werkzeug.exceptions import HTTPException

from qa_api.errors import NotFoundError, SearchBackendError
from qa_api.frontends.schemas import Problem, field_errors

from . import request_ids

log = logging.getLogger(__name__)

PROBLEM_JSON = "application/problem+json"
INVALID_FIELDS = "urn:qa-api:problem:invalid-fields"
BACKEND_UNAVAILABLE = "urn:qa-api:problem:search-backend-unavailable"
RETRY_AFTER_S = 5


class InvalidFieldsError(Exception):
    """A request whose fields fail validation (422), with one entry per failing field."""

    def __init__(self, errors: list[dict[str, Any]]) -> None:
        super().__init__(errors)
        self.errors = errors


def problem(status: int, detail: str, *, type: str = "about:blank", title: str | None = None,
            headers: dict[str, str] | None = None, **extra: Any) -> Response:
    body = Problem(type=type, title=title or HTTPStatus(status).phrase, status=status, detail=detail,
                   instance=request_ids.current(), **extra)
    response = Response(body.model_dump_json(exclude_none=True), status=status, mimetype=PROBLEM_JSON)
    for name, value in (headers or {}).items():
        response.headers[name] = value
    return response


def register(app: Flask) -> None:
    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Response:
        status = exc.code or 500
        headers = {k: v for k, v in exc.get_headers() if k.lower() not in {"content-type", "content-length"}}
        return problem(status, _describe(exc), headers=headers)

    @app.errorhandler(InvalidFieldsError)
    def invalid_fields(exc: InvalidFieldsError) -> Response:
        return problem(422, "The request has invalid fields; see errors.", type=INVALID_FIELDS,
                       errors=exc.errors)

    @app.errorhandler(ValidationError)
    def validation_error(exc: ValidationError) -> Response:
        return invalid_fields(InvalidFieldsError(field_errors(exc)))

    @app.errorhandler(NotFoundError)
    def not_found(exc: NotFoundError) -> Response:
        return problem(404, str(exc))

    @app.errorhandler(SearchBackendError)
    def backend_unavailable(exc: SearchBackendError) -> Response:
        log.warning("search backend: %s", exc)  # the cluster's addresses stay in the log, not in the answer
        return backend_problem("The search cluster is not answering; try again shortly.")

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Response:
        log.exception("unhandled error", extra={"request_id": request_ids.current()})
        return problem(500, "The server failed to handle this request; it has been logged.")


def backend_problem(detail: str) -> Response:
    """503: the search cluster cannot serve now (chat routes give it the OpenAI error shape)."""
    return problem(503, detail, type=BACKEND_UNAVAILABLE, title="Search backend unavailable",
                   headers={"Retry-After": str(RETRY_AFTER_S)})


def _describe(exc: HTTPException) -> str:
    description = exc.description or HTTPStatus(exc.code or 500).description
    return " ".join(str(description).split())
