"""The seam between ask and the engine that holds the passages: the local index, or a Solr cluster.

Everything above it (answers, chat, MCP, the page, problem+json, limits) talks to a ``Backend`` only: search a
weighted query for its best passages, read a passage (tokens, sentences, sentence vectors), explain a score, and
list or fetch documents and passages; and write one document (``put_document``, ``delete_document``), acknowledged
once it is committed, searchable soon after. A passage is named by a key the backend chooses (a row of the local index,
an id in Solr); keys only travel from ``pool`` back to the same backend.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Protocol

from qa_api.corpus import Document, Passage

from .analysis import Analyzer
from .search import Pool, ReadPassage

PassageKey = Hashable


@dataclass(frozen=True, slots=True)
class DocumentEntry:
    source: str
    title: str | None
    passage_count: int
    characters: int


@dataclass(frozen=True, slots=True)
class CorpusStats:
    """What ``/readyz`` reports about the corpus and its index."""

    backend: str
    documents: int
    passages: int
    terms: int
    built_at: str
    build_seconds: float
    index_format: int
    corpus_checksum: str = ""
    skipped_files: list[str] = field(default_factory=list)
    health: str = "green"  # green: all serving; yellow: serving with reduced redundancy; red: not serving


class Backend(Protocol):
    analyzer: Analyzer

    @property
    def has_vectors(self) -> bool:
        """Whether passages come with sentence vectors (``ReadPassage.vectors``)."""

    def pool(self, query: Mapping[str, float], k: int, sources: Sequence[str] = ()) -> Pool:
        """The ``k`` best passages for ``{term: weight}`` by BM25, best first, optionally only from ``sources``."""

    def read(self, key: PassageKey) -> ReadPassage:
        """A passage of a pool, with its tokens, sentences and sentence vectors."""

    def term_scores(self, query: Mapping[str, float], key: PassageKey) -> tuple[tuple[str, float], ...]:
        """Each query term's share of the passage's BM25 score."""

    def idf(self, term: str) -> float:
        """A term's IDF; a term the corpus has never seen weighs as much as the rarest one could."""

    def has_document(self, source: str) -> bool:
        """Whether the corpus holds a document of that source (without listing them all)."""

    def documents(self) -> Sequence[DocumentEntry]:
        """Every document, in corpus order."""

    def document(self, source: str) -> tuple[DocumentEntry, str, list[Passage]]:
        """A document's entry, full text and passages; ``UnknownSourceError`` when there is none."""

    def passage(self, passage_id: str) -> Passage:
        """A passage by id; ``UnknownPassageError`` when there is none."""

    def stats(self) -> CorpusStats: ...

    def put_document(self, document: Document, data: bytes = b"", kind: str = "") -> bool:
        """Create or replace ``document`` (read from ``data``, a file of ``kind``); whether it was created.
        Returns once the write is committed."""

    def put_documents(self, written: Sequence[tuple[Document, bytes, str]]) -> list[bool]:
        """Several documents (each with its bytes and kind) at once; whether each was created."""

    def delete_document(self, source: str) -> None:
        """Remove a document; ``UnknownSourceError`` when there is none. Returns once committed."""
