"""Writing documents through the API: PUT, DELETE and multipart POST, the write key, the limits, and what the
store keeps (seeds imported at first start, writes surviving a restart)."""

from __future__ import annotations

import io
import time
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from flask import Flask
from openapi_core import OpenAPI
from werkzeug.test import TestResponse

from qa_api.corpus import DocumentStore
from qa_api.http.app import create_app
from qa_api.retrieval.bm25 import BM25Params
from qa_api.retrieval.store import load_index, rebuild_index
from qa_api.service import QAService
from qa_api.settings import Settings
from tests.conftest import SEEDS, ContractClient, assert_problem
from tests.test_formats import HTML, MARKDOWN, make_pdf

KEY = "test-write-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
SEARCHABLE_WITHIN_S = 1.0


@pytest.fixture(scope="module")
def writable(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """A corpus of the seeds plus whatever the tests write, with a key and a small document cap."""
    return Settings(corpus_dir=SEEDS, index_dir=tmp_path_factory.mktemp("index"), key=KEY,
                    max_document_bytes=200_000)


@pytest.fixture(scope="module")
def writable_app(writable: Settings) -> Flask:
    return create_app(writable)


@pytest.fixture()
def api(writable_app: Flask, openapi: OpenAPI) -> ContractClient:
    return ContractClient(writable_app, openapi)


def put(api: ContractClient, source: str, data: bytes, content_type: str | None) -> TestResponse:
    return api.open("PUT", f"/v1/documents/{quote(source, safe='')}", data=data, content_type=content_type,
                    headers=AUTH)


def search(api: ContractClient, query: str) -> list[dict[str, Any]]:
    response = api.get("/v1/search", {"q": query}, headers=AUTH)
    assert response.status_code == 200
    hits: list[dict[str, Any]] = response.get_json()["passages"]
    return hits


def until(condition: Any, timeout_s: float = SEARCHABLE_WITHIN_S) -> float:
    """Seconds until ``condition()`` held; fails when it does not within ``timeout_s``."""
    started = time.monotonic()
    while not condition():
        assert time.monotonic() - started < timeout_s, f"not within {timeout_s} s"
        time.sleep(0.01)
    return time.monotonic() - started


def pdf_bytes(tmp_path: Path) -> bytes:
    make_pdf(tmp_path / "tides.pdf")
    return (tmp_path / "tides.pdf").read_bytes()


@pytest.mark.parametrize(("source", "content_type", "question", "answer"), [
    ("keepers/lighthouse.md", "text/markdown", "Who kept a log of every ship that passed?", "Thomas Whitcombe"),
    ("bees", "text/html", "Who keeps forty colonies near Tampere?", "Maria Okafor"),
    ("tides.pdf", "application/octet-stream", "When did the Annapolis Royal station stop running?", "2019"),
])
def test_a_document_put_is_searchable_within_a_second_and_answers_with_offsets_into_its_text(
        api: ContractClient, tmp_path: Path, source: str, content_type: str, question: str, answer: str) -> None:
    data = {"text/markdown": MARKDOWN.encode(), "text/html": HTML.encode()}.get(content_type) or pdf_bytes(tmp_path)
    response = put(api, source, data, content_type)
    assert response.status_code == 201, response.get_data(as_text=True)
    written = response.get_json()
    assert written["created"] is True and written["source"] == source and written["passages"]
    for p in written["passages"]:
        assert written["text"][p["start"]:p["end"]] == p["text"]
    first = written["passages"][0]["id"]
    until(lambda: any(hit["id"] == first for hit in search(api, written["passages"][0]["text"][:80])))

    body = api.post("/v1/ask", json={"question": question}, headers=AUTH).get_json()
    text = api.get(f"/v1/documents/{quote(source, safe='')}", headers=AUTH).get_json()["text"]
    assert text == written["text"]
    evidence = body["evidence"]
    assert evidence["source"] == source and answer in evidence["text"]
    assert text[evidence["start"]:evidence["end"]] == evidence["text"]
    if body["answer"] is not None or source != "tides.pdf":  # an answer is given only when likely right: the
        # finder holds back on this year (as it does for tides.pdf served from a directory, tests/test_formats.py)
        assert body["answer"]["source"] == source and answer in body["answer"]["text"]
        assert text[body["answer"]["start"]:body["answer"]["end"]] == body["answer"]["text"]


def test_a_replaced_document_answers_200_and_its_old_text_leaves_search(api: ContractClient) -> None:
    assert put(api, "swap.txt", b"The quokka census counted zibbling quokkas.\n", "text/plain").status_code == 201
    until(lambda: bool(search(api, "zibbling")))
    replaced = put(api, "swap.txt", b"The census now counts wombling wombats.\n", "text/plain")
    assert replaced.status_code == 200 and replaced.get_json()["created"] is False
    until(lambda: bool(search(api, "wombling")) and not search(api, "zibbling"))
    assert [d["source"] for d in api.get("/v1/documents", headers=AUTH).get_json()["documents"]].count("swap.txt") == 1


def test_a_deleted_document_answers_204_then_404_and_leaves_search(api: ContractClient) -> None:
    assert put(api, "gone.txt", b"A flurbish report on marmots.\n", "application/octet-stream").status_code == 201
    until(lambda: bool(search(api, "flurbish")))
    response = api.open("DELETE", "/v1/documents/gone.txt", headers=AUTH)
    assert response.status_code == 204 and response.data == b""
    until(lambda: not search(api, "flurbish"))
    assert_problem(api.open("DELETE", "/v1/documents/gone.txt", headers=AUTH), 404)
    assert_problem(api.get("/v1/documents/gone.txt", headers=AUTH), 404)


def test_a_multipart_upload_writes_every_file(writable_app: Flask) -> None:
    client = writable_app.test_client()
    files = {"a": (io.BytesIO(b"Glimmerwick is a town of lamps.\n"), "multi/a.txt"),
             "b": (io.BytesIO(b"# Brindle\n\nBrindle cows graze on Glimmerwick hill.\n"), "multi/b.md",
                   "text/markdown")}
    response = client.post("/v1/documents", data=files, headers=AUTH, content_type="multipart/form-data")
    assert response.status_code == 200, response.get_data(as_text=True)
    written = response.get_json()["documents"]
    assert [(d["source"], d["created"]) for d in written] == [("multi/a.txt", True), ("multi/b.md", True)]
    assert written[1]["passages"][0]["section"] == "Brindle"


def test_a_multipart_upload_with_one_unreadable_file_writes_none_and_names_it(writable_app: Flask,
                                                                             api: ContractClient) -> None:
    client = writable_app.test_client()
    files = {"a": (io.BytesIO(b"Quillfeather is fine text.\n"), "batch/fine.txt"),
             "b": (io.BytesIO(b"caf\xe9 latin-1\n"), "batch/latin1.txt")}
    response = client.post("/v1/documents", data=files, headers=AUTH, content_type="multipart/form-data")
    body = assert_problem(response, 422)
    assert "batch/latin1.txt" in body["detail"] and "not UTF-8" in body["detail"]
    assert_problem(api.get("/v1/documents/batch%2Ffine.txt", headers=AUTH), 404)
    store = DocumentStore(writable_app.config["QA_API_SETTINGS"].store_path)
    assert "batch/fine.txt" not in store.sources()


@pytest.mark.parametrize(("source", "data", "content_type", "status", "says"), [
    ("big.txt", b"word " * 50_000, "text/plain", 413, "at most 200000 bytes"),
    ("notes.docx", b"PK\x03\x04", None, 415, ".docx"),
    ("notes.txt", b"x", "image/png", 415, "image/png"),
    ("latin1.txt", "café".encode("latin-1"), "text/plain", 422, "'latin1.txt' cannot be read: not UTF-8"),
    ("broken.pdf", b"%PDF-1.4 not really", "application/pdf", 422, "'broken.pdf' cannot be read: not a readable PDF"),
    ("a/../b.txt", b"x", "text/plain", 422, "relative path"),
])
def test_a_write_that_cannot_be_taken_is_refused_and_writes_nothing(
        api: ContractClient, writable: Settings, source: str, data: bytes, content_type: str | None, status: int,
        says: str) -> None:
    before = DocumentStore(writable.store_path).checksum()
    response = api.client.put(f"/v1/documents/{source}", data=data, content_type=content_type, headers=AUTH)
    body = assert_problem(response, status)
    assert says in body["detail"] or says in str(body.get("errors"))
    assert DocumentStore(writable.store_path).checksum() == before


def test_writes_need_the_key_and_are_refused_with_403_when_none_is_configured(
        api: ContractClient, app: Flask, openapi: OpenAPI) -> None:
    assert_problem(api.open("PUT", "/v1/documents/k.txt", data=b"x", content_type="text/plain"), 401)
    wrong = api.open("DELETE", "/v1/documents/k.txt", headers={"Authorization": "Bearer nope"})
    assert_problem(wrong, 401)
    keyless = ContractClient(app, openapi)  # the seed app: no key configured
    for response in (keyless.open("PUT", "/v1/documents/k.txt", data=b"x", content_type="text/plain"),
                     keyless.open("DELETE", "/v1/documents/000_991727d72fd32601.txt"),
                     app.test_client().post("/v1/documents", data={"a": (io.BytesIO(b"x"), "k.txt")},
                                            content_type="multipart/form-data")):
        body = assert_problem(response, 403)
        assert "QA_API_KEY" in body["detail"] and body["type"] == "urn:qa-api:problem:writes-disabled"
    assert keyless.get("/v1/documents/000_991727d72fd32601.txt").status_code == 200


def test_a_new_store_imports_the_corpus_directory_with_the_same_passages(service: QAService,
                                                                       tmp_path: Path) -> None:
    """The seeds served from the store keep every passage id, text and offset a build from the directory has."""
    direct = rebuild_index(SEEDS, tmp_path / "direct", BM25Params())
    stored = service.backend.index  # type: ignore[attr-defined]
    assert [stored.passage(i) for i in range(stored.n_passages)] == [direct.passage(i) for i in
                                                                     range(direct.n_passages)]
    assert stored.manifest["corpus"]["documents"] == 5


def test_a_written_document_survives_a_restart_and_a_stale_index_is_rebuilt(tmp_path: Path) -> None:
    settings = Settings(corpus_dir=SEEDS, index_dir=tmp_path / "index", dense=False)
    first = QAService.open(settings)
    first.put_document("kept.txt", b"The snorkelwhale returns every spring.\n", ".txt")
    # the process stops before any new generation is built: the next start rebuilds from the store
    assert "kept.txt" in DocumentStore(settings.store_path).sources()
    again = QAService.open(settings)
    assert [h.passage.source for h in again.search("snorkelwhale", 3).hits] == ["kept.txt"]
    assert load_index(settings.index_dir).manifest["corpus"]["checksum"] == DocumentStore(
        settings.store_path).checksum()


def test_several_documents_are_written_in_one_transaction_all_or_none(tmp_path: Path) -> None:
    store = DocumentStore(tmp_path / "documents.sqlite3")
    assert store.put_many([("a.txt", ".txt", b"A."), ("b.txt", ".txt", b"B.")]) == [True, True]
    before = store.checksum()
    with pytest.raises(TypeError):  # the second fails midway: the first, a replacement, is rolled back too
        store.put_many([("a.txt", ".txt", b"A again."), ("c.txt", ".txt", None)])  # type: ignore[list-item]
    assert store.checksum() == before and set(store.sources()) == {"a.txt", "b.txt"}
