"""Short answers: the span of the best supporting sentence that answers the question, or None.

1. The question's expected answer type is read from its wording (``classify``).
2. The top passages are split into sentences; each sentence is scored by the share of the question's
   IDF weight it covers (terms the corpus has never seen weigh as much as the rarest term, so a question
   about something absent scores low).
3. In the best sentences, candidate spans of the expected type are found with patterns, and the one
   nearest to the question's terms wins. No span, or too little coverage, means no answer.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from enum import StrEnum

from .analysis import Analyzer
from .index import Index
from .search import Hit

MIN_CONFIDENCE = 0.45
SENTENCES_TRIED = 4
PASSAGES_READ = 3


class AnswerType(StrEnum):
    DATE = "date"
    PERSON = "person"
    NUMBER = "number"
    PLACE = "place"
    ORGANIZATION = "organization"
    QUOTE = "quote"
    REASON = "reason"
    YESNO = "yesno"
    OTHER = "other"


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
class _Sentence:
    hit: Hit
    start: int  # offsets into the passage text
    end: int
    coverage: float


_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_NUMBER_WORD = r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|dozen|dozens|hundreds|thousands)"
_SPAN_PATTERNS: dict[AnswerType, re.Pattern[str]] = {
    AnswerType.DATE: re.compile(
        rf"(?:(?:early|mid|late|the end of|the start of)[\s-]+)?{_MONTH}"
        rf"(?:\s+\d{{1,2}}(?:st|nd|rd|th)?(?!\d))?(?:,?\s+\d{{4}})?"
        rf"|\d{{1,2}}\s+{_MONTH}(?:\s+\d{{4}})?"
        rf"|(?:last|next|this)\s+(?:week|month|year|{_MONTH}|{_WEEKDAY})"
        rf"|(?:on\s+)?{_WEEKDAY}"
        rf"|\b(?:1[89]|20)\d{{2}}s?\b"
    ),
    AnswerType.NUMBER: re.compile(
        r"(?:(?:more than|over|about|nearly|almost|at least|up to|fewer than|less than|around|roughly|some)\s+)?"
        rf"(?:\$\s?)?(?:\d[\d,]*(?:\.\d+)?(?:st|nd|rd|th)?|{_NUMBER_WORD}(?:\s+{_NUMBER_WORD})?)"
        r"(?:[\s-]+(?:million|billion|thousand|hundred|percent|per cent|%))?"
        r"(?:[\s-]+(?:year|month|week|day|hour|minute)s?)?",
        re.IGNORECASE,
    ),
    AnswerType.QUOTE: re.compile(r"[\"“]([^\"“”]{1,200})[\"”]"),
}
_CAPITALIZED = re.compile(
    r"\b[A-Z][\w’'-]*(?:\s+(?:of|the|de|al|bin|van|von|for|and)?\s*[A-Z][\w’'-]*)*"
)
_TITLES = re.compile(
    r"\b(?:President|Minister|Deputy|Defense|Foreign|Prime|Secretary|General|Gen\.|Chairman|leader|member|"
    r"spokesperson|spokesman|spokeswoman|official|Comrade|Mr\.|Ms\.|Mrs\.|Dr\.|Senator|Ambassador|Judge)\b"
)
_REASON = re.compile(r"\b(?:because|since|as|so that|in order to|to)\s+[^,.;]{3,120}")
_SENTENCE_END = re.compile(r"(?<!\b[A-Z])(?<!\b[A-Z]\.[A-Z])[.!?][\"'”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9])")
_STOP_SPAN_WORDS = {"the", "a", "an", "and", "or", "of", "in", "on", "at", "to", "for", "by", "with", "that"}

_TYPE_RULES: tuple[tuple[re.Pattern[str], AnswerType], ...] = tuple(
    (re.compile(p, re.IGNORECASE), t) for p, t in (
        (r"^\s*(?:when|what (?:year|month|day|date|time)|in what year|on what date|since when)\b", AnswerType.DATE),
        (r"^\s*(?:how (?:many|much|long|old|far)|what (?:number|percentage|amount)|which anniversary)\b",
         AnswerType.NUMBER),
        (r"^\s*(?:who|whom|whose)\b|^\s*(?:which|what) (?:\w+ )?(?:official|person|leader|minister|president|"
         r"spokesperson|man|woman|general|member)\b|\bwho (?:is|was)\b", AnswerType.PERSON),
        (r"^\s*where\b|^\s*(?:which|what|in which|in what) (?:\w+ )?(?:country|countries|city|state|place|region|"
         r"capital|town|province)\b", AnswerType.PLACE),
        (r"^\s*(?:which|what) (?:\w+ )?(?:organization|agency|company|party|group|institution)\b",
         AnswerType.ORGANIZATION),
        (r"^\s*why\b|\bwhat (?:is|was) the reason\b|\bfor what reason\b", AnswerType.REASON),
        (r"\b(?:call|called|describe|described|say|said|term|termed|label|labelled|labeled)\b.*\?\s*$",
         AnswerType.QUOTE),
        (r"^\s*(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should)\b", AnswerType.YESNO),
    )
)


def classify(question: str) -> AnswerType:
    """The kind of answer a question expects, from its wording alone."""
    for pattern, answer_type in _TYPE_RULES:
        if pattern.search(question):
            return answer_type
    return AnswerType.OTHER


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence in ``text``; abbreviations such as "U.S." do not end one."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        end = m.end() - (len(m.group()) - len(m.group().rstrip()))
        spans.append((start, end))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text.rstrip())))
    return [(s, e) for s, e in spans if e > s]


class AnswerFinder:
    def __init__(self, index: Index, analyzer: Analyzer | None = None) -> None:
        self.index = index
        self.analyzer = analyzer or Analyzer()
        n = max(index.n_passages, 1)
        self._unseen_idf = math.log((n + 0.5) / 0.5)

    def find(self, question: str, hits: Sequence[Hit]) -> Answer | None:
        answer_type = classify(question)
        weights = self._term_weights(question)
        if not weights or not hits:
            return None
        question_words = {w.casefold() for w in re.findall(r"\w+", question)}
        for sentence in self._best_sentences(hits[:PASSAGES_READ], weights):
            found = self._span(answer_type, sentence, question_words)
            if found is None:
                continue
            start, end = found
            confidence = round(sentence.coverage * (1.0 if answer_type != AnswerType.OTHER else 0.85), 3)
            if confidence < MIN_CONFIDENCE:
                return None
            passage = sentence.hit.passage
            return Answer(
                text=passage.text[start:end], type=answer_type, passage_id=passage.id, source=passage.source,
                start=passage.start + start, end=passage.start + end,
                sentence=passage.text[sentence.start:sentence.end], confidence=confidence,
            )
        return None

    def _term_weights(self, question: str) -> dict[str, float]:
        weights: dict[str, float] = {}
        for term in self.analyzer.terms(question):
            term_id = self.index.vocab.get(term)
            idf = float(self.index.postings.idf[term_id]) if term_id is not None else self._unseen_idf
            weights[term] = max(idf, 0.1)
        return weights

    def _best_sentences(self, hits: Iterable[Hit], weights: dict[str, float]) -> list[_Sentence]:
        total = sum(weights.values())
        scored: list[tuple[float, int, _Sentence]] = []
        for hit in hits:
            text = hit.passage.text
            for start, end in sentence_spans(text):
                present = {t.term for t in self.analyzer.tokens(text[start:end])}
                coverage = sum(w for term, w in weights.items() if term in present) / total
                rank_penalty = 0.03 * (hit.rank - 1)
                scored.append((coverage - rank_penalty, len(scored), _Sentence(hit, start, end, coverage)))
        scored.sort(key=lambda s: (-s[0], s[1]))
        return [s for _, _, s in scored[:SENTENCES_TRIED]]

    def _span(self, answer_type: AnswerType, sentence: _Sentence,
              question_words: set[str]) -> tuple[int, int] | None:
        text = sentence.hit.passage.text
        s, e = sentence.start, sentence.end
        body = text[s:e]
        anchor = self._anchor(body, question_words)
        candidates = [(m.start(), m.end()) for m in _candidates(answer_type, body)]
        candidates = [c for c in candidates if not _only_question_words(body[c[0]:c[1]], question_words)]
        if not candidates:
            return None
        best = min(candidates, key=lambda c: (abs((c[0] + c[1]) / 2 - anchor), c[0]))
        return s + best[0], s + best[1]

    def _anchor(self, body: str, question_words: set[str]) -> float:
        """Mean position of the question's words in the sentence: answers sit near them."""
        positions = [m.start() for m in re.finditer(r"\w+", body)
                     if m.group().casefold() in question_words and m.group().casefold() not in _STOP_SPAN_WORDS]
        return sum(positions) / len(positions) if positions else 0.0


