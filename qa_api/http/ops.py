"""Operational routes: liveness, readiness, Prometheus metrics, the OpenAPI contract and its Swagger UI (served
locally, no CDN)."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import flask_swagger_ui
from flask import Blueprint, Response, jsonify, render_template, send_from_directory
from werkzeug.exceptions import NotFound

from . import metrics
from .context import service, settings
from .problems import backend_problem

bp = Blueprint("ops", __name__)
SWAGGER_DIST = Path(flask_swagger_ui.__file__).parent / "dist"


@bp.get("/healthz")
def healthz() -> Response:
    return jsonify(status="ok")


@bp.get("/readyz")
def readyz() -> Response:
    stats = service().stats()
    if stats.health == "red":
        return backend_problem(f"The {stats.backend} backend is red: a shard of the collection has no active "
                               f"replica, so searches would fail.")
    return jsonify(
        status="ready",
        backend=stats.backend,
        health=stats.health,
        documents=stats.documents,
        passages=stats.passages,
        terms=stats.terms,
        index_built_at=stats.built_at,
        index_build_seconds=stats.build_seconds,
        index_format=stats.index_format,
        skipped_files=stats.skipped_files,
    )


@bp.get("/metrics")
def metrics_text() -> Response:
    if not settings().metrics:
        raise NotFound("Metrics are off (QA_API_METRICS).")
    return Response(metrics.exposition(), content_type=metrics.CONTENT_TYPE)


@bp.get("/openapi.yaml")
def openapi_yaml() -> Response:
    return Response(openapi_text(), mimetype="application/yaml")


@bp.get("/docs")
def docs() -> str:
    return render_template("docs.html")


@bp.get("/docs/assets/<path:name>")
def docs_assets(name: str) -> Response:
    return send_from_directory(SWAGGER_DIST, name, max_age=86400)


def openapi_text() -> str:
    return resources.files("qa_api").joinpath("openapi.yaml").read_text(encoding="utf-8")
