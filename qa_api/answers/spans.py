"""Spans of text by kind: sentences, and the candidate answers of each answer type inside a sentence.

Dates and numbers are found with patterns; names are runs of capitalised words, told apart (person, place,
organisation) by titles before them, by the alias table's kinds and by the words they contain.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import NamedTuple

from qa_api.questions.reading import AnswerType, base_forms, related_words

Span = tuple[int, int]


def _words(text: str) -> frozenset[str]:
    return frozenset(text.split())


class Candidate(NamedTuple):
    start: int
    end: int
    quality: float  # how sure the span is of its type, 0..1


_MONTH = r"(?:January|February|March|April|May|June|July|August|September|October|November|December)"
_WEEKDAY = r"(?:Monday|Tuesday|Wednesday|Thursday|Friday|Saturday|Sunday)"
_YEAR = r"(?:1[89]|20)\d{2}"
_NUMBER_WORD = (r"(?:one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|twenty|thirty|forty|fifty|"
                r"hundred|dozen|dozens|hundreds|thousands|millions)")
# An era is a date too: "the early years of the Cold War", "the final days of World War Two", "the late 1990s".
_ERA = re.compile(
    r"the\s+(?:early|late|first|last|final|closing|opening|initial)\s+(?:years|days|months|decades|weeks|stages)"
    r"\s+of\s+(?:the\s+)?[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*"
    r"|the\s+(?:(?:early|late|mid)[\s-]+)?(?:1[89]|20)\d0s\b")
ERA_QUALITY = 0.7  # an era answers "when" more loosely than a day or a year does
_DATE = re.compile(
    rf"(?:from|between)\s+{_YEAR}\s+(?:to|and|until)\s+{_YEAR}"
    rf"|(?:(?:early|mid|late|the end of|the start of|the beginning of)[\s-]+)?{_MONTH}"
    rf"(?:\s+\d{{1,2}}(?:st|nd|rd|th)?(?!\d))?(?:,?\s+{_YEAR})?\b"
    rf"|\d{{1,2}}\s+{_MONTH}(?:\s+{_YEAR})?"
    rf"|(?:last|next|this)\s+(?:week|month|year|{_MONTH}|{_WEEKDAY})"
    rf"|(?:the\s+)?(?:following|next|previous|same)\s+(?:day|week|month|year|morning|evening)"
    rf"|\b(?:yesterday|today|tonight)\b"
    rf"|{_WEEKDAY}"
    rf"|(?<![\w-]){_YEAR}s?\b"
)
_NUMBER = re.compile(
    r"(?:(?:more than|over|about|nearly|almost|at least|up to|fewer than|less than|around|roughly|some)\s+)?"
    rf"(?:\$\s?)?(?:(?<![\w-])\d[\d,]*(?:\.\d+)?(?:st|nd|rd|th)?|\b{_NUMBER_WORD}(?:\s+{_NUMBER_WORD})?\b)"
    r"(?:[\s-]+(?:million|billion|thousand|hundred|percent|per cent|%))?"
    r"(?:[\s-]+(?:year|month|week|day|hour|minute)s?\b)?",
    re.IGNORECASE,
)
_QUOTED = re.compile(r"[\"“]([^\"“”]{1,200}?)[,.]?[\"”]")
_CALLED = re.compile(r"\b(?:call(?:ing|ed|s)?|label(?:l?ed|s)?|describ(?:ing|ed|es)|dubb?(?:ed|ing)?|term(?:ed)?)"
                     r"\s+(?:them|him|her|it|this|that)?\s*(?:as\s+)?([\w’' -]+?)(?=\s+(?:and|against|for)\b|[,.;]|$)")
_REASON = re.compile(r"\b(?:because(?: of)?|due to|in order to|so as to|so that|since|(?<=necessary )to|"
                     r"(?<=attempt )to|(?<=bid )to|(?<=effort )to|(?<=aim )to|(?<=order )to)\s+[^,.;–—]{3,120}")
# Reasons given as a phrase rather than a clause (``grounds``); "given" only where it opens a phrase
# (", given X"), not as a verb ("was given a medal").
_GROUNDS = re.compile(r"(?:(?:^|[,;–—]\s*)given|\bowing\s+to|\bin\s+light\s+of|\bin\s+view\s+of|\bthanks\s+to"
                      r"|\bas\s+a\s+result\s+of|\bamid)\s+(?!that\b)", re.I)
_WORD = re.compile(r"[\w’'-]+|[^\w\s]")
_CAPITAL_RUN = re.compile(r"[A-Z][\w’'.-]*(?:\s+(?:(?:of|the|de|al|bin|van|von|for|and|in)\s+)?[A-Z][\w’'.-]*)*")
_SENTENCE_END = re.compile(r"(?<!\b[A-Z])(?<!\b[A-Z]\.[A-Z])(?<!\bDr)(?<!\bMr)(?<!\bMs)(?<!\bMrs)(?<!\bSt)"
                           r"(?<!\bGen)[.!?][\"'”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9])")

TITLES = _words("""
president minister deputy defense defence foreign prime secretary general gen. chairman leader member
spokesperson spokesman spokeswoman official comrade mr. ms. mrs. dr. senator ambassador judge chief commander
envoy director head politburo mayor master governor vice lieutenant colonel admiral marshal premier king queen
""")
_ORG_WORDS = _words("""
agency party council university embassy ministry department office committee commission bank company
corporation news union organization organisation army navy force forces house assembly parliament congress
court institute association group times post press service
""")
_PLACE_WORDS = _words("""
embassy city province region state county capital island peninsula border coast valley river mountain town
village port harbour district
""")
_NOT_A_NAME = _words("""
the a an in on at of to for by with and or but as it its this that these those there their his her he she they
we only although though during after before while when where which who what why how however earlier later also
some many more most such speaking images reports
""")


_BREAKS_ORG = _NOT_A_NAME - _words("the of for")


def sentence_spans(text: str) -> list[Span]:
    """(start, end) of each sentence in ``text``; abbreviations such as "U.S." do not end one."""
    spans: list[Span] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        end = m.end() - (len(m.group()) - len(m.group().rstrip()))
        spans.append((start, end))
        start = m.end()
    if start < len(text):
        spans.append((start, len(text.rstrip())))
    return [(s + len(text[s:e]) - len(text[s:e].lstrip()), e) for s, e in spans if text[s:e].strip()]


def words(text: str) -> list[Span]:
    return [(m.start(), m.end()) for m in _WORD.finditer(text)]


def typed_candidates(answer_type: AnswerType, body: str, kind_of: Callable[[str], str | None]) -> list[Candidate]:
    """Spans of ``body`` that could answer a question of ``answer_type`` (empty for open types)."""
    if answer_type == AnswerType.DATE:
        return ([Candidate(m.start(), m.end(), 1.0) for m in _DATE.finditer(body)]
                + eras(body))
    if answer_type == AnswerType.NUMBER:
        return [Candidate(m.start(), m.end(), 1.0) for m in _NUMBER.finditer(body)
                if not re.fullmatch(r"\s*", m.group())]
    if answer_type == AnswerType.QUOTE:
        called = [Candidate(m.start(1), m.end(1), 1.0) for m in _CALLED.finditer(body) if m.group(1).strip()]
        return called + [Candidate(m.start(1), m.end(1), 0.9) for m in _QUOTED.finditer(body)]
    if answer_type == AnswerType.REASON:
        return [Candidate(m.start(), _first_purpose(body, m.start(), m.end()), 1.0)
                for m in _REASON.finditer(body)]
    if answer_type == AnswerType.PERSON:
        return persons(body, kind_of)
    if answer_type == AnswerType.PLACE:
        return names_of_kind(body, kind_of, "place") + place_phrases(body)
    if answer_type == AnswerType.ORGANIZATION:
        return names_of_kind(body, kind_of, "org")
    return []


def eras(body: str) -> list[Candidate]:
    """Periods named rather than dated ("the early years of the Cold War", "the 1950s")."""
    return [Candidate(m.start(), m.end(), ERA_QUALITY) for m in _ERA.finditer(body)]


def grounds(body: str) -> list[Candidate]:
    """Reasons given as a phrase after "given", "owing to", "amid" ...: the phrase, to its clause's end. Answers
    weigh them beside the reason clauses of ``typed_candidates``; ranking's answer-type check does not."""
    return [Candidate(*phrase_at(body, m.end(), stop_at_prepositions=False), 1.0) for m in _GROUNDS.finditer(body)]


