"""Search: a query in, ranked passages out, each with its score, why it scored so, and the terms that matched.

Ranking is BM25 (exactly rank-bm25's, over the question's content terms) plus boosts added on top:

- ``alias``: a passage that says "Pyongyang" where the question says "North Korea" earns the alias's share
  of what the question's own words would have earned (``data/synonyms.txt``);
- then, for the best ``RERANK_DEPTH`` passages, ``proximity`` (adjacent question terms found close together,
  as in a multi-word name), ``sentence`` (the share of the question one sentence covers: the evidence for
  an answer sits in one sentence, not spread over a paragraph) and ``answer_type`` (that sentence holds a
  span of the expected kind, such as a date for "when").
"""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

import numpy as np
from numpy.typing import NDArray

from qa_api.answers.spans import Span, sentence_spans, typed_candidates
from qa_api.corpus import Passage
from qa_api.questions.reading import AnswerType, Concept, QueryPlan, QueryReader

from .analysis import Analyzer, Token
from .bm25 import accumulate, passage_bitset, ranked, score_rows, top_k, warm_up
from .index import Index

RERANK_DEPTH = 30
PROXIMITY_WINDOW = 3  # positions between two question terms that still count as "together"
PROXIMITY_WEIGHT = 0.3  # times the rarer term's IDF, per adjacent pair of question terms
SENTENCE_WEIGHT = 3.0  # times the best sentence's share of the question's IDF weight
ANSWER_TYPE_WEIGHT = 4.0  # times that share, when the sentence holds a span of the expected type


@dataclass(frozen=True, slots=True)
class Highlight:
    start: int
    end: int
    term: str


@dataclass(frozen=True, slots=True)
class Explanation:
    """Why a passage scored what it did: BM25 per query term, then each boost; they sum to the score."""

    bm25: float
    terms: tuple[tuple[str, float], ...]
    boosts: tuple[tuple[str, float], ...]


@dataclass(frozen=True, slots=True)
class Hit:
    passage: Passage
    row: int
    score: float
    rank: int
    highlights: tuple[Highlight, ...]
    explanation: Explanation


@dataclass(frozen=True, slots=True)
class SearchResult:
    query: str
    terms: tuple[str, ...]
    plan: QueryPlan
    hits: tuple[Hit, ...]
    total: int
    took_ms: float


@dataclass(frozen=True, slots=True)
class Sentence:
    start: int  # offsets into the passage text
    end: int
    terms: frozenset[str]


@dataclass(frozen=True, slots=True)
class ReadPassage:
    """A passage analyzed once and kept: its tokens and sentences, for re-scoring and answers."""

    passage: Passage
    tokens: tuple[Token, ...]
    sentences: tuple[Sentence, ...]


