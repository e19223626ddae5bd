"""Per-client rate limiting of every route: 429 problem+json with ``Retry-After`` once a client is over.

Counts live in each worker's memory (moving windows from the ``limits`` package), keyed by the peer
address, so with N workers a client gets at most N times the configured rate; behind a reverse proxy every
client shares the proxy's address, so limit there instead. Off by default (``QA_API_RATE_LIMIT=off``).
"""

from __future__ import annotations

import math
import time

from flask import Flask, Response, request
from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter

from .errors import ConfigError
from .problems import problem

RATE_LIMITED = "urn:qa-api:problem:rate-limited"


class RateLimiter:
    def __init__(self, spec: str) -> None:
        try:
            self.items: list[RateLimitItem] = parse_many(spec)
        except ValueError as exc:
            raise ConfigError(f"QA_API_RATE_LIMIT={spec!r} is not a rate limit such as '20/second'") from exc
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def retry_after(self, client: str) -> int | None:
        """Count one request from ``client``; seconds to wait if that was over any limit, else None."""
        for item in self.items:
            if not self._limiter.hit(item, client):
                reset_at = self._limiter.get_window_stats(item, client).reset_time
                return max(1, math.ceil(reset_at - time.time()))
        return None


def install(app: Flask, spec: str) -> None:
    """Rate-limit every request to ``app`` as ``spec`` says (``off`` or empty: not at all)."""
    if spec.strip().lower() in {"", "off"}:
        return
    limiter = RateLimiter(spec)

    def check() -> Response | None:
        wait = limiter.retry_after(request.remote_addr or "unknown")
        if wait is None:
            return None
        return problem(429, f"Too many requests from this client; retry in {wait} s.", type=RATE_LIMITED,
                       headers={"Retry-After": str(wait)})

    app.before_request(check)
