"""Google Ads: daily keyword performance from the Google Ads API (REST `googleAds:searchStream`, GAQL).

Table in `raw_google_ads`:

* `keyword_stats` — one row per customer × campaign × ad group × keyword (criterion) × customer-local date:
  impressions, clicks, `cost_micros` (account currency × 10^6), conversions, conversions value, with the
  customer's name, currency and time zone. Merged on that key; each run re-reads `lookback_days` before the
  newest loaded date so restated spend replaces the old rows.

Auth: OAuth 2.0 refresh token (`client_id`, `client_secret`, `refresh_token`) plus the `developer_token`, and
`login_customer_id` when the customers are reached through a manager account. `base_url` points elsewhere
(an emulator, a proxy) with `token_url` defaulting to `<base_url>/token` there.
"""

from __future__ import annotations

from typing import Iterator, List, Optional

import dlt
from dlt.sources import DltResource

from ingestion.common.auth import OAuthRefreshAuth
from ingestion.common.hints import daily_report_hints
from ingestion.common.session import ApiClient, token_endpoint
from ingestion.common.window import date_cursor, report_window
from ingestion.google_ads.api import (
    DEFAULT_API_VERSION,
    DEFAULT_BASE_URL,
    DEFAULT_TOKEN_URL,
    KEYWORD_STATS_FIELDS,
    KEYWORD_STATS_KEY,
    SECRET_KEYS,
    keyword_stats_query,
    list_accessible_customers,
    search_stream,
)

SOURCE = "google_ads"


@dlt.source(name=SOURCE, max_table_nesting=0)
def google_ads(
    developer_token: str = dlt.secrets.value,
    client_id: str = dlt.secrets.value,
    client_secret: str = dlt.secrets.value,
    refresh_token: str = dlt.secrets.value,
    login_customer_id: Optional[str] = None,
    customer_ids: Optional[List[str]] = None,
    base_url: str = DEFAULT_BASE_URL,
    token_url: Optional[str] = None,
    api_version: str = DEFAULT_API_VERSION,
    start_date: Optional[str] = None,
    end_date: Optional[str] = None,
    lookback_days: int = 3,
) -> DltResource:
    """Google Ads keyword performance by day.

    Args:
        developer_token, client_id, client_secret, refresh_token: API credentials (secrets).
        login_customer_id: manager account id sent as `login-customer-id`, if any.
        customer_ids: customers to report (digits, no dashes); default: every customer the credentials reach.
        base_url: API host (default Google's).
        token_url: OAuth token endpoint (default Google's; `<base_url>/token` when `base_url` is not Google's).
        api_version: API version path segment, e.g. `v21`.
        start_date: first customer-local date of a first run (YYYY-MM-DD; default 90 days ago).
        end_date: last date to load (inclusive); set it to backfill a range without moving the cursor.
        lookback_days: days before the newest loaded date that every run reloads (restatements).
    """
    headers = {"developer-token": developer_token}
    if login_customer_id:
        headers["login-customer-id"] = str(login_customer_id).replace("-", "")
    client = ApiClient(SOURCE, base_url, SECRET_KEYS)
    client.auth = OAuthRefreshAuth(
        SOURCE, client.session, token_endpoint(base_url, DEFAULT_BASE_URL, DEFAULT_TOKEN_URL, token_url),
        client_id, client_secret, refresh_token, SECRET_KEYS, extra_headers=headers,
    )
    ids = [str(c).replace("-", "") for c in customer_ids] if customer_ids else None
    return keyword_stats(client, api_version, ids,
                         date=date_cursor("date", start_date, end_date, lookback_days))


@dlt.resource(name="keyword_stats", **daily_report_hints(KEYWORD_STATS_KEY, "customer_id", "date",
                                                          dict(KEYWORD_STATS_FIELDS.values())))
def keyword_stats(
    client: ApiClient,
    api_version: str,
    customer_ids: Optional[list[str]],
    date=dlt.sources.incremental("date"),
) -> Iterator[list[dict]]:
    """Daily keyword metrics of every customer for the window of the `date` cursor (lookback included)."""
    since, until = report_window(date)
    query = keyword_stats_query(since, until)
    for customer_id in customer_ids or list_accessible_customers(client, api_version):
        yield from search_stream(client, api_version, customer_id, query)