def _first_purpose(body: str, start: int, end: int) -> int:
    """Where a reason ends when a second purpose follows it ("to skirt sanctions to secure weapons"): the
    first is the answer, the next says what that one is for."""
    words = re.match(r"\S+(?:\s+\S+){2}", body[start:end])  # the clause's own opening and some words
    if words is None:
        return end
    after = start + words.end()
    second = re.search(r"\s+to\s+(?!(?:the|a|an|its|their|his|her|this|that|be)\b)[a-z]", body[after:end])
    return after + second.start() if second else end


# A capitalised preposition inside a run is a headline's casing, not part of a name: "... Damage In
# Belgorod Region Near Ukraine Border" holds three names.
_HEADLINE_BREAK = re.compile(r"\s+(?:In|On|At|To|From|With|Near|Amid|As|For|Over|After|Before|Against|Into|"
                             r"Despite|Across|By|During|Following|Among|Toward|Towards|Without|Ahead\s+[Oo]f)\s+")


def name_runs(body: str) -> list[Span]:
    """Runs of capitalised words, without the ordinary words that start a sentence; in a Title Case headline,
    without its verbs either."""
    runs = []
    headline = title_case_line(body)
    for m in _CAPITAL_RUN.finditer(body):
        cursor = m.start()
        breaks = [b.span() for b in _HEADLINE_BREAK.finditer(body, m.start(), m.end())]
        if headline:
            breaks = sorted(breaks + _headline_verbs(body, m.start(), m.end())
                            + [p.span() for p in _POSSESSIVE.finditer(body, m.start(), m.end())])
        for brk_start, brk_end in [*breaks, (m.end(), m.end())]:
            start, end = _without_opening_words(body, cursor, brk_start)
            if start < end:
                runs.append((start, end))
            cursor = _skip_space(body, brk_end, m.end())
    return runs


