"""Pure parts of the API sources: report parsing, paging and date-window helpers, error wording."""

from __future__ import annotations

import datetime as dt
import io
import json
import zipfile

import pytest
from requests import Request, Response

from ingestion.affiliate.api import MAX_RANGE_DAYS, request_ranges
from ingestion.common.errors import (
    ApiRequestError,
    SourceAuthError,
    failure_of,
    raise_for_api_status,
    response_detail,
    secret_hint,
)
from ingestion.common.session import token_endpoint
from ingestion.common.window import cursor_bounds, next_day
from ingestion.esp.api import default_base_url, send_time_param
from ingestion.google_ads.api import flatten_row, keyword_stats_query
from ingestion.meta_ads.api import GraphCursorPaginator, account_path, insight_row
from ingestion.meta_ads.api import classify as meta_classify
from ingestion.microsoft_ads.api import keyword_report_request, parse_report
from ingestion.tiktok_ads.api import classify as tiktok_classify
from ingestion.tiktok_ads.api import date_chunks, report_row


def _response(status: int, body, url: str = "https://api.example.com/v1/things?access_token=SECRET") -> Response:
    response = Response()
    response.status_code = status
    response._content = json.dumps(body).encode() if not isinstance(body, bytes) else body
    response.url = url
    response.request = Request("GET", url).prepare()
    return response


# ------------------------------------------------------------------------------------------------ Google Ads
def test_a_google_row_is_flattened_with_zeros_for_omitted_metrics_and_integers_for_int64_strings():
    result = {
        "customer": {"resourceName": "customers/1", "id": "4820193746", "descriptiveName": "Shop US",
                     "currencyCode": "USD", "timeZone": "America/New_York"},
        "campaign": {"id": "21000000001", "name": "Brand"},
        "adGroup": {"id": "140000000001", "name": "Brand - Exact"},
        "adGroupCriterion": {"criterionId": "31000000001", "keyword": {"text": "example shop", "matchType": "EXACT"}},
        "metrics": {"impressions": "10", "clicks": "1", "costMicros": "530000"},
        "segments": {"date": "2026-01-01"},
    }
    row = flatten_row(result)
    assert row == {
        "date": "2026-01-01", "customer_id": "4820193746", "customer_name": "Shop US", "currency_code": "USD",
        "time_zone": "America/New_York", "campaign_id": "21000000001", "campaign_name": "Brand",
        "ad_group_id": "140000000001", "ad_group_name": "Brand - Exact", "criterion_id": "31000000001",
        "keyword_text": "example shop", "match_type": "EXACT", "impressions": 10, "clicks": 1,
        "cost_micros": 530000, "conversions": 0.0, "conversions_value": 0.0,
    }


def test_the_gaql_asks_for_keyword_view_between_two_dates():
    query = keyword_stats_query("2026-01-01", "2026-01-31")
    assert query.startswith("SELECT segments.date, customer.id, ")
    assert "metrics.cost_micros" in query and "ad_group_criterion.keyword.match_type" in query
    assert " FROM keyword_view WHERE segments.date BETWEEN '2026-01-01' AND '2026-01-31' " in query


# ------------------------------------------------------------------------------------------------ Microsoft
def _report_csv(header: bool, footer: bool, day: str) -> bytes:
    lines = []
    if header:
        lines += ['"Report Name: keywords"', '"Time Zone: (GMT-06:00) Central Time (US & Canada)"', '"Rows: 2"', ""]
    lines += ['"TimePeriod","AccountId","Spend","Impressions"',
              f'"{day}","180543210","1.25","10"', f'"{day}","180543210","0.00","3"']
    if footer:
        lines += ["", '"©2026 Microsoft Corporation. All rights reserved. "']
    return ("\ufeff" + "\r\n".join(lines) + "\r\n").encode()


@pytest.mark.parametrize("zipped", [True, False])
def test_a_microsoft_report_is_read_without_its_header_and_footer(zipped):
    payload = _report_csv(header=True, footer=True, day="1/5/2026")
    if zipped:
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("report.csv", payload)
        payload = buf.getvalue()
    rows = list(parse_report(payload))
    assert rows == [
        {"time_period": "2026-01-05", "account_id": "180543210", "spend": "1.25", "impressions": "10",
         "report_time_zone": "(GMT-06:00) Central Time (US & Canada)"},
        {"time_period": "2026-01-05", "account_id": "180543210", "spend": "0.00", "impressions": "3",
         "report_time_zone": "(GMT-06:00) Central Time (US & Canada)"},
    ]


def test_a_microsoft_report_without_header_has_no_time_zone():
    rows = list(parse_report(_report_csv(header=False, footer=False, day="2026-01-05")))
    assert [r["time_period"] for r in rows] == ["2026-01-05", "2026-01-05"]
    assert {r["report_time_zone"] for r in rows} == {None}


