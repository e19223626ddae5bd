"""Solr's HTTP API through any node of the cluster: one JSON call at a time, failing over between nodes.

Every error comes out as ``SearchBackendError``: a node that refuses the connection, times out or answers 503
(starting or stopping) is skipped for the next; any other refusal is Solr's answer and is raised as it is.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Mapping, Sequence
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import urllib3

from qa_api.errors import SearchBackendError

Params = Mapping[str, Any] | Sequence[tuple[str, Any]]


class SolrClient:
    """Solr's HTTP API through any of the cluster's nodes, failing over on connection errors and timeouts."""

    def __init__(self, urls: Sequence[str], *, timeout: float = 10.0) -> None:
        if not urls:
            raise SearchBackendError("no Solr URL configured")
        self.urls: list[str] = []
        self._headers: dict[str, str] = {}
        for url in urls:
            self.urls.append(self._without_credentials(url))
        self._preferred = 0
        self._lock = threading.Lock()
        self._pool = urllib3.PoolManager(num_pools=max(4, len(urls)), maxsize=8, retries=False,
                                         timeout=urllib3.Timeout(connect=min(timeout, 3.0), read=timeout))

    def _without_credentials(self, url: str) -> str:
        parts = urlsplit(url.rstrip("/"))
        if parts.username is not None:
            auth = urllib3.make_headers(basic_auth=f"{parts.username}:{parts.password or ''}")
            self._headers.update(auth)
            parts = parts._replace(netloc=parts.netloc.rsplit("@", 1)[1])
        return urlunsplit(parts)

    def request(self, method: str, path: str, params: Params = (), body: bytes | None = None,
                content_type: str = "application/json") -> dict[str, Any]:
        """One API call (``path`` after the base URL, e.g. ``/admin/collections``), decoded from JSON."""
        query = urlencode([*(params.items() if isinstance(params, Mapping) else params), ("wt", "json")])
        if method == "POST" and body is None:  # parameters in the body: a long question fits
            body, content_type, query = query.encode(), "application/x-www-form-urlencoded", ""
        headers = dict(self._headers, **({"Content-Type": content_type} if body is not None else {}))
        failures = []
        first = self._preferred
        for attempt in range(len(self.urls)):
            node = (first + attempt) % len(self.urls)
            url = f"{self.urls[node]}{path}?{query}" if query else self.urls[node] + path
            try:
                response = self._pool.request(method, url, body=body, headers=headers)
            except urllib3.exceptions.HTTPError as exc:
                failures.append(f"{self.urls[node]}: {exc}")
                continue
            if response.status == 503:  # a node starting or stopping: another may serve
                failures.append(f"{self.urls[node]}: HTTP 503")
                continue
            with self._lock:
                self._preferred = node
            return _decode(response, path)
        raise SearchBackendError(f"no Solr node answered {path}: {'; '.join(failures)}")


def _decode(response: urllib3.BaseHTTPResponse, path: str) -> dict[str, Any]:
    try:
        body: dict[str, Any] = json.loads(response.data)
    except ValueError:
        reason = "no such collection or API" if response.status == 404 else f"HTTP {response.status}, not JSON"
        raise SearchBackendError(f"Solr refused {path}: {reason}") from None
    error = body.get("error") or (body.get("failure") and {"msg": json.dumps(body["failure"])})
    if response.status >= 400 or error:
        message = (error or {}).get("msg") or f"HTTP {response.status}"
        raise SearchBackendError(f"Solr refused {path}: {message}")
    return body
