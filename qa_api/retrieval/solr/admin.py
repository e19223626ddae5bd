"""The cluster's layout: the shipped configset, collections, the alias qa-api serves from, and their health."""

from __future__ import annotations

import io
import re
import zipfile
from dataclasses import dataclass
from importlib import resources

from qa_api.retrieval.bm25 import BM25Params

from .client import SolrClient

CONFIGSET_FILES = ("schema.xml", "solrconfig.xml", "stopwords.txt")
_SIMILARITY_PARAM = re.compile(r'(<float name="(k1|b)">)[^<]*(</float>)')


@dataclass(frozen=True, slots=True)
class ClusterHealth:
    """``green``: every replica active; ``yellow``: every shard served, some replicas down; ``red``: a shard
    has no active replica (or the collection is missing)."""

    status: str
    live_nodes: int
    shards: int
    active_replicas: int
    replicas: int


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
                      params: BM25Params) -> None:
    """Upload the configset under the collection's name and create the collection on it, waiting until every
    replica is active."""
    upload_configset(client, name, params)
    client.request("POST", "/admin/collections", {
        "action": "CREATE", "name": name, "collection.configName": name, "numShards": shards,
        "replicationFactor": replication_factor, "waitForFinalState": "true"})


def delete_collection(client: SolrClient, name: str) -> None:
    """Delete the collection and its configset, when they exist."""
    if name in list_collections(client):
        client.request("POST", "/admin/collections", {"action": "DELETE", "name": name})
    configsets = client.request("GET", "/admin/configs", {"action": "LIST"}).get("configSets", [])
    if name in configsets:
        client.request("POST", "/admin/configs", {"action": "DELETE", "name": name})


def list_collections(client: SolrClient) -> list[str]:
    names: list[str] = client.request("GET", "/admin/collections", {"action": "LIST"})["collections"]
    return names


def aliases(client: SolrClient) -> dict[str, list[str]]:
    """Every alias and the collections it names."""
    found = client.request("GET", "/admin/collections", {"action": "LISTALIASES"}).get("aliases", {})
    return {alias: names.split(",") for alias, names in found.items()}


def point_alias(client: SolrClient, alias: str, collection: str) -> None:
    """Make ``alias`` name ``collection`` alone (one change in ZooKeeper: readers see one or the other)."""
    client.request("POST", "/admin/collections", {"action": "CREATEALIAS", "name": alias, "collections": collection})


def delete_alias(client: SolrClient, alias: str) -> None:
    if alias in aliases(client):
        client.request("POST", "/admin/collections", {"action": "DELETEALIAS", "name": alias})


def cluster_health(client: SolrClient, name: str) -> ClusterHealth:
    """How much of the collection (or of every collection an alias names) is served: for ``/readyz``."""
    cluster = client.request("GET", "/admin/collections", {"action": "CLUSTERSTATUS"})["cluster"]
    live = set(cluster.get("live_nodes", ()))
    names = cluster.get("aliases", {}).get(name, name).split(",")
    states = [cluster.get("collections", {}).get(n) for n in names]
    if any(state is None for state in states):
        return ClusterHealth("red", len(live), 0, 0, 0)
    shards = [shard for state in states if state for shard in state["shards"].values()]
    active_per_shard = [
        sum(1 for r in shard["replicas"].values() if r.get("state") == "active" and r.get("node_name") in live)
        for shard in shards]
    replicas = sum(len(shard["replicas"]) for shard in shards)
    active = sum(active_per_shard)
    status = "red" if not shards or min(active_per_shard) == 0 else "green" if active == replicas else "yellow"
    return ClusterHealth(status, len(live), len(shards), active, replicas)