def test_the_microsoft_report_request_is_daily_for_one_account_and_an_inclusive_range():
    body = keyword_report_request("180543210", "2025-12-30", "2026-01-02")["ReportRequest"]
    assert body["Type"] == "KeywordPerformanceReportRequest" and body["Aggregation"] == "Daily"
    assert body["Scope"] == {"AccountIds": [180543210]}
    assert body["Time"] == {"CustomDateRangeStart": {"Day": 30, "Month": 12, "Year": 2025},
                            "CustomDateRangeEnd": {"Day": 2, "Month": 1, "Year": 2026}}
    assert body["Columns"][0] == "TimePeriod" and "Spend" in body["Columns"]


# ------------------------------------------------------------------------------------------------ Meta
def test_graph_paging_follows_after_only_while_there_is_a_next_link():
    paginator = GraphCursorPaginator()
    request = Request("GET", "https://graph.example/v21.0/act_1/insights", params={"limit": "2"})
    more = _response(200, {"data": [1, 2], "paging": {"cursors": {"after": "QQ"}, "next": "https://x?access_token=t"}})
    paginator.update_state(more, [1, 2])
    paginator.update_request(request)
    assert paginator.has_next_page and request.params["after"] == "QQ"
    last = _response(200, {"data": [3], "paging": {"cursors": {"before": "QQ", "after": "Qg"}}})
    paginator.update_state(last, [3])
    assert not paginator.has_next_page


def test_an_insight_row_lifts_the_chosen_action_type_and_keeps_the_account_zone():
    raw = {"account_id": "1", "ad_id": "9", "date_start": "2026-01-02", "date_stop": "2026-01-02", "spend": "5.5",
           "actions": [{"action_type": "link_click", "value": "4"}, {"action_type": "purchase", "value": "2"}],
           "action_values": [{"action_type": "purchase", "value": "80.00"}]}
    row = insight_row(raw, {"timezone_name": "Europe/London", "currency": "GBP"}, "purchase")
    assert row["conversions"] == "2" and row["conversion_value"] == "80.00"
    assert row["account_timezone"] == "Europe/London" and row["account_currency"] == "GBP"
    assert insight_row({"ad_id": "9"}, {}, "purchase")["conversions"] == "0"
    assert account_path("v21.0", "act_120") == account_path("v21.0", "120") == "/v21.0/act_120"


@pytest.mark.parametrize("status,code,kind", [(400, 190, "auth"), (400, 17, "retry"), (403, 4, "retry"),
                                              (400, 100, None), (200, None, None)])
def test_meta_errors_are_told_apart_by_their_code(status, code, kind):
    body = {"error": {"message": "m", "code": code}} if code else {"data": []}
    assert meta_classify(_response(status, body)) == kind


# ------------------------------------------------------------------------------------------------ TikTok
@pytest.mark.parametrize("code,kind", [(0, None), (40105, "auth"), (40100, "retry"), (50000, "retry"),
                                       (40002, "error")])
def test_tiktok_failures_hide_in_a_200_body(code, kind):
    response = _response(200, {"code": code, "message": "m", "data": {}})
    assert tiktok_classify(response) == kind
    assert failure_of(response, classify=tiktok_classify) == kind


def test_tiktok_ranges_are_cut_into_30_day_requests():
    chunks = list(date_chunks("2026-01-01", "2026-03-05"))
    assert chunks == [("2026-01-01", "2026-01-30"), ("2026-01-31", "2026-03-01"), ("2026-03-02", "2026-03-05")]
    assert list(date_chunks("2026-01-01", "2026-01-01")) == [("2026-01-01", "2026-01-01")]


def test_a_tiktok_entry_becomes_one_flat_row_with_its_date():
    entry = {"dimensions": {"ad_id": "5", "stat_time_day": "2026-01-03 00:00:00"}, "metrics": {"spend": "1.2"}}
    row = report_row(entry, "71", {"name": "Shop", "display_timezone": "Australia/Sydney"})
    assert row == {"advertiser_id": "71", "ad_id": "5", "stat_time_day": "2026-01-03 00:00:00", "spend": "1.2",
                   "stat_date": "2026-01-03", "advertiser_name": "Shop", "advertiser_timezone": "Australia/Sydney"}


# ------------------------------------------------------------------------------------------------ affiliate, ESP
def test_affiliate_requests_cover_the_window_with_margins_in_45_day_pieces():
    ranges = list(request_ranges("2026-01-01", "2026-03-31"))
    assert ranges[0][0] == "2025-12-31T00:00:00Z" and ranges[-1][1] == "2026-04-02T00:00:00Z"
    for (start, end), (following, _) in zip(ranges, ranges[1:]):
        assert end == following
    spans = [dt.datetime.fromisoformat(e.replace("Z", "+00:00")) - dt.datetime.fromisoformat(s.replace("Z", "+00:00"))
             for s, e in ranges]
    assert max(spans) <= dt.timedelta(days=MAX_RANGE_DAYS)


