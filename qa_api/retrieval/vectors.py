"""Sentence vectors: every passage's sentences embedded at index build, stored once per distinct sentence.

Passage i's sentences (in ``corpus.sentences`` order) are rows ``row_of[ptr[i]:ptr[i+1]]`` of ``vectors``. A
sentence that occurs more than once (a byline, a repeated quote, boilerplate) is embedded and stored once, keyed
by a 64-bit hash of its text (kept beside its vector, so the next build of a growing corpus embeds only the
sentences it has not seen). Vectors are stored as int8 with one float32 scale per row: cosines computed from
them differ from float32 ones by about 1e-3, which changes no ranking on the eval sets (docs/quality.md).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import xxhash
from numpy.typing import NDArray

from qa_api.corpus.sentences import SPLITTER_VERSION, sentence_spans

from .encoder import DIMENSIONS, Encoder
from .progress import Progress

ENCODE_CHUNK = 1024  # sentences handed to the encoder at a time


@dataclass(frozen=True, slots=True)
class SentenceVectors:
    ptr: NDArray[np.int64]
    row_of: NDArray[np.int32]
    vectors: NDArray[np.int8]
    scales: NDArray[np.float32]
    hashes: NDArray[np.uint64]  # per row: the xxh3-64 of its sentence

    def of_passage(self, passage: int) -> NDArray[np.float32]:
        """The passage's sentence vectors, one row per sentence, back to (nearly) unit length."""
        rows = self.row_of[int(self.ptr[passage]):int(self.ptr[passage + 1])]
        vectors: NDArray[np.float32] = self.vectors[rows].astype(np.float32) * self.scales[rows, None]
        return vectors


def signature(encoder: Encoder) -> dict[str, object]:
    """What the index manifest records, so vectors from another model or splitter are never read."""
    return {**encoder.signature, "sentence_splitter": SPLITTER_VERSION, "storage": "int8"}


def embed_passages(texts: Sequence[str], encoder: Encoder, progress: Progress | None = None,
                   known: SentenceVectors | None = None) -> SentenceVectors:
    """Split each passage into sentences and embed every distinct sentence once; a sentence ``known`` holds
    (vectors of the same encoder, from the build before) is copied, not embedded again."""
    ptr = np.zeros(len(texts) + 1, dtype=np.int64)
    row_of: list[int] = []
    rows: dict[int, int] = {}
    distinct: list[str] = []
    for i, text in enumerate(texts):
        for start, end in sentence_spans(text) or [(0, len(text))]:
            sentence = text[start:end]
            row_of.append(rows.setdefault(xxhash.xxh3_64_intdigest(sentence.encode()), len(rows)))
            if len(distinct) < len(rows):
                distinct.append(sentence)
        ptr[i + 1] = len(row_of)
    hashes = np.fromiter(rows, dtype=np.uint64, count=len(rows))
    vectors = np.empty((len(distinct), DIMENSIONS), dtype=np.int8)
    scales = np.empty(len(distinct), dtype=np.float32)
    new = np.arange(len(distinct))
    if known is not None and known.hashes.size:
        order = np.argsort(known.hashes)
        at = np.minimum(np.searchsorted(known.hashes, hashes, sorter=order), order.size - 1)
        found = known.hashes[order[at]] == hashes
        vectors[found], scales[found] = known.vectors[order[at[found]]], known.scales[order[at[found]]]
        new = np.flatnonzero(~found)
    counted = range(new.size)
    for i in progress(counted, new.size, "embedding") if progress else counted:
        if i % ENCODE_CHUNK == 0:
            chunk = new[i:i + ENCODE_CHUNK]
            vectors[chunk], scales[chunk] = quantize(encoder.encode([distinct[j] for j in chunk]))
    return SentenceVectors(ptr, np.asarray(row_of, dtype=np.int32), vectors, scales, hashes)


def quantize(vectors: NDArray[np.float32]) -> tuple[NDArray[np.int8], NDArray[np.float32]]:
    """int8 per row, scaled so the row's largest magnitude maps to 127."""
    scales = np.maximum(np.abs(vectors).max(axis=1), 1e-12).astype(np.float32) / 127.0
    return np.rint(vectors / scales[:, None]).astype(np.int8), scales
