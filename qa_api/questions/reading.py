"""Question understanding: what kind of answer a question wants, and which index terms (and aliases) to look for.

A question is read in four steps, all from its wording alone:

1. its expected answer type ("When ..." wants a date, "Who ..." a person; ``classify``);
2. the interrogative cue that only states that type ("how many", "what kind of", "which year") is dropped
   from the terms searched, since the article does not contain it;
3. words and names with aliases in ``data/synonyms.txt`` ("Pyongyang" for North Korea, "pact" for treaty)
   become concepts that a passage may match through any of their phrases;
4. the remaining words, outside names, get WordNet's related words (``data/wordnet.txt``: "basis" for
   "foundation"), which rank passages but do not count as the question's words in an answer's sentence.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache
from importlib import resources

from qa_api.retrieval.analysis import Analyzer, normalize

# How much a passage earns for an alias, relative to the question's own word. Chosen by measurement on the
# dev set (README, "Quality"): abbreviations of organisations and near-synonyms help; spellings/irregular forms
# and place aliases (capital for country, demonyms) lowered Recall on it, so they only name kinds of spans.
# "related" is WordNet's (data/wordnet.txt), not listed in synonyms.txt: measured over all five eval sets, 0.5
# ranked best (0.3 ranked the paraphrased passages lower, 0.7 lost two from the top five).
ALIAS_WEIGHTS = {"form": 0.0, "place": 0.0, "org": 0.8, "word": 0.5, "related": 0.5}
LISTED_KINDS = ("form", "place", "org", "word")


class AnswerType(StrEnum):
    DATE = "date"
    PERSON = "person"
    NUMBER = "number"
    PLACE = "place"
    ORGANIZATION = "organization"
    QUOTE = "quote"
    REASON = "reason"
    YESNO = "yesno"
    OTHER = "other"


_TYPE_RULES: tuple[tuple[re.Pattern[str], AnswerType], ...] = tuple(
    (re.compile(p, re.IGNORECASE), t) for p, t in (
        (r"^\s*(?:when|what (?:year|month|day|date|time)|(?:in|on|during) (?:what|which) (?:year|month|day|date)"
         r"|which (?:year|month|day|date)s?|(?:in |during )?(?:what|which) (?:years|period|era|decade|century)"
         r"|since when|how long ago)\b",
         AnswerType.DATE),
        (r"^\s*(?:how (?:many|much|long|old|far|often|big|large)|what (?:number|percentage|amount|share)"
         r"|which anniversary)\b|\bin (?:km|kilomet(?:er|re)s|miles|metres|meters|tons|tonnes|percent|dollars|euros)"
         r"\W*$", AnswerType.NUMBER),
        (r"^\s*(?:who|whom|whose)\b|^\s*(?:which|what) (?:\w+ )?(?:official|person|people|leader|minister|"
         r"president|spokesperson|spokesman|man|woman|general|member|chief|commander|envoy|diplomat|politician|"
         r"lawmaker|legislator|activist|journalist)\b", AnswerType.PERSON),
        (r"^\s*where\b|^\s*(?:which|what|in which|in what|to which|to what) (?:\w+ )?(?:country|countries|city|"
         r"cities|state|states|place|region|capital|town|province|nation|nations)\b"
         # the question word last ("... strengthen stability where?", "... more complicated in which regions?")
         r"|\bwhere\s*\?\s*$|\b(?:in|to|from|across)\s+(?:which|what)\s+(?:\w+\s+)?(?:countries|country|cities|"
         r"city|states|regions?|areas?|places?|capitals?|provinces?|nations?)\s*\?\s*$", AnswerType.PLACE),
        (r"^\s*(?:which|what) (?:\w+ )?(?:organi[sz]ations?|agency|agencies|company|companies|party|group|"
         r"institution|university|newspaper|outlet|ministry|department|body)\b", AnswerType.ORGANIZATION),
        (r"^\s*why\b|\bwhat (?:is|was) the reason\b|\bfor what (?:reason|purpose)\b"
         # "what makes analysts think ...": what the text gives as grounds for the belief
         r"|^\s*what\s+(?:makes?|made|leads?|led|prompts?|prompted)\s+(?:[\w’'-]+\s+){1,4}?(?:to\s+)?"
         r"(?:think|believe|expect|suspect|conclude|fear|say)\b", AnswerType.REASON),
        (r"^\s*(?:what|how) (?:did|does|do|has|have|had|was|were|is)\b.*\b(?:call|called|describe|described|"
         r"label|labelled|labeled|term|termed|dub|dubbed)\b", AnswerType.QUOTE),
        # "What phrase did X use for Y?": the words themselves, which an article quotes
        (r"^\s*(?:what|which)\s+(?:phrases?|words?|expressions?|slogans?)\s+(?:did|does|do|has|have|had|was|were"
         r"|is|are)\b", AnswerType.QUOTE),
        (r"^\s*(?:is|are|was|were|do|does|did|has|have|had|can|could|will|would|should)\b", AnswerType.YESNO),
    )
)

_LEADING_CLAUSE = re.compile(r"^[^,?]*,\s*(?=(?:who|whom|whose|what|which|when|where|why|how|(?:in|to|from|on) "
                             r"(?:which|what))\b)", re.IGNORECASE)

# Leading words that only name the answer type: the article says "16-month war", never "how long".
_CUE = re.compile(
    r"^\s*(?:(?:in|on|during|at|to|for) )?(?:"
    r"how (?:many|much|long|old|far|often|big|large)"
    r"|(?:what|which) (?:kind|kinds|sort|sorts|type|types) of"
    r"|(?:what|which) (?:phrases?|words?|expressions?|slogans?)(?= (?:did|does|do|has|have|had|was|were|is|are)\b)"
    r"|(?:what|which) (?:year|years|month|months|day of the week|day|date|time|number|percentage|amount"
    r"|period|era|decade|century)"
    r")\b",
    re.IGNORECASE,
)


# "what/which [kind of] <words> <auxiliary>": the last of the words is the head noun asked about.
_FOCUS = re.compile(
    r"\b(?:what|which)\s+(?:(?:kind|kinds|sort|sorts|type|types)\s+of\s+)?((?:[\w-]+\s+){0,2}?[\w-]+)"
    r"(?=\s+(?:is|was|are|were|did|does|do|has|have|had|will|would|could|can)\b)"
    r"|\b(?:what|which)\s+(?:(?:kind|kinds|sort|sorts|type|types)\s+of\s+)?([\w-]+)",
    re.IGNORECASE,
)
_NAME = re.compile(r"\b[A-Z][\w’'-]*(?:\s+[A-Z][\w’'-]*)*")
_NOUN_BEFORE = frozenset(re.findall(r"\w+", "the a an its his her their this that these those of for in on at to "
                                             "from with by about what which"))
_NOT_FOCUS = frozenset(re.findall(r"\w+", "is was are were did does do has have had will would could can"))
# A preposition left without its object: at the end ("... as symbols of?"), before a clause of its own
# ("... respond with if ...") or before another preposition ("celebrated as in May?"). The word before it
# names where the object sits in the text.
_DANGLING = re.compile(r"([\w’'-]+)\s+(of|with|to|for|as|about|from|in|on|at|by|into|against|toward|towards|"
                       r"within|upon|under|over|through|between|among|across|around|behind|after)"
                       r"\s*(?:\?|$|\s(?:if|when|while|after|before|because|unless|once|until|in|on|at|during)\b)",
                       re.IGNORECASE)
# A question word after a preposition inside the question ("stand in what with ...", "turn the ties into
# what?"): the preposition's object is asked for, as if it were stranded.
_INNER_QUESTION_WORD = re.compile(
    r"(?<=\w\s)([\w’'-]+)\s+(of|with|to|for|as|about|from|in|on|at|by|into|against|toward|towards|within|upon|"
    r"under|over|through|between|among|across|around|behind)\s+what\b(?=\s*(?:\?|$)|\s+(?:with|to|for|regarding|"
    r"about|on|in|at|from|by|over|against|after|before|during)\b)", re.IGNORECASE)
# The question's main verb, where its shape makes it plain: right after a subject question word ("Who
# commanded ..."), or after an auxiliary and a named subject ("How much did North Korea pay ..."; not after
# "Putin's", which a noun follows).
# Verbs of saying and thinking are left out (an article reports the same thing with other ones), and light
# verbs whose noun carries the meaning ("give a speech", "hold talks").
_AUXILIARY = r"(?:did|does|do|will|would|can|could|should|might|may|has|have|had)"
_MAIN_VERB = re.compile(
    r"^\s*(?i:who|what|which\s+[\w-]+)\s+(?P<subject_verb>[a-z]+ed)\b"
    r"|^\s*(?i:who|what|which\s+[\w-]+)\s+(?:is|was|are|were|has been|have been|had been)\s+(?P<passive>[a-z]+ed)\b"
    r"|^\s*(?i:how)\s+(?:many|much)\s+(?:[\w’'-]+\s+){1,4}?(?:is|was|are|were|has been|have been|had been)"
    r"\s+(?P<counted_passive>[a-z]+ed)\b"
    rf"|\b{_AUXILIARY}\s+[A-Z][\w’'-]*(?<![’']s)(?:\s+[A-Z][\w’'-]*(?<![’']s))*"
    r"(?:\s+(?:first|also|ever|still|later|finally|eventually|officially|publicly|recently))?"
    r"\s+(?P<verb>[a-z]+)\b"
    rf"|\b{_AUXILIARY}\s+(?:[\w’'-]+\s+){{1,5}}?(?P<before_last>[\w’'-]+)\s+(?P<last>[a-z]+)\s*\?\s*$")
_OPEN_VERBS = frozenset(re.findall(r"\w+", "say says said tell told think thinks believe believes claim claims "
                                             "describe describes call calls mean means consider considers feel "
                                             "feels know knows see sees view views give gives make makes take takes "
                                             "have get gets hold holds do go goes last lasts cost costs use uses"))
_COPULA = re.compile(r"^\s*what\s+(?:is|are|was|were)\s+(?P<rest>[^?]+)", re.IGNORECASE)


def focus_word(question: str) -> str | None:
    """The head noun of a "what/which <noun>" question, or None ("What did ...")."""
    m = _FOCUS.search(question)
    if not m:
        return None
    words = (m.group(1) or m.group(2)).split()
    head = words[-1]
    return None if head.casefold() in _NOT_FOCUS else head


def is_copula_question(question: str) -> bool:
    """ "What is <noun phrase>?" with no other verb: a definition, read across "is" in the text."""
    m = _COPULA.match(question)
    return m is not None and not any(re.fullmatch(r"[a-z]+(?:ed|ing)", w) for w in m.group("rest").split())


def classify(question: str) -> AnswerType:
    """The kind of answer a question expects, from its wording alone."""
    lead = _LEADING_CLAUSE.match(question)  # "Besides X, which country ...": the type follows the comma
    question = question[lead.end():] if lead else question
    for pattern, answer_type in _TYPE_RULES:
        if pattern.search(question):
            return answer_type
    return AnswerType.OTHER


def content_start(question: str) -> int:
    """Where the question's content begins, after any cue that only names the answer type."""
    m = _CUE.match(question)
    return m.end() if m else 0


