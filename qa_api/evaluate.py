"""Measure ask on a JSONL question set (the format of ``eval/dev.jsonl``), or follow-ups on a set of two-turn
conversations (``eval/followups.jsonl``).

A passage is relevant when it comes from an evidence quote's source file and contains that quote. An answer is
right when, after normalising case, quotes, punctuation and articles, it equals an accepted answer, or contains
one and is at most five tokens longer. The evidence sentence is right when it contains an accepted answer.
Short-answer precision counts the answers given to answerable questions; coverage is how many of those got one.
"""

from __future__ import annotations

import itertools
import json
import re
import statistics
import unicodedata
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .corpus import Passage
from .frontends.conversation import Turn, compose_reply, read_conversation
from .service import QAService

RANK_DEPTH = 10
MAX_EXTRA_ANSWER_TOKENS = 5
# Where the report splits answers by confidence, to show how far a user may trust one.
CONFIDENCE_BANDS = (0.6, 0.8)
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2032": "'"})


@dataclass(frozen=True, slots=True)
class Question:
    id: str
    question: str
    answerable: bool
    evidence: tuple[tuple[str, str], ...]  # (source, quote)
    answers: tuple[str, ...]
    turns: tuple[str, ...] = ()  # a conversation's user turns; ``question`` is then its standalone last turn


