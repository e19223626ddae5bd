"""The page for people: ask a question, read the answer and its evidence, browse the documents.

The HTML is a thin shell; the scripts in ``static/`` call the public ``/v1`` API like any other client. When the
server has an API key, the shell tells nothing about the corpus (no count, no title, no 404 for an unknown
document): the page asks the person for the key once, keeps it for the tab, and the API answers with it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template

from qa_api.errors import UnknownSourceError
from qa_api.frontends.schemas import MAX_QUESTION_CHARS
from qa_api.service import QAService

bp = Blueprint("web", __name__)
EXAMPLE_QUESTION = "When did North Korea confirm troop deployment?"


def _service() -> QAService:
    svc: QAService = current_app.extensions["qa_api"]
    return svc


def _locked() -> bool:
    return bool(current_app.config["QA_API_SETTINGS"].key)


@bp.context_processor
def _key_prompt() -> dict[str, Any]:
    return {"key_required": _locked()}


@bp.get("/")
def ask_page() -> str:
    return render_template("ask.html", example=EXAMPLE_QUESTION, max_chars=MAX_QUESTION_CHARS,
                           documents=None if _locked() else len(_service().index.documents))


@bp.get("/documents")
def documents_page() -> str:
    return render_template("documents.html")


@bp.get("/documents/<path:source>")
def document_page(source: str) -> tuple[str, int]:
    if _locked():  # the script learns the title, or that there is no such file, from the API with the key
        return render_template("document.html", source=source, title=None, missing=False), 200
    # Checked here, not only by the script, so an unknown file is an honest 404 for people and crawlers alike.
    index = _service().index
    try:
        info = index.documents[index.document_index(source)]
    except UnknownSourceError:
        return render_template("document.html", source=source, title=None, missing=True), 404
    return render_template("document.html", source=source, title=info.title, missing=False), 200
