"""nginx in front of gunicorn: the configuration ``qa-api serve`` writes for it, and where its binary is.

nginx reads every request whole (headers, then the body, up to the body limit, in memory) before it opens a
connection to gunicorn, and passes it on with a Content-Length, so gunicorn never waits on a client: a slow
client costs a connection in nginx's event loop, never a gunicorn thread. nginx refuses malformed framing
(bad chunk sizes, Content-Length with Transfer-Encoding, unknown transfer codings, obs-fold) before anything is
forwarded, and every error it answers itself is problem+json. It forwards the client's address.
"""

from __future__ import annotations

import os
import pwd
import shutil
from dataclasses import dataclass
from pathlib import Path

from qa_api.serving.errors import REQUEST_DEADLINE_S, problem_body
from qa_api.settings import Settings

PACKAGE = "nginx"
INSTALL_COMMAND = f"apt-get install -y --no-install-recommends {PACKAGE}"
# Every status nginx can answer by itself (494: request header too large, answered as 400).
ERROR_STATUSES = (400, 403, 405, 408, 413, 414, 500, 501, 502, 503, 504)
MAX_CONNECTIONS = 4096
# A request line or header field may be this long: above gunicorn's own limits, so gunicorn answers those
# with its 414 and 431.
HEADER_BUFFER_BYTES = 16 * 1024
TEMP_PATHS = ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")


# The routes that take documents (PUT /v1/documents/{source}, POST /v1/documents) and so a larger body; a multipart
# upload's boundaries and part headers may add this much to its files (as the app allows: qa_api/http/ingest.py).
DOCUMENTS_PREFIX = "/v1/documents"
FORM_OVERHEAD_BYTES = 64 * 1024


@dataclass(frozen=True)
class Front:
    """What the configuration depends on: where nginx listens, where gunicorn is, and the body limits."""

    host: str
    port: int
    upstream: Path  # gunicorn's unix socket
    max_body_bytes: int
    max_document_bytes: int = 0  # 0: the documents routes take no more than the others

    @classmethod
    def of(cls, settings: Settings, upstream: Path) -> Front:
        return cls(settings.host, settings.port, upstream, settings.max_body_bytes, settings.max_document_bytes)

    @property
    def documents_body_bytes(self) -> int:
        return max(self.max_body_bytes, self.max_document_bytes + FORM_OVERHEAD_BYTES if self.max_document_bytes
                   else 0)


def find_binary() -> str | None:
    """nginx on PATH, or in the sbin directories a non-root PATH leaves out."""
    return shutil.which(PACKAGE) or shutil.which(PACKAGE, path="/usr/sbin:/usr/local/sbin:/sbin")


def write_config(front: Front, directory: Path) -> Path:
    """Write the temporary directories and the configuration into ``directory`` (private to this run); return
    the configuration's path."""
    for name in TEMP_PATHS:
        (directory / name).mkdir(mode=0o700)
    config = directory / "nginx.conf"
    config.write_text(render(front, directory), encoding="utf-8")
    return config


