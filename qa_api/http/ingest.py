"""Writing documents: ``PUT`` and ``DELETE /v1/documents/{source}``, and ``POST /v1/documents`` (multipart).

Every write needs the API key (``Authorization: Bearer $QA_API_KEY``, checked by the auth middleware); with no key
configured, writes are refused. A body is read whole, bounded by ``QA_API_MAX_DOCUMENT_BYTES``, and every file is
read as its kind before anything is written, so a refused request writes nothing. A write is acknowledged once it
is committed to the document store; it is searchable within a second.
"""

from __future__ import annotations

from flask import Blueprint, Flask, Response, current_app, request
from pydantic import BaseModel
from werkzeug.datastructures import FileStorage
from werkzeug.exceptions import BadRequest, RequestEntityTooLarge

from qa_api.corpus import Document
from qa_api.corpus.formats import kind_of
from qa_api.corpus.store import source_problem
from qa_api.errors import UnreadableDocumentError, UnsupportedDocumentTypeError, WritesUnavailableError
from qa_api.frontends.schemas import DocumentOut, WrittenDocument, WrittenDocuments

from .context import read_body, service, settings
from .problems import InvalidFieldsError, problem

bp = Blueprint("ingest", __name__, url_prefix="/v1")

WRITES_OFF = "urn:qa-api:problem:writes-disabled"
UNREADABLE = "urn:qa-api:problem:unreadable-document"
MAX_FILES = 100  # files in one multipart upload
FORM_OVERHEAD_BYTES = 64 * 1024  # what a multipart upload's boundaries and part headers may add to its files


@bp.before_request
def _writes_need_a_key() -> Response | None:
    if not settings().key:
        return problem(403, "Writing documents needs an API key, and none is configured: start the server with "
                            "QA_API_KEY set, then send 'Authorization: Bearer <key>' with each write.",
                       type=WRITES_OFF, title="Writes disabled")
    return None


@bp.put("/documents/<path:source>")
def put_document(source: str) -> Response:
    _check_name(source, "source")
    data = _body()
    document, created = service().put_document(source, data, kind_of(source, request.mimetype))
    return _json(_written(document, created), 201 if created else 200)


@bp.delete("/documents/<path:source>")
def delete_document(source: str) -> Response:
    service().delete_document(source)
    return Response(status=204)


@bp.post("/documents")
def post_documents() -> Response:
    """Several files at once: each part of the form that is a file, named by its filename; together at most one
    document's limit. All are read before any is written, then all are written in one transaction (with the local
    backend; Solr takes them one by one)."""
    limit = _limit()
    request.max_content_length = limit + FORM_OVERHEAD_BYTES
    request.max_form_memory_size = FORM_OVERHEAD_BYTES
    request.max_form_parts = MAX_FILES * 2
    if request.mimetype != "multipart/form-data":
        raise UnsupportedDocumentTypeError("Send the files as multipart/form-data, one part per file.")
    files = [f for f in request.files.values() if f.filename]
    if not files:
        raise InvalidFieldsError([{"field": "files", "message": "no file part with a filename was sent"}])
    if len(files) > MAX_FILES:
        raise InvalidFieldsError([{"field": "files", "message": f"at most {MAX_FILES} files at once"}])
    batch = [_part(f, limit) for f in files]
    return _json(WrittenDocuments(documents=[_written(*w) for w in service().put_documents(batch)]))


def _part(file: FileStorage, limit: int) -> tuple[str, bytes, str]:
    source = file.filename or ""
    _check_name(source, "files")
    data = file.stream.read(limit + 1)
    if len(data) > limit:
        raise RequestEntityTooLarge(f"{source!r} is larger than {limit} bytes, the most a document may be.")
    return source, data, kind_of(source, file.mimetype)


def _body() -> bytes:
    data = read_body(_limit(), "A document")
    if not data and not request.mimetype:
        raise BadRequest("Send the document's bytes as the body, with their Content-Type.")
    return data


def _limit() -> int:
    limit: int = current_app.config["QA_API_SETTINGS"].max_document_bytes
    return limit


def _check_name(source: str, field: str) -> None:
    if why := source_problem(source):
        raise InvalidFieldsError([{"field": field, "message": why}])


def _written(document: Document, created: bool) -> WrittenDocument:
    return WrittenDocument(**DocumentOut.of(document).model_dump(), created=created)


def _json(model: BaseModel, status: int = 200) -> Response:
    return Response(model.model_dump_json(), status=status, mimetype="application/json")


def register(app: Flask) -> None:
    """The blueprint and the answers to its own errors (415, 422 naming the file, 403 without a store)."""
    app.register_blueprint(bp)

    @app.errorhandler(UnsupportedDocumentTypeError)
    def unsupported(exc: UnsupportedDocumentTypeError) -> Response:
        return problem(415, str(exc))

    @app.errorhandler(UnreadableDocumentError)
    def unreadable(exc: UnreadableDocumentError) -> Response:
        """A file that cannot be read as its kind, named (nothing of the request was written)."""
        why = str(exc)
        return problem(422, f"{exc.source!r} cannot be read: {why}.", type=UNREADABLE, title="Unreadable document",
                       errors=[{"field": "source", "message": why, "source": exc.source}])

    @app.errorhandler(WritesUnavailableError)
    def unavailable(exc: WritesUnavailableError) -> Response:
        return problem(403, str(exc), type=WRITES_OFF, title="Writes disabled")
