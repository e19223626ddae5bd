"""Markdown (CommonMark and tables), parsed by markdown-it-py into plain text without markup.

Headings become headings (their ``#`` marks never reach a title or a section); each paragraph, list item,
table row and code block becomes a paragraph; links keep their text, images their alt text; raw HTML is
dropped. A paragraph's own line breaks stay in the text, as they are in the file.
"""

from __future__ import annotations

from markdown_it import MarkdownIt
from markdown_it.token import Token

from qa_api.corpus.blocks import Extracted, TextBuilder
from qa_api.errors import UnreadableDocumentError

_PARSER = MarkdownIt("commonmark").enable("table")


def read(data: bytes) -> Extracted:
    try:
        source = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise UnreadableDocumentError(f"not UTF-8 (byte {exc.start})") from None
    out = TextBuilder()
    tokens = _PARSER.parse(source)
    markers: list[str] = []  # the marker of the list item whose first paragraph is next
    row: list[str] | None = None
    for i, token in enumerate(tokens):
        if token.type == "list_item_open":
            markers.append(f"{token.info}{token.markup} " if token.info else f"{token.markup} ")
        elif token.type == "list_item_close":
            markers.pop()
        elif token.type == "tr_open":
            row = []
        elif token.type == "tr_close" and row is not None:
            out.add(" | ".join(row))
            row = None
        elif token.type == "inline" and row is not None:
            row.append(_plain(token))
        elif token.type == "inline":
            opener = tokens[i - 1]
            prefix = ""
            if opener.type == "paragraph_open" and markers and markers[-1]:
                prefix, markers[-1] = markers[-1], ""
            out.add(prefix + _plain(token), heading=opener.type == "heading_open")
        elif token.type in ("fence", "code_block"):
            out.add(token.content)
    return out.build()


def _plain(inline: Token) -> str:
    parts: list[str] = []
    for child in inline.children or []:
        if child.type in ("text", "code_inline", "image"):
            parts.append(child.content)
        elif child.type in ("softbreak", "hardbreak"):
            parts.append("\n")
    return "".join(parts)
