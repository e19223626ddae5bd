"""The index on disk: written atomically, verified on load, rebuilt when missing, stale or corrupt.

Layout of the index directory::

    CURRENT             "<build dir> <xxh3-128 of its manifest.json>", replaced atomically
    build-<id>/         one complete build: manifest.json (format, analyzer, BM25 parameters, corpus
                        checksum, and size + xxh3-128 of every other file), .npy arrays, JSON lists, texts.bin
    .tmp-<id>/          a build being written; renamed to build-<id> only once every file is fsynced

A reader follows CURRENT, so a build that dies midway leaves the previous index in service.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import logging
import os
import shutil
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import xxhash

from qa_api.corpus import DocumentStore, StoredFile, corpus_checksum
from qa_api.errors import CorpusError, IndexUnavailableError

from .analysis import Analyzer
from .bm25 import BM25Params, Postings
from .builder import build_index
from .encoder import Encoder
from .index import FORMAT_VERSION, DocumentInfo, Index, PassageTable, documents_json
from .progress import Progress
from .segments import Generation
from .vectors import SentenceVectors, signature

log = logging.getLogger(__name__)
_NPY_HEADER_LOCK = threading.Lock()

CURRENT = "CURRENT"
KEEP_BUILDS = 2
# A delta segment grows until it holds this share of the base's documents (or this many): then the next generation
# is a merge, one new base of everything the store holds.
MERGE_FRACTION = 0.25
MERGE_MIN_DOCUMENTS = 100
_POSTINGS = ("indptr", "doc_len", "block_ptr", "block_first", "block_last", "block_max", "block_max_tf",
             "block_min_len", "block_words", "gap_bits", "tf_bits", "packed", "bitset_row", "bitsets")
_ARRAYS = {
    **{f"postings_{name}": ("postings", name) for name in _POSTINGS},
    "passages_doc": ("passages", "doc"), "passages_paragraph": ("passages", "paragraph"),
    "passages_section": ("passages", "section"), "passages_start": ("passages", "start"),
    "passages_end": ("passages", "end"), "passages_page": ("passages", "page"),
    "texts_offsets": ("", "text_offsets"),
}

_VECTOR_ARRAYS = {"vectors_ptr": "ptr", "vectors_row_of": "row_of", "vectors": "vectors", "vectors_scales": "scales",
                  "vectors_hashes": "hashes"}


def save_index(index: Index, index_dir: Path, keep: tuple[str, ...] = ()) -> Path:
    """Write ``index`` as a new build and make it current; returns the build directory. Builds named in ``keep``
    (the base a delta segment is read with) are kept."""
    index_dir.mkdir(parents=True, exist_ok=True)
    build_id = f"build-{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{os.getpid()}-{time.monotonic_ns() % 10**6}"
    tmp = index_dir / f".tmp-{build_id}"
    tmp.mkdir()
    files: dict[str, dict[str, Any]] = {}
    payloads: dict[str, Any] = {f"{name}.npy": _array_of(index, name) for name in _ARRAYS}
    if index.vectors is not None:
        payloads.update({f"{name}.npy": getattr(index.vectors, attr) for name, attr in _VECTOR_ARRAYS.items()})
    payloads["vocab.json"] = json.dumps(index.vocab_list, ensure_ascii=False).encode()
    payloads["sections.json"] = json.dumps(index.sections, ensure_ascii=False).encode()
    payloads["documents.json"] = documents_json(index).encode()
    payloads["texts.bin"] = bytes(index.text_blob)
    files = {name: _write(tmp / name, payload) for name, payload in payloads.items()}
    manifest = dict(index.manifest, files=files)
    manifest_digest = _write(tmp / "manifest.json", json.dumps(manifest, indent=2).encode())
    _fsync_dir(tmp)
    final = index_dir / build_id
    os.rename(tmp, final)
    _fsync_dir(index_dir)
    pointer = index_dir / f"{CURRENT}.tmp"
    _write(pointer, f"{build_id} {manifest_digest['xxh3_128']}\n".encode())
    os.replace(pointer, index_dir / CURRENT)
    _fsync_dir(index_dir)
    _remove_old_builds(index_dir, keep=(build_id, *keep))
    return final


def load_index(index_dir: Path) -> Index:
    """Load the current build, memory-mapped, after checking every file's size and checksum."""
    build, manifest, digest = _current_manifest(index_dir)
    return _load_build(build, manifest, digest)


def load_generation(index_dir: Path) -> Generation:
    """The current generation: the current build, and when it is a delta segment, the base it is read with."""
    return generation_of(index_dir, load_index(index_dir))


