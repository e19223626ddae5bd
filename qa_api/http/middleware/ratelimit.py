"""Per-client rate limiting of every route: 429 problem+json with ``Retry-After`` once a client is over.

"20/minute" lets a client send 20 requests at once and then one every 3 s: each client and limit keeps the
time its allowance is next fully back (GCRA, the generic cell rate algorithm of ATM networks, as
redis-cell and many API gateways use it), a single number, so the table of them has a fixed size. Under
``qa-api serve`` the gunicorn master makes one table that every worker maps (``share_with_workers``), so a
limit holds for the server as a whole, however many workers there are (elsewhere the app makes the table,
shared by any process forked after it, as a preloaded app's workers are); a worker killed mid-update cannot
wedge it, because the table's lock is a POSIX record lock, which the kernel drops with its holder. A request
counts against all of a spec's limits or, when one refuses it, against none. The client is
``request.remote_addr``, which qa_api.http.middleware.proxy takes from the trusted proxies' ``X-Forwarded-For``
(qa-api serve's nginx, and QA_API_FORWARDED_HOPS more). Off by default (``QA_API_RATE_LIMIT=off``).
"""

from __future__ import annotations

import fcntl
import hashlib
import math
import mmap
import os
import stat
import struct
import tempfile
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from flask import Flask, Response, request
from limits import RateLimitItem, parse_many

from qa_api.errors import ConfigError
from qa_api.http.problems import problem

RATE_LIMITED = "urn:qa-api:problem:rate-limited"
# How a worker finds the table its master made: the number of the file descriptor it inherits.
SHARED_TABLE = "QA_API_RATE_LIMIT_TABLE"
SLOTS = 16384  # clients (times limits) tracked at once; past that the one nearest its full allowance is dropped
PROBES = 16  # slots tried per key before one is taken over
_SLOT = struct.Struct("<Qq")  # key hash, the monotonic time (ns) its allowance is next fully back
_NS = 1_000_000_000
_TABLE_SIZE = SLOTS * _SLOT.size


def enabled(spec: str) -> bool:
    return spec.strip().lower() not in {"", "off"}


def share_with_workers(spec: str) -> None:
    """In the gunicorn master: make the table every worker forked from now on counts in (when limiting)."""
    if enabled(spec):
        fd = _unnamed_file()
        os.ftruncate(fd, _TABLE_SIZE)
        os.environ[SHARED_TABLE] = str(fd)


def _unnamed_file() -> int:
    """A file only its descriptor reaches: in memory where the system has that (Linux), else unlinked in TMPDIR."""
    if hasattr(os, "memfd_create"):
        return os.memfd_create("qa-api-rate-limit")
    fd, path = tempfile.mkstemp(prefix="qa-api-rate-limit-")
    os.unlink(path)
    return fd


def _inherited_table() -> int | None:
    """The fd of the table the gunicorn master made, if this process has it (not merely an environment
    naming a descriptor that is something else here): an unnamed file of the table's size."""
    fd = os.environ.get(SHARED_TABLE, "")
    if not fd.isdigit():
        return None
    try:
        info = os.fstat(int(fd))
    except OSError:
        return None
    is_table = stat.S_ISREG(info.st_mode) and info.st_size == _TABLE_SIZE and info.st_nlink == 0
    return int(fd) if is_table else None


