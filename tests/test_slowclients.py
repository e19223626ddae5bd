"""Slow and malformed clients against the server exactly as ``qa-api serve`` starts it: nginx in front of gunicorn.

The slow scenarios run together for a minute (64 slow bodies, 200 slowloris connections and 16 stalled bodies,
each kind kept at full strength) while another client asks and checks health ten times a second. The
malformed-framing table then goes through the same server; afterwards its log must hold no traceback.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from qa_api.serving.errors import REQUEST_DEADLINE_S
from tests.conftest import EXAMPLE_QUESTION, ROOT, SEEDS
from tests.live import LiveServer, start_server

pytestmark = pytest.mark.server
RUN_S = 60
SLOW_BODIES, SLOWLORIS, STALLED = 64, 200, 16
PROBES_PER_S = 10
P99_LIMIT_MS = 100
DEADLINE_SLACK_S = 2.0


@pytest.fixture(scope="module")
def server(index_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    log = tmp_path_factory.mktemp("slowclients") / "server.log"
    env = dict(os.environ, QA_API_CORPUS_DIR=str(SEEDS), QA_API_INDEX_DIR=str(index_dir))
    env.pop("QA_API_PROXY", None)
    with start_server(env, log) as live:
        yield live


@dataclass(frozen=True)
class Probe:
    sent: float  # seconds since the run began
    latency_ms: float
    status: int | None


def probe(url: str, start: float, stop: threading.Event) -> list[Probe]:
    """GET /healthz and POST /v1/ask in turn, PROBES_PER_S a second, on one keep-alive connection."""
    session, probes, n = requests.Session(), [], 0
    while not stop.is_set():
        due = start + n / PROBES_PER_S
        time.sleep(max(0.0, due - time.monotonic()))
        sent = time.monotonic()
        try:
            if n % 2:
                r = session.post(f"{url}/v1/ask", json={"question": EXAMPLE_QUESTION}, timeout=10)
                ok = r.status_code == 200 and r.json()["answer"]["text"] == "late April 2025"
            else:
                r = session.get(f"{url}/healthz", timeout=10)
                ok = r.status_code == 200
            status: int | None = r.status_code if ok else -r.status_code
        except requests.RequestException:
            status = None
        probes.append(Probe(sent - start, 1000 * (time.monotonic() - sent), status))
        n += 1
    return probes


def p99(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))]


@pytest.fixture(scope="module")
def slow_run(server: LiveServer) -> dict[str, Any]:
    """One minute of every slow kind at once, with the probes. The hostile clients run in a process of their own,
    at a lower priority: they stand for clients on other machines, whose work is not this server's."""
    command = [sys.executable, "-m", "tests.hostile", server.url, "--slow-bodies", str(SLOW_BODIES),
               "--slowloris", str(SLOWLORIS), "--stalled-bodies", str(STALLED), "--seconds", str(RUN_S)]
    hostile = subprocess.Popen(["nice", "-n", "10", *command], cwd=ROOT, stdout=subprocess.PIPE, text=True)
    start, stop = time.monotonic(), threading.Event()
    with ThreadPoolExecutor(1) as pool:
        probes = pool.submit(probe, server.url, start, stop)
        out, _ = hostile.communicate(timeout=RUN_S + 60)
        stop.set()
        result: dict[str, Any] = json.loads(out)
        result["probes"] = probes.result()
    print(f"\nslow clients: {summary(result)}")
    return result


def summary(result: dict[str, Any]) -> dict[str, object]:
    probes: list[Probe] = result["probes"]
    return {"probes": len(probes), "failed": sum(p.status != 200 for p in probes),
            "p99_ms": round(p99([p.latency_ms for p in probes]), 1),
            "max_ms": round(max(p.latency_ms for p in probes), 1),
            **{f"{kind}_connections": len(result[kind]) for kind in ("slow_body", "slowloris", "stalled_body")}}