@dataclass(frozen=True, slots=True)
class AliasGroup:
    kind: str
    phrases: tuple[str, ...]


@lru_cache(maxsize=1)
def alias_groups() -> tuple[AliasGroup, ...]:
    """The groups of ``data/synonyms.txt`` (format described at the top of that file)."""
    text = resources.files("qa_api").joinpath("data/synonyms.txt").read_text(encoding="utf-8")
    groups = []
    for number, line in enumerate(text.splitlines(), start=1):
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        kind, sep, rest = line.partition(":")
        phrases = tuple(p.strip() for p in rest.split("|") if p.strip())
        if not sep or kind.strip() not in LISTED_KINDS or len(phrases) < 2:
            raise ValueError(f"synonyms.txt line {number}: expected 'kind: phrase | phrase', kind one of "
                             f"{', '.join(LISTED_KINDS)}")
        groups.append(AliasGroup(kind.strip(), phrases))
    return tuple(groups)


@lru_cache(maxsize=1)
def related_words() -> tuple[tuple[str, tuple[str, ...]], ...]:
    """The lines of ``data/wordnet.txt``: each word with the words it shares a frequent sense with or derives."""
    text = resources.files("qa_api").joinpath("data/wordnet.txt").read_text(encoding="utf-8")
    rows = (line.split() for line in text.splitlines() if line and not line.startswith("#"))
    return tuple((row[0], tuple(row[1:])) for row in rows)


