"""The index grows in segments: writes after a base build go to a delta segment, replaced and removed documents
are tombstones over the base, and a large enough delta is merged into a new base. Searched as one corpus, a
segmented generation scores exactly as a rebuild of the same documents from scratch."""

from __future__ import annotations

import random
from pathlib import Path

import numpy as np
import pytest

from qa_api.corpus import DocumentStore
from qa_api.errors import UnknownPassageError, UnknownSourceError
from qa_api.retrieval.analysis import Analyzer
from qa_api.retrieval.bm25 import BM25Params
from qa_api.retrieval.local import LocalBackend
from qa_api.retrieval.store import load_generation, load_index, rebuild_index, refresh_index

WORDS = [f"w{chr(97 + i // 26)}{chr(97 + i % 26)}" for i in range(300)]


def text(rng: random.Random, paragraphs: int = 3) -> bytes:
    """Paragraphs of Zipf-drawn words: a few words in most passages (negative IDF, rank-bm25's floor), many rare."""
    weights = [1 / (r + 1) for r in range(len(WORDS))]
    body = "\n\n".join(" ".join(rng.choices(WORDS, weights, k=rng.randint(3, 40))) + "." for _ in range(paragraphs))
    return body.encode()


@pytest.fixture()
def grown(tmp_path: Path) -> tuple[DocumentStore, Path]:
    """A base of 200 documents, then writes: 20 new, 15 replaced, 10 removed, in two generations."""
    rng = random.Random(11)
    store = DocumentStore(tmp_path / "documents.sqlite3")
    store.put_many([(f"d{i:03d}.txt", ".txt", text(rng)) for i in range(200)])
    index_dir = tmp_path / "index"
    analyzer, params = Analyzer(), BM25Params()
    rebuild_index(store, index_dir, params, analyzer)
    store.put_many([(f"new{i:02d}.txt", ".txt", text(rng)) for i in range(10)])
    store.put_many([(f"d{i:03d}.txt", ".txt", text(rng, 2)) for i in range(0, 150, 10)])
    assert refresh_index(store, index_dir, params, analyzer)
    store.put_many([(f"new{i:02d}.txt", ".txt", text(rng)) for i in range(10, 20)])
    for i in range(5, 105, 10):
        store.delete(f"d{i:03d}.txt")
    assert refresh_index(store, index_dir, params, analyzer)
    return store, index_dir


def test_writes_after_a_base_build_make_a_delta_segment_with_tombstones(grown: tuple[DocumentStore, Path]) -> None:
    store, index_dir = grown
    generation = load_generation(index_dir)
    assert generation.delta is not None and len(generation.base.documents) == 200
    assert sorted(d.source for d in generation.delta.documents) == sorted(
        [f"new{i:02d}.txt" for i in range(20)] + [f"d{i:03d}.txt" for i in range(0, 150, 10)])
    assert generation.tombstones == {f"d{i:03d}.txt" for i in range(0, 150, 10)} | {
        f"d{i:03d}.txt" for i in range(5, 105, 10)}
    assert load_index(index_dir).manifest["corpus"]["checksum"] == store.checksum()


def test_a_segmented_generation_scores_identically_to_a_rebuild_from_scratch(grown: tuple[DocumentStore, Path],
                                                                             tmp_path: Path) -> None:
    store, index_dir = grown
    segmented = LocalBackend(load_generation(index_dir))
    rebuilt = LocalBackend(rebuild_index(store, tmp_path / "rebuilt", BM25Params()))
    assert segmented.stats().passages == rebuilt.stats().passages
    assert segmented.stats().terms == rebuilt.stats().terms
    assert {d.source for d in segmented.documents()} == {d.source for d in rebuilt.documents()}
    for term in rebuilt.index.vocab_list:  # every live term's IDF, the epsilon floor's mean over the live vocabulary
        assert segmented.idf(term) == pytest.approx(rebuilt.idf(term), abs=1e-12), term
    rng = random.Random(5)
    for _ in range(200):
        query = {t: float(rng.randint(1, 2)) for t in rng.sample(WORDS, rng.randint(1, 4))}
        query = {t: w for t, w in query.items() if t in rebuilt.index.vocab} or {WORDS[0]: 1.0}
        ours, theirs = segmented.pool(query, 10), rebuilt.pool(query, 10)
        assert ours.total == theirs.total
        np.testing.assert_allclose(ours.scores, theirs.scores, rtol=0, atol=1e-9)
        if len(theirs.scores) == 10:  # the passages above the tenth score are the same (ties may differ in order)
            cut = theirs.scores[-1] + 1e-9
            assert {segmented.read(k).passage.id for k, s in zip(ours.keys, ours.scores, strict=True) if s > cut} == \
                {rebuilt.read(k).passage.id for k, s in zip(theirs.keys, theirs.scores, strict=True) if s > cut}
        for key, score in zip(ours.keys, ours.scores, strict=True):  # each term's share sums to the score
            assert sum(s for _, s in segmented.term_scores(query, key)) == pytest.approx(score, abs=1e-9)


def test_documents_and_passages_are_the_live_ones(grown: tuple[DocumentStore, Path]) -> None:
    store, index_dir = grown
    backend = LocalBackend(load_generation(index_dir))
    replaced = backend.document("d010.txt")
    assert replaced[1].encode() == store_text(store, "d010.txt") and replaced[0].passage_count == 2
    with pytest.raises(UnknownSourceError):
        backend.document("d015.txt")
    with pytest.raises(UnknownPassageError):
        backend.passage("d015-p1")
    assert backend.passage("d010-p2").text == replaced[2][1].text
    with pytest.raises(UnknownPassageError):
        backend.passage("d010-p3")  # the replaced document's third passage was the old text's
    assert backend.pool({"wab": 1.0}, 5, sources=["new03.txt"]).keys
    with pytest.raises(UnknownSourceError):
        backend.pool({"wab": 1.0}, 5, sources=["d015.txt"])  # removed: a tombstone
    assert backend.has_document("d010.txt") and backend.has_document("new03.txt")
    assert not backend.has_document("d015.txt")
    assert all(backend.read(k).passage.source == "d010.txt" for k in backend.pool({"waa": 1.0}, 5, ["d010.txt"]).keys)


def test_a_delta_past_a_quarter_of_the_base_is_merged_into_a_new_base(grown: tuple[DocumentStore, Path]) -> None:
    store, index_dir = grown
    rng = random.Random(3)
    store.put_many([(f"more{i:03d}.txt", ".txt", text(rng)) for i in range(120)])
    assert refresh_index(store, index_dir, BM25Params(), Analyzer())
    generation = load_generation(index_dir)
    assert generation.delta is None and not generation.tombstones
    assert len(generation.base.documents) == len(store.sources())


def store_text(store: DocumentStore, source: str) -> bytes:
    data = next(f for f in store.files() if f.source == source).read()
    assert data is not None
    return data.strip()
