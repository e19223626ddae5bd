"""The Prometheus series the server exposes at ``/metrics``, and the one place that records them.

Under gunicorn every worker writes its figures to files in ``PROMETHEUS_MULTIPROC_DIR`` (prometheus-client's
multiprocess mode, set up by ``qa_api.serving.gunicorn_conf``), and a scrape adds up all of them, including those
of workers that have since died, so counters never go backwards. Without that directory (tests, a single
process) the figures live in this process. Labels take only bounded values: route templates, never paths.
"""

from __future__ import annotations

import os
from datetime import datetime

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4

from qa_api import __version__
from qa_api.retrieval.backend import CorpusStats

from . import scrape

CONTENT_TYPE = CONTENT_TYPE_PLAIN_0_0_4
MULTIPROCESS_DIR = "PROMETHEUS_MULTIPROC_DIR"
UNMATCHED = "unmatched"  # the route of a request no route took (404, 405, and errors gunicorn answers itself)
TIMED_ROUTES = frozenset({"/v1/search", "/v1/ask", "/v1/chat/completions"})
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
# Fine between 1 and 100 ms, where searches and answers fall; coarse beyond, up to the worker timeout.
LATENCY_BUCKETS = (0.001, 0.002, 0.003, 0.005, 0.0075, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1,
                   0.15, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)

REQUESTS = Counter("qa_api_http_requests", "HTTP requests answered, by method, route template and status.",
                   ["method", "route", "status"])
LATENCY = Histogram("qa_api_http_request_duration_seconds",
                    "Time from a request's arrival to the end of its response, for search, ask and chat.",
                    ["route"], buckets=LATENCY_BUCKETS)
IN_FLIGHT = Gauge("qa_api_http_requests_in_flight", "Requests being handled now.", multiprocess_mode="livesum")
RATE_LIMITED = Counter("qa_api_rate_limited", "Requests refused by the rate limit (429).")
INDEX_LOADS = Counter("qa_api_index_loads", "Indexes loaded by workers (one per worker start, and per reload).")


def _index_gauge(name: str, documentation: str) -> Gauge:
    # The figure of the index the newest live worker loaded: after a reload, the new index's.
    return Gauge(f"qa_api_index_{name}", documentation, multiprocess_mode="livemostrecent")


INDEX_PASSAGES = _index_gauge("passages", "Passages in the loaded index.")
INDEX_DOCUMENTS = _index_gauge("documents", "Documents in the loaded index.")
INDEX_TERMS = _index_gauge("terms", "Distinct terms in the loaded index.")
INDEX_BUILD_SECONDS = _index_gauge("build_seconds", "How long the loaded index took to build.")
INDEX_BUILT = _index_gauge("built_timestamp_seconds", "When the loaded index was built (Unix time).")
INDEX_FORMAT = _index_gauge("format_version", "Format version of the loaded index.")
BUILD_INFO = Gauge("qa_api_build_info", "1 for the index served (0 for one served before it); the labels name "
                   "the server's version and its index build.",
                   ["version", "index_format", "index_built_at", "corpus_checksum"],
                   multiprocess_mode="livemostrecent")


def record_request(method: str, route: str, status: int, seconds: float) -> None:
    key = (method if method in METHODS else "other", route, str(status))
    counter = _requests.get(key)
    if counter is None:
        counter = _requests[key] = REQUESTS.labels(*key)
    counter.inc()
    if route in TIMED_ROUTES:
        histogram = _latency.get(route)
        if histogram is None:
            histogram = _latency[route] = LATENCY.labels(route)
        histogram.observe(seconds)


# Each series' child, kept: finding it through labels() costs as much again as counting.
_requests: dict[tuple[str, str, str], Counter] = {}
_latency: dict[str, Histogram] = {}
_build: list[tuple[str, str, str, str]] = []  # the labels of the index this process serves


def record_index(stats: CorpusStats) -> None:
    """Count a load of the index ``stats`` describes and publish its figures."""
    INDEX_LOADS.inc()
    INDEX_PASSAGES.set(stats.passages)
    INDEX_DOCUMENTS.set(stats.documents)
    INDEX_TERMS.set(stats.terms)
    INDEX_BUILD_SECONDS.set(stats.build_seconds)
    if stats.built_at:  # a Solr collection that is red cannot say
        INDEX_BUILT.set(datetime.fromisoformat(stats.built_at).timestamp())
    INDEX_FORMAT.set(stats.index_format)
    labels = (__version__, str(stats.index_format), stats.built_at, stats.corpus_checksum[:16])
    if _build[:1] and _build[0] != labels:  # a process serves one index: the one it served before is not current
        BUILD_INFO.labels(*_build[0]).set(0)
    BUILD_INFO.labels(*labels).set(1)
    _build[:] = [labels]


def scrape_registry() -> CollectorRegistry:
    """What a scrape reads: every worker's files in multiprocess mode, else this process's registry."""
    return scrape.registry() if os.environ.get(MULTIPROCESS_DIR) else REGISTRY


def exposition() -> bytes:
    """The Prometheus text format (0.0.4) of every series."""
    return generate_latest(scrape_registry())
