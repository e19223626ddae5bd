"""Reading a qa-api collection: weighted term queries scored by Lucene's BM25, passages, documents, statistics.

A query is ``{index term: weight}``, the terms our analyzer made. Each becomes a term query on ``terms`` (no
analysis: Solr indexed the same terms), boosted by its weight, so a passage scores the sum over the terms of
weight x BM25, as in the local index. Each term's share of a passage's score comes back with the passage, as
a pseudo-field computed with the same corpus-wide statistics.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from qa_api.errors import SearchBackendError, UnknownPassageError, UnknownSourceError

from .client import SolrClient
from .records import META_ID, PASSAGE_FIELDS, READ_FIELDS, document_id

MAX_TERMS = 1024  # Solr's default limit on a query's clauses: beyond it, the lightest terms are left out
ORDER = "doc_seq asc,paragraph asc"  # corpus order, which breaks ties as the local index does
PAGE = 1000


@dataclass(frozen=True, slots=True)
class Found:
    """A passage record, its score, and each query term's BM25 in it (before the term's weight)."""

    record: dict[str, Any]
    score: float
    terms: dict[str, float]


@dataclass(frozen=True, slots=True)
class Ranked:
    found: tuple[Found, ...]
    total: int  # passages matching any query term
    passages: int  # passages in the collection (BM25's N)
    document_frequencies: dict[str, int]  # of the query's terms (0 for a term no passage has)


def search(client: SolrClient, collection: str, query: Mapping[str, float], k: int, sources: Sequence[str] = (),
           *, fields: Sequence[str] = READ_FIELDS, only: Sequence[str] = ()) -> Ranked:
    """The ``k`` best passages for weighted index terms by Lucene's BM25, best first (ties in corpus order),
    optionally only from ``sources`` or only the passages with the ids in ``only``."""
    terms = _heaviest(query)
    if not terms:
        return Ranked((), 0, 0, {})
    params = scoring_params(terms)
    shares = ",".join(f"s{i}:query($s{i},0)" for i in range(len(terms)))
    # One pass: each shard returns its best passages' fields with their ids, saving the round trip that would
    # fetch them after the merge (measured: about a third of the request's time on the loopback cluster).
    params += [("rows", max(k, 0)), ("fl", f"{','.join(fields)},score,{shares}"), ("sort", f"score desc,{ORDER}"),
               ("distrib.singlePass", "true"),
               *_frequency_params([t for t, _ in terms]),
               ("json.facet", json.dumps({"passages": {"type": "query", "domain": {"query": "kind:passage"}}}))]
    if sources:
        params.append(("fq", _any_of("source", sources)))
    if only:
        params.append(("fq", _any_of("id", only)))
    body = client.request("POST", f"/{collection}/select", params)
    listed = body.get("terms", {}).get("terms", [])
    frequencies = dict.fromkeys((t for t, _ in terms), 0) | dict(zip(listed[::2], listed[1::2], strict=True))
    found = tuple(Found({f: v for f, v in d.items() if f in fields}, float(d["score"]),
                        {term: float(d.get(f"s{i}", 0.0)) for i, (term, _) in enumerate(terms)})
                  for d in body["response"]["docs"])
    return Ranked(found, int(body["response"]["numFound"]), int(body["facets"]["passages"]["count"]), frequencies)


def scoring_params(terms: Sequence[tuple[str, float]]) -> list[tuple[str, Any]]:
    """``q``: each term (``t<i>``) as a term query on ``terms`` boosted by its weight; ``s<i>``: the same term
    query unboosted, for its share of each passage's score."""
    clauses = " ".join(f'_query_:"{{!term f=terms v=$t{i}}}"^{_boost(w)}' for i, (_, w) in enumerate(terms))
    return [("q", clauses), *((f"t{i}", t) for i, (t, _) in enumerate(terms)),
            *((f"s{i}", f"{{!term f=terms v=$t{i}}}") for i in range(len(terms)))]


def _frequency_params(terms: Sequence[str]) -> list[tuple[str, Any]]:
    """The terms component's document frequencies of ``terms``, summed over the shards (all of them: no limit)."""
    return [("terms", "true"), ("terms.fl", "terms"), ("terms.limit", -1), ("terms.list", ",".join(terms))]


def _heaviest(query: Mapping[str, float]) -> list[tuple[str, float]]:
    """The query's terms of positive weight, at most ``MAX_TERMS`` of them (the heaviest, then the first)."""
    weighted = [(t, w) for t, w in query.items() if w > 0 and t]
    if len(weighted) > MAX_TERMS:
        kept = {t for t, _ in sorted(weighted, key=lambda tw: -tw[1])[:MAX_TERMS]}
        weighted = [(t, w) for t, w in weighted if t in kept]
    return weighted


