"""Chat turns to a question, and an answer to a chat reply with numbered citations. No Flask, no LLM.

A follow-up ("and when was that?", "who was he?", "what about Putin?") is read together with the last
self-contained user question, so "Who led the Russian delegation?" then "And when was that?" asks
"when was that? Who led the Russian delegation?": the follow-up's wording decides the answer type
(it comes first) and the earlier question supplies the terms to search for.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa_api.answers.spans import sentence_spans
from qa_api.corpus import display_text
from qa_api.retrieval.analysis import Analyzer
from qa_api.retrieval.search import Hit
from qa_api.service import AskResult

from .schemas import MAX_QUESTION_CHARS

QUOTE_CHARS = 200
NO_ANSWER = "The corpus does not say."
NO_QUESTION = ("There is no question to answer: no user message has any text. "
               "Ask about the documents in the corpus.")
_CONJUNCTION = re.compile(r"^\W*(?:and|also|so|but|then)\b[\s,]*", re.IGNORECASE)
_CONTINUATION = re.compile(r"^\W*(?:and|also|so|but|then|what about|how about)\b", re.IGNORECASE)
_ANAPHORA = re.compile(r"\b(?:he|she|it|they|them|him|her|his|its|their|that|this|those|these|there|then)\b",
                       re.IGNORECASE)
FOLLOW_UP_MAX_TERMS = 2


@dataclass(frozen=True, slots=True)
class Citation:
    number: int
    passage_id: str
    source: str
    paragraph: int
    quote: str


@dataclass(frozen=True, slots=True)
class Reply:
    text: str
    citations: tuple[Citation, ...]


def is_follow_up(text: str, analyzer: Analyzer) -> bool:
    """A turn that leans on an earlier question: it says "and ..."/"what about ...", or names almost nothing."""
    terms = analyzer.terms(text)
    return (bool(_CONTINUATION.match(text)) or not terms
            or (len(terms) <= FOLLOW_UP_MAX_TERMS and bool(_ANAPHORA.search(text))))


def resolve_question(user_turns: Sequence[str], analyzer: Analyzer) -> str:
    """The question to ask for the last user turn, completed from the last self-contained one before it."""
    current = user_turns[-1].strip()
    if not is_follow_up(current, analyzer):
        return current
    for earlier in reversed(user_turns[:-1]):
        if not is_follow_up(earlier, analyzer):
            # Without its "and", the follow-up's question word leads, and that sets the answer type.
            return f"{_CONJUNCTION.sub('', current)} {earlier.strip()}"
    return current


def notice(user_turns: Sequence[str]) -> Reply | None:
    """The reply when the conversation holds no question that can be searched, else None.

    Such a conversation is a well-formed request, so it gets an answer that says what to do, as a chat
    model would give, rather than an error.
    """
    if not user_turns:
        return Reply(NO_QUESTION, ())
    length = len(user_turns[-1].strip())
    if length > MAX_QUESTION_CHARS:
        return Reply(f"The question is too long to search ({length} characters). "
                     f"Ask it in at most {MAX_QUESTION_CHARS} characters.", ())
    return None


def compose_reply(result: AskResult) -> Reply:
    """The answer (or that the corpus does not say), then each cited passage as ``[n] source, paragraph: "quote"``."""
    hits = list(result.result.hits)
    answer = result.answer
    if answer is not None:
        hits.sort(key=lambda h: h.passage.id != answer.passage_id)  # the answer's passage is [1]
    citations = tuple(
        Citation(n, h.passage.id, h.passage.source, h.passage.paragraph,
                 _shorten(answer.sentence if answer and h.passage.id == answer.passage_id else best_sentence(h)))
        for n, h in enumerate(hits, start=1)
    )
    if answer is not None:
        lead = f"{display_text(answer.text)} [1]"
    elif citations:
        lead = f"{NO_ANSWER} The closest passages are {_numbers(len(citations))}."
    else:
        lead = f"{NO_ANSWER} No passage matches the question."
    lines = [f'[{c.number}] {c.source}, paragraph {c.paragraph}: "{c.quote}"' for c in citations]
    return Reply("\n\n".join([lead, "Sources:\n" + "\n".join(lines)]) if lines else lead, citations)


def best_sentence(hit: Hit) -> str:
    """The passage's sentence holding the most matched terms (the first of equals)."""
    text = hit.passage.text
    spans = sentence_spans(text) or [(0, len(text))]
    best = max(spans, key=lambda s: (sum(s[0] <= h.start < s[1] for h in hit.highlights), -s[0]))
    return text[best[0]:best[1]]


def count_tokens(text: str) -> int:
    """Words and punctuation marks: a tokenizer-free stand-in for the ``usage`` counts."""
    return len(re.findall(r"\w+|[^\w\s]", text))


def _shorten(text: str) -> str:
    text = display_text(text)
    return text if len(text) <= QUOTE_CHARS else text[: QUOTE_CHARS - 1].rsplit(" ", 1)[0].rstrip(",;:") + "…"


def _numbers(n: int) -> str:
    refs = [f"[{i}]" for i in range(1, n + 1)]
    return refs[0] if n == 1 else ", ".join(refs[:-1]) + " and " + refs[-1]
