"""One place for configuration: every setting, its default and its help, read once from ``QA_API_*`` variables."""

from __future__ import annotations

import dataclasses
import os
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from qa_api.errors import ConfigError

BACKENDS = ("local", "solr")
_SOLR_NAME = re.compile(r"[A-Za-z0-9._][A-Za-z0-9._-]*")


def _setting(default: Any, help: str, env: str | None = None, secret: bool = False) -> Any:
    return field(default=default, repr=not secret, metadata={"help": help, "env": env})


@dataclass(frozen=True, kw_only=True)
class Settings:
    """Settings of the service, the CLI and the index builder. Environment name: ``QA_API_<NAME>``."""

    corpus_dir: Path = _setting(Path("seeds"), "Directory of documents to index (searched recursively): "
                                                    "UTF-8 `.txt` and `.md`, `.html`, `.pdf` (docs/documents.md).")
    index_dir: Path = _setting(Path("index"), "Directory the built index is written to and loaded from.")
    host: str = _setting("127.0.0.1", "Address the server binds to.")
    port: int = _setting(8000, "Port the server listens on (`PORT` is honoured too).", env="PORT")
    workers: int = _setting(2, "Gunicorn worker processes (2 suits a 2-core machine).")
    threads: int = _setting(4, "Threads per gunicorn worker (requests one worker serves at once).")
    k1: float = _setting(1.5, "BM25 term-frequency saturation (k1). Same default as rank-bm25.")
    b: float = _setting(0.75, "BM25 length normalisation (b). Same default as rank-bm25.")
    epsilon: float = _setting(0.25, "BM25Okapi floor for negative IDF, as a fraction of the mean IDF.")
    dense: bool = _setting(True, "Embed every sentence at index build (all-MiniLM-L6-v2) and re-rank ask's candidates "
                                 "with them. Off for corpora too large to embed: ask then ranks by BM25 and lexical "
                                 "features alone (docs/quality.md says what that costs).")
    max_body_bytes: int = _setting(65536, "Largest request body accepted, in bytes.")
    rate_limit: str = _setting("off", "Requests allowed per client address (all workers together), e.g. "
                                      "`20/second;600/minute`, or `off`.")
    key: str = _setting("", "API key: when set, every `/v1/*` request needs `Authorization: Bearer <key>`.",
                        secret=True)
    cors_origins: str = _setting("", "Browser origins allowed to call the API, comma-separated (`*` for any); "
                                     "empty turns CORS off.")
    title: str = _setting("", "Title of the question page and the MCP server; empty: \"Ask the documents\" (a "
                              "one-document corpus: \"Ask\" and its title).")
    description: str = _setting("", "One sentence under the title; empty: says how many documents the answers "
                                    "come from.")
    examples: str = _setting("", "Example questions on the page, separated by `|`; empty: made from the corpus's "
                                 "headings or the names in its first sentences.")
    backend: str = _setting("local", "Where passages are indexed and searched: `local` (the index directory) or "
                                     "`solr` (a SolrCloud collection; docs/solr.md).")
    solr_url: str = _setting("http://127.0.0.1:8983/solr", "SolrCloud base URL, or several nodes' URLs "
                             "comma-separated to fail over between; `user:password@` in a URL sends basic auth.",
                             secret=True)
    solr_collection: str = _setting("qa-api", "SolrCloud alias qa-api serves from: `qa-api index` builds a fresh "
                                              "collection (`<alias>_<time>`) and points the alias at it.")
    solr_shards: int = _setting(2, "Shards of a collection qa-api creates.")
    solr_replication_factor: int = _setting(2, "Replicas of each shard in a collection qa-api creates.")
    solr_timeout: float = _setting(10.0, "Seconds to wait for one answer from a Solr node before trying the next.")

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Settings:
        """Read settings from ``QA_API_*`` variables; keyword overrides win over the environment."""
        environ = os.environ if environ is None else environ
        values: dict[str, Any] = {}
        for f in dataclasses.fields(cls):
            names = [f"QA_API_{f.name.upper()}"] + ([f.metadata["env"]] if f.metadata.get("env") else [])
            raw = next((environ[n] for n in names if environ.get(n)), None)
            if raw is not None:
                values[f.name] = _coerce(f.name, f.default, raw)
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls(**values)

    @property
    def allowed_origins(self) -> frozenset[str]:
        return frozenset(o.strip().rstrip("/") for o in self.cors_origins.split(",") if o.strip())

    def __post_init__(self) -> None:
        object.__setattr__(self, "corpus_dir", Path(self.corpus_dir))
        object.__setattr__(self, "index_dir", Path(self.index_dir))
        if not 1 <= self.port <= 65535:
            raise ConfigError(f"port must be 1..65535, got {self.port}")
        if self.workers < 1 or self.threads < 1:
            raise ConfigError(f"workers and threads must be at least 1, got {self.workers} and {self.threads}")
        if self.k1 < 0 or not 0 <= self.b <= 1:
            raise ConfigError(f"BM25 needs k1 >= 0 and 0 <= b <= 1, got k1={self.k1} b={self.b}")
        if self.backend not in BACKENDS:
            raise ConfigError(f"backend must be one of {', '.join(BACKENDS)}, got {self.backend!r}")
        if self.solr_shards < 1 or self.solr_replication_factor < 1 or self.solr_timeout <= 0:
            raise ConfigError("Solr shards and replication factor must be at least 1 and its timeout positive, got "
                              f"{self.solr_shards}, {self.solr_replication_factor} and {self.solr_timeout}")
        if not _SOLR_NAME.fullmatch(self.solr_collection):
            raise ConfigError(f"a Solr collection or alias name is letters, digits, '.', '_' and '-', not starting "
                              f"with '-': got {self.solr_collection!r}")
        if self.backend == "solr" and not self.solr_urls:
            raise ConfigError("the solr backend needs QA_API_SOLR_URL")

    @property
    def solr_urls(self) -> tuple[str, ...]:
        return tuple(u.strip().rstrip("/") for u in self.solr_url.split(",") if u.strip())


def documented_settings() -> list[tuple[str, Any, str]]:
    """(environment variable, default, help) for every setting, for the README and the CLI."""
    return [(f"QA_API_{f.name.upper()}", f.default, f.metadata["help"]) for f in dataclasses.fields(Settings)]


def _coerce(name: str, default: Any, raw: str) -> Any:
    try:
        if isinstance(default, bool):
            return raw.strip().lower() in {"1", "true", "yes", "on"}
        if isinstance(default, Path):
            return Path(raw)
        return type(default)(raw)
    except ValueError as exc:
        raise ConfigError(f"QA_API_{name.upper()}={raw!r} is not a valid {type(default).__name__}") from exc