def _without_opening_words(body: str, start: int, end: int) -> Span:
    while start < end:
        word = re.match(r"[\w’'.-]+", body[start:end])
        if word is None or word.group().casefold() not in _NOT_A_NAME:
            break
        start = _skip_space(body, start + word.end(), end)
    return start, start + len(body[start:end].rstrip(".’'-"))


# A Title Case line capitalises every word but these, so its capitalised runs are not names by themselves.
_LOWER_IN_TITLES = _words("a an the of and or but for nor to in on at by with as from vs via")
# A headline's verb: "Steps", "Endorses", "Challenging" before more of the line ("Limits" at its end is a
# noun), an English word with its ending, which "Tomas", "Jones" or "Jinping" is not.
_HEADLINE_VERB = re.compile(r"[A-Z][a-z]+(?:(?<![sui’'])s|ing)\b(?=\s+\S)")
_POSSESSIVE = re.compile(r"[’']s\b\s*")
HEADLINE_GUESS = 0.5  # a headline's capitalised piece in no person's place: a name only when nothing else is


@lru_cache(maxsize=1)
def _english_words() -> frozenset[str]:
    return frozenset(word for word, _ in related_words())


def _inflects_a_word(word: str) -> bool:
    folded = word.casefold()
    return any(form in _english_words() for form in base_forms(folded) - {folded})


def title_case_line(body: str) -> bool:
    """Whether ``body`` is a headline set in Title Case ("Minister Steps Down Amid Budget Row")."""
    content = [w for w in re.findall(r"[A-Za-z][\w’'.-]*", body) if w.casefold() not in _LOWER_IN_TITLES]
    return (len(content) >= 4 and not body.rstrip().endswith(".")
            and sum(w[0].isupper() for w in content) >= 0.9 * len(content))


def _headline_verbs(body: str, start: int, end: int) -> list[Span]:
    """Where a headline's verbs sit between ``start`` and ``end``, with the space before them."""
    return [(len(body[:m.start()].rstrip()), m.end()) for m in _HEADLINE_VERB.finditer(body, start)
            if m.end() <= end and _inflects_a_word(m.group())]