# WordNet's detachment rules (morphy): the endings an inflected word may drop to give its base form.
_INFLECTIONS = (("s", ""), ("ses", "s"), ("xes", "x"), ("zes", "z"), ("ches", "ch"), ("shes", "sh"), ("men", "man"),
                ("ies", "y"), ("es", "e"), ("es", ""), ("ed", "e"), ("ed", ""), ("ing", "e"), ("ing", ""),
                ("er", ""), ("est", ""), ("er", "e"), ("est", "e"), ("ied", "y"))


def base_forms(word: str) -> frozenset[str]:
    """The word and what it may inflect: "headed" gives "head", "speeches" "speech"; "national" only itself."""
    forms = {word}
    for ending, replacement in _INFLECTIONS:
        if word.endswith(ending) and len(word) > len(ending) + 1:
            stem = word[:-len(ending)] + replacement
            forms.add(stem)
            if len(stem) > 2 and stem[-1] == stem[-2]:
                forms.add(stem[:-1])  # "planned", "planning"
    return frozenset(forms)


_RelatedTable = tuple[dict[str, str], dict[str, tuple[str, ...]]]  # base word of each term; related terms
# Built once per process for each analyzer (told apart by its signature): stemming every WordNet word takes a
# third of a second, and each service, reader or test would otherwise repeat it.
_RELATED_TABLES: dict[tuple[tuple[str, object], ...], _RelatedTable] = {}


