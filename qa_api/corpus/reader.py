"""The corpus: a directory of UTF-8 ``.txt`` files, each split into the paragraphs a reader would see.

Every passage keeps ``start``/``end`` character offsets into its file's text, so
``document.text[passage.start:passage.end] == passage.text`` always holds.

How a file is read:
- Blank lines separate blocks; inside a block each line is a paragraph, unless the file is hard-wrapped
  (short, even lines that stop mid-sentence), where lines join until a sentence ends.
- Page furniture ("RELATED STORIES", "... Opens in new window ]", "Edited by ...") is dropped; the
  patterns live in ``data/boilerplate.txt``.
- A run of one to three short lines without closing punctuation, followed by a paragraph, is a heading
  block: its first line becomes the ``section`` of the passages under it (the first heading of a file is
  also its title), and any further lines of the block (a sub-title, a dateline) stay passages.
- Any other short lines (a trailing list of headlines, say) are passages of their own.
"""

from __future__ import annotations

import hashlib
import logging
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources
from pathlib import Path

from qa_api.errors import CorpusError

log = logging.getLogger(__name__)

MAX_SHORT_CHARS = 120
WRAPPED_MIN_CHARS = 50  # in a hard-wrapped file, a line at least this long that stops mid-sentence goes on
_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")
_SENTENCE_END_RE = re.compile(r"[.!?…:;][\"'”’»)\]]*$")
_UNSAFE_ID_CHARS = re.compile(r"[^A-Za-z0-9._-]")


@dataclass(frozen=True, slots=True)
class Passage:
    id: str
    source: str
    paragraph: int
    section: str | None
    text: str
    start: int
    end: int


@dataclass(frozen=True, slots=True)
class Document:
    source: str
    text: str
    title: str | None
    passages: tuple[Passage, ...]


@dataclass(frozen=True, slots=True)
class Corpus:
    documents: tuple[Document, ...]
    checksum: str
    skipped: tuple[str, ...] = ()

    def passages(self) -> Iterator[Passage]:
        for doc in self.documents:
            yield from doc.passages


@dataclass(frozen=True, slots=True)
class _Para:
    start: int
    end: int
    kind: str  # "body" | "short" | "boilerplate"


def corpus_files(corpus_dir: Path) -> list[Path]:
    """The corpus's ``.txt`` files, in a stable order."""
    if not corpus_dir.is_dir():
        raise CorpusError(f"corpus directory {corpus_dir} does not exist")
    return sorted(p for p in corpus_dir.rglob("*.txt") if p.is_file())


def corpus_checksum(corpus_dir: Path) -> str:
    """SHA-256 over every file's relative name and bytes: the index is stale when this changes."""
    return checksum_of((path.relative_to(corpus_dir).as_posix(), hashlib.sha256(path.read_bytes()).digest())
                       for path in corpus_files(corpus_dir))


def checksum_of(digests: Iterable[tuple[str, bytes]]) -> str:
    """The corpus checksum from each file's relative name and the SHA-256 of its bytes, in file order."""
    digest = hashlib.sha256()
    for source, file_digest in digests:
        digest.update(source.encode() + b"\0")
        digest.update(file_digest)
    return digest.hexdigest()


def read_document(corpus_dir: Path, path: Path) -> tuple[str, bytes, Document | None]:
    """One file: its relative name, the SHA-256 of its bytes, and its document (None when not UTF-8)."""
    source = path.relative_to(corpus_dir).as_posix()
    raw = path.read_bytes()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        log.warning("skipping %s: not UTF-8 (byte %d)", source, exc.start)
        return source, hashlib.sha256(raw).digest(), None
    return source, hashlib.sha256(raw).digest(), split_document(source, text)


def load_corpus(corpus_dir: Path) -> Corpus:
    """Read and split every file. Files that are not UTF-8 are skipped and named in ``Corpus.skipped``."""
    read = [read_document(corpus_dir, path) for path in corpus_files(corpus_dir)]
    documents = tuple(doc for _, _, doc in read if doc is not None)
    skipped = tuple(source for source, _, doc in read if doc is None)
    return Corpus(documents, checksum_of((source, digest) for source, digest, _ in read), skipped)


