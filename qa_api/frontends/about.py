"""What the corpus is, told to people and to agents: a title, a description and example questions.

Each comes from its setting (``QA_API_TITLE``, ``QA_API_DESCRIPTION``, ``QA_API_EXAMPLES``) or, when that is
empty, from the corpus itself: its number of documents, and example questions made from its headings (short
ones, in the words the documents use), else from names in the documents' first sentences.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass

from qa_api.corpus import display_text
from qa_api.retrieval.index import Index
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


def describe(index: Index, settings: Settings) -> About:
    """The corpus's title, description and example questions: from settings, else derived from ``index``."""
    count = len(index.documents)
    documents = f"{count} document{'' if count == 1 else 's'}"
    titles = [d.title for d in index.documents if d.title]
    title = settings.title or (f"Ask {titles[0]}" if count == 1 and titles else "Ask the documents")
    description = settings.description or (
        f"Every answer comes from the {documents} in the corpus, with the passages it rests on.")
    examples = tuple(q.strip() for q in settings.examples.split("|") if q.strip()) or example_questions(index)
    return About(title, description, examples)


def example_questions(index: Index) -> tuple[str, ...]:
    """Up to ``MAX_EXAMPLES`` questions about the corpus's short headings, else about names in its first
    sentences; none for an empty corpus."""
    sample = [index.passage(i).text for i in range(min(index.n_passages, SAMPLE_PASSAGES))]
    forms = Counter(w for text in sample for w in _WORD.findall(text))
    headings = [h for h in _unique([d.title or "" for d in index.documents] + index.sections)
                if 1 < len(h.split()) <= (MAX_QUESTION_WORDS if h.endswith("?") else MAX_HEADING_WORDS)]
    questions = [h if h.endswith("?") else _QUESTION.format(_in_running_text(h, forms)) for h in headings]
    if not questions:
        firsts = [index.passage(d.first_passage).text for d in index.documents if d.passage_count]
        names = [m.group() for text in firsts if (m := _NAME.search(display_text(text)[:300]))]
        questions = [_QUESTION.format(name) for name in _unique(names)]
    return tuple(questions[:MAX_EXAMPLES])


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