class Allowances:
    """The time (monotonic, in ns) each key's allowance is next fully back, in a table of fixed size that
    every process sharing its file sees: the master's, or one made here, which processes forked later (a
    preloaded app's workers) share too."""

    def __init__(self, fd: int | None = None) -> None:
        if fd is None:
            fd = _unnamed_file()
            os.ftruncate(fd, _TABLE_SIZE)
        self._fd = fd
        self._map = mmap.mmap(fd, _TABLE_SIZE)
        self._threads = threading.Lock()  # record locks are per process, so threads need their own

    @contextmanager
    def _locked(self) -> Iterator[None]:
        with self._threads:
            fcntl.lockf(self._fd, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.lockf(self._fd, fcntl.LOCK_UN)

    def take(self, limits: Sequence[tuple[int, int, int]], now: int) -> int:
        """Spend one request of each ``(key, interval, period)`` allowance (one request per ``interval`` ns,
        up to ``period`` ns ahead of ``now``), all or none: 0 if all were there, else the ns until the last
        of them is, and nothing is spent."""
        with self._locked():
            offsets = [self._slot_of(key, now) for key, _, _ in limits]
            spent = []
            for (key, interval, _), offset in zip(limits, offsets, strict=True):
                stored_key, full_at = _SLOT.unpack_from(self._map, offset)
                spent.append(max(full_at if stored_key == key else 0, now) + interval)
            wait = max(s - period - now for s, (_, _, period) in zip(spent, limits, strict=True))
            if wait > 0:
                return wait
            for (key, _, _), offset, full_at in zip(limits, offsets, spent, strict=True):
                _SLOT.pack_into(self._map, offset, key, full_at)
            return 0

    def _slot_of(self, key: int, now: int) -> int:
        """The key's slot, else an empty one or one whose allowance is back, among its probes; else the one of
        them nearest to that."""
        first = key % SLOTS
        best, best_at = first * _SLOT.size, None
        for i in range(PROBES):
            offset = ((first + i) % SLOTS) * _SLOT.size
            stored_key, full_at = _SLOT.unpack_from(self._map, offset)
            if stored_key == key:
                return offset
            if best_at is None or full_at < best_at:
                best, best_at = offset, full_at
        return best


class RateLimiter:
    def __init__(self, spec: str, allowances: Allowances | None = None) -> None:
        try:
            self.items: list[RateLimitItem] = parse_many(spec)
        except ValueError as exc:
            raise ConfigError(f"QA_API_RATE_LIMIT={spec!r} is not a rate limit such as '20/second'") from exc
        for item in self.items:
            if not 1 <= item.amount <= _NS * item.get_expiry():
                raise ConfigError(f"QA_API_RATE_LIMIT={spec!r}: {item.amount} requests per {item.get_expiry()} s "
                                  "is not a usable limit")
        self.allowances = allowances or Allowances()

    def retry_after(self, client: str, now: float | None = None) -> int | None:
        """Count one request from ``client`` against every limit; whole seconds to wait until all of them allow
        it if any does not (then it counts against none), else None."""
        now_ns = time.monotonic_ns() if now is None else round(now * _NS)  # system-wide: alike in every worker
        # the interval rounds down, so a burst of exactly the limit's amount always fits in its period
        limits = [(_key(client, item), _NS * item.get_expiry() // item.amount, _NS * item.get_expiry())
                  for item in self.items]
        wait = self.allowances.take(limits, now_ns)
        return max(1, math.ceil(wait / _NS)) if wait > 0 else None


def _key(client: str, item: RateLimitItem) -> int:
    """A 64-bit key for one client under one limit, never 0 (an empty slot)."""
    digest = hashlib.blake2b(f"{item.amount}/{item.get_expiry()}/{client}".encode(), digest_size=8).digest()
    return int.from_bytes(digest, "little") or 1


def install(app: Flask, spec: str, on_refusal: Callable[[], None] | None = None) -> None:
    """Rate-limit every request to ``app`` as ``spec`` says (``off`` or empty: not at all); ``on_refusal`` is
    called for each request refused."""
    if not enabled(spec):
        return
    limiter = RateLimiter(spec, Allowances(_inherited_table()))

    def check() -> Response | None:
        wait = limiter.retry_after(request.remote_addr or "unknown")
        if wait is None:
            return None
        if on_refusal is not None:
            on_refusal()
        return problem(429, f"Too many requests from this client; retry in {wait} s.", type=RATE_LIMITED,
                       headers={"Retry-After": str(wait)})

    app.before_request(check)
