"""Request ids, the JSON access log and the metrics of one app, in process (the live, multi-worker side is in
test_observability_live.py)."""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from openapi_core import OpenAPI
from prometheus_client import generate_latest
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.parser import text_string_to_metric_families

from qa_api.http.app import create_app
from qa_api.http.logs import JsonFormatter
from qa_api.http.scrape import registry as worker_files
from qa_api.service import QAService
from qa_api.settings import Settings
from tests.conftest import EXAMPLE_QUESTION, ContractClient, assert_problem

NEW_ID = re.compile(r"[0-9a-f]{32}")
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


def observed(settings: Settings, service: QAService, openapi: OpenAPI, **changes: Any) -> ContractClient:
    return ContractClient(create_app(settings.model_copy(update=dict(**changes)), service), openapi)


def scrape(client: ContractClient, headers: dict[str, str] | None = None) -> Samples:
    response = client.get("/metrics", headers=headers)
    assert response.status_code == 200 and response.headers["Content-Type"].startswith("text/plain; version=0.0.4")
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(response.get_data(as_text=True)) for s in family.samples}


def requests_of(samples: Samples, route: str, status: str) -> float:
    return sum(v for (name, labels), v in samples.items()
               if name == "qa_api_http_requests_total" and ("route", route) in labels and ("status", status) in labels)


AccessLines = Callable[[], list[dict[str, Any]]]


@pytest.fixture()
def access_lines(capfd: pytest.CaptureFixture[str]) -> AccessLines:
    """The access log's lines written to stderr so far in the test, parsed."""
    lines: list[dict[str, Any]] = []

    def read() -> list[dict[str, Any]]:
        written = [json.loads(line) for line in capfd.readouterr().err.splitlines() if line.startswith("{")]
        lines.extend(line for line in written if line["logger"] == "qa_api.access")
        return lines

    return read


@pytest.mark.parametrize(("sent", "kept"), [
    ("report-42", True),
    ("0b5e8f9c-2d4a-4e6f-8a1b-3c5d7e9f0a2b", True),
    ("a.b_c~d", True),
    ("x" * 128, True),
    ("x" * 129, False),
    ("has space", False),
    ("a/b", False),
    ("quote\"", False),
    ("", False),
])
def test_a_sane_client_id_is_kept_and_any_other_replaced(client: ContractClient, sent: str, kept: bool) -> None:
    response = client.get("/healthz", headers={"X-Request-Id": sent})
    echoed = response.headers["X-Request-Id"]
    assert echoed == sent if kept else NEW_ID.fullmatch(echoed)


def test_each_request_without_an_id_gets_a_new_one(client: ContractClient) -> None:
    ids = {client.get("/healthz").headers["X-Request-Id"] for _ in range(5)}
    assert len(ids) == 5 and all(NEW_ID.fullmatch(i) for i in ids)


@pytest.mark.parametrize(("method", "path", "kwargs", "status"), [
    ("GET", "/v1/passages/nope-p1", {}, 404),
    ("GET", "/v1/search", {"query": {"q": "troops", "top_k": 99}}, 422),
    ("POST", "/v1/ask", {"data": "{", "content_type": "application/json"}, 400),
    ("DELETE", "/v1/ask", {}, 405),
])
def test_a_problem_names_the_request_id_as_its_instance(client: ContractClient, method: str, path: str,
                                                       kwargs: dict[str, Any], status: int) -> None:
    body = assert_problem(client.open(method, path, headers={"X-Request-Id": "report-42"}, **kwargs), status)
    assert body["instance"] == "report-42"


def test_chat_replies_and_errors_carry_the_id_where_openai_clients_read_it(client: ContractClient) -> None:
    question = {"model": "qa-api", "messages": [{"role": "user", "content": EXAMPLE_QUESTION}]}
    for body in (question, dict(question, stream=True), dict(question, model="gpt-4o")):
        response = client.post("/v1/chat/completions", json=body, headers={"X-Request-Id": "chat-7"})
        assert response.headers["X-Request-Id"] == "chat-7", body


