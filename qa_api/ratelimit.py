"""Per-client rate limiting of every route: 429 problem+json with ``Retry-After`` once a client is over.

"20/minute" lets a client send 20 requests at once and then one every 3 s: each client and limit keeps the
time its allowance is next fully back (GCRA, the generic cell rate algorithm of ATM networks, as
redis-cell and many API gateways use it), a single number, so the table of them has a fixed size. Under
``qa-api serve`` the gunicorn master makes one table that every worker maps (``share_with_workers``), so a
limit holds for the server as a whole, however many workers there are; a worker killed mid-update cannot
wedge it, because the table's lock is a POSIX record lock, which the kernel drops with its holder. Behind a
reverse proxy every client shares the proxy's address, so limit there instead. Off by default
(``QA_API_RATE_LIMIT=off``).
"""

from __future__ import annotations

import fcntl
import hashlib
import math
import mmap
import os
import struct
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager

from flask import Flask, Response, request
from limits import RateLimitItem, parse_many

from .errors import ConfigError
from .problems import problem

RATE_LIMITED = "urn:qa-api:problem:rate-limited"
# How a worker finds the table its master made: "<master pid>:<inherited file descriptor>".
SHARED_TABLE = "QA_API_RATE_LIMIT_TABLE"
SLOTS = 16384  # clients (times limits) tracked at once; past that the one nearest its full allowance is dropped
PROBES = 16  # slots tried per key before one is taken over
_SLOT = struct.Struct("<Qd")  # key hash, the monotonic time (s) its allowance is next fully back
_TABLE_SIZE = SLOTS * _SLOT.size


def enabled(spec: str) -> bool:
    return spec.strip().lower() not in {"", "off"}


def share_with_workers(spec: str) -> None:
    """In the gunicorn master: make the table every worker forked from now on counts in (when limiting)."""
    if enabled(spec):
        fd = _unnamed_file()
        os.ftruncate(fd, _TABLE_SIZE)
        os.environ[SHARED_TABLE] = f"{os.getpid()}:{fd}"


def _unnamed_file() -> int:
    """A file only its descriptor reaches: in memory where the system has that (Linux), else unlinked in TMPDIR."""
    if hasattr(os, "memfd_create"):
        return os.memfd_create("qa-api-rate-limit")
    fd, path = tempfile.mkstemp(prefix="qa-api-rate-limit-")
    os.unlink(path)
    return fd


def _inherited_table() -> int | None:
    """The fd of the table this worker's master made, if any (not one named in an environment that merely
    passed through another process)."""
    master, _, fd = os.environ.get(SHARED_TABLE, "").partition(":")
    return int(fd) if master.isdigit() and fd.isdigit() and int(master) == os.getppid() else None


class Allowances:
    """The time each key's allowance is next fully back, in a table of fixed size that processes sharing
    ``fd`` all see (a private one without it)."""

    def __init__(self, fd: int | None = None) -> None:
        self._fd = fd
        self._map = mmap.mmap(-1 if fd is None else fd, _TABLE_SIZE)
        self._threads = threading.Lock()  # record locks are per process, so threads need their own

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._threads:
            if self._fd is None:
                yield
                return
            fcntl.lockf(self._fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.lockf(self._fd, fcntl.LOCK_UN)

    def take(self, key: int, now: float, interval: float, period: float) -> float:
        """Spend one request of ``key``'s allowance (one per ``interval``, up to ``period`` ahead of ``now``):
        0 if it was there, else the seconds until it is, and nothing is spent."""
        with self._locked():
            offset = self._slot_of(key, now)
            stored_key, full_at = _SLOT.unpack_from(self._map, offset)
            spent = max(full_at if stored_key == key else 0.0, now) + interval
            if spent - now > period:
                return spent - period - now
            _SLOT.pack_into(self._map, offset, key, spent)
            return 0.0

    def _slot_of(self, key: int, now: float) -> int:
        """The key's slot, else an empty one or one whose allowance is back, among its probes; else the one of
        them nearest to that."""
        first = key % SLOTS
        best, best_at = first * _SLOT.size, math.inf
        for i in range(PROBES):
            offset = ((first + i) % SLOTS) * _SLOT.size
            stored_key, full_at = _SLOT.unpack_from(self._map, offset)
            if stored_key == key:
                return offset
            if full_at < best_at:
                best, best_at = offset, full_at
        return best


class RateLimiter:
    def __init__(self, spec: str, allowances: Allowances | None = None) -> None:
        try:
            self.items: list[RateLimitItem] = parse_many(spec)
        except ValueError as exc:
            raise ConfigError(f"QA_API_RATE_LIMIT={spec!r} is not a rate limit such as '20/second'") from exc
        self.allowances = allowances or Allowances()

    def retry_after(self, client: str, now: float | None = None) -> int | None:
        """Count one request from ``client``; whole seconds to wait if that was over any limit, else None."""
        now = time.monotonic() if now is None else now  # system-wide, so the same in every worker
        for item in self.items:
            period = float(item.get_expiry())
            wait = self.allowances.take(_key(client, item), now, period / item.amount, period)
            if wait > 0:
                return max(1, math.ceil(wait))
        return None


def _key(client: str, item: RateLimitItem) -> int:
    """A 64-bit key for one client under one limit, never 0 (an empty slot)."""
    digest = hashlib.blake2b(f"{item.amount}/{item.get_expiry()}/{client}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") or 1


def install(app: Flask, spec: str) -> None:
    """Rate-limit every request to ``app`` as ``spec`` says (``off`` or empty: not at all)."""
    if not enabled(spec):
        return
    limiter = RateLimiter(spec, Allowances(_inherited_table()))

    def check() -> Response | None:
        wait = limiter.retry_after(request.remote_addr or "unknown")
        if wait is None:
            return None
        return problem(429, f"Too many requests from this client; retry in {wait} s.", type=RATE_LIMITED,
                       headers={"Retry-After": str(wait)})

    app.before_request(check)
