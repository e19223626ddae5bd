"""Short answers: the span of the best supporting sentence that answers the question, or None.

1. The question's expected answer type comes from ``query.classify``.
2. The sentences of the top passages are scored by the share of the question's IDF weight they cover
   (aliases count; a term the corpus never saw weighs as much as the rarest, so a question about something
   absent covers little).
3. In the best sentences, candidate spans of the expected type (``spans.typed_candidates``; for open
   questions, the stretches between the question's own words) are scored by how close they sit to the
   question's words. The confidence is the sentence's coverage times the span's quality. The best-placed span
   answers; below ``MIN_CONFIDENCE`` the best-placed one of at least ``FALLBACK_CONFIDENCE`` stands in, and
   without one there is no answer.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import NamedTuple

from qa_api.questions.reading import AnswerType, QueryPlan
from qa_api.retrieval.analysis import Token
from qa_api.retrieval.search import Hit, Searcher, Sentence

from .spans import (
    TITLES,
    Candidate,
    Span,
    copula_other_side,
    eras,
    grounds,
    instances,
    is_org_name,
    name_runs,
    object_after,
    phrase_at,
    place_lists,
    split_run,
    typed_candidates,
    words,
)

__all__ = ["MIN_CONFIDENCE", "Answer", "AnswerFinder", "AnswerType"]

MIN_CONFIDENCE = 0.235  # calibrated on the dev set: README, "Quality"
FALLBACK_CONFIDENCE = 0.3  # what a span needs to be given in place of a better-placed one that is unsure
SENTENCES_TRIED = 4
PASSAGES_READ = 3
# A duration is rare and easy to tell from other numbers, so "how long" questions may look further down.
DURATION_PASSAGES_READ = 5
RANK_PENALTY = 0.03  # coverage a sentence loses per rank of its passage below the first
PROXIMITY_WEIGHT = 0.3
FOLLOWS_BONUS = 0.5
OPEN_QUALITY = 0.85  # open questions ("what ...") have no type to check a span against
KEY_MISSING = 0.5  # confidence kept by a sentence lacking the question's key words (verb, focus, title) or
# most of its names
STRUCTURE_BONUS = 0.3  # a span in the syntactic slot the question asks about (instance, object, definition)
_BOUNDARY = re.compile(r"[,;:()\"“”–—]|\s-\s")
_ASKS_ERA = re.compile(r"\b(?:what|which)\s+(?:period|era|decade|century|stage|phase)\b", re.I)
# "How did X justify/describe/explain Y?": the answer is the frame the text puts Y in.
_HOW_FRAMED = re.compile(r"^\s*how\s+(?:did|does|do|has|have|had|was|were|is|are)\b.*\b(?:justif|explain|describ|"
                         r"defend|portray|characteri[sz]|frame|present|depict|cast|view)\w*", re.I)
_FRAMING = re.compile(r"\b[a-z]+\s+(?:it|them|him|her|this|that|the\s+[\w’'-]+)\s+as\s+|\bby\s+(?=[a-z]+ing\b)")
_NEXT_NOUN_PHRASE = re.compile(r"\s+and\s+(?:a|an|the)\s")
_COMPANIONS = re.compile(r"\s+and\s+(?:its|their|his|her)\s+(?:[\w-]+\s+)?(?:allies|partners|supporters|backers|"
                         r"associates|affiliates|proxies|friends)\b")
# "besides X, which ...": X is set aside, up to the comma or the question word.
_SET_ASIDE = re.compile(r"\b(?:besides|apart from|aside from|other than|except(?: for)?|in addition to)\s+"
                        r"(.+?)(?=,|\?|$|\s+(?:which|what|who|where|when|how|did|does|do|is|are|was|were)\b)",
                        re.IGNORECASE)
# "what is Moscow obliged to do", "what is Pyongyang thought to get": the participle before "to" is the verb
# whose object answers, whatever other verbs the question's clauses use.
_HANGS_ON = re.compile(r"\bwhat\s+(?:is|was|are|were)\s+(?:[\w’'-]+\s+){1,3}?([a-z]+(?:ed|en))\s+to\b", re.I)
# "What did X say is sure to win?": the question gives the predicate, the text its subject.
_PREDICATE_ASKED = re.compile(r"^\s*what\s+(?:did|does|do|has|have|had)\b[^?]*?\b(?:is|are|was|were|will\s+be)\s+"
                              r"(?P<predicate>[^?]+)", re.I)
_COPULA_IN_TEXT = re.compile(r"\b(?:is|are|was|were|will\s+be)\s+")
# Where the subject of a reported clause begins: after punctuation or the verb or "that" that reports it.
_SUBJECT_OPENS = re.compile(r"[,;:–—“\"(]|\b(?:that|said|says|say|told|added|stressed|believes?|thinks?)\b", re.I)
PREDICATE_WORDS_MATCHED = 3  # the predicate's opening words the text must repeat ("sure to win")
# A clause the text denies ("not referring to X by name", "were not disclosed"): for a yes/no question its
# evidence is the negation itself.
_NEGATION = re.compile(r"\b(?:not|never|no\s+longer)\s+(?=\w)", re.I)
# "a rare and direct acknowledgment": the describing words between a determiner and the noun described.
_DESCRIBED_BY = re.compile(r"\b(?:a|an|the|this|that|its|their|his|her)\s+((?:[a-z][\w-]*,?\s+(?:(?:and|or)\s+)?)"
                           r"{1,4})$")
_ASKS_DURATION = re.compile(r"^\s*(?:for\s+)?how\s+long\b(?!\s+(?:ago|is|are)\b)", re.I)  # not a length
_DURATION_UNIT = re.compile(r"(?:year|month|week|day|hour|minute|decade)s?\b", re.I)
_GENDERED = r"(?:man|woman|men|women|person|persons|people)"
_INSIDE_ABBREVIATION = frozenset(("of", "the", "and", "for", "on", "in"))
_TITLE_WORDS = "|".join(sorted(re.escape(t) for t in TITLES))
# The opening that describes the person asked for: "which Chinese official", "who was the White House spokesman".
_ANSWER_DESCRIPTION = re.compile(rf"^\s*(?:who\s+(?:is|was|are|were)|which|what)\s+(?:[\w’'-]+\s+){{0,5}}?"
                                 rf"(?:{_TITLE_WORDS})(?!\w)", re.IGNORECASE)
_TITLE_AFTER = re.compile(rf",\s+(?:the\s+|a\s+|an\s+)?((?:[\w’'-]+\s+){{0,4}}?(?:{_TITLE_WORDS}))(?!\w)",
                          re.IGNORECASE)
_WHICH_NOUN = re.compile(r"^\s*(?:which)\s+(?!(?:is|was|are|were|did|does|do|has|have|had)\b)\w+", re.I)


@dataclass(frozen=True, slots=True)
class Answer:
    text: str
    type: AnswerType
    passage_id: str
    source: str
    start: int  # offsets into the source file
    end: int
    sentence: str
    confidence: float


class _StandIn(NamedTuple):
    """A question word the text may write another way, read from the question once."""

    term: str
    word: str
    abbreviation: bool  # the text may spell it out by initials ("NSC")
    compound: re.Pattern[str] | None  # its other gendered or neutral forms ("spokesperson" for "spokesman")


@dataclass(frozen=True, slots=True)
class _Reading:
    """What answer extraction reads from a question: once per question, not once per sentence it is tried on."""

    plan: QueryPlan
    terms: frozenset[str]  # the question's own terms
    alias_terms: frozenset[str]  # its terms and their aliases' terms
    reworded: frozenset[str]  # its terms and their listed synonyms ("in exchange for" for "in return for")
    key: frozenset[str]  # see ``_key_terms``
    stand_in_words: tuple[_StandIn, ...]
    set_aside: frozenset[str]  # "besides North Korea, which country ...": not the answer
    described_elsewhere: frozenset[str]  # see ``_described_elsewhere``
    governing: frozenset[str]  # the verb a "what is X obliged to do" question hangs on, with its synonyms
    predicate: tuple[str, ...]  # "What did X say is sure to win?": the predicate's opening terms
    asks_duration: bool  # "how long"
    asks_era: bool  # "in what period"
    how_framed: bool  # "how did X justify Y"
    which_noun: bool  # "which ICBMs ..."


@dataclass(frozen=True, slots=True)
class _Scored:
    score: float
    confidence: float
    hit: Hit
    sentence: Sentence
    start: int  # offsets into the passage text
    end: int


class AnswerFinder:
    def __init__(self, searcher: Searcher) -> None:
        self.searcher = searcher
        self.analyzer = searcher.analyzer
        self._titles = frozenset(t for t in map(self.analyzer.term, TITLES) if t)

    def _names_missing(self, plan: QueryPlan, terms: frozenset[str]) -> int:
        """How many of the question's names the sentence lacks (an alias stands for its name)."""
        aliases = {c.terms: c.alternatives for c in plan.concepts}
        return sum(1 for name in plan.names
                   if not any(all(t in terms for t in alt) for alt in (name, *aliases.get(name, ()))))

    def _has_verb(self, plan: QueryPlan, terms: frozenset[str]) -> bool:
        """Whether the sentence has the question's main verb, itself or an alias ("sent" for "send")."""
        assert plan.verb is not None
        return plan.verb in terms or any(all(t in terms for t in alt) for c in plan.concepts
                                         if c.terms == (plan.verb,) for alt in c.alternatives)

    def _key_terms(self, plan: QueryPlan) -> frozenset[str]:
        """What the question is about besides its names: its verbs, its focus noun and titles ("president").
        A sentence that shares only names with the question ("South Korea") does not answer it."""
        key = set(plan.predicates) | {t for t in plan.terms if t in self._titles}
        if plan.focus is not None and plan.answer_type != AnswerType.QUOTE:  # "what words": a cue, not a topic
            key.add(plan.focus.term)
        return frozenset(key | {t for c in plan.concepts if set(c.terms) <= key for alt in c.alternatives
                                for t in alt})

    def find(self, question: str, plan: QueryPlan, hits: Sequence[Hit]) -> Answer | None:
        if not plan.terms or not hits:
            return None
        reading = self._read(question, plan)
        # the best-placed span, and the best-placed one confident enough to stand in for it when it is not:
        # a span in a sentence that shares little with the question must not hide one that answers it
        top: _Scored | None = None
        best: _Scored | None = None
        read = DURATION_PASSAGES_READ if reading.asks_duration else PASSAGES_READ
        for hit, sentence, coverage in self._best_sentences(plan, hits[:read], reading.stand_in_words):
            if reading.key and not reading.key & sentence.terms:
                coverage *= KEY_MISSING
            if plan.names and 2 * self._names_missing(plan, sentence.terms) > len(plan.names):
                coverage *= KEY_MISSING
            if plan.verb is not None and not self._has_verb(plan, sentence.terms):
                if plan.answer_type == AnswerType.NUMBER:
                    continue  # "how many were killed": a count of anything else in the sentence is no answer
                coverage *= KEY_MISSING  # "pay" asked, only the assistance told: not this sentence's answer
            for scored in self._spans(reading, hit, sentence, coverage):
                if top is None or scored.score > top.score:
                    top = scored
                if scored.confidence >= FALLBACK_CONFIDENCE and (best is None or scored.score > best.score):
                    best = scored
        if top is not None and top.confidence >= MIN_CONFIDENCE:
            best = top
        if best is None:
            return None
        passage = best.hit.passage
        return Answer(
            text=passage.text[best.start:best.end], type=plan.answer_type, passage_id=passage.id,
            source=passage.source, start=passage.start + best.start, end=passage.start + best.end,
            sentence=passage.text[best.sentence.start:best.sentence.end], confidence=round(best.confidence, 3),
        )

    def _read(self, question: str, plan: QueryPlan) -> _Reading:
        terms = frozenset(plan.terms)
        predicate = _PREDICATE_ASKED.search(question)
        return _Reading(
            plan=plan, terms=terms,
            alias_terms=terms | {t for c in plan.concepts for alt in c.alternatives for t in alt},
            reworded=terms | {t for c in plan.concepts if c.kind == "word" for alt in c.alternatives for t in alt},
            key=self._key_terms(plan), stand_in_words=self._stand_in_words(question, plan),
            set_aside=self._excluded(question), described_elsewhere=self._described_elsewhere(question),
            governing=self._governing(question, plan),
            predicate=tuple(self.analyzer.terms(predicate.group("predicate")))[:PREDICATE_WORDS_MATCHED]
            if predicate else (),
            asks_duration=_ASKS_DURATION.search(question) is not None, asks_era=_ASKS_ERA.search(question) is not None,
            how_framed=_HOW_FRAMED.search(question) is not None, which_noun=_WHICH_NOUN.match(question) is not None,
        )

    def _best_sentences(self, plan: QueryPlan, hits: Sequence[Hit], stand_in_words: Sequence[_StandIn]
                        ) -> list[tuple[Hit, Sentence, float]]:
        scored: list[tuple[float, int, Hit, Sentence, float]] = []
        for hit in hits:
            for sentence in self.searcher.read_passage(hit.row).sentences:
                if stand_in_words:
                    stand_ins = _stand_ins(hit.passage.text[sentence.start:sentence.end], stand_in_words)
                    sentence = replace(sentence, terms=sentence.terms | {t.term for t in stand_ins})
                coverage = self.searcher.coverage(plan, sentence.terms)
                scored.append((coverage - RANK_PENALTY * (hit.rank - 1), len(scored), hit, sentence, coverage))
        scored.sort(key=lambda s: (-s[0], s[1]))
        return [(hit, sentence, coverage) for _, _, hit, sentence, coverage in scored[:SENTENCES_TRIED]]

    def _spans(self, reading: _Reading, hit: Hit, sentence: Sentence, coverage: float) -> list[_Scored]:
        plan = reading.plan
        body = hit.passage.text[sentence.start:sentence.end]
        matched = [t for t in self.analyzer.tokens(body) if t.term in reading.alias_terms]
        matched = sorted(matched + _stand_ins(body, reading.stand_in_words), key=lambda t: t.start)
        candidates = typed_candidates(plan.answer_type, body, self.searcher.kind_of)
        if plan.answer_type == AnswerType.NUMBER and reading.asks_duration:
            candidates = [c for c in candidates if _DURATION_UNIT.search(body, c.start, c.end)]
        if plan.answer_type in _NAMED:
            candidates = [part for c in candidates for part in _split_at(body, c, matched, plan.answer_type)]
        structural: list[Candidate] = []
        if plan.answer_type in _NAMED and plan.focus is not None and plan.focus.plural:
            structural = _coordinations(body, candidates)
            candidates = candidates + structural
        if plan.answer_type == AnswerType.PLACE:  # the slot a place question asks for, not cut at its words
            places = place_lists(body, self.searcher.kind_of)
            candidates, structural = candidates + places, structural + places
        if plan.answer_type in _NAMED and reading.set_aside:
            candidates = [c for c in candidates
                          if not set(self.analyzer.terms(body[c.start:c.end])) <= reading.set_aside]
        if plan.answer_type in _NAMED:
            companions = _with_companions(body, candidates)
            structural, candidates = structural + companions, candidates + companions
            for agent in self._agents(body, plan):
                # a name of the wanted type inside the agent is the answer; else the agent's whole phrase
                named = [c for c in candidates if agent.start <= c.start and c.end <= agent.end]
                structural = structural + (named or [agent])
                candidates = candidates + ([] if named else [agent])
        if plan.answer_type == AnswerType.DATE and reading.asks_era:
            structural = eras(body)  # "in what period": an era is the slot asked for, a bare year is not
        if plan.answer_type == AnswerType.OTHER:
            structural = self._structural(reading, body, matched)
        if plan.answer_type == AnswerType.YESNO:
            structural = _denials(body)
        if plan.answer_type == AnswerType.REASON:
            candidates = candidates + grounds(body)
        if plan.answer_type in (AnswerType.OTHER, AnswerType.YESNO) or (
                not candidates and plan.answer_type == AnswerType.QUOTE):
            candidates = structural + self._open_candidates(reading.which_noun, body, matched)
        out = []
        question_terms, reworded = reading.terms, reading.reworded
        rank_penalty = RANK_PENALTY * (hit.rank - 1)
        # the sentence's words and name runs, read once for all its candidates
        word_spans = words(body)
        word_index = {s: i for i, (s, _) in enumerate(word_spans)}
        runs = name_runs(body) if plan.answer_type == AnswerType.PERSON else []
        for c in candidates:
            start, end = _trim(body, c.start, c.end)
            span_terms = tuple(self.analyzer.terms(body[start:end]))
            terms = set(span_terms)
            own = terms <= question_terms and (c not in structural or _said_in(span_terms, plan.terms))
            if start >= end or not terms or own or (terms <= reworded and not terms <= question_terms):
                continue  # the question's own words or their synonyms, unless put together anew ("food shortages")
            if plan.answer_type == AnswerType.PERSON and (
                    self._questions_own(body, start, end, reading.described_elsewhere)
                    or _rest_of_named(body, runs, start, end, matched)):
                continue
            closeness = self._closeness(word_spans, word_index, start, end, matched)
            if plan.answer_type == AnswerType.PERSON and any(_describes(body, t, start) for t in matched):
                closeness += FOLLOWS_BONUS  # "Chinese ... Politburo member Li Hongzhong" for "which Chinese official"
            if plan.answer_type == AnswerType.OTHER and any(body[t.end:start].strip() == "" for t in matched):
                closeness += FOLLOWS_BONUS  # the object of a question word ("offer" -> "food")
            confidence = coverage * c.quality
            score = coverage - rank_penalty + PROXIMITY_WEIGHT * closeness + 0.2 * c.quality
            if c in structural:
                score += STRUCTURE_BONUS * c.quality
            out.append(_Scored(score, confidence, hit, sentence, sentence.start + start, sentence.start + end))
        return out

    def _stand_in_words(self, question: str, plan: QueryPlan) -> tuple[_StandIn, ...]:
        """The question's words that a text may write another way (see ``_stand_ins``), read once per question."""
        out = []
        for m in re.finditer(r"[\w’'-]+", question):
            word, term = m.group(), self.analyzer.term(m.group())
            if term is None or term not in plan.terms:
                continue
            abbreviation = (re.fullmatch(r"[A-Za-z]{2,6}", word) is not None
                            and (word.isupper() or term not in self.searcher.index.vocab))
            compound = _compound_pattern(word)
            if abbreviation or compound is not None:
                out.append(_StandIn(term, word, abbreviation, compound))
        return tuple(out)

    def _excluded(self, question: str) -> frozenset[str]:
        """Terms of what the question sets aside ("besides North Korea, which country ..."): not the answer."""
        m = _SET_ASIDE.search(question)
        return frozenset(self.analyzer.terms(m.group(1))) if m else frozenset()

    def _described_elsewhere(self, question: str) -> frozenset[str]:
        """Terms of the question outside the description of the person it asks for: "which Chinese official
        attended ... alongside the Russian defense minister" describes another person by "Russian defense
        minister"; in "who was the White House spokesman quoted ..." the title is the answer's own."""
        own = _ANSWER_DESCRIPTION.match(question)
        return frozenset(self.analyzer.terms(question[own.end() if own else 0:]))

    def _questions_own(self, body: str, start: int, end: int, others: frozenset[str]) -> bool:
        """Whether a person is one the question itself describes, so not the one it asks for: a person whose
        title the question uses for someone else ("Russian Defense Minister Sergei Shoigu")."""
        title = [t for t in self.analyzer.terms(_title_before(body, start) + " " + _appositive_after(body, end))]
        return len(title) >= 2 and set(title) <= others and any(t in self._titles for t in title)

    def _structural(self, reading: _Reading, body: str, matched: Sequence[Token]) -> list[Candidate]:
        """Spans in the slot the question's wording points at: instances of its focus noun, the other side
        of a definition, the object of its verb."""
        plan = reading.plan
        spans = [(t.start, t.end) for t in matched]
        own = [(t.start, t.end) for t in matched if t.term in plan.terms]
        out: list[Candidate] = []
        if reading.how_framed:
            framed = _framings(body) or self._descriptions(body, plan, matched)
            if framed:
                return framed  # "How did X justify Y?": what the text casts Y as, not Y itself
        # "what did X say the route was a victory in?": a stranded preposition asks for its object instead
        subjects = self._predicate_subjects(reading.predicate, body) if plan.dangling is None else []
        if subjects:
            return subjects  # the question gives the predicate word for word: its subject is the slot
        if plan.focus is not None:
            heads = [(t.start, t.end) for t in self.analyzer.tokens(body)
                     if t.term == plan.focus.term and not _inflected_verb(body, t, plan.focus.word)]
            out += instances(body, heads, lambda s, e: _said_in(tuple(self.analyzer.terms(body[s:e])), plan.terms))
            if out:
                return out  # the question names the kind of thing it wants, and the sentence has one
        if plan.copula:
            out += copula_other_side(body, own)
        out += self._agents(body, plan)
        if plan.dangling is not None:
            # the word before the preposition may be paraphrased ("honoured as" for "celebrated as"); "turn the
            # ties into what?" asks outright for that preposition's object, whatever word it follows
            stranded = (self._after_preposition(body, *plan.dangling)
                        or self._after_preposition(body, None, plan.dangling[1], 1.0 if plan.dangling_asked else 0.8))
            if stranded:
                return stranded  # the question points at this exact slot; its verb's object is a looser fit
        predicates = set(plan.predicates) | {t for c in plan.concepts if set(c.terms) <= plan.predicates
                                             for alt in c.alternatives for t in alt}
        governing = reading.governing
        for t in matched:
            if t.term in predicates:
                # with a focus noun ("What weapons ..."), an object that is not an instance of it is a weak guess;
                # the verb the question hangs on outweighs verbs of its other clauses
                quality = (1.0 if plan.focus is None else 0.6) * (0.8 if governing and t.term not in governing else 1.0)
                found = object_after(body, (t.start, t.end), spans, quality)
                if found is not None:
                    out.append(found)
        return out

    def _predicate_subjects(self, predicate: tuple[str, ...], body: str) -> list[Candidate]:
        """For "What did X say is sure to win?": the subject of "is sure to win" in the text ("Justice")."""
        out = []
        for copula in _COPULA_IN_TEXT.finditer(body) if predicate else ():
            if tuple(self.analyzer.terms(body[copula.end():]))[:len(predicate)] != predicate:
                continue
            start = max((b.end() for b in _SUBJECT_OPENS.finditer(body, 0, copula.start())), default=0)
            out.append(Candidate(start, copula.start(), 1.0))
        return out

    def _descriptions(self, body: str, plan: QueryPlan, matched: Sequence[Token]) -> list[Candidate]:
        """For "How does the article characterize X?": the words the text sets before X's noun ("a rare and
        direct acknowledgment")."""
        out = []
        for t in matched:
            m = _DESCRIBED_BY.search(body, 0, t.start)
            if t.term in plan.terms and m and not set(self.analyzer.terms(m.group(1))) & set(plan.terms):
                out.append(Candidate(m.start(1), m.end(1), 1.0))
        return out

    def _governing(self, question: str, plan: QueryPlan) -> frozenset[str]:
        """The verb a "what is X obliged to do / thought to get" question hangs on, with its synonyms; empty
        for other shapes."""
        m = _HANGS_ON.search(question)
        term = self.analyzer.term(m.group(1)) if m else None
        if term is None:
            return frozenset()
        return frozenset({term} | {t for c in plan.concepts if c.terms == (term,) for alt in c.alternatives
                                   for t in alt})

    def _agents(self, body: str, plan: QueryPlan) -> list[Candidate]:
        """The doer the question asks for, in a passive of its verb in the text: for "Who hosted X?" the agent
        ("X hosted by the city's embassy"), for "What was solidified?" the subject ("their pact was
        solidified")."""
        out: list[Candidate] = []
        if plan.asks_subject:
            for m in re.finditer(r"(?:([\w’'-]+)\s+)?([\w’'-]+)\s+by\s", body):
                # the question's verb, or another participle after the noun it acts on ("headed the delegation":
                # "a delegation led by ...")
                same = self.analyzer.term(m.group(2)) == plan.verb
                acted_on = m.group(1) is not None and self.analyzer.term(m.group(1)) in plan.terms
                start, end = phrase_at(body, m.end(), stop_at_prepositions=True)
                if end > start and (same or (acted_on and m.group(2).islower())):
                    out.append(Candidate(start, end, 1.0 if same else 0.8))
        elif plan.asks_passive_subject:
            for m in re.finditer(r"\b(?:is|was|are|were|been)\s+(?:[a-z]+ly\s+)?([\w’'-]+)", body):
                subject = re.search(r"[^,;:–—]*\w[^,;:–—]*$", body[:m.start()])
                if self.analyzer.term(m.group(1)) == plan.verb and subject:
                    out.append(Candidate(subject.start(), subject.end(), 1.0))
        return out

    def _after_preposition(self, body: str, term: str | None, preposition: str, loose: float = 0.8
                           ) -> list[Candidate]:
        """The object of the question's stranded preposition, where the word before it meets it in the text
        ("symbols of?" -> "symbols of the city's pride" -> "the city's pride"); with no word, after any
        use of the preposition, a weaker guess."""
        out = []
        for m in re.finditer(rf"([\w’'-]+)[”\"]?\s+(?:\w+ly\s+|well\s+)?{preposition}\s", body, re.IGNORECASE):
            if term is None or self.analyzer.term(m.group(1)) == term:
                start, end = phrase_at(body, m.end(), stop_at_prepositions=True)
                if end > start:
                    out.append(Candidate(start, end, 1.0 if term else loose))
        return out

    def _open_candidates(self, which_noun: bool, body: str, matched: Sequence[Token]) -> list[Candidate]:
        """Stretches of the sentence between the question's own words and clause punctuation."""
        cuts = sorted([(m.start(), m.end()) for m in _BOUNDARY.finditer(body)]
                      + [(t.start, t.end) for t in matched])
        stretches, cursor = [], 0
        for start, end in cuts:
            if start > cursor:
                stretches.append((cursor, start))
            cursor = max(cursor, end)
        stretches.append((cursor, len(body)))
        if which_noun:
            names = [(s, e) for s, e in name_runs(body)
                     if any(a <= s and e <= b for a, b in stretches) and not self.searcher.kind_of(body[s:e])]
            if names:
                return [Candidate(s, e, OPEN_QUALITY) for s, e in names]
            # "Which ICBMs ...": a name in another sentence is the likelier answer than a stretch of this one.
            return [Candidate(s, e, OPEN_QUALITY * 0.6) for s, e in stretches]
        return [Candidate(s, e, OPEN_QUALITY) for s, e in stretches]

    def _closeness(self, spans: Sequence[Span], index_of: dict[int, int], start: int, end: int,
                   matched: Sequence[Token]) -> float:
        """Question-word IDF near the span, each word weighted 1 / (1 + words between), as a share; ``spans``
        are the sentence's words, ``index_of`` each one's position by its start."""
        first = next((i for i, (s, _) in enumerate(spans) if s >= start), len(spans))
        last = next((i for i, (s, _) in reversed(list(enumerate(spans))) if s < end), first)
        total = near = 0.0
        for token in matched:
            i = index_of.get(token.start, 0)
            gap = first - i - 1 if i < first else i - last - 1 if i > last else 0
            idf = self.searcher.idf(token.term)
            total += idf
            near += idf / (1 + max(gap, 0))
        return near / total if total else 0.0


