"""Documents and their passages: an extracted text's blocks become passages with ids, sections and offsets.

Every passage keeps ``start``/``end`` character offsets into its document's extracted text, so
``document.text[passage.start:passage.end] == passage.text`` always holds. A heading is no passage: it is the
``section`` of the passages under it, and the document's ``title`` when the document opens with it (unless the
file's metadata names a title). A paragraph longer than ``WINDOW_CHARS`` becomes several passages, cut at
sentence ends.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass

from .blocks import Extracted
from .display import display_text
from .paragraphs import read_plain_text
from .sentences import windows

_UNSAFE_ID_CHARS = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True, slots=True)
class Passage:
    id: str
    source: str
    paragraph: int
    section: str | None
    text: str
    start: int
    end: int
    page: int | None = None


@dataclass(frozen=True, slots=True)
class Document:
    source: str
    text: str
    title: str | None
    passages: tuple[Passage, ...]


@dataclass(frozen=True, slots=True)
class Corpus:
    documents: tuple[Document, ...]
    checksum: str
    skipped: tuple[str, ...] = ()
    skip_reasons: tuple[str, ...] = ()  # why each of ``skipped`` was not read, in the same order

    def passages(self) -> Iterator[Passage]:
        for doc in self.documents:
            yield from doc.passages


def build_document(source: str, extracted: Extracted) -> Document:
    """Number the passages of an extracted text, each under the heading before it."""
    text = extracted.text
    stem = passage_id_stem(source)
    title = display_text(extracted.title or "") or None
    section: str | None = None
    passages: list[Passage] = []
    for i, block in enumerate(extracted.blocks):
        if block.heading:
            section = display_text(text[block.start : block.end])
            if i == 0 and title is None:
                title = section
            continue
        for start, end in windows(text, block.start, block.end):
            n = len(passages) + 1
            passages.append(Passage(f"{stem}-p{n}", source, n, section, text[start:end], start, end, block.page))
    return Document(source, text, title, tuple(passages))


def split_document(source: str, text: str) -> Document:
    """A plain-text document: its paragraphs as a reader sees them, under their headings."""
    return build_document(source, Extracted(text, tuple(read_plain_text(text))))


def passage_id_stem(source: str) -> str:
    """A URL-safe, stable prefix for the ids of one file's passages."""
    stem = source[:-4] if source.endswith(".txt") else source
    safe = _UNSAFE_ID_CHARS.sub("_", stem)
    if safe != stem:
        safe += "-" + hashlib.sha1(source.encode()).hexdigest()[:8]
    return safe
