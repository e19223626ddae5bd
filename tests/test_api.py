"""The HTTP API through a client that validates every exchange against openapi.yaml."""

from __future__ import annotations

import re

import pytest
import yaml
from flask import Flask

from tests.conftest import EXAMPLE_QUESTION, SEEDS, SPEC, ContractClient, assert_problem

PASSAGE_001_P4 = "001_5fe9c23b30af33fc-p4"


def test_the_example_question_returns_the_001_passage_first_with_its_answer(client: ContractClient) -> None:
    body = client.post("/v1/ask", json={"question": EXAMPLE_QUESTION}).get_json()
    first = body["passages"][0]
    assert first["id"] == PASSAGE_001_P4 and first["source"] == "001_5fe9c23b30af33fc.txt"
    assert "officially confirmed in late April 2025" in first["text"]
    answer = body["answer"]
    assert answer["text"] == "late April 2025" and answer["type"] == "date"
    source_text = (SEEDS / answer["source"]).read_text(encoding="utf-8")
    assert source_text[answer["start"]:answer["end"]] == "late April 2025"
    assert answer["text"] in answer["sentence"] and 0 <= answer["confidence"] <= 1


def test_search_ranks_passages_with_offsets_scores_and_highlights(client: ContractClient) -> None:
    body = client.get("/v1/search", query={"q": "Kim Jong Un troops", "top_k": 3}).get_json()
    passages = body["passages"]
    assert [p["rank"] for p in passages] == [1, 2, 3]
    assert passages[0]["score"] >= passages[1]["score"] >= passages[2]["score"] > 0
    assert body["total"] >= 3
    for p in passages:
        source_text = (SEEDS / p["source"]).read_text(encoding="utf-8")
        assert source_text[p["start"]:p["end"]] == p["text"]
        for h in p["highlights"]:
            assert re.fullmatch(r"(?i)kim|jong|un|troops?", p["text"][h["start"]:h["end"]])


def test_search_finds_kim_jong_un_under_either_spelling(client: ContractClient) -> None:
    hyphen = client.get("/v1/search", query={"q": "Kim Jong-un", "top_k": 50}).get_json()
    spaced = client.get("/v1/search", query={"q": "kim jong un", "top_k": 50}).get_json()
    assert [p["id"] for p in hyphen["passages"]] == [p["id"] for p in spaced["passages"]]
    assert {p["source"][:3] for p in hyphen["passages"]} >= {"000", "001", "004"}


def test_source_filter_limits_results(client: ContractClient) -> None:
    body = client.get("/v1/search", query=[("q", "Putin"), ("source", "004_df01c9ba794d04db.txt")]).get_json()
    assert body["passages"] and {p["source"] for p in body["passages"]} == {"004_df01c9ba794d04db.txt"}
    ask = client.post("/v1/ask", json={"question": "Who is Putin?", "sources": ["003_56162da0625b7a56.txt"]})
    assert {p["source"] for p in ask.get_json()["passages"]} == {"003_56162da0625b7a56.txt"}


def test_a_question_the_corpus_does_not_answer_gets_a_null_answer(client: ContractClient) -> None:
    body = client.post("/v1/ask", json={"question": "What is the population of Pyongyang?"}).get_json()
    assert body["answer"] is None
    assert body["passages"]


def test_a_query_with_no_known_word_returns_no_passages(client: ContractClient) -> None:
    body = client.get("/v1/search", query={"q": "xylophone zebra"}).get_json()
    assert body == {**body, "total": 0, "passages": []}


def test_documents_list_and_detail(client: ContractClient) -> None:
    docs = client.get("/v1/documents").get_json()["documents"]
    assert [d["source"] for d in docs] == sorted(p.name for p in SEEDS.glob("*.txt"))
    detail = client.get("/v1/documents/002_43d8ff92c46573de.txt").get_json()
    assert detail["text"] == (SEEDS / "002_43d8ff92c46573de.txt").read_text(encoding="utf-8")
    assert detail["title"] == "North Korean leader hails deepening ties with Russia"
    assert len(detail["passages"]) == detail["passage_count"] == docs[2]["passage_count"]


def test_passage_by_id(client: ContractClient) -> None:
    body = client.get(f"/v1/passages/{PASSAGE_001_P4}").get_json()
    assert body["paragraph"] == 4 and body["source"] == "001_5fe9c23b30af33fc.txt"


def test_health_readiness_spec_and_docs(client: ContractClient) -> None:
    assert client.get("/healthz").get_json() == {"status": "ok"}
    ready = client.get("/readyz").get_json()
    assert ready["documents"] == 5 and ready["passages"] == 59 and ready["status"] == "ready"
    spec = client.get("/openapi.yaml")
    assert yaml.safe_load(spec.data)["openapi"] == "3.1.0"
    docs = client.get("/docs")
    assert b"swagger-ui-bundle.js" in docs.data and b"cdn" not in docs.data.lower()
    with client.client.get("/docs/assets/swagger-ui-bundle.js") as asset:
        assert asset.status_code == 200 and asset.mimetype == "text/javascript"