def test_the_esp_data_centre_comes_from_the_key_and_bounds_become_instants():
    assert default_base_url("abc-us21", None) == "https://us21.api.mailchimp.com"
    assert default_base_url("abc-us21", "us6") == "https://us6.api.mailchimp.com"
    assert send_time_param("2026-01-02T00:00:00+00:00") == "2026-01-02T00:00:00+00:00"
    moment = dt.datetime(2026, 1, 2, 10, 30, tzinfo=dt.timezone(dt.timedelta(hours=2)))
    assert send_time_param(moment) == "2026-01-02T08:30:00+00:00"


# ------------------------------------------------------------------------------------------------ common
def test_cursor_bounds_validate_the_range():
    assert cursor_bounds("2026-01-01", None, 3) == ("2026-01-01", None)
    assert cursor_bounds(None, None, 3) == (None, None)
    assert cursor_bounds(None, "2026-04-01", 3) == ("2026-01-01", "2026-04-01")  # 90 days before the end
    with pytest.raises(ValueError, match="before start_date"):
        cursor_bounds("2026-02-01", "2026-01-01", 3)
    with pytest.raises(ValueError, match="lookback_days"):
        cursor_bounds(None, None, -1)
    with pytest.raises(ValueError, match="not a date"):
        cursor_bounds("yesterday", None, 3)
    assert next_day("2026-02-28") == "2026-03-01"


def test_the_token_endpoint_follows_the_api_host():
    real = "https://oauth2.googleapis.com/token"
    assert token_endpoint("https://googleads.googleapis.com", "https://googleads.googleapis.com", real, None) == real
    assert token_endpoint("http://127.0.0.1:9/google_ads", "https://googleads.googleapis.com", real, None) == \
        "http://127.0.0.1:9/google_ads/token"
    assert token_endpoint("http://x", "https://y", real, "https://proxy/token") == "https://proxy/token"


@pytest.mark.parametrize("body,detail", [
    ({"error": {"code": 401, "message": "Request is missing credentials", "status": "UNAUTHENTICATED"}},
     "Request is missing credentials"),
    ({"error": "invalid_grant", "error_description": "Token has been expired or revoked."},
     "invalid_grant: Token has been expired or revoked."),
    ({"OperationErrors": [{"Code": 105, "Message": "Authentication failed."}]}, "Authentication failed."),
    ({"code": 40105, "message": "Access token is incorrect"}, "Access token is incorrect"),
    ({"type": "x", "title": "API Key Invalid", "status": 401, "detail": "Your API key may be invalid"},
     "Your API key may be invalid"),
    ({"Status": "ERROR", "Message": "Authentication failed"}, "Authentication failed"),
])
def test_each_platforms_error_text_is_found(body, detail):
    assert response_detail(_response(401, body)) == detail


def test_a_refused_credential_names_the_settings_and_never_the_query_string():
    with pytest.raises(SourceAuthError) as failure:
        raise_for_api_status("meta_ads", ("access_token",), _response(401, {"error": {"message": "bad token"}}))
    message = str(failure.value)
    assert "SOURCES__META_ADS__ACCESS_TOKEN" in message and "[sources.meta_ads]" in message
    assert "GET /v1/things" in message and "SECRET" not in message
    assert secret_hint("esp", ["api_key"]) == "set SOURCES__ESP__API_KEY (or api_key under [sources.esp] in .dlt/secrets.toml)"


@pytest.mark.parametrize("status,kind", [(503, "retry"), (429, "retry"), (404, "error"), (200, None)])
def test_statuses_decide_when_the_body_does_not(status, kind):
    response = _response(status, {"message": "m"})
    assert failure_of(response) == kind
    if kind is None:
        raise_for_api_status("esp", ("api_key",), response)
    else:
        with pytest.raises(ApiRequestError) as failure:
            raise_for_api_status("esp", ("api_key",), response)
        assert not isinstance(failure.value, SourceAuthError) and failure.value.status == status


def test_errors_survive_pickling_for_process_pools_and_orchestrators():
    import pickle

    from ingestion.pipelines import IngestError

    auth = pickle.loads(pickle.dumps(SourceAuthError("meta_ads", "meta_ads: refused")))
    assert isinstance(auth, SourceAuthError) and (auth.source, str(auth)) == ("meta_ads", "meta_ads: refused")
    failed = pickle.loads(pickle.dumps(IngestError("esp", "esp: HTTP 503")))
    assert (failed.source, str(failed)) == ("esp", "esp: HTTP 503")
