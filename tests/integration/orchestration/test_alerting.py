"""Alerts reach a real HTTP receiver and a real SMTP server, name what failed, and are recorded without secrets."""

from __future__ import annotations

import logging

import duckdb
import pytest

from adledger.config import settings
from dagster_project.defs.alerts.anomalies import alert_new_anomalies
from dagster_project.lib.alerting import Alert, flush_spool, send_alert
from tests.integration.orchestration.receivers import SMTP_PASSWORD, text_of

CHECK_ALERT = Alert(
    kind="check_failure",
    title="adledger: check gx_raw_tracker_events failed on raw_tracker/events",
    asset="raw_tracker/events",
    check="gx_raw_tracker_events",
    run_id="0f1e2d3c-aaaa-bbbb-cccc-123456789abc",
    details=("- expect_column_values_to_be_in_set on event_type: 1 unexpected (e.g. bogus)",),
    hint="Fix the source data, then rerun: adledger materialize --select 'key:raw_tracker/events+'",
)
LINK = "http://127.0.0.1:3000/runs/0f1e2d3c-aaaa-bbbb-cccc-123456789abc"


def _alerts() -> list[dict]:
    with duckdb.connect(str(settings().warehouse), read_only=True) as con:
        cur = con.execute("select * from quality.alerts order by created_at, target")
        names = [d[0] for d in cur.description]
        return [dict(zip(names, row)) for row in cur.fetchall()]


def test_alert_reaches_http_and_smtp_and_every_delivery_is_recorded(adledger_env, http_receiver, smtp_receiver,
                                                                   caplog):
    caplog.set_level(logging.DEBUG)
    token = "hook-token-9f8e7d6c5b4a"
    urls = [http_receiver.url(f"/hooks/{token}", userinfo=f"svc:{token}"), smtp_receiver.url()]

    deliveries = send_alert(CHECK_ALERT, urls=urls)

    assert [d.status for d in deliveries] == ["sent", "sent"]
    (path, posted), = http_receiver.wait(1)
    assert path == f"/hooks/{token}"
    assert posted["title"] == CHECK_ALERT.title and posted["type"] == "failure"
    for text in (posted["message"], text_of(smtp_receiver.wait(1)[0])):
        assert "raw_tracker/events" in text
        assert "gx_raw_tracker_events" in text
        assert LINK in text
        assert "adledger materialize --select 'key:raw_tracker/events+'" in text
        assert "expect_column_values_to_be_in_set on event_type" in text
    assert smtp_receiver.logins == [("alerts", True)]
    rows = _alerts()
    assert len(rows) == 2 and {r["status"] for r in rows} == {"sent"}
    assert len({r["alert_id"] for r in rows}) == 1
    assert {r["kind"] for r in rows} == {"check_failure"}
    assert {(r["asset"], r["check_name"], r["run_id"], r["link"]) for r in rows} == {
        ("raw_tracker/events", "gx_raw_tracker_events", CHECK_ALERT.run_id, LINK)}
    stored = repr(rows)
    assert token not in stored and SMTP_PASSWORD not in stored
    assert f"sent to json://svc:****@127.0.0.1:{http_receiver.port}/****" in caplog.text
    assert token not in caplog.text and SMTP_PASSWORD not in caplog.text
    assert {r["target"].split("://")[0] for r in rows} == {"json", "mailto"}


def test_a_failed_delivery_is_recorded_with_its_error_and_no_secret(adledger_env, smtp_receiver, caplog):
    caplog.set_level(logging.DEBUG)
    deliveries = send_alert(CHECK_ALERT, urls=[smtp_receiver.url(password="wrong-password-1234") + "&cto=2",
                                               "json://127.0.0.1:9/closed-port-token-abcdef"])

    assert [d.status for d in deliveries] == ["failed", "failed"]
    rows = _alerts()
    assert [r["status"] for r in rows] == ["failed", "failed"]
    assert all(r["error"] for r in rows)
    stored = repr(rows)
    assert "wrong-password-1234" not in stored and "closed-port-token-abcdef" not in stored
    assert "not delivered" in caplog.text  # our own log says what failed, where (masked), and why
    assert "wrong-password-1234" not in caplog.text and "closed-port-token-abcdef" not in caplog.text


def test_no_target_still_records_the_alert(adledger_env, monkeypatch):
    monkeypatch.delenv("ADLEDGER_ALERT_URLS", raising=False)
    monkeypatch.delenv("ALERTS__URLS", raising=False)

    deliveries = send_alert(CHECK_ALERT)

    assert [(d.status, d.target) for d in deliveries] == [("no_target", None)]
    assert [(r["status"], r["check_name"]) for r in _alerts()] == [("no_target", "gx_raw_tracker_events")]


