"""Plain text read as a person reads it: lines joined into paragraphs, headings picked out, page furniture dropped.

A blank line always ends a paragraph. Inside a run of lines, a line break is a paragraph break unless the text
is hard-wrapped (see ``wrap_of``): then lines join into one paragraph until a line that starts a new one:
- a list item (``1.``, ``2)``, ``-``, ``*``, ``•``, ``(a)``, ``a)``, ``(iv)``), unless a wrapped sentence only
  happens to go on with "- " or "2. " (the line before stops mid-sentence at the margin, and no list is around);
- a ``#`` heading or a rule line;
- a line indented further than the one before it (an indented first line), unless it carries on a list item;
- a heading: a short line without closing punctuation, in title case or at most ``HEADING_SHARE`` of the
  margin wide, on its own after a finished sentence (not after a colon) and before one that starts;
- any line after a sentence that stopped clearly short of the wrap width (the next word would have fit), unless
  the text marks its paragraphs with indented first lines; and, where list items go on indented under their
  text, any line after an item's last sentence that is not.
In hard-wrapped text, a line that stops mid-sentence always joins a next line that starts in lower case, so a
sentence is never cut across two paragraphs; in text written one paragraph a line, only a line too long to be a
heading does.

A run of one to three short paragraphs without closing punctuation, followed by a paragraph, is a heading block:
its first line becomes a heading (the ``section`` of what follows), any further lines of it (a sub-title, a
dateline) stay paragraphs. Page furniture ("RELATED STORIES", "... Opens in new window ]") is dropped; its
patterns live in ``data/boilerplate.txt``.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from functools import lru_cache
from importlib import resources

from .blocks import Block

MAX_SHORT_CHARS = 120  # a heading or a headline is at most this long
MAX_WRAP_WIDTH = 160  # lines wrapped wider than this are taken for one paragraph a line
MAX_HEADING_WORDS = 12
HEADING_SHARE = 0.6  # a line this much shorter than the margin, alone before a sentence, is a heading in any case
_LINE_RE = re.compile(r"[^\r\n]*(?:\r\n|\r|\n|$)")
_SENTENCE_END_RE = re.compile(r"[.!?…:;][\"'”’»)\]]*$")
_FULL_STOP_RE = re.compile(r"[.!?…][\"'”’»)\]]*$")  # not after a colon: what follows one is its content
_LIST_ITEM_RE = re.compile(r"(?:[-*•‣◦▪]|\d{1,3}[.)]|[a-z]\)|\((?:\d{1,3}|[a-zA-Z]|[ivxlcdm]{1,6})\))\s+\S")
_OPENING_QUOTES = "\"'“‘«("
_MARKED_HEADING_RE = re.compile(r"#{1,6}[ \t]+(?=\S)")
_CLOSING_MARKS_RE = re.compile(r"[ \t]+#+$")
_RULE_RE = re.compile(r"([^\w\s])(?:\s?\1){2,}")  # "*****", "= = =", "-----": underlines and separators
_SMALL_WORDS = frozenset({"a", "an", "and", "as", "at", "but", "by", "for", "from", "in", "into", "nor", "of", "on",
                          "or", "per", "the", "to", "via", "vs", "with"})


@dataclass(frozen=True, slots=True)
class Line:
    start: int  # first character after the indentation
    end: int  # after the last character that is not whitespace
    indent: int  # columns of indentation (tabs count 8)

    @property
    def width(self) -> int:
        return self.indent + self.end - self.start


@dataclass(frozen=True, slots=True)
class Wrap:
    """How a text is hard-wrapped: at ``width`` columns, with lines stopping up to ``slack`` columns short of
    it where the right edge is ragged, and whether its paragraphs start with an indented line (then only an
    indented line starts one). ``width`` is 0 for text written one paragraph a line."""

    width: int = 0
    slack: int = 0
    indented: bool = False
    hanging: bool = False  # list items go on under their text, indented (a flush line after one is no part of it)


@dataclass(frozen=True, slots=True)
class _Para:
    start: int
    end: int
    kind: str  # "body" | "short" | "boilerplate" | "rule"


def read_plain_text(text: str) -> list[Block]:
    """The headings and paragraphs of ``text``, as offsets into it."""
    runs = line_runs(text)
    wrap = wrap_of(text, runs)
    paras = [p for run in runs for p in _paragraphs(text, run, wrap)]
    return _headed([p for p in paras if p.kind not in ("boilerplate", "rule")], text)


def line_runs(text: str) -> list[list[Line]]:
    """The runs of non-blank lines, each line with its stripped offsets."""
    runs: list[list[Line]] = [[]]
    for m in _LINE_RE.finditer(text):
        if m.start() == m.end():
            break
        raw = m.group().rstrip("\r\n")
        content = raw.strip()
        if not content:
            if runs[-1]:
                runs.append([])
            continue
        lead = raw[: len(raw) - len(raw.lstrip())]
        start = m.start() + len(lead)
        runs[-1].append(Line(start, start + len(content), len(lead.expandtabs(8))))
    return [run for run in runs if run]


def wrap_of(text: str, runs: list[list[Line]]) -> Wrap:
    """Whether lines were broken at a fixed width: many lines stop mid-sentence near one right margin, and the
    next line often goes on in lower case. A list of headlines is not: each next line starts with a capital."""
    pairs = [pair for run in runs for pair in itertools.pairwise(run)]
    # The margin is where most lines that go on stop; a line without a space (a table's border, a long URL)
    # could not have been broken anywhere, so it says nothing about the margin.
    widths = sorted(a.width for a, _ in pairs if " " in text[a.start : a.end])
    if not widths:
        return Wrap()
    width = widths[min(len(widths) - 1, int(0.85 * len(widths)))]
    open_ended = [(a, b) for a, b in pairs if not _ends_sentence(text, a) and a.width >= 0.6 * width]
    if width > MAX_WRAP_WIDTH or not open_ended or len(open_ended) < 0.3 * len(pairs):
        return Wrap()
    if sum(not text[b.start].isupper() for _, b in open_ended) < 0.3 * len(open_ended):
        return Wrap()
    # Lines that stop mid-sentence are wrapped lines: how short of the width they stop is the ragged edge.
    deficits = [width - (a.width + 1 + _first_word_length(text, b)) for a, b in open_ended]
    indents = sum(b.indent > a.indent and _ends_sentence(text, a) and not _is_list_item(text, b) for a, b in pairs)
    hanging = any(_is_list_item(text, a) and b.indent > a.indent and not _is_list_item(text, b) for a, b in pairs)
    return Wrap(width, min(max(0, *deficits), width // 3), indented=indents >= 2, hanging=hanging)


def _paragraphs(text: str, run: list[Line], wrap: Wrap) -> list[_Para]:
    groups: list[list[Line]] = [[run[0]]]
    for i in range(1, len(run)):
        after = run[i + 1] if i + 1 < len(run) else None
        if _continues(text, groups[-1], run[i], after, wrap):
            groups[-1].append(run[i])
        else:
            groups.append([run[i]])
    return [_para(text, group) for group in groups]


def _continues(text: str, para: list[Line], line: Line, after: Line | None, wrap: Wrap) -> bool:
    """Whether ``line`` carries on the paragraph ``para`` (whose last line is ``para[-1]``)."""
    prev = para[-1]
    if _is_marker_line(text, line) or _is_marker_line(text, prev):
        return False
    if _is_list_item(text, line):
        return bool(wrap.width) and _wrapped_onto_marker(text, para, line, after, wrap)
    if not _ends_sentence(text, prev) and text[line.start].islower() and (wrap.width or prev.width > MAX_SHORT_CHARS):
        return True  # the sentence goes on
    if not wrap.width:
        return False
    if len(para) == 1 and _heading_like(text, prev, line, wrap):
        return False
    if line.indent > prev.indent and not (_is_list_item(text, para[0]) and line.indent > para[0].indent):
        return False  # an indented first line
    if _ends_sentence(text, prev) and not text[line.start].islower():  # no paragraph starts in lower case
        stops_short = not wrap.indented and _stops_short(text, prev, line, wrap)
        ends_item = wrap.hanging and _is_list_item(text, para[0]) and line.indent <= para[0].indent
        heading = _FULL_STOP_RE.search(text, prev.start, prev.end) and _heading_like(text, line, after, wrap)
        return not (stops_short or ends_item or heading)
    return True


def _is_marker_line(text: str, line: Line) -> bool:
    """A line that stands apart: a ``#`` heading or a rule."""
    s = text[line.start : line.end]
    return bool(_MARKED_HEADING_RE.match(s) or _RULE_RE.fullmatch(s))


