"""Chat turns to a question, and an answer to a chat reply with numbered citations. No Flask, no LLM.

A follow-up ("and when was that?", "what was his job title?", "on which day?") is read in the light of the turns
before it: it is asked as it stands, with the user turn before it (itself read in its own context) and the short
answer that turn got as context, whose words count for less than the follow-up's own. So "Who led the Russian
delegation?", answered "Alexei Krivoruchko", then "what was his job title?" looks for a title near Krivoruchko. A
turn is a follow-up when it opens with "and"/"what about", refers back (he, it, that, there ...), or names almost
nothing.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from qa_api.corpus import display_text
from qa_api.corpus.sentences import sentence_spans
from qa_api.retrieval.analysis import Analyzer
from qa_api.retrieval.search import Hit
from qa_api.service import AskResult

from .schemas import MAX_QUESTION_CHARS

QUOTE_CHARS = 200
NO_ANSWER = "The corpus gives no short answer to that."
CLOSEST = "The closest the corpus comes:"
NO_MATCH = "No passage matches the question."
NO_QUESTION = ("There is no question to answer: no user message has any text. "
               "Ask about the documents in the corpus.")
_CONJUNCTION = re.compile(r"^\W*(?:and|also|so|but|then)\b[\s,]*", re.IGNORECASE)
_CONTINUATION = re.compile(r"^\W*(?:and|also|so|but|then|what about|how about)\b", re.IGNORECASE)
_ANAPHORA = re.compile(r"\b(?:he|she|it|they|them|him|her|his|its|their|that|this|those|these|there|then)\b",
                       re.IGNORECASE)
FOLLOW_UP_MAX_TERMS = 2
_CITATION_MARK = re.compile(r"\s*\[\d+\]")


@dataclass(frozen=True, slots=True)
class Turn:
    role: str  # "user" or "assistant"
    text: str


@dataclass(frozen=True, slots=True)
class ChatQuestion:
    """What to ask for the last user turn: its text, and for a follow-up the earlier turns it leans on."""

    text: str
    context: str = ""


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
    """A turn that leans on an earlier one: it says "and ..."/"what about ...", refers back, or names almost
    nothing."""
    return (bool(_CONTINUATION.match(text)) or bool(_ANAPHORA.search(text))
            or len(analyzer.terms(text)) <= FOLLOW_UP_MAX_TERMS)


def read_conversation(turns: Sequence[Turn], analyzer: Analyzer) -> ChatQuestion:
    """The question to ask for the last user turn: itself, and for a follow-up, as context, the last
    self-contained user question before it and the lead of the reply that question got."""
    users = [i for i, t in enumerate(turns) if t.role == "user" and t.text.strip()]
    current = turns[users[-1]].text.strip()
    if len(users) < 2 or not is_follow_up(current, analyzer):
        return ChatQuestion(current)
    before = read_conversation(turns[:users[-2] + 1], analyzer)  # the turn before, itself read in context
    reply = next((t.text for t in turns[users[-2] + 1:users[-1]] if t.role == "assistant" and t.text.strip()), "")
    context = " ".join(p for p in (before.text, before.context, reply_lead(reply)) if p)
    return ChatQuestion(_CONJUNCTION.sub("", current), context)


def reply_lead(reply: str) -> str:
    """The short answer a reply of ours gave, if it gave one (the quoted evidence of a reply without one names
    too much else to help: measured on the dev conversations)."""
    lead = reply.strip().split("\n\n")[0]
    return "" if not lead or lead.startswith(NO_ANSWER) else _CITATION_MARK.sub("", lead).strip()


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
    """The answer, or else the evidence sentence, then each cited passage as ``[n] source, paragraph: "quote"``.
    The passage the answer or evidence comes from is [1], quoted by that sentence."""
    hits = list(result.hits)
    evidence = result.evidence
    lead_id = result.answer.passage_id if result.answer else evidence.read.passage.id if evidence else None
    hits.sort(key=lambda h: h.passage.id != lead_id)
    evidence_text = evidence.read.passage.text[evidence.sentence.start:evidence.sentence.end] if evidence else ""
    citations = tuple(
        Citation(n, h.passage.id, h.passage.source, h.passage.paragraph,
                 _shorten(evidence_text if evidence and h.passage.id == evidence.read.passage.id
                          else best_sentence(h)))
        for n, h in enumerate(hits, start=1)
    )
    if result.answer is not None:
        lead = f"{display_text(result.answer.text)} [1]"
    elif evidence is not None and citations and citations[0].passage_id == evidence.read.passage.id:
        lead = f'{NO_ANSWER} {CLOSEST} "{_shorten(evidence_text)}" [1]'
    elif citations:
        lead = f"{NO_ANSWER} The closest passages are {_numbers(len(citations))}."
    else:
        lead = f"{NO_ANSWER} {NO_MATCH}"
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
