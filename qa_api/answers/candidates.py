"""Candidate answers inside a sentence: dates, numbers and quantities, names, quoted phrases, reason clauses, and
for open questions the stretches of the sentence between the question's own words.

Each extractor is a general reader of English text, not a rule for a question shape: a date is a date whatever
is asked. ``candidates`` returns those of the kind the question wants.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

from qa_api.questions.reading import AnswerType


class Candidate(NamedTuple):
    start: int  # offsets into the sentence
    end: int
    kind: AnswerType
    cue: bool  # the text marks the kind (a title before a person, "in" before a place, "Ministry" in a body)


_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_YEAR = r"(?:1[5-9]|20)\d{2}"
_DATE = re.compile(
    rf"(?:(?:early|mid|late|the\s+end\s+of|the\s+start\s+of|the\s+beginning\s+of)[\s-]+)?{_MONTH}"
    rf"(?:\s+\d{{1,2}}(?:st|nd|rd|th)?(?!\d))?(?:,?\s+{_YEAR})?\b"
    rf"|\d{{1,2}}\s+{_MONTH}(?:,?\s+{_YEAR})?"
    rf"|(?:last|next|this|earlier\s+this|later\s+this)\s+(?:week|month|year|{_MONTH}|{_WEEKDAY}|spring|summer|autumn"
    rf"|fall|winter)|\b(?:yesterday|today|tonight)\b|(?:on\s+)?{_WEEKDAY}"
    rf"|(?:the\s+)?(?:(?:early|mid|late)[\s-]+)?(?:1[5-9]|20)\d0s\b|(?<![\w,.-]){_YEAR}\b(?![,.]?\d)")
_NUMBER_WORD = (r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|fifteen|twenty|thirty|forty|"
                r"fifty|sixty|hundred|dozen|dozens|hundreds|thousands|millions|several|a\s+few|first|second|third|"
                r"fourth|fifth|tenth|twentieth|fiftieth|hundredth)")
_QUANTITY = re.compile(
    r"(?:(?:more\s+than|over|about|nearly|almost|at\s+least|up\s+to|fewer\s+than|less\s+than|around|roughly|some"
    r"|an\s+estimated|approximately)\s+)?"
    rf"(?:[$€£]\s?)?(?:(?<![\w.-])\d(?:[\d,]*\d)?(?:\.\d+)?(?:st|nd|rd|th)?|\b{_NUMBER_WORD}(?:\s+{_NUMBER_WORD})?\b)"
    r"(?:[\s-]+(?:million|billion|trillion|thousand|hundred|percent|per\s+cent)|%)?"
    r"(?:[\s-]+(?!(?:and|or|of|the|to|in|on|at|by|for|with|that|which|who|is|was|are|were)\b)(?-i:[a-z]+)"
    r"(?:-[a-z]+)?)?",
    re.IGNORECASE)
_QUOTED = re.compile(r"[\"“]([^\"“”]{2,200}?)[,.!?]?[\"”]")
# A reason: a clause that gives one ("because ...", "in exchange for ..."), or a purpose ("to skirt sanctions",
# "necessary to safeguard ..."), or what a worry or an attempt is about ("concerns about ...", "attempts to ...").
_REASON = re.compile(r"\b(?:because(?:\s+of)?|due\s+to|owing\s+to|in\s+order\s+to|so\s+as\s+to|so\s+that|in\s+exchange"
                     r"\s+for|in\s+return\s+for|in\s+response\s+to|as\s+a\s+result\s+of|thanks\s+to|amid|given"
                     r"|about|over|with)\s+[^,.;:–—]{3,160}"
                     r"|\bto\s+(?!(?:the|a|an|its|their|his|her|this|that|be|which|whom)\b)[a-z]+\b[^,.;:–—]{0,160}",
                     re.IGNORECASE)
# Where a place is said in words: a compass point before a name ("eastern Ukraine"), or a noun for a place with its
# modifiers ("the North Korean capital", "the reviewing stand").
_PLACE_PHRASE = re.compile(r"\b(?:(?:north|south|east|west)(?:ern|-east|-west)?|central)\s+(?-i:[A-Z][\w’'-]*"
                           r"(?:\s+[A-Z][\w’'-]*)*)"
                           r"|\bthe\s+(?:[\w’'-]+\s+){0,3}?(?:capital|city|region|peninsula|border|coast|province|"
                           r"country|island|stand|venue|square|palace|port|base|front)\b", re.IGNORECASE)
# An organisation named with a lowercase head noun ("the UN security council", "the state news agency").
_ORG_PHRASE = re.compile(r"\b[A-Z][\w’'.-]*(?:\s+[a-z]+){0,2}\s+(?:council|agency|ministry|committee|commission|"
                         r"parliament|government|court|party|union|army|navy)\b")
_NAME = re.compile(r"[A-Z][\w’'.-]*(?:\s+(?:(?:of|the|de|al|bin|van|von|and|for)\s+)*[A-Z][\w’'.-]*)*")
# The names inside a run: split at "and", a comma, a possessive, or a capitalised little word, which in a Title Case
# headline is casing, not part of a name ("... Programs With Harvard University").
_PART = re.compile(r"(?!(?:With|In|On|At|To|For|Amid|Ahead|Across|After|Over|And|From|By|As|Of|The|Near|Into|"
                   r"Against|Despite)\b)[A-Z][\w.-]*(?:\s+(?:(?:of|the|de|al|bin|van|von|for)\s+)*"
                   r"(?!(?:With|In|On|At|To|For|Amid|Ahead|Across|After|Over|And|From|By|As|Of|The|Near|Into|Against"
                   r"|Despite)\b)[A-Z][\w.-]*)*")
_WORDS = re.compile(r"[\w’'-]+|[^\w\s]")
# Titles and offices before a person's name, and the nouns that head an organisation's: ordinary English words.
TITLES = frozenset(("admiral", "ambassador", "chair", "chairman", "chairwoman", "chief", "colonel", "commander",
    "comrade", "deputy", "director", "dr", "envoy", "general", "governor", "head", "judge", "king", "leader",
    "lieutenant", "marshal", "mayor", "minister", "mr", "mrs", "ms", "official", "premier", "president", "prince",
    "professor", "queen", "secretary", "senator", "spokesman", "spokesperson", "spokeswoman", "vice"))
_ORG_HEADS = frozenset(("agency", "army", "assembly", "association", "bank", "commission", "committee", "company",
    "congress", "corporation", "council", "court", "department", "embassy", "forces", "government", "group",
    "institute", "ministry", "navy", "news", "office", "organisation", "organization", "parliament", "party", "post",
    "press", "service", "times", "union", "university"))
_PLACE_BEFORE = frozenset(("across", "at", "from", "in", "inside", "into", "near", "outside", "to", "toward",
    "towards"))


@lru_cache(maxsize=65536)
def candidates(sentence: str, kind: AnswerType, stopwords: frozenset[str]) -> tuple[Candidate, ...]:
    """The candidate answers of one kind in ``sentence`` (kept: the same sentences come back question after
    question)."""
    dates = [(m.start(), m.end()) for m in _DATE.finditer(sentence)]
    if kind == AnswerType.DATE:
        out = [Candidate(s, e, kind, True) for s, e in dates]
    elif kind == AnswerType.NUMBER:
        out = [Candidate(m.start(), _trim(sentence, m.start(), m.end()), kind, True)
               for m in _QUANTITY.finditer(sentence) if not _inside(m.start(), m.end(), dates)]
    elif kind == AnswerType.QUOTE:
        out = [Candidate(m.start(1), m.end(1), kind, True) for m in _QUOTED.finditer(sentence)]
    elif kind == AnswerType.REASON:
        out = [Candidate(m.start(), _trim(sentence, m.start(), m.end()), kind, True)
               for m in _REASON.finditer(sentence)]
    elif kind in (AnswerType.PERSON, AnswerType.PLACE, AnswerType.ORGANIZATION):
        phrases = {AnswerType.PLACE: _PLACE_PHRASE, AnswerType.ORGANIZATION: _ORG_PHRASE}.get(kind)
        out = [Candidate(m.start(), m.end(), kind, True) for m in phrases.finditer(sentence)] if phrases else []
        out += [c for c in _names(sentence, stopwords, dates) if c.kind == kind]
    else:
        out = []
    return tuple(c for c in out if c.end > c.start)


def _names(sentence: str, stopwords: frozenset[str], dates: list[tuple[int, int]]) -> list[Candidate]:
    """Capitalised runs without the ordinary words that start a sentence, and the names a run joins with "and" or
    a possessive ("Japan’s Sanae Takaichi"). Each may be a person, a place or an organisation."""
    out = []
    for m in _NAME.finditer(sentence):
        parts = [(m.start(), m.end())] + [(p.start(), p.end()) for p in _PART.finditer(sentence, m.start(), m.end())
                                          if (p.start(), p.end()) != (m.start(), m.end())]
        for start, end in parts:
            # the name proper follows its last title ("Russian Defense Minister Sergei Shoigu")
            title = max((w.end() for w in re.finditer(r"[\w’'.-]+", sentence[start:end])
                         if w.group().casefold().strip(".") in TITLES), default=0)
            titled = title > 0
            start = _skip_space(sentence, start + title, end)
            while start < end and (word := re.match(r"[\w’'.-]+", sentence[start:end])) and (
                    word.group().casefold() in stopwords):
                start = _skip_space(sentence, start + word.end(), end)
            end = start + len(re.sub(r"(?:[’']s)?[.’'-]*$", "", sentence[start:end]))
            if end > start and not _inside(start, end, dates):
                out += _readings(sentence, start, end, titled)
    return out


def _readings(sentence: str, start: int, end: int, titled: bool) -> list[Candidate]:
    """A name as a person, a place and an organisation, each with whether the text around it says so."""
    words = [w.casefold().strip(".") for w in sentence[start:end].split()]
    before = [w.casefold() for w in re.findall(r"[\w’'-]+", sentence[max(0, start - 40):start])]
    titled = titled or bool(before and before[-1] in TITLES)
    org = words[-1] in _ORG_HEADS or bool(re.fullmatch(r"[A-Z]{2,6}", sentence[start:end]))
    place = bool(before and before[-1] in _PLACE_BEFORE)
    return [Candidate(start, end, AnswerType.PERSON, titled), Candidate(start, end, AnswerType.PLACE, place),
            Candidate(start, end, AnswerType.ORGANIZATION, org)]


def open_spans(sentence: str, asked: frozenset[str], term_of: Callable[[str], str | None]) -> list[Candidate]:
    """For an open question: the stretches of the sentence between punctuation and the question's own words, of
    two to eight words (the answer is what the sentence adds to what the question already says)."""
    out: list[Candidate] = []
    run: list[re.Match[str]] = []
    for m in [*_WORDS.finditer(sentence), None]:
        breaks = m is None or not m.group()[0].isalnum() or term_of(m.group()) in asked
        if breaks:
            while run and term_of(run[0].group()) is None:  # no stopword at either end
                run.pop(0)
            while run and term_of(run[-1].group()) is None:
                run.pop()
            if 2 <= len(run) <= 8:
                out.append(Candidate(run[0].start(), run[-1].end(), AnswerType.OTHER, False))
            run = []
        elif m is not None:
            run.append(m)
    return out


def _trim(sentence: str, start: int, end: int) -> int:
    return start + len(sentence[start:end].rstrip(" ,;:-–—"))


def _inside(start: int, end: int, spans: list[tuple[int, int]]) -> bool:
    return any(s <= start and end <= e for s, e in spans)


def _skip_space(text: str, i: int, end: int) -> int:
    while i < end and text[i].isspace():
        i += 1
    return i