def _related_tables(analyzer: Analyzer) -> _RelatedTable:
    base: dict[str, str] = {}
    for word, _ in related_words():
        term = analyzer.term(word)
        if term is not None and len(word) < len(base.get(term, word + " ")):
            base[term] = word
    related: dict[str, set[str]] = {}
    for word, others in related_words():
        term = analyzer.term(word)
        if term is None or base[term] != word:
            continue
        for other in map(analyzer.term, others):
            if other is not None and other != term:
                related.setdefault(term, set()).add(other)
                related.setdefault(other, set()).add(term)
    return base, {term: tuple(sorted(others)) for term, others in related.items()}


class RelatedTerms:
    """WordNet's related words as index terms, both ways: a question's "foundation" finds a passage's "basis"
    and "basis" finds "foundation", whichever of the two lists the sense among its frequent ones.

    Each term speaks through its base word, the shortest word stemmed to it ("day", not "days", whose sense
    of a lifetime it shares with "years"), and only for a question word that is that word or inflects it:
    "national" stems like "nation" but does not mean it."""

    def __init__(self, analyzer: Analyzer) -> None:
        self.analyzer = analyzer
        key = tuple(sorted(analyzer.signature.items()))
        if key not in _RELATED_TABLES:
            _RELATED_TABLES[key] = _related_tables(analyzer)
        self._base, self._related = _RELATED_TABLES[key]

    def of(self, word: str) -> tuple[str, ...]:
        """Terms related to one question word, or none when the word is not its term's base word inflected."""
        term = self.analyzer.term(word)
        if term is None or self._base.get(term) not in base_forms(normalize(word)):
            return ()
        return self._related.get(term, ())


