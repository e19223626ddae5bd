"""The Grafana dashboard and the example alerts in docs/: importable, every query names series and labels that
``/metrics`` really has, Prometheus's promtool accepts them, and each alert fires on its symptom."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml
from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import EXAMPLE_QUESTION, ROOT, ContractClient

DOCS = ROOT / "docs"
DASHBOARD: dict[str, Any] = json.loads((DOCS / "grafana-dashboard.json").read_text(encoding="utf-8"))
ALERTS: dict[str, Any] = yaml.safe_load((DOCS / "prometheus-alerts.yml").read_text(encoding="utf-8"))
RULES: list[dict[str, Any]] = [rule for group in ALERTS["groups"] for rule in group["rules"]]
QUERIES = [t["expr"] for p in DASHBOARD["panels"] for t in p["targets"]] + [r["expr"] for r in RULES]
SELECTOR = re.compile(r"\b(qa_api_[a-z_]+)\b(?:\{([^}]*)\})?")
MATCHER = re.compile(r'(\w+)\s*(=~|!~|!=|=)\s*"([^"]*)"')
GROUPING = re.compile(r"\b(?:by|without)\s*\(([^)]*)\)")


@pytest.fixture(scope="module")
def exposed(app: Any, openapi: Any) -> dict[str, dict[str, set[str]]]:
    """Every sample name /metrics shows once search, ask and chat have been served: label name -> values seen."""
    client = ContractClient(app, openapi)
    client.get("/v1/search", query={"q": "troops"})
    client.post("/v1/ask", json={"question": EXAMPLE_QUESTION})
    client.post("/v1/chat/completions", json={"model": "qa-api", "messages": [{"role": "user", "content": "Kim?"}]})
    samples: dict[str, dict[str, set[str]]] = {}
    for family in text_string_to_metric_families(client.get("/metrics").get_data(as_text=True)):
        for sample in family.samples:
            labels = samples.setdefault(sample.name, {})
            for name, value in sample.labels.items():
                labels.setdefault(name, set()).add(value)
    return samples


@pytest.mark.parametrize("query", QUERIES)
def test_every_query_names_series_and_labels_that_exist(query: str, exposed: dict[str, dict[str, set[str]]]) -> None:
    selectors = SELECTOR.findall(query)
    assert selectors, query
    labels_in_query: set[str] = set()
    for name, matchers in selectors:
        assert name in exposed, name
        labels_in_query |= set(exposed[name])
        for label, op, value in MATCHER.findall(matchers):
            assert label in exposed[name], (name, label)
            if op == "=":
                assert value in exposed[name][label], (name, label, value)
            elif op == "=~":
                re.compile(value)
    for grouping in GROUPING.findall(query):
        assert {g.strip() for g in grouping.split(",")} <= labels_in_query, (query, grouping)


def test_the_dashboard_is_a_grafana_import() -> None:
    assert DASHBOARD["title"] and DASHBOARD["uid"] and DASHBOARD["schemaVersion"] >= 36
    source = DASHBOARD["__inputs"][0]
    assert source["pluginId"] == "prometheus" and source["type"] == "datasource"
    ids = [p["id"] for p in DASHBOARD["panels"]]
    assert len(ids) == len(set(ids)) >= 10
    for panel in DASHBOARD["panels"]:
        assert panel["title"] and panel["type"] in {"timeseries", "stat", "table"}, panel
        grid = panel["gridPos"]
        assert grid["x"] + grid["w"] <= 24 and grid["h"] > 0, panel["title"]
        assert panel["datasource"]["uid"] == "${" + source["name"] + "}"
        assert panel["targets"] and all(t["expr"] and t["refId"] for t in panel["targets"]), panel["title"]


def test_the_three_example_alerts_are_rules_and_in_the_operations_doc() -> None:
    operations = (DOCS / "operations.md").read_text(encoding="utf-8")
    assert len(RULES) == 3
    for rule in RULES:
        assert rule["alert"] and rule["for"] and rule["annotations"]["summary"], rule
        assert f"`{rule['expr']}`" in operations, rule["alert"]  # the doc shows exactly what the file holds
    exprs = " ".join(r["expr"] for r in RULES)
    assert 'status=~"5.."' in exprs and 'route="/v1/ask"' in exprs and "qa_api_index_built_timestamp_seconds" in exprs


@pytest.fixture(scope="module")
def promtool() -> str:
    """Prometheus's own checker (Debian's `prometheus` package), installed here when running as root."""
    found = shutil.which("promtool")
    if found is None and os.geteuid() == 0:
        env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
        subprocess.run(["apt-get", "update", "-qq"], env=env, timeout=300, check=False, capture_output=True)
        subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "prometheus"], env=env,
                       timeout=600, check=True, capture_output=True)
        found = shutil.which("promtool")
    if found is None:
        if os.environ.get("CI") == "true":
            pytest.fail("promtool is missing: apt-get install prometheus")
        pytest.skip("needs promtool: apt-get install prometheus")
    return found


def test_prometheus_accepts_the_alerts_and_every_dashboard_query(promtool: str, tmp_path: Path) -> None:
    checked = subprocess.run([promtool, "check", "rules", str(DOCS / "prometheus-alerts.yml")],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0 and "SUCCESS: 3 rules found" in checked.stdout, checked.stdout + checked.stderr
    # The dashboard's queries as recording rules, so that promtool parses each one.
    queries = [t["expr"] for p in DASHBOARD["panels"] for t in p["targets"]]
    rules = {"groups": [{"name": "dashboard", "rules": [{"record": f"dashboard:query_{i}", "expr": q}
                                                         for i, q in enumerate(queries)]}]}
    (tmp_path / "dashboard.yml").write_text(yaml.safe_dump(rules), encoding="utf-8")
    checked = subprocess.run([promtool, "check", "rules", str(tmp_path / "dashboard.yml")],
                             capture_output=True, text=True, timeout=60)
    assert checked.returncode == 0, checked.stdout + checked.stderr


def test_each_example_alert_fires_on_its_symptom_and_not_on_a_healthy_server(promtool: str) -> None:
    tested = subprocess.run([promtool, "test", "rules", str(ROOT / "tests" / "prometheus" / "alerts_test.yml")],
                            capture_output=True, text=True, timeout=120)
    assert tested.returncode == 0 and "SUCCESS" in tested.stdout, tested.stdout + tested.stderr