_NAMED = (AnswerType.PERSON, AnswerType.PLACE, AnswerType.ORGANIZATION)


def _inflected_verb(body: str, token: Token, noun: str) -> bool:
    """ "visited" where the question asks for a kind of "visit": the same stem used as a verb (a compound
    such as "liquid-fueled" still describes a kind of fuel)."""
    ending = re.search(r"(?:ed|ing)$", body[token.start:token.end].casefold())
    compound = body[token.start - 1:token.start] == "-"
    return ending is not None and not compound and not noun.casefold().endswith(ending.group())


def _said_in(terms: tuple[str, ...], question: tuple[str, ...]) -> bool:
    """Whether ``terms`` occur together, in this order, in the question."""
    n = len(terms)
    return any(question[i:i + n] == terms for i in range(len(question) - n + 1))


def _spelled_by_initials(body: str, abbreviation: str) -> list[tuple[int, int]]:
    """The words of a run whose initials spell ``abbreviation``, small linking words inside it skipped
    ("Democratic People's Republic of Korea" for "DPRK")."""
    letters = abbreviation.casefold()
    content = [w for w in re.finditer(r"[\w’'-]+", body) if w.group().casefold() not in _INSIDE_ABBREVIATION]
    for i in range(len(content) - len(letters) + 1):
        run = content[i:i + len(letters)]
        if "".join(w.group()[0] for w in run).casefold() == letters:
            return [w.span() for w in run]
    return []