def test_each_request_leaves_one_access_line_without_its_query_text(
        client: ContractClient, access_lines: AccessLines) -> None:
    ids = [client.get("/v1/search", query={"q": "secret words"}).headers["X-Request-Id"],
           client.post("/v1/ask", json={"question": "secret question?"}).headers["X-Request-Id"],
           client.get("/v1/passages/nope-p1").headers["X-Request-Id"]]
    lines = access_lines()
    assert [line["request_id"] for line in lines] == ids
    search, ask, missing = lines
    assert (search["method"], search["route"], search["status"]) == ("GET", "/v1/search", 200)
    assert (ask["method"], ask["route"], ask["status"]) == ("POST", "/v1/ask", 200)
    assert (missing["route"], missing["status"]) == ("/v1/passages/<passage_id>", 404)
    for line in lines:
        assert set(line) == {"time", "level", "logger", "request_id", "method", "route", "status", "duration_ms",
                             "bytes", "client"}
        assert line["duration_ms"] > 0 and line["bytes"] > 0 and line["client"] == "127.0.0.1"
        assert "secret" not in json.dumps(line)


def test_query_text_is_logged_only_when_a_setting_asks(settings: Settings, service: QAService, openapi: OpenAPI,
                                                       access_lines: AccessLines) -> None:
    client = observed(settings, service, openapi, log_queries=True)
    client.get("/v1/search", query={"q": "secret words"})
    client.post("/v1/ask", json={"question": "secret question?"})
    assert [(line["path"], line["query"]) for line in access_lines()] == [
        ("/v1/search", "secret words"), ("/v1/ask", "secret question?")]


def test_the_access_log_can_be_turned_off(settings: Settings, service: QAService, openapi: OpenAPI,
                                          access_lines: AccessLines) -> None:
    observed(settings, service, openapi, access_log=False).get("/healthz")
    assert access_lines() == []


def test_an_unhandled_error_is_logged_with_the_request_id(settings: Settings, service: QAService,
                                                         caplog: pytest.LogCaptureFixture,
                                                         access_lines: AccessLines) -> None:
    app: Flask = create_app(settings, service)

    @app.get("/fails")
    def fails() -> str:
        raise RuntimeError("a bug")

    response = app.test_client().get("/fails", headers={"X-Request-Id": "bug-1"}, buffered=True)
    assert response.status_code == 500 and response.get_json()["instance"] == "bug-1"
    errors = [json.loads(JsonFormatter().format(r)) for r in caplog.records if r.levelno == logging.ERROR]
    assert [(e["request_id"], e["message"]) for e in errors] == [("bug-1", "unhandled error")]
    assert "RuntimeError: a bug" in errors[0]["error"]
    assert [(line["request_id"], line["status"]) for line in access_lines()] == [("bug-1", 500)]


def test_requests_are_counted_by_route_template_and_status(client: ContractClient) -> None:
    before = scrape(client)
    for _ in range(3):
        client.get("/v1/search", query={"q": "troops"})
    client.post("/v1/ask", json={"question": EXAMPLE_QUESTION})
    client.get("/v1/passages/001_5fe9c23b30af33fc-p99")
    client.get("/no/such/path")
    after = scrape(client)
    assert requests_of(after, "/v1/search", "200") - requests_of(before, "/v1/search", "200") == 3
    assert requests_of(after, "/v1/ask", "200") - requests_of(before, "/v1/ask", "200") == 1
    passage = "/v1/passages/<passage_id>"
    assert requests_of(after, passage, "404") - requests_of(before, passage, "404") == 1
    assert requests_of(after, "unmatched", "404") - requests_of(before, "unmatched", "404") == 1
    routes = {dict(labels)["route"] for name, labels in after if name == "qa_api_http_requests_total"}
    assert all(r == "unmatched" or (r.startswith("/") and "p99" not in r and "such" not in r) for r in routes)
    count = ("qa_api_http_request_duration_seconds_count", frozenset({("route", "/v1/search")}))
    assert after[count] - before.get(count, 0) == 3


