"""Pydantic models of the HTTP API: what requests may carry and what responses hold (see openapi.yaml)."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    SerializerFunctionWrapHandler,
    StringConstraints,
    ValidationError,
    field_validator,
    model_serializer,
)

from qa_api.answers.finder import Answer
from qa_api.answers.ranking import Evidence
from qa_api.corpus import Document, Passage
from qa_api.retrieval.search import Hit
from qa_api.service import AskResult

MAX_QUESTION_CHARS = 1000
MAX_TOP_K = 50
DEFAULT_TOP_K = 5
MAX_SOURCES = 100

Source = Annotated[str, StringConstraints(min_length=1, max_length=1024)]


def _printable(value: str) -> str:
    """Refuse text that cannot be encoded (lone surrogates) or is blank."""
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        raise ValueError("must be valid Unicode text (no lone surrogates)") from None
    if not value.strip():
        raise ValueError("must not be blank")
    return value


class _Request(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True, frozen=True)


class AskRequest(_Request):
    question: Annotated[str, Field(min_length=1, max_length=MAX_QUESTION_CHARS)]
    top_k: Annotated[int, Field(ge=1, le=MAX_TOP_K)] = DEFAULT_TOP_K
    sources: Annotated[list[Source], Field(max_length=MAX_SOURCES)] = []
    explain: bool = False

    _question_text = field_validator("question")(_printable)


class SearchQuery(BaseModel):
    """Query-string parameters of GET /v1/search (strings from the URL, converted)."""

    model_config = ConfigDict(extra="ignore", frozen=True)

    q: Annotated[str, Field(min_length=1, max_length=MAX_QUESTION_CHARS)]
    top_k: Annotated[int, Field(ge=1, le=MAX_TOP_K)] = DEFAULT_TOP_K
    source: Annotated[list[Source], Field(max_length=MAX_SOURCES)] = []
    explain: bool = False

    _query_text = field_validator("q")(_printable)


class HighlightOut(BaseModel):
    start: int
    end: int
    term: str


class PassageOut(BaseModel):
    id: str
    source: str
    paragraph: int
    section: str | None
    text: str
    start: int
    end: int
    page: int | None

    @classmethod
    def of(cls, p: Passage) -> PassageOut:
        return cls(id=p.id, source=p.source, paragraph=p.paragraph, section=p.section, text=p.text,
                   start=p.start, end=p.end, page=p.page)


class TermScore(BaseModel):
    term: str
    score: float


class BoostScore(BaseModel):
    name: str
    score: float


class ExplanationOut(BaseModel):
    bm25: float
    terms: list[TermScore]
    boosts: list[BoostScore]


class HitOut(PassageOut):
    score: float
    rank: int
    highlights: list[HighlightOut]
    explanation: ExplanationOut | None = None

    @model_serializer(mode="wrap")
    def _without_missing_explanation(self, handler: SerializerFunctionWrapHandler) -> dict[str, Any]:
        # Absent unless asked for, rather than null: the contract has no null explanation.
        data: dict[str, Any] = handler(self)
        if data.get("explanation") is None:
            data.pop("explanation", None)
        return data

    @classmethod
    def of_hit(cls, hit: Hit, explain: bool = False) -> HitOut:
        e = hit.explanation
        explanation = ExplanationOut(
            bm25=e.bm25, terms=[TermScore(term=t, score=v) for t, v in e.terms],
            boosts=[BoostScore(name=n, score=v) for n, v in e.boosts],
        ) if explain else None
        return cls(**PassageOut.of(hit.passage).model_dump(), score=hit.score, rank=hit.rank,
                   highlights=[HighlightOut(start=h.start, end=h.end, term=h.term) for h in hit.highlights],
                   explanation=explanation)


class AnswerOut(BaseModel):
    text: str
    type: str
    passage_id: str
    source: str
    start: int
    end: int
    sentence: str
    confidence: float

    @classmethod
    def of(cls, a: Answer) -> AnswerOut:
        return cls(text=a.text, type=a.type.value, passage_id=a.passage_id, source=a.source, start=a.start,
                   end=a.end, sentence=a.sentence, confidence=a.confidence)


class EvidenceOut(BaseModel):
    text: str
    passage_id: str
    source: str
    start: int
    end: int

    @classmethod
    def of(cls, e: Evidence) -> EvidenceOut:
        p = e.read.passage
        return cls(text=p.text[e.sentence.start:e.sentence.end], passage_id=p.id, source=p.source,
                   start=p.start + e.sentence.start, end=p.start + e.sentence.end)


class SearchResponse(BaseModel):
    query: str
    total: int
    passages: list[HitOut]
    took_ms: float


class AskResponse(BaseModel):
    question: str
    answer: AnswerOut | None
    evidence: EvidenceOut | None
    passages: list[HitOut]
    took_ms: float

    @classmethod
    def of(cls, result: AskResult, explain: bool = False) -> AskResponse:
        """The one place an ask result becomes the response every front end returns."""
        return cls(question=result.question, answer=AnswerOut.of(result.answer) if result.answer else None,
                   evidence=EvidenceOut.of(result.evidence) if result.evidence else None,
                   passages=[HitOut.of_hit(h, explain) for h in result.hits], took_ms=round(result.took_ms, 3))


class DocumentSummary(BaseModel):
    source: str
    title: str | None
    passage_count: int
    characters: int


class DocumentList(BaseModel):
    documents: list[DocumentSummary]


class DocumentOut(DocumentSummary):
    text: str
    passages: list[PassageOut]

    @classmethod
    def of(cls, document: Document) -> DocumentOut:
        return cls(source=document.source, title=document.title, passage_count=len(document.passages),
                   characters=len(document.text), text=document.text,
                   passages=[PassageOut.of(p) for p in document.passages])


class WrittenDocument(DocumentOut):
    created: bool


class WrittenDocuments(BaseModel):
    documents: list[WrittenDocument]


class Problem(BaseModel):
    type: str = "about:blank"
    title: str
    status: int
    detail: str
    instance: str | None = None  # the request id
    errors: list[dict[str, Any]] | None = None


def field_errors(exc: ValidationError) -> list[dict[str, Any]]:
    """Pydantic's errors as ``{"field", "message"}``, without echoing the client's input back."""
    return [{"field": ".".join(str(p) for p in e["loc"]) or "body", "message": e["msg"]} for e in exc.errors()]