def _where_a_person_is(body: str, start: int, end: int) -> bool:
    """Whether a headline's name run sits where a person does: right before the verb ("Rubio Steps Down"),
    or before or after a possessive ("Novak’s Water Plan", "Japan’s Sanae Takaichi")."""
    verbs = _headline_verbs(body, end, len(body))
    return ((bool(verbs) and verbs[0][0] == end) or _POSSESSIVE.match(body, end) is not None
            or re.search(r"[’']s\s+$", body[:start]) is not None)


_CALENDAR_WORD = re.compile(rf"{_MONTH}|{_WEEKDAY}")


def persons(body: str, kind_of: Callable[[str], str | None]) -> list[Candidate]:
    """Names of people: the words after the last title ("Deputy Defense Minister Alexei Krivoruchko");
    names of places and bodies are not people. In a Title Case headline a person is a piece of two or three
    words before its verb or after a possessive ("Premier’s Aide Jo Lind Quits"); other pieces are weak guesses."""
    if not title_case_line(body):
        return _persons_in(body, kind_of, name_runs(body))
    pieces = [(c, _where_a_person_is(body, *run) and len(body[c.start:c.end].split()) <= 3)
              for run in name_runs(body) for c in _persons_in(body, kind_of, [run])]
    if any(placed for _, placed in pieces):
        return [c for c, placed in pieces if placed]
    return [c._replace(quality=c.quality * HEADLINE_GUESS) for c, _ in pieces]


def _persons_in(body: str, kind_of: Callable[[str], str | None], runs: list[Span]) -> list[Candidate]:
    out = []
    for start, end in runs:
        for part_start, part_end in split_run(body, start, end):
            titled = _preceded_by_title(body, part_start)
            last_title = max((w.end() for w in re.finditer(r"[\w’'.-]+", body[part_start:part_end])
                              if w.group().casefold() in TITLES), default=0)
            if last_title:
                titled = True
                part_start = _skip_space(body, part_start + last_title, part_end)
            name = body[part_start:part_end]
            tokens = name.split()
            if not tokens or kind_of(name) or any(t.casefold() in _ORG_WORDS for t in tokens):
                continue
            if len(tokens) == 1 and not titled and _CALENDAR_WORD.fullmatch(name):
                continue  # "May 9", "on Monday": a month or a day, not a person
            quality = 0.6 + 0.2 * (len(tokens) >= 2) + 0.2 * titled
            out.append(Candidate(part_start, part_end, quality))
    return out


# "UN security council", "the state news agency": lowercase words up to an organisation's head noun.
ORG_HEADS = _words("""
agency party council committee commission ministry department court union bank assembly office army navy
parliament government authority board
""")
_ORG_TAIL = re.compile(r"(?:\s+(?!(?:of|the|and|or|to|in|on|at|by|for|with|as|was|is|has|had)\b)"
                       r"[a-z][\w-]*(?<!ed)){0,2}?\s+(?:" + "|".join(sorted(ORG_HEADS)) + r")\b")


def org_names(body: str, runs: list[Span]) -> list[Span]:
    """Capitalised runs cut into whole names of organisations: a piece of a run between ordinary words
    ("... Shoigu and Chinese Communist Party Politburo"), cut after its last head noun ("Chinese Communist
    Party"), or carried on to a lowercase head ("UN security council")."""
    out = []
    for start, end in runs:
        cursor = start
        for word in [*re.finditer(r"[\w’'.-]+", body[start:end]), None]:
            if word is not None and word.group().casefold() not in _BREAKS_ORG:
                continue
            piece_end = start + word.start() if word is not None else end
            out += _org_piece(body, cursor, len(body[:piece_end].rstrip()))
            cursor = _skip_space(body, start + word.end(), end) if word is not None else end
    return [(s, e) for s, e in out if e > s]


def _org_piece(body: str, start: int, end: int) -> list[Span]:
    tail = _ORG_TAIL.match(body, end)
    if tail:
        return [(start, tail.end())]
    heads = [start + w.end() for w in re.finditer(r"[\w’'.-]+", body[start:end])
             if w.group().casefold().strip(".") in _ORG_WORDS | ORG_HEADS]
    if heads and heads[-1] < end:
        return [(start, heads[-1]), (_skip_space(body, heads[-1], end), end)]
    return [(start, end)]


