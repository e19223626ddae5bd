"""The ``/v1`` JSON API: validate (pydantic) -> service -> response model. Shapes are in openapi.yaml."""

from __future__ import annotations

import json
import sys
from collections.abc import Sequence
from typing import Any, TypeVar

from flask import Blueprint, Response, current_app, request
from pydantic import BaseModel
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge, UnsupportedMediaType

from qa_api.frontends.schemas import (
    DEFAULT_TOP_K,
    AskRequest,
    AskResponse,
    DocumentList,
    DocumentOut,
    DocumentSummary,
    HitOut,
    PassageOut,
    SearchQuery,
    SearchResponse,
)
from qa_api.service import QAService

from .middleware.observe import note_query
from .problems import InvalidFieldsError

bp = Blueprint("v1", __name__, url_prefix="/v1")
M = TypeVar("M", bound=BaseModel)


def service() -> QAService:
    svc: QAService = current_app.extensions["qa_api"]
    return svc


def json_response(model: BaseModel, status: int = 200) -> Response:
    return Response(model.model_dump_json(), status=status, mimetype="application/json")


@bp.get("/search")
def search() -> Response:
    query = SearchQuery.model_validate({
        "q": request.args.get("q"),
        "top_k": request.args.get("top_k", DEFAULT_TOP_K),
        "source": request.args.getlist("source"),
        "explain": request.args.get("explain", "false"),
    })
    note_query(query.q)
    _check_sources(query.source, "source")
    result = service().search(query.q, query.top_k, query.source)
    return json_response(SearchResponse(query=query.q, total=result.total, took_ms=round(result.took_ms, 3),
                                        passages=[HitOut.of_hit(h, query.explain) for h in result.hits]))


@bp.post("/ask")
def ask() -> Response:
    body = parse_json(AskRequest)
    note_query(body.question)
    _check_sources(body.sources, "sources")
    return json_response(AskResponse.of(service().ask(body.question, body.top_k, body.sources), body.explain))


@bp.get("/documents")
def documents() -> Response:
    return json_response(DocumentList(documents=[
        DocumentSummary(source=d.source, title=d.title, passage_count=d.passage_count, characters=d.characters)
        for d in service().documents()
    ]))


@bp.get("/documents/<path:source>")
def document(source: str) -> Response:
    info, text, passages = service().document(source)
    return json_response(DocumentOut(
        source=info.source, title=info.title, passage_count=info.passage_count, characters=info.characters,
        text=text, passages=[PassageOut.of(p) for p in passages],
    ))


@bp.get("/passages/<passage_id>")
def passage(passage_id: str) -> Response:
    return json_response(PassageOut.of(service().passage(passage_id)))


def parse_json(model: type[M]) -> M:
    """The request body as ``model``: 415 unless JSON, 413 when too large, 400 when malformed, 422 when invalid."""
    if request.mimetype != "application/json" and not request.mimetype.endswith("+json"):
        raise UnsupportedMediaType("Send the body as application/json.")
    limit = current_app.config["QA_API_MAX_BODY_BYTES"]
    if request.content_length is not None and request.content_length > limit:
        raise RequestEntityTooLarge(f"The body may be at most {limit} bytes.")
    try:
        raw = request.stream.read(limit + 1)
    except Exception:  # the server's body reader refusing the framing (a bad chunk, a forbidden trailer)
        raise BadRequest("The request body could not be read: its framing is not valid HTTP/1.1.") from None
    if len(raw) > limit:
        raise RequestEntityTooLarge(f"The body may be at most {limit} bytes.")
    try:
        data: Any = json.loads(raw, parse_constant=_refuse_constant, parse_int=_integer)
    except RecursionError:
        raise BadRequest("The JSON body is nested too deeply.") from None
    except ValueError as exc:
        raise BadRequest(f"The body is not valid JSON: {exc}") from None
    return model.model_validate(data)


def _integer(digits: str) -> int | float:
    """A JSON integer; one too long for Python to read as an int (over 4,300 digits) becomes an infinite float,
    which any integer field refuses (422) and a free-form one ignores, instead of failing the whole body."""
    return int(digits) if len(digits) <= sys.get_int_max_str_digits() else float(digits)


def _refuse_constant(name: str) -> None:
    raise ValueError(f"{name} is not a JSON number")


def unknown_sources(sources: Sequence[str]) -> list[str]:
    """Why each named source is not a corpus file (empty when all are)."""
    return service().unknown_sources(sources)


def _check_sources(sources: Sequence[str], field: str) -> None:
    if unknown := unknown_sources(sources):
        raise InvalidFieldsError([{"field": field, "message": message} for message in unknown])
