"""Sentences: where each one starts and ends inside a passage. Index build and answers split alike."""

from __future__ import annotations

import re

SPLITTER_VERSION = 1  # recorded in the index: sentence vectors are stored in this splitter's order

# A sentence ends at . ! ? (and any closing quote or bracket) before a space and a capital or digit, but not
# after a single capital ("U.S."), a dotted pair or a common abbreviation of a title.
_SENTENCE_END = re.compile(r"(?<!\b[A-Z])(?<!\b[A-Z]\.[A-Z])(?<!\bDr)(?<!\bMr)(?<!\bMs)(?<!\bMrs)(?<!\bSt)"
                           r"(?<!\bGen)[.!?][\"'”’)\]]*\s+(?=[\"“‘(\[]?[A-Z0-9])")


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text``, without surrounding space; the whole text when it has none."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _SENTENCE_END.finditer(text):
        spans.append((start, m.end() - (len(m.group()) - len(m.group().rstrip()))))
        start = m.end()
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        piece = text[s:e]
        if piece.strip():
            out.append((s + len(piece) - len(piece.lstrip()), e - (len(piece) - len(piece.rstrip()))))
    return out
