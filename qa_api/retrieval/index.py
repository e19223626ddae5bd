"""The search index in memory: BM25 postings, the vocabulary, and the passages they point at.

Everything large is a NumPy array (memory-mapped when loaded from disk), so gunicorn workers share one copy.
Passage text is not stored twice: it is a slice of its document's text, kept once in a UTF-8 blob.
"""

from __future__ import annotations

import json
import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qa_api.corpus import Passage, passage_id_stem
from qa_api.errors import UnknownPassageError, UnknownSourceError

from .bm25 import BM25Params, Postings
from .vectors import SentenceVectors

# 2: block bounds and bitsets beside the postings; 3: bit-packed gaps and tfs, no weights; 4: the page of each
# passage
FORMAT_VERSION = 4
# A passage id's paragraph number only as written: no leading zero, and few enough digits to read as a number.
_PARAGRAPH_NUMBER = re.compile(r"[1-9][0-9]{0,9}")


@dataclass(frozen=True, slots=True)
class DocumentInfo:
    source: str
    title: str | None
    first_passage: int
    passage_count: int
    characters: int


@dataclass(frozen=True, slots=True)
class PassageTable:
    """Column arrays, one row per passage, in corpus order."""

    doc: NDArray[np.int32]
    paragraph: NDArray[np.int32]
    section: NDArray[np.int32]  # index into Index.sections, -1 for none
    start: NDArray[np.int64]
    end: NDArray[np.int64]
    page: NDArray[np.int32]  # 1-based, 0 for formats without pages


class Index:
    def __init__(self, *, manifest: dict[str, Any], vocab: Sequence[str], postings: Postings,
                 passages: PassageTable, documents: Sequence[DocumentInfo], sections: Sequence[str],
                 text_blob: bytes | memoryview | NDArray[np.uint8], text_offsets: NDArray[np.int64],
                 vectors: SentenceVectors | None = None) -> None:
        self.manifest = manifest
        self.vocab_list = list(vocab)
        self.vocab = {term: i for i, term in enumerate(self.vocab_list)}
        self.postings = postings
        self.passages = passages
        self.documents = list(documents)
        self.sections = list(sections)
        self.text_blob = text_blob
        self.text_offsets = text_offsets
        self.vectors = vectors
        self._doc_by_source = {d.source: i for i, d in enumerate(self.documents)}
        self._doc_by_stem = {passage_id_stem(d.source): i for i, d in enumerate(self.documents)}
        self.document_text = lru_cache(maxsize=256)(self._document_text)

    @property
    def params(self) -> BM25Params:
        return BM25Params(**self.manifest["bm25"])

    @property
    def n_passages(self) -> int:
        return self.postings.n_docs

    def _document_text(self, doc: int) -> str:
        lo, hi = int(self.text_offsets[doc]), int(self.text_offsets[doc + 1])
        return bytes(self.text_blob[lo:hi]).decode("utf-8")

    def find_document(self, source: str) -> int | None:
        return self._doc_by_source.get(source)

    def document_index(self, source: str) -> int:
        doc = self.find_document(source)
        if doc is None:
            raise UnknownSourceError(source)
        return doc

    def passage(self, i: int) -> Passage:
        t = self.passages
        doc = self.documents[int(t.doc[i])]
        start, end = int(t.start[i]), int(t.end[i])
        section = int(t.section[i])
        paragraph = int(t.paragraph[i])
        page = int(t.page[i])
        return Passage(
            id=f"{passage_id_stem(doc.source)}-p{paragraph}",
            source=doc.source,
            paragraph=paragraph,
            section=self.sections[section] if section >= 0 else None,
            text=self.document_text(int(t.doc[i]))[start:end],
            start=start,
            end=end,
            page=page or None,
        )

    def passage_number(self, passage_id: str) -> int:
        """The row of a passage id such as ``001_5fe9c23b30af33fc-p4``."""
        stem, _, paragraph = passage_id.rpartition("-p")
        doc = self._doc_by_stem.get(stem)
        if doc is None or _PARAGRAPH_NUMBER.fullmatch(paragraph) is None:
            raise UnknownPassageError(passage_id)
        info = self.documents[doc]
        n = int(paragraph)
        if n > info.passage_count:
            raise UnknownPassageError(passage_id)
        return info.first_passage + n - 1

    def document_passages(self, doc: int) -> list[Passage]:
        info = self.documents[doc]
        return [self.passage(i) for i in range(info.first_passage, info.first_passage + info.passage_count)]


def documents_json(index: Index) -> str:
    return json.dumps([
        {"source": d.source, "title": d.title, "first_passage": d.first_passage,
         "passage_count": d.passage_count, "characters": d.characters}
        for d in index.documents
    ], ensure_ascii=False)
