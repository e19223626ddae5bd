"""File formats: each reader turns a file's bytes into extracted text with headings and paragraphs.

Plain text is read by our own paragraph reader (``paragraphs.py``); Markdown, HTML and PDF by well-kept
libraries (markdown-it-py, trafilatura, pypdf), imported only when a file of their kind is read.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import import_module

from qa_api.corpus.blocks import Extracted

Reader = Callable[[bytes], Extracted]
_MODULES = {".txt": "text", ".md": "markdown", ".markdown": "markdown", ".html": "html", ".htm": "html",
            ".pdf": "pdf"}
SUFFIXES = frozenset(_MODULES)


def reader_for(suffix: str) -> Reader:
    """The reader of files ending in ``suffix`` (any case); ``KeyError`` for a kind we do not read."""
    module = import_module(f"{__name__}.{_MODULES[suffix.lower()]}")
    reader: Reader = module.read
    return reader