def generation_of(index_dir: Path, current: Index) -> Generation:
    base_ref = current.manifest.get("base")
    if not base_ref:
        return Generation(current)
    build = index_dir / base_ref["build"]
    raw = _read(build / "manifest.json")
    if xxhash.xxh3_128_hexdigest(raw) != base_ref["manifest_xxh3"]:
        raise IndexUnavailableError(f"base build {base_ref['build']}: manifest checksum mismatch")
    base = _load_build(build, json.loads(raw), base_ref["manifest_xxh3"])
    return Generation(base, current, frozenset(current.manifest["tombstones"]))


def _load_build(build: Path, manifest: dict[str, Any], digest: str) -> Index:
    """One build, verified; its manifest as loaded also names the build and the checksum of its manifest."""
    manifest = dict(manifest, build=build.name, manifest_xxh3=digest)
    if manifest.get("format_version") != FORMAT_VERSION:
        raise IndexUnavailableError(f"index format {manifest.get('format_version')} is not {FORMAT_VERSION}")
    files = manifest.get("files", {})
    for name, meta in files.items():
        _verify(build / name, meta)
    arrays = {name: _load_array(build / f"{name}.npy") for name in _ARRAYS}
    try:
        vocab = json.loads((build / "vocab.json").read_text(encoding="utf-8"))
        sections = json.loads((build / "sections.json").read_text(encoding="utf-8"))
        documents = [DocumentInfo(d["source"], d["title"], d["first_passage"], d["passage_count"], d["characters"])
                     for d in json.loads((build / "documents.json").read_text(encoding="utf-8"))]
        postings = Postings(BM25Params(**manifest["bm25"]), *(arrays[f"postings_{name}"] for name in _POSTINGS))
        passages = PassageTable(arrays["passages_doc"], arrays["passages_paragraph"], arrays["passages_section"],
                                arrays["passages_start"], arrays["passages_end"], arrays["passages_page"])
        texts = _load_bytes(build / "texts.bin")
        vectors = (SentenceVectors(**{a: _load_array(build / f"{name}.npy") for name, a in _VECTOR_ARRAYS.items()})
                   if manifest.get("vectors") else None)
    except (OSError, ValueError, TypeError, KeyError) as exc:
        raise IndexUnavailableError(f"index build {build.name} is unreadable: {exc}") from exc
    if len(vocab) != postings.n_terms or not _consistent(postings):
        raise IndexUnavailableError(f"index build {build.name} is inconsistent")
    return Index(manifest=manifest, vocab=vocab, postings=postings, passages=passages, documents=documents,
                 sections=sections, text_blob=texts, text_offsets=arrays["texts_offsets"], vectors=vectors)


