"""TikTok API for Business: advertiser info and the synchronous integrated report per ad and day.

Followed: TikTok API for Business, Reporting → "Create a synchronous report"
(`GET /open_api/v1.3/report/integrated/get/`: `advertiser_id`, `report_type=BASIC`, `data_level=AUCTION_AD`,
`dimensions=["ad_id","stat_time_day"]`, `metrics`, `start_date`/`end_date` in the advertiser's time zone, at
most 30 days per request with `stat_time_day`, `page`/`page_size` ≤ 1000, `data.page_info.total_page`; metric
values are strings, `stat_time_day` is `YYYY-MM-DD 00:00:00`), `GET /open_api/v1.3/advertiser/info/`
(`name`, `currency`, `timezone`/`display_timezone`), auth by the `Access-Token` header. Errors come as
`{"code": <non-zero>, "message"}`, often with HTTP 200 (40105 invalid token, 40100 rate limit, 50000 system
error) — see https://business-api.tiktok.com/portal/docs?id=1737172488964097 (return codes).
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Iterator, Optional

from requests import Response

from dlt.sources.helpers.rest_client.paginators import PageNumberPaginator

from ingestion.common.errors import Failure
from ingestion.common.session import ApiClient

SOURCE = "tiktok_ads"
DEFAULT_BASE_URL = "https://business-api.tiktok.com"
SECRET_KEYS = ("access_token",)
API = "/open_api/v1.3"
MAX_DAYS_PER_REQUEST = 30

METRICS = ("campaign_id", "campaign_name", "adgroup_id", "adgroup_name", "ad_name", "currency", "spend",
           "impressions", "clicks", "conversion", "complete_payment")
#: raw column -> dlt data type; metric values keep the API's strings (staging casts them)
AD_REPORT_COLUMNS = {
    "stat_date": "date", "stat_time_day": "text", "advertiser_id": "text", "advertiser_name": "text",
    "advertiser_timezone": "text", "ad_id": "text", **{m: "text" for m in METRICS},
}
#: one row per advertiser × ad × advertiser-local day
AD_REPORT_KEY = ("advertiser_id", "ad_id", "stat_date")

AUTH_CODES = frozenset({40001, 40102, 40104, 40105})
RETRY_CODES = frozenset({40100, 50000, 50002})


def classify(response: Response) -> Optional[Failure]:
    """The failure a TikTok body reports in `code` (0 is success), whatever the HTTP status."""
    try:
        code = response.json().get("code")
    except (ValueError, AttributeError):
        return None
    if code in (None, 0):
        return None
    if code in AUTH_CODES:
        return "auth"
    return "retry" if code in RETRY_CODES else "error"


def advertisers(client: ApiClient, advertiser_ids: list[str]) -> dict[str, dict]:
    """`{advertiser_id: {"name", "currency", "timezone", ...}}` from advertiser/info."""
    body = client.get_json(f"{API}/advertiser/info/", params={"advertiser_ids": json.dumps(advertiser_ids)})
    return {str(a["advertiser_id"]): a for a in (body.get("data") or {}).get("list", [])}


def date_chunks(since: str, until: str, days: int = MAX_DAYS_PER_REQUEST) -> Iterator[tuple[str, str]]:
    """Consecutive inclusive `(start, end)` ranges of at most `days` days covering [since, until]."""
    start, last = dt.date.fromisoformat(since), dt.date.fromisoformat(until)
    while start <= last:
        end = min(start + dt.timedelta(days=days - 1), last)
        yield start.isoformat(), end.isoformat()
        start = end + dt.timedelta(days=1)


def ad_report_pages(client: ApiClient, advertiser_id: str, since: str, until: str,
                    page_size: int) -> Iterator[list[dict]]:
    """Report entries (`{"dimensions", "metrics"}`) per ad and day of one advertiser, by page."""
    for start, end in date_chunks(since, until):
        params = {
            "advertiser_id": advertiser_id, "report_type": "BASIC", "data_level": "AUCTION_AD",
            "dimensions": json.dumps(["ad_id", "stat_time_day"]), "metrics": json.dumps(list(METRICS)),
            "start_date": start, "end_date": end, "page_size": str(page_size),
        }
        paginator = PageNumberPaginator(base_page=1, page=1, page_param="page",
                                        total_path="data.page_info.total_page")
        for page in client.paginate(f"{API}/report/integrated/get/", params=params, paginator=paginator,
                                    data_selector="data.list"):
            yield list(page)


def report_row(entry: dict, advertiser_id: str, advertiser: dict) -> dict:
    """One flat row: dimensions, metrics, the advertiser's name and time zone and `stat_date` (YYYY-MM-DD)."""
    row = {"advertiser_id": advertiser_id, **entry.get("dimensions", {}), **entry.get("metrics", {})}
    row["stat_date"] = row["stat_time_day"][:10]
    row["advertiser_name"] = advertiser.get("name")
    row["advertiser_timezone"] = advertiser.get("display_timezone") or advertiser.get("timezone")
    return row
