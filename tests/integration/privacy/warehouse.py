"""A hand-made warehouse with one erasure subject (customer `cus_001`, e-mail hash `h_001`) spread over every layer,
and rows of other people next to theirs, for the erasure tests.

Subject cus_001: e1 (logged in on device d1, order o1), e2 (anonymous on a1 before logging in), e3 (device d2,
identifies with the subject's e-mail hash), e4 (a2 again, anonymous), e5 (another cookie a3 on device d1). Other
people: e6 (cus_009 logged in on the subject's a1/d1: a shared device), e7 (cus_002), e8 (anonymous a5). The affiliate
network credited orders o1 and o3 (the subject's) and o2: its actions stay, with the subject's order ids blanked.
"""

from __future__ import annotations

import duckdb

SUBJECT = "cus_001"
SUBJECT_EMAIL_HASH = "h_001"

_SQL = """
create schema raw_tracker; create schema raw_tracker_staging; create schema raw_first_party;
create schema staging; create schema intermediate; create schema marts; create schema analytics;
create schema raw_affiliate;

create table raw_tracker.events (message_id varchar, event_at timestamptz, anonymous_id varchar, user_id varchar,
                                 device_id varchar, email_hash varchar, order_id varchar, _load_id varchar);
insert into raw_tracker.events values
  ('e1', '2026-01-01 10:00:00+00', 'a1', 'cus_001', 'd1', null, 'o1', 'l1'),
  ('e2', '2026-01-01 09:00:00+00', 'a1', null, 'd1', null, null, 'l1'),
  ('e3', '2026-01-02 09:00:00+00', 'a2', null, 'd2', 'h_001', null, 'l1'),
  ('e4', '2026-01-02 09:05:00+00', 'a2', null, 'd2', null, null, 'l1'),
  ('e5', '2026-01-03 09:00:00+00', 'a3', null, 'd1', null, null, 'l1'),
  ('e6', '2026-01-03 12:00:00+00', 'a1', 'cus_009', 'd1', null, null, 'l1'),
  ('e7', '2026-01-03 12:00:00+00', 'a4', 'cus_002', 'd4', 'h_002', 'o2', 'l1'),
  ('e8', '2026-01-03 13:00:00+00', 'a5', null, 'd5', null, null, 'l1');
create table raw_tracker_staging.events as select * from raw_tracker.events where message_id in ('e1', 'e7');
create table raw_tracker.quarantined_rows (file varchar, line bigint, raw varchar, _load_id varchar);
insert into raw_tracker.quarantined_rows values
  ('f1', 1, '{"userId":"cus_001","type":"nope"}', 'l1'),
  ('f1', 2, '{"userId":"cus_0010","type":"nope"}', 'l1');
create table raw_tracker._dlt_loads (load_id varchar, status bigint);
insert into raw_tracker._dlt_loads values ('l1', 0);

create table raw_first_party.customers (customer_id varchar, email_hash varchar, country varchar);
insert into raw_first_party.customers values ('cus_001', 'h_001', 'DE'), ('cus_002', 'h_002', 'FR');
create table raw_first_party.orders (order_id varchar, customer_id varchar, email_hash varchar, revenue decimal(18, 2));
insert into raw_first_party.orders values ('o1', 'cus_001', 'h_001', 10), ('o2', 'cus_002', 'h_002', 20),
                                          ('o3', null, 'h_001', 30);
create table raw_first_party.order_items (order_id varchar, sku varchar);
insert into raw_first_party.order_items values ('o1', 's1'), ('o2', 's1'), ('o3', 's2');
create table raw_first_party.consent_changes (customer_id varchar, anonymous_id varchar, changed_at timestamptz);
insert into raw_first_party.consent_changes values (null, 'a1', '2026-01-01 11:00:00+00'),
                                                   ('cus_002', 'a4', '2026-01-01 11:00:00+00');
create table raw_first_party.deletion_requests (request_id varchar, customer_id varchar, email_hash varchar,
                                                requested_at timestamptz, type varchar);
insert into raw_first_party.deletion_requests values
  ('dsr_1', 'cus_001', 'h_001', '2026-01-05 00:00:00+00', 'erasure'),
  ('dsr_2', 'cus_777', 'h_777', '2026-01-05 00:00:00+00', 'erasure');

create table raw_affiliate.actions (id varchar, oid varchar, payout varchar, _dlt_id varchar);
insert into raw_affiliate.actions values ('act1', 'o1', '1.50', 'x1'), ('act2', 'o2', '3.00', 'x2'),
                                         ('act3', 'o3', '4.50', 'x3');
create view staging.stg_tracker__events as select * from raw_tracker.events;
create table intermediate.int_identities_stitched (anonymous_id varchar, person_id varchar, user_id varchar);
insert into intermediate.int_identities_stitched values ('a1', 'user:cus_001', 'cus_001'),
  ('a2', 'user:cus_001', 'cus_001'), ('a5', 'anon:a5', null), ('a4', 'user:cus_002', 'cus_002');
create table intermediate.int_events_sessionized (message_id varchar, session_id varchar, anonymous_id varchar,
                                                  user_id varchar);
insert into intermediate.int_events_sessionized values ('e1', 's1', 'a1', 'cus_001'), ('e2', 's1', 'a1', null),
  ('e6', 's1', 'a1', 'cus_009'), ('e8', 's9', 'a5', null);
create table marts.fct_touchpoints (touchpoint_id varchar, anonymous_id varchar, person_id varchar);
insert into marts.fct_touchpoints values ('s1', 'a1', 'user:cus_001'), ('s9', 'a5', 'anon:a5');
create table marts.fct_conversions (order_id varchar, person_id varchar, message_id varchar);
insert into marts.fct_conversions values ('o1', null, 'e1'), ('o2', 'user:cus_002', 'e7');
create table marts.mart_channel_daily (day date, channel varchar, sessions bigint);
insert into marts.mart_channel_daily values ('2026-01-01', 'direct', 3);
create table analytics.attribution_credits (order_id varchar, touchpoint_id varchar, credit double);
insert into analytics.attribution_credits values ('o1', 's1', 1.0), ('o2', 's7', 1.0);
"""

