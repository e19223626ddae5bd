"""HTML: the page's main text, found by trafilatura, which drops navigation, footers, asides and comments.

Headings (``h1``-``h6``) become headings; each paragraph, list item, table row, quotation and code block
becomes a paragraph. The title is the page's own (``<title>``, Open Graph or the first heading).
"""

from __future__ import annotations

from typing import Any

import trafilatura
from trafilatura.settings import use_config

from qa_api.corpus.blocks import Extracted, TextBuilder

_PARAGRAPHS = frozenset({"p", "item", "quote", "code"})
_BLOCKS = frozenset({"head", "list", "table", "row", "div", "main", "section", "quote", "p"})
_CONFIG = use_config()
# Below this many characters trafilatura falls back to cruder extractors that run paragraphs together; the
# main extractor already drops the page's furniture, so a short page is trusted to it too.
_CONFIG.set("DEFAULT", "MIN_EXTRACTED_SIZE", "1")


def read(data: bytes) -> Extracted:
    page = trafilatura.bare_extraction(data, with_metadata=True, include_comments=False, include_tables=True,
                                       include_formatting=False, include_links=False, config=_CONFIG)
    if page is None or isinstance(page, dict):
        return Extracted("", ())
    out = TextBuilder()
    _walk(page.body, out)
    return out.build(title=page.title or None)


def _walk(element: Any, out: TextBuilder) -> None:
    for child in element:
        tag = child.tag
        if tag == "head":
            out.add(_text(child), heading=True)
        elif tag == "row":
            out.add(" | ".join(_text(cell) for cell in child))
        elif tag in _PARAGRAPHS and not any(c.tag in _BLOCKS for c in child):
            out.add(_text(child))
        elif tag in _PARAGRAPHS:  # a list item or quotation holding lists or paragraphs of its own
            out.add(_text(child, inline_only=True))
            _walk(child, out)
        else:
            _walk(child, out)


def _text(element: Any, inline_only: bool = False) -> str:
    """The element's text, line breaks (``<lb/>``) as newlines; with ``inline_only``, without nested blocks."""
    parts = [element.text or ""]
    for child in element:
        if child.tag == "lb":
            parts.append("\n")
        elif not (inline_only and child.tag in _BLOCKS):
            parts.append(_text(child))
        parts.append(child.tail or "")
    return "".join(parts)
