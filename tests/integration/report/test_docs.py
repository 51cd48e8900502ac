"""`adledger docs`: Great Expectations Data Docs from the project's suites, the dbt docs site, and the index."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path
from urllib.parse import unquote

import duckdb
import pytest
from typer.testing import CliRunner

from adledger.cli import app
from adledger.report.docs.gx_site import build_gx_docs
from expectations.suites import SUITES

EVENTS = [  # message_id, event_type, event_name, order_id, revenue
    ("m1", "page", None, None, None),
    ("m2", "track", "Order Completed", "o1", 40.0),
    ("m3", "bogus", None, None, None),  # not a Segment event type: the suite fails on it
    ("m4", "identify", None, None, None),
    ("m5", "track", "Order Completed", "o2", 10.0),
]


def _warehouse(path: Path) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with duckdb.connect(str(path)) as con:
        con.execute("create schema raw_tracker")
        con.execute("create table raw_tracker.events (message_id varchar, event_at timestamptz, event_type varchar, "
                    "event_name varchar, order_id varchar, revenue decimal(18,2))")
        con.executemany("insert into raw_tracker.events values (?, timestamptz '2026-01-01 10:00:00+00', ?, ?, ?, ?)",
                        EVENTS)
    return path


def _links(page: Path) -> list[Path]:
    return [page.parent / unquote(h) for h in re.findall(r'href="([^"#]+)"', page.read_text(encoding="utf-8"))]


def test_data_docs_validate_each_batch_and_render_the_failures(tmp_path):
    spec = dataclasses.replace(SUITES["raw_tracker_events"], batch_rows=3)  # 5 rows: two batches
    missing = dataclasses.replace(spec, name="not_loaded", asset=("raw_esp", "sends"))
    index, runs = build_gx_docs(_warehouse(tmp_path / "w.duckdb"), tmp_path / "gx",
                                {spec.name: spec, missing.name: missing})
    tracker, not_loaded = runs
    assert (tracker.validations, tracker.rows, tracker.success) == (3, 5, False)  # 2 row batches + the daily volume
    assert not_loaded.note == "raw_esp.sends is not in the warehouse yet" and not not_loaded.validations
    pages = list((tmp_path / "gx" / "validations").rglob("*.html"))
    assert len(pages) == 3
    assert any("bogus" in p.read_text(encoding="utf-8") for p in pages)
    assert (tmp_path / "gx" / "expectations" / "raw_tracker_events.html").exists()
    assert index == tmp_path / "gx" / "index.html" and "raw_tracker_events" in index.read_text(encoding="utf-8")


@pytest.mark.slow
def test_docs_command_builds_both_sites_and_links_them(adledger_env):
    _warehouse(adledger_env / "warehouse.duckdb")
    result = CliRunner().invoke(app, ["docs"])
    assert result.exit_code == 0, result.output
    assert "suite raw_tracker_events on raw_tracker.events: 5 rows, failed" in result.output
    index = adledger_env / "docs" / "index.html"
    dbt_entry, gx_entry = _links(index)[:2]
    assert dbt_entry == adledger_env / "docs" / "dbt" / "static_index.html" and dbt_entry.exists()
    assert gx_entry == adledger_env / "docs" / "gx" / "index.html" and gx_entry.exists()
    assert "mart_channel_performance_daily" in dbt_entry.read_text(encoding="utf-8")  # the manifest is inlined
    assert sorted(p.name for p in dbt_entry.parent.iterdir()) == ["catalog.json", "index.html", "manifest.json",
                                                                  "static_index.html"]


def test_docs_command_without_a_warehouse_says_what_to_run(adledger_env):
    result = CliRunner().invoke(app, ["docs"])
    assert result.exit_code == 1 and "adledger demo" in result.output
    assert CliRunner().invoke(app, ["docs", "--only", "sphinx"]).exit_code == 2