#: rows each table keeps after dsr_1, by a column that names them
KEPT = {
    "raw_tracker.events": ("message_id", {"e6", "e7", "e8"}),
    "raw_tracker_staging.events": ("message_id", {"e7"}),
    "raw_tracker.quarantined_rows": ("line", {2}),
    "raw_first_party.customers": ("customer_id", {"cus_002"}),
    "raw_first_party.orders": ("order_id", {"o2"}),
    "raw_first_party.order_items": ("order_id", {"o2"}),
    "raw_first_party.consent_changes": ("anonymous_id", {"a4"}),
    "raw_first_party.deletion_requests": ("request_id", {"dsr_1", "dsr_2"}),
    "intermediate.int_identities_stitched": ("anonymous_id", {"a5", "a4"}),
    "intermediate.int_events_sessionized": ("message_id", {"e6", "e8"}),
    "marts.fct_touchpoints": ("touchpoint_id", {"s9"}),
    "marts.fct_conversions": ("order_id", {"o2"}),
    "marts.mart_channel_daily": ("channel", {"direct"}),
    "analytics.attribution_credits": ("order_id", {"o2"}),
    "raw_affiliate.actions": ("id || ':' || coalesce(oid, '-')", {"act1:-", "act2:o2", "act3:-"}),
}
#: what dsr_1 removes, per table
REMOVED = {
    "analytics.attribution_credits": 1,
    "intermediate.int_events_sessionized": 2,
    "intermediate.int_identities_stitched": 2,
    "marts.fct_conversions": 1,
    "marts.fct_touchpoints": 1,
    "raw_first_party.consent_changes": 1,
    "raw_first_party.customers": 1,
    "raw_first_party.order_items": 2,
    "raw_first_party.orders": 2,
    "raw_tracker.events": 5,
    "raw_tracker.quarantined_rows": 1,
    "raw_tracker_staging.events": 1,
}
#: what dsr_1 keeps with the subject's identifiers blanked, per table
PSEUDONYMIZED = {"raw_affiliate.actions": 2}


def build(con: duckdb.DuckDBPyConnection) -> None:
    con.execute("set TimeZone = 'UTC'")
    con.execute(_SQL)


def remaining(con: duckdb.DuckDBPyConnection) -> dict[str, set]:
    return {table: {v for (v,) in con.execute(f"select {column} from {table}").fetchall()}
            for table, (column, _) in KEPT.items()}


def everything(con: duckdb.DuckDBPyConnection) -> dict[str, list]:
    """Every row of every table and view, sorted (to compare a rerun)."""
    tables = con.execute("select table_schema || '.' || table_name from information_schema.tables "
                         "order by 1").fetchall()
    return {t: con.execute(f"select * from {t} order by all").fetchall() for (t,) in tables}
