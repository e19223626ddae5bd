"""The index on disk: round trip, and rebuilt (never served) when missing, stale or corrupt."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import xxhash

from qa_api.errors import IndexUnavailableError
from qa_api.retrieval.bm25 import BM25Params
from qa_api.retrieval.index import FORMAT_VERSION
from qa_api.retrieval.store import CURRENT, load_index, open_index, rebuild_index


def _current_build(index_dir: Path) -> Path:
    return index_dir / (index_dir / CURRENT).read_text().split()[0]


def test_round_trip_keeps_postings_and_passages(corpus_copy: Path, tmp_path: Path) -> None:
    built = rebuild_index(corpus_copy, tmp_path / "idx", BM25Params())
    loaded = load_index(tmp_path / "idx")
    np.testing.assert_array_equal(loaded.postings.packed, built.postings.packed)
    for term in range(0, built.postings.n_terms, 7):
        for got, want in zip(loaded.postings.term_postings(term), built.postings.term_postings(term), strict=True):
            np.testing.assert_array_equal(got, want)
    assert loaded.vocab == built.vocab
    assert [loaded.passage(i) for i in range(loaded.n_passages)] == [built.passage(i) for i in range(built.n_passages)]
    assert isinstance(loaded.postings.packed, np.memmap)


def test_manifest_records_format_analyzer_parameters_and_corpus(corpus_copy: Path, tmp_path: Path) -> None:
    index = rebuild_index(corpus_copy, tmp_path / "idx", BM25Params(k1=1.2, b=0.5))
    m = index.manifest
    assert m["format_version"] == FORMAT_VERSION
    assert m["bm25"] == {"k1": 1.2, "b": 0.5, "epsilon": 0.25}
    assert m["analyzer"]["name"] == "english"
    assert len(m["corpus"]["checksum"]) == 64
    assert set(m["files"]) >= {"postings_packed.npy", "postings_block_max.npy", "texts.bin", "vocab.json"}


def test_missing_index_is_built(corpus_copy: Path, tmp_path: Path) -> None:
    index = open_index(corpus_copy, tmp_path / "idx", BM25Params())
    assert index.n_passages == 59


def test_current_index_is_loaded_not_rebuilt(corpus_copy: Path, tmp_path: Path) -> None:
    first = open_index(corpus_copy, tmp_path / "idx", BM25Params())
    again = open_index(corpus_copy, tmp_path / "idx", BM25Params())
    assert again.manifest["built_at"] == first.manifest["built_at"]
    assert len(list((tmp_path / "idx").glob("build-*"))) == 1


def test_stale_index_is_rebuilt_when_the_corpus_changes(corpus_copy: Path, tmp_path: Path) -> None:
    open_index(corpus_copy, tmp_path / "idx", BM25Params())
    (corpus_copy / "005_new.txt").write_text("Zanzibar hosted the quiet summit.\n", encoding="utf-8")
    index = open_index(corpus_copy, tmp_path / "idx", BM25Params())
    assert "zanzibar" in index.vocab


def test_index_is_rebuilt_when_bm25_parameters_change(corpus_copy: Path, tmp_path: Path) -> None:
    open_index(corpus_copy, tmp_path / "idx", BM25Params())
    index = open_index(corpus_copy, tmp_path / "idx", BM25Params(k1=0.9))
    assert index.params.k1 == 0.9


def test_an_index_of_the_previous_format_is_rebuilt_never_read(corpus_copy: Path, tmp_path: Path) -> None:
    """A build whose manifest (intact, checksummed) names format 2, float64 weights per posting, is refused
    by the loader and replaced by a build of the current format."""
    open_index(corpus_copy, tmp_path / "idx", BM25Params())
    old = _current_build(tmp_path / "idx")
    manifest = json.loads((old / "manifest.json").read_text())
    (old / "postings_packed.npy").rename(old / "postings_weights.npy")
    manifest["files"]["postings_weights.npy"] = manifest["files"].pop("postings_packed.npy")
    raw = json.dumps(dict(manifest, format_version=2), indent=2).encode()
    (old / "manifest.json").write_bytes(raw)
    (tmp_path / "idx" / CURRENT).write_text(f"{old.name} {xxhash.xxh3_128_hexdigest(raw)}\n")
    with pytest.raises(IndexUnavailableError, match=f"index format 2 is not {FORMAT_VERSION}"):
        load_index(tmp_path / "idx")
    index = open_index(corpus_copy, tmp_path / "idx", BM25Params())
    assert _current_build(tmp_path / "idx") != old
    assert index.manifest["format_version"] == FORMAT_VERSION == 4
    assert index.n_passages == 59


@pytest.mark.parametrize("damage", ["bit-flip", "truncate", "delete"])
def test_corrupt_index_is_detected_and_rebuilt(corpus_copy: Path, tmp_path: Path, damage: str) -> None:
    good_packed = np.array(open_index(corpus_copy, tmp_path / "idx", BM25Params()).postings.packed)  # a copy,
    # not the map: damaging a mapped file in place is what this test simulates, and reading it would fault
    target = _current_build(tmp_path / "idx") / "postings_packed.npy"
    raw = bytearray(target.read_bytes())
    if damage == "bit-flip":
        raw[-3] ^= 0x10
        target.write_bytes(bytes(raw))
    elif damage == "truncate":
        target.write_bytes(bytes(raw[: len(raw) // 2]))
    else:
        target.unlink()
    with pytest.raises(IndexUnavailableError):
        load_index(tmp_path / "idx")
    rebuilt = open_index(corpus_copy, tmp_path / "idx", BM25Params())
    np.testing.assert_array_equal(rebuilt.postings.packed, good_packed)


def test_a_failed_build_leaves_the_previous_index_current(corpus_copy: Path, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    open_index(corpus_copy, tmp_path / "idx", BM25Params())
    before = (tmp_path / "idx" / CURRENT).read_text()

    def crash(*args: object, **kwargs: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr("qa_api.retrieval.store.np.save", crash)
    with pytest.raises(OSError):
        rebuild_index(corpus_copy, tmp_path / "idx", BM25Params())
    assert (tmp_path / "idx" / CURRENT).read_text() == before
    assert load_index(tmp_path / "idx").n_passages == 59
