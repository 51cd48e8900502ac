"""Faults: retried where they are transient (5xx, 429 with Retry-After, slow and truncated responses), clear and
harmless where they are not (wrong credentials, an API that keeps failing), and never a secret in a log line or
an error message."""

from __future__ import annotations

import logging
import time
import traceback

import pytest

from ingestion.pipelines import API_SOURCES, IngestError, ingest_api
from tests.integration.ingestion.spend import AD_PLATFORMS, day_fingerprints, query, raw_spend, truth_spend

#: the credential each source's test breaks, and the setting the error must name
BROKEN_SECRET = {"google_ads": "refresh_token", "microsoft_ads": "refresh_token", "meta_ads": "access_token",
                 "tiktok_ads": "access_token", "affiliate": "auth_token", "esp": "api_key"}
#: values in the emulators' credentials that are secrets (ids travel in URLs, as with the real APIs)
SECRET_KEYS = ("developer_token", "client_id", "client_secret", "refresh_token", "access_token", "auth_token",
               "api_key")


def _secrets(apis) -> set[str]:
    """Every credential of the world and every access token the token endpoints handed out."""
    values = {str(v) for creds in apis.credentials.values() for k, v in creds.items() if k in SECRET_KEYS}
    for api in apis.apis.values():
        values |= set(getattr(api, "tokens", ()))
    return values


@pytest.mark.parametrize("source", API_SOURCES)
def test_a_refused_credential_fails_at_once_naming_what_to_set(source, apis, monkeypatch, first_day):
    wrong = "not-the-right-secret-0123456789"
    monkeypatch.setenv(f"SOURCES__{source.upper()}__{BROKEN_SECRET[source].upper()}", wrong)

    with pytest.raises(IngestError) as failure:
        ingest_api(source, start_date=first_day)

    message = str(failure.value)
    assert message.startswith(f"{source}: the API refused the credentials")
    assert f"SOURCES__{source.upper()}__{BROKEN_SECRET[source].upper()}" in message
    assert apis.requests_served == 1  # no retries of a refused credential
    assert wrong not in message and not any(secret in message for secret in _secrets(apis))


def test_transient_faults_are_retried_until_every_source_has_loaded_everything(apis, monkeypatch, emulator_world,
                                                                              first_day):
    monkeypatch.setenv("RUNTIME__REQUEST_MAX_ATTEMPTS", "10")
    monkeypatch.setenv("RUNTIME__REQUEST_TIMEOUT", "0.5")
    apis.set_faults("5xx=0.1,429=0.05,truncate=0.05,slow=0.05,slow_s=1,retry_after=0,seed=11")

    for source in API_SOURCES:
        ingest_api(source, start_date=first_day)

    for kind in ("5xx", "429", "truncate", "slow"):
        assert apis.faults.counts[kind] > 0, f"no {kind} fault was injected"
    for platform in AD_PLATFORMS:
        assert raw_spend(platform) == truth_spend(emulator_world, platform)
    assert query("select count(*) from raw_affiliate.actions")[0][0] == len(
        query(f"select 1 from '{emulator_world}/platforms/affiliate_actions.parquet'"))
    assert query("select count(*) from raw_esp.campaign_reports")[0][0] == len(
        query(f"select 1 from '{emulator_world}/platforms/esp_campaigns.parquet'"))


def test_a_429_waits_for_its_retry_after(apis, emulator_world, first_day):
    """One request per second allowed: the ESP's second page is answered 429 with `Retry-After: 1`."""
    apis.set_faults("rps=1,retry_after=1")
    started = time.monotonic()

    ingest_api("esp", start_date=first_day)

    throttled = apis.faults.counts["rate_limited"]
    assert throttled >= 1
    assert time.monotonic() - started >= throttled * 1.0
    assert query("select count(*) from raw_esp.campaign_reports")[0][0] == len(
        query(f"select 1 from '{emulator_world}/platforms/esp_campaigns.parquet'"))


@pytest.mark.parametrize("platform", ["google_ads", "meta_ads"])  # OAuth and plain-token clients
def test_an_api_that_keeps_failing_leaves_the_loaded_data_and_cursor_as_they_were(platform, apis, emulator_world,
                                                                                 first_day):
    ingest_api(platform, start_date=first_day)
    before, cursor = day_fingerprints(platform), _state(platform)
    apis.restate(3)
    apis.set_faults("5xx=1.0")

    with pytest.raises(IngestError) as failure:
        ingest_api(platform)

    assert str(failure.value).startswith(f"{platform}: HTTP 503")
    assert "previously loaded data is unchanged" in str(failure.value)
    assert day_fingerprints(platform) == before and _state(platform) == cursor
    apis.set_faults("")
    ingest_api(platform)
    assert raw_spend(platform) == truth_spend(emulator_world, platform, restated=True)


def test_secrets_never_reach_logs_or_error_messages(apis, monkeypatch, caplog, capfd, first_day):
    monkeypatch.setenv("RUNTIME__LOG_LEVEL", "DEBUG")
    dlt_logger = logging.getLogger("dlt")
    dlt_logger.addHandler(caplog.handler)
    caplog.set_level(logging.DEBUG)
    caplog.set_level(logging.DEBUG, logger="dlt")  # dlt configures its logger once per process
    apis.set_faults("5xx=0.1,429=0.1,truncate=0.05,retry_after=0,seed=5")
    messages = []
    try:
        for source in API_SOURCES:
            ingest_api(source, start_date=first_day)
        for source in API_SOURCES:
            monkeypatch.setenv(f"SOURCES__{source.upper()}__{BROKEN_SECRET[source].upper()}", "wrong")
            with pytest.raises(IngestError) as failure:
                ingest_api(source)
            messages.append("".join(traceback.format_exception(failure.value)))
    finally:
        dlt_logger.removeHandler(caplog.handler)

    out, err = capfd.readouterr()
    captured = "\n".join([caplog.text, out, err, *messages])
    assert "Making GET request" in captured or "Making POST request" in captured  # debug logs were on
    leaked = sorted(secret for secret in _secrets(apis) if secret in captured)
    assert not leaked, f"{len(leaked)} secrets appear in logs or errors"


def _state(platform: str) -> list[tuple]:
    return query(f"select version, state from raw_{platform}._dlt_pipeline_state order by version")
