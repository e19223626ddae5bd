"""The serving setup before nginx, kept only as ``bench/http``'s baseline: the custom gthread worker that held slow
clients in its poller (it relies on gunicorn's private names; see bench/README.md).

The gunicorn worker: gthread, hardened against slow clients, answering its own errors as problem+json.

gthread hands a connection to a thread as soon as one byte arrives, and the thread then blocks reading the
rest, so a client that trickles its request a byte at a time (slowloris) holds a thread for as long as it
likes. This worker peeks at the socket first and gives a thread only to a request whose headers (and a
body of up to ``GATE_BYTES``) have fully arrived; until then the connection waits in the poller, costing
no thread, for at most ``ARRIVAL_DEADLINE_S``. What arrives meanwhile is moved into gunicorn's own parser
buffer, so the request is parsed exactly as gthread would. A thread that still blocks on a client (a large body sent
slowly) is cut off after ``THREAD_DEADLINE_S``.

Errors gunicorn answers itself, before the app runs (request line or headers too long, malformed HTTP),
are problem+json like every other error, without echoing the request back, with a new request id, and are
counted and logged as the app counts and logs its own answers.
"""

from __future__ import annotations

import contextlib
import re
import socket
import threading
import time
from http import HTTPStatus
from typing import Any

import gunicorn.util
from gunicorn.workers import gthread

from qa_api.frontends.schemas import Problem
from qa_api.http import request_ids

GATE_BYTES = 32 * 1024
ARRIVAL_DEADLINE_S = 10.0
THREAD_DEADLINE_S = 30.0
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_CONTENT_LENGTH = re.compile(rb"\r\ncontent-length:[ \t]*(\d{1,12})[ \t]*\r\n", re.IGNORECASE)
_CHUNKED = re.compile(rb"\r\ntransfer-encoding:[^\r\n]*chunked", re.IGNORECASE)
_DETAILS = {
    400: "The request is not valid HTTP/1.1.",
    414: "The request line is too long.",
    431: "The request has too many header fields, or one that is too long.",
    500: "The server failed to handle this request; it has been logged.",
}


def problem_bytes(status: int, reason: str, request_id: str) -> tuple[bytes, bytes]:
    """A complete HTTP/1.1 problem+json response, for the few errors gunicorn answers before the app: its head
    and its body."""
    phrase = _phrase(status, reason)
    detail = _DETAILS.get(status, phrase + ".")
    body = Problem(title=phrase, status=status, detail=detail,
                   instance=request_id).model_dump_json(exclude_none=True).encode()
    head = [f"HTTP/1.1 {status} {phrase}", "Connection: close", "Content-Type: application/problem+json",
            f"Content-Length: {len(body)}", f"{request_ids.HEADER}: {request_id}",
            *(f"{k}: {v}" for k, v in SECURITY_HEADERS.items())]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1"), body


def _phrase(status: int, reason: str) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return reason


def _write_problem(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    request_id = request_ids.make()
    head, body = problem_bytes(status_int, reason, request_id)
    gunicorn.util.write_nonblock(sock, head + body)
    from qa_api.http.middleware import observe  # loaded with the app in the worker; never in the master

    observe.answered_by_server(status_int, len(body), _address(sock), request_id)


def _address(sock: socket.socket) -> str | None:
    try:
        return str(sock.getpeername()[0])
    except (OSError, IndexError):
        return None


# gunicorn writes its own errors through this one function (an HTML page by default).
gunicorn.util.write_error = _write_problem


def request_arrived(data: bytes) -> bool:
    """Whether ``data`` (the start of a connection's unread bytes) holds a request the app can read at once."""
    if len(data) >= GATE_BYTES:
        return True
    head_end = data.find(b"\r\n\r\n")
    if head_end < 0:
        return False
    head, body = data[: head_end + 2], data[head_end + 4 :]
    if _CHUNKED.search(head):
        return body.startswith(b"0\r\n\r\n") or b"\r\n0\r\n\r\n" in body
    length = _CONTENT_LENGTH.search(head)
    return length is None or len(body) >= int(length.group(1))


class QAWorker(gthread.ThreadWorker):  # type: ignore[misc]
    """gthread that queues a connection in the poller, not a thread, until its request has arrived."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._threads_busy: dict[Any, float] = {}
        self._lock = threading.Lock()

    def handle(self, conn: Any) -> Any:
        if not self._ready(conn):
            return gthread._DEFER if self._within_arrival_deadline(conn) else False
        conn.qa_arrival_deadline = None
        with self._lock:
            self._threads_busy[conn] = time.monotonic() + THREAD_DEADLINE_S
        try:
            return super().handle(conn)
        finally:
            with self._lock:
                self._threads_busy.pop(conn, None)

    def murder_pending(self) -> None:
        super().murder_pending()
        self._cut_off_stalled_threads()

    def _ready(self, conn: Any) -> bool:
        """Move what has arrived into the parser's buffer (so the poller waits for more), then judge it."""
        if not conn.initialized:
            conn.sock.setblocking(True)  # as gthread does before init(); the reads below never block
            conn.init()
        try:
            fresh: bytes | None = conn.sock.recv(GATE_BYTES, socket.MSG_DONTWAIT)
        except BlockingIOError:
            fresh = None
        except OSError:
            return True  # let gunicorn meet the error and close the connection
        unreader = conn.parser.unreader
        data = unreader.take_buffered() + (fresh or b"")
        unreader.unread(data)
        return fresh == b"" or request_arrived(data)  # a closed connection is gunicorn's to finish

    def _within_arrival_deadline(self, conn: Any) -> bool:
        now = time.monotonic()
        deadline = getattr(conn, "qa_arrival_deadline", None)
        if deadline is None:
            conn.qa_arrival_deadline = deadline = now + ARRIVAL_DEADLINE_S
        if now < deadline:
            return True
        self.log.warning("closing a connection from %s: request not complete after %.0fs",
                         _peer(conn), ARRIVAL_DEADLINE_S)
        return False

    def _cut_off_stalled_threads(self) -> None:
        now = time.monotonic()
        with self._lock:
            stalled = [c for c, deadline in self._threads_busy.items() if deadline < now]
        for conn in stalled:
            self.log.warning("closing a connection from %s: request not done after %.0fs", _peer(conn),
                             THREAD_DEADLINE_S)
            with contextlib.suppress(OSError):
                conn.sock.shutdown(socket.SHUT_RDWR)  # wakes the thread blocked on it


def _peer(conn: Any) -> str:
    client = conn.client
    return str(client[0]) if isinstance(client, tuple) else str(client)
