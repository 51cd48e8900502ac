"""A small published snapshot and warehouse with hand-set numbers, in the marts' documented shapes.

Three days (2026-01-01..03), three channels, three attribution models. Spend per day: paid_search 100/110/120,
paid_social 50/60/70, email 0. Conversions credited by `last_touch`: paid_search 2/3/4, paid_social 1/1/2,
email 1/0/1; revenue is 50 per conversion under every model. Campaign names include hostile markup.
"""

from __future__ import annotations

from datetime import date, datetime, timezone
from pathlib import Path

import duckdb

DAYS = [date(2026, 1, 1), date(2026, 1, 2), date(2026, 1, 3)]
SPEND = {"paid_search": [100, 110, 120], "paid_social": [50, 60, 70], "email": [0, 0, 0]}
CONVERSIONS = {
    "last_touch": {"paid_search": [2, 3, 4], "paid_social": [1, 1, 2], "email": [1, 0, 1]},
    "first_touch": {"paid_search": [1, 2, 3], "paid_social": [2, 2, 2], "email": [1, 0, 2]},
    "markov": {"paid_search": [1.5, 2.5, 3.5], "paid_social": [1.25, 1.5, 2.0], "email": [1.25, 0.0, 1.5]},
}
VALUE = 50.0
SESSIONS = 100  # per day and channel
HOSTILE = "<img src=x onerror=alert(1)>"
SCRIPT_BREAK = "</script><script>alert(2)</script>"
#: campaign -> (channel, name, share of the channel's spend and conversions)
CAMPAIGNS = {"c1": ("paid_search", f"Brand {HOSTILE}", 0.75), "c2": ("paid_search", "Generic", 0.25),
             "c3": ("paid_social", SCRIPT_BREAK, 1.0)}
PUBLISHED_AT = datetime(2026, 1, 4, 6, 0, tzinfo=timezone.utc)
LOADED_AT = datetime(2026, 1, 4, 5, 0, tzinfo=timezone.utc)
NOW = datetime(2026, 1, 4, 8, 30, tzinfo=timezone.utc)


def _ratio(a: float, b: float) -> float | None:
    return a / b if b else None


def _performance_rows(campaign: str | None = None) -> list[tuple]:
    rows = []
    for model, per_channel in CONVERSIONS.items():
        for channel, conversions in per_channel.items():
            share = 1.0
            if campaign is not None:
                if CAMPAIGNS[campaign][0] != channel:
                    continue
                share = CAMPAIGNS[campaign][2]
            for day, spend, conv in zip(DAYS, SPEND[channel], conversions):
                s, c = spend * share, conv * share
                impressions, clicks, revenue = int(1000 * share), int(50 * share), c * VALUE
                kpis = (_ratio(clicks, impressions), _ratio(c, clicks), _ratio(s, clicks),
                        _ratio(1000 * s, impressions), _ratio(s, c), _ratio(revenue, s))
                key = (day, channel) if campaign is None else (day, channel, campaign, CAMPAIGNS[campaign][1])
                rows.append((*key, model, impressions, clicks, s, c, revenue, *kpis))
    return rows


_KPI_COLUMNS = ("model varchar, impressions bigint, clicks bigint, spend decimal(30,12), conversions double, "
                "revenue double, ctr double, cvr double, cpc double, cpm double, cpa double, roas double")


