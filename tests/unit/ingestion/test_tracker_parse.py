"""The tracker parser: every line accounted for, contract rules, PII hashed like the collector, URL parsing."""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pytest

from adledger.privacy import hash_email, hash_ip
from ingestion.tracker.parse import FileStats, TrackerParser

SALT, KEY = "salt-1", "key-1"


def _event(mid: str, **extra) -> dict:
    base = {"type": "page", "messageId": mid, "timestamp": "2026-03-01T12:00:00.250Z", "anonymousId": "a1"}
    base.update(extra)
    return base


def _write(path: Path, lines: list[str], gz: bool = False) -> str:
    data = ("\n".join(lines) + "\n").encode()
    if gz:
        path.write_bytes(gzip.compress(data, mtime=0))
    else:
        path.write_bytes(data)
    return str(path)


@pytest.fixture
def parser():
    p = TrackerParser(email_salt=SALT, ip_key=KEY)
    yield p
    p.close()


def test_clean_file_parses_every_field(parser, tmp_path):
    url = "https://shop.example.com/x?utm_source=Google&utm_medium=cpc&utm_campaign=Spring%20Sale&gclid=Cj0K_1#top"
    ev = _event(
        "m1",
        context={"page": {"url": url, "referrer": "https://www.google.com/", "path": "/x", "title": "X"},
                 "ip": "203.0.113.77", "userAgent": "UA/1", "device": {"id": "d1"},
                 "consent": {"categoryPreferences": {"advertising": False, "analytics": True}}},
    )
    order = _event("m2", type="track", event="Order Completed",
                   properties={"order_id": "o1", "revenue": 12.5, "currency": "eur", "email": "x@y.z"})
    ident = _event("m3", type="identify", userId="u1", traits={"email": "  Jane.Doe@Example.COM "},
                   context={"ip": "2001:db8:85a3::8a2e:370:7334"})
    f = _write(tmp_path / "a.jsonl.gz", [json.dumps(e) for e in (ev, order, ident)], gz=True)

    batch = parser.parse([f], names=["a.jsonl.gz"], load_id="L1")

    assert batch.quarantined.num_rows == 0
    assert [(s.file, s.lines_read, s.rows_valid, s.rows_quarantined) for s in batch.files] == [("a.jsonl.gz", 3, 3, 0)]
    rows = {r["message_id"]: r for r in batch.events.to_pylist()}
    page = rows["m1"]
    assert (page["utm_source"], page["utm_medium"], page["utm_campaign"]) == ("Google", "cpc", "Spring Sale")
    assert page["gclid"] == "Cj0K_1" and page["click_id_type"] == "gclid"
    assert page["ip_hash"] == hash_ip("203.0.113.77", KEY)[0]
    assert page["ip_prefix"] == "203.0.113.0/24"
    assert (page["consent_advertising"], page["consent_analytics"]) == (False, True)
    assert page["_file"] == "a.jsonl.gz" and page["_load_id"] == "L1"
    assert str(rows["m2"]["revenue"]) == "12.5000" and rows["m2"]["currency"] == "EUR"
    assert "email" not in json.loads(rows["m2"]["properties"])
    assert rows["m3"]["email_hash"] == hash_email("Jane.Doe@Example.COM", SALT)
    assert rows["m3"]["ip_prefix"] == "2001:db8:85a3::/48" == hash_ip("2001:db8:85a3::8a2e:370:7334", KEY)[1]
    assert rows["m3"]["ip_hash"] == hash_ip("2001:db8:85a3::8a2e:370:7334", KEY)[0]
    assert all("@" not in str(v) for r in rows.values() for v in r.values())


def test_bad_lines_are_quarantined_with_line_and_reason(parser, tmp_path):
    lines = [
        json.dumps(_event("ok1")),
        '{"type": "page", "messageId": "trunc',
        "",
        json.dumps(_event("ok2")),
        json.dumps({"type": "page", "timestamp": "2026-03-01T00:00:00Z", "anonymousId": "a"}),
        json.dumps(_event("t1", type="track")),
        json.dumps(_event("r1", type="track", event="Order Completed", properties={"order_id": "o", "revenue": "x"})),
        json.dumps(_event("r2", type="track", event="Order Completed", properties={"order_id": "o", "revenue": -1})),
        json.dumps(_event("ts", timestamp="not a time")),
        json.dumps(_event("ty", type="click")),
        "[1, 2, 3]",
        json.dumps(_event("ok3")),
    ]
    f = _write(tmp_path / "b.jsonl", lines)
    raw = Path(f).read_bytes() + b"\xff\xfe not utf-8\n" + (json.dumps(_event("ok4")) + "\n").encode()
    Path(f).write_bytes(raw)

    batch = parser.parse([f], names=["b.jsonl"])

    got = [(r["line"], r["reason"]) for r in batch.quarantined.to_pylist()]
    assert got == [
        (2, "malformed JSON"),
        (5, "missing field: messageId"),
        (6, "missing field: event"),
        (7, "invalid number in field: properties.revenue"),
        (8, "negative value in field: properties.revenue"),
        (9, "invalid timestamp in field: timestamp"),
        (10, "unknown value in field: type"),
        (11, "not a JSON object"),
        (13, got[-1][1]),
    ]
    assert got[-1][1].startswith("not valid UTF-8 text")
    assert sorted(batch.events.column("message_id").to_pylist()) == ["ok1", "ok2", "ok3", "ok4"]
    (stats,) = batch.files
    assert stats.lines_read == 13 == stats.rows_valid + stats.rows_quarantined  # the blank line is no record
    assert batch.quarantined.column("raw").to_pylist()[0] == '{"type": "page", "messageId": "trunc'


