"""Restatement: after the platforms restate their last 3 days, re-ingesting changes those days and nothing else."""

from __future__ import annotations

import pytest

from ingestion.pipelines import ingest_api
from tests.integration.ingestion.spend import AD_PLATFORMS, day_fingerprints, duplicate_keys, raw_spend, truth_spend


@pytest.mark.parametrize("platform", AD_PLATFORMS)
def test_restated_days_replace_the_old_rows_and_nothing_else(platform, apis, emulator_world, first_day):
    ingest_api(platform, start_date=first_day)
    before_spend, before = raw_spend(platform), day_fingerprints(platform)
    record = apis.restate(3)
    restated = {(key.split(":", 1)[1], day) for key, account in record["accounts"].items()
                if key.startswith(f"{platform}:") for day in account["dates"]}
    assert len(restated) == 3 * len({a for a, _ in before})

    ingest_api(platform)

    after_spend, after = raw_spend(platform), day_fingerprints(platform)
    assert after_spend == truth_spend(emulator_world, platform, restated=True)
    assert duplicate_keys(platform) == 0
    assert set(after) == set(before)
    changed = {day for day in after if after[day] != before[day]}
    assert changed <= restated, f"days outside the restatement changed: {sorted(changed - restated)}"
    moved = {day for day in after_spend if after_spend[day] != before_spend[day]}
    assert moved and moved <= changed
