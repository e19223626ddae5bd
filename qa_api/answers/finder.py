"""Short answers: a candidate of the wanted kind inside the evidence sentences, given only when likely right.

Two small fitted models (``scripts/fit_weights.py``, on the tuning question sets; docs/quality.md):

1. *Choice*: the candidates of the wanted kind (``candidates``; for open questions the stretches between the
   question's own words) in the best ``SENTENCES_READ`` evidence sentences get a linear score, and a softmax over
   them says how clearly one stands out. The features say how plainly a candidate answers: its kind marked by
   the text (a title, "in", "Ministry"), the encoder's typing of a name, none of its words in the question, close
   to the question's words, alone of its kind, in the best sentence.
2. *Confidence*: a logistic model of the chosen candidate being right, from that share, how well its sentence
   covers the question, the kind of question, and the same cues. The answer is given when it reaches
   ``THRESHOLD``, set so that answers given on the tuning sets are right at least 9 times in 10.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from qa_api.questions.reading import AnswerType, Reading
from qa_api.retrieval.analysis import Analyzer
from qa_api.retrieval.encoder import Encoder

from .candidates import Candidate, candidates, open_spans
from .ranking import Evidence

SENTENCES_READ = 5
NAMES = (AnswerType.PERSON, AnswerType.PLACE, AnswerType.ORGANIZATION)
# What each kind of name is like, for the encoder to compare a name with (zero-shot typing): plain English.
KIND_PROTOTYPES = {
    AnswerType.PERSON: ("a person", "a man", "a woman", "a politician"),
    AnswerType.PLACE: ("a country", "a city", "a place", "a region"),
    AnswerType.ORGANIZATION: ("an organization", "a government agency", "a company", "a newspaper"),
    AnswerType.OTHER: ("a word", "an event", "a thing", "an idea"),
}
CHOICE_WEIGHTS = {"first": 2.27, "cue": 0.95, "kind": 3.52, "near": 1.54, "after": 0.83, "alone": 1.44}
CONFIDENCE_WEIGHTS = {"bias": -2.66, "share": 1.62, "coverage": 1.88, "cosine": 0.88, "cue": 0.24, "kind": 0.27,
                      "date": 0.29, "number": -0.33, "name": 0.24, "quote": -0.02, "reason": 0.26, "open": -0.44}
THRESHOLD = 0.69
_GROUPS = {AnswerType.DATE: "date", AnswerType.NUMBER: "number", AnswerType.PERSON: "name",
           AnswerType.PLACE: "name", AnswerType.ORGANIZATION: "name", AnswerType.QUOTE: "quote",
           AnswerType.REASON: "reason", AnswerType.OTHER: "open"}


@dataclass(frozen=True, slots=True)
class Answer:
    text: str
    type: AnswerType
    passage_id: str
    source: str
    start: int  # offsets into the source file
    end: int
    sentence: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Choice:
    """A candidate in an evidence sentence, with its features and its choice score."""

    evidence: Evidence
    candidate: Candidate
    features: dict[str, float]
    score: float

    @property
    def text(self) -> str:
        sentence = self.evidence.sentence
        return self.evidence.read.passage.text[sentence.start:sentence.end][self.candidate.start:self.candidate.end]


class KindOfName:
    """How much more a name is like the wanted kind (a person, a place, an organisation) than like any other,
    by the encoder's cosines with a few plain descriptions of each kind."""

    def __init__(self, encoder: Encoder) -> None:
        self.encoder = encoder
        self.prototypes = {kind: encoder.encode(list(texts)) for kind, texts in KIND_PROTOTYPES.items()}
        self.vector = lru_cache(maxsize=65536)(self._vector)

    def fit(self, name: str, kind: AnswerType) -> float:
        v = self.vector(name)
        likeness = {k: float((p @ v).max()) for k, p in self.prototypes.items()}
        return likeness[kind] - max(x for k, x in likeness.items() if k != kind)

    def _vector(self, name: str) -> NDArray[np.float32]:
        vector: NDArray[np.float32] = self.encoder.encode([name])[0]
        return vector


