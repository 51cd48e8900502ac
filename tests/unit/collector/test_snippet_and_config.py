"""The page snippet's budget and the collector's secrets."""

from __future__ import annotations

from importlib import resources

import pytest

from adledger.collector.config import CollectorConfig, ConfigError, load_config

SNIPPET = resources.files("adledger.collector").joinpath("static", "snippet.js").read_bytes()


def test_snippet_is_under_5_kb_and_self_contained() -> None:
    assert len(SNIPPET) < 5000
    text = SNIPPET.decode("utf-8")
    for dependency in ("import ", "require(", "<script", "//cdn", "http://", "https://"):
        assert dependency not in text


def test_snippet_knows_the_click_ids_the_ingestion_reads() -> None:
    text = SNIPPET.decode("utf-8")
    for click_id in ("gclid", "gbraid", "wbraid", "dclid", "msclkid", "fbclid", "ttclid", "li_fat_id", "irclickid"):
        assert f" {click_id} " in text or f"'{click_id} " in text


def test_write_keys_from_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLLECTOR__WRITE_KEYS", '["wk_browser", "wk_server"]')
    monkeypatch.setenv("COLLECTOR__IP_HASH_KEY", "s3cret")
    config = load_config()
    assert config.write_keys == ("wk_browser", "wk_server")
    assert config.ip_hash_key == b"s3cret"
    assert "wk_browser" not in repr(config) and "s3cret" not in repr(config)


def test_comma_separated_write_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("COLLECTOR__WRITE_KEYS", "wk_1, wk_2")
    monkeypatch.delenv("COLLECTOR__IP_HASH_KEY", raising=False)
    config = load_config()
    assert config.write_keys == ("wk_1", "wk_2")
    assert config.ip_hash_key is None


def test_a_config_needs_a_write_key() -> None:
    for keys in ((), ("",)):
        with pytest.raises(ConfigError, match="COLLECTOR__WRITE_KEYS"):
            CollectorConfig(write_keys=keys)
