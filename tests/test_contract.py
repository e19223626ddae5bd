"""Schemathesis against the live gunicorn server: every operation, every default check, zero failures (the Solr-backed
server runs it too, in tests/test_solr_api.py)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, SEEDS, SPEC
from tests.live import LiveServer, start_server

pytestmark = pytest.mark.server
MAX_EXAMPLES = 50
RUN_TIMEOUT_S = 240
WRITES = "documents"  # the tag of the operations that write documents
# One worker: with several threads, hypothesis's `ast`-based lambda descriptions can fail on Python 3.11
# ("AST constructor recursion depth mismatch"), a tool error rather than a server one.


KEY = "contract-key"


@pytest.fixture(scope="module")
def writable_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """``qa-api serve`` with an API key, over a store of its own (the seeds imported at its first start), so that
    Schemathesis writes documents too."""
    home = tmp_path_factory.mktemp("contract")
    env = dict(os.environ, QA_API_CORPUS_DIR=str(SEEDS), QA_API_INDEX_DIR=str(home / "index"), QA_API_KEY=KEY,
               QA_API_MAX_DOCUMENT_BYTES="100000")
    with start_server(env, home / "server.log") as server:
        yield server


def test_the_live_server_honours_its_openapi_contract(writable_server: LiveServer, tmp_path: Path) -> None:
    assert_schemathesis_passes(writable_server.url, tmp_path, key=KEY)


def assert_schemathesis_passes(url: str, tmp_path: Path, key: str | None = None) -> None:
    """``st run`` of every operation with every check against the server at ``url``: no issue found. Without the
    server's ``key`` the writes (tag ``documents``, refused without one) are left out."""
    st = Path(sys.executable).with_name("st")
    cmd = [str(st), "--config-file", str(ROOT / "schemathesis.toml"), "run", str(SPEC), "--url", url,
           "--checks", "all", "--max-examples", str(MAX_EXAMPLES), "--workers", "1", "--request-timeout", "10",
           "--no-color", *(["--header", f"Authorization: Bearer {key}"] if key else ["--exclude-tag", WRITES])]
    env = dict(os.environ, SCHEMATHESIS_HOOKS="tests.schemathesis_hooks", PYTHONPATH=str(ROOT))
    run = subprocess.run(cmd, cwd=tmp_path, env=env, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    failures = run.stdout.partition("= FAILURES =")[2].partition("= SUMMARY =")[0]
    summary = "\n".join(line[:300] for line in failures.splitlines()[:80]) + run.stdout[-1500:]
    print(run.stdout.partition("Test cases:")[2].strip())  # the counts, for `pytest -s`
    assert run.returncode == 0, summary
    assert "No issues found" in run.stdout, summary
    operations = sum(1 for item in yaml.safe_load(SPEC.read_text())["paths"].values() for op in item.values()
                     if key or WRITES not in op.get("tags", []))
    assert f"Tested: {operations}" in run.stdout, summary
