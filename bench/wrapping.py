"""Ranking of hard-wrapped text against the same text one paragraph a line: ``python -m bench.wrapping``.

A corpus given one paragraph a line is hard-wrapped at several widths with a ragged right edge (each line stops
at a width drawn from the last ``--ragged`` columns), with a blank line between paragraphs (``blank``) or with
nothing but the line break (``flush``). Each version is indexed by qa-api's own reader and index, and the same
queries are searched (plain BM25, top 10, as ``GET /v1/search``).

No corpus with relevance judgements installs from PyPI without a download at run time, so the judgements are
built from the text itself: a query is five words drawn from one sentence of a paragraph. Two figures:
- ``ndcg@10``, by document as BEIR judges: the relevant document is the query's own, and documents rank by
  their best passage (the first 100 passages, deduplicated);
- ``passage_ndcg@10``, stricter: the relevant passage is the one that holds the whole sentence (in every
  version, found by the sentence's offsets), so a sentence cut across two passages scores 0.

Corpora: ``pydoc`` (the sections of the Python language reference's help topics, shipped with CPython as
``pydoc_data.topics``: a few paragraphs each, as in BEIR's collections), ``seeds`` (the news articles in
``seeds/``), or a directory of ``.txt`` files written one paragraph a line.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import re
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
WIDTHS = (40, 45, 60, 72, 80)
STYLES = ("blank", "flush")
TOP_K = 10
QUERY_WORDS = 5
_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")  # the judgements' own, deliberately not the reader's
_WORD = re.compile(r"[A-Za-z][A-Za-z'-]{2,}")
_RULE = re.compile(r"^\s*([*=~^#-])\1{2,}\s*$")
_SECTION = re.compile(r"\n\n(?=[^\n]+\n[*=~^-]{3,}\n)")  # before a heading and its underline
MIN_CHARS = 300
CANDIDATE_PASSAGES = 100


@dataclass(frozen=True)
class Query:
    text: str
    document: int
    paragraph: int
    start: int  # the sentence's offsets inside its paragraph
    end: int


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.wrapping", description=__doc__.split("\n")[0])
    parser.add_argument("--corpus", default="pydoc", help="pydoc, seeds, or a directory of one-paragraph-a-line "
                                                          ".txt files")
    parser.add_argument("--queries", type=int, default=500)
    parser.add_argument("--widths", default=",".join(map(str, WIDTHS)))
    parser.add_argument("--styles", default=",".join(STYLES))
    parser.add_argument("--ragged", type=int, default=8, help="lines stop anywhere in the last N columns")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    documents = load_documents(args.corpus)
    queries = make_queries(documents, args.queries, random.Random(args.seed))
    report = run(documents, queries, [int(w) for w in args.widths.split(",")], args.styles.split(","),
                 args.ragged, args.seed)
    report["corpus"] = args.corpus
    print(json.dumps(report, indent=2) if args.json else format_table(report))
    return 0


def load_documents(corpus: str) -> list[list[str]]:
    """Each document as its paragraphs, one string each, single-spaced."""
    if corpus == "pydoc":
        from pydoc_data.topics import topics

        sections = [s for name in sorted(topics) for s in _SECTION.split(topics[name])]
        return [ps for ps in (_blank_line_paragraphs(s) for s in sections) if sum(map(len, ps)) >= MIN_CHARS]
    directory = ROOT / "seeds" if corpus == "seeds" else Path(corpus)
    files = sorted(directory.rglob("*.txt"))
    return [ps for ps in ([" ".join(line.split()) for line in f.read_text(encoding="utf-8").splitlines()
                           if line.strip()] for f in files) if ps]


def _blank_line_paragraphs(text: str) -> list[str]:
    """A text written with blank lines between its paragraphs, one paragraph a string (underlines dropped)."""
    blocks = re.split(r"\n\s*\n", text)
    kept = (" ".join(line for line in block.splitlines() if not _RULE.match(line)) for block in blocks)
    return [" ".join(p.split()) for p in kept if p.strip()]


def make_queries(documents: list[list[str]], count: int, rng: random.Random) -> list[Query]:
    """Five words of a sentence of a paragraph; the judged passage is the one holding that sentence."""
    candidates = []
    for d, paragraphs in enumerate(documents):
        for p, text in enumerate(paragraphs):
            start = 0
            for part in _SENTENCE_END.split(text):
                at = text.index(part, start)
                start = at + len(part)
                words = sorted(set(_WORD.findall(part)))
                if len(words) >= QUERY_WORDS + 3:
                    candidates.append((d, p, at, start, words))
    chosen = rng.sample(candidates, min(count, len(candidates)))
    return [Query(" ".join(rng.sample(words, QUERY_WORDS)), d, p, s, e) for d, p, s, e, words in chosen]


def render(paragraphs: list[str], width: int | None, style: str, ragged: int,
           rng: random.Random) -> tuple[str, list[int]]:
    """The document's text and where each paragraph starts in it; ``width`` None: one paragraph a line."""
    lines_of = [[p] if width is None else _wrap(p, width, ragged, rng) for p in paragraphs]
    separator = "\n\n" if style == "blank" and width is not None else "\n"
    starts, text = [], ""
    for lines in lines_of:
        if text:
            text += separator
        starts.append(len(text))
        text += "\n".join(lines)  # wrapping turns single spaces into line breaks: offsets inside stay the same
    return text + "\n", starts


