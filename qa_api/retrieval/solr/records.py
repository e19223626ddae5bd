"""qa-api's records in a Solr collection (``data/solr-configset/conf/schema.xml``), to and from our types.

A passage record holds what the local index holds for it: the passage (same id, source, paragraph, section,
page and offsets), its index terms (pre-analyzed by our analyzer, so Solr indexes exactly them), its sentences
and their int8 vectors with one scale each. A document record (``doc:<id stem>``) holds a document's whole text;
the ``meta:corpus`` record says what was indexed and how.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Sequence
from typing import Any

import numpy as np
from numpy.typing import NDArray

from qa_api.corpus import Document, Passage, passage_id_stem
from qa_api.retrieval.analysis import Analyzer
from qa_api.retrieval.encoder import DIMENSIONS
from qa_api.retrieval.search import ReadPassage, read_passage

FORMAT_VERSION = 1  # of these records; the meta record carries it, and a reader refuses another
META_ID = "meta:corpus"
PASSAGE_FIELDS = ("id", "source", "doc_seq", "paragraph", "section", "page", "text", "start", "end")
READ_FIELDS = (*PASSAGE_FIELDS, "sentences", "vectors", "_version_")
# The "simple" pre-analyzed format: a version, then the tokens separated by spaces; these are escaped in a token.
_TOKEN_ESCAPES = str.maketrans({"\\": "\\\\", " ": "\\ ", ",": "\\,", "=": "\\="})


def passage_record(passage: Passage, doc_seq: int, terms: Sequence[str], spans: Sequence[tuple[int, int]],
                   vectors: tuple[NDArray[np.int8], NDArray[np.float32]] | None) -> dict[str, Any]:
    record = {"id": passage.id, "kind": "passage", "source": passage.source, "doc_seq": doc_seq,
              "paragraph": passage.paragraph, "section": passage.section, "page": passage.page,
              "text": passage.text, "terms": pre_analyzed(terms), "start": passage.start, "end": passage.end,
              "sentences": [offset for span in spans for offset in span]}
    if vectors is not None:
        record["vectors"] = encode_vectors(*vectors)
    return _without_none(record)


def document_record(doc: Document, doc_seq: int) -> dict[str, Any]:
    return _without_none({"id": document_id(doc.source), "kind": "document", "source": doc.source,
                          "doc_seq": doc_seq, "title": doc.title, "document_text": doc.text,
                          "passage_count": len(doc.passages), "characters": len(doc.text)})


def meta_record(meta: dict[str, Any]) -> dict[str, Any]:
    return {"id": META_ID, "kind": "meta", "meta_json": json.dumps(meta)}


def document_id(source: str) -> str:
    """A document record's id: never a passage id, which has no colon."""
    return f"doc:{passage_id_stem(source)}"


def pre_analyzed(terms: Sequence[str]) -> str:
    """Index terms in Solr's simple pre-analyzed format: indexed as they are, one position each."""
    return "1 " + " ".join(t.translate(_TOKEN_ESCAPES) for t in terms)


def encode_vectors(vectors: NDArray[np.int8], scales: NDArray[np.float32]) -> str:
    """Sentence vectors as one base64 value: every sentence's 384 int8 values, then every float32 scale."""
    return base64.b64encode(np.ascontiguousarray(vectors, dtype=np.int8).tobytes()
                            + np.ascontiguousarray(scales, dtype="<f4").tobytes()).decode("ascii")


def decode_vectors(value: str, sentences: int) -> NDArray[np.float32]:
    """The passage's sentence vectors, one row per sentence, back to (nearly) unit length."""
    raw = base64.b64decode(value)
    if len(raw) != sentences * (DIMENSIONS + 4):
        raise ValueError(f"{len(raw)} bytes of vectors for {sentences} sentences")
    split = sentences * DIMENSIONS
    vectors = np.frombuffer(raw, dtype=np.int8, count=split).reshape(sentences, DIMENSIONS)
    scales = np.frombuffer(raw, dtype="<f4", offset=split)
    out: NDArray[np.float32] = vectors.astype(np.float32) * scales[:, None]
    return out


def passage_of(record: dict[str, Any]) -> Passage:
    return Passage(record["id"], record["source"], int(record["paragraph"]), record.get("section"), record["text"],
                   int(record["start"]), int(record["end"]), record.get("page"))


def read_of(record: dict[str, Any], analyzer: Analyzer) -> ReadPassage:
    """A passage record as the ask path reads it: analyzed once, its stored sentences, its vectors if any."""
    passage = passage_of(record)
    offsets = record.get("sentences") or [0, len(passage.text)]
    spans = list(zip(offsets[::2], offsets[1::2], strict=True))
    vectors = decode_vectors(record["vectors"], len(spans)) if "vectors" in record else None
    return read_passage(passage, spans, analyzer, vectors)


def _without_none(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if v is not None}
