"""One place for configuration: every setting, its default and its help, read once from ``QA_API_*`` variables.

pydantic-settings reads and checks them: a value of the wrong type or out of range is refused with the
variable's name (``ConfigError``), and switches take the usual words (1/0, true/false, yes/no, on/off).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

from pydantic import AliasChoices, Field, ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from qa_api.errors import ConfigError

_SOLR_NAME = r"^[A-Za-z0-9._][A-Za-z0-9._-]*$"  # a Solr collection or alias name


def _setting(default: Any, help: str, *, also: tuple[str, ...] = (), secret: bool = False, **limits: Any) -> Any:
    """A setting: its default, its line of help, other names it is read from (the first given wins), and its
    bounds."""
    alias = AliasChoices(*also) if also else None
    return Field(default, description=help, repr=not secret, validation_alias=alias, **limits)


class Settings(BaseSettings):
    """Settings of the service, the CLI and the index builder. Environment name: ``QA_API_<NAME>``."""

    model_config = SettingsConfigDict(env_prefix="QA_API_", frozen=True, extra="forbid", env_ignore_empty=True,
                                      populate_by_name=True, validate_default=False)

    corpus_dir: Path = _setting(Path("seeds"), "Directory of documents to index (searched recursively): "
                                                    "UTF-8 `.txt` and `.md`, `.html`, `.pdf` (docs/documents.md).")
    index_dir: Path = _setting(Path("index"), "Directory the built index is written to and loaded from.")
    store: str = _setting("", "SQLite file holding every document, the source of truth the index is built from "
                              "(docs/documents.md); empty: `documents.sqlite3` in the index directory. A new store "
                              "imports the corpus directory at first start.")
    max_document_bytes: int = _setting(16 * 1024 * 1024, "Largest document accepted by `PUT /v1/documents/{source}` "
                                                         "(and each file of `POST /v1/documents`), in bytes.", ge=1)
    host: str = _setting("127.0.0.1", "Address the server binds to.")
    port: int = _setting(8000, "Port the server listens on (`PORT` is honoured too).",
                         also=("QA_API_PORT", "PORT", "port"), ge=1, le=65535)
    workers: int = _setting(2, "Gunicorn worker processes (2 suits a 2-core machine).", ge=1)
    threads: int = _setting(4, "Threads per gunicorn worker (requests one worker serves at once).", ge=1)
    k1: float = _setting(1.5, "BM25 term-frequency saturation (k1). Same default as rank-bm25.", ge=0)
    b: float = _setting(0.75, "BM25 length normalisation (b). Same default as rank-bm25.", ge=0, le=1)
    epsilon: float = _setting(0.25, "BM25Okapi floor for negative IDF, as a fraction of the mean IDF.")
    dense: bool = _setting(True, "Embed every sentence at index build (all-MiniLM-L6-v2) and re-rank ask's candidates "
                                 "with them. Off for corpora too large to embed: ask then ranks by BM25 and lexical "
                                 "features alone (docs/quality.md says what that costs).")
    max_body_bytes: int = _setting(65536, "Largest request body accepted, in bytes.")
    rate_limit: str = _setting("off", "Requests allowed per client address (all workers together), e.g. "
                                      "`20/second;600/minute`, or `off`.")
    key: str = _setting("", "API key: when set, every `/v1/*` request and `/metrics` need `Authorization: "
                                 "Bearer <key>`. Writing documents needs it: with no key, writes are refused.",
                        secret=True)
    cors_origins: str = _setting("", "Browser origins allowed to call the API, comma-separated (`*` for any); "
                                     "empty turns CORS off.")
    title: str = _setting("", "Title of the question page and the MCP server; empty: \"Ask the documents\" (a "
                              "one-document corpus: \"Ask\" and its title).")
    description: str = _setting("", "One sentence under the title; empty: says how many documents the answers "
                                    "come from.")
    examples: str = _setting("", "Example questions on the page, separated by `|`; empty: made from the corpus's "
                                 "headings or the names in its first sentences.")
    metrics: bool = _setting(True, "Record Prometheus metrics and serve them at `/metrics` (which needs the API key "
                                   "when one is set).")
    metrics_address: str = _setting("", "`host:port` where the server also serves `/metrics` to scrapers without "
                                         "the API key, e.g. `127.0.0.1:9100`; empty: only on the API's port.")
    access_log: bool = _setting(True, "One JSON line per request on stderr (time, request id, method, route, "
                                      "status, duration, bytes, client).")
    log_queries: bool = _setting(False, "Also put each request's path and query text (search words, questions) in "
                                        "the access log; they may be personal.")
    proxy: Literal["nginx", "off"] = _setting(
        "nginx", "Front end of `qa-api serve`: `nginx` (started in front of gunicorn, holding slow clients), or "
                 "`off` to serve gunicorn directly behind a buffering proxy of your own (docs/operations.md).")
    forwarded_hops: int = _setting(0, "Proxies of your own in front of the server whose `X-Forwarded-For` entry the "
                                      "app trusts for the client address (qa-api's own nginx is trusted already).",
                                   ge=0)
    backend: Literal["local", "solr"] = _setting(
        "local", "Where passages are indexed and searched: `local` (the index directory) or `solr` (a SolrCloud "
                 "collection; docs/solr.md).")
    solr_url: str = _setting("http://127.0.0.1:8983/solr", "SolrCloud base URL, or several nodes' URLs "
                             "comma-separated to fail over between; `user:password@` in a URL sends basic auth.",
                             secret=True)
    solr_collection: str = _setting("qa-api", "SolrCloud alias qa-api serves from: `qa-api index` builds a fresh "
                                              "collection (`<alias>_<time>`) and points the alias at it.",
                                    pattern=_SOLR_NAME)
    solr_shards: int = _setting(2, "Shards of a collection qa-api creates.", ge=1)
    solr_replication_factor: int = _setting(2, "Replicas of each shard in a collection qa-api creates.", ge=1)
    solr_timeout: float = _setting(10.0, "Seconds to wait for one answer from a Solr node before trying the next.",
                                   gt=0)

    @classmethod
    def from_env(cls, **overrides: Any) -> Settings:
        """Read settings from ``QA_API_*`` variables; keyword overrides (None: not given) win over them."""
        try:
            return cls(**{k: v for k, v in overrides.items() if v is not None})
        except ValidationError as exc:
            raise ConfigError("; ".join(_described(e) for e in exc.errors())) from None

    @property
    def allowed_origins(self) -> frozenset[str]:
        return frozenset(o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip())

    def metrics_bind(self) -> tuple[str, int]:
        """``metrics_address`` as (host, port)."""
        host, _, port = self.metrics_address.rpartition(":")
        if not host or not port.isdigit() or not 1 <= int(port) <= 65535:
            raise ConfigError(f"QA_API_METRICS_ADDRESS={self.metrics_address!r} is not host:port")
        return host.strip("[]"), int(port)

    @model_validator(mode="after")
    def _possible(self) -> Settings:
        if self.metrics_address:
            self.metrics_bind()
        if self.backend == "solr" and not self.solr_urls:
            raise ConfigError("QA_API_BACKEND=solr needs QA_API_SOLR_URL: the URL of a SolrCloud node")
        return self

    @property
    def store_path(self) -> Path:
        return Path(self.store) if self.store else self.index_dir / "documents.sqlite3"

    @property
    def solr_urls(self) -> tuple[str, ...]:
        return tuple(u.strip().rstrip("/") for u in self.solr_url.split(",") if u.strip())


def documented_settings() -> list[tuple[str, Any, str]]:
    """(environment variable, default, help) for every setting, for the README and the CLI."""
    return [(f"QA_API_{name.upper()}", f.default, f.description or "") for name, f in Settings.model_fields.items()]


def _described(error: Any) -> str:
    name = str(error["loc"][0]) if error["loc"] else ""
    variable = name if name.isupper() else f"QA_API_{name.upper()}"
    value = f"={error['input']!r}" if name and not isinstance(error.get("input"), dict) else ""
    return f"{variable}{value}: {error['msg']}" if name else str(error["msg"])
