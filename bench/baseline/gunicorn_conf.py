"""The gunicorn settings before nginx, kept only as ``bench/http``'s baseline (with ``bench.baseline.worker``).

gunicorn settings, from the same QA_API_* environment as everything else.

Used as ``gunicorn -c python:qa_api.serving.gunicorn_conf "qa_api.http.app:create_app()"``.

The app is *not* preloaded: each worker loads the index itself, memory-mapped, so the page cache still
holds one copy for all of them, and ``kill -HUP <master pid>`` starts new workers that load
whatever ``index/CURRENT`` names now, then retires the old ones gracefully. ``qa-api serve`` builds the
index before gunicorn starts, so workers only ever load it.
"""

from qa_api.http.middleware import ratelimit
from qa_api.settings import Settings

_settings = Settings.from_env()
# One table of rate-limit counts for all workers, made here in the master before any is forked.
ratelimit.share_with_workers(_settings.rate_limit)

bind = f"{_settings.host}:{_settings.port}"
workers = _settings.workers
preload_app = False
# Threads let a worker answer while another thread waits on a client; bench.baseline.worker also keeps slow
# clients in the poller, not in a thread, until their request has arrived.
worker_class = "bench.baseline.worker.QAWorker"
threads = _settings.threads
worker_connections = 1000
timeout = 30
graceful_timeout = 20
keepalive = 5
# The request line may carry the app's 4 KiB query string (the app answers 414 as problem+json); longer
# lines, and too many or too long headers, are refused by gunicorn (414/431, problem+json via bench.baseline.worker).
limit_request_line = 8190
limit_request_fields = 100
limit_request_field_size = 8190
# No runtime control socket: it would be written under the user's home, which a container user may not have.
control_socket_disable = True
accesslog = None
errorlog = "-"
loglevel = "info"
