"""Sentence vectors in the index: one per distinct sentence, int8 without measurable loss, kept with the index."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from qa_api.corpus.sentences import sentence_spans
from qa_api.retrieval.bm25 import BM25Params
from qa_api.retrieval.encoder import shared_encoder
from qa_api.retrieval.store import load_index, open_index
from qa_api.retrieval.vectors import embed_passages, quantize
from qa_api.service import QAService
from qa_api.settings import Settings

PASSAGES = ["Reuters reported it. The minister resigned on Monday.", "Reuters reported it.",
            "A third passage, of one sentence."]


def test_a_repeated_sentence_is_embedded_and_stored_once() -> None:
    vectors = embed_passages(PASSAGES, shared_encoder())
    assert vectors.ptr.tolist() == [0, 2, 3, 4]
    assert vectors.vectors.shape[0] == 3  # "Reuters reported it." twice, stored once
    assert vectors.row_of[0] == vectors.row_of[2]
    assert vectors.of_passage(0)[0] == pytest.approx(vectors.of_passage(1)[0])


def test_passage_vectors_follow_the_sentence_splitter_order() -> None:
    vectors = embed_passages(PASSAGES[:1], shared_encoder())
    sentences = [PASSAGES[0][s:e] for s, e in sentence_spans(PASSAGES[0])]
    expected = shared_encoder().encode(sentences)
    assert vectors.of_passage(0) == pytest.approx(expected, abs=0.02)


def test_int8_storage_keeps_cosines_within_a_hundredth() -> None:
    exact = shared_encoder().encode(["When did North Korea confirm troop deployment?", *PASSAGES])
    stored, scales = quantize(exact[1:])
    restored = stored.astype(np.float32) * scales[:, None]
    assert restored @ exact[0] == pytest.approx(exact[1:] @ exact[0], abs=0.01)


def test_the_index_keeps_its_vectors_and_an_index_without_them_is_rebuilt(tmp_path: Path) -> None:
    corpus, index = tmp_path / "corpus", tmp_path / "index"
    corpus.mkdir()
    (corpus / "a.txt").write_text("\n\n".join(PASSAGES), encoding="utf-8")
    params = BM25Params()
    open_index(corpus, index, params)  # built without vectors
    assert load_index(index).vectors is None
    with_vectors = open_index(corpus, index, params, encoder=shared_encoder())
    assert with_vectors.vectors is not None and with_vectors.manifest["vectors"]["model"].endswith("MiniLM-L6-v2")
    assert load_index(index).vectors is not None


def test_ask_works_without_vectors_when_dense_is_off(tmp_path: Path) -> None:
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "a.txt").write_text("\n\n".join(PASSAGES), encoding="utf-8")
    service = QAService.open(Settings(corpus_dir=corpus, index_dir=tmp_path / "index", dense=False))
    result = service.ask("When did the minister resign?", 3)
    assert service.backend.index.vectors is None and service.encoder is None
    assert result.hits[0].passage.text.startswith("Reuters reported it. The minister")
    assert all(name != "dense" for name, _ in result.hits[0].explanation.boosts)