def test_other_clients_are_answered_at_once_throughout(slow_run: dict[str, Any]) -> None:
    probes: list[Probe] = slow_run["probes"]
    assert len(probes) >= RUN_S * PROBES_PER_S * 0.9
    assert [p for p in probes if p.status != 200] == []
    assert p99([p.latency_ms for p in probes]) <= P99_LIMIT_MS, summary(slow_run)


def test_other_clients_are_answered_at_once_when_the_deadline_closes_the_slowloris(
        slow_run: dict[str, Any]) -> None:
    cut_offs = sorted({round(c["ended"]) for c in slow_run["slowloris"] if c["ended"] is not None})
    assert cut_offs, "no slowloris connection was closed"
    near = [p for p in slow_run["probes"] if any(abs(p.sent - t) <= 1.0 for t in cut_offs)]
    assert len(near) >= 20
    assert [p for p in near if p.status != 200] == []
    assert p99([p.latency_ms for p in near]) <= P99_LIMIT_MS


def test_slowloris_connections_are_cut_off_at_the_header_deadline(slow_run: dict[str, Any]) -> None:
    ended = [c for c in slow_run["slowloris"] if c["ended"] is not None]
    # Every connection opened early enough to meet its deadline within the run did; none lasted longer.
    assert len(ended) >= SLOWLORIS * (RUN_S // (REQUEST_DEADLINE_S + DEADLINE_SLACK_S) - 1)
    for c in ended:
        assert REQUEST_DEADLINE_S - 1 <= c["ended"] - c["started"] <= REQUEST_DEADLINE_S + DEADLINE_SLACK_S, c
        assert c["answer"] in ("", "HTTP/1.1 408 Request Timeout"), c  # nginx closes without a word
    still_open = [c for c in slow_run["slowloris"] if c["ended"] is None]
    assert all(RUN_S - c["started"] <= REQUEST_DEADLINE_S + DEADLINE_SLACK_S for c in still_open)


def test_a_stalled_body_is_cut_off_at_the_body_deadline(slow_run: dict[str, Any]) -> None:
    ended = [c for c in slow_run["stalled_body"] if c["ended"] is not None]
    assert len(ended) >= STALLED * (RUN_S // (REQUEST_DEADLINE_S + DEADLINE_SLACK_S) - 1)
    for c in ended:
        assert REQUEST_DEADLINE_S - 1 <= c["ended"] - c["started"] <= REQUEST_DEADLINE_S + DEADLINE_SLACK_S, c
        assert not c["answer"].startswith("HTTP/1.1 5"), c


def test_a_body_trickling_in_is_held_by_nginx_never_answered_with_an_error(slow_run: dict[str, Any]) -> None:
    """nginx waits for a body as long as bytes keep coming (its body timeout is per read), holding it in its
    own event loop: gunicorn never sees these requests, as the probes above show."""
    assert len(slow_run["slow_body"]) == SLOW_BODIES
    assert all(c["ended"] is None for c in slow_run["slow_body"]), slow_run["slow_body"][:3]


# Malformed framing ---------------------------------------------------------------------------------------------

HEAD = b"POST /v1/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nConnection: close\r\n"
BODY = b'{"question": "troops"}'  # 22 bytes, 0x16


def chunked(chunks: bytes, head: bytes = HEAD) -> bytes:
    return head + b"Transfer-Encoding: chunked\r\n\r\n" + chunks


FRAMING = [  # (case, request, status nginx answers)
    ("chunk size not hex", chunked(b"zz\r\n" + BODY + b"\r\n0\r\n\r\n"), 400),
    ("chunk size negative", chunked(b"-1\r\n" + BODY + b"\r\n0\r\n\r\n"), 400),
    ("chunk size with 0x", chunked(b"0x16\r\n" + BODY + b"\r\n0\r\n\r\n"), 400),
    ("chunk size with +", chunked(b"+16\r\n" + BODY + b"\r\n0\r\n\r\n"), 400),
    ("chunk size empty", chunked(b"\r\n" + BODY + b"\r\n0\r\n\r\n"), 400),
    ("chunk size overflowing 64 bits", chunked(b"ffffffffffffffffffff\r\n" + BODY + b"\r\n0\r\n\r\n"), 400),
    ("chunk size with trailing space, data not JSON", chunked(b"3 \r\n{}a\r\n0\r\n\r\n"), 400),
    ("chunk data longer than its size", chunked(b"5\r\n" + BODY + b"\r\n0\r\n\r\n"), 400),
    ("chunk data without its CRLF", chunked(b"16\r\n" + BODY + b"0\r\n\r\n"), 400),
    ("chunked body over the limit", chunked(b"10001\r\n" + b" " * 65537 + b"\r\n0\r\n\r\n"), 413),
    ("chat route, chunk size not hex", chunked(b"zz\r\n{}\r\n0\r\n\r\n", HEAD.replace(b"/v1/ask",
                                                                                    b"/v1/chat/completions")), 400),
    ("Content-Length with Transfer-Encoding", HEAD + b"Content-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n16\r\n"
     + BODY + b"\r\n0\r\n\r\n", 400),
    ("Transfer-Encoding with Content-Length", HEAD + b"Transfer-Encoding: chunked\r\nContent-Length: 5\r\n\r\n16\r\n"
     + BODY + b"\r\n0\r\n\r\n", 400),
    ("Transfer-Encoding gzip, chunked", HEAD + b"Transfer-Encoding: gzip, chunked\r\n\r\n16\r\n" + BODY
     + b"\r\n0\r\n\r\n", 501),
    ("Transfer-Encoding gzip", HEAD + b"Transfer-Encoding: gzip\r\n\r\n" + BODY, 501),
    ("Transfer-Encoding identity", HEAD + b"Transfer-Encoding: identity\r\nContent-Length: 22\r\n\r\n" + BODY, 501),
    ("Transfer-Encoding chunked, chunked", HEAD + b"Transfer-Encoding: chunked, chunked\r\n\r\n16\r\n" + BODY
     + b"\r\n0\r\n\r\n", 501),
    ("Transfer-Encoding xchunked", HEAD + b"Transfer-Encoding: xchunked\r\n\r\n16\r\n" + BODY + b"\r\n0\r\n\r\n", 501),
    ("Transfer-Encoding twice", HEAD + b"Transfer-Encoding: chunked\r\nTransfer-Encoding: chunked\r\n\r\n16\r\n"
     + BODY + b"\r\n0\r\n\r\n", 400),
    ("Transfer-Encoding with a space before the colon", HEAD + b"Transfer-Encoding : chunked\r\n\r\n16\r\n" + BODY
     + b"\r\n0\r\n\r\n", 400),
    ("Transfer-Encoding in HTTP/1.0", chunked(b"16\r\n" + BODY + b"\r\n0\r\n\r\n", HEAD.replace(b"1.1", b"1.0")), 400),
    ("Content-Length twice, different", HEAD + b"Content-Length: 22\r\nContent-Length: 5\r\n\r\n" + BODY, 400),
    ("Content-Length twice, same", HEAD + b"Content-Length: 22\r\nContent-Length: 22\r\n\r\n" + BODY, 400),
    ("Content-Length as a list", HEAD + b"Content-Length: 22, 22\r\n\r\n" + BODY, 400),
    ("Content-Length negative", HEAD + b"Content-Length: -1\r\n\r\n" + BODY, 400),
    ("Content-Length with +", HEAD + b"Content-Length: +22\r\n\r\n" + BODY, 400),
    ("Content-Length in hex", HEAD + b"Content-Length: 0x16\r\n\r\n" + BODY, 400),
    ("Content-Length beyond 64 bits", HEAD + b"Content-Length: 99999999999999999999\r\n\r\n" + BODY, 400),
    ("Content-Length over the limit", HEAD + b"Content-Length: 65537\r\n\r\n", 413),
    ("obs-fold", HEAD + b"X-Folded: a\r\n b\r\nContent-Length: 22\r\n\r\n" + BODY, 400),
    ("obs-fold on Transfer-Encoding", HEAD + b"Transfer-Encoding:\r\n chunked\r\n\r\n16\r\n" + BODY
     + b"\r\n0\r\n\r\n", 400),
    ("bare CR as line end", HEAD.replace(b"\r\n", b"\r") + b"Content-Length: 22\r\r" + BODY, 400),
    ("space inside a header name", HEAD + b"Content Length: 22\r\n\r\n" + BODY, 400),
    ("NUL in a header value", HEAD + b"X-A: a\x00b\r\nContent-Length: 22\r\n\r\n" + BODY, 400),
    ("no Host in HTTP/1.1", HEAD.replace(b"Host: x\r\n", b"") + b"Content-Length: 22\r\n\r\n" + BODY, 400),
    ("Host twice", HEAD + b"Host: y\r\nContent-Length: 22\r\n\r\n" + BODY, 400),
    ("method in lower case", b"get /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n", 400),
    ("HTTP version 9.9", b"GET /healthz HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n", 400),
    # RFC 9112 2.2: a recipient MAY take a bare LF for a line end; nginx does, and forwards one clean request.
    ("bare LF as line end", HEAD.replace(b"\r\n", b"\n") + b"Content-Length: 22\n\n" + BODY, 200),
    ("bare LF ending chunk lines", chunked(b"16\n" + BODY + b"\n0\n\n"), 200),
    # A trailer field is read and dropped: gunicorn gets the body with a Content-Length, never the trailer.
    ("Content-Length smuggled in a trailer", chunked(b"16\r\n" + BODY + b"\r\n0\r\nContent-Length: 5\r\n\r\n"), 200),
]


def exchange(url: str, request: bytes, timeout_s: float = REQUEST_DEADLINE_S + 10) -> tuple[bytes, float]:
    """Send ``request`` and read until the server closes (or resets: nginx drops a timed-out connection so); the
    bytes read and the seconds it took."""
    parts = urlsplit(url)
    started = time.monotonic()
    data = b""
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout_s) as sock:
        sock.sendall(request)
        with contextlib.suppress(ConnectionResetError):
            while chunk := sock.recv(65536):
                data += chunk
    return data, time.monotonic() - started


@pytest.mark.parametrize(("case", "request_bytes", "status"), FRAMING, ids=[case for case, _, _ in FRAMING])
def test_malformed_framing_is_refused_with_problem_json(server: LiveServer, case: str, request_bytes: bytes,
                                                        status: int) -> None:
    data, _ = exchange(server.url, request_bytes)
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    assert status_line.split()[1] == str(status), data[:300]
    if status == 200:
        assert json.loads(body)["question"] == "troops"
        return
    assert headers["content-type"] == "application/problem+json", data[:300]
    assert headers["x-content-type-options"] == "nosniff"
    problem = json.loads(body)
    assert problem["status"] == status and problem["title"] and problem["detail"]


TRUNCATED = [
    ("a chunk shorter than its size", chunked(b"40\r\n" + BODY)),
    ("no last chunk", chunked(b"16\r\n" + BODY + b"\r\n")),
    ("a body shorter than its Content-Length", HEAD + b"Content-Length: 100\r\n\r\n" + BODY),
    ("headers never ended", HEAD + b"Content-Length: 22\r\n"),
]


def test_truncated_requests_are_closed_at_the_deadline_without_a_5xx(server: LiveServer) -> None:
    """The client stops sending mid-request and waits: nginx ends the connection at its deadline."""
    with ThreadPoolExecutor(len(TRUNCATED)) as pool:
        outcomes = list(pool.map(lambda case: exchange(server.url, case[1]), TRUNCATED))
    for (case, _), (data, took) in zip(TRUNCATED, outcomes, strict=True):
        assert not data.startswith(b"HTTP/1.1 5"), (case, data[:200])
        assert data == b"" or b"application/problem+json" in data, (case, data[:200])
        assert REQUEST_DEADLINE_S - 1 <= took <= REQUEST_DEADLINE_S + DEADLINE_SLACK_S, (case, took)


def test_the_server_log_holds_no_traceback(server: LiveServer, slow_run: dict[str, Any]) -> None:
    assert "Traceback" not in server.log_text()