def test_duplicates_within_a_batch_keep_the_first_received(parser, tmp_path):
    first = _event("dup", receivedAt="2026-03-01T12:00:01.000Z", name="first")
    again = _event("dup", receivedAt="2026-03-01T12:05:00.000Z", name="again")
    f1 = _write(tmp_path / "1.jsonl", [json.dumps(again)])
    f2 = _write(tmp_path / "2.jsonl", [json.dumps(first)])
    batch = parser.parse([f1, f2])
    assert batch.events.num_rows == 1
    assert batch.events.column("event_name").to_pylist() == ["first"]
    assert sum(s.rows_valid for s in batch.files) == 2


def test_events_come_with_utc_timestamps_and_one_row_per_valid_line(parser, tmp_path):
    lines = [json.dumps(_event(f"m{i}", receivedAt="2026-03-01T12:00:01Z")) for i in range(50)]
    f = _write(tmp_path / "c.jsonl", lines + ["{broken"])
    batch = parser.parse([f], names=["c"], load_id="L")
    assert batch.events.num_rows == 50
    assert batch.events.schema.field("event_at").type == pa.timestamp("us", tz="UTC")  # as dlt's schema has them
    assert set(batch.events.column("_load_id").to_pylist()) == {"L"}
    assert batch.files == [FileStats("c", 51, 50, 1)]


def test_a_messageid_already_returned_by_the_parser_is_not_returned_again(parser, tmp_path):
    f1 = _write(tmp_path / "1.jsonl", [json.dumps(_event("a")), json.dumps(_event("b"))])
    f2 = _write(tmp_path / "2.jsonl", [json.dumps(_event("b", name="late copy")), json.dumps(_event("c"))])
    first = parser.parse([f1])
    second = parser.parse([f2])
    assert sorted(first.events.column("message_id").to_pylist()) == ["a", "b"]
    assert second.events.column("message_id").to_pylist() == ["c"]
    assert [s.rows_valid for s in second.files] == [2]  # the repeat is a valid line, just not a new event


def test_line_numbers_count_blank_lines_and_objects_may_follow_whitespace(parser, tmp_path):
    f = tmp_path / "w.jsonl"
    f.write_bytes(b"\n" + b"  " + json.dumps(_event("sp")).encode() + b"\n \t [1]\n{bad\n   \n"
                  + json.dumps(_event("ok")).encode() + b"\n")
    batch = parser.parse([str(f)], names=["w"])
    assert [(r["line"], r["reason"]) for r in batch.quarantined.to_pylist()] == [
        (3, "not a JSON object"), (4, "malformed JSON")]
    assert sorted(batch.events.column("message_id").to_pylist()) == ["ok", "sp"]
    assert batch.files == [FileStats("w", 4, 2, 2)]


def test_empty_ip_key_is_refused():
    with pytest.raises(ValueError, match="SOURCES__IP_HASH_KEY"):
        TrackerParser(email_salt="s", ip_key="")


def test_line_numbers_stay_per_file_when_several_files_have_bad_lines(parser, tmp_path):
    f1 = _write(tmp_path / "1.jsonl", [json.dumps(_event("a1")), "{oops", json.dumps(_event("a2"))])
    f2 = tmp_path / "2.jsonl"
    f2.write_bytes(b"\xff bad\n" + (json.dumps(_event("b1")) + "\n").encode() + b"{nope\n")
    f3 = _write(tmp_path / "3.jsonl", [json.dumps(_event(f"c{i}")) for i in range(5)])

    batch = parser.parse([f1, str(f2), f3], names=["one", "two", "three"])

    got = sorted((r["file"], r["line"], r["reason"][:14]) for r in batch.quarantined.to_pylist())
    assert got == [("one", 2, "malformed JSON"), ("two", 1, "not valid UTF-"), ("two", 3, "malformed JSON")]
    assert [(s.file, s.lines_read, s.rows_valid, s.rows_quarantined) for s in batch.files] == [
        ("one", 3, 2, 1), ("two", 3, 1, 2), ("three", 5, 5, 0)]
    assert batch.events.num_rows == 8


def test_quarantined_raw_text_holds_no_nul_bytes(parser, tmp_path):
    """Binary junk is kept readable and storable on every warehouse (PostgreSQL text refuses NUL)."""
    f = tmp_path / "nul.jsonl"
    f.write_bytes(b'{"type": "page", \x00\x00 junk\n' + (json.dumps(_event("ok")) + "\n").encode())
    batch = parser.parse([str(f)], names=["nul.jsonl"])
    (row,) = batch.quarantined.to_pylist()
    assert "\x00" not in row["raw"] and "\\u0000" in row["raw"]
    assert row["line"] == 1


def test_a_truncated_line_that_ends_in_a_brace_is_still_malformed_json(parser, tmp_path):
    """A cut right after a nested object looks braced at both ends; it must be quarantined, not fail the batch."""
    cut = '{"type": "page", "messageId": "cut", "context": {"ip": "192.0.2.1"}'
    f = _write(tmp_path / "t.jsonl", [json.dumps(_event("ok1")), cut, json.dumps(_event("ok2"))])
    batch = parser.parse([f], names=["t"])
    assert [(r["line"], r["reason"], r["raw"]) for r in batch.quarantined.to_pylist()] == [(2, "malformed JSON", cut)]
    assert sorted(batch.events.column("message_id").to_pylist()) == ["ok1", "ok2"]
    assert batch.files == [FileStats("t", 3, 2, 1)]
