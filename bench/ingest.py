"""What one write costs the index: ``python -m bench.ingest [--documents N] [--dense] [--json]``.

A document store holds the seed corpus and N short documents (three paragraphs each), indexed as one base
segment; one more document is written and the next generation (a delta segment over the base) built from the
store, as the writing worker's background thread does, three times. Printed: the full build, each generation's
seconds against it, and each generation's load as a worker loads it (the live corpus's statistics, each
segment's block bounds).
With ``--dense`` the build embeds every sentence and each generation copies the vectors of the sentences it had.
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path

from qa_api.corpus import DocumentStore
from qa_api.retrieval.analysis import Analyzer
from qa_api.retrieval.bm25 import BM25Params
from qa_api.retrieval.encoder import shared_encoder
from qa_api.retrieval.segments import Segments
from qa_api.retrieval.store import load_generation, rebuild_index, refresh_index

SEEDS = Path(__file__).resolve().parent.parent / "seeds"


def document(i: int) -> bytes:
    return (f"Report {i} opens with the harbour at dawn.\n\nThe second paragraph of report {i} counts the boats.\n\n"
            f"Finally report {i} closes with the tide tables.\n").encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--documents", type=int, default=1000)
    parser.add_argument("--dense", action="store_true", help="with sentence vectors (QA_API_DENSE)")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    encoder = shared_encoder() if args.dense else None
    analyzer, params = Analyzer(), BM25Params()
    with tempfile.TemporaryDirectory() as home:
        store = DocumentStore(Path(home) / "documents.sqlite3")
        store.import_directory(SEEDS, first_start=True)
        for i in range(args.documents):
            store.put(f"doc-{i:06d}.txt", ".txt", document(i))
        started = time.perf_counter()
        rebuild_index(store, Path(home) / "index", params, analyzer, encoder=encoder)
        full = time.perf_counter() - started
        generations, loads = [], []
        for n in range(3):
            store.put(f"new-{n}.txt", ".txt", document(args.documents + n))
            started = time.perf_counter()
            refresh_index(store, Path(home) / "index", params, analyzer, encoder)
            generations.append(time.perf_counter() - started)
            started = time.perf_counter()  # what a worker does when it notices the generation
            assert Segments(load_generation(Path(home) / "index"), analyzer).scorings
            loads.append(time.perf_counter() - started)
    full, generations = round(full, 3), [round(g, 3) for g in generations]
    figures = {"documents": args.documents + 5, "dense": args.dense, "full_build_s": full,
               "generation_s": generations, "load_s": [round(x, 3) for x in loads],
               "generation_vs_full_build": round(max(generations) / full, 3)}
    print(json.dumps(figures) if args.json else "\n".join(f"{k}: {v}" for k, v in figures.items()))


if __name__ == "__main__":
    main()