def _consistent(p: Postings) -> bool:
    """The arrays' lengths agree with each other, so no kernel reads past one."""
    blocks = int(p.block_ptr[-1]) if p.block_ptr.shape[0] else -1
    per_block = (p.block_first, p.block_last, p.block_max, p.block_max_tf, p.block_min_len, p.gap_bits, p.tf_bits)
    return (p.block_ptr.shape[0] == p.indptr.shape[0] and all(a.shape[0] == blocks for a in per_block)
            and p.block_words.shape[0] == blocks + 1 and p.packed.shape[0] >= int(p.block_words[-1])
            and p.bitset_row.shape[0] == p.n_terms and p.bitsets.shape[1] == (p.n_docs + 63) // 64)


Corpus = Path | DocumentStore  # a corpus directory, or the document store


def open_index(corpus_dir: Corpus, index_dir: Path, params: BM25Params, analyzer: Analyzer | None = None,
               progress: Progress | None = None, encoder: Encoder | None = None) -> Index:
    """The index for a corpus (a directory or the document store): loaded when it is current, else rebuilt first
    (under a lock). With an ``encoder`` the index must hold that encoder's sentence vectors."""
    analyzer = analyzer or Analyzer()
    index, problem = _load_current(corpus_dir, index_dir, params, analyzer, encoder)
    if index is not None:
        return index
    with _build_lock(index_dir):
        index, problem = _load_current(corpus_dir, index_dir, params, analyzer, encoder)  # built meanwhile?
        if index is not None:
            return index
        log.warning("building the index: %s", problem)
        return _build_and_load(corpus_dir, index_dir, params, analyzer, progress, encoder)


def refresh_index(store: DocumentStore, index_dir: Path, params: BM25Params, analyzer: Analyzer,
                  encoder: Encoder | None = None, progress: Progress | None = None) -> bool:
    """Make the next generation current, unless the current one was built from what the store holds now (another
    process may have built it meanwhile); whether it built. The next generation is a delta segment of the
    documents written since the base, read with the base and its tombstones; or, when none can be (no base, one
    built otherwise, or a delta past ``MERGE_FRACTION`` of it), a merge: one new base of the whole store. Cheap
    when current: it reads the current manifest and the store's digests only."""
    with _build_lock(index_dir):
        try:
            _, manifest, _ = _current_manifest(index_dir)
        except IndexUnavailableError:
            manifest = {}
        checksum = store.checksum()
        if manifest.get("corpus", {}).get("checksum") == checksum:
            return False
        try:
            before: Generation | None = load_generation(index_dir)
        except IndexUnavailableError:
            before = None
        known = before.vectors_of(encoder) if before is not None and encoder is not None else None
        delta = _delta_of(before, store) if before is not None and _extends(before, params, analyzer, encoder) else None
        if before is None or delta is None:  # a merge: one new base segment of everything the store holds
            save_index(build_index(store.files(), analyzer, params, progress, encoder, known=known), index_dir)
            return True
        files, tombstones = delta
        segment = build_index(files, analyzer, params, progress, encoder, known=known)
        base_build, base_digest = before.base.manifest["build"], before.base.manifest["manifest_xxh3"]
        segment.manifest["base"] = {"build": base_build, "manifest_xxh3": base_digest}
        segment.manifest["tombstones"] = sorted(tombstones)
        segment.manifest["corpus"]["checksum"] = checksum
        save_index(segment, index_dir, keep=(base_build,))
        return True


def _extends(before: Generation, params: BM25Params, analyzer: Analyzer, encoder: Encoder | None) -> bool:
    """Whether a segment built now can be searched with the base: same analyzer, BM25 parameters and vectors."""
    m = before.base.manifest
    return (not _built_otherwise(m, params, analyzer)
            and m.get("vectors") == (signature(encoder) if encoder is not None else None))


def _delta_of(before: Generation, store: DocumentStore) -> tuple[list[StoredFile], set[str]] | None:
    """The documents written since the base (new or changed) and the base's documents they replace or that are
    gone (tombstones); None when the base cannot be extended (no record of its files, or the delta would be over
    ``MERGE_FRACTION`` of it), so a merge is due."""
    base_files: dict[str, str] | None = before.base.manifest["corpus"].get("files")
    if base_files is None or "build" not in before.base.manifest:
        return None
    held = store.sources()
    changed = {s for s, digest in held.items() if base_files.get(s) != digest.hex()}
    gone = {s for s in base_files if s not in held}
    if len(changed) + len(gone) > max(MERGE_MIN_DOCUMENTS, MERGE_FRACTION * len(base_files)):
        return None
    base_documents = {d.source for d in before.base.documents}
    return [f for f in store.files() if f.source in changed], (changed | gone) & base_documents


def _built_otherwise(manifest: dict[str, Any], params: BM25Params, analyzer: Analyzer) -> str:
    """Why a build cannot be used with this analyzer and these BM25 parameters ("" when it can)."""
    if manifest.get("analyzer") != analyzer.signature:
        return "the analyzer changed"
    if manifest.get("bm25") != params.as_dict():
        return "the BM25 parameters changed"
    return ""


def current_build(index_dir: Path) -> tuple[int, int] | None:
    """What identifies the current build, from one ``stat``: a new build makes it change."""
    try:
        st = os.stat(index_dir / CURRENT)
    except FileNotFoundError:
        return None
    return st.st_ino, st.st_mtime_ns


def rebuild_index(corpus_dir: Corpus, index_dir: Path, params: BM25Params, analyzer: Analyzer | None = None,
                  progress: Progress | None = None, encoder: Encoder | None = None) -> Index:
    """Build from the corpus and make the new build current, whatever is on disk."""
    with _build_lock(index_dir):
        return _build_and_load(corpus_dir, index_dir, params, analyzer or Analyzer(), progress, encoder)


def _build_and_load(corpus_dir: Corpus, index_dir: Path, params: BM25Params, analyzer: Analyzer,
                    progress: Progress | None, encoder: Encoder | None) -> Index:
    files = corpus_dir.files() if isinstance(corpus_dir, DocumentStore) else corpus_dir
    save_index(build_index(files, analyzer, params, progress, encoder), index_dir)
    return load_index(index_dir)


def _load_current(corpus_dir: Corpus, index_dir: Path, params: BM25Params, analyzer: Analyzer,
                  encoder: Encoder | None) -> tuple[Index | None, str]:
    """The index on disk if it can serve this corpus and configuration, else why not."""
    try:
        index = load_index(index_dir)
    except IndexUnavailableError as exc:
        return None, str(exc)
    manifest = index.manifest
    if why := _built_otherwise(manifest, params, analyzer):
        return None, why
    if encoder is not None and manifest.get("vectors") != signature(encoder):
        return None, "the index has no sentence vectors from this encoder"
    try:
        checksum = corpus_dir.checksum() if isinstance(corpus_dir, DocumentStore) else corpus_checksum(corpus_dir)
    except CorpusError:
        log.warning("corpus %s is missing: serving the index as built", corpus_dir)
        return index, ""
    if manifest.get("corpus", {}).get("checksum") != checksum:
        return None, "the corpus changed since the index was built"
    return index, ""


def current_manifest(index_dir: Path) -> dict[str, Any]:
    """The current build's manifest, its checksum verified."""
    return _current_manifest(index_dir)[1]


def _current_manifest(index_dir: Path) -> tuple[Path, dict[str, Any], str]:
    try:
        build_id, digest = (index_dir / CURRENT).read_text().split()
    except FileNotFoundError:
        raise IndexUnavailableError(f"no index in {index_dir}") from None
    except (OSError, ValueError) as exc:
        raise IndexUnavailableError(f"unreadable {CURRENT} pointer: {exc}") from exc
    build = index_dir / build_id
    raw = _read(build / "manifest.json")
    if xxhash.xxh3_128_hexdigest(raw) != digest:
        raise IndexUnavailableError(f"index build {build_id}: manifest checksum mismatch")
    try:
        return build, json.loads(raw), digest
    except ValueError as exc:
        raise IndexUnavailableError(f"index build {build_id}: bad manifest: {exc}") from exc


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError as exc:
        raise IndexUnavailableError(f"cannot read {path.name}: {exc.strerror}") from exc


def _verify(path: Path, meta: dict[str, Any]) -> None:
    hasher = xxhash.xxh3_128()
    size = 0
    try:
        with open(path, "rb") as f:
            while chunk := f.read(1 << 24):
                hasher.update(chunk)
                size += len(chunk)
    except OSError as exc:
        raise IndexUnavailableError(f"cannot read index file {path.name}: {exc.strerror}") from exc
    if size != meta.get("bytes") or hasher.hexdigest() != meta.get("xxh3_128"):
        raise IndexUnavailableError(f"index file {path.name} is corrupt (size or checksum mismatch)")


def _load_array(path: Path) -> Any:
    # np.load reads a header with ast.literal_eval, which CPython 3.11 cannot run in two threads at once (a
    # SystemError, "AST constructor recursion depth mismatch"): a worker's request and the writer's thread both
    # load generations.
    with _NPY_HEADER_LOCK:
        try:
            return np.load(path, mmap_mode="r", allow_pickle=False)
        except ValueError:  # zero-length arrays cannot be memory-mapped
            return np.load(path, allow_pickle=False)
        except OSError as exc:
            raise IndexUnavailableError(f"cannot load {path.name}: {exc}") from exc


def _load_bytes(path: Path) -> Any:
    if path.stat().st_size == 0:
        return b""
    return np.memmap(path, dtype=np.uint8, mode="r")


def _array_of(index: Index, name: str) -> Any:
    group, attr = _ARRAYS[name]
    return getattr(getattr(index, group) if group else index, attr)


def _write(path: Path, payload: bytes | np.ndarray[Any, Any]) -> dict[str, Any]:
    """Write bytes or a NumPy array durably; returns its size and checksum for the manifest."""
    with open(path, "wb") as f:
        if isinstance(payload, np.ndarray):
            np.save(f, payload)
        else:
            f.write(payload)
        f.flush()
        os.fsync(f.fileno())
    raw_hash = xxhash.xxh3_128()
    with open(path, "rb") as f:
        while chunk := f.read(1 << 24):
            raw_hash.update(chunk)
    return {"bytes": path.stat().st_size, "xxh3_128": raw_hash.hexdigest()}


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _remove_old_builds(index_dir: Path, keep: tuple[str, ...]) -> None:
    """Drop half-written builds and all but the newest few complete ones, never one in ``keep`` (open maps stay
    valid)."""
    builds = sorted((p for p in index_dir.glob("build-*") if p.is_dir()), key=lambda p: p.stat().st_mtime)
    stale = [p for p in builds if p.name not in keep][: max(0, len(builds) - len(keep) - KEEP_BUILDS + 1)]
    for path in stale + list(index_dir.glob(".tmp-*")):
        shutil.rmtree(path, ignore_errors=True)


@contextlib.contextmanager
def _build_lock(index_dir: Path) -> Iterator[None]:
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
