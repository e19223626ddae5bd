"""Fit ask's weights on the tuning question sets, and say how well they carry over to a set left out.

    .venv/bin/python scripts/fit_weights.py [--sets dev holdout ... holdout8] [--precision 0.9]

Three small models, each fitted with plain gradient descent and an L2 penalty, the way they are used:
1. passage re-ranking (``answers/ranking.py`` ``PASSAGE_WEIGHTS``): a listwise softmax over each question's BM25
   pool, with BM25 (in units of the pool's best) as one feature; the relevant passages are the targets;
2. the evidence sentence (``SENTENCE_WEIGHTS``): a listwise softmax over the sentences of the top passages; the
   sentences that hold an accepted answer are the targets;
3. the short answer (``answers/finder.py`` ``WEIGHTS``): a logistic model of a candidate being an accepted answer;
   then the smallest ``THRESHOLD`` at which the answers it would give are right ``--precision`` of the time.
Each model is also fitted with one set left out and measured on that set, which is what the printed "left out"
figures are. The blind sets (holdout9 and later) are never read here.
"""

from __future__ import annotations

import argparse
from dataclasses import replace
from pathlib import Path

import numpy as np

from qa_api.answers import finder, ranking
from qa_api.evaluate import answer_matches, first_relevant_rank, holds_answer, read_questions
from qa_api.service import QAService
from qa_api.settings import Settings

TUNING = ["dev", "holdout", "holdout2", "holdout3", "holdout4", "holdout5", "holdout6", "holdout7", "holdout8"]


def softmax_fit(groups: list[tuple[np.ndarray, np.ndarray]], l2: float = 1e-3, steps: int = 600,
                rate: float = 0.5) -> np.ndarray:
    w = np.zeros(groups[0][0].shape[1])
    for _ in range(steps):
        grad = np.zeros_like(w)
        for x, y in groups:
            s = x @ w
            p = np.exp(s - s.max())
            p /= p.sum()
            grad += x.T @ (p - y / y.sum())
        w -= rate * (grad / len(groups) + l2 * w)
    return w