def render(front: Front, directory: Path) -> str:
    temp_paths = "\n".join(f"    {name}_temp_path {directory / name};" for name in TEMP_PATHS)
    # An error page is a URI, not a named location: nginx cannot redirect to a named location while it is still
    # reading the request line.
    error_pages = "\n".join(f"        error_page {status}{' 494' if status == 400 else ''} /_problem/{status};"
                            for status in ERROR_STATUSES)
    # A request line naming an HTTP version nginx does not speak is malformed input like any other.
    error_pages += "\n        error_page 505 =400 /_problem/400;"
    problems = "\n".join(_problem_location(status) for status in ERROR_STATUSES)
    return f"""\
# Written by `qa-api serve` for this run (qa_api/serving/nginx.py); see docs/operations.md.
{_user()}worker_processes 1;
daemon off;
pid {directory / "nginx.pid"};
error_log stderr error;

events {{
    worker_connections {MAX_CONNECTIONS};
}}

http {{
    access_log off;
    server_tokens off;
{temp_paths}

    # nginx refuses TRACE itself (405); the answer names the methods the path has, as RFC 9110 asks.
    map $request_uri $path_methods {{
        ~^/v1/(ask|chat/completions)([?]|$) "OPTIONS, POST";
        ~^/v1/documents([?]|$) "GET, HEAD, OPTIONS, POST";
        ~^/v1/documents/ "DELETE, GET, HEAD, OPTIONS, PUT";
        default "GET, HEAD, OPTIONS";
    }}
    map $status $allow_header {{
        405 $path_methods;
        default "";
    }}

    # A client gets {REQUEST_DEADLINE_S} s for its headers, and may pause at most as long while sending its body
    # or reading the answer; all of it in nginx's event loop, none of it in gunicorn.
    client_header_timeout {REQUEST_DEADLINE_S}s;
    client_body_timeout {REQUEST_DEADLINE_S}s;
    send_timeout {REQUEST_DEADLINE_S}s;
    keepalive_timeout 5s;
    reset_timedout_connection on;
    large_client_header_buffers 4 {HEADER_BUFFER_BYTES};
    # The whole body is read into memory before gunicorn is asked; a larger one is refused with 413.
    client_max_body_size {front.max_body_bytes};
    client_body_buffer_size {front.max_body_bytes};

    upstream gunicorn {{
        server unix:{front.upstream};
        keepalive 16;
        # Shorter than gunicorn's keep-alive, so nginx never reuses a connection gunicorn is closing.
        keepalive_timeout 4s;
    }}

    server {{
        listen {_address(front.host)}:{front.port} backlog=1024;
{error_pages}

{problems}

        location / {{
{_PROXY}
        }}

        # Documents are written here: a body up to the document limit, kept in a file of this run's private
        # directory past the in-memory buffer, and still read whole before gunicorn is asked.
        location ^~ {DOCUMENTS_PREFIX} {{
            client_max_body_size {front.documents_body_bytes};
{_PROXY}
        }}
    }}
}}
"""


_PROXY = """\
            proxy_pass http://gunicorn;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_set_header Host $host;
            # The client's address, for the app's rate limiter and logs (qa_api/http/middleware/proxy.py).
            proxy_set_header X-Forwarded-For $proxy_add_x_forwarded_for;
            proxy_set_header X-Real-IP $remote_addr;
            # gunicorn believes these from a unix-socket peer: only nginx may say them.
            proxy_set_header X-Forwarded-Proto $scheme;
            proxy_set_header X-Forwarded-Protocol "";
            proxy_set_header X-Forwarded-Ssl "";
            proxy_set_header X-Forwarded-Host "";
            proxy_set_header Forwarded "";
            proxy_request_buffering on;
            # A client that half-closes after sending its request still reads the answer.
            proxy_ignore_client_abort on;
            proxy_connect_timeout 5s;
            proxy_read_timeout 60s;"""


def _problem_location(status: int) -> str:
    """The named location that answers ``status`` as problem+json, with nginx's own request id as the body's
    ``instance`` and the ``X-Request-Id`` header, as the app does for its errors."""
    body = problem_body(status, request_id="$request_id").decode().replace("\\", "\\\\").replace("'", "\\'")
    return f"""\
        location = /_problem/{status} {{
            internal;
            default_type application/problem+json;
            add_header X-Request-Id $request_id always;
            add_header X-Content-Type-Options nosniff always;
            add_header Content-Security-Policy "default-src 'none'; frame-ancestors 'none'" always;
            add_header Referrer-Policy no-referrer always;
            add_header Cache-Control no-store always;
            add_header Allow $allow_header always;
            return {status} '{body}';
        }}"""


def _user() -> str:
    """Run as root (as CI does), nginx would hand its workers to ``nobody``, who cannot reach this run's
    private directory: keep them with the user who runs the server."""
    if os.geteuid() != 0:
        return ""
    return f"user {pwd.getpwuid(os.geteuid()).pw_name};\n"


def _address(host: str) -> str:
    return f"[{host}]" if ":" in host else host
