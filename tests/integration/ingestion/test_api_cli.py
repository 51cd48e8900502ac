"""`adledger ingest <api source>`: loads and says how much, or says what to fix, never a traceback."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from tests.integration.ingestion.spend import expected_rows

ADLEDGER = str(Path(sys.executable).parent / "adledger")


def _run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([ADLEDGER, *args], capture_output=True, text=True, timeout=300)


def test_ingest_loads_an_api_source_and_counts_its_rows(apis, emulator_world, first_day):
    proc = _run("ingest", "meta_ads", "--start-date", first_day)

    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == f"meta_ads: ad_insights {expected_rows(emulator_world, 'meta_ads'):,} rows " \
                                  "into raw_meta_ads"


def test_ingest_names_the_secret_to_fix_when_the_api_refuses_it(apis, monkeypatch, first_day):
    monkeypatch.setenv("SOURCES__TIKTOK_ADS__ACCESS_TOKEN", "revoked-token")

    proc = _run("ingest", "tiktok_ads", "--start-date", first_day)

    assert proc.returncode == 1
    assert "tiktok_ads: the API refused the credentials" in proc.stderr
    assert "SOURCES__TIKTOK_ADS__ACCESS_TOKEN" in proc.stderr and "Traceback" not in proc.stderr


def test_ingest_rejects_dates_that_are_not_dates(adledger_env):
    proc = _run("ingest", "google_ads", "--start-date", "2026-02-30")
    assert proc.returncode == 2 and "is not a date; use YYYY-MM-DD" in proc.stderr
    proc = _run("ingest", "google_ads", "--start-date", "2026-02-01", "--end-date", "2026-01-01")
    assert proc.returncode == 2 and "before --start-date" in proc.stderr
