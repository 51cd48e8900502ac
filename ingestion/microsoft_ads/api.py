"""Microsoft Advertising Reporting API (REST, v13): submit a keyword performance report, poll it, download the
zipped CSV and parse it.

Followed: https://learn.microsoft.com/advertising/reporting-service/submitgeneratereport and
.../pollgeneratereport (`POST /Reporting/v13/GenerateReport/Submit` → `ReportRequestId`, `POST .../Poll` →
`ReportRequestStatus.Status` Pending | Success | Error with `ReportDownloadUrl`, null when the report has no
rows), https://learn.microsoft.com/advertising/reporting-service/keywordperformancereportrequest and
https://learn.microsoft.com/advertising/guides/request-download-report (headers `Authorization: Bearer`,
`DeveloperToken`, `CustomerId`, `CustomerAccountId`; CSV with a UTF-8 BOM, a report header with `Time Zone`,
column headers, and a copyright footer).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import time
import zipfile
from typing import Iterator

from ingestion.common.errors import ApiRequestError
from ingestion.common.session import ApiClient, json_of

SOURCE = "microsoft_ads"
DEFAULT_BASE_URL = "https://reporting.api.bingads.microsoft.com"
DEFAULT_TOKEN_URL = "https://login.microsoftonline.com/common/oauth2/v2.0/token"
OAUTH_SCOPE = "https://ads.microsoft.com/msads.manage offline_access"
SECRET_KEYS = ("developer_token", "client_id", "client_secret", "refresh_token")

#: KeywordPerformanceReport columns requested, in order (each becomes a snake_case column of keyword_stats)
KEYWORD_REPORT_COLUMNS = (
    "TimePeriod", "AccountId", "AccountName", "CampaignId", "CampaignName", "AdGroupId", "AdGroupName", "AdId",
    "KeywordId", "Keyword", "BidMatchType", "CurrencyCode", "Impressions", "Clicks", "Spend", "Conversions",
    "Revenue",
)
#: raw column -> dlt data type (money and counts stay the report's text; staging casts them)
KEYWORD_STATS_COLUMNS = {
    "time_period": "date", "account_id": "text", "account_name": "text", "campaign_id": "text",
    "campaign_name": "text", "ad_group_id": "text", "ad_group_name": "text", "ad_id": "text", "keyword_id": "text",
    "keyword": "text", "bid_match_type": "text", "currency_code": "text", "impressions": "text", "clicks": "text",
    "spend": "text", "conversions": "text", "revenue": "text", "report_time_zone": "text",
}
#: one row per account × campaign × ad group × keyword × ad × account-local day
KEYWORD_STATS_KEY = ("account_id", "campaign_id", "ad_group_id", "keyword_id", "ad_id", "time_period")


def keyword_report_request(account_id: str, since: str, until: str) -> dict:
    """The `ReportRequest` body of a daily KeywordPerformanceReport for one account (dates inclusive)."""

    def day(iso: str) -> dict:
        d = dt.date.fromisoformat(iso)
        return {"Day": d.day, "Month": d.month, "Year": d.year}

    return {"ReportRequest": {
        "Type": "KeywordPerformanceReportRequest",
        "ReportName": f"adledger keyword performance {account_id} {since}..{until}",
        "Format": "Csv",
        "FormatVersion": "2.0",
        "Aggregation": "Daily",
        "ExcludeReportHeader": False,  # its "Time Zone" line is the only place the account's zone is reported
        "ExcludeReportFooter": True,
        "ExcludeColumnHeaders": False,
        "ReturnOnlyCompleteData": False,
        "Columns": list(KEYWORD_REPORT_COLUMNS),
        "Scope": {"AccountIds": [int(account_id)]},
        "Time": {"CustomDateRangeStart": day(since), "CustomDateRangeEnd": day(until)},
    }}


def run_report(client: ApiClient, account_id: str, body: dict, poll_interval: float, poll_timeout: float) -> bytes | None:
    """Submit `body`, poll until it is ready and return the downloaded file (None: the report has no rows)."""
    headers = {"CustomerAccountId": str(account_id)}
    submitted = json_of(SOURCE, client.post("/Reporting/v13/GenerateReport/Submit", json=body, headers=headers))
    request_id = submitted.get("ReportRequestId")
    if not request_id:
        raise ApiRequestError(SOURCE, f"{SOURCE}: Submit returned no ReportRequestId: {submitted}")
    deadline = time.monotonic() + poll_timeout
    wait = poll_interval
    while True:
        polled = json_of(SOURCE, client.post("/Reporting/v13/GenerateReport/Poll",
                                             json={"ReportRequestId": request_id}, headers=headers))
        status = (polled.get("ReportRequestStatus") or {})
        if status.get("Status") == "Success":
            url = status.get("ReportDownloadUrl")
            # the download URL is pre-signed (SAS): no credentials, and never logged or quoted
            return client.session.get(url).content if url else None
        if status.get("Status") != "Pending":
            raise ApiRequestError(SOURCE,
                                  f"{SOURCE}: report {request_id} for account {account_id} ended with status "
                                  f"{status.get('Status')!r}")
        if time.monotonic() + wait > deadline:
            raise ApiRequestError(SOURCE,
                                  f"{SOURCE}: report {request_id} for account {account_id} still pending after "
                                  f"{poll_timeout:.0f} s; raise poll_timeout_seconds or rerun later")
        time.sleep(wait)
        wait = min(wait * 2, 30.0)


def parse_report(payload: bytes) -> Iterator[dict]:
    """Rows of a downloaded report (a ZIP holding one CSV, or the CSV itself) as dicts with snake_case keys.

    Skips the report header (keeping its `Time Zone` as `report_time_zone`) and the copyright footer; `TimePeriod`
    becomes ISO `YYYY-MM-DD` whether the file writes `2026-01-05` or `1/5/2026`.
    """
    if payload[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(payload)) as archive:
            payload = archive.read(archive.namelist()[0])
    text = payload.decode("utf-8-sig")
    reader = csv.reader(io.StringIO(text))
    time_zone = None
    header: list[str] | None = None
    for record in reader:
        if header is None:
            if len(record) == 1 and record[0].startswith("Time Zone:"):
                time_zone = record[0].split(":", 1)[1].strip()
            if len(record) > 1 and "TimePeriod" in record:
                header = [_snake(c) for c in record]
            continue
        if len(record) != len(header):  # blank separator or the "©... Microsoft Corporation" footer
            continue
        row = dict(zip(header, record))
        row["time_period"] = _iso_day(row["time_period"])
        row["report_time_zone"] = time_zone
        yield row


def _snake(name: str) -> str:
    out = []
    for i, ch in enumerate(name):
        if ch.isupper() and i and (not name[i - 1].isupper() or (i + 1 < len(name) and name[i + 1].islower())):
            out.append("_")
        out.append(ch.lower())
    return "".join(out)


def _iso_day(value: str) -> str:
    if "/" in value:
        month, day, year = (int(x) for x in value.split("/"))
        return dt.date(year, month, day).isoformat()
    return dt.date.fromisoformat(value[:10]).isoformat()
