"""gunicorn settings, from the same QA_API_* environment as everything else.

Used as ``gunicorn -c python:qa_api.gunicorn_conf "qa_api.app:create_app()"``. The app is preloaded in the
master, so the index is loaded (or built) once and its memory-mapped arrays are shared by every worker.
"""

from qa_api.settings import Settings

_settings = Settings.from_env()

bind = f"{_settings.host}:{_settings.port}"
workers = _settings.workers
preload_app = True
timeout = 30
graceful_timeout = 20
keepalive = 5
# Request size limits: a request line or header over these is refused by gunicorn before the app runs.
limit_request_line = 4094
limit_request_fields = 100
limit_request_field_size = 8190
# No runtime control socket: it would be written under the user's home, which a container user may not have.
control_socket_disable = True
accesslog = None
errorlog = "-"
loglevel = "info"
