"""Sentence ends, and long paragraphs cut at them into windows of at most ``WINDOW_CHARS`` characters.

A sentence ends at ``.``, ``!``, ``?`` or ``…`` (with any closing quotes or brackets) followed by white space and
a capital letter, a digit or an opening quote, unless the word before the full stop is a known abbreviation
("Dr.", "U.S.", "e.g.") or a single letter (an initial: "J. Smith").
"""

from __future__ import annotations

import math
import re

WINDOW_CHARS = 1200  # a paragraph longer than this is cut into windows of about equal size, at sentence ends
MAX_SENTENCE_CHARS = 4 * WINDOW_CHARS  # text this long without a sentence end is cut at a space instead
_END_RE = re.compile(r"""[.!?…]+["'”’»)\]]*\s+""")
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


def windows(text: str, start: int, end: int, limit: int = WINDOW_CHARS) -> list[tuple[int, int]]:
    """``text[start:end]`` as one window, or, when longer than ``limit``, as windows of about equal size cut at
    sentence ends, each at most ``limit`` long unless one sentence alone is longer."""
    cuts = sentence_starts(text, start, end) if end - start > limit else []
    out: list[tuple[int, int]] = []
    while end - start > limit:
        fitting = [c for c in cuts if start < c <= start + limit]
        if fitting:
            goal = start + (end - start) / math.ceil((end - start) / limit)
            cut = min(fitting, key=lambda c: abs(c - goal))
        else:  # one sentence longer than a window stays whole, unless it is too long to be a sentence at all
            cut = next((c for c in cuts if c > start), end)
            if cut - start > MAX_SENTENCE_CHARS:
                cut = _word_start_before(text, start, start + limit) or cut
            if cut >= end:
                break
        out.append((start, len(text[:cut].rstrip())))
        start = cut
    out.append((start, end))
    return out


def _is_abbreviation(word: str) -> bool:
    return (len(word) == 1 and word.isalpha()) or word.lower() in _ABBREVIATIONS


def _word_start_before(text: str, start: int, limit: int) -> int | None:
    space = max(text.rfind(" ", start, limit), text.rfind("\n", start, limit))
    return space + 1 if space > start else None