def is_org_name(name: str) -> bool:
    """Whether a name ends in an organisation's head noun ("Korean Central News Agency")."""
    words = name.split()
    return bool(words) and words[-1].casefold().strip(".") in _ORG_WORDS | ORG_HEADS


def names_of_kind(body: str, kind_of: Callable[[str], str | None], kind: str) -> list[Candidate]:
    out = []
    runs = name_runs(body)
    if kind == "org":
        runs = org_names(body, runs)
    for start, end in runs:
        name = body[start:end]
        tokens = [t.casefold().strip(".") for t in name.split()]
        known = kind_of(name)
        before = body[max(0, start - 4):start].strip().casefold()
        if kind == "org":
            cue = (any(t in _ORG_WORDS | ORG_HEADS for t in tokens) or bool(re.fullmatch(r"[A-Z]{2,}", name))
                   or known == "org")
        else:
            cue = (before in ("in", "at", "to", "from") or any(t in _PLACE_WORDS for t in tokens)
                   or any(kind_of(w) == "place" for w in name.split()) or known == "place")
        if known and known != kind and not cue:
            continue
        quality = 1.0 if cue else 0.6
        if _is_modifier(body, start, end):
            quality *= 0.5  # "the Russian annexations": a demonym, not a place
        out.append(Candidate(start, end, quality))
    return out


# Where a place is named without a name: the object of a verb of motion, or of a preposition of place when
# it ends in a noun for a place ("arrived in the northern port city", "visited the capital").
_TO_A_PLACE = re.compile(r"\b(?:(?P<verb>visit(?:s|ed|ing)?|(?:arriv(?:e|es|ed|ing)|land(?:s|ed|ing)?)\s+(?:in|at)"
                         r"|(?:travel(?:s|led|ed|ling|ing)?|went|goes|going|flew|fl(?:y|ies|ying)|return(?:s|ed|ing)?"
                         r"|headed|moved)\s+to)|in|at|to|near|inside)\s+", re.IGNORECASE)


def place_phrases(body: str) -> list[Candidate]:
    """Common-noun places: "the North Korean capital" after "visited", "a border town" after "in"."""
    out = []
    for m in _TO_A_PLACE.finditer(body):
        start, end = phrase_at(body, m.end(), stop_at_prepositions=True)
        words = [w.casefold() for w in re.findall(r"[\w’'-]+", body[start:end])]
        if not words or len(words) > 6 or _DATE.match(body, start):
            continue
        if words[-1] in _PLACE_WORDS:
            out.append(Candidate(start, end, 1.0))
        elif m.group("verb") and not body[start:start + 1].isupper():
            out.append(Candidate(start, end, 0.7))
    return out


_COMPASS = r"(?:(?:north|south)(?:[\s-]?(?:east|west))?|east|west|northern|southern|eastern|western|central)"
# One place of a coordination: a name ("Europe"), a name with a compass point ("north-east Asia", "South
# Asia"), or a noun for a place with its modifiers ("the Korean peninsula", "the border region").
_PLACE_ITEM = (rf"(?:the\s+)?(?:(?i:{_COMPASS})[\s-]+)?(?:[A-Z][\w’'-]*\s+){{0,3}}"
               rf"(?:[A-Z][\w’'-]*|(?i:{'|'.join(sorted(_PLACE_WORDS))})s?)\b")
# Where something happens is the object of a preposition: "in both Europe and ...", "of the Korean peninsula
# and ..."; a list before a verb ("Russia and North Korea would ...") is who acts, already a name.
_PLACE_LIST = re.compile(rf"\b(?i:in|of|across|throughout|to|at|between|within|around|from|into|over|near|on)\s+"
                         rf"(?:(?i:both|either)\s+)?(?P<list>{_PLACE_ITEM}(?:,\s+{_PLACE_ITEM})*,?\s+(?:and|or)\s+"
                         rf"{_PLACE_ITEM})")
_PLACE_LIST_ITEM_BREAK = re.compile(r",\s+(?:and\s+|or\s+)?|\s+(?:and|or)\s+")
_PLACE_ITEM_OPENING = re.compile(rf"^(?:the\s+)?(?:(?i:{_COMPASS})[\s-]+)?")  # "the", a compass point