@pytest.mark.parametrize(
    ("method", "path", "kwargs", "status"),
    [
        ("POST", "/v1/ask", {"data": "{not json", "content_type": "application/json"}, 400),
        ("POST", "/v1/ask", {"data": '{"question": NaN}', "content_type": "application/json"}, 400),
        ("POST", "/v1/ask", {"data": "[" * 5000 + "]" * 5000, "content_type": "application/json"}, 400),
        ("POST", "/v1/ask", {"data": b"\xff\xfe", "content_type": "application/json"}, 400),
        ("POST", "/v1/ask", {"data": '{"question": "hi", "top_k": ' + "9" * 5000 + "}",
                             "content_type": "application/json"}, 422),
        ("POST", "/v1/ask", {"data": "question=hi", "content_type": "application/x-www-form-urlencoded"}, 415),
        ("POST", "/v1/ask", {"data": '{"question": "hi"}'}, 415),
        ("POST", "/v1/ask", {"json": {"question": "x" * 70000}}, 413),
        ("POST", "/v1/ask", {"json": {"question": ""}}, 422),
        ("POST", "/v1/ask", {"json": {"question": "   "}}, 422),
        ("POST", "/v1/ask", {"json": {"question": "x" * 1001}}, 422),
        ("POST", "/v1/ask", {"json": {"question": "hi", "top_k": 0}}, 422),
        ("POST", "/v1/ask", {"json": {"question": "hi", "top_k": 51}}, 422),
        ("POST", "/v1/ask", {"json": {"question": "hi", "top_k": "5"}}, 422),
        ("POST", "/v1/ask", {"json": {"question": "hi", "sources": ["nope.txt"]}}, 422),
        ("POST", "/v1/ask", {"json": {"question": "hi", "colour": "red"}}, 422),
        ("POST", "/v1/ask", {"json": ["question"]}, 422),
        ("POST", "/v1/ask", {"data": '{"question": "\\ud800"}', "content_type": "application/json"}, 422),
        ("GET", "/v1/search", {}, 422),
        ("GET", "/v1/search", {"query": {"q": "hi", "top_k": "many"}}, 422),
        ("GET", "/v1/search", {"query": {"q": "hi", "source": "nope.txt"}}, 422),
        ("GET", "/v1/search", {"query": {"q": "x" * 5000}}, 414),
        ("GET", "/v1/passages/nope-p1", {}, 404),
        ("GET", "/v1/passages/001_5fe9c23b30af33fc-p999", {}, 404),
        ("GET", "/v1/passages/001_5fe9c23b30af33fc-p01", {}, 404),  # ids are matched as written
        ("GET", "/v1/passages/001_5fe9c23b30af33fc-p" + "9" * 5000, {}, 404),  # too long to read as a number
        ("GET", "/v1/documents/nope.txt", {}, 404),
        ("GET", "/v1/nothing", {}, 404),
        ("DELETE", "/v1/ask", {}, 405),
        ("PUT", "/v1/search", {}, 405),
    ],
)
def test_bad_requests_get_problem_details(client: ContractClient, method: str, path: str, kwargs: dict,
                                          status: int) -> None:
    body = assert_problem(client.open(method, path, **kwargs), status)
    if status == 422:
        assert body["errors"] and all({"field", "message"} <= set(e) for e in body["errors"])


def test_method_not_allowed_names_the_allowed_methods(client: ContractClient) -> None:
    response = client.open("DELETE", "/v1/ask")
    assert "POST" in response.headers["Allow"]


def test_every_response_has_security_headers(client: ContractClient) -> None:
    for response in (client.get("/healthz"), client.get("/v1/nothing"), client.get("/docs")):
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert "default-src 'none'" in response.headers["Content-Security-Policy"]


def test_app_routes_equal_the_spec_paths(app: Flask) -> None:
    spec_paths = {re.sub(r"\{(\w+)\}", r"<\1>", p) for p in yaml.safe_load(SPEC.read_text())["paths"]}
    served = {re.sub(r"<(?:\w+:)?(\w+)>", r"<\1>", r.rule) for r in app.url_map.iter_rules()}
    assets = {"/static/<filename>", "/docs/assets/<name>"}  # files for the pages, not API operations
    assert served - assets == spec_paths


def test_every_operation_is_documented_for_tool_use() -> None:
    spec = yaml.safe_load(SPEC.read_text())
    ids = []
    for path, item in spec["paths"].items():
        for method, op in item.items():
            ids.append(op["operationId"])
            assert op["summary"] and op["description"], (path, method)
            assert "default" in op["responses"], (path, method)
    assert len(ids) == len(set(ids))
    assert {"searchPassages", "askQuestion", "listDocuments", "getDocument", "getPassage"} <= set(ids)


def test_a_number_too_long_to_read_is_an_invalid_field_not_a_broken_body(client: ContractClient) -> None:
    body = '{"question": "hi", "top_k": ' + "9" * 5000 + "}"
    problem = assert_problem(client.post("/v1/ask", data=body, content_type="application/json"), 422)
    assert [e["field"] for e in problem["errors"]] == ["top_k"]
    assert "digits" not in problem["detail"] and "sys." not in str(problem)


def test_a_number_too_long_to_read_in_a_free_form_chat_field_is_ignored(client: ContractClient) -> None:
    body = ('{"model": "qa-api", "messages": [{"role": "user", "content": "Who did Kim meet?", "x": '
            + "9" * 5000 + "}]}")
    # the raw client: the contract checker's own JSON reader cannot read such a number
    assert client.client.post("/v1/chat/completions", data=body, content_type="application/json").status_code == 200


def test_options_lists_the_allowed_methods_with_no_body(client: ContractClient) -> None:
    response = client.client.options("/v1/ask")
    assert response.status_code == 204 and not response.data and "Content-Type" not in response.headers
    assert set(response.headers["Allow"].replace(" ", "").split(",")) == {"POST", "OPTIONS"}
