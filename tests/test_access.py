"""Optional bearer-token auth (QA_API_KEY) and CORS (QA_API_CORS_ORIGINS), on an app built with them set."""

from __future__ import annotations

import pytest
from flask import Flask
from openapi_core import OpenAPI

from qa_api.http.app import create_app
from qa_api.http.middleware.auth import bearer_token
from qa_api.service import QAService
from qa_api.settings import Settings
from tests.conftest import EXAMPLE_QUESTION, ContractClient, assert_problem

KEY = "s3cret-key-for-tests"
ORIGIN = "https://chat.example.org"


@pytest.fixture(scope="module")
def locked_app(settings: Settings, service: QAService) -> Flask:
    return create_app(settings.model_copy(update=dict(key=KEY, cors_origins=f"{ORIGIN}, http://localhost:3000/")),
                      service)


@pytest.fixture()
def locked(locked_app: Flask, openapi: OpenAPI) -> ContractClient:
    return ContractClient(locked_app, openapi)


def bearer(key: str = KEY) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize("headers", [{}, bearer("wrong"), {"Authorization": KEY}, {"Authorization": "Basic eDp5"},
                                     bearer("")])
def test_the_api_refuses_requests_without_the_right_key(locked: ContractClient, headers: dict[str, str]) -> None:
    for response in (locked.get("/v1/search", query={"q": "Putin"}, headers=headers),
                     locked.post("/v1/ask", json={"question": EXAMPLE_QUESTION}, headers=headers),
                     locked.get("/v1/documents", headers=headers), locked.get("/v1/passages/x-p1", headers=headers)):
        assert_problem(response, 401)
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_unknown_paths_are_404_with_or_without_a_key(locked: ContractClient) -> None:
    assert_problem(locked.get("/v1/nothing"), 404)


def test_a_wrong_key_is_named_an_invalid_token(locked: ContractClient) -> None:
    response = locked.get("/v1/documents", headers=bearer("wrong"))
    assert 'error="invalid_token"' in response.headers["WWW-Authenticate"]


def test_the_right_key_opens_the_api(locked: ContractClient) -> None:
    ask = locked.post("/v1/ask", json={"question": EXAMPLE_QUESTION}, headers=bearer())
    assert ask.status_code == 200 and ask.get_json()["answer"]["text"] == "late April 2025"
    lower = locked.get("/v1/documents", headers={"Authorization": f"bearer {KEY}"})
    assert lower.status_code == 200
    assert locked.get("/v1/models", headers=bearer()).status_code == 200


def test_health_readiness_spec_and_docs_stay_open(locked: ContractClient) -> None:
    for path in ("/healthz", "/readyz", "/openapi.yaml", "/docs"):
        assert locked.get(path).status_code == 200, path


def test_chat_routes_refuse_in_the_openai_shape(locked: ContractClient) -> None:
    response = locked.post("/v1/chat/completions", json={"model": "qa-api", "messages": [{"role": "user",
                                                                                          "content": "hi"}]})
    assert response.status_code == 401 and response.mimetype == "application/json"
    assert response.get_json()["error"]["code"] == "invalid_api_key"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_without_a_key_the_api_is_open(client: ContractClient) -> None:
    assert client.get("/v1/documents").status_code == 200


@pytest.mark.parametrize(("header", "token"), [("Bearer abc", "abc"), ("bearer  abc ", "abc"), ("Bearer", None),
                                              ("Token abc", None), ("", None)])
def test_bearer_token_parsing(header: str, token: str | None) -> None:
    assert bearer_token(header) == token


def preflight(app: Flask, origin: str, path: str = "/v1/ask") -> dict[str, str]:
    # The raw client: preflights are answered by Flask's automatic OPTIONS, which the contract does not list.
    response = app.test_client().options(path, headers={
        "Origin": origin, "Access-Control-Request-Method": "POST",
        "Access-Control-Request-Headers": "authorization, content-type"})
    assert response.status_code == 204 and "Content-Type" not in response.headers and not response.data
    return dict(response.headers)


def test_a_preflight_from_an_allowed_origin_is_answered_without_a_key(locked_app: Flask) -> None:
    headers = preflight(locked_app, ORIGIN)
    assert headers["Access-Control-Allow-Origin"] == ORIGIN
    assert "POST" in headers["Access-Control-Allow-Methods"]
    assert {"authorization", "content-type"} <= {h.strip().lower() for h in
                                                  headers["Access-Control-Allow-Headers"].split(",")}
    assert "Origin" in headers["Vary"]
    assert preflight(locked_app, "http://localhost:3000")["Access-Control-Allow-Origin"] == "http://localhost:3000"
    assert preflight(locked_app, ORIGIN, "/v1/chat/completions")["Access-Control-Allow-Origin"] == ORIGIN