def _stand_ins(body: str, stand_in_words: Sequence[_StandIn]) -> list[Token]:
    """Words of ``body`` that stand for a question word written another way: the run whose initials spell
    an abbreviation ("national security council" for "NSC"), and the other gendered or neutral form of a
    compound ("spokesperson" for "spokesman"). Each carries the question word's term."""
    out: list[Token] = []
    for w in stand_in_words:
        if w.abbreviation:
            out += [Token(w.term, s, e) for s, e in _spelled_by_initials(body, w.word)]
        if w.compound is not None:
            out += [Token(w.term, s, e) for s, e in _same_compound(body, w.word, w.compound)]
    return out


def _compound_pattern(word: str) -> re.Pattern[str] | None:
    """A pattern for ``word`` with any of man/woman/person ("spokes" + ...), or None if it is no such compound."""
    m = re.fullmatch(rf"(\w{{3,}}?){_GENDERED}", word.casefold())
    return re.compile(rf"{re.escape(m.group(1))}{_GENDERED}", re.IGNORECASE) if m else None


def _same_compound(body: str, word: str, pattern: re.Pattern[str]) -> list[tuple[int, int]]:
    """Words that are ``word`` with another of man/woman/person ("spokesperson" for "spokesman")."""
    return [w.span() for w in re.finditer(r"[\w’'-]+", body)
            if pattern.fullmatch(w.group()) and w.group().casefold() != word.casefold()]