def _urls_seen_by_a_fresh_process(cwd, env_urls: str | None) -> list[str]:
    """alert_urls() in a new process started in `cwd`, as `dagster-daemon` or `adledger demo` would run."""
    import json
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if k not in ("ADLEDGER_ALERT_URLS", "ALERTS__URLS")}
    if env_urls is not None:
        env["ADLEDGER_ALERT_URLS"] = env_urls
    proc = subprocess.run([sys.executable, "-c", "import json; from dagster_project.lib.alerting import alert_urls; "
                                                 "print(json.dumps(alert_urls()))"],
                          cwd=cwd, env=env, capture_output=True, text=True, timeout=60, check=True)
    return json.loads(proc.stdout)


def test_targets_come_from_env_or_dlt_config(adledger_env):
    project = adledger_env.parent  # adledger_env runs the test in tmp_path, like a project directory
    (project / ".dlt").mkdir()
    (project / ".dlt" / "secrets.toml").write_text('[alerts]\nurls = ["json://127.0.0.1:1/from-secrets", '
                                                   '"mailto://u:p@127.0.0.1:2?to=a@b.test"]\n')

    assert _urls_seen_by_a_fresh_process(project, None) == ["json://127.0.0.1:1/from-secrets",
                                                            "mailto://u:p@127.0.0.1:2?to=a@b.test"]
    assert _urls_seen_by_a_fresh_process(project, "json://h/a  json://h/b\n") == ["json://h/a", "json://h/b"]
    assert _urls_seen_by_a_fresh_process(project, "") == []  # set but empty: alerting switched off


def test_rows_wait_in_a_spool_while_the_warehouse_is_locked(adledger_env, monkeypatch, http_receiver):
    import subprocess
    import sys

    import dagster_project.lib.alerting as alerting

    monkeypatch.setattr(alerting, "LOCK_WAIT_SECONDS", 0.5)
    warehouse = settings().warehouse
    warehouse.parent.mkdir(parents=True, exist_ok=True)
    holder = subprocess.Popen(
        [sys.executable, "-c", "import duckdb, sys; c = duckdb.connect(sys.argv[1]); print('locked', flush=True); "
                               "sys.stdin.read()", str(warehouse)],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        deliveries = send_alert(CHECK_ALERT, urls=[http_receiver.url()])
        assert [d.status for d in deliveries] == ["sent"]  # sending does not wait for the warehouse
        assert (adledger_env / "alerts_pending.jsonl").exists()
    finally:
        holder.communicate("", timeout=30)
    assert flush_spool() == 1
    assert not (adledger_env / "alerts_pending.jsonl").exists()
    assert [(r["status"], r["check_name"]) for r in _alerts()] == [("sent", "gx_raw_tracker_events")]


def test_anomaly_alert_lists_the_new_rows_most_severe_first(adledger_env, http_receiver, monkeypatch):
    monkeypatch.setenv("ADLEDGER_ALERT_URLS", http_receiver.url())
    rows = [
        {"anomaly_id": "a1", "anomaly_type": "spend_spike", "scope": "google_ads / brand", "severity": "medium",
         "start_date": "2026-01-05", "end_date": "2026-01-06", "evidence": "spend 3.1x the Tuesday median",
         "money_at_stake": 1234.5, "status": "open"},
        {"anomaly_id": "a2", "anomaly_type": "tracking_outage", "scope": "all channels", "severity": "high",
         "start_date": "2026-01-06", "evidence": "conversions 0 while spend continues", "money_at_stake": 99.0},
        {"anomaly_id": "a3", "type": "click_injection", "scope": "affiliate / network-7", "severity": "high",
         "money_at_stake": 870.0},
    ]

    deliveries = alert_new_anomalies(rows, run_id="run-42")

    assert [d.status for d in deliveries] == ["sent"]
    (_, posted), = http_receiver.wait(1)
    assert posted["title"] == "adledger: 3 new anomalies (2 high, 1 medium) in marts.mart_anomalies"
    lines = posted["message"].splitlines()
    listed = [line for line in lines if line.startswith("- [")]
    assert listed == [
        "- [high] click_injection on affiliate / network-7 at stake 870.00 [id a3]",
        "- [high] tracking_outage on all channels (2026-01-06) at stake 99.00 — conversions 0 while spend continues "
        "[id a2]",
        "- [medium] spend_spike on google_ads / brand (2026-01-05 → 2026-01-06) at stake 1,234.50 — spend 3.1x the "
        "Tuesday median [id a1]",
    ]
    assert "asset: marts/mart_anomalies" in lines
    assert "link: http://127.0.0.1:3000/runs/run-42" in lines
    assert any(line.startswith("what to do: Review them in marts.mart_anomalies") for line in lines)
    assert [(r["kind"], r["asset"], r["severity"]) for r in _alerts()] == [("anomaly", "marts/mart_anomalies", "error")]
    assert alert_new_anomalies([]) == []
    with pytest.raises(ValueError, match="anomaly_type"):
        alert_new_anomalies([{"scope": "x"}])
