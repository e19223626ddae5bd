"""File formats: each reader turns a file's bytes into extracted text with headings and paragraphs.

Plain text is read by our own paragraph reader (``paragraphs.py``); Markdown, HTML and PDF by well-kept
libraries (markdown-it-py, trafilatura, pypdf), imported only when a file of their kind is read.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module
from pathlib import PurePosixPath

from qa_api.corpus.blocks import Extracted
from qa_api.errors import UnsupportedDocumentTypeError

Reader = Callable[[bytes], Extracted]
_MODULES = {".txt": "text", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html",
            ".pdf": "pdf"}
SUFFIXES = frozenset(_MODULES)
MEDIA_TYPES = {"text/plain": ".txt", "text/markdown": ".md", "text/x-markdown": ".md", "text/html": ".html",
               "application/xhtml+xml": ".html", "application/pdf": ".pdf"}
UNTYPED = frozenset({"", "application/octet-stream"})  # says nothing of the kind: the name's extension does


def kind_of(source: str, media_type: str) -> str:
    """The kind (a reader's suffix) of a file sent as ``media_type`` under the name ``source``: the media type
    when it names one we read, else the name's extension; ``UnsupportedDocumentTypeError`` for anything else."""
    media_type = media_type.lower()
    if media_type in MEDIA_TYPES:
        return MEDIA_TYPES[media_type]
    suffix = PurePosixPath(source).suffix.lower()
    if media_type in UNTYPED and suffix in SUFFIXES:
        return suffix
    sent = f"{media_type} " if media_type not in UNTYPED else ""
    raise UnsupportedDocumentTypeError(
        f"{source!r} was sent as {sent or 'no type '}and its name ends in {suffix or 'no extension'}: send one of "
        f"{', '.join(sorted(MEDIA_TYPES))}, or name it with one of {', '.join(sorted(SUFFIXES))}")


def reader_for(suffix: str) -> Reader:
    """The reader of files ending in ``suffix`` (any case); ``KeyError`` for a kind we do not read."""
    module = import_module(f"{__name__}.{_MODULES[suffix.lower()]}")
    reader: Reader = module.read
    return reader
