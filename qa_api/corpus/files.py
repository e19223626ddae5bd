"""The corpus directory: its files of the kinds we read (``.txt``, ``.md``, ``.html``, ``.pdf``) as documents."""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from qa_api.errors import CorpusError, UnreadableDocumentError

from .documents import Corpus, Document, build_document
from .formats import SUFFIXES, reader_for

log = logging.getLogger(__name__)
# Part of the corpus checksum: a change to how files are read makes every index built before it stale.
READING_VERSION = "2"


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The corpus's files of a kind we read, in a stable order."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus directory {corpus_dir} does not exist")
    return sorted(p for p in corpus_dir.rglob("*") if p.suffix.lower() in SUFFIXES and p.is_file())


def corpus_checksum(corpus_dir: Path) -> str:
    """SHA-256 over the reading rules' version and every file's relative name and bytes: the index is stale
    when this changes."""
    return checksum_of((path.relative_to(corpus_dir).as_posix(), hashlib.sha256(path.read_bytes()).digest())
                       for path in corpus_files(corpus_dir))


def checksum_of(digests: Iterable[tuple[str, bytes]]) -> str:
    """The corpus checksum from each file's relative name and the SHA-256 of its bytes, in file order."""
    digest = hashlib.sha256(f"reading {READING_VERSION}\0".encode())
    for source, file_digest in digests:
        digest.update(source.encode() + b"\0")
        digest.update(file_digest)
    return digest.hexdigest()


def read_document(source: str, data: bytes, kind: str | None = None) -> Document:
    """One file's document, read by the reader of its ``kind`` (a suffix; by default the extension of
    ``source``)."""
    kind = Path(source).suffix if kind is None else kind
    try:
        try:
            reader = reader_for(kind)
        except KeyError:
            raise UnreadableDocumentError(f"{kind or 'no extension'} is not a kind of file we read; "
                                          f"we read {', '.join(sorted(SUFFIXES))}") from None
        return build_document(source, reader(data))
    except UnreadableDocumentError as exc:
        exc.source = source
        raise


class SourceFile(Protocol):
    """A file an index is built from: a corpus directory's file, or a stored document."""

    @property
    def source(self) -> str: ...

    @property
    def kind(self) -> str: ...

    @property
    def size(self) -> int: ...

    def read(self) -> bytes | None:
        """Its bytes, or None when it is gone."""

    def fingerprint(self, data: bytes) -> bytes:
        """What the corpus checksum takes of it."""


@dataclass(frozen=True, slots=True)
class DirectoryFile:
    corpus_dir: Path
    path: Path

    @property
    def source(self) -> str:
        return self.path.relative_to(self.corpus_dir).as_posix()

    @property
    def kind(self) -> str:
        return self.path.suffix

    @property
    def size(self) -> int:
        return self.path.stat().st_size

    def read(self) -> bytes:
        return self.path.read_bytes()

    def fingerprint(self, data: bytes) -> bytes:
        return hashlib.sha256(data).digest()


def directory_files(corpus_dir: Path) -> list[DirectoryFile]:
    return [DirectoryFile(corpus_dir, path) for path in corpus_files(corpus_dir)]


@dataclass(frozen=True, slots=True)
class FileRead:
    """One corpus file read once: its relative name, the SHA-256 of its bytes, and its document or why not."""

    source: str
    digest: bytes
    document: Document | None
    reason: str | None = None


def read_file(corpus_dir: Path, path: Path) -> FileRead:
    """Read one corpus file; a file we cannot read is logged and kept with the reason, not raised."""
    return read_source(DirectoryFile(corpus_dir, path))


def read_source(file: SourceFile) -> FileRead:
    """Read one file of a corpus; a file we cannot read is logged and kept with the reason, not raised."""
    data = file.read()
    if data is None:
        return FileRead(file.source, b"", None, "removed while the index was built")
    digest = file.fingerprint(data)
    try:
        return FileRead(file.source, digest, read_document(file.source, data, file.kind))
    except UnreadableDocumentError as exc:
        log.warning("skipping %s: %s", file.source, exc)
        return FileRead(file.source, digest, None, str(exc))


def load_corpus(corpus_dir: Path) -> Corpus:
    """Read every file. Files that cannot be read are skipped and named, with why, in ``Corpus.skipped``."""
    return corpus_of([read_file(corpus_dir, path) for path in corpus_files(corpus_dir)])


def corpus_of(files: Sequence[FileRead]) -> Corpus:
    """The corpus of files read (in file order); its checksum comes from the same bytes."""
    documents = tuple(f.document for f in files if f.document is not None)
    skipped = tuple(f.source for f in files if f.document is None)
    reasons = tuple(f.reason or "" for f in files if f.document is None)
    return Corpus(documents, checksum_of((f.source, f.digest) for f in files), skipped, reasons)
