"""Settings: read from the environment once, validated, and every one documented in docs/operations.md."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

import pytest

from qa_api.errors import ConfigError
from qa_api.settings import Settings, documented_settings
from tests.conftest import ROOT


def test_every_setting_is_documented_with_its_default() -> None:
    table = (ROOT / "docs" / "operations.md").read_text(encoding="utf-8")
    for name, default, _ in documented_settings():
        assert f"| `{name}` | `{default}` |" in table, name


@pytest.fixture
def environ(monkeypatch: pytest.MonkeyPatch) -> Callable[[dict[str, str]], Settings]:
    """Settings read from exactly these environment variables."""
    for name in list(os.environ):
        if name.startswith("QA_API_") or name == "PORT":
            monkeypatch.delenv(name)

    def read(variables: dict[str, str]) -> Settings:
        for name, value in variables.items():
            monkeypatch.setenv(name, value)
        return Settings.from_env()

    return read


def test_environment_overrides_defaults_and_port_is_honoured(environ: Callable[[dict[str, str]], Settings]) -> None:
    s = environ({"QA_API_CORPUS_DIR": "/data", "PORT": "8123", "QA_API_K1": "1.2"})
    assert s.corpus_dir == Path("/data") and s.port == 8123 and s.k1 == 1.2
    assert environ({"QA_API_PORT": "9000"}).port == 9000  # QA_API_PORT wins over PORT


def test_an_empty_variable_leaves_the_default(environ: Callable[[dict[str, str]], Settings]) -> None:
    assert environ({"QA_API_WORKERS": "", "QA_API_HOST": ""}).workers == 2


@pytest.mark.parametrize("env", [{"QA_API_PORT": "0"}, {"QA_API_WORKERS": "0"}, {"QA_API_B": "2"},
                                 {"QA_API_K1": "abc"}, {"QA_API_ACCESS_LOG": "maybe"},
                                 {"QA_API_FORWARDED_HOPS": "-1"}, {"QA_API_METRICS_ADDRESS": "9100"},
                                 {"QA_API_METRICS_ADDRESS": "127.0.0.1:99999"}, {"QA_API_BACKEND": "elastic"},
                                 {"QA_API_SOLR_SHARDS": "0"}, {"QA_API_SOLR_COLLECTION": "qa api"},
                                 {"QA_API_SOLR_COLLECTION": "-qa"},
                                 {"QA_API_BACKEND": "solr", "QA_API_SOLR_URL": " , "},
                                 {"QA_API_MAX_DOCUMENT_BYTES": "0"}])
def test_impossible_values_are_refused_naming_the_variable(env: dict[str, str],
                                                          environ: Callable[[dict[str, str]], Settings]) -> None:
    with pytest.raises(ConfigError, match=next(iter(env))):
        environ(env)


@pytest.mark.parametrize(("raw", "value"), [("1", True), ("true", True), ("On", True), ("yes", True),
                                            ("0", False), ("false", False), ("OFF", False), ("no", False)])
def test_switches_read_the_usual_words(raw: str, value: bool, environ: Callable[[dict[str, str]], Settings]) -> None:
    assert environ({"QA_API_ACCESS_LOG": raw}).access_log is value


def test_the_metrics_address_is_host_and_port() -> None:
    assert Settings(metrics_address="0.0.0.0:9100").metrics_bind() == ("0.0.0.0", 9100)
    assert Settings(metrics_address="[::1]:9100").metrics_bind() == ("::1", 9100)


def test_the_api_key_is_never_shown() -> None:
    assert "s3cret" not in repr(Settings(key="s3cret")) and "s3cret" not in str(Settings(key="s3cret"))
