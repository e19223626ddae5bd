"""One reading of a question, made once: the kind of answer it wants, and the terms to look for.

The kind comes from the question word and the noun after it ("when", "how many", "which minister"): the
shapes every English question takes, not this corpus's. The terms are the analyzer's, without the cue that only
names the kind ("how many", "what year": the text never says them), plus WordNet's related words for the
question's ordinary words, at a lower weight.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from importlib import resources

from qa_api.retrieval.analysis import Analyzer

# What a passage earns for a related word, as a share of what the question's own word earns: measured on the
# tuning sets (docs/quality.md), 0.3 to 0.7 rank alike, 0.5 sits in the middle.
RELATED_WEIGHT = 0.5
# What the words of earlier turns weigh beside a follow-up's own ("what was his job title?" after "who led the
# delegation?"): measured on the dev conversations (docs/quality.md).
CONTEXT_WEIGHT = 0.3


class AnswerType(StrEnum):
    DATE = "date"
    NUMBER = "number"
    PERSON = "person"
    PLACE = "place"
    ORGANIZATION = "organization"
    QUOTE = "quote"
    REASON = "reason"
    YESNO = "yesno"
    OTHER = "other"


_NOUNS = r"(?:[\w’'-]+\s+){0,3}?"
_MEASURES = r"(?:many|much|long|old|far|often|big|large|high|fast|tall|deep|wide|heavy)"
_KINDS: tuple[tuple[AnswerType, re.Pattern[str]], ...] = tuple((kind, re.compile(pattern, re.I)) for kind, pattern in (
    (AnswerType.DATE, rf"(?:since\s+)?when\b|(?:what|which)\s+{_NOUNS}(?:year|month|day|date|time|period|era|"
                      r"decade|century|week)s?\b|how\s+long\s+ago\b"),
    (AnswerType.NUMBER, rf"how\s+{_MEASURES}\b|(?:what|which)\s+(?:number|percentage|amount|share|proportion|"
                        r"quantity|size|range|distance|anniversary|total)\b"),
    (AnswerType.PERSON, rf"(?:who|whom)\b|(?:which|what)\s+{_NOUNS}(?:person|people|official|leader|minister|"
                        r"president|spokes\w+|man|woman|general|member|chief|commander|envoy|diplomat|politician|"
                        r"head|ruler|secretary|ambassador|adviser|advisor)s?\b"),
    (AnswerType.PLACE, rf"where\b|(?:which|what)\s+{_NOUNS}(?:country|countries|city|cities|place|region|capital|"
                       r"town|province|nation|state|area|location|venue)s?\b"),
    (AnswerType.ORGANIZATION, rf"whose\b|(?:which|what)\s+{_NOUNS}(?:organi[sz]ation|agency|agencies|company|"
                              r"companies|party|group|institution|newspaper|outlet|ministry|department|body|media|"
                              r"university|bodies)s?\b"),
    (AnswerType.REASON, r"why\b|what\s+(?:is|was|were|are)\s+the\s+reasons?\b|for\s+what\s+(?:reason|purpose)\b"),
    (AnswerType.QUOTE, r"(?:what|how)\s+(?:did|does|do|has|have|had|was|were|is)\b.*\b(?:call|describ|label|term|"
                       r"dub|refer)\w*|(?:what|which)\s+(?:phrase|word|expression|slogan|term)s?\b"),
))
_YES_NO = re.compile(r"(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should)\b", re.I)
# The question proper starts at its first question word, wherever that is ("Kim praised soldiers involved in
# which operation?", "According to the White House, roughly how many ..."); "the name of X" asks for X.
_QUESTION_WORD = re.compile(r"\b(?:who|whom|whose|what|which|when|where|why|how)\b", re.I)
_NAME_OF = re.compile(r"^(?:what|which)(?:’s|'s|\s+is|\s+was|\s+are|\s+were)\s+the\s+names?\s+of\s+(?:the\s+)?",
                      re.I)
_LEAD_IN = re.compile(r"^\s*(?:(?:and|so|but|also|then|ok|okay)\b[\s,]*)+", re.I)
# The words that only name the kind of answer, with the question word and its auxiliary.
_CUE = re.compile(rf"^\s*(?:(?:in|on|at|to|for|from|during|by)\s+)?(?:how\s+{_MEASURES}|"
                  r"(?:what|which)\s+(?:kinds?\s+of|sorts?\s+of|types?\s+of|year|month|day|date|time|number|"
                  r"percentage|amount))\b", re.I)
_NAME = re.compile(r"(?<!^)(?<![.?!]\s)\b[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*")


@dataclass(frozen=True, slots=True)
class Reading:
    """What a question asks for, read once. ``terms`` are index terms in question order (BM25 scores exactly
    these); ``related`` are WordNet's related words, and ``context`` the terms of the turns a follow-up leans
    on, each with its weight; ``names`` are the terms of each capitalised name."""

    text: str
    answer_type: AnswerType
    terms: tuple[str, ...]
    related: tuple[tuple[str, float], ...]
    names: tuple[tuple[str, ...], ...]
    context: tuple[tuple[str, float], ...] = ()

    @property
    def query(self) -> dict[str, float]:
        """The weighted terms to search for: each question term once per use, the others at their weight."""
        weights: dict[str, float] = {}
        for term in self.terms:
            weights[term] = weights.get(term, 0.0) + 1.0
        for term, weight in (*self.context, *self.related):
            weights.setdefault(term, weight)
        return weights

    @property
    def known(self) -> frozenset[str]:
        """Every term the question (or its conversation) already says: an answer adds something else."""
        return frozenset(self.terms) | {t for t, _ in (*self.related, *self.context)}


def answer_type(question: str) -> AnswerType:
    """The kind of answer a question wants, from its question word and the noun after it."""
    question = _LEAD_IN.sub("", question)
    word = _QUESTION_WORD.search(question)
    opening = question[:word.start()] if word else question
    if _YES_NO.match(opening) or re.search(r",\s*" + _YES_NO.pattern, opening, re.I):
        return AnswerType.YESNO  # "Did Putin say what help ...?", "In his reply, did Kim ...?"
    if word is None:
        return AnswerType.OTHER
    asked = _NAME_OF.sub("which ", question[word.start():])
    return next((kind for kind, pattern in _KINDS if pattern.match(asked)), AnswerType.OTHER)


class QuestionReader:
    def __init__(self, analyzer: Analyzer) -> None:
        self.analyzer = analyzer
        self._base, self._related = related_terms(analyzer)

    def read(self, question: str, context: str = "") -> Reading:
        body = _LEAD_IN.sub("", question)
        cue = _CUE.match(body)
        content = body[cue.end():] if cue else body
        terms = tuple(self.analyzer.terms(content)) or tuple(self.analyzer.terms(question))
        names = tuple(t for t in (tuple(self.analyzer.terms(m.group())) for m in _NAME.finditer(body)) if t)
        in_names = {t for name in names for t in name}
        related = tuple(dict.fromkeys(
            (other, RELATED_WEIGHT) for token in self.analyzer.tokens(content) if token.term not in in_names
            for other in self._related_to(content[token.start:token.end], token.term) if other not in terms))
        earlier = tuple(dict.fromkeys((t, CONTEXT_WEIGHT) for t in self.analyzer.terms(context) if t not in terms))
        return Reading(question, answer_type(question), terms, related, names, earlier)

    def _related_to(self, word: str, term: str) -> tuple[str, ...]:
        """WordNet's related terms for a question word, when the word is its term's base word or inflects it:
        "national" stems like "nation" but does not mean it."""
        return self._related.get(term, ()) if self._base.get(term) in base_forms(word.casefold()) else ()


# WordNet's detachment rules (morphy): the endings an inflected word may drop to give its base form.
_INFLECTIONS = (("s", ""), ("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"),
                ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", ""),
                ("er", ""), ("est", ""), ("er", "e"), ("est", "e"), ("ied", "y"))


def base_forms(word: str) -> frozenset[str]:
    """The word and what it may inflect: "headed" gives "head", "speeches" "speech"."""
    forms = {word}
    for ending, replacement in _INFLECTIONS:
        if word.endswith(ending) and len(word) > len(ending) + 1:
            stem = word[:-len(ending)] + replacement
            forms.update({stem, stem[:-1]} if len(stem) > 2 and stem[-1] == stem[-2] else {stem})
    return frozenset(forms)


@lru_cache(maxsize=4)
def _related_table(analyzer_key: tuple[tuple[str, object], ...]) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    """WordNet's related words (``data/wordnet.txt``) as index terms, both ways, each term speaking through its
    base word (the shortest word stemmed to it: "day", not "days", whose sense of a lifetime it shares with
    "years")."""
    analyzer = Analyzer()
    text = resources.files("qa_api").joinpath("data/wordnet.txt").read_text(encoding="utf-8")
    rows = [line.split() for line in text.splitlines() if line and not line.startswith("#")]
    base: dict[str, str] = {}
    for word, *_ in rows:
        term = analyzer.term(word)
        if term is not None and len(word) < len(base.get(term, word + " ")):
            base[term] = word
    related: dict[str, set[str]] = {}
    for word, *others in rows:
        term = analyzer.term(word)
        if term is None or base[term] != word:
            continue
        for other in filter(None, map(analyzer.term, others)):
            if other != term:
                related.setdefault(term, set()).add(other)
                related.setdefault(other, set()).add(term)
    return base, {term: tuple(sorted(others)) for term, others in related.items()}


def related_terms(analyzer: Analyzer) -> tuple[dict[str, str], dict[str, tuple[str, ...]]]:
    return _related_table(tuple(sorted(analyzer.signature.items())))
