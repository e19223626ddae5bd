"""The corpus directory: its files of the kinds we read (``.txt``, ``.md``, ``.html``, ``.pdf``) as documents."""

from __future__ import annotations

import hashlib
import logging
from pathlib import Path

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
    digest = hashlib.sha256(f"reading {READING_VERSION}\0".encode())
    for path in corpus_files(corpus_dir):
        digest.update(path.relative_to(corpus_dir).as_posix().encode() + b"\0")
        digest.update(hashlib.sha256(path.read_bytes()).digest())
    return digest.hexdigest()


def read_document(source: str, data: bytes) -> Document:
    """One file's document, read by the reader of its kind (by the extension of ``source``)."""
    try:
        reader = reader_for(Path(source).suffix)
    except KeyError:
        raise UnreadableDocumentError(f"{Path(source).suffix or 'no extension'} is not a kind of file we read; "
                                      f"we read {', '.join(sorted(SUFFIXES))}") from None
    return build_document(source, reader(data))


def load_corpus(corpus_dir: Path) -> Corpus:
    """Read every file. Files that cannot be read are skipped and named, with why, in ``Corpus.skipped``."""
    documents: list[Document] = []
    skipped: list[str] = []
    reasons: list[str] = []
    for path in corpus_files(corpus_dir):
        source = path.relative_to(corpus_dir).as_posix()
        try:
            documents.append(read_document(source, path.read_bytes()))
        except UnreadableDocumentError as exc:
            log.warning("skipping %s: %s", source, exc)
            skipped.append(source)
            reasons.append(str(exc))
    return Corpus(tuple(documents), corpus_checksum(corpus_dir), tuple(skipped), tuple(reasons))