def _rest_of_named(body: str, runs: Sequence[Span], start: int, end: int, matched: Sequence[Token]) -> bool:
    """Whether a span is the rest of a short name whose other part the question gives: "Jong-un" when the
    question says "Kim". Headlines set whole lines in capitals, so only names of up to three words count.
    ``runs`` are the sentence's ``name_runs``."""
    # a run of two names joined by "and" holds two short names here, not one long one
    for run_start, run_end in (part for run in runs for part in split_run(body, *run, joiners="and")):
        if run_start <= start and end <= run_end and len(body[run_start:run_end].split()) <= 3:
            return any(run_start <= t.start and t.end <= run_end and not (start <= t.start < end) for t in matched)
    return False


def _title_before(body: str, start: int) -> str:
    """The titles and capitalised words right before a name ("Russian Defense Minister"), ending in a title:
    in a capitalised headline the words before a name are not its title ("Lawsuit Challenging Starbucks")."""
    last = re.search(r"([\w’'.-]+)\s+$", body[:start])
    if last is None or last.group(1).casefold() not in TITLES:
        return ""
    cursor = start
    while m := re.search(r"([\w’'.-]+)\s+$", body[:cursor]):
        if not (m.group(1)[:1].isupper() or m.group(1).casefold() in TITLES):
            break
        cursor = m.start(1)
    return body[cursor:start]


