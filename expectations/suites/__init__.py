"""The suites, one module per layer or source. `SUITES` maps a suite name to its spec."""

from __future__ import annotations

from expectations.spec import SuiteSpec
from expectations.suites import reconciliation, tracker

SUITES: dict[str, SuiteSpec] = {spec.name: spec for spec in (*tracker.SUITES, *reconciliation.SUITES)}
