"""Optional bearer-token auth for ``/v1/*`` and ``/metrics``: off unless ``QA_API_KEY`` is set; health, readiness
and docs stay open."""

from __future__ import annotations

import hmac

from flask import Flask, Response, request
from werkzeug.routing import RequestRedirect

from qa_api.http import problems
from qa_api.settings import Settings

PROTECTED_PREFIX = "/v1/"
PROTECTED_PATHS = frozenset({"/metrics"})


def register(app: Flask, settings: Settings) -> None:
    """Require ``Authorization: Bearer <key>`` on the API when a key is configured."""
    if not settings.key:
        return
    expected = settings.key.encode("utf-8")

    def require_bearer_token() -> Response | None:
        # Browsers send CORS preflights without credentials, so they must pass to get their answer; unknown
        # paths and methods keep their 404/405, as the contract already tells which routes exist. A route the
        # router would redirect to is checked like the route itself.
        unrouted = request.url_rule is None and not isinstance(request.routing_exception, RequestRedirect)
        protected = request.path.startswith(PROTECTED_PREFIX) or request.path in PROTECTED_PATHS
        if request.method == "OPTIONS" or unrouted or not protected:
            return None
        token = bearer_token(request.headers.get("Authorization", ""))
        if token is None:
            return _unauthorized("Send the API key as 'Authorization: Bearer <key>'.", 'Bearer realm="qa-api"')
        if not hmac.compare_digest(token.encode("utf-8"), expected):
            return _unauthorized("The API key is not valid.", 'Bearer realm="qa-api", error="invalid_token"')
        return None

    app.before_request(require_bearer_token)


def bearer_token(header: str) -> str | None:
    """The token of an ``Authorization: Bearer <token>`` header (scheme case-insensitive), else None."""
    scheme, _, token = header.strip().partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _unauthorized(detail: str, challenge: str) -> Response:
    return problems.problem(401, detail, headers={"WWW-Authenticate": challenge})