class AnswerFinder:
    def __init__(self, analyzer: Analyzer, encoder: Encoder | None = None) -> None:
        self.analyzer = analyzer
        self.kinds = KindOfName(encoder) if encoder else None

    def find(self, reading: Reading, evidence: Sequence[Evidence]) -> Answer | None:
        choices = self.choices(reading, evidence)
        if not choices:
            return None
        best, confidence = choices[0], self.confidence(reading, choices)
        if confidence < THRESHOLD:
            return None
        passage, sentence = best.evidence.read.passage, best.evidence.sentence
        start, end = sentence.start + best.candidate.start, sentence.start + best.candidate.end
        return Answer(passage.text[start:end], reading.answer_type, passage.id, passage.source,
                      passage.start + start, passage.start + end, passage.text[sentence.start:sentence.end],
                      round(confidence, 3))

    def choices(self, reading: Reading, evidence: Sequence[Evidence]) -> list[Choice]:
        """The candidates of the wanted kind in the best evidence sentences, best first."""
        if reading.answer_type == AnswerType.YESNO:
            return []
        out = []
        asked = reading.known
        for order, e in enumerate(evidence[:SENTENCES_READ]):
            text = e.read.passage.text[e.sentence.start:e.sentence.end]
            found = self._of_kind(reading, text, asked)
            for c in found:
                features = self._features(text, c, found, asked, order)
                out.append(Choice(e, c, features, sum(CHOICE_WEIGHTS[n] * v for n, v in features.items())))
        return sorted(out, key=lambda c: -c.score)

    def confidence(self, reading: Reading, choices: Sequence[Choice]) -> float:
        """The probability that the first choice is right."""
        return _logistic(confidence_features(reading, choices))

    def _of_kind(self, reading: Reading, text: str, asked: frozenset[str]) -> list[Candidate]:
        if reading.answer_type == AnswerType.OTHER:
            return open_spans(text, asked, self.analyzer.term)
        found = candidates(text, reading.answer_type, self.analyzer.stopwords)
        # a candidate made only of the question's own words repeats it rather than answering it
        return [c for c in found if not set(self.analyzer.terms(text[c.start:c.end])) <= asked]

    def _features(self, text: str, c: Candidate, found: Sequence[Candidate], asked: frozenset[str],
                  order: int) -> dict[str, float]:
        hits = [(t.start, t.end) for t in self.analyzer.tokens(text) if t.term in asked]
        gap = min((s - c.end if s >= c.end else c.start - e for s, e in hits), default=len(text))
        left = min((c.start - e for _, e in hits if e <= c.start), default=len(text))
        return {
            "first": float(order == 0), "cue": float(c.cue),
            "kind": self.kinds.fit(text[c.start:c.end], c.kind) if self.kinds and c.kind in NAMES else 0.0,
            "near": 1.0 / (1.0 + max(gap, 0) / 20.0),
            "after": 1.0 / (1.0 + left / 10.0),  # an answer tends to follow the question's words (a verb's object)
            "alone": 1.0 / len(found),
        }


def confidence_features(reading: Reading, choices: Sequence[Choice]) -> dict[str, float]:
    best = choices[0]
    top = max(c.score for c in choices)
    share = 1.0 / sum(math.exp(c.score - top) for c in choices)
    group = _GROUPS.get(reading.answer_type, "open")
    return {"share": share, "coverage": best.evidence.coverage, "cosine": best.evidence.cosine,
            "cue": best.features["cue"], "kind": best.features["kind"],
            **{g: float(g == group) for g in ("date", "number", "name", "quote", "reason", "open")}}


def _logistic(features: dict[str, float]) -> float:
    z = CONFIDENCE_WEIGHTS["bias"] + sum(CONFIDENCE_WEIGHTS[name] * value for name, value in features.items())
    return 1.0 / (1.0 + math.exp(-z))