class _Match:
    def __init__(self, start: int, end: int) -> None:
        self._span = (start, end)

    def start(self) -> int:
        return self._span[0]

    def end(self) -> int:
        return self._span[1]


def _candidates(answer_type: AnswerType, body: str) -> list[_Match]:
    if answer_type in (AnswerType.DATE, AnswerType.NUMBER):
        return [_Match(m.start(), m.end()) for m in _SPAN_PATTERNS[answer_type].finditer(body)]
    if answer_type == AnswerType.QUOTE:
        quoted = [_Match(m.start(1), m.end(1)) for m in _SPAN_PATTERNS[AnswerType.QUOTE].finditer(body)]
        calling = [_Match(m.start(1), m.end(1))
                   for m in re.finditer(r"\b(?:call(?:ing|ed|s)?|describ(?:ing|ed)\w*)\s+(?:them|him|her|it)\s+"
                                        r"(?:as\s+)?([\w’' -]+?)(?=\s+and\b|[,.;]|$)", body)]
        return calling + quoted
    if answer_type == AnswerType.REASON:
        return [_Match(m.start(), m.end()) for m in _REASON.finditer(body)]
    if answer_type in (AnswerType.PERSON, AnswerType.PLACE, AnswerType.ORGANIZATION):
        names = [_Match(m.start(), m.end()) for m in _CAPITALIZED.finditer(body)]
        if answer_type == AnswerType.PERSON:
            return _strip_titles(body, names)
        return names
    if answer_type == AnswerType.YESNO:
        return []
    return [_Match(m.start(), m.end()) for m in re.finditer(r"[^,;:–—]{3,}", body)]


def _strip_titles(body: str, names: list[_Match]) -> list[_Match]:
    out: list[_Match] = []
    for m in names:
        start = m.start()
        for t in _TITLES.finditer(body, m.start(), m.end()):
            if t.start() == start:
                start = t.end() + 1
        if start < m.end() and " " in body[start:m.end()].strip():
            out.append(_Match(start, m.end()))
    return out


def _only_question_words(span: str, question_words: set[str]) -> bool:
    words = [w.casefold() for w in re.findall(r"\w+", span)]
    content = [w for w in words if w not in _STOP_SPAN_WORDS]
    return not content or all(w in question_words for w in content)
