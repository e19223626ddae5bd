"""Sentence ends: the sentences of a passage (index build and answers split alike), and long paragraphs cut at
them into windows of at most ``WINDOW_CHARS`` characters.

A sentence ends at ``.``, ``!``, ``?`` or ``…`` (with any closing quotes or brackets) followed by white space and
a capital letter, a digit or an opening quote, unless the word before the full stop is a known abbreviation
("Dr.", "U.S.", "e.g.") or a single letter (an initial: "J. Smith").
"""

from __future__ import annotations

import bisect
import itertools
import math
import re

SPLITTER_VERSION = 2  # recorded in the index: sentence vectors are stored in this splitter's order
WINDOW_CHARS = 1200  # a paragraph longer than this is cut into windows of about equal size, at sentence ends
MAX_SENTENCE_CHARS = 4 * WINDOW_CHARS  # text this long without a sentence end is cut at a space instead
_END_RE = re.compile(r"""[.!?…]+["'”’»)\]]*\s+""")
_SPACE_RE = re.compile(r"\s+")
_OPENERS = "\"'“‘«(["
_WORD_BEFORE_RE = re.compile(r"(\w+(?:\.\w+)*)\.$")
_ABBREVIATIONS = frozenset({
    "mr", "mrs", "ms", "dr", "prof", "st", "jr", "sr", "rev", "gen", "col", "lt", "capt", "sgt", "gov", "sen", "rep",
    "pres", "vs", "etc", "eg", "ie", "e.g", "i.e", "al", "fig", "no", "nos", "vol", "p", "pp", "ch", "sec", "art",
    "inc", "ltd", "co", "corp", "dept", "univ", "approx", "est", "jan", "feb", "mar", "apr", "jun", "jul", "aug",
    "sep", "sept", "oct", "nov", "dec", "u.s", "u.k", "u.n", "a.m", "p.m", "mt", "ft",
})


def sentence_starts(text: str, start: int, end: int) -> list[int]:
    """Offsets in ``text[start:end]`` where a sentence other than the first begins."""
    starts = []
    for m in _END_RE.finditer(text, start, end):
        if m.end() >= end:
            break
        first = text[m.end() : min(end, m.end() + 4)].lstrip(_OPENERS)[:1]
        if not (first.isupper() or first.isdigit()):
            continue
        before = _WORD_BEFORE_RE.search(text, max(start, m.start() - 40), m.start() + 1)
        if before and text[m.start()] == "." and _is_abbreviation(before.group(1)):
            continue
        starts.append(m.end())
    return starts


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of ``text``, without surrounding space (none for blank text)."""
    bounds = [0, *sentence_starts(text, 0, len(text)), len(text)]
    out = []
    for a, b in itertools.pairwise(bounds):
        piece = text[a:b]
        if piece.strip():
            out.append((a + len(piece) - len(piece.lstrip()), b - (len(piece) - len(piece.rstrip()))))
    return out


def windows(text: str, start: int, end: int, limit: int = WINDOW_CHARS) -> list[tuple[int, int]]:
    """``text[start:end]`` as one window, or, when longer than ``limit``, as windows of about equal size cut at
    sentence ends, each at most ``limit`` long unless one sentence alone is longer."""
    if end - start <= limit:
        return [(start, end)]
    cuts = _cuts(text, start, end)
    out: list[tuple[int, int]] = []
    while end - start > limit:
        first, last = bisect.bisect_right(cuts, start), bisect.bisect_right(cuts, start + limit)
        if first == len(cuts):
            break
        if first == last:  # one sentence longer than a window stays whole
            cut = cuts[first]
        else:  # the cut nearest an even share of the rest, among those that leave no more windows than planned
            count = math.ceil((end - start) / limit)
            while (keeps_count := bisect.bisect_left(cuts, end - (count - 1) * limit, first, last)) == last:
                count += 1
            goal = start + (end - start) / count
            cut = min(cuts[keeps_count:last], key=lambda c: abs(c - goal))
        out.append((start, _end_before_space(text, start, cut)))
        start = cut
    out.append((start, end))
    return out


def _cuts(text: str, start: int, end: int) -> list[int]:
    """Where a window may begin: each sentence's start, and each word's inside a run of text too long to be
    one sentence."""
    bounds = [start, *sentence_starts(text, start, end), end]
    cuts: list[int] = []
    for a, b in itertools.pairwise(bounds):
        if b - a > MAX_SENTENCE_CHARS:
            cuts.extend(m.end() for m in _SPACE_RE.finditer(text, a, b) if m.end() < b)
        if b < end:
            cuts.append(b)
    return cuts


def _end_before_space(text: str, start: int, end: int) -> int:
    while end > start and text[end - 1].isspace():
        end -= 1
    return end


def _is_abbreviation(word: str) -> bool:
    return (len(word) == 1 and word.isalpha()) or word.lower() in _ABBREVIATIONS
