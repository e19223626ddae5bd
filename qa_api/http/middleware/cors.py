"""CORS for browser-based chat front ends: off unless ``QA_API_CORS_ORIGINS`` names the allowed origins."""

from __future__ import annotations

from flask import Flask, Response, request

from qa_api.settings import Settings

ALLOWED_METHODS = "GET, POST, OPTIONS"
ALLOWED_HEADERS = "Authorization, Content-Type"
EXPOSED_HEADERS = "WWW-Authenticate, Retry-After"
PREFLIGHT_MAX_AGE_S = "600"


def register(app: Flask, settings: Settings) -> None:
    """Answer preflights and mark responses readable by the configured origins (nothing when none are)."""
    origins = settings.allowed_origins
    if not origins:
        return

    def add_cors_headers(response: Response) -> Response:
        origin = request.headers.get("Origin")
        response.vary.add("Origin")
        if not origin or ("*" not in origins and origin.rstrip("/") not in origins):
            return response
        response.headers["Access-Control-Allow-Origin"] = "*" if "*" in origins else origin
        response.headers["Access-Control-Expose-Headers"] = EXPOSED_HEADERS
        if request.method == "OPTIONS" and "Access-Control-Request-Method" in request.headers:
            response.headers["Access-Control-Allow-Methods"] = ALLOWED_METHODS
            response.headers["Access-Control-Allow-Headers"] = ALLOWED_HEADERS
            response.headers["Access-Control-Max-Age"] = PREFLIGHT_MAX_AGE_S
        return response

    app.after_request(add_cors_headers)
