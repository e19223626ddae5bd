"""The gunicorn master's part in metrics: the directory where workers write their figures, and an optional
scrape address of its own.

prometheus-client decides when it is first imported whether to keep figures in files (its multiprocess mode),
so the directory is named in ``PROMETHEUS_MULTIPROC_DIR`` before anything imports it; this module therefore
imports it only inside the functions that run after that.
"""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"
SHM = Path("/dev/shm")


def prepare() -> tuple[Path, bool]:
    """The directory named in the environment, emptied of a previous run's files, else a new one (in /dev/shm
    when writable: memory, and writable even in a read-only container); and whether it was made here."""
    if "prometheus_client" in sys.modules:
        raise RuntimeError("prometheus_client was imported before its multiprocess directory was set")
    given = os.environ.get(ENV)
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
        return path, False
    parent = SHM if os.access(SHM, os.W_OK) else None
    path = Path(tempfile.mkdtemp(prefix="qa-api-metrics-", dir=parent))
    os.environ[ENV] = str(path)
    return path, True


def remove(path: Path) -> None:
    shutil.rmtree(path, ignore_errors=True)


def worker_exited(pid: int) -> None:
    """Drop a dead worker's in-flight and index gauges; its counters stay, so sums never go backwards."""
    from prometheus_client import multiprocess

    multiprocess.mark_process_dead(pid)  # type: ignore[no-untyped-call]


def serve_scrapes(host: str, port: int) -> None:
    """Serve every worker's figures at ``http://host:port/metrics`` from a thread of this (the master) process."""
    from prometheus_client import start_http_server

    from qa_api.http import scrape

    start_http_server(port, host, registry=scrape.registry())
