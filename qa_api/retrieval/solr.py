"""A SolrCloud collection as qa-api's passage store: create it from the shipped configset, push a corpus into it,
and search, fetch, count and check it over Solr's HTTP API.

Records in a collection (``data/solr-configset/conf/schema.xml``): one per passage, with the local index's id,
source, paragraph, section and offsets; one per document (``doc:<id stem>``) with its whole text; one ``meta:corpus``
describing what was pushed. Only passages have ``text``, so only they match and count in BM25's statistics.

``SolrClient`` holds every node's URL and fails over to the next when one does not answer; errors come out as
``SearchBackendError`` (and ``UnknownPassageError`` / ``UnknownSourceError`` for what is not there).
"""

from __future__ import annotations

import io
import json
import re
import time
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from importlib import resources
from typing import Any
from urllib.parse import urlencode, urlsplit, urlunsplit

import urllib3

from qa_api.corpus import Corpus, Document, Passage, passage_id_stem
from qa_api.errors import SearchBackendError, UnknownPassageError, UnknownSourceError

from .bm25 import BM25Params

CONFIGSET_FILES = ("schema.xml", "solrconfig.xml", "stopwords.txt")
META_ID = "meta:corpus"
PUSH_BATCH = 2000  # records per update request
PASSAGE_FIELDS = "id,source,paragraph,section,text,start,end,title"
_QUERY_SYNTAX = re.compile(r'([\\+\-!():^\[\]"{}~*?|&;/\s])')
_EXPLAINED_TERM = re.compile(r"^weight\(text:(.+) in -?\d+\)")
_SIMILARITY_PARAM = re.compile(r'(<float name="(k1|b)">)[^<]*(</float>)')


@dataclass(frozen=True, slots=True)
class SolrHit:
    passage: Passage
    score: float
    terms: tuple[tuple[str, float], ...]  # BM25 per matched query term, from Solr's explain (empty unless asked)


@dataclass(frozen=True, slots=True)
class SolrRanked:
    hits: tuple[SolrHit, ...]
    total: int  # passages matching any query term


@dataclass(frozen=True, slots=True)
class SolrDocument:
    source: str
    title: str | None
    text: str
    passages: tuple[Passage, ...]


@dataclass(frozen=True, slots=True)
class CorpusStats:
    documents: int
    passages: int
    meta: dict[str, Any]  # what ``push_corpus`` recorded: checksum, BM25 parameters, build time, skipped files


@dataclass(frozen=True, slots=True)
class ClusterHealth:
    """``green``: every replica active; ``yellow``: every shard served, some replicas down; ``red``: a shard
    has no active replica (or the collection is missing)."""

    status: str
    live_nodes: int
    shards: int
    active_replicas: int
    replicas: int


class SolrClient:
    """Solr's HTTP API through any of the cluster's nodes, failing over on connection errors and timeouts."""

    def __init__(self, urls: Sequence[str], *, timeout: float = 10.0) -> None:
        if not urls:
            raise SearchBackendError("no Solr URL configured")
        self.urls: list[str] = []
        self._headers: dict[str, str] = {}
        for url in urls:
            self.urls.append(self._without_credentials(url))
        self._preferred = 0
        self._pool = urllib3.PoolManager(num_pools=max(4, len(urls)), maxsize=8, retries=False,
                                         timeout=urllib3.Timeout(connect=min(timeout, 3.0), read=timeout))

    def _without_credentials(self, url: str) -> str:
        parts = urlsplit(url.rstrip("/"))
        if parts.username is not None:
            auth = urllib3.make_headers(basic_auth=f"{parts.username}:{parts.password or ''}")
            self._headers.update(auth)
            parts = parts._replace(netloc=parts.netloc.rsplit("@", 1)[1])
        return urlunsplit(parts)

    def request(self, method: str, path: str, params: Mapping[str, Any] | Sequence[tuple[str, Any]] = (),
                body: bytes | None = None, content_type: str = "application/json") -> dict[str, Any]:
        """One API call (``path`` after the base URL, e.g. ``/admin/collections``), decoded from JSON."""
        query = urlencode([*(params.items() if isinstance(params, Mapping) else params), ("wt", "json")])
        if method == "POST" and body is None:  # parameters in the body: a long question fits
            body, content_type, query = query.encode(), "application/x-www-form-urlencoded", ""
        headers = dict(self._headers, **({"Content-Type": content_type} if body is not None else {}))
        failures = []
        for attempt in range(len(self.urls)):
            node = (self._preferred + attempt) % len(self.urls)
            url = f"{self.urls[node]}{path}?{query}" if query else self.urls[node] + path
            try:
                response = self._pool.request(method, url, body=body, headers=headers)
            except urllib3.exceptions.HTTPError as exc:
                failures.append(f"{self.urls[node]}: {exc}")
                continue
            if response.status == 503:  # a node starting or stopping: another may serve
                failures.append(f"{self.urls[node]}: HTTP 503")
                continue
            self._preferred = node
            return _decode(response, path)
        raise SearchBackendError(f"no Solr node answered {path}: {'; '.join(failures)}")


