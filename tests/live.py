"""Start and stop a real ``qa-api serve`` (gunicorn) on loopback, bounded in time."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from bench.load import gunicorn_master, gunicorn_workers
from qa_api.serving import nginx

ROOT = Path(__file__).resolve().parent.parent
START_TIMEOUT_S = 60
INSTALL_TIMEOUT_S = 900
NGINX_COMMAND = f"apt-get update && {nginx.INSTALL_COMMAND}"


@dataclass
class LiveServer:
    url: str
    process: subprocess.Popen[bytes]
    log: Path

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def stop(self) -> None:
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait(timeout=10)

    def gunicorn_master(self) -> int:
        """The gunicorn master: the process started, or (behind nginx) its gunicorn child."""
        return gunicorn_master(self.process.pid)

    def workers(self) -> list[int]:
        """The pids of the gunicorn master's workers."""
        return gunicorn_workers(self.gunicorn_master())

    def log_text(self) -> str:
        return self.log.read_text(errors="replace") if self.log.exists() else ""


def wait_for(condition: Callable[[], bool], timeout_s: float = 30) -> bool:
    """Poll ``condition`` until it holds or ``timeout_s`` passes; whether it held."""
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.1)
    return False


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def ensure_nginx() -> None:
    """Debian's nginx, which ``qa-api serve`` puts in front of gunicorn: installed here when root, a skip naming
    the command otherwise (never under CI)."""
    if nginx.find_binary():
        return
    if os.geteuid() == 0:
        subprocess.run([str(ROOT / "scripts" / "install-nginx")], check=True, timeout=INSTALL_TIMEOUT_S)
    elif os.environ.get("CI") == "true":
        pytest.fail(f"nginx is missing and CI must not skip the server tests; as root run: {NGINX_COMMAND}")
    else:
        pytest.skip(f"nginx is missing; as root run: {NGINX_COMMAND}")
    assert nginx.find_binary(), "scripts/install-nginx ran but nginx is still missing"


def start_server(env: dict[str, str], log: Path, *args: str, workers: int = 2) -> LiveServer:
    """Run ``python -m qa_api serve`` in its own process group and wait until /readyz answers."""
    if env.get("QA_API_PROXY", "nginx") != "off":
        ensure_nginx()
    port = free_port()
    cmd = [sys.executable, "-m", "qa_api", "serve", "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(workers), *args]
    with open(log, "wb") as out:
        process = subprocess.Popen(cmd, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = LiveServer(f"http://127.0.0.1:{port}", process, log)
    deadline = time.monotonic() + START_TIMEOUT_S
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"server exited with {process.returncode}:\n{server.log_text()}")
        try:
            # 429: the app answered, under a rate limit the readiness checks have used up.
            if requests.get(f"{server.url}/readyz", timeout=2).status_code in (200, 429):
                return server
        except requests.RequestException:
            pass
        time.sleep(0.2)
    server.stop()
    raise RuntimeError(f"server not ready after {START_TIMEOUT_S}s:\n{server.log_text()}")