@dataclass(frozen=True, slots=True)
class Concept:
    """Question terms that a passage may also match through alternative phrases."""

    terms: tuple[str, ...]
    alternatives: tuple[tuple[str, ...], ...]
    weight: float
    kind: str


@dataclass(frozen=True, slots=True)
class Focus:
    """The noun a "what/which <noun>" question asks for an instance of ("Which ICBMs ...": ICBMs)."""

    word: str
    term: str
    plural: bool


@dataclass(frozen=True, slots=True)
class QueryPlan:
    answer_type: AnswerType
    terms: tuple[str, ...]  # index terms searched, in question order (BM25 scores exactly these)
    concepts: tuple[Concept, ...]
    focus: Focus | None = None
    copula: bool = False  # "What is X's official name?": the answer is the other side of "is"
    predicates: frozenset[str] = frozenset()  # terms of words used as verbs: their object may be the answer
    names: tuple[tuple[str, ...], ...] = ()  # terms of each capitalised name in the question ("South Korea")
    verb: str | None = None  # term of the question's main verb: a sentence without it does not answer
    asks_subject: bool = False  # "Who hosted ...?": the answer is the verb's subject, or its agent after "by"
    asks_passive_subject: bool = False  # "What was solidified ...?": the subject of "X was solidified"
    dangling: tuple[str, str] | None = None  # ("symbol", "of") for "... as symbols of?": the answer follows
    dangling_asked: bool = False  # "turn the ties into what?": the preposition's object is asked outright
    # WordNet's related words ("basis" for "foundation"): they rank passages, but are too broad to count as
    # the question's words when a sentence is read for the answer.
    related: tuple[Concept, ...] = ()


class AliasTable:
    """The alias groups analyzed into index terms, for matching questions and naming spans."""

    def __init__(self, analyzer: Analyzer, groups: tuple[AliasGroup, ...] | None = None) -> None:
        self._by_phrase: dict[tuple[str, ...], list[tuple[AliasGroup, tuple[tuple[str, ...], ...]]]] = {}
        self.kinds: dict[tuple[str, ...], str] = {}
        for group in alias_groups() if groups is None else groups:
            analyzed = tuple(dict.fromkeys(t for t in (tuple(analyzer.terms(p)) for p in group.phrases) if t))
            for phrase in analyzed:
                others = tuple(o for o in analyzed if o != phrase)
                if others:
                    self._by_phrase.setdefault(phrase, []).append((group, others))
                if group.kind in ("place", "org"):
                    self.kinds.setdefault(phrase, group.kind)
        self.longest = max((len(p) for p in self._by_phrase), default=0)

    def forms(self, phrase: tuple[str, ...]) -> tuple[tuple[str, ...], ...]:
        """The phrase and its other spellings and irregular forms ("lead": "led")."""
        return (phrase, *(o for group, others in self._by_phrase.get(phrase, []) if group.kind == "form"
                          for o in others))

    def concepts(self, terms: tuple[str, ...]) -> tuple[Concept, ...]:
        """Concepts in ``terms``, longest phrase first at each position, without overlaps."""
        found: list[Concept] = []
        i = 0
        while i < len(terms):
            for n in range(min(self.longest, len(terms) - i), 0, -1):
                phrase = terms[i:i + n]
                entries = self._by_phrase.get(phrase)
                if entries:
                    for group, others in entries:
                        found.append(Concept(phrase, others, ALIAS_WEIGHTS[group.kind], group.kind))
                    i += n
                    break
            else:
                i += 1
        return tuple(found)


