"""Measure ask with each of its techniques taken out in turn, on question sets (figures only, no questions shown).

    .venv/bin/python scripts/ablations.py eval/holdout9.jsonl eval/holdout10.jsonl eval/holdout11.jsonl

A technique stays only if taking it out lowers the blind sets' figures (docs/quality.md). Each row is the union
of the given sets: passage Recall@1 and @5, evidence-sentence accuracy, short-answer precision and coverage,
unanswerable questions left without an answer.
"""

from __future__ import annotations

import argparse
import contextlib
from collections.abc import Callable, Iterator
from pathlib import Path

import numpy as np

from qa_api.answers import finder, ranking
from qa_api.corpus.sentences import sentence_spans
from qa_api.evaluate import evaluate, read_questions
from qa_api.retrieval.vectors import SentenceVectors
from qa_api.service import QAService
from qa_api.settings import Settings


@contextlib.contextmanager
def patched(obj: object, name: str, value: object) -> Iterator[None]:
    old = getattr(obj, name)
    setattr(obj, name, value)
    try:
        yield
    finally:
        setattr(obj, name, old)


def variants(service: QAService) -> dict[str, Callable[[], contextlib.AbstractContextManager[None]]]:
    reader = service.reader
    return {
        "all techniques": contextlib.nullcontext,
        "without the sentence encoder": lambda: _stack(
            patched(service, "_encoding", None), patched(service.finder, "kinds", None)),
        "without the encoder's typing of names": lambda: patched(service.finder, "kinds", None),
        "without WordNet's related words": lambda: patched(reader, "_related", {}),
        "without the answer-type boost": lambda: patched(ranking, "PASSAGE_WEIGHTS",
                                                         {**ranking.PASSAGE_WEIGHTS, "answer_type": 0.0}),
        "without re-ranking (BM25 order)": lambda: patched(ranking, "PASSAGE_WEIGHTS",
                                                           dict.fromkeys(ranking.PASSAGE_WEIGHTS, 0.0)),
        "answers at any confidence": lambda: patched(finder, "THRESHOLD", 0.0),
        "sentence vectors in float32, not int8": lambda: patched(service.backend.index, "vectors", _float32(service)),
    }


def _float32(service: QAService) -> SentenceVectors:
    """The index's sentence vectors embedded again and kept in float32, one row per sentence."""
    texts = [service.backend.index.passage(i).text for i in range(service.backend.index.n_passages)]
    sentences = [[t[s:e] for s, e in sentence_spans(t) or [(0, len(t))]] for t in texts]
    flat = [s for passage in sentences for s in passage]
    assert service.encoder is not None
    return SentenceVectors(np.cumsum([0] + [len(s) for s in sentences]), np.arange(len(flat), dtype=np.int32),
                           service.encoder.encode(flat), np.ones(len(flat), dtype=np.float32))  # type: ignore[arg-type]


@contextlib.contextmanager
def _stack(*managers: contextlib.AbstractContextManager[None]) -> Iterator[None]:
    with contextlib.ExitStack() as stack:
        for manager in managers:
            stack.enter_context(manager)
        yield


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("sets", nargs="+", type=Path)
    args = parser.parse_args()
    service = QAService.open(Settings.from_env())
    questions = [q for path in args.sets for q in read_questions(path)]
    print("| variant | Recall@1 | Recall@5 | evidence | precision | coverage | unanswerable → null |")
    print("| --- | --- | --- | --- | --- | --- | --- |")
    for name, variant in variants(service).items():
        service.backend.read.cache_clear()  # type: ignore[attr-defined]
        with variant():
            d = evaluate(service, questions).as_dict()
        print(f"| {name} | {d['recall@1']:.3f} | {d['recall@5']:.3f} | {d['evidence_accuracy']:.3f} | "
              f"{d['answer_precision']:.3f} | {d['answer_coverage']:.3f} | "
              f"{d['unanswerable_null']}/{d['unanswerable']} |")


if __name__ == "__main__":
    main()
