"""A Model Context Protocol server over stdio (``qa-api mcp``): the search and ask tools, and the documents.

The tools call the same ``QAService`` as the HTTP API, validate their arguments with the same models and
limits, and return the same JSON as ``GET /v1/search`` and ``POST /v1/ask`` as structured content.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, TypeVar
from urllib.parse import quote

from mcp.server.mcpserver import MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.server.mcpserver.resources import FunctionResource
from mcp.types import ToolAnnotations
from pydantic import BaseModel, Field, ValidationError

from qa_api import __version__
from qa_api.errors import SearchBackendError, UnknownSourceError
from qa_api.service import QAService

from .about import About
from .schemas import (
    DEFAULT_TOP_K,
    MAX_QUESTION_CHARS,
    MAX_SOURCES,
    MAX_TOP_K,
    AskRequest,
    AskResponse,
    HitOut,
    SearchQuery,
    SearchResponse,
    field_errors,
)

M = TypeVar("M", bound=BaseModel)
T = TypeVar("T")
DOCUMENT_URI = "qa-api://documents/{source}"
INSTRUCTIONS = (
    "Answers questions from a fixed corpus of documents: {description} Use ask_question for a question (it "
    "returns a short answer, or null when the corpus does not say, with the passages behind it); use "
    "search_passages to find where the corpus mentions something. Cite passages by source file and paragraph."
)
READ_ONLY = ToolAnnotations(read_only_hint=True, destructive_hint=False, idempotent_hint=True, open_world_hint=False)

Question = Annotated[str, Field(min_length=1, max_length=MAX_QUESTION_CHARS,
                                description="The question in plain English ('When ...?', 'Who ...?', 'How many "
                                            "...?').")]
Query = Annotated[str, Field(min_length=1, max_length=MAX_QUESTION_CHARS,
                             description="Keywords (case and word endings do not matter).")]
TopK = Annotated[int, Field(ge=1, le=MAX_TOP_K, description="How many passages to return, best first.")]
Sources = Annotated[list[str] | None, Field(max_length=MAX_SOURCES,
                                            description="Only use these source files (names as listed in the "
                                                        "documents resources); omit for all.")]


def build_server(service: QAService, about: About) -> MCPServer:
    server = MCPServer("qa-api", title=f"qa-api: {about.title}", version=__version__,
                       instructions=INSTRUCTIONS.format(description=about.description))

    @server.tool(title="Answer a question from the corpus", annotations=READ_ONLY)
    def ask_question(question: Question, top_k: TopK = DEFAULT_TOP_K, sources: Sources = None) -> AskResponse:
        """Answer a natural-language question ("When ...?", "Who ...?") from the corpus. Returns `answer`
        (a short span with its source file, passage id and supporting sentence) or null when the corpus does
        not answer it, and the ranked passages used as evidence."""
        body = _validated(AskRequest, {"question": question, "top_k": top_k, "sources": sources or []})
        result = _call(lambda: service.ask(body.question, body.top_k, body.sources))
        return AskResponse.of(result)

    @server.tool(title="Search passages by keywords", annotations=READ_ONLY)
    def search_passages(query: Query, top_k: TopK = DEFAULT_TOP_K, sources: Sources = None) -> SearchResponse:
        """Rank the corpus's passages against keywords (BM25) and return the best, each with its source file,
        paragraph, text, offsets, score and matched terms. Use it to find where the corpus mentions something."""
        q = _validated(SearchQuery, {"q": query, "top_k": top_k, "source": sources or []})
        result = _call(lambda: service.search(q.q, q.top_k, q.source))
        return SearchResponse(query=q.q, total=result.total, took_ms=round(result.took_ms, 3),
                              passages=[HitOut.of_hit(h) for h in result.hits])

    for info in service.documents():
        server.add_resource(FunctionResource.from_function(
            _reader(service, info.source), uri=DOCUMENT_URI.format(source=quote(info.source, safe="")),
            name=info.source, title=info.title, mime_type="text/plain",
            description=f"The full text of {info.source} ({info.passage_count} passages).",
        ))
    return server


def _validated(model: type[M], values: dict[str, object]) -> M:
    try:
        return model.model_validate(values)
    except ValidationError as exc:
        raise ToolError("; ".join(f"{e['field']}: {e['message']}" for e in field_errors(exc))) from None


def _call(fn: Callable[[], T]) -> T:
    try:
        return fn()
    except UnknownSourceError as exc:
        raise ToolError(f"sources: {exc}") from None
    except SearchBackendError:
        raise ToolError("The search cluster is not answering; try again shortly.") from None


def _reader(service: QAService, source: str) -> Callable[[], str]:
    def read_document() -> str:
        return service.document(source)[1]

    return read_document
