"""The problem+json answers to errors caught before the app: nginx's error pages and gunicorn's error hook.

Neither echoes the request back. gunicorn's carry a new request id (``instance`` and ``X-Request-Id``) and are
counted and logged as the app counts and logs its own answers.
"""

from __future__ import annotations

import socket
from http import HTTPStatus

import gunicorn.util

from qa_api.frontends.schemas import Problem
from qa_api.http import request_ids

# How long nginx waits for a client's headers, or between two reads of its body.
REQUEST_DEADLINE_S = 10
SECURITY_HEADERS = {
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": "default-src 'none'; frame-ancestors 'none'",
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
}
_DETAILS = {
    400: "The request is not valid HTTP/1.1.",
    403: "The request was refused.",
    405: "The method is not allowed.",
    408: f"The request did not arrive in time (headers within {REQUEST_DEADLINE_S} s).",
    413: "The request body is too large.",
    414: "The request line is too long.",
    425: "The request was sent too early.",
    429: "Too many requests; retry later.",
    431: "The request has too many header fields, or one that is too long.",
    500: "The server failed to handle this request; it has been logged.",
    501: "The request uses a transfer coding this server does not implement; send the body as it is, or chunked.",
    502: "The application server gave no valid answer; retry shortly.",
    503: "The server is busy or starting; retry shortly.",
    504: "The application server did not answer in time.",
}


def problem_body(status: int, reason: str = "", request_id: str | None = None) -> bytes:
    """The problem+json document for ``status``."""
    phrase = _phrase(status, reason)
    body = Problem(title=phrase, status=status, detail=_DETAILS.get(status, phrase + "."), instance=request_id)
    return body.model_dump_json(exclude_none=True).encode()


def problem_response(status: int, reason: str, request_id: str) -> tuple[bytes, bytes]:
    """A complete HTTP/1.1 problem+json response that closes the connection: its head and its body."""
    phrase = _phrase(status, reason)
    payload = problem_body(status, reason, request_id)
    head = [f"HTTP/1.1 {status} {phrase}", "Connection: close", "Content-Type: application/problem+json",
            f"Content-Length: {len(payload)}", f"{request_ids.HEADER}: {request_id}",
            *(f"{k}: {v}" for k, v in SECURITY_HEADERS.items())]
    return ("\r\n".join(head) + "\r\n\r\n").encode("latin-1"), payload


def write_error(sock: socket.socket, status_int: int, reason: str, mesg: str) -> None:
    """gunicorn's ``util.write_error`` (an HTML page by default), as problem+json; ``mesg`` is not echoed."""
    request_id = request_ids.make()
    head, body = problem_response(status_int, reason, request_id)
    gunicorn.util.write_nonblock(sock, head + body)
    from qa_api.http.middleware import observe  # loaded with the app in the worker; never in the master

    observe.answered_by_server(status_int, len(body), _address(sock), request_id)


def _address(sock: socket.socket) -> str | None:
    try:
        return str(sock.getpeername()[0])
    except (OSError, IndexError):
        return None


def answer_gunicorn_errors_as_problems() -> None:
    """Route the errors gunicorn answers itself (request line or headers too long, malformed HTTP) through
    ``write_error``. gunicorn has no setting for its error bodies, so this replaces the one function its workers
    call for them; requirements.txt pins the gunicorn whose signature tests/test_serving.py checks."""
    gunicorn.util.write_error = write_error


def _phrase(status: int, reason: str) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return reason or "Error"
