"""Per-client rate limiting: off by default, 429 with Retry-After on every route once over (problem+json, or the
OpenAI error shape on the OpenAI-compatible routes)."""

from __future__ import annotations

import dataclasses

import pytest
from openapi_core import OpenAPI

from qa_api.app import create_app
from qa_api.errors import ConfigError
from qa_api.service import QAService
from qa_api.settings import Settings
from tests.conftest import ContractClient, assert_problem


def limited_client(settings: Settings, service: QAService, openapi: OpenAPI, limit: str) -> ContractClient:
    app = create_app(dataclasses.replace(settings, rate_limit=limit), service)
    return ContractClient(app, openapi)


def test_no_limit_by_default(client: ContractClient) -> None:
    assert Settings().rate_limit == "off"
    assert all(client.get("/healthz").status_code == 200 for _ in range(200))


@pytest.mark.parametrize("path", ["/healthz", "/v1/documents", "/v1/search?q=troops", "/docs"])
def test_over_the_limit_is_429_with_retry_after_on_every_route(settings: Settings, service: QAService,
                                                               openapi: OpenAPI, path: str) -> None:
    client = limited_client(settings, service, openapi, "3/minute")
    path, _, query = path.partition("?")
    args = dict([query.split("=")]) if query else None
    statuses = [client.get(path, query=args).status_code for _ in range(3)]
    assert 429 not in statuses
    response = client.get(path, query=args)
    body = assert_problem(response, 429)
    assert body["type"] == "urn:qa-api:problem:rate-limited"
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert response.headers["X-Content-Type-Options"] == "nosniff"


@pytest.mark.parametrize(("method", "path"), [("GET", "/v1/models"), ("GET", "/v1/models/qa-api"),
                                            ("POST", "/v1/chat/completions")])
def test_the_chat_routes_say_429_in_the_openai_shape_with_retry_after(
        settings: Settings, service: QAService, openapi: OpenAPI, method: str, path: str) -> None:
    client = limited_client(settings, service, openapi, "1/minute")
    body = {"model": "qa-api", "messages": [{"role": "user", "content": "Who did Kim meet?"}]}
    assert client.open(method, path, json=body if method == "POST" else None).status_code == 200
    response = client.open(method, path, json=body if method == "POST" else None)
    assert response.status_code == 429 and response.mimetype == "application/json"
    assert response.get_json()["error"]["type"] == "requests"
    assert 1 <= int(response.headers["Retry-After"]) <= 60


def test_clients_are_counted_apart(settings: Settings, service: QAService, openapi: OpenAPI) -> None:
    client = limited_client(settings, service, openapi, "2/minute")
    for _ in range(2):
        client.client.get("/healthz", environ_base={"REMOTE_ADDR": "10.0.0.1"})
    assert client.client.get("/healthz", environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 429
    assert client.client.get("/healthz", environ_base={"REMOTE_ADDR": "10.0.0.2"}).status_code == 200
    assert client.client.get("/v1/nothing", environ_base={"REMOTE_ADDR": "10.0.0.1"}).status_code == 429


def test_a_malformed_limit_is_a_config_error(settings: Settings, service: QAService) -> None:
    with pytest.raises(ConfigError):
        create_app(dataclasses.replace(settings, rate_limit="lots"), service)