def split_document(source: str, text: str) -> Document:
    """Split one file's text into passages with sections, dropping only page furniture."""
    paras = [p for p in _paragraphs(text) if p.kind != "boilerplate"]
    stem = passage_id_stem(source)
    passages: list[Passage] = []
    title: str | None = None
    section: str | None = None
    i = 0
    while i < len(paras):
        run_end = i
        while run_end < len(paras) and paras[run_end].kind == "short":
            run_end += 1
        run = paras[i:run_end] or paras[i : i + 1]
        if paras[i].kind == "short" and run_end < len(paras) and len(run) <= 3:
            section = text[run[0].start : run[0].end]
            if i == 0:
                title = section
            run = run[1:]
        for para in run:
            n = len(passages) + 1
            body = text[para.start : para.end]
            passages.append(Passage(f"{stem}-p{n}", source, n, section, body, para.start, para.end))
        i = max(run_end, i + 1)
    return Document(source, text, title, tuple(passages))


def passage_id_stem(source: str) -> str:
    """A URL-safe, stable prefix for the ids of one file's passages."""
    stem = source[:-4] if source.endswith(".txt") else source
    safe = _UNSAFE_ID_CHARS.sub("_", stem)
    if safe != stem:
        safe += "-" + hashlib.sha1(source.encode()).hexdigest()[:8]
    return safe


def _paragraphs(text: str) -> list[_Para]:
    lines = _lines(text)
    wrapped = _looks_hard_wrapped(text, lines)
    paras: list[_Para] = []
    prev: tuple[int, int] | None = None
    for line in lines:
        if line is None:
            prev = None
            continue
        start, end = line
        joins = (
            wrapped
            and prev is not None
            and prev[1] - prev[0] >= WRAPPED_MIN_CHARS
            and not _SENTENCE_END_RE.search(text[prev[0] : prev[1]])
        )
        if joins and paras:
            paras[-1] = _Para(paras[-1].start, end, "body")
        else:
            paras.append(_Para(start, end, _kind(text[start:end])))
        prev = line
    return [_reclassify(text, p) for p in paras]


def _lines(text: str) -> list[tuple[int, int] | None]:
    """Each line's stripped (start, end), or None for a blank line."""
    out: list[tuple[int, int] | None] = []
    for m in _LINE_RE.finditer(text):
        if m.start() == m.end():
            break
        raw = m.group().rstrip("\r\n")
        content = raw.strip()
        if not content:
            out.append(None)
            continue
        start = m.start() + (len(raw) - len(raw.lstrip()))
        out.append((start, start + len(content)))
    return out


def _looks_hard_wrapped(text: str, lines: list[tuple[int, int] | None]) -> bool:
    spans = [s for s in lines if s is not None]
    if len(spans) < 5 or max(e - s for s, e in spans) > 100:
        return False
    open_ended = sum(1 for s, e in spans if e - s >= WRAPPED_MIN_CHARS and not _SENTENCE_END_RE.search(text[s:e]))
    return open_ended >= 0.3 * len(spans)


def _kind(line: str) -> str:
    if _boilerplate().fullmatch(line):
        return "boilerplate"
    if len(line) <= MAX_SHORT_CHARS and not _SENTENCE_END_RE.search(line):
        return "short"
    return "body"


def _reclassify(text: str, para: _Para) -> _Para:
    # A joined (hard-wrapped) paragraph is body whatever its first line looked like.
    if para.kind == "short" and "\n" in text[para.start : para.end]:
        return _Para(para.start, para.end, "body")
    return para


@lru_cache(maxsize=1)
def _boilerplate() -> re.Pattern[str]:
    """Every pattern of ``data/boilerplate.txt`` as one alternation: a line is furniture when one of them
    matches all of it, found in one pass instead of one per pattern."""
    raw = resources.files("qa_api").joinpath("data/boilerplate.txt").read_text(encoding="utf-8")
    lines = (line.strip() for line in raw.splitlines())
    return re.compile("|".join(f"(?:{line})" for line in lines if line and not line.startswith("#")), re.IGNORECASE)
