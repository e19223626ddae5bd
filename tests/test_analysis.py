"""The analyzer: one normalised, stemmed term per word, with spans into the original text."""

from __future__ import annotations

import pytest

from qa_api.retrieval.analysis import Analyzer


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
