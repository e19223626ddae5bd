"""The ``/v1`` JSON API: validate (pydantic) -> service -> response model. Shapes are in openapi.yaml."""

from __future__ import annotations

from collections.abc import Sequence

from flask import Blueprint, Response, request
from pydantic import BaseModel

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

from .context import parse_json, service
from .middleware.observe import note_query
from .problems import InvalidFieldsError

bp = Blueprint("v1", __name__, url_prefix="/v1")


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


def _check_sources(sources: Sequence[str], field: str) -> None:
    if unknown := service().unknown_sources(sources):
        raise InvalidFieldsError([{"field": field, "message": message} for message in unknown])