def _boost(weight: float) -> str:
    """A weight as the query parser reads a boost: plain decimal digits."""
    return f"{weight:.9f}".rstrip("0").rstrip(".") or "0"


def _any_of(field: str, values: Sequence[str]) -> str:
    return f"{field}:(" + " OR ".join(f'"{phrase(v)}"' for v in values) + ")"


def phrase(text: str) -> str:
    """``text`` inside double quotes in a Lucene query."""
    return text.replace("\\", "\\\\").replace('"', '\\"')


def document_frequencies(client: SolrClient, collection: str, terms: Sequence[str]) -> dict[str, int]:
    """How many passages hold each term, over every shard."""
    body = client.request("POST", f"/{collection}/select", [
        ("q", "*:*"), ("rows", 0), *_frequency_params(terms)])
    listed = body.get("terms", {}).get("terms", [])
    return dict.fromkeys(terms, 0) | dict(zip(listed[::2], listed[1::2], strict=True))


def get_records(client: SolrClient, collection: str, ids: Sequence[str],
                fields: Sequence[str] = READ_FIELDS) -> list[dict[str, Any]]:
    """The passage records with these ids, in that order (real-time get: routed to the shard holding each)."""
    if not ids:
        return []
    body = client.request("POST", f"/{collection}/get", [("ids", ",".join(ids)), ("fl", ",".join(fields))])
    found = {d["id"]: d for d in body["response"]["docs"] if "text" in d}
    missing = [i for i in ids if i not in found]
    if missing:
        raise UnknownPassageError(missing[0])
    return [found[i] for i in ids]


def document_record(client: SolrClient, collection: str, source: str) -> dict[str, Any] | None:
    """The document's record (real-time get: committed or not), or None."""
    record: dict[str, Any] | None = client.request("POST", f"/{collection}/get", {"id": document_id(source)}).get("doc")
    return record if record and record.get("source") == source else None


def get_document(client: SolrClient, collection: str, source: str) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """A document's record and its passages' records in order; ``UnknownSourceError`` when there is none."""
    record = document_record(client, collection, source)
    if record is None:
        raise UnknownSourceError(source)
    passages = client.request("POST", f"/{collection}/select", [
        ("q", "kind:passage"), ("fq", f'source:"{phrase(source)}"'), ("sort", "paragraph asc"),
        ("rows", int(record.get("passage_count", 0))), ("fl", ",".join(PASSAGE_FIELDS))])["response"]["docs"]
    return record, passages


def list_documents(client: SolrClient, collection: str) -> list[dict[str, Any]]:
    """Every document record (without its text), in corpus order, a page at a time."""
    out: list[dict[str, Any]] = []
    cursor = "*"
    while True:
        body = client.request("POST", f"/{collection}/select", [
            ("q", "kind:document"), ("sort", "doc_seq asc,id asc"), ("rows", PAGE), ("cursorMark", cursor),
            ("fl", "source,title,doc_seq,passage_count,characters")])
        out += body["response"]["docs"]
        if body["nextCursorMark"] == cursor:
            return out
        cursor = body["nextCursorMark"]


def last_doc_seq(client: SolrClient, collection: str) -> int:
    """The highest document number in the collection (-1 when it has none)."""
    docs = client.request("POST", f"/{collection}/select", [
        ("q", "kind:document"), ("sort", "doc_seq desc"), ("rows", 1), ("fl", "doc_seq")])["response"]["docs"]
    return int(docs[0]["doc_seq"]) if docs else -1


def counts(client: SolrClient, collection: str) -> dict[str, int]:
    """Records of each kind the collection holds now."""
    body = client.request("POST", f"/{collection}/select", [
        ("q", "*:*"), ("rows", 0), ("facet", "true"), ("facet.field", "kind"), ("facet.limit", 10)])
    pairs = body["facet_counts"]["facet_fields"]["kind"]
    return {str(kind): int(n) for kind, n in zip(pairs[::2], pairs[1::2], strict=True)}


def read_meta(client: SolrClient, collection: str) -> dict[str, Any]:
    """What ``qa-api index`` recorded about the collection; ``SearchBackendError`` when there is no record."""
    record = client.request("POST", f"/{collection}/get", {"id": META_ID}).get("doc")
    if not record:
        raise SearchBackendError(f"collection {collection} has no {META_ID} record: it was not built by qa-api index")
    meta: dict[str, Any] = json.loads(record["meta_json"])
    return meta
