"""What a format reader hands on: a document's extracted text, cut into headings and paragraphs by offsets."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Block:
    """``text[start:end]`` of the extracted text: a heading, or a paragraph to index."""

    start: int
    end: int
    heading: bool = False
    page: int | None = None


@dataclass(frozen=True, slots=True)
class Extracted:
    text: str
    blocks: tuple[Block, ...]
    title: str | None = None  # from the file's own metadata; else the heading the document opens with


class TextBuilder:
    """Extracted text put together block by block, a blank line between blocks, each block's offsets kept."""

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._length = 0
        self._blocks: list[Block] = []

    def add(self, text: str, *, heading: bool = False, page: int | None = None) -> None:
        text = text.strip()
        if not text:
            return
        if self._parts:
            self._parts.append("\n\n")
            self._length += 2
        self._blocks.append(Block(self._length, self._length + len(text), heading, page))
        self._parts.append(text)
        self._length += len(text)

    def build(self, title: str | None = None) -> Extracted:
        return Extracted("".join(self._parts), tuple(self._blocks), title)