def _wrap(paragraph: str, width: int, ragged: int, rng: random.Random) -> list[str]:
    lines = [""]
    limit = width - rng.randint(0, ragged)
    for word in paragraph.split(" "):
        if lines[-1] and len(lines[-1]) + 1 + len(word) > limit:
            lines.append("")
            limit = width - rng.randint(0, ragged)
        lines[-1] = f"{lines[-1]} {word}" if lines[-1] else word
    return lines


def run(documents: list[list[str]], queries: list[Query], widths: list[int], styles: list[str], ragged: int,
        seed: int) -> dict[str, Any]:
    flat = measure(documents, queries, None, "flat", ragged, seed)
    rows = []
    for style in styles:
        for width in widths:
            wrapped = measure(documents, queries, width, style, ragged, seed)
            rows.append({"width": width, "style": style, **wrapped,
                         "ndcg_ratio": _ratio(wrapped["ndcg@10"], flat["ndcg@10"]),
                         "passage_ndcg_ratio": _ratio(wrapped["passage_ndcg@10"], flat["passage_ndcg@10"])})
    return {"documents": len(documents), "paragraphs": sum(map(len, documents)), "queries": len(queries),
            "ragged_columns": ragged, "one_paragraph_a_line": flat, "wrapped": rows}


def _ratio(value: float, reference: float) -> float | None:
    return round(value / reference, 4) if reference else None


def measure(documents: list[list[str]], queries: list[Query], width: int | None, style: str, ragged: int,
            seed: int) -> dict[str, Any]:
    from qa_api.service import QAService
    from qa_api.settings import Settings

    rng = random.Random(f"{seed}-{width}-{style}")
    with tempfile.TemporaryDirectory(prefix="bench-wrapping-") as tmp:
        corpus, starts = Path(tmp) / "corpus", []
        corpus.mkdir()
        for d, paragraphs in enumerate(documents):
            text, where = render(paragraphs, width, style, ragged, rng)
            (corpus / f"doc{d:05d}.txt").write_text(text, encoding="utf-8")
            starts.append(where)
        service = QAService.open(Settings(corpus_dir=corpus, index_dir=Path(tmp) / "index"))
        by_document = by_passage = 0.0
        for q in queries:
            source = f"doc{q.document:05d}.txt"
            begin = starts[q.document][q.paragraph]
            hits = service.search(q.text, CANDIDATE_PASSAGES).hits
            documents_ranked = list(dict.fromkeys(h.passage.source for h in hits))[:TOP_K]
            by_document += _gain(documents_ranked.index(source) + 1 if source in documents_ranked else None)
            by_passage += _gain(next((h.rank for h in hits[:TOP_K] if h.passage.source == source
                                      and h.passage.start <= begin + q.start and begin + q.end <= h.passage.end),
                                     None))
        passages = service.backend.index.n_passages
    return {"ndcg@10": round(by_document / len(queries), 4), "passage_ndcg@10": round(by_passage / len(queries), 4),
            "passages": passages, "passages_per_document": round(passages / len(documents), 2)}


def _gain(rank: int | None) -> float:
    """nDCG of one query with one relevant item: the ideal ranking puts it first."""
    return 1 / math.log2(rank + 1) if rank else 0.0


def format_table(report: dict[str, Any]) -> str:
    flat = report["one_paragraph_a_line"]
    head = (f"corpus {report['corpus']}: {report['documents']} documents, {report['paragraphs']} paragraphs, "
            f"{report['queries']} queries; ragged right edge over {report['ragged_columns']} columns")
    columns = f"{'version':<22}{'nDCG@10':>9}{'ratio':>8}{'passage nDCG':>14}{'ratio':>8}{'passages':>10}{'per doc':>9}"
    rows = [("one paragraph a line", {**flat, "ndcg_ratio": 1.0, "passage_ndcg_ratio": 1.0})]
    rows += [(f"wrapped {r['width']} {r['style']}", r) for r in report["wrapped"]]
    lines = [head, columns] + [
        f"{name:<22}{r['ndcg@10']:>9.4f}{r['ndcg_ratio']:>8.4f}{r['passage_ndcg@10']:>14.4f}"
        f"{r['passage_ndcg_ratio']:>8.4f}{r['passages']:>10}{r['passages_per_document']:>9.2f}" for name, r in rows]
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
