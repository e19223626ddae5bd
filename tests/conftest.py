"""Shared fixtures: the seed corpus's index, the app, a contract-checking client, and a live gunicorn server."""

from __future__ import annotations

import json as jsonlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from flask import Flask
from openapi_core import Config, OpenAPI
from openapi_core.templating.paths.exceptions import OperationNotFound, PathNotFound
from openapi_core.testing import MockRequest, MockResponse
from werkzeug.datastructures import MultiDict
from werkzeug.test import TestResponse

from qa_api.http.app import create_app
from qa_api.service import QAService
from qa_api.settings import Settings
from tests.live import LiveServer, start_server
from tests.solr_cluster import SolrCluster, start_cluster

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SPEC = ROOT / "openapi.yaml"
BASE_URL = "http://127.0.0.1:8000"  # the spec's server, so openapi-core can match requests to it
EXAMPLE_QUESTION = "When did North Korea confirm troop deployment?"


def service_over(articles: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> QAService:
    """A service over articles written for a test (file name -> text), with a corpus and index of their own."""
    corpus = tmp_path_factory.mktemp("articles")
    for name, text in articles.items():
        (corpus / name).write_text(text, encoding="utf-8")
    return QAService.open(Settings(corpus_dir=corpus, index_dir=tmp_path_factory.mktemp("index")))


@pytest.fixture(scope="session")
def index_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("index")
    QAService.open(Settings(corpus_dir=SEEDS, index_dir=path))
    return path


@pytest.fixture(scope="session")
def settings(index_dir: Path) -> Settings:
    return Settings(corpus_dir=SEEDS, index_dir=index_dir)


@pytest.fixture(scope="session")
def service(settings: Settings) -> QAService:
    return QAService.open(settings)


@pytest.fixture(scope="session")
def app(settings: Settings, service: QAService) -> Flask:
    return create_app(settings, service)


@pytest.fixture(scope="session")
def openapi() -> OpenAPI:
    # openapi-core parses application/json itself; problem details need telling that they are JSON too.
    config = Config(extra_media_type_deserializers={
        "application/problem+json": jsonlib.loads,
        "application/yaml": yaml.safe_load,
        # An event stream's schema describes one event (see sse_events), which the client hands over as JSON.
        "text/event-stream": jsonlib.loads,
        # A document's bytes (PUT /v1/documents/{source}), whatever their encoding, as the string the schema says.
        **dict.fromkeys(["text/plain", "text/markdown", "text/html", "application/pdf", "application/octet-stream"],
                        _as_text),
    })
    return OpenAPI.from_file_path(str(SPEC), config=config)


def _as_text(body: bytes | str) -> str:
    return body if isinstance(body, str) else body.decode("latin-1")


class ContractClient:
    """A Flask test client that checks every response (and every accepted request) against openapi.yaml."""

    def __init__(self, app: Flask, spec: OpenAPI) -> None:
        self.client = app.test_client()
        self.spec = spec

    def get(self, path: str, query: dict[str, Any] | list[tuple[str, Any]] | None = None, **kw: Any) -> TestResponse:
        return self.open("GET", path, query=query, **kw)

    def post(self, path: str, json: Any = None, **kw: Any) -> TestResponse:
        return self.open("POST", path, json=json, **kw)

    def open(self, method: str, path: str, *, query: dict[str, Any] | list[tuple[str, Any]] | None = None,
             json: Any = None, data: bytes | str | None = None, content_type: str | None = None,
             headers: dict[str, str] | None = None) -> TestResponse:
        if json is not None:
            data, content_type = jsonlib.dumps(json), content_type or "application/json"
        body = data.encode() if isinstance(data, str) else data
        args = MultiDict(query or {})
        # buffered: the whole body is read and closed, as a server does, so the request is logged and counted
        response = self.client.open(path, method=method, query_string=args, data=body, content_type=content_type,
                                    headers=headers, base_url=BASE_URL, buffered=True)
        request = MockRequest(BASE_URL, method.lower(), path, args=args, data=body,
                              headers=dict(headers or {}), content_type=content_type or "")
        bodies = sse_events(response.data) if response.mimetype == "text/event-stream" else [response.data]
        try:
            if response.status_code < 400:
                self.spec.validate_request(request)
            for one in bodies:
                self.spec.validate_response(request, MockResponse(one, status_code=response.status_code,
                                                                  headers=dict(response.headers),
                                                                  content_type=response.mimetype))
        except (PathNotFound, OperationNotFound):
            # Only an undocumented route or method may be missing from the spec, and it must be refused.
            assert response.status_code in (404, 405), response.status_code
        return response


def sse_events(stream: bytes) -> list[bytes]:
    """Each server-sent event as a JSON object of its fields, the form an event stream's schema describes.

    As OpenAPI 3.2's ``itemSchema`` (and Schemathesis, for ``schema`` in 3.0 and 3.1) reads the format:
    ``data`` lines joined by newlines, ``event`` "message" unless named; comments and data-less blocks skipped.
    """
    events = []
    for block in stream.decode().replace("\r\n", "\n").split("\n\n"):
        fields: dict[str, list[str]] = {}
        for line in block.split("\n"):
            if line and not line.startswith(":"):
                name, _, value = line.partition(":")
                fields.setdefault(name, []).append(value.removeprefix(" "))
        if "data" in fields:
            event = {"event": fields.get("event", ["message"])[-1], "data": "\n".join(fields["data"])}
            events.append(jsonlib.dumps(event).encode())
    assert events, "an event stream with no events"
    return events


@pytest.fixture()
def client(app: Flask, openapi: OpenAPI) -> ContractClient:
    return ContractClient(app, openapi)


@pytest.fixture()
def corpus_copy(tmp_path: Path) -> Path:
    """A private, writable copy of the seed corpus."""
    target = tmp_path / "corpus"
    shutil.copytree(SEEDS, target)
    return target


@pytest.fixture(scope="session")
def live_server(index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``qa-api serve`` (gunicorn, 2 workers) on a free loopback port, stopped after the session."""
    log = tmp_path_factory.mktemp("server") / "server.log"
    env = dict(os.environ, QA_API_CORPUS_DIR=str(SEEDS), QA_API_INDEX_DIR=str(index_dir))
    with start_server(env, log) as server:
        yield server


@pytest.fixture(scope="session")
def solr_cluster(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SolrCluster]:
    """A 3-node SolrCloud with ZooKeeper on loopback (``scripts/solr-cluster``), stopped after the session."""
    cluster = start_cluster(tmp_path_factory.mktemp("solr-cluster"))
    try:
        yield cluster
    finally:
        cluster.stop()


@pytest.fixture(scope="session")
def solr_settings(solr_cluster: SolrCluster, tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """The seed corpus as ``qa-api index`` puts it into the cluster: behind alias ``seeds``, 2 shards x 2
    replicas (the settings' defaults)."""
    output = solr_cluster.index("seeds")
    assert "59 passages from 5 files" in output and "behind alias seeds" in output, output
    return solr_cluster.settings("seeds", index_dir=str(tmp_path_factory.mktemp("unused-index")))


@pytest.fixture(scope="session")
def solr_service(solr_settings: Settings) -> QAService:
    return QAService.open(solr_settings)


@pytest.fixture(scope="session")
def solr_live_server(solr_cluster: SolrCluster, solr_settings: Settings,
                     tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``qa-api serve`` over the ``seeds`` alias, on a free loopback port, stopped after the session."""
    log = tmp_path_factory.mktemp("solr-server") / "server.log"
    with start_server(solr_cluster.env("seeds", index_dir=str(solr_settings.index_dir)), log) as server:
        yield server


def assert_problem(response: TestResponse, status: int) -> dict[str, Any]:
    """The one check of every error path: status, problem+json media type, RFC 9457 members, and the request id
    as its ``instance``."""
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.mimetype == "application/problem+json"
    body: dict[str, Any] = response.get_json(force=True)
    assert body["status"] == status
    assert body["title"] and body["detail"] and body["type"]
    assert body["instance"] == response.headers["X-Request-Id"]
    assert "Traceback" not in response.get_data(as_text=True)
    return body
