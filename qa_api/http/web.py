"""The page for people: ask a question, read the answer and its evidence, browse the documents.

The HTML is a thin shell; the scripts in ``static/`` call the public ``/v1`` API like any other client. When the
server has an API key, the shell tells nothing about the corpus (no count, no title or examples drawn from it, no
404 for an unknown document): the page asks the person for the key once, keeps it for the tab, and the API
answers with it.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, current_app, render_template

from qa_api.frontends.about import About, describe, told_by_settings
from qa_api.frontends.schemas import MAX_QUESTION_CHARS

from .context import service, settings

bp = Blueprint("web", __name__)


def _locked() -> bool:
    return bool(settings().key)


def about() -> About:
    """The corpus's title, description and examples, worked out once per app, on the first page served; behind
    a key, only what the settings say."""
    found: About | None = current_app.extensions.get("qa_api.about")
    if found is None:
        found = told_by_settings(settings()) if _locked() else describe(service(), settings())
        current_app.extensions["qa_api.about"] = found
    return found


@bp.app_context_processor
def _about_the_corpus() -> dict[str, Any]:
    return {"about": about(), "key_required": _locked()}


@bp.get("/")
def ask_page() -> str:
    return render_template("ask.html", max_chars=MAX_QUESTION_CHARS)


@bp.get("/documents")
def documents_page() -> str:
    return render_template("documents.html")


@bp.get("/documents/<path:source>")
def document_page(source: str) -> tuple[str, int]:
    if _locked():  # the script learns the title, or that there is no such file, from the API with the key
        return render_template("document.html", source=source, title=None, missing=False), 200
    # Checked here, not only by the script, so an unknown file is an honest 404 for people and crawlers alike.
    info = next((d for d in service().documents() if d.source == source), None)
    if info is None:
        return render_template("document.html", source=source, title=None, missing=True), 404
    return render_template("document.html", source=source, title=info.title, missing=False), 200
