"""The HTTP API over the Solr backend: the contract suite and Schemathesis against a Solr-backed app and server,
the dev set through ``/v1/ask``, errors when the cluster cannot serve, and searches through a node's loss.

The contract tests of ``tests/test_api.py`` and ``tests/test_explain.py`` are imported and run again here, with
``app`` and ``client`` standing for a Solr-backed app."""

from __future__ import annotations

import inspect
import json
import os
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests
from flask import Flask
from openapi_core import OpenAPI

from qa_api.corpus import Passage
from qa_api.evaluate import first_relevant_rank, read_questions
from qa_api.http.app import create_app
from qa_api.retrieval.analysis import Analyzer
from qa_api.retrieval.solr import SolrBackend, SolrClient, admin
from qa_api.retrieval.solr.queries import search
from qa_api.service import QAService
from qa_api.settings import Settings
from tests import test_api, test_explain
from tests.conftest import EXAMPLE_QUESTION, ROOT, ContractClient, assert_problem
from tests.live import LiveServer, wait_for
from tests.solr_cluster import SolrCluster
from tests.test_contract import assert_schemathesis_passes

pytestmark = [pytest.mark.solr, pytest.mark.server, pytest.mark.timeout(1800)]

# The contract suite, run again here over Solr: every test of those modules that takes the app or its client.
for _module in (test_api, test_explain):
    for _name, _test in vars(_module).items():
        if _name.startswith("test_") and {"app", "client"} & set(inspect.signature(_test).parameters):
            globals()[_name] = _test


@pytest.fixture(scope="module")
def app(solr_settings: Settings, solr_service: QAService) -> Flask:
    return create_app(solr_settings, solr_service)


@pytest.fixture()
def client(app: Flask, openapi: OpenAPI) -> ContractClient:
    return ContractClient(app, openapi)


def passages_of(body: dict[str, object]) -> list[Passage]:
    hits = body["passages"]
    assert isinstance(hits, list)
    return [Passage(p["id"], p["source"], p["paragraph"], p.get("section"), p["text"], p["start"], p["end"])
            for p in hits]


def test_the_dev_set_through_ask_on_the_solr_backed_server(solr_live_server: LiveServer,
                                                           service: QAService) -> None:
    questions = [q for q in read_questions(ROOT / "eval" / "dev.jsonl") if q.answerable]
    ranks = []
    for q in questions:
        response = requests.post(f"{solr_live_server.url}/v1/ask", json={"question": q.question, "top_k": 10},
                                 timeout=30)
        assert response.status_code == 200, response.text
        ranks.append(first_relevant_rank(passages_of(response.json()), q.evidence))
    local = [first_relevant_rank([h.passage for h in service.ask(q.question, 10).hits], q.evidence)
             for q in questions]
    figures = {name: {"recall@1": sum(r == 1 for r in rs) / len(rs),
                      "recall@5": sum(r is not None and r <= 5 for r in rs) / len(rs)}
               for name, rs in (("solr", ranks), ("local", local))}
    print("dev-set", json.dumps(figures))
    assert figures["solr"]["recall@1"] >= 0.85 and figures["solr"]["recall@5"] >= 0.95


def test_the_example_question_finds_the_local_backends_top_passage(solr_live_server: LiveServer,
                                                                  service: QAService) -> None:
    body = requests.post(f"{solr_live_server.url}/v1/ask", json={"question": EXAMPLE_QUESTION}, timeout=30).json()
    local = service.ask(EXAMPLE_QUESTION, 5)
    assert body["passages"][0]["id"] == local.hits[0].passage.id == "001_5fe9c23b30af33fc-p4"
    assert body["answer"]["text"] == (local.answer.text if local.answer else None)
    ready = requests.get(f"{solr_live_server.url}/readyz", timeout=10).json()
    assert (ready["backend"], ready["health"], ready["documents"], ready["passages"]) == ("solr", "green", 5, 59)


def test_schemathesis_passes_against_the_solr_backed_server(solr_live_server: LiveServer, tmp_path: Path) -> None:
    assert_schemathesis_passes(solr_live_server.url, tmp_path)


@pytest.fixture(scope="module")
def unreachable(openapi: OpenAPI, tmp_path_factory: pytest.TempPathFactory) -> ContractClient:
    """An app whose Solr cluster does not answer (nothing listens on the discard port)."""
    settings = Settings(backend="solr", solr_url="http://127.0.0.1:9/solr", solr_timeout=1.0,
                        index_dir=tmp_path_factory.mktemp("unused-index"))
    backend = SolrBackend(SolrClient(settings.solr_urls, timeout=1.0), "seeds")
    return ContractClient(create_app(settings, QAService(backend)), openapi)


@pytest.mark.parametrize(("method", "path", "query", "body"), [
    ("GET", "/v1/search", {"q": "korea"}, None), ("POST", "/v1/ask", None, {"question": "Who is Kim?"}),
    ("GET", "/v1/documents", None, None), ("GET", "/v1/documents/001_5fe9c23b30af33fc.txt", None, None),
    ("GET", "/v1/passages/001_5fe9c23b30af33fc-p4", None, None), ("GET", "/readyz", None, None),
])
def test_a_cluster_that_does_not_answer_is_503_problem_json(unreachable: ContractClient, method: str, path: str,
                                                           query: dict[str, str] | None,
                                                           body: dict[str, str] | None) -> None:
    response = unreachable.open(method, path, query=query, json=body)
    problem = assert_problem(response, 503)
    assert problem["type"] == "urn:qa-api:problem:search-backend-unavailable"
    assert response.headers["Retry-After"] == "5" and "127.0.0.1" not in problem["detail"]


