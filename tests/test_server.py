"""The real thing: `qa-api serve` under gunicorn on loopback, answering over HTTP."""

from __future__ import annotations

import os
import signal
import subprocess

import pytest
import requests

from tests.conftest import EXAMPLE_QUESTION
from tests.live import LiveServer, wait_for

pytestmark = pytest.mark.server


def test_gunicorn_serves_the_api(live_server: LiveServer) -> None:
    ready = requests.get(f"{live_server.url}/readyz", timeout=5).json()
    assert ready["passages"] == 59
    body = requests.post(f"{live_server.url}/v1/ask", json={"question": EXAMPLE_QUESTION}, timeout=5).json()
    assert body["answer"]["text"] == "late April 2025"
    assert body["passages"][0]["id"] == "001_5fe9c23b30af33fc-p4"


def test_errors_from_the_real_server_are_problem_json(live_server: LiveServer) -> None:
    response = requests.post(f"{live_server.url}/v1/ask", data="{", headers={"Content-Type": "application/json"},
                             timeout=5)
    assert response.status_code == 400
    assert response.headers["Content-Type"] == "application/problem+json"


def _workers(server: LiveServer) -> list[int]:
    found = subprocess.run(["pgrep", "-P", str(server.process.pid)], capture_output=True, text=True)
    return [int(p) for p in found.stdout.split()]


def test_a_killed_worker_is_replaced(live_server: LiveServer) -> None:
    assert wait_for(lambda: len(_workers(live_server)) == 2)
    victim = _workers(live_server)[0]
    os.kill(victim, signal.SIGKILL)
    assert wait_for(lambda: len(_workers(live_server)) == 2 and victim not in _workers(live_server))
    assert requests.get(f"{live_server.url}/healthz", timeout=5).status_code == 200
