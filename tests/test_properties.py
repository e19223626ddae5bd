"""Property tests: any Unicode text goes through the analyzer and the splitter without a crash, and every
span they return points at exactly the characters it claims."""

from __future__ import annotations

import json

from hypothesis import given, settings
from hypothesis import strategies as st

from qa_api.corpus import split_document
from qa_api.retrieval.analysis import Analyzer

ANALYZER = Analyzer()
# Every code point, surrogates included (as they arrive from "\ud800" escapes in JSON), plus the awkward ones.
AWKWARD = st.sampled_from(["\x00", "\u200f", "\u202e", "\ufeff", "\u00ad", "👩‍👩‍👧", "\r\n", "\r", "\u2028",
                           "ﬁ", "İ", "ß", "\u0301", "'s", "U.S.", "10,000", "Jong-un", "\n\n"])
SURROGATE = st.integers(0xD800, 0xDFFF).map(chr)
ANY_CHAR = st.characters(categories=["Cs", "L", "M", "N", "P", "S", "Z", "C"])
TEXT = st.lists(st.one_of(st.text(alphabet=ANY_CHAR, max_size=30), AWKWARD, SURROGATE), max_size=40).map("".join)
LONG_TOKEN = st.builds(lambda ch, n: ch * n, st.sampled_from(["a", "é", "9", "字"]), st.integers(50_000, 100_000))


def check_tokens(text: str) -> None:
    tokens = ANALYZER.tokens(text)
    previous_end = 0
    for token in tokens:
        assert 0 <= previous_end <= token.start < token.end <= len(text)
        assert token.term and token.term == ANALYZER.term(text[token.start : token.end])
        previous_end = token.end


def check_passages(text: str) -> None:
    doc = split_document("x.txt", text)
    previous_end = 0
    for number, passage in enumerate(doc.passages, start=1):
        assert text[passage.start : passage.end] == passage.text
        assert passage.text.strip() and passage.paragraph == number
        assert previous_end <= passage.start
        previous_end = passage.end


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_analyzer_spans_hold_for_any_text(text: str) -> None:
    check_tokens(text)


@settings(max_examples=300, deadline=None)
@given(TEXT)
def test_passage_offsets_hold_for_any_text(text: str) -> None:
    check_passages(text)


@settings(max_examples=10, deadline=None)
@given(LONG_TOKEN, TEXT)
def test_huge_tokens_neither_crash_nor_break_offsets(token: str, text: str) -> None:
    check_tokens(text + " " + token + " " + text)
    check_passages(text + "\n" + token + "\n" + text)


@settings(max_examples=200, deadline=None)
@given(st.text(alphabet=st.one_of(ANY_CHAR, SURROGATE), max_size=50))
def test_text_decoded_from_json_escapes_is_handled(text: str) -> None:
    """Lone surrogates reach the server only as JSON escapes; decoded, they are ordinary str values."""
    decoded = json.loads(json.dumps(text))
    check_tokens(decoded)
    check_passages(decoded)
