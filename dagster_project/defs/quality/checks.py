"""One asset check per Great Expectations suite in `expectations/suites/` (blocking unless the suite says not)."""

from dagster_project.lib.quality import gx_asset_check
from expectations.suites import SUITES

gx_checks = [gx_asset_check(spec) for spec in SUITES.values()]