def _appositive_after(body: str, end: int) -> str:
    """A title set after a name by commas ("Sergei Shoigu, the Russian defense minister,")."""
    m = _TITLE_AFTER.match(body, end)
    return m.group(1) if m else ""


def _describes(body: str, token: Token, start: int) -> bool:
    """Whether ``token`` is part of the titles and capitalised words right before a name at ``start``."""
    between = body[token.end:start].split()
    return token.end <= start and all(w[:1].isupper() or w.casefold() in TITLES for w in between)


def _framings(body: str) -> list[Candidate]:
    """What a text casts something as ("describing it as a lawful act") or how it did so ("by citing ...")."""
    out = []
    for m in _FRAMING.finditer(body):
        start, end = phrase_at(body, m.end(), stop_at_prepositions=False)
        more = _NEXT_NOUN_PHRASE.search(body, start, end)  # "as X and an Y": X is the frame, Y a second one
        end = more.start() if more else end
        if end > start:
            out.append(Candidate(start, end, 1.0))
    return out


def _denials(body: str) -> list[Candidate]:
    """The clauses a sentence negates, from the negation to the clause's end ("not disclosed")."""
    return [Candidate(m.start(), phrase_at(body, m.end(), stop_at_prepositions=False)[1], 1.0)
            for m in _NEGATION.finditer(body)]


