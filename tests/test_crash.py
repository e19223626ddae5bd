"""The crash test: 1,000 documents PUT by 4 clients while a fifth searches, the whole server (nginx, the gunicorn
master and its workers) SIGKILLed at a random moment 20 times over. After each restart every acknowledged document
is present and searchable, no other is half present, the index (a base and a delta segment with tombstones, as the
workers search it) scores as a rebuild from the store, and the search client saw no 5xx before the kill."""

from __future__ import annotations

import os
import random
import signal
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pytest
import requests

from qa_api.corpus import DocumentStore
from qa_api.retrieval.analysis import Analyzer
from qa_api.retrieval.bm25 import BM25Params
from qa_api.retrieval.builder import build_index
from qa_api.retrieval.local import LocalBackend
from qa_api.retrieval.store import load_generation, load_index
from tests.conftest import SEEDS
from tests.live import LiveServer, start_server

pytestmark = [pytest.mark.server, pytest.mark.timeout(600)]

DOCUMENTS = 1000
WRITERS = 4
KILLS = 20
RUN_BEFORE_KILL_S = (0.3, 1.5)  # how long writes and searches run before the kill, drawn at random
PAUSE_S = 0.06  # between one client's writes: about 50 documents a run, so writes go on through all 20 kills
KEY = "crash-key"
AUTH = {"Authorization": f"Bearer {KEY}"}
SEED_DOCUMENTS = 5


def token(i: int) -> str:
    """A word only document ``i`` has (letters only, so the analyzer keeps it whole)."""
    return "crash" + "".join(chr(ord("a") + int(d)) for d in f"{i:04d}") + "zq"


def text_of(i: int) -> str:
    t = token(i)
    return (f"Report {t} opens with the harbour at dawn.\n\nThe second paragraph of {t} counts the boats.\n\n"
            f"Finally {t} closes with the tide tables.\n")


@dataclass
class Ledger:
    """What the clients know: documents acknowledged (2xx received), and documents sent without an answer."""

    acknowledged: set[int] = field(default_factory=set)
    unanswered: set[int] = field(default_factory=set)
    statuses: list[int] = field(default_factory=list)  # the search client's, before the kill
    segmented: int = 0  # restarts that found a delta segment over a base (not only whole builds)
    lock: threading.Lock = field(default_factory=threading.Lock)


def writer(url: str, todo: list[int], ledger: Ledger) -> None:
    """PUT the documents of ``todo`` in turn until done or until the server dies."""
    with requests.Session() as http:
        while todo:
            i = todo[0]
            if i in ledger.acknowledged:  # sent before a kill without an answer, and found written after it
                todo.pop(0)
                continue
            try:
                response = http.put(f"{url}/v1/documents/crash-{i:04d}.txt", data=text_of(i).encode(),
                                    headers={**AUTH, "Content-Type": "text/plain"}, timeout=10)
            except requests.RequestException:  # the server died under it: the write may or may not have landed
                with ledger.lock:
                    ledger.unanswered.add(i)
                return
            assert response.status_code in (200, 201), (response.status_code, response.text)
            with ledger.lock:
                ledger.acknowledged.add(i)
                ledger.unanswered.discard(i)
            todo.pop(0)
            time.sleep(PAUSE_S)


def searcher(url: str, ledger: Ledger, killing: threading.Event, done: threading.Event) -> None:
    rng = random.Random(7)
    with requests.Session() as http:
        while not done.is_set():
            with ledger.lock:
                known = sorted(ledger.acknowledged)
            query = token(rng.choice(known)) if known and rng.random() < 0.7 else "harbour tide boats"
            try:
                response = http.get(f"{url}/v1/search", params={"q": query}, headers=AUTH, timeout=10)
            except requests.RequestException:
                return
            with ledger.lock:
                if not killing.is_set():
                    ledger.statuses.append(response.status_code)


def kill_everything(server: LiveServer) -> None:
    """SIGKILL to the server's whole process group: supervisor, nginx master and worker, gunicorn master and
    workers, all at once."""
    os.killpg(server.process.pid, signal.SIGKILL)
    server.process.wait(timeout=10)


