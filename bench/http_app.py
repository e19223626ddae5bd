"""The real app over a ``bench.search`` index, for measuring gunicorn workers' memory on a large corpus.

Such an index has no corpus to check against (its tokens are synthetic), so it is loaded as it is.
"""

from __future__ import annotations

from flask import Flask

from qa_api.http.app import create_app as qa_create_app
from qa_api.retrieval.store import load_index
from qa_api.service import QAService
from qa_api.settings import Settings


def create_app() -> Flask:
    settings = Settings.from_env()
    return qa_create_app(settings, QAService(load_index(settings.index_dir)))