def _decode(response: urllib3.BaseHTTPResponse, path: str) -> dict[str, Any]:
    try:
        body: dict[str, Any] = json.loads(response.data)
    except ValueError:
        reason = "no such collection or API" if response.status == 404 else f"HTTP {response.status}, not JSON"
        raise SearchBackendError(f"Solr refused {path}: {reason}") from None
    error = body.get("error") or (body.get("failure") and {"msg": json.dumps(body["failure"])})
    if response.status >= 400 or error:
        message = (error or {}).get("msg") or f"HTTP {response.status}"
        raise SearchBackendError(f"Solr refused {path}: {message}")
    return body


# --- the collection ----------------------------------------------------------------------------------------


def configset_zip(params: BM25Params) -> bytes:
    """The shipped configset as Solr's upload API takes it, with k1 and b written into the schema."""
    root = resources.files("qa_api").joinpath("data/solr-configset/conf")
    values = {"k1": params.k1, "b": params.b}
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name in CONFIGSET_FILES:
            text = root.joinpath(name).read_text(encoding="utf-8")
            if name == "schema.xml":
                text = _SIMILARITY_PARAM.sub(lambda m: f"{m[1]}{values[m[2]]!r}{m[3]}", text)
            archive.writestr(name, text)
    return buffer.getvalue()


def upload_configset(client: SolrClient, name: str, params: BM25Params) -> None:
    client.request("POST", "/admin/configs", {"action": "UPLOAD", "name": name, "overwrite": "true",
                                              "cleanup": "true"},
                   body=configset_zip(params), content_type="application/octet-stream")


def create_collection(client: SolrClient, name: str, *, shards: int, replication_factor: int,
                      params: BM25Params, configset: str | None = None) -> None:
    """Upload the configset (named after the collection unless given) and create the collection on it,
    waiting until every replica is active."""
    configset = configset or name
    upload_configset(client, configset, params)
    client.request("POST", "/admin/collections", {
        "action": "CREATE", "name": name, "collection.configName": configset, "numShards": shards,
        "replicationFactor": replication_factor, "waitForFinalState": "true"})


def delete_collection(client: SolrClient, name: str) -> None:
    """Delete the collection when it exists."""
    if name in list_collections(client):
        client.request("POST", "/admin/collections", {"action": "DELETE", "name": name})


def list_collections(client: SolrClient) -> list[str]:
    names: list[str] = client.request("GET", "/admin/collections", {"action": "LIST"})["collections"]
    return names


def push_corpus(client: SolrClient, collection: str, corpus: Corpus, params: BM25Params) -> int:
    """Replace the collection's records by the corpus's, and commit: readers see the old records until the commit
    and the new ones after it. Returns the number of passages pushed."""
    client.request("POST", f"/{collection}/update", body=json.dumps({"delete": {"query": "*:*"}}).encode())
    passages = 0
    for batch in _batches(_records(corpus, params), PUSH_BATCH):
        client.request("POST", f"/{collection}/update", body=json.dumps(batch).encode())
        passages += sum(1 for r in batch if r["kind"] == "passage")
    client.request("POST", f"/{collection}/update", {"commit": "true", "waitSearcher": "true"}, body=b"[]")
    return passages


