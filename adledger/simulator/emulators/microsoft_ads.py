"""Microsoft Advertising Reporting API (REST, v13) emulator: OAuth refresh, asynchronous report submit, poll
and a zipped CSV download.

Followed:
- SubmitGenerateReport / PollGenerateReport — https://learn.microsoft.com/en-us/advertising/reporting-service/submitgeneratereport
  and .../pollgeneratereport: `POST /Reporting/v13/GenerateReport/Submit` with `{"ReportRequest": {...}}` →
  `{"ReportRequestId"}`; `POST /Reporting/v13/GenerateReport/Poll` with `{"ReportRequestId"}` →
  `{"ReportRequestStatus": {"Status": "Pending"|"Success"|"Error", "ReportDownloadUrl"}}`. When a report has
  no rows the status is Success with a null download URL (as the real service does).
- Request headers: `Authorization: Bearer`, `DeveloperToken`, `CustomerId`, `CustomerAccountId`.
- Report types KeywordPerformanceReportRequest, AdPerformanceReportRequest, CampaignPerformanceReportRequest,
  AccountPerformanceReportRequest with `Aggregation` Daily/Summary, `Columns`, `Scope.AccountIds`,
  `Time.CustomDateRangeStart/End` `{Day, Month, Year}`; CSV with a UTF-8 BOM, quoted values, optional report
  header (Report Name, Report Time, Time Zone, ..., Rows) and the copyright footer unless excluded.
- OAuth: `POST /common/oauth2/v2.0/token` (Microsoft identity platform, refresh_token grant).
- Errors: `{"OperationErrors": [{"Code", "ErrorCode", "Message"}], "TrackingId", "Type": "ApiFaultDetail"}`
  (105 InvalidCredentials, 117 CallRateExceeded).

Spend is in the account currency; `TimePeriod` is the account-local date.
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
import threading
import zipfile
from datetime import date

from adledger.simulator.emulators.base import BaseApi
from adledger.simulator.emulators.http import ApiError, Request, Response

SOURCE = "microsoft_ads"
REPORT_KEYS = {
    "KeywordPerformanceReportRequest": ["account_id", "campaign_id", "adgroup_id", "keyword_id", "ad_id"],
    "AdPerformanceReportRequest": ["account_id", "campaign_id", "adgroup_id", "ad_id"],
    "CampaignPerformanceReportRequest": ["account_id", "campaign_id"],
    "AccountPerformanceReportRequest": ["account_id"],
}
#: report column -> (source column, kind)
COLUMNS = {
    "TimePeriod": ("date", "str"), "AccountId": ("account_id", "str"), "AccountName": ("account_name", "str"),
    "AccountNumber": ("account_number", "str"), "CampaignId": ("campaign_id", "str"),
    "CampaignName": ("campaign_name", "str"), "AdGroupId": ("adgroup_id", "str"), "AdGroupName": ("adgroup_name", "str"),
    "AdId": ("ad_id", "str"), "AdTitle": ("ad_name", "str"), "KeywordId": ("keyword_id", "str"),
    "Keyword": ("keyword_text", "str"), "BidMatchType": ("match_type", "match"), "DeliveredMatchType": ("match_type", "match"),
    "QualityScore": ("quality_score", "int"), "Impressions": ("impressions", "int"), "Clicks": ("clicks", "int"),
    "Spend": ("cost_micros", "money"), "Conversions": ("conversions", "int"), "Revenue": ("conversions_value", "money2"),
    "CurrencyCode": ("currency", "str"), "Ctr": ("ctr", "pct"), "AverageCpc": ("cpc", "money2"),
}
ID_COLUMNS = {"account_id": "AccountId", "campaign_id": "CampaignId", "adgroup_id": "AdGroupId", "ad_id": "AdId",
              "keyword_id": "KeywordId"}


def _error(status: int, code: int, error_code: str, message: str, headers: dict | None = None) -> Response:
    body = {"OperationErrors": [{"Code": code, "ErrorCode": error_code, "Message": message, "Details": None}],
            "BatchErrors": [], "TrackingId": hashlib.sha256(message.encode()).hexdigest()[:32], "Type": "ApiFaultDetail"}
    return Response.json_body(status, body, headers)


class Api(BaseApi):
    SOURCE = SOURCE

    def __init__(self, server):
        super().__init__(server)
        self.reports: dict[str, dict] = {}
        self._lock = threading.Lock()
        #: polls answered Pending before a report is ready
        self.pending_polls = 1

    def error(self, status: int, message: str, headers: dict | None = None) -> Response:
        if status == 429:
            return _error(429, 117, "CallRateExceeded", f"You have exceeded the number of calls allowed: {message}", headers)
        if status == 401:
            return _error(401, 105, "InvalidCredentials", message, headers)
        return _error(status, 0, "InternalError" if status >= 500 else "InvalidRequest", message, headers)

    def handle(self, req: Request) -> Response:
        if req.path == "/common/oauth2/v2.0/token" and req.method == "POST":
            return self._token(req)
        m = re.match(r"^/_reports/([0-9a-f]+)\.zip$", req.path)
        if m and req.method == "GET":
            return self._download(m.group(1))
        m = re.match(r"^/Reporting/v13/GenerateReport/(Submit|Poll)$", req.path)
        if not m or req.method != "POST":
            return _error(404, 0, "NotFound", f"no operation {req.method} {req.path}")
        self._authorize(req)
        body = req.json()
        if m.group(1) == "Submit":
            return self._submit(req, body.get("ReportRequest") or {})
        rid = str(body.get("ReportRequestId", ""))
        with self._lock:
            job = self.reports.get(rid)
            if job is None:
                return _error(400, 2100, "ReportingServiceInvalidReportId", f"ReportRequestId {rid!r} is not valid.")
            job["polls"] += 1
            ready = job["polls"] > self.pending_polls
        url = f"{req.base_url}/_reports/{rid}.zip" if ready and job["rows"] else None
        return Response.json_body(200, {"ReportRequestStatus": {"ReportDownloadUrl": url,
                                                                "Status": "Success" if ready else "Pending"}})

    def _token(self, req: Request) -> Response:
        f = req.form()
        if f.get("client_id") != self.creds["client_id"] or f.get("refresh_token") != self.creds["refresh_token"]:
            return Response.json_body(401, {"error": "invalid_grant", "error_description":
                                            "AADSTS70000: The provided refresh token or client id is invalid."})
        token = self.issue_token("EwB")
        return Response.json_body(200, {"token_type": "Bearer", "scope": "https://ads.microsoft.com/msads.manage",
                                        "expires_in": 3600, "ext_expires_in": 3600, "access_token": token,
                                        "refresh_token": self.creds["refresh_token"]})

    def _authorize(self, req: Request) -> None:
        if not self.bearer_ok(req):
            raise ApiError(self.error(401, "Authentication failed. Either supplied credentials are invalid or the "
                                           "account is inactive (get an access token from /common/oauth2/v2.0/token)."))
        if req.header("developertoken") != self.creds["developer_token"]:
            raise ApiError(_error(401, 105, "InvalidCredentials", "The DeveloperToken header is missing or invalid."))
        if req.header("customerid") != self.creds["customer_id"]:
            raise ApiError(_error(400, 1030, "InvalidCustomerId", "The CustomerId header is missing or invalid."))

    def _submit(self, req: Request, rr: dict) -> Response:
        kind = rr.get("Type", "")
        if kind not in REPORT_KEYS:
            return _error(400, 2001, "ReportingServiceInvalidReportType",
                          f"Type must be one of {', '.join(REPORT_KEYS)}")
        columns = rr.get("Columns") or []
        bad = [c for c in columns if c not in COLUMNS]
        if not columns or bad:
            return _error(400, 2010, "ReportingServiceInvalidReportColumns",
                          f"Columns are required and must be known; unknown: {bad}")
        accounts = [str(a) for a in (rr.get("Scope") or {}).get("AccountIds") or []]
        if not accounts or any(a not in self.creds["account_ids"] for a in accounts):
            return _error(400, 2020, "ReportingServiceInvalidAccountIdInScope", "Scope.AccountIds must list your accounts.")
        try:
            t = rr.get("Time") or {}
            start = date(**{k.lower(): int(v) for k, v in t["CustomDateRangeStart"].items()})
            end = date(**{k.lower(): int(v) for k, v in t["CustomDateRangeEnd"].items()})
        except (KeyError, TypeError, ValueError):
            return _error(400, 2030, "ReportingServiceInvalidCustomDateRange",
                          "Time.CustomDateRangeStart and CustomDateRangeEnd ({Day, Month, Year}) are required.")
        aggregation = rr.get("Aggregation", "Summary")
        if aggregation not in ("Daily", "Summary"):
            return _error(400, 2040, "ReportingServiceInvalidAggregation", "Aggregation must be Daily or Summary here.")
        csv_bytes, n_rows = self._csv(rr, kind, columns, accounts, start, end, aggregation)
        rid = hashlib.sha256(f"{req.body!r}{len(self.reports)}".encode()).hexdigest()[:20]
        with self._lock:
            self.reports[rid] = {"polls": 0, "rows": n_rows, "csv": csv_bytes, "name": rr.get("ReportName") or kind}
        return Response.json_body(200, {"ReportRequestId": rid})

    def _csv(self, rr: dict, kind: str, columns: list[str], accounts: list[str], start: date, end: date,
             aggregation: str) -> tuple[bytes, int]:
        frames = [self.world.delivery(SOURCE, a, start.isoformat(), end.isoformat()) for a in accounts]
        import pandas as pd

        df = pd.concat(frames) if frames else pd.DataFrame()
        keys = list(REPORT_KEYS[kind]) + (["date"] if aggregation == "Daily" else [])
        rows: list[list[str]] = []
        if not df.empty:
            first = {c: "first" for c in ("campaign_name", "adgroup_name", "ad_name", "keyword_text", "match_type",
                                          "quality_score", "currency") if c in df}
            g = df.groupby(keys, as_index=False, sort=True).agg(
                impressions=("impressions", "sum"), clicks=("clicks", "sum"), cost_micros=("cost_micros", "sum"),
                conversions=("conversions", "sum"), conversions_value=("conversions_value", "sum"),
                **{k: (k, v) for k, v in first.items()})
            for rec in g.to_dict("records"):
                acc = self.world.account(SOURCE, rec["account_id"])
                rec.update(account_name=acc["name"], account_number=f"F{rec['account_id'][-6:]}", currency=acc["currency"],
                           ctr=(rec["clicks"] / rec["impressions"] * 100) if rec["impressions"] else 0.0,
                           cpc=(rec["cost_micros"] / 1e6 / rec["clicks"]) if rec["clicks"] else 0.0)
                if aggregation != "Daily":
                    rec["date"] = f"{start.isoformat()} - {end.isoformat()}"
                rows.append([_fmt(rec, c) for c in columns])
        buf = io.StringIO()
        writer = csv.writer(buf, quoting=csv.QUOTE_ALL, lineterminator="\r\n")
        if not rr.get("ExcludeReportHeader"):
            tz = self.world.account(SOURCE, accounts[0])["timezone"]
            for line in (f"Report Name: {rr.get('ReportName') or kind}", "Report Time: generated by the emulator",
                         f"Time Zone: {tz}", f"Last Completed Available Day: {end.isoformat()}",
                         "Potential Incomplete Data: false", f"Rows: {len(rows)}"):
                writer.writerow([line])
            writer.writerow([])
        if not rr.get("ExcludeColumnHeaders"):
            writer.writerow(columns)
        writer.writerows(rows)
        if not rr.get("ExcludeReportFooter"):
            writer.writerow([])
            writer.writerow(["©2026 Microsoft Corporation. All rights reserved. "])
        return "\ufeff".encode() + buf.getvalue().encode("utf-8"), len(rows)

    def _download(self, rid: str) -> Response:
        with self._lock:
            job = self.reports.get(rid)
        if job is None or job["polls"] <= self.pending_polls:
            return Response(404, b"<Error><Code>BlobNotFound</Code></Error>", "application/xml")
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:
            info = zipfile.ZipInfo(f"{rid}.csv", date_time=(2026, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            z.writestr(info, job["csv"])
        return Response(200, buf.getvalue(), "application/x-zip-compressed")


def _fmt(rec: dict, column: str) -> str:
    col, kind = COLUMNS[column]
    v = rec.get(col)
    if v is None or (isinstance(v, float) and v != v):
        return ""
    if kind == "money":
        return f"{int(v) / 1_000_000:.2f}"
    if kind == "money2":
        return f"{float(v):.2f}"
    if kind == "pct":
        return f"{float(v):.2f}%"
    if kind == "int":
        return str(int(v))
    if kind == "match":
        return str(v).capitalize()
    return str(v)
