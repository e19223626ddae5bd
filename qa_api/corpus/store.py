"""The document store: every document's bytes in SQLite (WAL mode), the source of truth the index is built from.

A write is one transaction, committed (and synced to disk) before it returns, so a document is either wholly
there or not at all, whatever happens to the process. Documents keep the order they were first written in (a
replaced document keeps its place), which is the corpus order of the index. A document's ``kind`` is the suffix
of the reader that reads it (``.txt``, ``.md``, ``.html``, ``.pdf``); its ``digest`` covers kind and bytes.

The corpus directory (``seeds/``) is imported into a new store, and again by ``qa-api index``: files new or
changed there are written, files gone from it are removed, and a document last written through the API is left
as the API wrote it.
"""

from __future__ import annotations

import atexit
import contextlib
import hashlib
import os
import sqlite3
import threading
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from qa_api.errors import WritesUnavailableError

from .files import checksum_of, corpus_files

DIRECTORY = "directory"
API = "api"
BUSY_TIMEOUT_MS = 30_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS documents (
    seq    INTEGER PRIMARY KEY AUTOINCREMENT,
    source TEXT NOT NULL UNIQUE,
    kind   TEXT NOT NULL,
    digest BLOB NOT NULL,
    origin TEXT NOT NULL,
    data   BLOB NOT NULL
);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


MAX_SOURCE_CHARS = 512


def source_problem(source: str) -> str | None:
    """Why ``source`` cannot name a document (None when it can): a relative path of non-empty segments, none of
    them ``.`` or ``..``, without control characters or backslashes."""
    if not source or len(source) > MAX_SOURCE_CHARS:
        return f"a document's name has 1 to {MAX_SOURCE_CHARS} characters"
    if any(ord(c) < 32 or 0x7F <= ord(c) < 0xA0 or c == "\\" for c in source):
        return "a document's name has no control characters or backslashes"
    if source.startswith("/") or any(part in ("", ".", "..") for part in source.split("/")):
        return "a document's name is a relative path such as reports/2024.md: no empty, '.' or '..' segment"
    if any(0xD800 <= ord(c) <= 0xDFFF for c in source):
        return "a document's name is text (Unicode without lone surrogates)"
    return None


def fingerprint(kind: str, data: bytes) -> bytes:
    """SHA-256 of a document's kind and bytes: what the corpus checksum is made of."""
    return hashlib.sha256(kind.encode() + b"\0" + data).digest()


@dataclass(frozen=True, slots=True)
class StoredFile:
    """One stored document, named for the index build; its bytes are read when the build reaches it."""

    store: Path
    source: str
    kind: str
    size: int

    def read(self) -> bytes | None:
        """The document's bytes now, or None when it was removed since it was listed."""
        with _connection(self.store) as db:
            row = db.execute("SELECT data FROM documents WHERE source = ? AND kind = ?",
                             (self.source, self.kind)).fetchone()
        return bytes(row[0]) if row else None

    def fingerprint(self, data: bytes) -> bytes:
        return fingerprint(self.kind, data)


