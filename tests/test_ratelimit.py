"""Per-client rate limiting: off by default, 429 with Retry-After on every route once over (problem+json, or the
OpenAI error shape on the OpenAI-compatible routes), one allowance per client across all workers."""

from __future__ import annotations

import http.client
import os
import signal
import threading
from pathlib import Path

import pytest
from openapi_core import OpenAPI

from qa_api.errors import ConfigError
from qa_api.http.app import create_app
from qa_api.http.middleware.ratelimit import Allowances, RateLimiter
from qa_api.service import QAService
from qa_api.settings import Settings
from tests.conftest import SEEDS, ContractClient, assert_problem
from tests.live import start_server, wait_for


def limited_client(settings: Settings, service: QAService, openapi: OpenAPI, limit: str) -> ContractClient:
    app = create_app(settings.model_copy(update=dict(rate_limit=limit)), service)
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
    assert response.get_json()["error"]["code"] == "rate_limit_exceeded"
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
        create_app(settings.model_copy(update=dict(rate_limit="lots")), service)


def test_a_limit_allows_its_burst_then_one_request_per_interval() -> None:
    limiter = RateLimiter("3/minute")
    assert [limiter.retry_after("10.0.0.1", now=1000.0) for _ in range(3)] == [None, None, None]
    assert limiter.retry_after("10.0.0.1", now=1000.0) == 20  # one request back every 60 / 3 s
    assert limiter.retry_after("10.0.0.1", now=1019.5) == 1
    assert limiter.retry_after("10.0.0.1", now=1020.0) is None
    assert limiter.retry_after("10.0.0.1", now=1020.0) == 20
    assert [limiter.retry_after("10.0.0.1", now=1080.0) for _ in range(3)] == [None, None, None]  # all back


def test_every_limit_of_a_spec_is_kept() -> None:
    limiter = RateLimiter("2/second;3/minute")
    assert [limiter.retry_after("c", now=t) for t in (0.0, 0.0, 5.0)] == [None, None, None]
    assert limiter.retry_after("c", now=10.0) == 10  # the second allows it, the minute's one is back at 20 s


@pytest.mark.parametrize("spec", ["3/second", "20/second", "7/minute", "199/hour"])
@pytest.mark.parametrize("now", [86400.123, 1234567.891, 98765432.1])
def test_a_whole_burst_fits_whatever_the_clock_reads(spec: str, now: float) -> None:
    limiter = RateLimiter(spec)
    amount = limiter.items[0].amount
    assert [limiter.retry_after("c", now=now) for _ in range(amount)] == [None] * amount
    assert limiter.retry_after("c", now=now) is not None


def test_a_request_refused_by_one_limit_counts_against_none() -> None:
    limiter = RateLimiter("1/second;2/minute")
    assert [limiter.retry_after("c", now=t) for t in (0.0, 1.0)] == [None, None]
    assert limiter.retry_after("c", now=2.0) == 28  # the minute's allowance is back at 30 s; the second's is there
    assert limiter.retry_after("c", now=2.0) == 28  # and the refusal spent neither


@pytest.mark.parametrize("spec", ["0/second", "2000000000/second"])
def test_a_limit_no_request_or_clock_can_meet_is_a_config_error(spec: str) -> None:
    with pytest.raises(ConfigError):
        RateLimiter(spec)


def test_processes_forked_after_a_table_is_made_share_it() -> None:
    """As a preloaded app's workers do: the table made in the parent is the one the children count in."""
    allowances = Allowances()
    child = os.fork()
    if child == 0:
        os._exit(0 if allowances.take([(7, 10, 10)], 0) == 0 else 1)
    assert os.waitpid(child, 0)[1] == 0
    assert allowances.take([(7, 10, 10)], 0) == 10  # the child's request used the allowance


def test_the_table_survives_a_worker_killed_while_holding_its_lock() -> None:
    fd = os.memfd_create("test-rate-limit")
    os.ftruncate(fd, 1 << 20)
    allowances = Allowances(fd)
    child = os.fork()
    if child == 0:  # a worker that dies between taking the lock and letting it go
        with allowances._locked():
            os.kill(os.getpid(), signal.SIGKILL)
    os.waitpid(child, 0)
    result: list[float] = []
    taker = threading.Thread(target=lambda: result.append(allowances.take([(7, 1, 1)], 0)), daemon=True)
    taker.start()
    taker.join(timeout=10)
    os.close(fd)
    assert result == [0]


def test_workers_share_one_limit(index_dir: Path, tmp_path: Path) -> None:
    """With two gunicorn workers, "10/minute" lets 10 of 40 requests through, 20 to each worker, not 10 each."""
    # gunicorn alone: nginx would keep reusing connections it holds to the paused worker, and which worker takes a
    # request is what this test must decide (tests/test_serving.py counts clients through nginx).
    env = dict(os.environ, QA_API_CORPUS_DIR=str(SEEDS), QA_API_INDEX_DIR=str(index_dir),
               QA_API_RATE_LIMIT="10/minute", QA_API_PROXY="off")
    server = start_server(env, tmp_path / "server.log", workers=2)
    host, port = server.url.removeprefix("http://").split(":")

    def one() -> int:
        # from an address of its own: the readiness checks that started the server spent 127.0.0.1's allowance
        connection = http.client.HTTPConnection(host, int(port), timeout=10, source_address=("127.0.0.2", 0))
        try:
            connection.request("GET", "/v1/documents")
            return connection.getresponse().status
        finally:
            connection.close()

    statuses = []
    try:
        assert wait_for(lambda: len(server.workers()) == 2)
        for paused in server.workers():
            os.kill(paused, signal.SIGSTOP)  # so the other worker takes every connection
            try:
                statuses += [one() for _ in range(20)]
            finally:
                os.kill(paused, signal.SIGCONT)
    finally:
        server.stop()
    assert statuses.count(200) == 10 and statuses.count(429) == 30, statuses