def _records(corpus: Corpus, params: BM25Params) -> Iterator[dict[str, Any]]:
    passages = 0
    for doc in corpus.documents:
        yield _document_record(doc)
        for p in doc.passages:
            passages += 1
            yield _without_none({"id": p.id, "kind": "passage", "source": p.source, "paragraph": p.paragraph,
                                 "section": p.section, "title": doc.title, "text": p.text, "start": p.start,
                                 "end": p.end})
    meta = {"checksum": corpus.checksum, "documents": len(corpus.documents), "passages": passages,
            "skipped": list(corpus.skipped), "bm25": {"k1": params.k1, "b": params.b},
            "built_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())}
    yield {"id": META_ID, "kind": "meta", "meta_json": json.dumps(meta)}


def _document_record(doc: Document) -> dict[str, Any]:
    return _without_none({"id": document_id(doc.source), "kind": "document", "source": doc.source,
                          "title": doc.title, "document_text": doc.text, "passage_count": len(doc.passages),
                          "characters": len(doc.text)})


def document_id(source: str) -> str:
    """A document record's id: never a passage id, which has no colon."""
    return f"doc:{passage_id_stem(source)}"


def _without_none(record: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in record.items() if v is not None}


def _batches(records: Iterable[dict[str, Any]], size: int) -> Iterator[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for record in records:
        batch.append(record)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


# --- reading -----------------------------------------------------------------------------------------------


def search(client: SolrClient, collection: str, query: str, k: int, sources: Sequence[str] = (),
           explain: bool = False) -> SolrRanked:
    """The ``k`` best passages for ``query`` by Lucene's BM25, analysed by the collection's own analyzer."""
    if not query.strip():
        return SolrRanked((), 0)
    params: list[tuple[str, Any]] = [("q", escape(query)), ("defType", "lucene"), ("df", "text"), ("q.op", "OR"),
                                     ("sow", "false"), ("rows", max(k, 0)), ("fl", PASSAGE_FIELDS + ",score"),
                                     ("sort", "score desc,source asc,paragraph asc")]  # ties in corpus order
    if sources:
        params.append(("fq", " OR ".join(f'source:"{_phrase(s)}"' for s in sources)))
    if explain:
        params += [("debug", "results"), ("debug.explain.structured", "true")]
    body = client.request("POST", f"/{collection}/select", params)
    explained = body.get("debug", {}).get("explain", {}) if explain else {}
    hits = tuple(SolrHit(_passage(d), float(d["score"]), _term_scores(explained.get(d["id"])))
                 for d in body["response"]["docs"])
    return SolrRanked(hits, int(body["response"]["numFound"]))


def escape(text: str) -> str:
    """``text`` as plain words to the Lucene query parser: no operators, fields, wildcards or ranges."""
    return _QUERY_SYNTAX.sub(r"\\\1", text)


def _phrase(text: str) -> str:
    return text.replace("\\", "\\\\").replace('"', '\\"')


def _term_scores(explanation: dict[str, Any] | None) -> tuple[tuple[str, float], ...]:
    """Each matched term's part of the score, from Solr's structured explain (a repeated term summed once)."""
    scores: dict[str, float] = {}

    def walk(node: dict[str, Any]) -> None:
        found = _EXPLAINED_TERM.match(node.get("description", ""))
        if found:
            scores[found[1]] = scores.get(found[1], 0.0) + float(node["value"])
            return
        for child in node.get("details", ()):
            walk(child)

    if explanation:
        walk(explanation)
    return tuple(scores.items())


def get_passages(client: SolrClient, collection: str, ids: Sequence[str]) -> list[Passage]:
    """The passages with these ids, in that order (real-time get: routed to the shard that holds each)."""
    if not ids:
        return []
    body = client.request("POST", f"/{collection}/get", [("ids", ",".join(ids)), ("fl", PASSAGE_FIELDS)])
    found = {d["id"]: _passage(d) for d in body["response"]["docs"] if "text" in d}
    missing = [i for i in ids if i not in found]
    if missing:
        raise UnknownPassageError(missing[0])
    return [found[i] for i in ids]


def get_document(client: SolrClient, collection: str, source: str) -> SolrDocument:
    """A document's whole text and its passages in order."""
    body = client.request("POST", f"/{collection}/get", {"id": document_id(source)})
    record = body.get("doc")
    if not record or record.get("source") != source:
        raise UnknownSourceError(source)
    count = int(record.get("passage_count", 0))
    passages = client.request("POST", f"/{collection}/select", [
        ("q", "*:*"), ("fq", "kind:passage"), ("fq", f'source:"{_phrase(source)}"'), ("sort", "paragraph asc"),
        ("rows", count), ("fl", PASSAGE_FIELDS)])["response"]["docs"]
    return SolrDocument(source, record.get("title"), record["document_text"], tuple(_passage(d) for d in passages))


def corpus_stats(client: SolrClient, collection: str) -> CorpusStats:
    """Documents and passages as the collection counts them now, and what was recorded when they were pushed."""
    body = client.request("POST", f"/{collection}/select", [
        ("q", "*:*"), ("rows", 0), ("facet", "true"), ("facet.field", "kind"), ("facet.limit", 10)])
    pairs = body["facet_counts"]["facet_fields"]["kind"]
    counts = dict(zip(pairs[::2], pairs[1::2], strict=True))
    meta_record = client.request("POST", f"/{collection}/get", {"id": META_ID}).get("doc")
    meta = json.loads(meta_record["meta_json"]) if meta_record else {}
    return CorpusStats(int(counts.get("document", 0)), int(counts.get("passage", 0)), meta)


def cluster_health(client: SolrClient, collection: str) -> ClusterHealth:
    """How much of the collection is served: for ``/readyz``."""
    cluster = client.request("GET", "/admin/collections", {"action": "CLUSTERSTATUS"})["cluster"]
    live = set(cluster.get("live_nodes", ()))
    state = cluster.get("collections", {}).get(collection)
    if state is None:
        return ClusterHealth("red", len(live), 0, 0, 0)
    shards = list(state["shards"].values())
    active_per_shard = [
        sum(1 for r in shard["replicas"].values() if r.get("state") == "active" and r.get("node_name") in live)
        for shard in shards]
    replicas = sum(len(shard["replicas"]) for shard in shards)
    active = sum(active_per_shard)
    status = "red" if not shards or min(active_per_shard) == 0 else "green" if active == replicas else "yellow"
    return ClusterHealth(status, len(live), len(shards), active, replicas)


def _passage(record: dict[str, Any]) -> Passage:
    return Passage(record["id"], record["source"], int(record["paragraph"]), record.get("section"), record["text"],
                   int(record["start"]), int(record["end"]))