def _coordinations(body: str, names: Sequence[Candidate]) -> list[Candidate]:
    """Names joined by "and" or a comma, kept whole for a plural question ("Which countries ...")."""
    out = []
    ordered = sorted(names)
    for a, b in itertools.pairwise(ordered):
        if re.fullmatch(r"\s*(?:,|and|, and)\s*", body[a.end:b.start]):
            out.append(Candidate(a.start, b.end, min(a.quality, b.quality)))
    return out


def _with_companions(body: str, names: Sequence[Candidate]) -> list[Candidate]:
    """A name with the group it leads ("the US and its allies"): the text blames or thanks them together."""
    out = []
    for c in names:
        m = _COMPANIONS.match(body, c.end)
        if m:
            out.append(Candidate(c.start, m.end(), c.quality))
    return out


def _split_at(body: str, c: Candidate, matched: Sequence[Token], answer_type: AnswerType) -> list[Candidate]:
    """A name cut where the question's own words sit in it (a headline capitalises every word); an
    organisation's whole name is kept too, since the question may name part of it ("Which news agency")."""
    parts, cursor = [], c.start
    if answer_type == AnswerType.ORGANIZATION and is_org_name(body[c.start:c.end]):
        parts.append(c)
    for t in matched:
        if c.start <= t.start < c.end:
            parts.append(Candidate(cursor, t.start, c.quality))
            cursor = t.end
    parts.append(Candidate(cursor, c.end, c.quality))
    return list(dict.fromkeys(p for p in parts if p.end > p.start))


# Words that open a clause or only link one: never the edge of a noun phrase ("force if", "said in English").
_LINKS = (r"the|a|an|of|to|and|or|but|that|which|who|as|is|was|were|are|be|been|had|has|have|it|its|their|his|"
          r"her|should|would|could|will|with|by|for|in|on|at|if|when|whether|while|because|although|though|"
          r"unless|than|so|said|says|told")
_LEADING_EDGE = re.compile(rf"(?:[^\w$]|(?:{_LINKS})\b)+", re.IGNORECASE)
_TRAILING_EDGE = re.compile(rf"(?:[^\w%]|\b(?:{_LINKS}))+$", re.IGNORECASE)


def _trim(body: str, start: int, end: int) -> tuple[int, int]:
    """The span without surrounding space, punctuation, or function words at its edges."""
    while start < end:
        m = _LEADING_EDGE.match(body, start, end)
        if not m or m.end() == start:
            break
        start = m.end()
    m = _TRAILING_EDGE.search(body, start, end)
    if m and m.start() > start:
        end = m.start()
    if body.count("“", start, end) > body.count("”", start, end) and body.startswith("”", end):
        end += 1  # a quotation inside the span stays closed
    return start, end
