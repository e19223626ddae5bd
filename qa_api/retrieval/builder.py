"""The index build from a corpus directory: read, split and analyze the files on every core, then index.

Files are taken in their corpus order and cut into contiguous runs. Each run is read, split into passages
and analyzed in a worker process, into term ids of its own vocabulary (numbered in order of first use).
The runs are merged in file order, each new term taking the next global id, which is exactly the order a
single process meets them in, so the index is the same, byte for byte, whatever the number of workers.
Analysis maps each distinct raw word to its term once (``Analyzer.words`` + ``Analyzer.term``), so a
passage costs a regex scan and a dictionary lookup per word.
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import threading
import time
from collections import deque
from collections.abc import Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from itertools import islice, pairwise
from pathlib import Path

import numpy as np
from numpy.typing import NDArray

from qa_api.corpus import SourceFile, checksum_of, directory_files, read_source

from .analysis import Analyzer
from .bm25 import BM25Params, Postings, build_postings
from .encoder import Encoder
from .index import FORMAT_VERSION, DocumentInfo, Index, PassageTable
from .progress import Progress
from .vectors import SentenceVectors, embed_passages, signature

RUNS_PER_WORKER = 4  # runs of files per worker process, so an uneven run does not leave a core idle
PARENT_CHECK_S = 0.5  # how often a worker checks that the building process still lives
PARALLEL_MIN_BYTES = 1 << 23  # a smaller corpus is read in this process: starting workers would cost more


@dataclass(frozen=True)
class _Run:
    """A run of files read and analyzed, ready to be merged after the runs before it."""

    documents: list[tuple[str, str | None, int, int]]  # source, title, characters, passages
    texts: list[bytes]
    digests: list[tuple[str, bytes]]  # (source, SHA-256) of every file, skipped ones too
    skipped: list[tuple[str, str]]  # (source, why it could not be read)
    sections: list[str | None]  # per passage
    columns: NDArray[np.int64]  # per passage: paragraph, start, end, words, page (0: none)
    vocab: list[str]  # this run's terms, in order of first use
    term_ids: NDArray[np.int32]  # every word's term id in ``vocab``, -1 for a stopword


def available_cores() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def build_index(corpus: Path | Sequence[SourceFile], analyzer: Analyzer, params: BM25Params,
                progress: Progress | None = None, encoder: Encoder | None = None, workers: int | None = None,
                known: SentenceVectors | None = None) -> Index:
    """Read every file of a corpus (a directory, or the files of a document store, in corpus order) and build its
    BM25 index, on ``workers`` processes (all cores), and with an ``encoder`` its sentence vectors (copying those of
    sentences ``known`` holds)."""
    started = time.perf_counter()
    files: list[SourceFile] = [*directory_files(corpus)] if isinstance(corpus, Path) else list(corpus)
    runs = _runs(files, workers or available_cores())
    vocab: dict[str, int] = {}
    done: list[_Run] = []
    ids: list[NDArray[np.int32]] = []
    with _pool(len(runs), analyzer) as pool:
        analyzed = _analyzed(pool, runs, analyzer)  # workers fork now, before a progress bar's thread
        ticks = iter(progress(files, len(files), "indexing")) if progress else iter(())
        for run, paths in zip(analyzed, runs, strict=True):
            to_global = np.array([vocab.setdefault(t, len(vocab)) for t in run.vocab] + [-1], dtype=np.int32)
            ids.append(to_global[run.term_ids])  # -1 picks the last entry: a stopword stays -1
            done.append(run)
            deque(islice(ticks, len(paths)), maxlen=0)
        deque(ticks, maxlen=0)  # let a progress bar see its end
    term_ids = np.concatenate(ids) if ids else np.zeros(0, dtype=np.int32)
    words = np.concatenate([r.columns[3] for r in done]) if done else np.zeros(0, dtype=np.int64)
    kept = term_ids >= 0
    counted = np.zeros(term_ids.size + 1, dtype=np.int64)
    np.cumsum(kept, out=counted[1:])
    ends = np.cumsum(words)
    postings = build_postings(term_ids[kept], counted[ends] - counted[ends - words], len(vocab), params)
    index = _index(done, list(vocab), postings, analyzer, params, started)
    if encoder is not None:
        embedding = time.perf_counter()
        index.vectors = embed_passages(_passage_texts(index), encoder, progress, known)
        index.manifest["vectors"] = signature(encoder)
        index.manifest["embed_seconds"] = round(time.perf_counter() - embedding, 3)  # of build_seconds
        index.manifest["build_seconds"] = round(time.perf_counter() - started, 3)
    return index


def _runs(files: list[SourceFile], workers: int) -> list[list[SourceFile]]:
    """Contiguous runs of files of about equal size: one for a single worker or a small corpus."""
    sizes = np.array([f.size for f in files], dtype=np.int64)
    if workers <= 1 or len(files) < 2 or sizes.sum() < PARALLEL_MIN_BYTES:
        return [files]
    count = min(len(files), workers * RUNS_PER_WORKER)
    cuts = np.searchsorted(np.cumsum(sizes), np.arange(1, count) * sizes.sum() / count)
    bounds = [0, *sorted(set(cuts.tolist()) - {0, len(files)}), len(files)]
    return [files[a:b] for a, b in pairwise(bounds)]


def _pool(runs: int, analyzer: Analyzer) -> contextlib.AbstractContextManager[ProcessPoolExecutor | None]:
    """Worker processes for several runs, forked so they inherit this process's analyzer and imports; none
    for one run, or in a process with other threads running (a server), as forking it would be unsafe."""
    if runs == 1 or not _forking_is_safe():
        return contextlib.nullcontext()
    return ProcessPoolExecutor(min(runs, available_cores()), mp_context=multiprocessing.get_context("fork"),
                               initializer=_adopt, initargs=(analyzer, os.getpid()))


def _forking_is_safe() -> bool:
    """A process with one thread forks cleanly; with more, a child may inherit a lock another thread held."""
    return threading.active_count() == 1


def _analyzed(pool: ProcessPoolExecutor | None, runs: list[list[SourceFile]], analyzer: Analyzer) -> Iterator[_Run]:
    """Each run read and analyzed, in order. With a pool every run is submitted at once (the workers fork
    on the first), and results come back in order."""
    if pool is None:
        return (_read_run(run, analyzer) for run in runs)
    return pool.map(_read_run_in_worker, runs)


_worker_analyzer: Analyzer | None = None  # a worker's analyzer, inherited from the building process


def _adopt(analyzer: Analyzer, parent: int) -> None:
    global _worker_analyzer
    _worker_analyzer = analyzer
    threading.Thread(target=_exit_with, args=(parent,), daemon=True).start()


def _exit_with(parent: int) -> None:
    """End this worker once the building process is gone (killed, say): nothing else would ever stop it."""
    while os.getppid() == parent:
        time.sleep(PARENT_CHECK_S)
    os._exit(1)


def _read_run_in_worker(files: list[SourceFile]) -> _Run:
    assert _worker_analyzer is not None
    return _read_run(files, _worker_analyzer)


def _read_run(files: list[SourceFile], analyzer: Analyzer) -> _Run:
    documents, texts, digests, skipped, sections = [], [], [], [], []
    columns: list[tuple[int, int, int, int, int]] = []
    vocab: dict[str, int] = {}
    known: dict[str, int] = {}  # raw word -> term id in this run, -1 for a stopword
    term_ids: list[int] = []
    for file in files:
        read = read_source(file)
        source, doc = read.source, read.document
        digests.append((source, read.digest))
        if doc is None:
            skipped.append((source, read.reason or ""))
            continue
        documents.append((source, doc.title, len(doc.text), len(doc.passages)))
        texts.append(doc.text.encode("utf-8"))
        for passage in doc.passages:
            words = analyzer.words(passage.text)
            sections.append(passage.section)
            columns.append((passage.paragraph, passage.start, passage.end, len(words), passage.page or 0))
            try:
                term_ids.extend([known[w] for w in words])
            except KeyError:
                for w in words:
                    if w not in known:
                        term = analyzer.term(w)
                        known[w] = vocab.setdefault(term, len(vocab)) if term else -1
                term_ids.extend([known[w] for w in words])
    return _Run(documents, texts, digests, skipped, sections, np.array(columns, dtype=np.int64).reshape(-1, 5).T,
                list(vocab), np.array(term_ids, dtype=np.int32))


def _index(runs: list[_Run], vocab: list[str], postings: Postings, analyzer: Analyzer, params: BM25Params,
           started: float) -> Index:
    docs = [d for r in runs for d in r.documents]
    counts = np.array([n for *_, n in docs], dtype=np.int64)
    firsts = np.cumsum(counts) - counts
    documents = [DocumentInfo(source, title, int(first), int(n), characters)
                 for (source, title, characters, n), first in zip(docs, firsts, strict=True)]
    sections: dict[str, int] = {}
    section_ids = [sections.setdefault(s, len(sections)) if s else -1 for r in runs for s in r.sections]
    columns = np.concatenate([r.columns for r in runs], axis=1) if runs else np.zeros((5, 0), dtype=np.int64)
    table = PassageTable(doc=np.repeat(np.arange(len(documents), dtype=np.int32), counts),
                         paragraph=columns[0].astype(np.int32), section=np.asarray(section_ids, dtype=np.int32),
                         start=columns[1].copy(), end=columns[2].copy(), page=columns[4].astype(np.int32))
    texts = [t for r in runs for t in r.texts]
    offsets = np.zeros(len(texts) + 1, dtype=np.int64)
    np.cumsum([len(t) for t in texts], out=offsets[1:])
    manifest = {
        "format_version": FORMAT_VERSION,
        "analyzer": analyzer.signature,
        "bm25": params.as_dict(),
        "corpus": {"checksum": checksum_of(d for r in runs for d in r.digests), "documents": len(documents),
                   "passages": postings.n_docs, "skipped": [s for r in runs for s, _ in r.skipped],
                   "skip_reasons": [why for r in runs for _, why in r.skipped],
                   "files": {source: digest.hex() for r in runs for source, digest in r.digests}},
        "stats": {"terms": len(vocab), "postings": postings.n_postings,
                  "avg_passage_terms": float(postings.doc_len.mean()) if postings.n_docs else 0.0},
        "vectors": None,
        "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "build_seconds": round(time.perf_counter() - started, 3),
    }
    return Index(manifest=manifest, vocab=vocab, postings=postings, passages=table, documents=documents,
                 sections=list(sections), text_blob=b"".join(texts), text_offsets=offsets)


def _passage_texts(index: Index) -> list[str]:
    """Every passage's text, in passage order, each document's text decoded once."""
    texts: list[str] = []
    starts, ends = index.passages.start, index.passages.end
    for i, doc in enumerate(index.documents):
        text = index.document_text(i)
        first = doc.first_passage
        texts.extend(text[starts[p]:ends[p]] for p in range(first, first + doc.passage_count))
    return texts