def place_lists(body: str, kind_of: Callable[[str], str | None]) -> list[Candidate]:
    """Places named together after a preposition ("in Europe and the Korean Peninsula", "of the Korean
    peninsula and north-east Asia"):
    the answer is the whole list when every item is a place. A question's word inside it is the place's own
    ("Korean" for "Pyongyang"), so the list is not cut there."""
    out = []
    for m in _PLACE_LIST.finditer(body):
        items = _PLACE_LIST_ITEM_BREAK.split(m.group("list"))
        if all(_is_place(item, kind_of) for item in items):
            out.append(Candidate(m.start("list"), m.end("list"), 1.0))
    return out


def _is_place(item: str, kind_of: Callable[[str], str | None]) -> bool:
    words = item.split()
    named = _PLACE_ITEM_OPENING.sub("", item)
    return (words[-1].casefold().rstrip("s") in _PLACE_WORDS or kind_of(named) == "place"
            or (named != item.removeprefix("the ") and named[:1].isupper()))


def _is_modifier(body: str, start: int, end: int) -> bool:
    before = re.findall(r"[\w’'-]+", body[max(0, start - 6):start])
    after = re.match(r"\s+([a-z][\w-]*)", body[end:])
    return bool(before) and before[-1].casefold() in ("the", "a", "an") and after is not None \
        and after.group(1) not in _NOT_A_NAME


def split_run(body: str, start: int, end: int, joiners: str = "and|in") -> list[Span]:
    """A name run cut at the lowercase words that join names in it ("Kim Jong Un and Defense Minister Shoigu")."""
    parts, cursor = [], start
    for m in re.finditer(rf"\s+(?:{joiners})\s+", body[start:end]):
        parts.append((cursor, start + m.start()))
        cursor = start + m.end()
    parts.append((cursor, end))
    return parts


def _preceded_by_title(body: str, start: int) -> bool:
    before = re.findall(r"[\w’'.-]+", body[max(0, start - 40):start])
    return bool(before) and before[-1].casefold() in TITLES


def _skip_space(body: str, i: int, end: int) -> int:
    while i < end and body[i].isspace():
        i += 1
    return i


# Where a noun phrase ends: clause punctuation, a dash, or a word that starts a new clause.
_CLAUSE_STOP = re.compile(r"[,;:()\"“”–—!?]|\.(?=\s|$)|\s-\s|\b(?:although|though|while|but|which|who|whose|that|"
                          r"because|amid|despite|should|if|when|whereas|after|before|said|says)\b", re.IGNORECASE)
_PREPOSITION = re.compile(r"\s(?:in|on|at|for|from|with|by|to|about|into|during|against|over|under|since|as|"
                          r"without|between|through|across|alongside|near|inside|outside)\b", re.IGNORECASE)
_LIST_CUE = re.compile(r"\b(?:such as|including|in particular|namely|especially|notably)\s+", re.IGNORECASE)
_APPOSITIVE = re.compile(r"([A-Z][\w’'-]*(?:\s+[A-Z0-9][\w’'-]*)*),\s+(?:a|an|the|its|their)\s+(?:[\w’'-]+\s+){0,3}$")
_COPULA_WORD = re.compile(r"\b(?:is|are|was|were)\b")
_OPENING = re.compile(r"(?:\s|[\"“‘'])*")
_VERB_BEFORE = _words("to will would can could may might must should and not also he she it they who that")


_QUOTATION = re.compile(r"\s*“[^”]{1,80}”")


def phrase_at(body: str, start: int, *, stop_at_prepositions: bool) -> Span:
    """The phrase starting at ``start``, up to the end of its clause (or its first preposition)."""
    start = _OPENING.match(body, start).end()  # type: ignore[union-attr]  # the pattern matches empty
    stop = _CLAUSE_STOP.search(body, start)
    end = stop.start() if stop else len(body)
    if stop_at_prepositions:
        prep = _PREPOSITION.search(body, start, end)
        end = prep.start() if prep else end
    quoted = _QUOTATION.match(body, end)
    if quoted and re.search(r"[\w’']$", body[start:end].rstrip()):
        end = quoted.end()  # "his regime’s “full support”": a quotation inside a noun phrase
    return start, start + len(body[start:end].rstrip())


