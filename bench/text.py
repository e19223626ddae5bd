"""A text corpus of real English sentences for the ask benchmark, and natural questions drawn from it.

Nothing is downloaded: the sentences are those of the docstrings that Python's standard library and the
runtime's pinned packages ship (plus ``pydoc_data.topics``, the language reference's help texts), kept when
they read as plain prose. Passages recombine them, a seeded draw of three to five sentences each, so a
corpus depends only on its size, the seed and the installed Python and packages (``pool_digest`` names them).
Each file is a title line and 100 one-line passages separated by blank lines, as the corpus reader expects.
Questions are rewritten from sentences that the corpus uses, in three shapes people ask in:
"What is the X?", "What happens when/if ...?" and "What returns ...?".
"""

from __future__ import annotations

import ast
import hashlib
import random
import re
import sysconfig
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

SEED = 20251126
PASSAGES_PER_FILE = 100
SENTENCES_PER_PASSAGE = (3, 5)
QUESTIONS = 150
# Packages of requirements.txt (always installed) whose docstrings join the standard library's.
PACKAGES = ("numpy", "numba", "werkzeug", "flask", "jinja2", "click", "pydantic", "gunicorn", "starlette", "anyio",
            "jsonschema", "limits", "mcp", "cryptography")
_SKIP_DIRS = {"test", "tests", "idlelib", "lib2to3", "site-packages", "turtledemo"}
_SPLIT = re.compile(r"(?<=[.!?])\s+(?=[A-Z])")
# A sentence of words (with at most short numbers and quoted words), capitalised, ending in a full stop.
_PROSE = re.compile(r"[A-Z][a-z]+(?: (?:[A-Za-z][a-z'-]*|[0-9]{1,4}|\"[A-Za-z ]+\")[,;:]?)+ (?:[a-z'-]+|[0-9]{1,4})\.")
_CODE = re.compile(r">>>|::|^\s*[-*]|\|", re.MULTILINE)
_COPULA = re.compile(r"(?:The|A|An) ([a-z][a-z ]{2,40}?) (is|are) (?!not )[a-z]")
_CLAUSE = re.compile(r"(When|If) ([a-z][^,;:]{10,80}), [a-z]")
_IMPERATIVE = re.compile(r"(Return|Create|Remove|Set|Get|Convert|Raise|Add|Compute|Read|Write|Check|Build|Parse"
                         r"|Find|Open|Close|Call|Run|Make|Test|Send|Load|Save|Copy|Format|Encode|Decode)"
                         r" ([a-z].{15,110})\.")


@dataclass(frozen=True)
class Corpus:
    directory: Path
    passages: int
    questions: list[str]


def sentence_pool() -> list[str]:
    """Every prose sentence of the docstrings shipped with Python and the runtime packages, sorted."""
    sentences: set[str] = set()
    for text in _docstrings():
        for block in re.split(r"\n\s*\n", text):
            if _CODE.search(block):
                continue
            for sentence in _SPLIT.split(re.sub(r"\s+", " ", block.strip())):
                if 50 <= len(sentence) <= 220 and _PROSE.fullmatch(sentence):
                    sentences.add(sentence)
    return sorted(sentences)


def pool_digest(pool: list[str]) -> str:
    return hashlib.sha256("\n".join(pool).encode()).hexdigest()[:16]


def _docstrings() -> Iterator[str]:
    import pydoc_data.topics

    yield from pydoc_data.topics.topics.values()
    stdlib, site = Path(sysconfig.get_paths()["stdlib"]), Path(sysconfig.get_paths()["purelib"])
    sources = [p for p in sorted(stdlib.rglob("*.py")) if not _SKIP_DIRS & set(p.relative_to(stdlib).parts)]
    for package in PACKAGES:
        sources += [p for p in sorted((site / package).rglob("*.py"))
                    if not _SKIP_DIRS & set(p.relative_to(site).parts)]
    for path in sources:
        try:
            tree = ast.parse(path.read_bytes())
        except (SyntaxError, ValueError):
            continue
        for node in ast.walk(tree):
            if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef):
                doc = ast.get_docstring(node, clean=True)
                if doc:
                    yield doc


def write_corpus(pool: list[str], passages: int, directory: Path, seed: int = SEED) -> list[str]:
    """Write ``passages`` passages of recombined sentences under ``directory``; returns the sentences used,
    in order of first use."""
    rng = random.Random(seed)
    directory.mkdir(parents=True, exist_ok=True)
    used: dict[str, None] = {}
    for number, first in enumerate(range(0, passages, PASSAGES_PER_FILE)):
        lines = [f"Notes on the library part {number}"]
        for _ in range(min(PASSAGES_PER_FILE, passages - first)):
            chosen = rng.choices(pool, k=rng.randint(*SENTENCES_PER_PASSAGE))
            used.update(dict.fromkeys(chosen))
            lines.append(" ".join(chosen))
        (directory / f"notes-{number:06d}.txt").write_text("\n\n".join(lines) + "\n", encoding="utf-8")
    return list(used)


def questions(sentences: list[str], count: int = QUESTIONS, seed: int = SEED) -> list[str]:
    """Up to ``count`` questions, the shapes in turn, rewritten from a seeded sample of ``sentences``."""
    rng = random.Random(seed)
    shapes = [[q for s in sentences if (q := shape(s))] for shape in (_what_is, _what_happens, _what_does)]
    out: list[str] = []
    while len(out) < count and any(shapes):
        for shape in shapes:
            if shape and len(out) < count:
                out.append(shape.pop(rng.randrange(len(shape))))
    return out


def _what_is(sentence: str) -> str | None:
    m = _COPULA.match(sentence)
    return f"What {m.group(2)} the {m.group(1)}?" if m else None


def _what_happens(sentence: str) -> str | None:
    m = _CLAUSE.match(sentence)
    return f"What happens {m.group(1).lower()} {m.group(2)}?" if m else None


def _what_does(sentence: str) -> str | None:
    m = _IMPERATIVE.fullmatch(sentence)
    if not m:
        return None
    verb = m.group(1).lower()
    return f"What {verb}es {m.group(2)}?" if verb.endswith(("s", "sh", "ch", "x")) else f"What {verb}s {m.group(2)}?"
