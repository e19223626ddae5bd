"""How the server is put together: nginx's configuration, the gunicorn it fronts, the client address the app sees
through it, and gunicorn alone (QA_API_PROXY=off)."""

from __future__ import annotations

import inspect
import json
import os
import re
import socket
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import gunicorn
import gunicorn.util
import pytest

from qa_api.http import ingest
from qa_api.serving import errors, nginx
from qa_api.settings import Settings
from tests.conftest import ROOT, SEEDS
from tests.live import LiveServer, start_server


def test_the_nginx_configuration_reads_whole_requests_within_the_limits(tmp_path: Path) -> None:
    front = nginx.Front.of(Settings(host="0.0.0.0", port=8123, max_body_bytes=4096), tmp_path / "g.sock")
    config = nginx.write_config(front, tmp_path).read_text()
    assert "listen 0.0.0.0:8123 " in config and f"server unix:{tmp_path / 'g.sock'};" in config
    assert "client_max_body_size 4096;" in config and "client_body_buffer_size 4096;" in config
    assert "proxy_request_buffering on;" in config
    for forged in ("X-Forwarded-Protocol", "X-Forwarded-Ssl", "X-Forwarded-Host", "Forwarded"):
        assert f'proxy_set_header {forged} "";' in config  # what a client sends of these never reaches gunicorn
    assert f"client_header_timeout {errors.REQUEST_DEADLINE_S}s;" in config
    for status in nginx.ERROR_STATUSES:
        assert f" /_problem/{status};" in config
        body = config.split(f"location = /_problem/{status} {{", 1)[1].split(f"return {status} '", 1)[1]
        problem = json.loads(body.split("';", 1)[0])
        assert problem["status"] == status and problem["title"] and problem["detail"]
        assert problem["instance"] == "$request_id"  # nginx's id for the request, also sent as X-Request-Id
    assert "error_page 505 =400 /_problem/400;" in config
    assert all(str(tmp_path) in line for line in config.splitlines() if "_temp_path " in line)
    assert ("user " in config) == (os.geteuid() == 0)
    assert "listen [::1]:8123 " in nginx.render(nginx.Front("::1", 8123, tmp_path, 1), tmp_path)


def test_the_documents_routes_take_bodies_up_to_the_document_limit_and_the_others_keep_the_small_one(
        tmp_path: Path) -> None:
    front = nginx.Front.of(Settings(max_body_bytes=4096, max_document_bytes=1_000_000), tmp_path / "g.sock")
    config = nginx.render(front, tmp_path)
    head, documents = config.split("location ^~ /v1/documents {", 1)
    assert "client_max_body_size 4096;" in head and "client_max_body_size" not in head.split("location / {")[1]
    assert f"client_max_body_size {1_000_000 + ingest.FORM_OVERHEAD_BYTES};" in documents.split("}", 1)[0]
    assert "proxy_pass http://gunicorn;" in documents and "proxy_request_buffering on;" in documents
    assert nginx.FORM_OVERHEAD_BYTES == ingest.FORM_OVERHEAD_BYTES


def test_gunicorn_is_the_pinned_version_whose_error_hook_is_replaced() -> None:
    """gunicorn has no setting for the bodies of the errors it answers itself; qa_api.serving.errors replaces the
    one function its workers call for them, so the version that function was read in is pinned, and checked."""
    pinned = re.search(r"^gunicorn==(\S+)$", (ROOT / "requirements.txt").read_text(), re.M)
    assert pinned and gunicorn.__version__ == pinned.group(1)
    assert re.search(rf"^gunicorn=={re.escape(pinned.group(1))}$", (ROOT / "requirements.in").read_text(), re.M)
    assert list(inspect.signature(gunicorn.util.write_error).parameters) == ["sock", "status_int", "reason", "mesg"]


def raw_get(url: str, path: str, source: str, headers: str = "") -> tuple[int, str]:
    """GET ``path`` from the loopback address ``source``; the status and the Server header."""
    parts = urlsplit(url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10, source_address=(source, 0)) as sock:
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n{headers}\r\n".encode())
        data = b""
        while chunk := sock.recv(65536):
            data += chunk
    head = data.split(b"\r\n\r\n", 1)[0].decode("latin-1")
    server = re.search(r"^server:\s*(.*)$", head, re.M | re.I)
    return int(head.split()[1]), server.group(1).strip() if server else ""


@pytest.fixture(scope="module", params=["nginx", "off"])
def limited_server(request: pytest.FixtureRequest, index_dir: Path,
                   tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``qa-api serve`` allowing each client 2 requests a minute, behind its nginx or (``off``) gunicorn alone."""
    env = dict(os.environ, QA_API_CORPUS_DIR=str(SEEDS), QA_API_INDEX_DIR=str(index_dir),
               QA_API_RATE_LIMIT="2/minute", QA_API_PROXY=request.param)
    with start_server(env, tmp_path_factory.mktemp(f"limited-{request.param}") / "server.log") as server:
        yield server


@pytest.mark.server
def test_the_rate_limiter_counts_each_real_client_whatever_it_claims(limited_server: LiveServer) -> None:
    spoof = "X-Forwarded-For: 198.51.100.{n}\r\nX-Real-IP: 198.51.100.{n}\r\n"
    # (Not from 127.0.0.1: waiting for the server to be ready spent that address's allowance.)
    statuses = [raw_get(limited_server.url, "/healthz", "127.0.0.5", spoof.format(n=n))[0] for n in range(3)]
    assert statuses == [200, 200, 429]  # the headers the client wrote changed nothing
    assert raw_get(limited_server.url, "/healthz", "127.0.0.6")[0] == 200  # another address: its own allowance


@pytest.mark.server
def test_with_proxy_off_gunicorn_serves_directly_and_its_own_errors_are_problem_json(
        limited_server: LiveServer) -> None:
    _, server_header = raw_get(limited_server.url, "/readyz", "127.0.0.3")
    assert server_header == ("gunicorn" if limited_server.log.parent.name.startswith("limited-off") else "nginx")
    many_headers = "".join(f"X-H{i}: v\r\n" for i in range(120))
    parts = urlsplit(limited_server.url)
    with socket.create_connection((parts.hostname, parts.port), timeout=10, source_address=("127.0.0.4", 0)) as s:
        s.sendall(f"GET /healthz HTTP/1.1\r\nHost: x\r\n{many_headers}Connection: close\r\n\r\n".encode())
        data = b""
        while chunk := s.recv(65536):
            data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/1.1 431") and b"application/problem+json" in head.lower()
    assert json.loads(body)["status"] == 431
