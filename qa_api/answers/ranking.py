"""Re-ranking ask's candidates, and choosing the evidence sentence, from a few general features.

BM25 (exact, pruned) gives ``POOL`` candidates whatever ``top_k`` asks for. Each candidate then gets, in BM25's
units (a share of the pool's best BM25 score), so that a passage's score stays BM25 plus named boosts:

- ``dense``: the cosine between the question and the passage's closest sentence (all-MiniLM-L6-v2);
- ``sentence``: the share of the question's IDF weight that one sentence covers (evidence sits in a sentence);
- ``answer_type``: that sentence holds a candidate of the kind the question wants.

The weights were fitted on the tuning question sets (listwise, ``scripts/fit_weights.py``) and are documented in
docs/quality.md. The evidence sentence is then the best of the top ``EVIDENCE_PASSAGES`` passages' sentences by
the same kinds of features, at sentence level.
"""

from __future__ import annotations

from collections.abc import Hashable, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
from numpy.typing import NDArray

from qa_api.questions.reading import AnswerType, Reading
from qa_api.retrieval.backend import Backend
from qa_api.retrieval.search import Pool, ReadPassage, Sentence

from .candidates import candidates

POOL = 30  # candidates re-ranked (99% of the tuning sets' answers are in BM25's top 30)
EVIDENCE_PASSAGES = 5  # passages read for the evidence sentence and the answer, whatever top_k is
# Fitted weights: passage features (in units of the pool's best BM25 score), then sentence features.
PASSAGE_WEIGHTS = {"dense": 1.08, "sentence": 0.88, "answer_type": 0.38}
SENTENCE_WEIGHTS = {"dense": 1.0, "coverage": 0.99, "answer_type": 0.41, "passage": 1.05}


@dataclass(frozen=True, slots=True)
class Scored:
    key: Hashable
    bm25: float
    boosts: tuple[tuple[str, float], ...]

    @property
    def score(self) -> float:
        return self.bm25 + sum(b for _, b in self.boosts)


@dataclass(frozen=True, slots=True)
class Evidence:
    """The sentence that best supports an answer, with what it was chosen by."""

    read: ReadPassage
    sentence: Sentence
    score: float
    coverage: float
    cosine: float
    rank: int  # of its passage, from 1


class Ranker:
    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.stopwords = backend.analyzer.stopwords

    def rerank(self, reading: Reading, pool: Pool, vector: NDArray[np.float32] | None) -> list[Scored]:
        """The pool in its final order, each passage with its BM25 score and boosts."""
        if not pool.keys:
            return []
        unit = max(pool.scores[0], 1e-9)
        scored = []
        for key, bm25, features in zip(pool.keys, pool.scores, self.passage_features(reading, pool, vector),
                                       strict=True):
            boosts = tuple((name, unit * PASSAGE_WEIGHTS[name] * value) for name, value in features.items())
            scored.append(Scored(key, bm25, boosts))
        return sorted(scored, key=lambda s: -s.score)  # stable: ties keep BM25's order

    def passage_features(self, reading: Reading, pool: Pool,
                         vector: NDArray[np.float32] | None) -> list[dict[str, float]]:
        weights = self._weights(reading)
        return [self._passage_features(reading, weights, self.backend.read(key), vector) for key in pool.keys]

    def evidence(self, reading: Reading, ranked: Sequence[Scored],
                 vector: NDArray[np.float32] | None) -> list[Evidence]:
        """The sentences of the top passages, best supporting first."""
        if not ranked:
            return []
        out = []
        for e, features in self.sentence_features(reading, ranked, vector):
            score = sum(SENTENCE_WEIGHTS[name] * value for name, value in features.items())
            out.append(Evidence(e.read, e.sentence, score, e.coverage, e.cosine, e.rank))
        return sorted(out, key=lambda e: -e.score)

    def sentence_features(self, reading: Reading, ranked: Sequence[Scored], vector: NDArray[np.float32] | None
                          ) -> list[tuple[Evidence, dict[str, float]]]:
        """Each sentence of the top passages, unscored, with the features its evidence score is made of."""
        weights = self._weights(reading)
        top = max(ranked[0].score, 1e-9)
        out = []
        for rank, scored in enumerate(ranked[:EVIDENCE_PASSAGES], start=1):
            read = self.backend.read(scored.key)
            cosines = _cosines(read, vector)
            for i, sentence in enumerate(read.sentences):
                coverage = _coverage(weights, sentence.terms)
                features = {"dense": float(cosines[i]), "coverage": coverage,
                            "answer_type": float(self._holds_type(reading, read, sentence)),
                            "passage": scored.score / top}
                out.append((Evidence(read, sentence, 0.0, coverage, float(cosines[i]), rank), features))
        return out

    def _passage_features(self, reading: Reading, weights: Mapping[str, float], read: ReadPassage,
                          vector: NDArray[np.float32] | None) -> dict[str, float]:
        coverages = [_coverage(weights, s.terms) for s in read.sentences]
        best = int(np.argmax(coverages))
        features = {"sentence": coverages[best],
                    "answer_type": float(self._holds_type(reading, read, read.sentences[best]))}
        if vector is not None and read.vectors is not None:
            features = {"dense": float(_cosines(read, vector).max()), **features}
        return features

    def _weights(self, reading: Reading) -> dict[str, float]:
        """Each question term's IDF (an earlier turn's at its weight), as a share of them all (related words do
        not count: they only rank)."""
        idf = {t: self.backend.idf(t) for t in reading.terms}
        idf.update({t: w * self.backend.idf(t) for t, w in reading.context if t not in idf})
        total = sum(idf.values()) or 1.0
        return {t: w / total for t, w in idf.items()}

    def _holds_type(self, reading: Reading, read: ReadPassage, sentence: Sentence) -> bool:
        if reading.answer_type in (AnswerType.OTHER, AnswerType.YESNO):
            return False
        return bool(candidates(read.passage.text[sentence.start:sentence.end], reading.answer_type, self.stopwords))


def _coverage(weights: Mapping[str, float], terms: frozenset[str]) -> float:
    # summed in question order, not set order, so every process adds the floats alike
    return sum(w for t, w in weights.items() if t in terms)


def _cosines(read: ReadPassage, vector: NDArray[np.float32] | None) -> NDArray[np.float32]:
    if vector is None or read.vectors is None:
        return np.zeros(len(read.sentences), dtype=np.float32)
    cosines: NDArray[np.float32] = read.vectors @ vector
    return cosines