def test_rate_limit_refusals_are_counted(settings: Settings, service: QAService, openapi: OpenAPI,
                                        client: ContractClient) -> None:
    limited = observed(settings, service, openapi, rate_limit="1/minute")
    refused = ("qa_api_rate_limited_total", frozenset())
    before = scrape(client)[refused]  # an app without a limit: this process's figures are the same
    assert [limited.get("/healthz").status_code for _ in range(3)] == [200, 429, 429]
    assert scrape(client)[refused] - before == 2


def test_metrics_need_the_key_when_one_is_set(settings: Settings, service: QAService, openapi: OpenAPI) -> None:
    client = observed(settings, service, openapi, key="metrics-key")
    assert_problem(client.get("/metrics"), 401)
    assert_problem(client.get("/metrics", headers={"Authorization": "Bearer wrong"}), 401)
    assert scrape(client, {"Authorization": "Bearer metrics-key"})


def test_metrics_can_be_turned_off(settings: Settings, service: QAService, openapi: OpenAPI,
                                   client: ContractClient) -> None:
    before = requests_of(scrape(client), "/healthz", "200")
    quiet = observed(settings, service, openapi, metrics=False)
    quiet.get("/healthz")
    assert_problem(quiet.get("/metrics"), 404)
    assert requests_of(scrape(client), "/healthz", "200") == before


def test_the_index_figures_match_readiness(client: ContractClient) -> None:
    ready = client.get("/readyz").get_json()
    samples = {name: value for (name, labels), value in scrape(client).items() if not labels}
    assert samples["qa_api_index_passages"] == ready["passages"]
    assert samples["qa_api_index_documents"] == ready["documents"]
    assert samples["qa_api_index_terms"] == ready["terms"]
    assert samples["qa_api_index_format_version"] == ready["index_format"]
    assert samples["qa_api_index_build_seconds"] == ready["index_build_seconds"]
    assert samples["qa_api_index_loads_total"] >= 1
    info = next(dict(labels) for (name, labels), value in scrape(client).items()
                if name == "qa_api_build_info" and value == 1)
    assert info["index_built_at"] == ready["index_built_at"] and info["index_format"] == str(ready["index_format"])


def test_a_trusted_proxy_names_the_client_for_logs_and_rate_limits(
        settings: Settings, service: QAService, openapi: OpenAPI, access_lines: AccessLines) -> None:
    behind = observed(settings, service, openapi, forwarded_hops=1, rate_limit="1/minute")
    direct = observed(settings, service, openapi, rate_limit="1/minute")
    statuses = [behind.get("/healthz", headers={"X-Forwarded-For": address}).status_code
                for address in ("203.0.113.7", "203.0.113.8", "203.0.113.7")]
    assert statuses == [200, 200, 429]  # each forwarded client has its own allowance
    direct.get("/healthz", headers={"X-Forwarded-For": "203.0.113.9"})
    assert [line["client"] for line in access_lines()] == ["203.0.113.7", "203.0.113.8", "203.0.113.7", "127.0.0.1"]


def test_a_scrape_skips_a_worker_file_not_yet_sized(tmp_path: Path) -> None:
    written = MmapedDict(str(tmp_path / "counter_101.db"))
    written.write_value(mmap_key("qa_api_rate_limited", "qa_api_rate_limited_total", [], [], "doc"), 3.0, 0.0)
    written.close()
    (tmp_path / "counter_102.db").touch()  # a worker killed between creating its file and sizing it
    families = list(text_string_to_metric_families(generate_latest(worker_files(str(tmp_path))).decode()))
    assert [(s.name, s.value) for f in families for s in f.samples] == [("qa_api_rate_limited_total", 3.0)]
