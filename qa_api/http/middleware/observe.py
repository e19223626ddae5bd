"""Every request observed once, at the edge of the app: its id, its metrics and its one access-log line.

A WSGI middleware around the Flask app, so that it sees the response's end: a streamed chat reply is timed
and counted when its last byte is sent. The client address is the environ's ``REMOTE_ADDR``, which
``qa_api.http.middleware.proxy`` (outside this one) sets from the trusted proxies' ``X-Forwarded-For``, so logs,
metrics and rate limits all see the same address.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from types import TracebackType
from typing import Any

from flask import Flask, request

from qa_api.http import metrics, request_ids
from qa_api.http.logs import write_access_line
from qa_api.settings import Settings

Environ = dict[str, Any]
StartResponse = Callable[..., Any]
WSGIApp = Callable[[Environ, StartResponse], Iterable[bytes]]
ExcInfo = tuple[type[BaseException], BaseException, TracebackType | None]

QUERY_KEY = "qa_api.query"
ROUTE_KEY = "qa_api.route"
log = logging.getLogger("qa_api.http")


@dataclass(slots=True)
class Exchange:
    """One request on its way through: what its log line and metrics need."""

    request_id: str
    environ: Environ
    started: float
    status: int = 500  # until the app starts a response; an app that raises never does
    sent: int = 0

    def seconds(self) -> float:
        return time.perf_counter() - self.started

    def route(self) -> str:
        if ROUTE_KEY in self.environ:
            route: str = self.environ[ROUTE_KEY]
            return route
        # still being handled: Flask's request object is in the environ until the request ends
        rule = getattr(self.environ.get("werkzeug.request"), "url_rule", None)
        return rule.rule if rule is not None else metrics.UNMATCHED


# This process's requests not yet finished, so that a worker aborted mid-request can still name them.
_unfinished: dict[int, Exchange] = {}
_observer: Observer | None = None


def install(app: Flask, settings: Settings) -> None:
    """Observe every request to ``app`` as the settings say."""
    app.teardown_request(_note_route)
    app.wsgi_app = Observer(app.wsgi_app, with_metrics=settings.metrics,  # type: ignore[method-assign]
                            access_log=settings.access_log, log_queries=settings.log_queries)


def _note_route(exc: BaseException | None) -> None:
    """Keep the route template the request matched (Flask forgets it when the request ends)."""
    if request.url_rule is not None:
        request.environ[ROUTE_KEY] = request.url_rule.rule


class Observer:
    def __init__(self, app: WSGIApp, *, with_metrics: bool, access_log: bool, log_queries: bool) -> None:
        global _observer
        self.app, self.with_metrics, self.access_log, self.log_queries = app, with_metrics, access_log, log_queries
        _observer = self

    def __call__(self, environ: Environ, start_response: StartResponse) -> Iterable[bytes]:
        exchange = Exchange(request_ids.accept_or_make(environ.get("HTTP_X_REQUEST_ID")), environ,
                            time.perf_counter())
        environ[request_ids.ENVIRON_KEY] = exchange.request_id
        _unfinished[id(exchange)] = exchange
        if self.with_metrics:
            metrics.IN_FLIGHT.inc()

        def start(status: str, headers: list[tuple[str, str]], exc_info: ExcInfo | None = None) -> Any:
            exchange.status = int(status[:3])
            headers.append((request_ids.HEADER, exchange.request_id))
            return start_response(status, headers, exc_info)

        try:
            body = self.app(environ, start)
        except BaseException:
            self.finish(exchange)
            raise
        return _Body(body, exchange, self.finish)

    def finish(self, exchange: Exchange) -> None:
        if _unfinished.pop(id(exchange), None) is None:
            return  # already finished
        if self.with_metrics:
            metrics.IN_FLIGHT.dec()
        self.record(exchange.environ.get("REQUEST_METHOD"), exchange.route(), exchange.status,
                    exchange.seconds(), exchange.sent, exchange.environ, exchange.request_id)

    def record(self, method: str | None, route: str, status: int, seconds: float | None, sent: int,
               environ: Environ, request_id: str) -> None:
        """Count one answered request and write its access line (as each setting says)."""
        if self.with_metrics:
            metrics.record_request(method or "", route, status, seconds or 0.0)
        if self.access_log:
            fields = {"request_id": request_id, "method": method, "route": route, "status": status,
                      "duration_ms": None if seconds is None else round(seconds * 1000, 3), "bytes": sent,
                      "client": environ.get("REMOTE_ADDR")}
            if self.log_queries:
                fields["path"] = environ.get("PATH_INFO")
                fields["query"] = environ.get(QUERY_KEY) or environ.get("QUERY_STRING") or None
            write_access_line(fields)


class _Body:
    """The app's response body, counted as it is sent; closing it finishes the exchange."""

    def __init__(self, body: Iterable[bytes], exchange: Exchange, finish: Callable[[Exchange], None]) -> None:
        self._body, self._exchange, self._finish = body, exchange, finish

    def __iter__(self) -> Iterator[bytes]:
        try:
            for chunk in self._body:
                self._exchange.sent += len(chunk)
                yield chunk
        except Exception:
            log.exception("the response failed after it had started",
                          extra={"request_id": self._exchange.request_id})
            raise

    def close(self) -> None:
        try:
            close = getattr(self._body, "close", None)
            if close is not None:
                close()
        finally:
            self._finish(self._exchange)


def note_query(text: str) -> None:
    """Tell the access log the request's query text (logged only when ``QA_API_LOG_QUERIES`` is on)."""
    request.environ[QUERY_KEY] = text


def answered_by_server(status: int, sent: int, client: str | None, request_id: str) -> None:
    """Count and log an error the server answered before the app saw the request (a request line too long ...)."""
    if _observer is not None:
        environ = {"REMOTE_ADDR": client}
        _observer.record(None, metrics.UNMATCHED, status, None, sent, environ, request_id)


def log_unfinished(reason: str) -> None:
    """An error line for each request this process has not finished, with its id (a worker being aborted)."""
    for exchange in list(_unfinished.values()):
        environ = exchange.environ
        log.error(reason, extra={"request_id": exchange.request_id, "fields": {
            "method": environ.get("REQUEST_METHOD"), "route": exchange.route(),
            "duration_ms": round(exchange.seconds() * 1000, 3), "client": environ.get("REMOTE_ADDR")}})
