"""The erasure on a hand-made warehouse: exactly the subject's rows go from every layer, others' rows stay, the audit
says what was done without personal data, a rerun changes nothing, and resurrected rows are removed again."""

from __future__ import annotations

import json

import duckdb
import pytest

from adledger.privacy import erased_key_hash
from dagster_project.lib.erasure import erase
from tests.integration.privacy.warehouse import (KEPT, PSEUDONYMIZED, REMOVED, SUBJECT, SUBJECT_EMAIL_HASH, build,
                                                 everything, remaining)

SALT = "test-salt"


@pytest.fixture
def con(tmp_path):
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as con:
        build(con)
        yield con


def test_the_subjects_rows_go_from_every_layer_and_nobody_elses(con):
    result = erase(con, SALT)
    assert remaining(con) == {table: kept for table, (_, kept) in KEPT.items()}
    assert result.requests_done == ["dsr_1", "dsr_2"]
    assert result.removed[("dsr_1", "erasure")] == REMOVED
    assert result.removed[("dsr_2", "erasure")] == {}
    assert result.pseudonymized == {("dsr_1", "erasure"): PSEUDONYMIZED}
    # the commission ledger keeps its amounts: a payout is owed whoever bought
    assert con.execute("select sum(payout::decimal(9, 2)) from raw_affiliate.actions").fetchone()[0] == 9
    # the staging view follows its table
    assert {m for (m,) in con.execute("select message_id from staging.stg_tracker__events").fetchall()} == \
        {"e6", "e7", "e8"}


def test_the_audit_records_what_was_done_without_personal_data(con):
    erase(con, SALT)
    rows = con.execute("select request_id, subject_hash, tables_touched, rows_removed, rows_removed_total, "
                       "rows_pseudonymized from quality.erasure_audit order by request_id").fetchall()
    assert rows == [
        ("dsr_1", erased_key_hash("user", SUBJECT, SALT), sorted({*REMOVED, *PSEUDONYMIZED}), json.dumps(REMOVED),
         sum(REMOVED.values()), json.dumps(PSEUDONYMIZED)),
        ("dsr_2", erased_key_hash("user", "cus_777", SALT), [], "{}", 0, "{}"),
    ]
    stored = json.dumps([list(map(str, r)) for r in con.execute(
        "select * from quality.erasure_audit union all by name select * from quality.erased_subjects").fetchall()])
    for identifier in (SUBJECT, SUBJECT_EMAIL_HASH, "a1", "a2", "d1", "o1", "s1"):
        assert f'"{identifier}"' not in stored
    kinds = dict(con.execute("select kind, count(*) from quality.erased_subjects group by kind").fetchall())
    # cus_001 and cus_777; h_001 and h_777; a1 a2 a3; d1 d2; o1 o3; s1
    assert kinds == {"user": 2, "email_hash": 2, "anonymous_id": 3, "device_id": 2, "order_id": 2, "session_id": 1}
    (hashed,) = con.execute("select count(*) from quality.erased_subjects where kind = 'anonymous_id' and key_hash = ?",
                            [erased_key_hash("anonymous_id", "a2", SALT)]).fetchone()
    assert hashed == 1


def test_a_rerun_changes_nothing(con):
    erase(con, SALT)
    before = everything(con)
    again = erase(con, SALT)
    assert again.removed == {} and again.requests_done == []
    assert everything(con) == before


def test_rows_brought_back_by_a_reload_are_removed_again(con):
    erase(con, SALT)
    # what dlt does when a re-exported customer file and a re-read tracker file arrive: the keys are new to it
    con.execute("insert into raw_first_party.customers values ('cus_001', 'h_001', 'DE')")
    con.execute("insert into raw_tracker.events values "
                "('e2', '2026-01-01 09:00:00+00', 'a1', null, 'd1', null, null, 'l2'), "
                "('e9', '2026-01-04 09:00:00+00', 'a9', null, 'd1', null, null, 'l2')")
    # and the affiliate API restating an action with the shop's order id (dlt's merge replaces the row)
    con.execute("update raw_affiliate.actions set oid = 'o1' where id = 'act1'")
    result = erase(con, SALT)
    assert result.requests_done == []
    assert result.removed == {("dsr_1", "resweep"): {"raw_first_party.customers": 1, "raw_tracker.events": 2}}
    assert result.pseudonymized == {("dsr_1", "resweep"): {"raw_affiliate.actions": 1}}
    assert remaining(con) == {table: kept for table, (_, kept) in KEPT.items()}
    # the audit keeps one row per request: a resweep is reported, not audited again
    audit = con.execute("select request_id, rows_removed_total from quality.erasure_audit order by 1").fetchall()
    assert audit == [("dsr_1", 20), ("dsr_2", 0)]


def test_a_new_request_is_done_once(con):
    erase(con, SALT)
    con.execute("insert into raw_first_party.deletion_requests values "
                "('dsr_3', 'cus_002', null, '2026-01-06 00:00:00+00', 'erasure')")
    result = erase(con, SALT)
    assert result.requests_done == ["dsr_3"]
    assert result.removed[("dsr_3", "erasure")]["raw_tracker.events"] == 1
    assert {m for (m,) in con.execute("select message_id from raw_tracker.events").fetchall()} == {"e6", "e8"}
    assert erase(con, SALT).removed == {}


def test_without_a_salt_nothing_is_touched(con):
    before = everything(con)
    with pytest.raises(ValueError, match="SOURCES__EMAIL_SALT"):
        erase(con, "")
    assert everything(con) == before
