"""Metrics, access log and request ids of a real ``qa-api serve`` with 2 gunicorn workers on loopback: figures that
add up across workers and survive a killed one, one JSON log line per request, and the ids of requests a
worker drops when it is aborted."""

from __future__ import annotations

import itertools
import json
import os
import signal
import socket
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any

import pytest
import requests
from prometheus_client.mmap_dict import MmapedDict, mmap_key
from prometheus_client.multiprocess import MultiProcessCollector
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import EXAMPLE_QUESTION, SEEDS
from tests.live import LiveServer, free_port, start_server, wait_for

pytestmark = pytest.mark.server
KEY = "observability-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


class Observed:
    def __init__(self, server: LiveServer, scrape_url: str, metrics_dir: Path) -> None:
        self.server, self.scrape_url, self.metrics_dir = server, scrape_url, metrics_dir
        self.seen_ids: list[str] = []  # every X-Request-Id this test module's clients got back

    def request(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        headers = {**AUTH, **kwargs.pop("headers", {})}
        response = requests.request(method, self.server.url + path, headers=headers, timeout=10, **kwargs)
        self.seen_ids.append(response.headers["X-Request-Id"])
        return response

    def scrape(self) -> Samples:
        response = self.request("GET", "/metrics")
        assert response.status_code == 200
        assert response.headers["Content-Type"] == "text/plain; version=0.0.4; charset=utf-8"
        return parse(response.text)


def parse(text: str) -> Samples:
    return {(s.name, frozenset(s.labels.items())): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def total(samples: Samples, name: str, **labels: str) -> float:
    wanted = set(labels.items())
    return sum(v for (n, ls), v in samples.items() if n == name and wanted <= ls)


@pytest.fixture(scope="module")
def observed(index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Observed]:
    """2 workers, an API key, a scrape address, and a metrics directory named here that holds a stale file."""
    tmp = tmp_path_factory.mktemp("observed")
    metrics_dir = tmp / "metrics"
    metrics_dir.mkdir()
    stale = MmapedDict(str(metrics_dir / "counter_999999.db"))  # as a crashed earlier server would leave
    stale.write_value(mmap_key("qa_api_http_requests", "qa_api_http_requests_total", ["method", "route", "status"],
                               ["GET", "/v1/search", "200"], "stale"), 1000.0, 0.0)
    stale.close()
    scrape_address = f"127.0.0.1:{free_port()}"
    # gunicorn alone (QA_API_PROXY=off): the tests pause its workers one by one, and nginx would keep sending
    # to a paused one over the connections it keeps open
    env = dict(os.environ, QA_API_CORPUS_DIR=str(SEEDS), QA_API_INDEX_DIR=str(index_dir), QA_API_KEY=KEY,
               QA_API_METRICS_ADDRESS=scrape_address, PROMETHEUS_MULTIPROC_DIR=str(metrics_dir), QA_API_PROXY="off")
    with start_server(env, tmp / "server.log") as server:
        yield Observed(server, f"http://{scrape_address}/metrics", metrics_dir)


def searches_by_worker(metrics_dir: Path) -> dict[str, float]:
    """Each process's own count of searches, from its file in the metrics directory."""
    counts = {}
    for path in metrics_dir.glob("counter_*.db"):
        samples = {(s.name, frozenset(s.labels.items())): s.value
                   for metric in MultiProcessCollector.merge([str(path)]) for s in metric.samples}
        counts[path.stem.removeprefix("counter_")] = total(samples, "qa_api_http_requests_total", route="/v1/search")
    return counts


def test_metrics_add_up_across_workers(observed: Observed) -> None:
    before = observed.scrape()
    sends = ([("GET", "/v1/search", {"params": {"q": f"troops {i}"}}) for i in range(25)]
             + [("POST", "/v1/ask", {"json": {"question": EXAMPLE_QUESTION}}) for _ in range(10)]
             + [("GET", "/v1/passages/001_5fe9c23b30af33fc-p99", {}), ("GET", "/no/such/page", {})])
    statuses: Counter[int] = Counter()
    workers = observed.server.workers()
    for paused, extra in zip(workers, [[("GET", "/no/such/page", {})], []], strict=True):
        # One worker paused, the other serves this half: every figure below is a sum over both.
        os.kill(paused, signal.SIGSTOP)
        try:
            with ThreadPoolExecutor(4) as pool:
                statuses.update(pool.map(lambda s: observed.request(s[0], s[1], **s[2]).status_code, sends + extra))
        finally:
            os.kill(paused, signal.SIGCONT)
    assert statuses == {200: 70, 404: 5}

    def sent(samples: Samples, name: str, **labels: str) -> float:
        return total(samples, name, **labels) - total(before, name, **labels)

    def all_counted() -> bool:
        samples = observed.scrape()
        return (sent(samples, "qa_api_http_requests_total", route="/v1/search") >= 50
                and sent(samples, "qa_api_http_requests_total", route="/v1/ask") >= 20
                and sent(samples, "qa_api_http_requests_total", status="404") >= 5)

    # A request is counted once its response has gone out, a moment after the client has read it.
    assert wait_for(all_counted, 10)
    after = observed.scrape()
    assert sent(after, "qa_api_http_requests_total", route="/v1/search", status="200") == 50
    assert sent(after, "qa_api_http_requests_total", route="/v1/ask", status="200") == 20
    assert sent(after, "qa_api_http_requests_total", status="404") == 5
    assert total(after, "qa_api_http_requests_total", route="/v1/search") == 50  # the stale file was cleared
    by_worker = searches_by_worker(observed.metrics_dir)
    assert sorted(by_worker.values()) == [25, 25], by_worker
    for route, count in (("/v1/search", 50), ("/v1/ask", 20)):
        buckets = sorted((float(dict(labels)["le"]), value) for (name, labels), value in after.items()
                         if name == "qa_api_http_request_duration_seconds_bucket" and ("route", route) in labels)
        assert len(buckets) == 21 and buckets[-1] == (float("inf"), count)
        assert all(a[1] <= b[1] for a, b in itertools.pairwise(buckets)), buckets  # cumulative
        assert after[("qa_api_http_request_duration_seconds_count", frozenset({("route", route)}))] == count
        assert any(le <= 0.1 and n > 0 for le, n in buckets), buckets  # resolved under 100 ms
    assert total(after, "qa_api_http_requests_in_flight") == 1  # the scrape itself
    assert total(after, "qa_api_index_passages") == 59 and total(after, "qa_api_index_loads_total") >= 2


def test_metrics_need_the_key_on_the_api_port_and_not_on_the_scrape_address(observed: Observed) -> None:
    refused = requests.get(f"{observed.server.url}/metrics", timeout=10)
    assert refused.status_code == 401 and refused.headers["Content-Type"] == "application/problem+json"
    scraped = requests.get(observed.scrape_url, timeout=10)
    assert scraped.status_code == 200
    on_port = observed.scrape()
    off_port = parse(scraped.text)
    name = "qa_api_http_requests_total"
    assert total(off_port, name, route="/v1/search") == total(on_port, name, route="/v1/search") > 0


def test_a_killed_worker_does_not_make_counters_go_backwards(observed: Observed) -> None:
    for _ in range(10):
        observed.request("GET", "/v1/search", params={"q": "troops"})
    before = observed.scrape()
    workers = observed.server.workers()
    assert len(workers) == 2
    os.kill(workers[0], signal.SIGKILL)
    assert wait_for(lambda: len(observed.server.workers()) == 2 and workers[0] not in observed.server.workers())
    assert wait_for(lambda: total(observed.scrape(), "qa_api_index_loads_total")
                    == total(before, "qa_api_index_loads_total") + 1)  # the new worker has loaded its index
    after = observed.scrape()
    cumulative = [key for key in before if key[0].endswith(("_total", "_count", "_sum", "_bucket"))]
    went_back = {key: (before[key], after.get(key)) for key in cumulative
                 if not (after.get(key, -1) >= before[key])}
    assert not went_back
    assert total(after, "qa_api_http_requests_in_flight") == 1  # the dead worker's gauge is gone
    observed.request("GET", "/v1/search", params={"q": "troops"})
    searches = total(before, "qa_api_http_requests_total", route="/v1/search")
    assert wait_for(lambda: total(observed.scrape(), "qa_api_http_requests_total", route="/v1/search") > searches, 10)
    assert total(observed.scrape(), "qa_api_http_requests_total", route="/v1/search") == searches + 1


def raw_request(url: str, request: bytes) -> dict[str, str]:
    """Send bytes as they are and return the response's headers."""
    host, port = url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as sock:
        sock.sendall(request)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head = data.partition(b"\r\n\r\n")[0].decode("latin-1").split("\r\n")[1:]
    return {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in head)}


def log_lines(server: LiveServer) -> list[str]:
    return server.log_text().splitlines()


def access_lines(server: LiveServer) -> list[dict[str, Any]]:
    lines = [json.loads(line) for line in log_lines(server) if line.startswith("{")]
    return [line for line in lines if line["logger"] == "qa_api.access"]


def test_every_request_leaves_one_json_log_line_with_the_id_the_client_saw(observed: Observed) -> None:
    chat = {"model": "qa-api", "messages": [{"role": "user", "content": EXAMPLE_QUESTION}]}
    observed.request("GET", "/v1/search", params={"q": "secret words"}, headers={"X-Request-Id": "client-chosen-1"})
    observed.request("POST", "/v1/ask", json={"question": "a secret question?"})
    observed.request("POST", "/v1/chat/completions", json=dict(chat, stream=True))
    observed.request("POST", "/v1/chat/completions", json=dict(chat, model="gpt-4o"))
    observed.request("DELETE", "/v1/ask")
    observed.request("GET", "/v1/documents", headers={"Authorization": "Bearer wrong"})
    observed.request("GET", "/healthz", headers={"X-Request-Id": "not sane!"})
    too_big = raw_request(observed.server.url, b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * 9000
                          + b"\r\nConnection: close\r\n\r\n")  # answered by gunicorn itself (431)
    observed.seen_ids.append(too_big["x-request-id"])
    assert "client-chosen-1" in observed.seen_ids and "not sane!" not in observed.seen_ids

    def logged() -> Counter[str]:
        return Counter(line["request_id"] for line in access_lines(observed.server))

    assert wait_for(lambda: set(observed.seen_ids) <= set(logged()), timeout_s=10), \
        set(observed.seen_ids) - set(logged())
    counts = logged()
    assert all(counts[rid] == 1 for rid in observed.seen_ids), [r for r in observed.seen_ids if counts[r] != 1]
    for line in log_lines(observed.server):
        if not line.startswith("["):  # gunicorn's own lines start with their time in brackets
            assert isinstance(json.loads(line), dict), line
    mine = {line["request_id"]: line for line in access_lines(observed.server) if line["request_id"] in
            observed.seen_ids[-8:]}
    assert [(mine[rid]["route"], mine[rid]["status"]) for rid in observed.seen_ids[-8:]] == [
        ("/v1/search", 200), ("/v1/ask", 200), ("/v1/chat/completions", 200), ("/v1/chat/completions", 404),
        ("unmatched", 405), ("/v1/documents", 401), ("/healthz", 200), ("unmatched", 431)]
    assert all(line["client"] == "127.0.0.1" and line["bytes"] > 0 for line in mine.values())
    assert "secret" not in observed.server.log_text()


def test_an_aborted_worker_logs_the_ids_of_the_requests_it_drops(index_dir: Path, tmp_path: Path) -> None:
    # gunicorn alone: nginx would hold the unfinished body itself and never hand the request to a worker
    env = dict(os.environ, QA_API_CORPUS_DIR=str(SEEDS), QA_API_INDEX_DIR=str(index_dir), QA_API_PROXY="off")
    with start_server(env, tmp_path / "server.log") as server:
        metrics_dirs = {Path(line.split()[-1]).parent for pid in server.workers()
                        for line in Path(f"/proc/{pid}/maps").read_text().splitlines() if line.endswith(".db")}
        assert len(metrics_dirs) == 1  # the directory the server made for its workers
        host, port = server.url.removeprefix("http://").split(":")
        stuck = socket.create_connection((host, int(port)), timeout=10)
        # A body of 40,000 bytes of which 33,000 arrive: enough for a thread to take the request, so the app
        # waits in it for the rest, which never comes.
        stuck.sendall(b"POST /v1/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
                      b"Content-Length: 40000\r\nX-Request-Id: dropped-42\r\n\r\n" + b" " * 33_000)

        def in_flight() -> float:
            return total(parse(requests.get(f"{server.url}/metrics", timeout=10).text),
                         "qa_api_http_requests_in_flight")

        assert wait_for(lambda: in_flight() == 2)  # the stuck request and the scrape
        for pid in server.workers():
            os.kill(pid, signal.SIGABRT)  # what the master sends a worker past its timeout
        assert wait_for(lambda: "dropped-42" in server.log_text())
        stuck.close()
        dropped = [json.loads(line) for line in log_lines(server) if "dropped-42" in line]
        errors = [d for d in dropped if d["level"] == "error"]
        assert [(d["request_id"], d["route"], d["method"]) for d in errors] == [("dropped-42", "/v1/ask", "POST")]
        assert "aborted" in errors[0]["message"]
        assert wait_for(lambda: len(server.workers()) == 2)
        assert wait_for(lambda: in_flight() == 1)  # the aborted workers' gauges are gone
    assert not any(d.exists() for d in metrics_dirs)  # removed when the server stopped
