"""Fixtures for the API sources: the emulators of a small world with small pages and fast retries, and the
world's truth to compare the loaded rows with."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

#: small pages so every source pages (Google's stream batch size is the emulator's)
PAGE_SIZES = {"google_ads": "25", "meta_ads": "40", "tiktok_ads": "20", "affiliate": "2", "esp": "2"}


def dlt_settings(server) -> dict[str, str]:
    """The dlt environment pointing every API source at `server`, with small pages and fast, bounded retries."""
    env = dict(server.dlt_environment())
    env.update({f"SOURCES__{s.upper()}__PAGE_SIZE": n for s, n in PAGE_SIZES.items() if s != "google_ads"})
    env.update({
        "SOURCES__MICROSOFT_ADS__POLL_INTERVAL_SECONDS": "0.01",
        "RUNTIME__REQUEST_MAX_ATTEMPTS": "6",
        "RUNTIME__REQUEST_BACKOFF_FACTOR": "0.01",
        "RUNTIME__REQUEST_MAX_RETRY_DELAY": "2",
        "RUNTIME__REQUEST_TIMEOUT": "20",
        "RUNTIME__DLTHUB_TELEMETRY": "false",
    })
    return env


@pytest.fixture
def apis(adledger_env: Path, emulator_world: Path, monkeypatch: pytest.MonkeyPatch):
    """The API emulators of `emulator_world` (fresh per test) with every source configured to use them."""
    from adledger.simulator.emulators import serve

    with serve(emulator_world, page_sizes={"google_ads": int(PAGE_SIZES["google_ads"])}) as server:
        for key, value in dlt_settings(server).items():
            monkeypatch.setenv(key, value)
        yield server


@pytest.fixture(scope="session")
def first_day(emulator_world: Path) -> str:
    """A start date before every account-local day of the world (accounts west of UTC start a day early)."""
    from adledger.simulator import WorldManifest

    return (date.fromisoformat(str(WorldManifest.load(emulator_world).start)) - timedelta(days=2)).isoformat()
