"""Hostile and oversized input against the real gunicorn server: every refusal is problem+json, none ties
up a worker, and nothing about the server's internals reaches the client."""

from __future__ import annotations

import contextlib
import json
import socket
import time
from collections.abc import Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests

from tests.conftest import EXAMPLE_QUESTION
from tests.live import LiveServer

pytestmark = pytest.mark.server
JSON = {"Content-Type": "application/json"}


def raw_exchange(url: str, request: bytes, timeout_s: float = 10) -> tuple[int, dict[str, str], bytes]:
    """Send bytes as they are (no client-side checks) and read the whole response."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout_s) as sock:
        sock.sendall(request)
        sock.shutdown(socket.SHUT_WR)
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status_line, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    return int(status_line.split()[1]), headers, body


def assert_problem_bytes(status: int, headers: dict[str, str], body: bytes, expected: int) -> dict[str, Any]:
    assert status == expected, body[:300]
    assert headers["content-type"] == "application/problem+json"
    assert headers["x-content-type-options"] == "nosniff"
    problem: dict[str, Any] = json.loads(body)
    assert problem["status"] == expected and problem["title"] and problem["detail"]
    assert problem["instance"] == headers["x-request-id"]
    return problem


def chunked(payload: bytes, size: int = 4096) -> Iterator[bytes]:
    for i in range(0, len(payload), size):
        yield payload[i : i + size]


@pytest.mark.parametrize(
    ("request_line", "extra_headers", "status"),
    [
        ("GET /v1/search?q=" + "a" * 9000 + " HTTP/1.1", "", 414),  # over gunicorn's request line limit
        ("GET /v1/search?q=" + "a" * 5000 + " HTTP/1.1", "", 414),  # within it, over the app's query limit
        ("GET /healthz HTTP/1.1", "X-Big: " + "a" * 9000 + "\r\n", 431),
        ("GET /healthz HTTP/1.1", "".join(f"X-H{i}: v\r\n" for i in range(120)), 431),
        ("GET /healthz HTTP/9.9", "", 400),
        ("G\x01T /healthz HTTP/1.1", "", 400),
    ],
)
def test_oversized_and_malformed_requests_get_problem_json(live_server: LiveServer, request_line: str,
                                                          extra_headers: str, status: int) -> None:
    request = f"{request_line}\r\nHost: localhost\r\n{extra_headers}Connection: close\r\n\r\n".encode("latin-1")
    assert_problem_bytes(*raw_exchange(live_server.url, request), expected=status)


def test_a_chunked_body_over_the_limit_is_refused_not_truncated(live_server: LiveServer) -> None:
    too_big = json.dumps({"question": "troops", "pad": "x" * 70_000}).encode()
    response = requests.post(f"{live_server.url}/v1/ask", data=chunked(too_big), headers=JSON, timeout=10)
    assert response.status_code == 413 and response.headers["Content-Type"] == "application/problem+json"
    # Just under the limit, the same chunked transfer arrives whole: a truncated body would be a 400.
    fits = (json.dumps({"question": EXAMPLE_QUESTION}) + " " * 60_000).encode()
    response = requests.post(f"{live_server.url}/v1/ask", data=chunked(fits), headers=JSON, timeout=10)
    assert response.status_code == 200 and response.json()["answer"]["text"] == "late April 2025"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ("[" * 5000 + "]" * 5000, 400),
        ('{"question": ' + "[" * 60_000, 400),
        ('{"question": NaN}', 400),
        ('{"question": "hi", "top_k": Infinity}', 400),
        ('{"question": "\\ud800 troops"}', 422),
        ('{"question": "' + "x" * 1001 + '"}', 422),
        ('{"question": "hi", "top_k": 51}', 422),
        ('{"question": "hi", "top_k": 1e400}', 422),
        ('{"question": "hi", "top_k": 99999999999999999999999}', 422),
        ('{"question": "a\\u0000b"}', 200),
    ],
)
def test_hostile_json_is_refused_cleanly(live_server: LiveServer, body: str, status: int) -> None:
    response = requests.post(f"{live_server.url}/v1/ask", data=body.encode(), headers=JSON, timeout=10)
    assert response.status_code == status, response.text[:300]
    if status >= 400:
        assert response.headers["Content-Type"] == "application/problem+json"


def test_every_response_carries_security_headers_and_no_version_banner(live_server: LiveServer) -> None:
    responses = [
        requests.get(f"{live_server.url}/healthz", timeout=5),
        requests.get(f"{live_server.url}/docs", timeout=5),
        requests.get(f"{live_server.url}/v1/nothing", timeout=5),
        requests.post(f"{live_server.url}/v1/ask", data="{", headers=JSON, timeout=5),
        requests.get(f"{live_server.url}/v1/search", params={"q": "troops"}, timeout=5),
    ]
    for response in responses:
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]
        assert "frame-ancestors 'none'" in response.headers["Content-Security-Policy"]
        server = response.headers.get("Server", "")
        assert not any(ch.isdigit() for ch in server) and "/" not in server, server
    docs_csp = responses[1].headers["Content-Security-Policy"]
    assert "script-src 'self'" in docs_csp and "unsafe-inline" not in docs_csp and "unsafe-eval" not in docs_csp


def test_errors_never_reveal_stack_traces_or_paths(live_server: LiveServer) -> None:
    bodies = [
        requests.post(f"{live_server.url}/v1/ask", data=b"\xff\xfe{", headers=JSON, timeout=5).text,
        requests.post(f"{live_server.url}/v1/ask", data="[" * 5000, headers=JSON, timeout=5).text,
        requests.get(f"{live_server.url}/v1/documents/..%2F..%2Fetc%2Fpasswd", timeout=5).text,
        requests.get(f"{live_server.url}/v1/passages/%00", timeout=5).text,
        raw_exchange(live_server.url, b"GET /\x00 HTTP/1.1\r\nHost: x\r\n\r\n")[2].decode(),
    ]
    for body in bodies:
        assert "Traceback" not in body and ".py" not in body and "site-packages" not in body, body
        assert "/root" not in body and "/home" not in body and "/tmp" not in body, body


def _slow_client(url: str, request_start: bytes) -> socket.socket:
    parts = urlsplit(url)
    sock = socket.create_connection((parts.hostname, parts.port), timeout=5)
    sock.sendall(request_start)
    return sock


def test_slow_clients_do_not_tie_up_workers(live_server: LiveServer) -> None:
    """Many more trickling clients than the server has threads; everyone else is still answered at once."""
    slow = [_slow_client(live_server.url, b"GET /healthz HTTP/1.1\r\nHost: x\r\n") for _ in range(40)]
    slow += [_slow_client(live_server.url, b"POST /v1/ask HTTP/1.1\r\nHost: x\r\nContent-Type: application/json"
                                           b"\r\nContent-Length: 100\r\n\r\n{") for _ in range(20)]
    latencies = []
    try:
        for _ in range(12):
            for sock in slow:
                with contextlib.suppress(OSError):
                    sock.sendall(b"X")
            started = time.monotonic()
            response = requests.post(f"{live_server.url}/v1/ask", json={"question": EXAMPLE_QUESTION}, timeout=5)
            latencies.append(time.monotonic() - started)
            assert response.status_code == 200
            time.sleep(0.2)
    finally:
        for sock in slow:
            sock.close()
    assert max(latencies) < 1.0, latencies
