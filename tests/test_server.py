"""The real thing: `qa-api serve` under gunicorn on loopback, answering over HTTP."""

from __future__ import annotations

import os
import signal

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


def test_a_killed_worker_is_replaced(live_server: LiveServer) -> None:
    assert wait_for(lambda: len(live_server.workers()) == 2)
    victim = live_server.workers()[0]
    os.kill(victim, signal.SIGKILL)
    assert wait_for(lambda: len(live_server.workers()) == 2 and victim not in live_server.workers())
    assert requests.get(f"{live_server.url}/healthz", timeout=5).status_code == 200
