"""Raw tracker events: what must hold before staging may read them."""

from __future__ import annotations

import great_expectations as gx

from expectations.spec import SuiteSpec

EVENT_TYPES = ["page", "track", "identify", "screen", "alias", "group"]


def _row_rules() -> list[gx.expectations.Expectation]:
    return [
        gx.expectations.ExpectColumnValuesToNotBeNull(column="message_id"),
        gx.expectations.ExpectColumnValuesToNotBeNull(column="event_at"),
        gx.expectations.ExpectColumnValuesToBeInSet(column="event_type", value_set=EVENT_TYPES),
        gx.expectations.ExpectColumnValuesToBeBetween(column="revenue", min_value=0, mostly=1.0),
        gx.expectations.ExpectColumnValuesToNotBeNull(column="order_id", row_condition='event_name=="Order Completed"',
                                                      condition_parser="pandas"),
    ]


def _volume_rules() -> list[gx.expectations.Expectation]:
    return [
        gx.expectations.ExpectTableRowCountToBeBetween(min_value=1),
        gx.expectations.ExpectColumnValuesToBeBetween(column="events", min_value=1),
    ]


SUITES = (
    SuiteSpec(
        name="raw_tracker_events",
        asset=("raw_tracker", "events"),
        description="Raw tracker events: keys and timestamps present, known event types, no negative revenue, "
        "every conversion has an order id, and at least one event per loaded day.",
        row_query="select message_id, event_at, event_type, event_name, order_id, cast(revenue as double) as revenue "
        "from raw_tracker.events",
        expectations=_row_rules,
        table_query="select cast(event_at at time zone 'UTC' as date) as day, count(*) as events "
        "from raw_tracker.events group by 1 order by 1",
        table_expectations=_volume_rules,
    ),
)