def write_published(path: Path, *, with_optional: bool = True) -> Path:
    """The snapshot BI reads. `with_optional=False` leaves out the marts other teams are still building."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts; create schema meta")
        con.execute(f"create table marts.mart_channel_performance_daily (day date, channel varchar, {_KPI_COLUMNS})")
        con.executemany("insert into marts.mart_channel_performance_daily values "
                        "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", _performance_rows())
        con.execute("create table marts.mart_campaign_performance_daily (day date, channel varchar, "
                    f"campaign_id varchar, campaign_name varchar, {_KPI_COLUMNS})")
        for campaign in CAMPAIGNS:
            con.executemany("insert into marts.mart_campaign_performance_daily values "
                            "(?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", _performance_rows(campaign))
        con.execute("create table marts.mart_channel_daily (day date, channel varchar, sessions bigint, "
                    "visitors bigint, conversions bigint, revenue double)")
        con.executemany("insert into marts.mart_channel_daily values (?, ?, ?, ?, ?, ?)",
                        [(d, c, SESSIONS, SESSIONS // 2, 1, VALUE) for d in DAYS for c in SPEND])
        con.execute("create table marts.mart_cac_ltv (cohort_month date, channel varchar, customers bigint, "
                    "spend decimal(30,12), cac decimal(30,6), ltv_90d decimal(30,6), ltv decimal(30,6), "
                    "ltv_to_cac double, payback_days integer)")
        con.executemany("insert into marts.mart_cac_ltv values (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
            (date(2026, 1, 1), "paid_search", 10, 330, 33, 40, 45, 45 / 33, 20),
            (date(2026, 1, 1), "paid_social", 4, 180, 45, 25, 30, 30 / 45, None),
            (date(2026, 1, 1), "email", 3, 0, None, 20, 22, None, None),
            (date(2025, 12, 1), "paid_search", 99, 990, 10, 1, 1, 0.1, None),  # before the period's month
        ])
        con.execute("create table meta.snapshot_tables (snapshot_id varchar, published_at timestamptz, "
                    "run_id varchar, schema_name varchar, table_name varchar, row_count bigint, checksum varchar)")
        con.execute("insert into meta.snapshot_tables values ('s1', ?, 'r1', 'marts', 'mart_cac_ltv', 4, '0')",
                    [PUBLISHED_AT])
        if with_optional:
            _write_optional(con)
    return path


def _write_optional(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("create table marts.mart_experiment_results (experiment_id varchar, variant varchar, users bigint, "
                "conversions bigint, rate double, uplift double, ci_low double, ci_high double, "
                "p_value_adjusted double, chance_to_beat_control double, srm boolean, decision varchar, "
                "started_at timestamptz, ended_at timestamptz)")
    start, end = datetime(2025, 12, 20, tzinfo=timezone.utc), datetime(2026, 1, 2, tzinfo=timezone.utc)
    con.executemany("insert into marts.mart_experiment_results values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        ("checkout <b>x</b>", "control", 1000, 100, 0.10, 0.0, None, None, None, None, False, "ship b", start, end),
        ("checkout <b>x</b>", "b", 1000, 110, 0.11, 0.10, -0.02, 0.22, 0.04, 0.93, False, "ship b", start, end),
        ("old test", "b", 10, 1, 0.1, 0.0, -0.5, 0.5, 1.0, 0.5, False, "stop", start.replace(year=2024),
         end.replace(year=2024)),
    ])
    con.execute("create table marts.mart_budget_recommendations (channel varchar, current_spend double, "
                "recommended_spend double, change double, expected_change double, expected_change_low double, "
                "expected_change_high double, reason varchar, computed_at timestamptz)")
    old, new = datetime(2026, 1, 1, tzinfo=timezone.utc), datetime(2026, 1, 3, tzinfo=timezone.utc)
    con.executemany("insert into marts.mart_budget_recommendations values (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        ("paid_search", 110, 140, 30, 0.8, 0.3, 1.2, "steepest curve", new),
        ("paid_social", 60, 30, -30, -0.2, -0.4, 0.0, "saturated", new),
        ("paid_search", 1, 2, 1, 9.0, 9.0, 9.0, "superseded plan", old),
    ])
    con.execute("create table marts.mart_anomalies (anomaly_id varchar, anomaly_type varchar, scope varchar, "
                "severity varchar, start_date date, end_date date, evidence varchar, money_at_stake double, "
                "status varchar)")
    con.executemany("insert into marts.mart_anomalies values (?, ?, ?, ?, ?, ?, ?, ?, ?)", [
        ("a1", "spend_spike", "paid_social", "medium", DAYS[1], DAYS[2], "spend 3x forecast", 400.0, "open"),
        ("a2", "cpa_jump", f"campaign {HOSTILE}", "high", DAYS[2], None, "cpa 2x", 50.0, None),
        ("a3", "tracking_gap", "email", "high", DAYS[0], DAYS[0], "no events", 10.0, "resolved"),
        ("a4", "spend_spike", "display", "high", date(2025, 11, 1), date(2025, 11, 2), "old", 5.0, "open"),
    ])


def write_warehouse(path: Path) -> Path:
    """The pipeline's warehouse: quality tables, dlt load records, and a mart that was never published."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema quality; create schema raw_google_ads; create schema raw_tracker; "
                    "create schema marts")
        con.execute("create table quality.validation_results (run_id varchar, validated_at timestamptz, "
                    "suite varchar, asset varchar, expectation varchar, \"column\" varchar, success boolean, "
                    "element_count bigint, unexpected_count bigint, details json)")
        early, late = datetime(2026, 1, 3, tzinfo=timezone.utc), datetime(2026, 1, 4, tzinfo=timezone.utc)
        con.executemany("insert into quality.validation_results values (?, ?, ?, ?, ?, ?, ?, ?, ?, '{}')", [
            ("r1", early, "raw_tracker_events", "raw_tracker/events", "expect_column_values_to_not_be_null",
             "message_id", False, 100, 3),
            ("r2", late, "raw_tracker_events", "raw_tracker/events", "expect_column_values_to_not_be_null",
             "message_id", True, 120, 0),
            ("r2", late, "raw_tracker_events", "raw_tracker/events", "expect_column_values_to_be_in_set",
             "event_type", True, 120, 0),
            ("r3", late, "spend_volumes", "marts/fct_ad_spend", "expect_column_values_to_be_between",
             "spend", False, 40, 2),
        ])
        con.execute("create table quality.alerts (alert_id varchar, created_at timestamptz, kind varchar, "
                    "severity varchar, asset varchar, check_name varchar, step varchar, run_id varchar, "
                    "title varchar, body varchar, link varchar, target varchar, status varchar, error varchar)")
        con.execute("insert into quality.alerts values ('al1', ?, 'check', 'error', 'marts/fct_ad_spend', "
                    "'gx_spend_volumes', null, 'run1', ?, '', '', null, 'no_target', null)",
                    [late, f"check failed on {HOSTILE}"])
        con.execute("create table quality.quarantined_rows (source varchar, file varchar, line bigint, "
                    "reason varchar, raw varchar)")
        con.executemany("insert into quality.quarantined_rows values ('tracker', 'f.jsonl', ?, ?, '{')",
                        [(1, "malformed JSON"), (2, "malformed JSON"), (3, "missing field: messageId")])
        for schema, loads in (("raw_google_ads", [(LOADED_AT, 0), (datetime(2026, 1, 4, 7, tzinfo=timezone.utc), 1)]),
                              ("raw_tracker", [(datetime(2026, 1, 4, 8, tzinfo=timezone.utc), 0)])):
            con.execute(f"create table {schema}._dlt_loads (load_id varchar, schema_name varchar, status bigint, "
                        "inserted_at timestamptz, schema_version_hash varchar)")
            con.executemany(f"insert into {schema}._dlt_loads values ('l', '{schema}', ?, ?, 'h')",
                            [(status, at) for at, status in loads])
        con.execute("create table marts.mart_markov_removal_effects (channel varchar, removal_effect double, "
                    "conversions double, conversion_value double, \"order\" integer, computed_at timestamptz)")
        con.executemany("insert into marts.mart_markov_removal_effects values (?, ?, ?, ?, 1, ?)",
                        [("paid_search", 0.6, 7.5, 375.0, late), ("email", 0.2, 2.75, 137.5, late)])
        con.execute("create table marts.fct_ad_spend (report_date date, cost_source varchar, channel varchar, "
                    "spend_reporting decimal(30,12))")
        con.execute("insert into marts.fct_ad_spend values ('2026-01-03', 'google_ads', 'paid_search', 120)")
    return path
