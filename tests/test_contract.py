"""Schemathesis against the live gunicorn server: every operation, every default check, zero failures (the Solr-backed
server runs it too, in tests/test_solr_api.py)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, SPEC
from tests.live import LiveServer

pytestmark = pytest.mark.server
MAX_EXAMPLES = 50
RUN_TIMEOUT_S = 240
# One worker: with several threads, hypothesis's `ast`-based lambda descriptions can fail on Python 3.11
# ("AST constructor recursion depth mismatch"), a tool error rather than a server one.


def test_the_live_server_honours_its_openapi_contract(live_server: LiveServer, tmp_path: Path) -> None:
    assert_schemathesis_passes(live_server.url, tmp_path)


def assert_schemathesis_passes(url: str, tmp_path: Path) -> None:
    """``st run`` of every operation with every check against the server at ``url``: no issue found."""
    st = Path(sys.executable).with_name("st")
    cmd = [str(st), "--config-file", str(ROOT / "schemathesis.toml"), "run", str(SPEC), "--url", url,
           "--checks", "all", "--max-examples", str(MAX_EXAMPLES), "--workers", "1", "--request-timeout", "10",
           "--no-color"]
    run = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=RUN_TIMEOUT_S)
    failures = run.stdout.partition("= FAILURES =")[2].partition("= SUMMARY =")[0]
    summary = "\n".join(line[:300] for line in failures.splitlines()[:80]) + run.stdout[-1500:]
    print(run.stdout.partition("Test cases:")[2].strip())  # the counts, for `pytest -s`
    assert run.returncode == 0, summary
    assert "No issues found" in run.stdout, summary
    operations = sum(len(item) for item in yaml.safe_load(SPEC.read_text())["paths"].values())
    assert f"Tested: {operations}" in run.stdout, summary
