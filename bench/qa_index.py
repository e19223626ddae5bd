"""A qa-api index of the synthetic corpus, written with the real store (same format, checksums, atomic swap)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

import numpy as np
from tqdm import tqdm

from bench import corpus as synth
from qa_api.retrieval.bm25 import BM25Params, build_postings
from qa_api.retrieval.index import FORMAT_VERSION, DocumentInfo, Index, PassageTable
from qa_api.retrieval.store import save_index

PASSAGES_PER_DOCUMENT = 10


def build_and_save(corpus: synth.SyntheticCorpus, index_dir: Path, params: BM25Params | None = None) -> Index:
    """Index the corpus's tokens as term ids (word rank = term id) and save it under ``index_dir``."""
    params = params or BM25Params()
    started = time.perf_counter()
    n = corpus.n_passages
    with tqdm(total=n, unit="passage", desc="indexing", file=sys.stderr, mininterval=1.0) as bar:
        # The build reads every passage twice (count, then fill): each pass is half the work.
        postings = build_postings(corpus.tokens, corpus.lengths, synth.VOCABULARY, params,
                                  progress=lambda done: bar.update(done / 2))
    rows = np.arange(n)
    table = PassageTable(doc=(rows // PASSAGES_PER_DOCUMENT).astype(np.int32),
                         paragraph=(rows % PASSAGES_PER_DOCUMENT + 1).astype(np.int32),
                         section=np.full(n, -1, dtype=np.int32), start=np.zeros(n, dtype=np.int64),
                         end=np.zeros(n, dtype=np.int64), page=np.zeros(n, dtype=np.int32))
    n_docs = -(-n // PASSAGES_PER_DOCUMENT)
    documents = [DocumentInfo(f"bench-{d}.txt", None, d * PASSAGES_PER_DOCUMENT,
                              min(PASSAGES_PER_DOCUMENT, n - d * PASSAGES_PER_DOCUMENT), 0) for d in range(n_docs)]
    manifest = {
        "format_version": FORMAT_VERSION,
        "analyzer": {"name": "synthetic"},
        "bm25": params.as_dict(),
        "corpus": {"checksum": "synthetic", "documents": n_docs, "passages": n, "skipped": []},
        "stats": {"terms": synth.VOCABULARY, "postings": postings.n_postings},
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "build_seconds": round(time.perf_counter() - started, 3),
    }
    index = Index(manifest=manifest, vocab=[synth.word(i) for i in range(synth.VOCABULARY)], postings=postings,
                  passages=table, documents=documents, sections=[], text_blob=b"",
                  text_offsets=np.zeros(n_docs + 1, dtype=np.int64))
    save_index(index, index_dir)
    return index