def _wrapped_onto_marker(text: str, para: list[Line], line: Line, after: Line | None, wrap: Wrap) -> bool:
    """A line that starts like a list item ("- ", "2. ") only because a wrapped sentence broke there: the line
    before stops mid-sentence at the margin, and no list is around (no item before it, nor right after)."""
    prev = para[-1]
    around = [para[0], prev] + ([after] if after else [])
    return not (_ends_sentence(text, prev) or _stops_short(text, prev, line, wrap)
                or any(_is_list_item(text, x) for x in around))


def _is_list_item(text: str, line: Line) -> bool:
    return _LIST_ITEM_RE.match(text, line.start, line.end) is not None


def _ends_sentence(text: str, line: Line) -> bool:
    return _SENTENCE_END_RE.search(text, line.start, line.end) is not None


def _first_word_length(text: str, line: Line) -> int:
    space = text.find(" ", line.start, line.end)
    return (space if space >= 0 else line.end) - line.start


def _stops_short(text: str, line: Line, after: Line, wrap: Wrap) -> bool:
    """The next line's first word would have fit on ``line``, even at the ragged edge (with a margin, since the
    slack is measured on a sample of lines): a deliberate break."""
    margin = max(2, wrap.width // 16)
    return line.width + 1 + _first_word_length(text, after) < wrap.width - wrap.slack - margin


def _heading_like(text: str, line: Line, after: Line | None, wrap: Wrap) -> bool:
    """A short line without closing punctuation, before a line that starts a sentence: in title case, or in any
    case when it stops well short of the margin (at most ``HEADING_SHARE`` of the width)."""
    s = text[line.start : line.end]
    if len(s) > MAX_SHORT_CHARS or _ends_sentence(text, line) or not _starts_like_heading(s):
        return False
    if after is not None and (text[after.start].islower() or not _stops_short(text, line, after, wrap)):
        return False
    words = [w for w in s.split() if any(c.isalpha() for c in w)]
    if not words or len(words) > MAX_HEADING_WORDS:
        return False
    if line.width <= HEADING_SHARE * wrap.width:
        return True
    capitalised = [w for w in words if w[0].isupper() or w[0].isdigit()]
    return len(capitalised) >= len([w for w in words if w.lower() not in _SMALL_WORDS])


def _starts_like_heading(line: str) -> bool:
    """With a capital or a digit, maybe after an opening quote."""
    first = line.lstrip(_OPENING_QUOTES)[:1]
    return first.isupper() or first.isdigit()


def _para(text: str, lines: list[Line]) -> _Para:
    start, end = lines[0].start, lines[-1].end
    if len(lines) > 1:
        return _Para(start, end, "body")
    if marks := _MARKED_HEADING_RE.match(text, start, end):  # "## Heading ##" without its marks
        content = _CLOSING_MARKS_RE.sub("", text[marks.end() : end])
        return _Para(marks.end(), marks.end() + len(content), "short")
    return _Para(start, end, _kind(text[start:end]))


def _kind(line: str) -> str:
    if _RULE_RE.fullmatch(line):
        return "rule"
    if _boilerplate().fullmatch(line):
        return "boilerplate"
    if (len(line) <= MAX_SHORT_CHARS and not _SENTENCE_END_RE.search(line) and _starts_like_heading(line)
            and not _LIST_ITEM_RE.match(line)):
        return "short"  # a heading, a headline or a dateline: none starts in lower case ("x = 3"), none is an item
    return "body"


def _headed(paras: list[_Para], text: str) -> list[Block]:
    """Paragraphs as blocks: the first line of each heading block (see the module's docstring) as a heading."""
    blocks: list[Block] = []
    i = 0
    while i < len(paras):
        run_end = i
        while run_end < len(paras) and paras[run_end].kind == "short":
            run_end += 1
        run = paras[i:run_end] or paras[i : i + 1]
        if paras[i].kind == "short" and run_end < len(paras) and len(run) <= 3:
            blocks.append(Block(run[0].start, run[0].end, heading=True))
            run = run[1:]
        blocks.extend(Block(p.start, p.end) for p in run)
        i = max(run_end, i + 1)
    return blocks


@lru_cache(maxsize=1)
def _boilerplate() -> re.Pattern[str]:
    """Every pattern of ``data/boilerplate.txt`` as one alternation: a line is furniture when one of them
    matches all of it, found in one pass instead of one per pattern."""
    raw = resources.files("qa_api").joinpath("data/boilerplate.txt").read_text(encoding="utf-8")
    lines = (line.strip() for line in raw.splitlines())
    return re.compile("|".join(f"(?:{line})" for line in lines if line and not line.startswith("#")), re.IGNORECASE)
