"""The Flask application factory. gunicorn calls ``create_app()``; tests pass their own settings."""

from __future__ import annotations

import logging
from typing import Any

from flask import Flask, Response, request
from werkzeug.routing import Map

from qa_api.errors import SearchBackendError
from qa_api.http.middleware import auth, cors, observe, proxy, ratelimit
from qa_api.service import QAService
from qa_api.settings import Settings

from . import api, chat, ingest, logs, metrics, ops, problems, web

log = logging.getLogger(__name__)

MAX_QUERY_STRING_BYTES = 4096

_API_CSP = "default-src 'none'; frame-ancestors 'none'"
_PAGE_CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
             "connect-src 'self'; font-src 'self'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'")


def create_app(settings: Settings | None = None, service: QAService | None = None, **overrides: Any) -> Flask:
    """Build the app around a loaded index (built first if it is missing, stale or corrupt)."""
    settings = settings or Settings.from_env(**overrides)
    logs.configure()
    app = _App(__name__)
    app.config.update(QA_API_SETTINGS=settings, QA_API_MAX_BODY_BYTES=settings.max_body_bytes,
                      MAX_CONTENT_LENGTH=None, JSON_SORT_KEYS=False)
    app.extensions["qa_api"] = service = service or QAService.open(settings)
    if settings.metrics:
        _record_index(service)
    app.register_blueprint(api.bp)
    ingest.register(app)
    app.register_blueprint(ops.bp)
    app.register_blueprint(web.bp)
    chat.register(app)
    problems.register(app)
    # first: it also counts requests refused by auth or below
    ratelimit.install(app, settings.rate_limit, on_refusal=metrics.RATE_LIMITED.inc if settings.metrics else None)
    auth.register(app, settings)
    cors.register(app, settings)
    app.before_request(_refuse_long_query_string)
    app.after_request(_security_headers)
    observe.install(app, settings)
    proxy.install(app, settings)  # outermost: every layer within sees the client's address
    return app


class _Routes(Map):
    """Routing that never redirects: Werkzeug would answer ``/v1//search`` (or an empty path, for ``/``) with a
    308 before any check ran, to a ``Location`` built from the ``Host`` header."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **{**kwargs, "merge_slashes": False, "strict_slashes": False})


class _App(Flask):
    url_map_class = _Routes

    def make_default_options_response(self) -> Response:
        """The automatic answer to OPTIONS (and CORS preflights): its ``Allow`` header and no body, so no
        Content-Type either."""
        response = super().make_default_options_response()
        response.status_code = 204
        del response.headers["Content-Type"]
        return response


def _record_index(service: QAService) -> None:
    try:
        metrics.record_index(service.stats())
    except SearchBackendError as exc:  # the cluster is down at start: serve 503s until it is back
        log.warning("index figures not recorded: %s", exc)


def _refuse_long_query_string() -> Response | None:
    if len(request.query_string) > MAX_QUERY_STRING_BYTES:
        return problems.problem(414, f"The query string may be at most {MAX_QUERY_STRING_BYTES} bytes.")
    return None


def _security_headers(response: Response) -> Response:
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "no-referrer"
    response.headers.setdefault("Content-Security-Policy", _PAGE_CSP if response.mimetype == "text/html" else _API_CSP)
    response.headers.setdefault("Cache-Control", "no-store")
    return response
