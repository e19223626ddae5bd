"""Start, drive and stop the loopback SolrCloud cluster (``scripts/solr-cluster``) for the tests."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from qa_api.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
SCRIPT = ROOT / "scripts" / "solr-cluster"
MISSING_TOOLS = 3  # the script's exit status when Java or Maven is missing and it may not install them
START_TIMEOUT_S = 1500  # the first start builds the launcher, downloading Solr from Maven Central
INDEX_TIMEOUT_S = 600


@dataclass(frozen=True)
class SolrCluster:
    urls: tuple[str, ...]
    state_dir: Path

    def run(self, *args: str, timeout: float = 180) -> str:
        env = dict(os.environ, SOLR_CLUSTER_DIR=str(self.state_dir))
        done = subprocess.run([str(SCRIPT), *args], env=env, capture_output=True, text=True, timeout=timeout)
        assert done.returncode == 0, f"solr-cluster {' '.join(args)}: {done.stderr}"
        return done.stdout

    def kill_node(self, n: int) -> None:
        assert json.loads(self.run("kill-node", str(n)))["running"][n - 1] is False

    def start_node(self, n: int) -> None:
        assert json.loads(self.run("start-node", str(n)))["running"][n - 1] is True

    def stop(self) -> None:
        self.run("stop")

    def variables(self, collection: str, **settings: str) -> dict[str, str]:
        """The ``QA_API_*`` settings of a qa-api command (index, serve) on ``collection`` of this cluster, over
        the seeds."""
        return dict(QA_API_BACKEND="solr", QA_API_SOLR_URL=",".join(self.urls), QA_API_SOLR_COLLECTION=collection,
                    QA_API_CORPUS_DIR=str(SEEDS),
                    **{f"QA_API_{name.upper()}": value for name, value in settings.items()})

    def env(self, collection: str, **settings: str) -> dict[str, str]:
        """The environment of a qa-api command on ``collection``: this process's, with ``variables``."""
        return dict(os.environ, **self.variables(collection, **settings))

    def settings(self, collection: str, **settings: str) -> Settings:
        """The settings a qa-api command on ``collection`` reads, for a service in this process."""
        variables = self.variables(collection, **settings)
        return Settings(**{name.removeprefix("QA_API_").lower(): value for name, value in variables.items()})

    def index(self, collection: str, **settings: str) -> str:
        """``qa-api index`` into ``collection`` (an alias): its output."""
        done = subprocess.run([sys.executable, "-m", "qa_api", "index"], env=self.env(collection, **settings),
                              capture_output=True, text=True, timeout=INDEX_TIMEOUT_S)
        assert done.returncode == 0, done.stderr
        return done.stdout


def start_cluster(state_dir: Path) -> SolrCluster:
    """A 3-node cluster, or a skip where Java or Maven is missing (a failure with CI=true)."""
    env = dict(os.environ, SOLR_CLUSTER_DIR=str(state_dir))
    done = subprocess.run([str(SCRIPT), "start"], env=env, capture_output=True, text=True, timeout=START_TIMEOUT_S)
    if done.returncode == MISSING_TOOLS and os.environ.get("CI") != "true":
        pytest.skip(done.stderr.strip())
    assert done.returncode == 0, f"solr-cluster start failed:\n{done.stderr}"
    urls = tuple(done.stdout.strip().splitlines()[-1].split(","))
    assert len(urls) == 3 and all(u.startswith("http://127.0.0.1:") for u in urls), urls
    return SolrCluster(urls, state_dir)
