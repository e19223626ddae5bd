"""Settings: read from the environment once, validated, and every one documented in the README."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa_api.errors import ConfigError
from qa_api.settings import Settings, documented_settings
from tests.conftest import ROOT


def test_every_setting_is_documented_in_the_readme() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    for name, default, _ in documented_settings():
        assert f"| `{name}` | `{default}` |" in readme, name


def test_environment_overrides_defaults_and_port_is_honoured() -> None:
    s = Settings.from_env({"QA_API_CORPUS_DIR": "/data", "PORT": "8123", "QA_API_K1": "1.2"})
    assert s.corpus_dir == Path("/data") and s.port == 8123 and s.k1 == 1.2
    assert Settings.from_env({"QA_API_PORT": "9000", "PORT": "8123"}).port == 9000


@pytest.mark.parametrize("env", [{"QA_API_PORT": "0"}, {"QA_API_WORKERS": "0"}, {"QA_API_B": "2"},
                                 {"QA_API_K1": "abc"}, {"QA_API_BACKEND": "elastic"}, {"QA_API_SOLR_SHARDS": "0"},
                                 {"QA_API_SOLR_COLLECTION": "qa api"}, {"QA_API_SOLR_COLLECTION": "-qa"},
                                 {"QA_API_BACKEND": "solr", "QA_API_SOLR_URL": " , "}])
def test_impossible_values_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        Settings.from_env(env)