def test_serve_refuses_to_start_while_no_solr_node_answers(tmp_path: Path) -> None:
    env = dict(os.environ, QA_API_BACKEND="solr", QA_API_SOLR_URL="http://127.0.0.1:9/solr", QA_API_SOLR_TIMEOUT="1",
               QA_API_INDEX_DIR=str(tmp_path))
    done = subprocess.run([sys.executable, "-m", "qa_api", "serve", "--port", "9"], env=env, capture_output=True,
                          text=True, timeout=120)
    assert done.returncode == 2 and "no Solr node answered" in done.stderr, done.stderr


def test_chat_gets_the_openai_error_shape_when_the_cluster_does_not_answer(unreachable: ContractClient) -> None:
    response = unreachable.post("/v1/chat/completions",
                                json={"model": "qa-api", "messages": [{"role": "user", "content": "Who is Kim?"}]})
    assert response.status_code == 503 and response.mimetype == "application/json"
    assert response.get_json()["error"]["type"] == "server_error"


def test_readiness_is_503_when_the_collection_is_red(solr_settings: Settings, openapi: OpenAPI) -> None:
    backend = SolrBackend(SolrClient(solr_settings.solr_urls, timeout=30), "no-such-collection")
    app = create_app(solr_settings, QAService(backend))
    problem = assert_problem(ContractClient(app, openapi).get("/readyz"), 503)
    assert "red" in problem["detail"]


# --- node loss: last, since it stops a node (and starts it again) ---------------------------------------------


@dataclass(frozen=True)
class Attempt:
    started: float
    ended: float
    error: str | None


def loop(attempts: list[Attempt], done: threading.Event, call: Callable[[int], str | None]) -> None:
    i = 0
    while not done.is_set() and len(attempts) < 5000:
        started = time.monotonic()
        try:
            error = call(i)
        except Exception as exc:  # any failure counts: the test says which
            error = f"{type(exc).__name__}: {exc}"
        attempts.append(Attempt(started, time.monotonic(), error))
        i += 1


def test_searches_through_the_api_go_on_when_a_node_is_killed(solr_live_server: LiveServer,
                                                              solr_cluster: SolrCluster) -> None:
    """2 shards x 2 replicas; node 1 is the first node every client tries. While it is stopped, searches through
    the HTTP API (``/v1/search`` and ``/v1/ask`` in turn) and through the Solr client go on: only those in flight
    at the kill may fail, none started after it does, and ``/readyz`` says ``yellow``."""
    questions = [q.question for q in read_questions(ROOT / "eval" / "dev.jsonl")]
    client = SolrClient(solr_cluster.urls, timeout=10)
    (collection,) = admin.aliases(client)["seeds"]
    assert admin.cluster_health(client, collection) == admin.ClusterHealth("green", 3, 2, 4, 4)

    def through_http(i: int) -> str | None:
        question = questions[i % len(questions)]
        response = (requests.get(f"{solr_live_server.url}/v1/search", params={"q": question}, timeout=30)
                    if i % 2 else requests.post(f"{solr_live_server.url}/v1/ask", json={"question": question},
                                                timeout=30))
        return None if response.status_code == 200 and response.json()["passages"] else response.text[:200]

    def through_client(i: int) -> str | None:
        query = dict.fromkeys(Analyzer().terms(questions[i % len(questions)]), 1.0)
        return None if search(client, "seeds", query, 5, fields=("id",)).found else "no hits"

    runs: dict[str, list[Attempt]] = {"http": [], "client": []}
    done = threading.Event()
    threads = [threading.Thread(target=loop, args=(runs["http"], done, through_http), daemon=True),
               threading.Thread(target=loop, args=(runs["client"], done, through_client), daemon=True)]
    for thread in threads:
        thread.start()
    try:
        time.sleep(2)
        kill_started = time.monotonic()
        solr_cluster.kill_node(1)
        kill_ended = time.monotonic()
        time.sleep(4)
    finally:
        done.set()
        for thread in threads:
            thread.join(timeout=60)
    try:
        for name, attempts in runs.items():
            before = [a for a in attempts if a.ended < kill_started]
            after = [a for a in attempts if a.started > kill_ended]
            failed = [a for a in attempts if a.error]
            print("node-loss", name, json.dumps({"before": len(before), "after": len(after), "failed": len(failed),
                                                 "during": len(attempts) - len(before) - len(after)}))
            assert len(before) >= 5 and len(after) >= 5, name
            assert not [a.error for a in after if a.error], f"a search started after the kill failed ({name})"
            assert all(a.started <= kill_ended and a.ended >= kill_started for a in failed), name
        ready = requests.get(f"{solr_live_server.url}/readyz", timeout=10)
        assert ready.status_code == 200 and ready.json()["health"] == "yellow"
    finally:
        solr_cluster.start_node(1)
        assert wait_for(lambda: admin.cluster_health(client, collection).status == "green", 120)