def test_acknowledged_writes_survive_twenty_kills_of_the_whole_server(tmp_path: Path) -> None:
    home = tmp_path
    rng = random.Random(2026)
    env = dict(os.environ, QA_API_CORPUS_DIR=str(SEEDS), QA_API_INDEX_DIR=str(home / "index"), QA_API_KEY=KEY,
               QA_API_DENSE="off", QA_API_ACCESS_LOG="off", TMPDIR=str(home))
    shares = [list(range(w, DOCUMENTS, WRITERS)) for w in range(WRITERS)]
    ledger = Ledger()
    started = time.monotonic()
    for cycle in range(KILLS + 1):
        server = start_server(env, home / f"server-{cycle}.log")
        try:
            check_after_restart(server, home, ledger)
            killing, done = threading.Event(), threading.Event()
            threads = [threading.Thread(target=writer, args=(server.url, share, ledger)) for share in shares]
            threads.append(threading.Thread(target=searcher, args=(server.url, ledger, killing, done)))
            for thread in threads:
                thread.start()
            if cycle < KILLS:
                time.sleep(rng.uniform(*RUN_BEFORE_KILL_S))
                with ledger.lock:  # the searcher's answers from here on may meet the kill
                    killing.set()
                    assert ledger.statuses and not [s for s in ledger.statuses if s >= 500], ledger.statuses
                    ledger.statuses.clear()
                kill_everything(server)
            else:  # the last run: no kill; every document is written
                for thread in threads[:WRITERS]:
                    thread.join(timeout=120)
            done.set()
            for thread in threads:
                thread.join(timeout=30)
                assert not thread.is_alive()
        finally:
            if server.process.poll() is None:
                server.stop()
        print(f"cycle {cycle}: {len(ledger.acknowledged)} acknowledged, {len(ledger.unanswered)} unanswered, "
              f"{time.monotonic() - started:.0f}s")
    assert ledger.acknowledged == set(range(DOCUMENTS))
    assert ledger.statuses and not [s for s in ledger.statuses if s >= 500]
    assert ledger.segmented > 0
    with start_server(env, home / "server-final.log") as final:
        check_after_restart(final, home, ledger)


def check_after_restart(server: LiveServer, home: Path, ledger: Ledger) -> None:
    """Every acknowledged document present whole and searchable; any other present only whole; the served index
    (its segments, as the workers search them) scoring as a rebuild from the store. A document sent without an
    answer that landed counts as written."""
    store = DocumentStore(home / "index" / "documents.sqlite3")
    held = store.sources()
    present = {int(s[6:10]) for s in held if s.startswith("crash-")}
    assert ledger.acknowledged <= present, sorted(ledger.acknowledged - present)[:10]
    assert present <= ledger.acknowledged | ledger.unanswered, sorted(present - ledger.acknowledged)[:10]
    assert len(held) == len(present) + SEED_DOCUMENTS
    assert load_index(home / "index").manifest["corpus"]["checksum"] == store.checksum()
    generation = load_generation(home / "index")
    ledger.segmented += generation.delta is not None
    served = LocalBackend(generation)
    rebuilt = LocalBackend(build_index(store.files(), Analyzer(), BM25Params(), workers=1))
    assert_same_search(served, rebuilt, sorted(present))
    for i in present:  # whole: never a torn or empty document
        assert served.document(f"crash-{i:04d}.txt")[1] == text_of(i)
    assert_searchable(server, sorted(present))
    with ledger.lock:
        ledger.acknowledged |= present  # an unanswered write that landed is written; the rest are sent again
        ledger.unanswered -= present


def assert_same_search(served: LocalBackend, rebuilt: LocalBackend, present: list[int]) -> None:
    """The same documents, passages and vocabulary, and for each document's word and a few common words, the
    same matches and scores."""
    assert {d.source for d in served.documents()} == {d.source for d in rebuilt.documents()}
    ours, theirs = served.stats(), rebuilt.stats()
    assert (ours.documents, ours.passages, ours.terms) == (theirs.documents, theirs.passages, theirs.terms)
    analyzer = Analyzer()
    queries = [{t: 1.0 for t in analyzer.terms(q)} for q in ("harbour tide boats", "North Korea troops", "report")]
    queries += [{analyzer.terms(token(i))[0]: 1.0} for i in present]
    for query in queries:
        mine, reference = served.pool(query, 10), rebuilt.pool(query, 10)
        assert mine.total == reference.total, query
        np.testing.assert_allclose(mine.scores, reference.scores, rtol=0, atol=1e-9)
    for i in present:  # searchable: each document's word finds its three passages
        assert served.pool({analyzer.terms(token(i))[0]: 1.0}, 5).total == 3, i


def assert_searchable(server: LiveServer, present: list[int]) -> None:
    """For a sample, each document's word finds it through the running server."""
    for i in present[-25:]:
        response = requests.get(f"{server.url}/v1/search", params={"q": token(i)}, headers=AUTH, timeout=10)
        assert response.status_code == 200
        assert {h["source"] for h in response.json()["passages"]} == {f"crash-{i:04d}.txt"}
