"""Measure retrieval and answers on a JSONL question set (the format of ``eval/dev.jsonl``).

A passage is relevant when it comes from an evidence quote's source file and contains that quote. An answer
is right when, after normalising case, quotes, punctuation and articles, it equals an accepted answer, or
contains one and is at most five tokens longer.
"""

from __future__ import annotations

import itertools
import json
import re
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa_api.corpus import Passage
from qa_api.service import QAService

RANK_DEPTH = 10
MAX_EXTRA_ANSWER_TOKENS = 5
# Where the report splits answers by confidence, to show how far a user may trust one.
CONFIDENCE_BANDS = (0.4, 0.6)
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2032": "'"})


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    question: str
    answerable: bool
    evidence: tuple[tuple[str, str], ...]  # (source, quote)
    answers: tuple[str, ...]


@dataclass
class Report:
    questions: int = 0
    answerable: int = 0
    hits_at_1: int = 0
    hits_at_5: int = 0
    reciprocal_ranks: float = 0.0
    answers_right: int = 0
    answerable_null: int = 0
    unanswerable: int = 0
    unanswerable_null: int = 0
    details: list[dict[str, Any]] = field(default_factory=list)

    def by_confidence(self) -> list[dict[str, Any]]:
        """Answers given and right ones per confidence band (an answer to an unanswerable question is wrong)."""
        edges = (0.0, *CONFIDENCE_BANDS, float("inf"))
        # an answer given is right exactly when its question's detail says so (for an unanswerable one, never)
        answered = [(d["confidence"], d["answer_right"]) for d in self.details if d["confidence"] is not None]
        out = []
        for low, high in itertools.pairwise(edges):
            band = [right for confidence, right in answered if low <= confidence < high]
            out.append({"from": low, "to": min(high, 1.0), "answers": len(band), "right": sum(band)})
        return out

    def as_dict(self) -> dict[str, Any]:
        n = max(self.answerable, 1)
        return {
            "questions": self.questions,
            "answerable": self.answerable,
            "recall@1": round(self.hits_at_1 / n, 4),
            "recall@5": round(self.hits_at_5 / n, 4),
            "mrr@10": round(self.reciprocal_ranks / n, 4),
            "answer_accuracy": round(self.answers_right / n, 4),
            "answerable_null": self.answerable_null,
            "unanswerable": self.unanswerable,
            "unanswerable_null": self.unanswerable_null,
            "answers_by_confidence": self.by_confidence(),
            "details": self.details,
        }


def read_questions(path: Path) -> list[Question]:
    questions = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip():
            continue
        try:
            raw = json.loads(line)
            questions.append(Question(
                id=str(raw.get("id", number)), question=raw["question"], answerable=bool(raw.get("answerable", True)),
                evidence=tuple((e["source"], e["quote"]) for e in raw.get("evidence", [])),
                answers=tuple(raw.get("answers", [])),
            ))
        except (ValueError, KeyError, TypeError) as exc:
            raise ValueError(f"{path.name} line {number}: not a question record ({exc})") from exc
    if not questions:
        raise ValueError(f"{path.name}: no questions")
    return questions


def evaluate(service: QAService, questions: Iterable[Question]) -> Report:
    report = Report()
    for q in questions:
        result = service.ask(q.question, RANK_DEPTH)
        answer = result.answer.text if result.answer else None
        rank = first_relevant_rank([h.passage for h in result.result.hits], q.evidence)
        right = answer is not None and answer_matches(answer, q.answers)
        report.questions += 1
        if q.answerable:
            report.answerable += 1
            report.hits_at_1 += rank == 1
            report.hits_at_5 += rank is not None and rank <= 5
            report.reciprocal_ranks += 1 / rank if rank else 0.0
            report.answers_right += right
            report.answerable_null += answer is None
        else:
            report.unanswerable += 1
            report.unanswerable_null += answer is None
        report.details.append({"id": q.id, "question": q.question, "relevant_rank": rank, "answer": answer,
                               "confidence": result.answer.confidence if result.answer else None,
                               "answer_right": right if q.answerable else answer is None})
    return report


def first_relevant_rank(passages: list[Passage], evidence: tuple[tuple[str, str], ...]) -> int | None:
    quotes = [(source, _loose(quote)) for source, quote in evidence]
    for rank, p in enumerate(passages, start=1):
        text = _loose(p.text)
        if any(p.source == source and quote in text for source, quote in quotes):
            return rank
    return None


def answer_matches(answer: str, accepted: Iterable[str]) -> bool:
    got = normalize_answer(answer)
    for gold in accepted:
        want = normalize_answer(gold)
        if want and (got == want or (_contains(got, want) and len(got) - len(want) <= MAX_EXTRA_ANSWER_TOKENS)):
            return True
    return False


def normalize_answer(text: str) -> list[str]:
    """Tokens of an answer without case, quotes, punctuation or articles."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES).casefold()
    text = re.sub(r"(?<=\w)'s\b", "", text)
    words = re.findall(r"\w+", text)
    return [w for w in words if w not in {"a", "an", "the"}]


def format_report(report: Report) -> str:
    d = report.as_dict()
    n = report.answerable
    lines = [
        f"questions         {d['questions']} ({n} answerable, {d['unanswerable']} unanswerable)",
        f"Recall@1          {d['recall@1']:.3f}  ({report.hits_at_1}/{n})",
        f"Recall@5          {d['recall@5']:.3f}  ({report.hits_at_5}/{n})",
        f"MRR@10            {d['mrr@10']:.3f}",
        f"answer accuracy   {d['answer_accuracy']:.3f}  ({report.answers_right}/{n} answerable)",
        f"no answer         {report.unanswerable_null}/{report.unanswerable} unanswerable, "
        f"{report.answerable_null}/{n} answerable",
        "by confidence     " + ", ".join(f"{b['from']:.1f}–{b['to']:.1f}: {b['right']}/{b['answers']} right"
                                         for b in report.by_confidence()),
    ]
    return "\n".join(lines)


def _contains(haystack: list[str], needle: list[str]) -> bool:
    k = len(needle)
    return any(haystack[i:i + k] == needle for i in range(len(haystack) - k + 1))


def _loose(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).translate(_QUOTES).split())
