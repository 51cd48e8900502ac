"""Cross-cutting policy applied to the whole graph in `definitions.py`: freshness policies and automation conditions.

Freshness (Dagster 1.13 `FreshnessPolicy.time_window`, attached with `dg.apply_freshness_policy`):

| assets | fail after | warn after | why |
| --- | --- | --- | --- |
| `raw_tracker/*` | 2 h | 1 h | loaded hourly and on new files |
| other `raw_*` (ad platforms, affiliate, ESP, first-party) | 26 h | 25 h | loaded daily at 06:00 UTC |
| `marts/*`, `publish/*` | tightest upstream source + 1 h | tightest upstream source | rebuilt after each load |

Automation (`AutomationCondition`, evaluated by the `automation` sensor): `raw_tracker/*` on the hourly cron —
the "hourly tracker ingestion" — and every asset downstream of a source `eager()`, i.e. rebuilt once its inputs
changed and none is still running: the "and downstream". Non-source roots (dbt seeds) are built when missing. The
daily sources keep an explicit schedule (`schedules.py`): their restatement window is not a condition on one asset.
"""

from __future__ import annotations

import warnings
from collections.abc import Iterable
from datetime import timedelta

import dagster as dg

from dagster_project.lib.freshness import ancestors

TRACKER_PREFIX = "raw_tracker"
TRACKER_CRON = "0 * * * *"
#: (fail, warn) windows of the sources
TRACKER_WINDOWS = (timedelta(hours=2), timedelta(hours=1))
DAILY_SOURCE_WINDOWS = (timedelta(hours=26), timedelta(hours=25))
#: time a mart may take after its freshest source: the dbt build and publishing
PROCESSING_SLACK = timedelta(hours=1)
DERIVED_GROUPS = ("marts", "publish")


def is_source(key: dg.AssetKey) -> bool:
    return key.path[0].startswith("raw_")


def _source_windows(key: dg.AssetKey) -> tuple[timedelta, timedelta]:
    return TRACKER_WINDOWS if key.path[0] == TRACKER_PREFIX else DAILY_SOURCE_WINDOWS


def source_policy(key: dg.AssetKey) -> dg.FreshnessPolicy:
    fail, warn = _source_windows(key)
    return dg.FreshnessPolicy.time_window(fail_window=fail, warn_window=warn)


def upstream_sources(graph, key: dg.AssetKey) -> set[dg.AssetKey]:
    """The `raw_*` assets `key` is built from, directly or through other assets."""
    return {k for k in ancestors(graph, key) if is_source(k)}


def derived_policy(sources: Iterable[dg.AssetKey]) -> dg.FreshnessPolicy | None:
    """Tightest fail window among `sources` plus PROCESSING_SLACK (warn at the tightest window); None if no source."""
    windows = [_source_windows(source)[0] for source in sources]
    if not windows:
        return None
    tightest = min(windows)
    return dg.FreshnessPolicy.time_window(fail_window=tightest + PROCESSING_SLACK, warn_window=tightest)


def freshness_policy_for(graph, key: dg.AssetKey) -> dg.FreshnessPolicy | None:
    if is_source(key):
        return source_policy(key)
    if graph.get(key).group_name in DERIVED_GROUPS or key.path[0] in DERIVED_GROUPS:
        return derived_policy(upstream_sources(graph, key))
    return None


def automation_condition_for(graph, key: dg.AssetKey, eager: dg.AutomationCondition) -> dg.AutomationCondition | None:
    """`eager`: the graph's condition for assets built from a source (`eager_after_partitions`, built once)."""
    if key.path[0] == TRACKER_PREFIX:
        return dg.AutomationCondition.on_cron(TRACKER_CRON)
    if is_source(key):
        return None  # daily sources: the explicit `daily_sources` schedule
    if not graph.get(key).parent_keys:
        return dg.AutomationCondition.on_missing()
    return eager if upstream_sources(graph, key) else None


def eager_after_partitions(graph) -> dg.AutomationCondition:
    """`eager()` that does not wait for the missing days of daily-partitioned parents: an unpartitioned child of a
    partitioned source (staging after the tracker) follows each new partition, while most days of the partitions'
    range (since `ADLEDGER_PARTITIONS_START`) were never loaded. Missing unpartitioned parents still hold it back."""
    partitioned = [k for k in graph.materializable_asset_keys if graph.get(k).partitions_def is not None]
    if not partitioned:
        return dg.AutomationCondition.eager()
    return dg.AutomationCondition.eager().replace(
        "any_deps_missing", dg.AutomationCondition.any_deps_missing().ignore(dg.AssetSelection.assets(*partitioned)))


def with_orchestration_policies(defs: dg.Definitions) -> dg.Definitions:
    """`defs` with the freshness policy and automation condition above on every asset it concerns.

    An asset that already declares its own freshness policy or automation condition keeps it.
    """
    graph = defs.resolve_asset_graph()
    freshness = {k: freshness_policy_for(graph, k) for k in graph.materializable_asset_keys}
    eager = eager_after_partitions(graph)
    automation = {k: automation_condition_for(graph, k, eager) for k in graph.materializable_asset_keys}

    def apply(spec: dg.AssetSpec) -> dg.AssetSpec:
        if freshness.get(spec.key) is not None:
            spec = dg.apply_freshness_policy(spec, freshness[spec.key], overwrite_existing=False)
        if spec.automation_condition is None and automation.get(spec.key) is not None:
            spec = spec.replace_attributes(automation_condition=automation[spec.key])
        return spec

    with warnings.catch_warnings():  # "preview", yet the way Dagster documents apply_freshness_policy
        warnings.simplefilter("ignore", dg.PreviewWarning)
        return defs.map_asset_specs(func=apply)
