"""Evaluate the assets' Dagster freshness policies now, with the evaluators Dagster's freshness daemon uses.

Dagster 1.13 attaches a `FreshnessPolicy` to an asset spec and, when the instance enables `freshness`, its daemon
records PASS / WARN / FAIL state changes for the UI. Alerting must not depend on that daemon running, so the
freshness sensor evaluates the same policies itself through `dagster._core.definitions.freshness_evaluator` (the
evaluators the daemon calls, `dagster/_daemon/freshness.py`); states therefore agree with what the UI shows.
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import timedelta

import dagster as dg
from dagster._core.asset_graph_view.asset_graph_view import AssetGraphView, TemporalContext
from dagster._core.definitions.freshness import FreshnessState, TimeWindowFreshnessPolicy
from dagster._core.definitions.freshness_evaluator import FRESHNESS_EVALUATORS_BY_POLICY_TYPE
from dagster._time import get_current_datetime


@dataclass(frozen=True)
class FreshnessReading:
    """One asset's freshness now: its state, its policy, and its last materialization (epoch seconds, or None)."""

    key: dg.AssetKey
    state: FreshnessState
    policy: dg.FreshnessPolicy
    last_materialized: float | None

    def describe_policy(self) -> str:
        """`fail after 2 h (warn after 1 h)` for time windows; the cron deadline otherwise."""
        if isinstance(self.policy, TimeWindowFreshnessPolicy):
            fail = _hours(self.policy.fail_window.to_timedelta())
            warn = self.policy.warn_window
            return f"fail after {fail}" + (f" (warn after {_hours(warn.to_timedelta())})" if warn else "")
        return repr(self.policy)


def _hours(delta: timedelta) -> str:
    hours = delta.total_seconds() / 3600
    return f"{hours:g} h"


def ancestors(graph, key: dg.AssetKey) -> set[dg.AssetKey]:
    """Every asset `key` is built from, directly or through other assets."""
    seen: set[dg.AssetKey] = set()
    stack = list(graph.get(key).parent_keys)
    while stack:
        parent = stack.pop()
        if parent in seen or not graph.has(parent):
            continue
        seen.add(parent)
        stack.extend(graph.get(parent).parent_keys)
    return seen


def freshness_readings(instance: dg.DagsterInstance, asset_graph) -> list[FreshnessReading]:
    """The freshness of every asset in `asset_graph` that has a policy, evaluated against `instance` now."""
    view = AssetGraphView(
        temporal_context=TemporalContext(effective_dt=get_current_datetime(), last_event_id=None),
        instance=instance,
        asset_graph=asset_graph,
    )
    nodes = [node for node in asset_graph.asset_nodes if node.freshness_policy_or_from_metadata is not None]

    async def evaluate_all() -> list[FreshnessState]:
        return await asyncio.gather(*(
            FRESHNESS_EVALUATORS_BY_POLICY_TYPE[type(node.freshness_policy_or_from_metadata)]().evaluate_freshness(
                context=view, node=node)
            for node in nodes
        ))

    states = asyncio.run(evaluate_all())
    readings = []
    for node, state in zip(nodes, states):
        event = instance.get_latest_materialization_event(node.key)
        readings.append(FreshnessReading(node.key, state, node.freshness_policy_or_from_metadata,
                                         event.timestamp if event else None))
    return readings