def test_cors_headers_reach_answers_and_refusals_alike(locked: ContractClient) -> None:
    ok = locked.get("/v1/documents", headers={**bearer(), "Origin": ORIGIN})
    refused = locked.get("/v1/documents", headers={"Origin": ORIGIN})
    for response in (ok, refused):
        assert response.headers["Access-Control-Allow-Origin"] == ORIGIN
        assert "WWW-Authenticate" in response.headers["Access-Control-Expose-Headers"]


def test_other_origins_get_no_cors_headers(locked_app: Flask) -> None:
    assert "Access-Control-Allow-Origin" not in preflight(locked_app, "https://evil.example.com")


def test_cors_is_off_by_default(app: Flask) -> None:
    headers = preflight(app, ORIGIN)
    assert not any(h.startswith("Access-Control-") for h in headers)


def test_any_origin_with_a_star(settings: Settings, service: QAService) -> None:
    open_app = create_app(settings.model_copy(update=dict(cors_origins="*")), service)
    assert preflight(open_app, "https://anything.example")["Access-Control-Allow-Origin"] == "*"


def test_the_key_is_not_shown_in_the_settings_repr() -> None:
    assert KEY not in repr(Settings(key=KEY))


@pytest.mark.parametrize(("path", "status"), [
    # Leading slashes are one to the router; doubled ones inside a path make it unknown.
    ("/v1//search", 404), ("//healthz", 200), ("/v1/documents//x.txt", 404), ("//v1/documents", 401),
    ("/static//page.css", 404), ("", 200), ("/v1/search", 401)])
def test_no_path_is_redirected_and_no_location_names_the_host(locked_app: Flask, path: str, status: int) -> None:
    """Werkzeug used to answer doubled slashes (and an empty path) with a 308 to a Location built from Host,
    before auth ran."""
    for headers in ({}, {"Host": "evil.example"}):
        response = locked_app.test_client().get("/", headers=headers, query_string={"q": "Putin"},
                                                environ_overrides={"PATH_INFO": path})
        assert response.status_code == status, (path, response.status_code)
        assert "Location" not in response.headers


def test_with_a_key_the_pages_tell_nothing_about_the_corpus(locked_app: Flask, app: Flask) -> None:
    source = "000_991727d72fd32601.txt"  # a document with a title
    title = app.extensions["qa_api"].document(source)[0].title
    assert title and title in app.test_client().get(f"/documents/{source}").get_data(as_text=True)
    client = locked_app.test_client()
    document = client.get(f"/documents/{source}")
    assert document.status_code == 200 and title not in document.get_data(as_text=True)
    assert 'id="key-form"' in document.get_data(as_text=True)
    unknown = client.get("/documents/no-such-file.txt")
    assert unknown.status_code == 200 and "No such document" not in unknown.get_data(as_text=True)
    count = len(app.extensions["qa_api"].documents())
    assert f"the {count} documents" in app.test_client().get("/").get_data(as_text=True)
    assert f"{count} documents" not in client.get("/").get_data(as_text=True)
    assert "What about" not in client.get("/").get_data(as_text=True)  # no example drawn from the corpus
    assert 'id="key-form"' not in app.test_client().get("/").get_data(as_text=True)


@pytest.mark.parametrize(("remote_addr", "forwarded_for", "hops", "client"), [
    ("", "203.0.113.7", 0, "203.0.113.7"),  # from qa-api's own nginx (a unix-socket peer): its entry
    ("", "198.51.100.1, 203.0.113.7", 0, "203.0.113.7"),  # an entry the client wrote itself is not used
    ("", "198.51.100.1, 203.0.113.7", 1, "198.51.100.1"),  # one proxy of the deployer's own in front
    ("192.0.2.5", "203.0.113.7", 0, "192.0.2.5"),  # straight to gunicorn: the header is the client's own words
    ("192.0.2.5", "198.51.100.1, 203.0.113.7", 1, "203.0.113.7"),  # QA_API_PROXY=off behind one proxy
])
def test_the_client_address_comes_from_trusted_proxies_only(settings: Settings, service: QAService,
                                                            remote_addr: str, forwarded_for: str, hops: int,
                                                            client: str) -> None:
    app = create_app(settings.model_copy(update=dict(forwarded_hops=hops)), service)
    seen: list[str | None] = []

    @app.get("/whoami")
    def whoami() -> str:
        from flask import request
        seen.append(request.remote_addr)
        return ""

    app.test_client().get("/whoami", headers={"X-Forwarded-For": forwarded_for},
                          environ_overrides={"REMOTE_ADDR": remote_addr})
    assert seen == [client]
