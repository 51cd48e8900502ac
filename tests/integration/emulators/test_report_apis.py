"""Microsoft Ads asynchronous reports, the affiliate network's actions and the ESP's campaign reports."""

from __future__ import annotations

import csv
import io
import zipfile
from decimal import Decimal

import pandas as pd

from tests.integration.emulators.client import basic, call, microsoft_headers

COLUMNS = ["TimePeriod", "AccountId", "CampaignId", "AdGroupId", "KeywordId", "Keyword", "AdId", "Impressions",
           "Clicks", "Spend", "CurrencyCode"]


def _report_request(account_id: str, start: tuple[int, int, int], end: tuple[int, int, int], **extra) -> dict:
    return {"ReportRequest": {
        "Type": "KeywordPerformanceReportRequest", "Aggregation": "Daily", "Columns": COLUMNS, "Format": "Csv",
        "Scope": {"AccountIds": [int(account_id)]}, "ExcludeReportHeader": True, "ExcludeReportFooter": True,
        "Time": {"CustomDateRangeStart": dict(zip(("Year", "Month", "Day"), start)),
                 "CustomDateRangeEnd": dict(zip(("Year", "Month", "Day"), end))}, **extra}}


def test_microsoft_report_submit_poll_download(emulators, emulator_world):
    base = emulators.base_url("microsoft_ads")
    headers = microsoft_headers(emulators)
    account = emulators.credentials["microsoft_ads"]["account_ids"][0]
    rid = call(f"{base}/Reporting/v13/GenerateReport/Submit", _report_request(account, (2026, 1, 1), (2026, 1, 7)),
               headers).json()["ReportRequestId"]
    statuses = []
    while True:
        status = call(f"{base}/Reporting/v13/GenerateReport/Poll", {"ReportRequestId": rid}, headers).json()
        statuses.append(status["ReportRequestStatus"]["Status"])
        if statuses[-1] == "Success":
            break
    assert statuses == ["Pending", "Success"]
    archive = call(status["ReportRequestStatus"]["ReportDownloadUrl"])
    assert archive.status == 200
    with zipfile.ZipFile(io.BytesIO(archive.body)) as z:
        text = z.read(z.namelist()[0]).decode("utf-8-sig")
    rows = list(csv.DictReader(io.StringIO(text)))
    d = pd.read_parquet(emulator_world / "platforms" / "delivery.parquet")
    d = d[(d["platform"] == "microsoft_ads") & (d["date"] >= "2026-01-01") & (d["date"] <= "2026-01-07")]
    assert len(rows) == len(d.groupby(["keyword_id", "ad_id", "date"]))
    assert sum(Decimal(r["Spend"]) for r in rows) == Decimal(int(d["cost_micros"].sum())) / 1_000_000
    assert {r["CurrencyCode"] for r in rows} == {"USD"} and list(rows[0]) == COLUMNS


def test_microsoft_empty_report_and_bad_credentials(emulators):
    base = emulators.base_url("microsoft_ads")
    headers = microsoft_headers(emulators)
    account = emulators.credentials["microsoft_ads"]["account_ids"][0]
    rid = call(f"{base}/Reporting/v13/GenerateReport/Submit", _report_request(account, (2027, 1, 1), (2027, 1, 2)),
               headers).json()["ReportRequestId"]
    for _ in range(2):
        last = call(f"{base}/Reporting/v13/GenerateReport/Poll", {"ReportRequestId": rid}, headers).json()
    assert last == {"ReportRequestStatus": {"ReportDownloadUrl": None, "Status": "Success"}}
    r = call(f"{base}/Reporting/v13/GenerateReport/Submit", _report_request(account, (2026, 1, 1), (2026, 1, 2)),
             headers | {"Authorization": "Bearer expired"})
    assert r.status == 401 and r.json()["OperationErrors"][0]["ErrorCode"] == "InvalidCredentials"


def test_affiliate_actions_page_through_all_credited_orders(emulators, emulator_world):
    creds = emulators.credentials["affiliate"]
    auth = basic(creds["account_sid"], creds["auth_token"]) | {"Accept": "application/json"}
    base = emulators.base_url("affiliate")
    uri = f"/Advertisers/{creds['account_sid']}/Actions?ActionDateStart=2026-01-01T00:00:00Z&ActionDateEnd=2026-02-01T00:00:00Z&PageSize=3"
    actions, pages = [], 0
    while uri:
        page = call(base + uri, headers=auth).json()
        actions += page["Actions"]
        pages += 1
        uri = page["@nextpageuri"]
    truth = pd.read_parquet(emulator_world / "platforms" / "affiliate_actions.parquet")
    assert len(actions) == len(truth) == int(page["@total"]) and pages == int(page["@numpages"])
    assert {a["Oid"] for a in actions} == set(truth["order_id"])
    assert sum(Decimal(a["Payout"]) for a in actions) == Decimal(str(round(truth["payout"].sum(), 2)))
    assert all(a["EventDate"][-6:] in ("-05:00", "-04:00") for a in actions)
    r = call(base + f"/Advertisers/{creds['account_sid']}/Actions", headers=basic(creds["account_sid"], "wrong"))
    assert r.status == 401 and "AuthToken" in r.json()["Message"]


def test_esp_reports_and_api_key_auth(emulators, emulator_world):
    key = emulators.credentials["esp"]["api_key"]
    base = emulators.base_url("esp")
    first = call(f"{base}/3.0/reports", headers=basic("anystring", key), params={"count": 2}).json()
    rest = call(f"{base}/3.0/reports", headers={"Authorization": f"Bearer {key}"},
                params={"count": 1000, "offset": 2}).json()
    reports = first["reports"] + rest["reports"]
    truth = pd.read_parquet(emulator_world / "platforms" / "esp_campaigns.parquet")
    assert first["total_items"] == len(truth) == len(reports)
    assert sum(r["emails_sent"] for r in reports) == int(truth["emails_sent"].sum())
    one = call(f"{base}/3.0/reports/{reports[0]['id']}", headers=basic("x", key)).json()
    assert one["clicks"]["unique_clicks"] == reports[0]["clicks"]["unique_clicks"]
    r = call(f"{base}/3.0/reports", headers=basic("x", "bad-key"))
    assert r.status == 401 and r.json()["title"] == "API Key Invalid"