class DocumentStore:
    """The documents in one SQLite file; read-only when the file exists in a directory this process may not
    write (a container's image), where every write is refused."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.read_only = path.is_file() and not os.access(path.parent, os.W_OK)
        if self.read_only:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        with _connection(path) as db:
            db.executescript(_SCHEMA)

    def put(self, source: str, kind: str, data: bytes, origin: str = API) -> bool:
        """Create or replace a document; committed when this returns. Whether it was created."""
        return self.put_many([(source, kind, data)], origin)[0]

    def put_many(self, files: Sequence[tuple[str, str, bytes]], origin: str = API) -> list[bool]:
        """Create or replace several documents (source, kind, bytes) in one transaction: all or none; whether
        each was created."""
        with self._writing() as db:
            return [_put(db, source, kind, data, origin) for source, kind, data in files]

    def delete(self, source: str) -> bool:
        """Remove a document; committed when this returns. Whether there was one."""
        with self._writing() as db:
            return db.execute("DELETE FROM documents WHERE source = ?", (source,)).rowcount > 0

    def files(self) -> list[StoredFile]:
        """Every document, in corpus order, to be read by an index build."""
        with _connection(self.path) as db:
            rows = db.execute("SELECT source, kind, length(data) FROM documents ORDER BY seq").fetchall()
        return [StoredFile(self.path, source, kind, size) for source, kind, size in rows]

    def checksum(self) -> str:
        """The corpus checksum of what is stored now: an index built from anything else is stale."""
        with _connection(self.path) as db:
            rows = db.execute("SELECT source, digest FROM documents ORDER BY seq").fetchall()
        return checksum_of((source, bytes(digest)) for source, digest in rows)

    def sources(self) -> dict[str, bytes]:
        """Every document's source and digest."""
        with _connection(self.path) as db:
            return {s: bytes(d) for s, d in db.execute("SELECT source, digest FROM documents ORDER BY seq")}

    def import_directory(self, corpus_dir: Path, *, first_start: bool) -> int:
        """Bring the directory's files in (at first start: only into a store never imported into); returns how
        many documents were written or removed. One transaction: an import is all there or not at all."""
        files = corpus_files(corpus_dir)
        with self._writing() as db:
            if first_start and db.execute("SELECT 1 FROM meta WHERE key = 'imported'").fetchone():
                return 0
            held = {s: (bytes(d), o) for s, d, o in db.execute("SELECT source, digest, origin FROM documents")}
            seen, changed = set(), 0
            for path in files:
                source = path.relative_to(corpus_dir).as_posix()
                kind, data = path.suffix.lower(), path.read_bytes()
                seen.add(source)
                now = held.get(source)
                if now is not None and (now[1] == API or now[0] == fingerprint(kind, data)):
                    continue
                _put(db, source, kind, data, DIRECTORY)
                changed += 1
            for source, (_, origin) in held.items():
                if origin == DIRECTORY and source not in seen:
                    db.execute("DELETE FROM documents WHERE source = ?", (source,))
                    changed += 1
            db.execute("INSERT OR REPLACE INTO meta (key, value) VALUES ('imported', ?)", (str(corpus_dir),))
        return changed

    def _writing(self) -> contextlib.AbstractContextManager[sqlite3.Connection]:
        if self.read_only:
            raise WritesUnavailableError(f"the document store {self.path} is read-only here: documents cannot be "
                                         f"written (set QA_API_STORE to a writable place)")
        return _writing(self.path)

    @property
    def imported(self) -> bool:
        with _connection(self.path) as db:
            return db.execute("SELECT 1 FROM meta WHERE key = 'imported'").fetchone() is not None


def _put(db: sqlite3.Connection, source: str, kind: str, data: bytes, origin: str) -> bool:
    created = db.execute("SELECT 1 FROM documents WHERE source = ?", (source,)).fetchone() is None
    db.execute("INSERT INTO documents (source, kind, digest, origin, data) VALUES (?, ?, ?, ?, ?) "
               "ON CONFLICT(source) DO UPDATE SET kind = excluded.kind, digest = excluded.digest, "
               "origin = excluded.origin, data = excluded.data", (source, kind, fingerprint(kind, data), origin, data))
    return created


_connections: dict[tuple[int, int, Path], sqlite3.Connection] = {}


@atexit.register
def _close_all() -> None:
    """Close this process's connections: the last one to close folds the write-ahead log into the database file,
    so a copy of the file alone (a container image) holds every document."""
    for (pid, _, _), db in list(_connections.items()):
        if pid == os.getpid():
            with contextlib.suppress(sqlite3.Error):
                db.close()
    _connections.clear()


@contextlib.contextmanager
def _connection(path: Path) -> Iterator[sqlite3.Connection]:
    """This thread's connection to the store (never one made before a fork), in autocommit mode."""
    key = (os.getpid(), threading.get_ident(), path)
    db = _connections.get(key)
    if db is None and not os.access(path.parent, os.W_OK):  # nothing can change it: read it as it is
        db = _connections[key] = sqlite3.connect(f"{path.resolve().as_uri()}?immutable=1", uri=True,
                                                 isolation_level=None)
    if db is None:
        db = sqlite3.connect(path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None, check_same_thread=True)
        db.execute("PRAGMA journal_mode = WAL")
        db.execute("PRAGMA synchronous = FULL")  # a commit is on disk before the write is acknowledged
        db.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
        _connections[key] = db
    yield db


@contextlib.contextmanager
def _writing(path: Path) -> Iterator[sqlite3.Connection]:
    """One write transaction: taken at once (``IMMEDIATE``), committed on success, rolled back on any error."""
    with _connection(path) as db:
        db.execute("BEGIN IMMEDIATE")
        try:
            yield db
        except BaseException:
            db.execute("ROLLBACK")
            raise
        db.execute("COMMIT")
