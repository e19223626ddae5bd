"""The client's address behind proxies, for the rate limiter and the logs: werkzeug's ProxyFix, trusted per peer.

A request that comes over a unix socket (no peer address) came through ``qa-api serve``'s own nginx, the only
process that can reach gunicorn's private socket, so the last ``X-Forwarded-For`` entry, which nginx wrote, is
the client. ``QA_API_FORWARDED_HOPS`` more entries are trusted for proxies of the deployer's own in front of
that (or in front of gunicorn itself, with ``QA_API_PROXY=off``). Entries a client wrote itself are never used.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from qa_api.settings import Settings

if TYPE_CHECKING:
    from _typeshed.wsgi import StartResponse, WSGIApplication, WSGIEnvironment


def install(app: Flask, settings: Settings) -> None:
    hops = settings.forwarded_hops
    inner: WSGIApplication = app.wsgi_app
    via_own_proxy = ProxyFix(inner, x_for=hops + 1)
    direct = ProxyFix(inner, x_for=hops) if hops else inner

    def client_address(environ: WSGIEnvironment, start_response: StartResponse) -> Iterable[bytes]:
        chosen = direct if environ.get("REMOTE_ADDR") else via_own_proxy
        return chosen(environ, start_response)

    app.wsgi_app = client_address  # type: ignore[method-assign]