@dataclass
class Report:
    questions: int = 0
    answerable: int = 0
    hits_at_1: int = 0
    hits_at_5: int = 0
    reciprocal_ranks: float = 0.0
    evidence_right: int = 0
    answers_given: int = 0
    answers_right: int = 0
    unanswerable: int = 0
    unanswerable_null: int = 0
    latencies_ms: list[float] = field(default_factory=list)
    details: list[dict[str, Any]] = field(default_factory=list)

    def by_confidence(self) -> list[dict[str, Any]]:
        """Answers given and right ones per confidence band (an answer to an unanswerable question is wrong)."""
        edges = (0.0, *CONFIDENCE_BANDS, float("inf"))
        answered = [(d["confidence"], d["answer_right"]) for d in self.details if d["confidence"] is not None]
        out = []
        for low, high in itertools.pairwise(edges):
            band = [right for confidence, right in answered if low <= confidence < high]
            out.append({"from": low, "to": min(high, 1.0), "answers": len(band), "right": sum(band)})
        return out

    def as_dict(self) -> dict[str, Any]:
        n = max(self.answerable, 1)
        latencies = sorted(self.latencies_ms) or [0.0]
        return {
            "questions": self.questions,
            "answerable": self.answerable,
            "recall@1": round(self.hits_at_1 / n, 4),
            "recall@5": round(self.hits_at_5 / n, 4),
            "mrr@10": round(self.reciprocal_ranks / n, 4),
            "evidence_accuracy": round(self.evidence_right / n, 4),
            "answer_precision": round(self.answers_right / max(self.answers_given, 1), 4),
            "answer_coverage": round(self.answers_given / n, 4),
            "answer_accuracy": round(self.answers_right / n, 4),
            "answerable_null": self.answerable - self.answers_given,
            "unanswerable": self.unanswerable,
            "unanswerable_null": self.unanswerable_null,
            "ask_ms_p50": round(statistics.median(latencies), 2),
            "ask_ms_p95": round(latencies[min(len(latencies) - 1, int(0.95 * len(latencies)))], 2),
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
            turns = tuple(raw.get("turns", ()))
            questions.append(Question(
                id=str(raw.get("id", number)), question=raw["standalone"] if turns else raw["question"],
                answerable=bool(raw.get("answerable", True)),
                evidence=tuple((e["source"], e["quote"]) for e in raw.get("evidence", [])),
                answers=tuple(raw.get("answers", [])), turns=turns,
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
        report.latencies_ms.append(result.took_ms)
        answer = result.answer.text if result.answer else None
        evidence = result.evidence.read.passage.text[result.evidence.sentence.start:result.evidence.sentence.end] \
            if result.evidence else ""
        rank = first_relevant_rank([h.passage for h in result.hits], q.evidence)
        right = answer is not None and answer_matches(answer, q.answers)
        report.questions += 1
        if q.answerable:
            report.answerable += 1
            report.hits_at_1 += rank == 1
            report.hits_at_5 += rank is not None and rank <= 5
            report.reciprocal_ranks += 1 / rank if rank else 0.0
            report.evidence_right += holds_answer(evidence, q.answers)
            report.answers_given += answer is not None
            report.answers_right += right
        else:
            report.unanswerable += 1
            report.unanswerable_null += answer is None
        report.details.append({"id": q.id, "question": q.question, "relevant_rank": rank, "answer": answer,
                               "confidence": result.answer.confidence if result.answer else None,
                               "answer_right": right if q.answerable else answer is None,
                               "evidence": evidence})
    return report


def evaluate_follow_ups(service: QAService, conversations: Iterable[Question]) -> dict[str, Any]:
    """Top passage of each conversation's last turn, asked as chat asks it (after the reply to the turns before),
    against the same question asked standalone with its subject written out."""
    follow_up = standalone = n = 0
    details = []
    for c in conversations:
        turns: list[Turn] = []
        for text in c.turns[:-1]:
            earlier = read_conversation([*turns, Turn("user", text)], service.analyzer)
            reply = compose_reply(service.ask(earlier.text, RANK_DEPTH, context=earlier.context))
            turns += [Turn("user", text), Turn("assistant", reply.text)]
        asked = read_conversation([*turns, Turn("user", c.turns[-1])], service.analyzer)
        result = service.ask(asked.text, RANK_DEPTH, context=asked.context)
        rank = first_relevant_rank([h.passage for h in result.hits], c.evidence)
        alone = first_relevant_rank([h.passage for h in service.ask(c.question, RANK_DEPTH).hits], c.evidence)
        n += 1
        follow_up += rank == 1
        standalone += alone == 1
        details.append({"id": c.id, "asked": asked.text, "context": asked.context, "rank": rank,
                        "standalone_rank": alone})
    return {"conversations": n, "follow_up_top1": round(follow_up / max(n, 1), 4),
            "standalone_top1": round(standalone / max(n, 1), 4), "details": details}


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


def holds_answer(sentence: str, accepted: Iterable[str]) -> bool:
    """Whether a sentence contains one of the accepted answers (yes/no answers are never in the text)."""
    words = normalize_answer(sentence)
    return any(want and want not in (["yes"], ["no"]) and _contains(words, want)
               for want in map(normalize_answer, accepted))


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
        f"evidence          {d['evidence_accuracy']:.3f}  ({report.evidence_right}/{n} hold an accepted answer)",
        f"short answers     precision {d['answer_precision']:.3f} ({report.answers_right}/{report.answers_given}), "
        f"coverage {d['answer_coverage']:.3f} ({report.answers_given}/{n})",
        f"answer accuracy   {d['answer_accuracy']:.3f}  ({report.answers_right}/{n} answerable)",
        f"no answer         {report.unanswerable_null}/{report.unanswerable} unanswerable, "
        f"{d['answerable_null']}/{n} answerable",
        "by confidence     " + ", ".join(f"{b['from']:.1f}–{b['to']:.1f}: {b['right']}/{b['answers']} right"
                                         for b in report.by_confidence()),
        f"ask latency       p50 {d['ask_ms_p50']:.1f} ms, p95 {d['ask_ms_p95']:.1f} ms",
    ]
    return "\n".join(lines)


def format_follow_ups(figures: dict[str, Any]) -> str:
    n = figures["conversations"]
    return (f"conversations     {n}\n"
            f"follow-up top-1   {figures['follow_up_top1']:.3f}\n"
            f"standalone top-1  {figures['standalone_top1']:.3f}  (the same questions with their subject written out)")


def _contains(haystack: list[str], needle: list[str]) -> bool:
    k = len(needle)
    return any(haystack[i:i + k] == needle for i in range(len(haystack) - k + 1))


def _loose(text: str) -> str:
    return " ".join(unicodedata.normalize("NFKC", text).translate(_QUOTES).split())
