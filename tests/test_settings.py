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
                                 {"QA_API_K1": "abc"}, {"QA_API_ACCESS_LOG": "maybe"},
                                 {"QA_API_FORWARDED_HOPS": "-1"}, {"QA_API_METRICS_ADDRESS": "9100"},
                                 {"QA_API_METRICS_ADDRESS": "127.0.0.1:99999"}])
def test_impossible_values_are_refused(env: dict[str, str]) -> None:
    with pytest.raises(ConfigError):
        Settings.from_env(env)


@pytest.mark.parametrize(("raw", "value"), [("1", True), ("true", True), ("On", True), ("yes", True),
                                            ("0", False), ("false", False), ("OFF", False), ("no", False)])
def test_switches_read_the_usual_words(raw: str, value: bool) -> None:
    assert Settings.from_env({"QA_API_ACCESS_LOG": raw}).access_log is value


def test_the_metrics_address_is_host_and_port() -> None:
    assert Settings.from_env({"QA_API_METRICS_ADDRESS": "0.0.0.0:9100"}).metrics_bind() == ("0.0.0.0", 9100)
    assert Settings.from_env({"QA_API_METRICS_ADDRESS": "[::1]:9100"}).metrics_bind() == ("::1", 9100)
