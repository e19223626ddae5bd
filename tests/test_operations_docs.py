"""The Grafana dashboard and the example alerts in docs/: importable, and every query names series and labels
that ``/metrics`` really has."""

from __future__ import annotations

import json
import re
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
