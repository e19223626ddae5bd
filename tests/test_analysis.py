"""The analyzer: one normalised, stemmed term per word, with spans into the original text."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from qa_api.retrieval.analysis import _TOKEN_RE, Analyzer, Token


@pytest.fixture(scope="module")
def analyzer() -> Analyzer:
    return Analyzer()


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("Kim Jong-un", "Kim Jong Un"),
        ("Korea’s", "Korea's"),
        ("“sacred war”", '"sacred war"'),
        ("U.S. sanctions", "US sanctions"),
        ("10,000 troops", "10000 troop"),
        ("TROOPS", "troops"),
        ("ｆｕｌｌ ｗｉｄｔｈ", "full width"),
        ("recognised", "recognise"),
        ("confirmed", "confirm"),
    ],
)
def test_spellings_the_corpus_mixes_match(analyzer: Analyzer, a: str, b: str) -> None:
    assert analyzer.terms(a) == analyzer.terms(b)


def test_stopwords_are_dropped(analyzer: Analyzer) -> None:
    assert analyzer.terms("When did the troops arrive?") == ["troop", "arriv"]


def test_spans_point_at_the_original_characters(analyzer: Analyzer) -> None:
    text = "Kim’s “invincible comradeship” with U.S. envoys"
    tokens = analyzer.tokens(text)
    assert [text[t.start:t.end] for t in tokens] == ["Kim’s", "invincible", "comradeship", "U.S.", "envoys"]
    assert [t.term for t in tokens] == ["kim", "invinc", "comradeship", "us", "envoy"]


def test_signature_names_the_analyzer_and_its_stopwords(analyzer: Analyzer) -> None:
    sig = analyzer.signature
    assert sig["name"] == "english" and len(str(sig["stopwords_sha256"])) == 16


_TRICKY = "aZéßİǅΩﬁ١٢½²059.,'’ʼ‘“”\"()[]-_:;!?*` \t\n\u00a0\u2028\x0b"  # letters, digits, marks, spaces


@settings(max_examples=400, deadline=None)
@given(st.text(alphabet=_TRICKY, max_size=60))
def test_the_index_builders_word_path_reads_the_same_words_as_tokens(text: str) -> None:
    """``words`` (split on whitespace, regex only for chunks that need it) finds what ``tokens`` finds."""
    analyzer = Analyzer()
    assert analyzer.words(text) == [text[t.start:t.end] for t in _raw_tokens(text)]
    assert [analyzer.term(w) for w in analyzer.words(text) if analyzer.term(w)] == analyzer.terms(text)


@pytest.mark.parametrize("text", ["U.S. e.g. etc. x. ab. .net", "’tis dogs’ don’t it's", "10,000 1.5 3.14. 2025",
                                  "“quoted” (paren) [x] café naïve", "snake_case a.b.c. -- ...", "İstanbul ﬁx ½"])
def test_word_path_agrees_on_acronyms_numbers_quotes_and_unicode(text: str) -> None:
    assert Analyzer().words(text) == [text[t.start:t.end] for t in _raw_tokens(text)]


def _raw_tokens(text: str) -> list[Token]:
    """Every regex token, stopwords included (``tokens`` drops them)."""
    return [Token(m.group(), m.start(), m.end()) for m in _TOKEN_RE.finditer(text)]