def logistic_fit(x: np.ndarray, y: np.ndarray, l2: float = 1e-2, steps: int = 3000, rate: float = 0.5) -> np.ndarray:
    x = np.hstack([np.ones((len(x), 1)), x])
    w = np.zeros(x.shape[1])
    for _ in range(steps):
        p = 1 / (1 + np.exp(-(x @ w)))
        w -= rate * (x.T @ (p - y) / len(y) + l2 * np.r_[0, w[1:]])
    return w


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sets", nargs="+", default=TUNING)
    parser.add_argument("--precision", type=float, default=0.9)
    args = parser.parse_args()
    service = QAService.open(Settings.from_env())
    questions = [(name, q) for name in args.sets for q in read_questions(Path("eval") / f"{name}.jsonl")]
    passage_names = list(ranking.PASSAGE_WEIGHTS)
    sentence_names = list(ranking.SENTENCE_WEIGHTS)

    # 1. passages
    passage_groups = []
    for name, q in questions:
        reading = service.read(q.question)
        pool = service.backend.pool(reading.query, ranking.POOL)
        vector = service.encoder.encode([q.question])[0] if service.encoder else None
        features = service.ranker.passage_features(reading, pool, vector)
        unit = max(pool.scores[0], 1e-9) if pool.scores else 1.0
        x = np.array([[s / unit] + [f.get(n, 0.0) for n in passage_names] for s, f in zip(pool.scores, features,
                                                                                             strict=True)])
        passages = [service.backend.read(k).passage for k in pool.keys]
        y = np.array([first_relevant_rank([p], q.evidence) == 1 for p in passages], float)
        passage_groups.append((name, x, y))
    fitted = softmax_fit([(x, y) for _, x, y in passage_groups if y.any()])
    print("passage weights:", {n: round(v / fitted[0], 3) for n, v in zip(passage_names, fitted[1:], strict=True)})
    print("passage Recall@1 left out:", round(_left_out_top1(passage_groups, args.sets), 3))

    # 2. sentences, over the passages as ranked with the fitted weights
    ranking.PASSAGE_WEIGHTS.update({n: float(v / fitted[0]) for n, v in zip(passage_names, fitted[1:],
                                                                               strict=True)})
    sentence_groups = []
    for name, q in questions:
        reading = service.read(q.question)
        vector = service.encoder.encode([q.question])[0] if service.encoder else None
        ranked = service.ranker.rerank(reading, service.backend.pool(reading.query, ranking.POOL), vector)
        rows = service.ranker.sentence_features(reading, ranked, vector) if ranked else []
        if not rows or not q.answerable:
            continue
        x = np.array([[f[n] for n in sentence_names] for _, f in rows])
        y = np.array([holds_answer(e.read.passage.text[e.sentence.start:e.sentence.end], q.answers) for e, _ in rows],
                     float)
        sentence_groups.append((name, x, y))
    fitted_s = softmax_fit([(x, y) for _, x, y in sentence_groups if y.any()])
    scale = fitted_s[0] or 1.0
    print("sentence weights:", {n: round(v / scale, 3) for n, v in zip(sentence_names, fitted_s, strict=True)})
    print("evidence accuracy left out:", round(_left_out_top1(sentence_groups, args.sets), 3))

    # 3. answers, from the evidence as chosen with the fitted weights: which candidate, then how sure
    ranking.SENTENCE_WEIGHTS.update({n: float(v / scale) for n, v in zip(sentence_names, fitted_s, strict=True)})
    choice_names = list(finder.CHOICE_WEIGHTS)
    per_question = []
    for name, q in questions:
        reading = service.read(q.question)
        vector = service.encoder.encode([q.question])[0] if service.encoder else None
        ranked = service.ranker.rerank(reading, service.backend.pool(reading.query, ranking.POOL), vector)
        choices = service.finder.choices(reading, service.ranker.evidence(reading, ranked, vector))
        if choices:
            right = [q.answerable and answer_matches(c.text, q.answers) for c in choices]
            per_question.append((name, reading, choices, np.array(right, float)))
    fitted_c = softmax_fit([(np.array([[c.features[n] for n in choice_names] for c in ch]), y)
                            for _, _, ch, y in per_question if y.any()])
    finder.CHOICE_WEIGHTS.update({n: float(v) for n, v in zip(choice_names, fitted_c, strict=True)})
    print("choice weights:", {n: round(float(v), 3) for n, v in zip(choice_names, fitted_c, strict=True)})
    confidence_names = [n for n in finder.CONFIDENCE_WEIGHTS if n != "bias"]
    x_rows, y_rows, owners = [], [], []
    for name, reading, choices, _ in per_question:
        rescored = sorted((replace(c, score=sum(finder.CHOICE_WEIGHTS[n] * v for n, v in c.features.items()))
                           for c in choices), key=lambda c: -c.score)
        q = next(q for n, q in questions if n == name and q.question == reading.text)
        features = finder.confidence_features(reading, rescored)
        x_rows.append([features[n] for n in confidence_names])
        y_rows.append(float(q.answerable and answer_matches(rescored[0].text, q.answers)))
        owners.append(name)
    x, y, sets = np.array(x_rows), np.array(y_rows), np.array(owners)
    w = logistic_fit(x, y)
    print("confidence weights:", {"bias": round(float(w[0]), 3),
                                  **{n: round(float(v), 3) for n, v in zip(confidence_names, w[1:], strict=True)}})
    answerable = sum(q.answerable for _, q in questions)
    threshold = _threshold(x, y, w, args.precision)
    given, right = _answers(x, y, w, threshold)
    print(f"threshold {threshold}: {right}/{given} right, coverage {given / answerable:.3f}")
    p = 1 / (1 + np.exp(-(np.hstack([np.ones((len(x), 1)), x]) @ w)))
    order = np.argsort(-p)
    for t in np.arange(0.55, 0.76, 0.03):
        g, r = _answers(x, y, w, float(t))
        print(f"  threshold {t:.2f}: {r}/{g} right ({r / max(g, 1):.3f}), coverage {g / answerable:.3f}")
    print(f"first choices right: {int(y.sum())} of {len(y)} questions with a candidate ({answerable} answerable)")
    for coverage in (0.2, 0.3, 0.4, 0.5, 0.6):
        k = int(coverage * answerable)
        print(f"  the {k} most confident ({coverage:.0%} coverage): precision {y[order[:k]].mean():.3f}")
    for held in args.sets:
        keep = sets != held
        w_out = logistic_fit(x[keep], y[keep])
        t_out = _threshold(x[keep], y[keep], w_out, args.precision)
        given, right = _answers(x[~keep], y[~keep], w_out, t_out)
        print(f"  left out {held:9}: {right}/{given} right at threshold {t_out}")


def _left_out_top1(groups: list[tuple[str, np.ndarray, np.ndarray]], sets: list[str]) -> float:
    right = total = 0
    for held in sets:
        w = softmax_fit([(x, y) for name, x, y in groups if name != held and y.any()])
        for name, x, y in groups:
            if (name == held and y.any()) or (name == held and len(y) == 0):
                total += 1
                right += bool(len(y) and y[int(np.argmax(x @ w))] > 0)
    return right / max(total, 1)


def _answers(x: np.ndarray, y: np.ndarray, w: np.ndarray, threshold: float) -> tuple[int, int]:
    """Answers given and right ones at ``threshold``, one question a row."""
    p = 1 / (1 + np.exp(-(np.hstack([np.ones((len(x), 1)), x]) @ w)))
    return int((p >= threshold).sum()), int(((p >= threshold) & (y > 0)).sum())


def _threshold(x: np.ndarray, y: np.ndarray, w: np.ndarray, precision: float) -> float:
    """The lowest threshold (in steps of 0.01) whose answers are right at least ``precision`` of the time."""
    for t in np.arange(0.2, 1.0, 0.01):
        given, right = _answers(x, y, w, float(t))
        if given and right / given >= precision:
            return round(float(t), 2)
    return 1.0


if __name__ == "__main__":
    main()