class QueryReader:
    def __init__(self, analyzer: Analyzer, aliases: AliasTable | None = None,
                 related: RelatedTerms | None = None) -> None:
        self.analyzer = analyzer
        self.aliases = aliases or AliasTable(analyzer)
        self.related = related or RelatedTerms(analyzer)

    def read(self, question: str) -> QueryPlan:
        terms = tuple(self.analyzer.terms(question[content_start(question):])) or tuple(self.analyzer.terms(question))
        focus = self._focus(question)
        names = self._names(question)
        concepts = self.aliases.concepts(terms)
        return QueryPlan(classify(question), terms, concepts, focus,
                         is_copula_question(question), self._predicates(question, focus), names,
                         self._verb(question), self._verb_group(question, "subject_verb"),
                         self._verb_group(question, "passive"), *self._dangling(question),
                         self._related(question, concepts, names))

    def _related(self, question: str, listed: tuple[Concept, ...], names: tuple[tuple[str, ...], ...]
                 ) -> tuple[Concept, ...]:
        """WordNet's related words for each question word that has no listed alias and is not part of a name."""
        covered = {t for c in listed for t in c.terms} | {t for name in names for t in name}
        words = {t.term: question[t.start:t.end] for t in self.analyzer.tokens(question[content_start(question):])}
        weight = ALIAS_WEIGHTS["related"]
        return tuple(Concept((term,), tuple(dict.fromkeys(f for r in related for f in self.aliases.forms((r,)))),
                             weight, "related")
                     for term, word in words.items() if term not in covered
                     for related in (self.related.of(word),) if related)

    @staticmethod
    def _verb_group(question: str, group: str) -> bool:
        m = _MAIN_VERB.search(question)
        return bool(m and m.group(group))

    def _verb(self, question: str) -> str | None:
        m = _MAIN_VERB.search(question)
        word = (m.group("subject_verb") or m.group("passive") or m.group("counted_passive")
                or m.group("verb")) if m else None
        before_last = m.group("before_last") if m else None
        if m and before_last and before_last.islower() and before_last not in _NOUN_BEFORE:
            word = m.group("last")  # "What did the port's new owner buy?": the verb ends the question
        if word is None or word in _OPEN_VERBS or re.fullmatch(r"(?:is|was|are|were|has|had|does|did)", word):
            return None
        return self.analyzer.term(word)

    def _dangling(self, question: str) -> tuple[tuple[str, str] | None, bool]:
        """The stranded preposition and the word before it, and whether a question word follows it."""
        stranded = _DANGLING.search(question)
        m = stranded or _INNER_QUESTION_WORD.search(question)
        term = self.analyzer.term(m.group(1)) if m else None
        return ((term, m.group(2).casefold()), stranded is None) if m and term else (None, False)

    def _names(self, question: str) -> tuple[tuple[str, ...], ...]:
        first = re.match(r"\s*[\w’'-]+", question)  # the question word is capitalised too
        rest = question[first.end():] if first else question
        runs = (tuple(self.analyzer.terms(m.group())) for m in _NAME.finditer(rest))
        return tuple(run for run in runs if run)
    def _predicates(self, question: str, focus: Focus | None) -> frozenset[str]:
        """Terms of lowercase words not introduced by a determiner or preposition: likely verbs
        ("offering", "oblige"), whose object in the text is where an open answer sits."""
        out: set[str] = set()
        previous = before_to = ""
        for m in re.finditer(r"[\w’'-]+", question):
            word = m.group()
            term = self.analyzer.term(word)
            infinitive = previous == "to" and before_to in out  # "want to build": both are verbs
            if (term and word[:1].islower() and (focus is None or term != focus.term)
                    and (previous not in _NOUN_BEFORE or word.endswith("ing") or infinitive)):
                out.add(term)
            before_to = self.analyzer.term(previous) or ""
            previous = word.casefold()
        return frozenset(out)
    def _focus(self, question: str) -> Focus | None:
        word = focus_word(question)
        term = self.analyzer.term(word) if word else None
        if word is None or term is None:
            return None
        return Focus(word, term, word.casefold().endswith("s") and not word.casefold().endswith("ss"))
