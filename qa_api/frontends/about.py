"""What the corpus is, told to people and to agents: a title, a description and example questions.

Each comes from its setting (``QA_API_TITLE``, ``QA_API_DESCRIPTION``, ``QA_API_EXAMPLES``) or, when that is
empty, from the corpus itself: its number of documents, and example questions made from its headings (short
ones, in the words the documents use), else from names in the documents' first sentences.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from qa_api.corpus import Passage, display_text
from qa_api.retrieval.backend import DocumentEntry
from qa_api.service import QAService
from qa_api.settings import Settings

MAX_EXAMPLES = 3
MAX_HEADING_WORDS = 6  # longer headings are mostly headlines, whole sentences that read badly after "What about"
MAX_QUESTION_WORDS = 20
SAMPLE_PASSAGES = 2000  # enough text to tell which words the corpus writes in lower case
_WORD = re.compile(r"[^\W\d_][\w’'-]*")
_NAME = re.compile(r"(?<=[\w,;:]\s)(?:[A-Z][\w’'-]+\s)+[A-Z][\w’'-]+")  # two or more capitalised words in a row
_QUESTION = "What about {}?"  # words the analyzer drops, so only the heading is searched


@dataclass(frozen=True, slots=True)
class About:
    title: str
    description: str
    examples: tuple[str, ...]


def describe(service: QAService, settings: Settings) -> About:
    """The corpus's title, description and example questions: from settings, else derived from the corpus."""
    entries = service.documents()
    count = len(entries)
    documents = f"{count} document{'' if count == 1 else 's'}"
    titles = [d.title for d in entries if d.title]
    title = settings.title or (f"Ask {titles[0]}" if count == 1 and titles else "Ask the documents")
    description = settings.description or (
        f"Every answer comes from the {documents} in the corpus, with the passages it rests on.")
    examples = tuple(q.strip() for q in settings.examples.split("|") if q.strip()) or example_questions(service)
    return About(title, description, examples)


def told_by_settings(settings: Settings) -> About:
    """The title, description and examples the settings give, and nothing drawn from the corpus."""
    return About(settings.title or "Ask the documents",
                 settings.description or "Every answer comes from the documents in the corpus, with the passages "
                                         "it rests on.",
                 tuple(q.strip() for q in settings.examples.split("|") if q.strip()))


def example_questions(service: QAService) -> tuple[str, ...]:
    """Up to ``MAX_EXAMPLES`` questions about the corpus's short headings, else about names in its first
    sentences; none for an empty corpus."""
    entries = service.documents()
    passages = [p for p in _sample(service, entries)]
    forms = Counter(w for p in passages for w in _WORD.findall(p.text))
    sections = [p.section or "" for p in passages]
    headings = [h for h in _unique([d.title or "" for d in entries] + sections)
                if 1 < len(h.split()) <= (MAX_QUESTION_WORDS if h.endswith("?") else MAX_HEADING_WORDS)]
    questions = [h if h.endswith("?") else _QUESTION.format(_in_running_text(h, forms)) for h in headings]
    if not questions:
        first_of = {p.source: p.text for p in reversed(passages) if p.paragraph == 1}
        firsts = [first_of[d.source] for d in entries if d.source in first_of]
        names = [m.group() for text in firsts if (m := _NAME.search(display_text(text)[:300]))]
        questions = [_QUESTION.format(name) for name in _unique(names)]
    return tuple(questions[:MAX_EXAMPLES])


def _sample(service: QAService, entries: Sequence[DocumentEntry]) -> Iterator[Passage]:
    """The passages of the first documents, up to ``SAMPLE_PASSAGES`` of them."""
    taken = 0
    for entry in entries:
        if taken >= SAMPLE_PASSAGES:
            return
        for passage in service.document(entry.source)[2][:SAMPLE_PASSAGES - taken]:
            taken += 1
            yield passage


def _in_running_text(heading: str, forms: Counter[str]) -> str:
    """A title-case heading as it reads inside a sentence: a word the corpus mostly writes in lower case loses
    its capital, and so does a first word it writes no more often with one; names and acronyms keep theirs."""
    words = display_text(heading).rstrip(".:").split(" ")
    return " ".join(w.lower() if _lower_case(w, forms, first=i == 0) else w for i, w in enumerate(words))


def _lower_case(word: str, forms: Counter[str], first: bool) -> bool:
    if word.isupper() or word == word.lower():
        return False
    seen_lower, seen_as_is = forms[word.lower()], forms[word]
    return seen_lower > seen_as_is or (first and seen_lower == seen_as_is)


def _unique(items: list[str]) -> list[str]:
    return list(dict.fromkeys(display_text(i) for i in items if i.strip()))