class Searcher:
    def __init__(self, index: Index, analyzer: Analyzer | None = None, reader: QueryReader | None = None) -> None:
        self.index = index
        self.analyzer = analyzer or Analyzer()
        self.reader = reader or QueryReader(self.analyzer)
        n = max(index.n_passages, 1)
        self.unseen_idf = float(np.log((n + 0.5) / 0.5))
        self.read_passage = lru_cache(maxsize=8192)(self._read_passage)
        self._term_weights = lru_cache(maxsize=256)(self._weights)
        warm_up()

    def search(self, query: str, k: int, sources: Sequence[str] = (), *, rerank: bool = True) -> SearchResult:
        """The ``k`` best passages for ``query``, optionally only from the named source files.

        ``rerank`` adds the question-oriented boosts (aliases, related words, proximity, sentence, answer type);
        without it the ranking is plain BM25 through the pruned top-k search, for keyword queries.
        """
        started = time.perf_counter()
        plan = self.reader.read(query)
        depth = max(k, RERANK_DEPTH) if rerank else k
        if rerank and any(concept.weight > 0 for concept in (*plan.concepts, *plan.related)):
            pool, bm25, alias, related, total = self._first_pass_with_aliases(plan, depth, sources)
        else:  # plain BM25: the pruned top-k search, whose cost does not grow with the corpus
            best = ranked(self.index.postings, self._ids(plan.terms), depth, self._only(sources) if sources else None)
            pool, total = best.rows.tolist(), best.total
            bm25, alias = dict(zip(pool, best.scores.tolist(), strict=True)), dict.fromkeys(pool, 0.0)
            related = dict.fromkeys(pool, 0.0)
        boosts = {row: {"alias": alias[row], "related": related[row], **self._rerank_boosts(plan, row)}
                  if rerank else {} for row in pool}
        final = {row: bm25[row] + sum(boosts[row].values()) for row in pool}
        ranked_rows = sorted(pool, key=lambda row: (-final[row], row))[:k]
        query_terms = set(plan.terms)
        hits = tuple(
            Hit(passage, row, final[row], rank, self.highlights(passage.text, query_terms),
                self._explain(plan, row, bm25[row], boosts[row]))
            for rank, row in enumerate(ranked_rows, start=1)
            for passage in (self.index.passage(row),)
        )
        took_ms = (time.perf_counter() - started) * 1000
        return SearchResult(query, plan.terms, plan, hits, total, took_ms)

    def _first_pass_with_aliases(self, plan: QueryPlan, depth: int, sources: Sequence[str]
                                 ) -> tuple[list[int], dict[int, float], dict[int, float], dict[int, float], int]:
        """The best ``depth`` passages by BM25 + alias and related-word boosts, scoring every passage (aliases
        are not pruned)."""
        bm25, candidates = accumulate(self.index.postings, self._ids(plan.terms))
        alias, related = self._alias_boost(plan.concepts), self._alias_boost(plan.related)
        candidates = np.union1d(candidates, np.flatnonzero(alias + related))
        if sources:
            docs = np.array(sorted({self.index.document_index(s) for s in sources}), dtype=np.int32)
            candidates = candidates[np.isin(self.index.passages.doc[candidates], docs)]
        pool = top_k(bm25 + alias + related, candidates, depth).tolist()
        return (pool, {r: float(bm25[r]) for r in pool}, {r: float(alias[r]) for r in pool},
                {r: float(related[r]) for r in pool}, int(candidates.size))

    def _only(self, sources: Sequence[str]) -> NDArray[np.uint64]:
        """The passages of the named source files, as a bitset for ``ranked``."""
        docs = (self.index.documents[self.index.document_index(s)] for s in sources)
        spans = [(d.first_passage, d.first_passage + d.passage_count) for d in docs]
        return passage_bitset(self.index.n_passages, spans)

    def highlights(self, text: str, terms: set[str]) -> tuple[Highlight, ...]:
        return tuple(Highlight(t.start, t.end, t.term) for t in self.analyzer.tokens(text) if t.term in terms)

    def idf(self, term: str) -> float:
        """A term's IDF; a term the corpus has never seen weighs as much as the rarest one could."""
        term_id = self.index.vocab.get(term)
        return max(float(self.index.postings.idf[term_id]), 0.1) if term_id is not None else self.unseen_idf

    def coverage(self, plan: QueryPlan, terms: frozenset[str]) -> float:
        """The share of the question's IDF weight that a bag of terms covers, aliases included."""
        weights, total = self._term_weights(plan.terms)
        if not total:
            return 0.0
        covered = {t for t in weights if t in terms}
        for concept in plan.concepts:
            if any(all(t in terms for t in alt) for alt in concept.alternatives):
                covered.update(concept.terms)
        # summed in the question's order, not the set's (hash-seeded) one, so every process scores alike
        return sum(w for t, w in weights.items() if t in covered) / total

    def _weights(self, terms: tuple[str, ...]) -> tuple[dict[str, float], float]:
        """The question terms' IDFs and their sum: read once per question, not once per sentence it is
        compared with (callers only read the dict)."""
        weights = {t: self.idf(t) for t in terms}
        return weights, sum(weights.values())

    def _read_passage(self, row: int) -> ReadPassage:
        passage = self.index.passage(row)
        tokens = tuple(self.analyzer.tokens(passage.text))
        sentences = tuple(
            Sentence(s, e, frozenset(t.term for t in tokens if s <= t.start < e))
            for s, e in sentence_spans(passage.text)
        )
        return ReadPassage(passage, tokens, sentences)

    def _alias_boost(self, concepts: Sequence[Concept]) -> NDArray[np.float64]:
        boost = np.zeros(self.index.n_passages, dtype=np.float64)
        for concept in concepts:
            if concept.weight <= 0:
                continue
            own, _ = accumulate(self.index.postings, self._ids(concept.terms))
            best = np.zeros_like(boost)
            own_idf = sum(self.idf(t) for t in concept.terms)
            for alt in concept.alternatives:
                # On the question's IDF scale: "Pyongyang" earns what "North Korea" would, not its own rarity.
                scale = own_idf / sum(self.idf(t) for t in alt)
                np.maximum(best, scale * self._phrase_scores(alt), out=best)
            boost += np.maximum(concept.weight * best - own, 0.0)
        return boost

    def _ids(self, terms: Sequence[str]) -> dict[int, int]:
        return dict(Counter(self.index.vocab[t] for t in terms if t in self.index.vocab))

    def _phrase_scores(self, terms: tuple[str, ...]) -> NDArray[np.float64]:
        """BM25 of a phrase's terms in passages holding all of them (zero elsewhere)."""
        ids = [self.index.vocab.get(t) for t in terms]
        if any(i is None for i in ids):
            return np.zeros(self.index.n_passages, dtype=np.float64)
        scores, _ = accumulate(self.index.postings, dict(Counter(i for i in ids if i is not None)))
        for term_id in ids:
            present = np.zeros(self.index.n_passages, dtype=bool)
            present[self.index.postings.term_postings(int(term_id or 0))[0]] = True
            scores[~present] = 0.0
        return scores

    def _rerank_boosts(self, plan: QueryPlan, row: int) -> dict[str, float]:
        read = self.read_passage(row)
        best_share, best_sentence = 0.0, None
        for sentence in read.sentences:
            share = self.coverage(plan, sentence.terms)
            if share > best_share:
                best_share, best_sentence = share, sentence
        typed = 0.0
        if best_sentence is not None and plan.answer_type not in (AnswerType.OTHER, AnswerType.YESNO):
            body = read.passage.text[best_sentence.start:best_sentence.end]
            typed = best_share if typed_candidates(plan.answer_type, body, self.kind_of) else 0.0
        return {
            "proximity": PROXIMITY_WEIGHT * self._proximity(plan, read.tokens),
            "sentence": SENTENCE_WEIGHT * best_share,
            "answer_type": ANSWER_TYPE_WEIGHT * typed,
        }

    def _proximity(self, plan: QueryPlan, tokens: Sequence[Token]) -> float:
        positions: dict[str, list[int]] = {}
        for i, token in enumerate(tokens):
            positions.setdefault(token.term, []).append(i)
        total = 0.0
        for a, b in dict.fromkeys(zip(plan.terms, plan.terms[1:], strict=False)):  # in order: same sum everywhere
            if a != b and a in positions and b in positions and _near(positions[a], positions[b]):
                total += min(self.idf(a), self.idf(b))
        return total

    def kind_of(self, name: str) -> str | None:
        """"place" or "org" when the alias table knows the name, else None."""
        return self.reader.aliases.kinds.get(tuple(self.analyzer.terms(name)))

    def _explain(self, plan: QueryPlan, row: int, bm25: float, boosts: dict[str, float]) -> Explanation:
        vocab = self.index.vocab
        known = [vocab[t] for t in plan.terms if t in vocab]
        weights = iter(score_rows(self.index.postings, known, [row])[:, 0].tolist())
        per_term: dict[str, float] = {}
        for term in plan.terms:
            per_term[term] = per_term.get(term, 0.0) + next(weights) if term in vocab else 0.0
        return Explanation(bm25, tuple(per_term.items()), tuple(boosts.items()))


def _near(a: list[int], b: list[int]) -> bool:
    return any(0 < j - i <= PROXIMITY_WINDOW for i in a for j in b)


__all__ = ["Explanation", "Highlight", "Hit", "ReadPassage", "SearchResult", "Searcher", "Sentence", "Span"]
