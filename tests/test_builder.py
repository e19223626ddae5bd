"""The index build from text: several worker processes give exactly the index one process gives."""

from __future__ import annotations

import json
import random
import re
import shutil
import threading
from collections.abc import Iterable, Iterator
from pathlib import Path

import pytest

from qa_api.corpus import DirectoryFile, SourceFile
from qa_api.retrieval import builder
from qa_api.retrieval.analysis import Analyzer
from qa_api.retrieval.bm25 import BM25Params
from qa_api.retrieval.store import save_index
from tests.conftest import SEEDS


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed articles, 60 more files (in sub-directories too) of their sentences reshuffled, with words
    each run meets first in another order, and a file that is not UTF-8."""
    root = tmp_path_factory.mktemp("corpus")
    shutil.copytree(SEEDS, root, dirs_exist_ok=True)
    sentences = [s for p in sorted(SEEDS.glob("*.txt")) for s in re.split(r"(?<=[.!?])\s+", p.read_text())
                 if len(s) > 40]
    rng = random.Random(4)
    for i in range(60):
        folder = root / f"part-{i % 3}"
        folder.mkdir(exist_ok=True)
        paragraphs = [" ".join(rng.sample(sentences, 3)) + f" Word{i}x{j} appears here." for j in range(12)]
        (folder / f"{i:03d}.txt").write_text(f"Reshuffled {i}\n\n" + "\n\n".join(paragraphs) + "\n", encoding="utf-8")
    (root / "part-1" / "latin1.txt").write_bytes("caf\xe9 au lait".encode("latin-1"))
    return root


def _files(index_dir: Path) -> dict[str, bytes]:
    build = index_dir / (index_dir / "CURRENT").read_text().split()[0]
    out = {p.name: p.read_bytes() for p in build.iterdir() if p.name != "manifest.json"}
    manifest = json.loads((build / "manifest.json").read_text())
    for varying in ("built_at", "build_seconds"):
        del manifest[varying]
    out["manifest.json"] = json.dumps(manifest, sort_keys=True).encode()
    return out


def test_a_build_on_several_processes_is_byte_identical_to_one_on_a_single_process(
        corpus: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    pools: list[object] = []

    class Pool(builder.ProcessPoolExecutor):  # the build really goes through worker processes
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[arg-type]
            pools.append(self)

    monkeypatch.setattr(builder, "ProcessPoolExecutor", Pool)
    monkeypatch.setattr(builder, "PARALLEL_MIN_BYTES", 0)
    monkeypatch.setattr(builder, "_forking_is_safe", lambda: True)  # other tests of this session leave threads
    one = builder.build_index(corpus, Analyzer(), BM25Params(), workers=1)
    assert not pools
    ticked: list[Path] = []
    stop = threading.Event()

    def progress(files: Iterable[Path], total: int, what: str) -> Iterator[Path]:
        """Like a terminal progress bar, which starts a thread of its own as it is made."""
        threading.Thread(target=stop.wait, daemon=True).start()
        for path in files:
            ticked.append(path)
            yield path

    try:
        several = builder.build_index(corpus, Analyzer(), BM25Params(), progress=progress, workers=3)
    finally:
        stop.set()
    assert len(pools) == 1 and len(builder._runs([*builder.directory_files(corpus)], 3)) > 6
    assert ticked == builder.directory_files(corpus)
    save_index(one, tmp_path / "one")
    save_index(several, tmp_path / "several")
    assert _files(tmp_path / "one") == _files(tmp_path / "several")
    assert several.manifest["corpus"]["skipped"] == ["part-1/latin1.txt"]
    assert several.n_passages == one.n_passages > 700
    assert [several.passage(i) for i in range(0, several.n_passages, 37)] == \
        [one.passage(i) for i in range(0, one.n_passages, 37)]


def test_files_are_cut_into_contiguous_runs_of_about_equal_size(tmp_path: Path,
                                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(builder, "PARALLEL_MIN_BYTES", 0)
    files: list[SourceFile] = []
    for i, size in enumerate([100] * 8 + [10] * 8 + [500]):
        (tmp_path / f"{i:02d}.txt").write_bytes(b"x" * size)
        files.append(DirectoryFile(tmp_path, tmp_path / f"{i:02d}.txt"))
    runs = builder._runs(files, 2)
    assert [p for run in runs for p in run] == files
    sizes = [sum(p.size for p in run) for run in runs]
    assert len(runs) == 2 * builder.RUNS_PER_WORKER - 1 and all(runs)  # two of the 8 cuts meet in the big file
    assert max(sizes) <= 1380 / 8 + 500  # at most one share of the bytes plus the file a cut falls in
    assert builder._runs(files, 1) == [files]
    monkeypatch.setattr(builder, "PARALLEL_MIN_BYTES", 10_000)
    assert builder._runs(files, 2) == [files]  # too small to be worth a worker
