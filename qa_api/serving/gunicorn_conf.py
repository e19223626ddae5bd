"""gunicorn settings, from the same QA_API_* environment as everything else.

Used as ``gunicorn -c python:qa_api.serving.gunicorn_conf "qa_api.http.app:create_app()"``: by ``qa-api serve``
on a private unix socket behind nginx (qa_api/serving/supervisor.py), which buffers every request whole, or, with
``QA_API_PROXY=off``, on ``QA_API_HOST:QA_API_PORT`` behind a buffering proxy of the deployer's own.

The app is *not* preloaded: each worker loads the index itself, memory-mapped, so the page cache still
holds one copy for all of them, and ``kill -HUP <master pid>`` starts new workers that load
whatever ``index/CURRENT`` names now, then retires the old ones gracefully. ``qa-api serve`` builds the
index before gunicorn starts, so workers only ever load it.

Workers write their metrics to files in one directory (prometheus-client's multiprocess mode), made here
before any worker starts and removed when the server stops; a dead worker's live gauges are dropped.
"""

from typing import Any

from qa_api.serving import metrics_dir

_metrics_dir, _made_metrics_dir = metrics_dir.prepare()  # first: before anything imports prometheus_client

from qa_api.http.middleware import ratelimit  # noqa: E402
from qa_api.service import QAService  # noqa: E402
from qa_api.serving.errors import answer_gunicorn_errors_as_problems  # noqa: E402
from qa_api.settings import Settings  # noqa: E402

_settings = Settings.from_env()
# The encoder (its files checked against the published hashes) and the word tables, loaded once here in the
# master: workers are forked with them, so a worker (re)started by HUP or after a crash serves at once.
QAService.preload(_settings)
# One table of rate-limit counts for all workers, made here in the master before any is forked.
ratelimit.share_with_workers(_settings.rate_limit)
answer_gunicorn_errors_as_problems()

bind = f"{_settings.host}:{_settings.port}"
workers = _settings.workers
preload_app = False
# Slow clients are the proxy's to hold: gunicorn gets whole requests, and its threads only compute.
worker_class = "gthread"
threads = _settings.threads
worker_connections = 1000
timeout = 30
graceful_timeout = 20
keepalive = 5
# The request line may carry the app's 4 KiB query string (the app answers 414 as problem+json); longer
# lines, and too many or too long headers, are refused by gunicorn (414/431, problem+json via qa_api.serving.errors).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
# No runtime control socket: it would be written under the user's home, which a container user may not have.
control_socket_disable = True
accesslog = None  # the app writes its own access log, as JSON (QA_API_ACCESS_LOG)
errorlog = "-"
loglevel = "info"


def when_ready(server: Any) -> None:
    if _settings.metrics and _settings.metrics_address:
        host, port = _settings.metrics_bind()
        metrics_dir.serve_scrapes(host, port)
        server.log.info("Serving metrics to scrapers at http://%s/metrics", _settings.metrics_address)


def child_exit(server: Any, worker: Any) -> None:
    metrics_dir.worker_exited(worker.pid)


def on_exit(server: Any) -> None:
    if _made_metrics_dir:
        metrics_dir.remove(_metrics_dir)


def worker_abort(worker: Any) -> None:
    """SIGABRT, which the master sends a worker past its timeout: log the id of every request it drops."""
    _log_unfinished("worker aborted before the response was complete")


def worker_int(worker: Any) -> None:
    _log_unfinished("worker interrupted before the response was complete")


def _log_unfinished(reason: str) -> None:
    from qa_api.http.middleware import observe  # loaded in the worker with the app by now

    observe.log_unfinished(reason)
