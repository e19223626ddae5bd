"""Text analysis: one analyzer turns passages and queries alike into index terms with their character spans.

The steps are tokenize | normalise (NFKC, case fold, quote and number forms) | drop stopwords | stem (Snowball).
Spans index the *original* text, so a match can be highlighted where the reader sees it.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import lru_cache
from importlib import resources
from typing import NamedTuple

import Stemmer

ANALYZER_NAME = "english"
ANALYZER_VERSION = 1

# Alternatives are tried left to right at each position, so the specific forms come first.
_TOKEN_RE = re.compile(
    r"""
      (?:[^\W\d_]\.){2,}                 # dotted acronym: U.S., U.N.
    | \d{1,3}(?:,\d{3})+(?:\.\d+)?       # thousands separators: 10,000
    | \d+\.\d+                           # decimal: 1.5
    | [^\W_]+(?:['\u2019\u02bc][^\W_]+)* # word, with inner apostrophes: Korea's, don't
    """,
    re.VERBOSE,
)
_APOSTROPHES = str.maketrans({"\u2019": "'", "\u02bc": "'", "\u2018": "'"})
_DROP_IN_TERM = re.compile(r"[.,']")
_OUTER_PUNCTUATION = ".,;:!?()[]{}<>\"'`*\u2018\u2019\u201c\u201d"


class Token(NamedTuple):
    term: str
    start: int
    end: int


def normalize(word: str) -> str:
    """Fold one raw token to its canonical spelling: NFKC, case fold, one apostrophe, no possessive."""
    word = unicodedata.normalize("NFKC", word).casefold().translate(_APOSTROPHES)
    if word.endswith("'s"):
        word = word[:-2]
    if word[:1].isdigit():
        return word.replace(",", "")
    return _DROP_IN_TERM.sub("", word)


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    text = resources.files("qa_api").joinpath("data/stopwords.txt").read_text(encoding="utf-8")
    words = (line.strip() for line in text.splitlines())
    return frozenset(normalize(w) for w in words if w and not w.startswith("#"))


class Analyzer:
    """English analyzer shared by the index builder and the query path."""

    def __init__(self) -> None:
        self._stopwords = stopwords()
        self._stemmer = Stemmer.Stemmer("english", 100_000)
        # Words repeat (Zipf): folding and stemming each distinct word once makes indexing and highlighting
        # several times faster.
        self.term = lru_cache(maxsize=1 << 17)(self._term)  # type: ignore[method-assign]

    @property
    def stopwords(self) -> frozenset[str]:
        return self._stopwords

    @property
    def signature(self) -> dict[str, object]:
        """What the index manifest records, so an index built by another analyzer is refused."""
        digest = hashlib.sha256("\n".join(sorted(self._stopwords)).encode()).hexdigest()[:16]
        return {"name": ANALYZER_NAME, "version": ANALYZER_VERSION, "stopwords_sha256": digest}

    def tokens(self, text: str) -> list[Token]:
        """Index terms of ``text`` with the span of the original characters each came from."""
        out: list[Token] = []
        for match in _TOKEN_RE.finditer(text):
            term = self.term(match.group())
            if term:
                out.append(Token(term, match.start(), match.end()))
        return out

    def terms(self, text: str) -> list[str]:
        return [t.term for t in self.tokens(text)]

    def term_set(self, text: str) -> frozenset[str]:
        """The distinct terms of ``text``, read by the fast path (``words``, then ``term``): what ``terms`` finds."""
        return frozenset(term for term in map(self.term, self.words(text)) if term)

    def words(self, text: str) -> list[str]:
        """The raw words ``tokens`` reads from ``text``, in order, without spans: the index builder's fast
        path, which maps each distinct word to its term once (``term``).

        No token spans whitespace, so each whitespace-separated chunk is read on its own; a chunk that is
        all letters and digits once its outer punctuation is stripped is one word (the regex would find
        exactly it: a token starts on a word character and only an acronym's can hold a full stop), and
        only the other chunks go through the regex. Several times faster than the regex over the text.
        """
        words: list[str] = []
        for chunk in text.split():
            core = chunk.strip(_OUTER_PUNCTUATION)
            if core.isalnum():
                words.append(core)
            else:
                words.extend(_TOKEN_RE.findall(chunk))
        return words

    def term(self, word: str) -> str | None:
        """The index term for one raw word, or None for a stopword."""
        return self._term(word)

    def _term(self, word: str) -> str | None:
        folded = normalize(word)
        if not folded or folded in self._stopwords:
            return None
        return str(self._stemmer.stemWord(folded))
