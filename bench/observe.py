"""``python -m bench.observe ROUNDS REQUESTS``: what observing a request costs, in CPU time, in this process.

Prints JSON: ``search_us``, the CPU time of a ``GET /v1/search`` through the whole app (WSGI call, Flask,
search, JSON) with metrics and the access log off; ``observation_us``, what observing one request adds
(request id, in-flight gauge, request counter, latency histogram, one access line written to stderr), timed
around an app that does nothing; and ``cost_pct``, the second over the first. Each is the fastest of
ROUNDS rounds of REQUESTS requests: load from elsewhere on the machine can only make a round slower.
Run with ``PROMETHEUS_MULTIPROC_DIR`` set, as under gunicorn; stderr goes to a file, as a container's to a pipe.
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from bench.http import QUERIES, ROOT
from qa_api.http.app import create_app
from qa_api.http.middleware.observe import ROUTE_KEY, Observer
from qa_api.settings import Settings

App = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def environ(i: int) -> dict[str, Any]:
    query = "top_k=5&q=" + QUERIES[i % len(QUERIES)].replace(" ", "+").replace("?", "%3F")
    return {"REQUEST_METHOD": "GET", "PATH_INFO": "/v1/search", "QUERY_STRING": query, "SERVER_NAME": "127.0.0.1",
            "SERVER_PORT": "8000", "SERVER_PROTOCOL": "HTTP/1.1", "wsgi.url_scheme": "http", "wsgi.input": None,
            "REMOTE_ADDR": "127.0.0.1"}


def fastest_us(app: App, rounds: int, requests: int) -> float:
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        for i in range(requests):
            body = app(environ(i), lambda *args: None)
            for _chunk in body:
                pass
            getattr(body, "close", lambda: None)()
        best = min(best, (time.process_time() - started) / requests * 1e6)
    return round(best, 2)


def nothing(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
    environ[ROUTE_KEY] = "/v1/search"
    start_response("200 OK", [("Content-Type", "application/json")])
    return [b"{}"]


def main(rounds: int, requests: int) -> dict[str, float]:
    with tempfile.TemporaryDirectory() as tmp:
        stderr = os.open(Path(tmp) / "stderr.log", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        os.dup2(stderr, 2)
        settings = Settings(corpus_dir=ROOT / "seeds", index_dir=Path(tmp) / "index", metrics=False,
                            access_log=False)
        search = create_app(settings).wsgi_app
        observed = Observer(nothing, with_metrics=True, access_log=True, log_queries=False)
        fastest_us(search, 1, requests)  # warm up: the index's pages, numba's kernels
        search_us = fastest_us(search, rounds, requests)
        observation_us = round(fastest_us(observed, rounds, requests * 10) - fastest_us(nothing, rounds, requests * 10),
                               2)
    return {"search_us": search_us, "observation_us": observation_us,
            "cost_pct": round(observation_us / search_us * 100, 2)}


if __name__ == "__main__":
    print(json.dumps(main(int(sys.argv[1]), int(sys.argv[2]))))