def instances(body: str, heads: list[Span], known: Callable[[int, int], bool]) -> list[Candidate]:
    """Phrases that name instances of a noun found at ``heads``: "weapons ..., in particular X and Y",
    "X, a solid-fuel ICBM", "Soviet soldiers", "liquid-fueled", "the anniversary of X".
    ``known`` tells whether a span only repeats the question's own words, in its order (not an answer)."""
    out: list[Candidate] = []
    for hs, he in heads:
        cue = _LIST_CUE.search(body, he, min(len(body), he + 80))
        if cue:
            out.append(Candidate(*phrase_at(body, cue.end(), stop_at_prepositions=False), 1.0))
        appositive = _APPOSITIVE.search(body[:hs])
        if appositive:
            out.append(Candidate(appositive.start(1), appositive.end(1), 1.0))
        modifier = re.search(r"([\w’'-]+)[\s-]$", body[:hs])
        if modifier and modifier.group(1).casefold() not in _NOT_A_NAME and not known(modifier.start(1), he):
            # "the Hwasong-17, a liquid-fueled ICBM": the description belongs to the name before it
            described = _APPOSITIVE.search(body[:modifier.start(1)])
            quality = 1.0 if described and known(*described.span(1)) else 0.8
            out.append(Candidate(_names_before(body, modifier.start(1)), he, quality))
        if body.startswith(" of ", he):
            out.append(Candidate(hs, phrase_at(body, he + 4, stop_at_prepositions=False)[1], 0.7))
    return out


def _names_before(body: str, start: int) -> int:
    """Where a modifier's noun phrase begins: over capitalised words ("North Korean" before "workers"), and
    over lowercase ones only up to a determiner or preposition that opens the phrase ("of security council
    sanctions"; not "sent council sanctions", where the word may be a verb)."""
    while m := re.search(r"([A-Z][\w’'-]*)\s+$", body[:start]):
        if m.group(1).casefold() in _NOT_A_NAME or m.group(1).casefold() in TITLES:
            break
        start = m.start(1)
    opened = re.search(r"(?:^|[,;:(“]|\b(?:the|a|an|of|for|in|on|at|to|with|by|from|its|their|his|her|our)\s)"
                       r"([a-z][\w’'-]*\s+)$", body[:start])
    if opened and not any(w in _NOT_A_NAME for w in opened.group(1).split()):
        start = opened.start(1)
    return start


def copula_other_side(body: str, matched: list[Span]) -> list[Candidate]:
    """For "What is X?": the phrase across "is" from where the sentence says X."""
    out = []
    for m in _COPULA_WORD.finditer(body):
        left = sum(1 for s, _ in matched if s < m.start())
        right = len(matched) - left
        if right > left:
            segment = re.search(r"[^,;:–—]*\w[^,;:–—]*", body[:m.start()])  # the subject, before any aside
            if segment:
                out.append(Candidate(segment.start(), segment.end(), 1.0))
        elif left > right:
            out.append(Candidate(*phrase_at(body, m.end(), stop_at_prepositions=False), 1.0))
    return out


def object_after(body: str, verb: Span, matched: list[Span], quality: float = 1.0) -> Candidate | None:
    """The object of a verb of the question found in the sentence: "to offer food – amid ..." -> "food";
    "commits Moscow to providing assistance should ..." -> "providing assistance"."""
    start, end = verb
    before = re.findall(r"[\w’'-]+", body[max(0, start - 12):start])
    word = body[start:end].casefold()
    verb_like = (bool(before) and before[-1].casefold() in _VERB_BEFORE) or word.endswith(("ing", "ed"))
    if not verb_like:
        return None
    i = end
    following = next((s for s in matched if s[0] > end
                      and re.fullmatch(r"\s+(?:(?:the|a|an|its|their|his|her)\s+)?", body[end:s[0]])), None)
    if following is not None:
        i = following[1]  # the question's own object ("commits Moscow to ..."): the answer comes after it
    to = re.match(r"\s+(?:to|with)\b", body[i:])
    if to:
        i += to.end()
    span = phrase_at(body, i, stop_at_prepositions=True)
    return Candidate(*span, quality) if span[1] > span[0] else None
