"""Microsoft Advertising: daily keyword performance from the Reporting API (asynchronous submit, poll, download).

Table in `raw_microsoft_ads`:

* `keyword_stats` — one row per account × campaign × ad group × keyword × ad × account-local day
  (`time_period`), from the KeywordPerformanceReport: impressions, clicks, spend and revenue (account currency),
  conversions, with names, `currency_code`, and the report's `Time Zone` as `report_time_zone`. Values keep the
  report's text; staging casts them. Merged on that key; each run re-reads `lookback_days` before the newest
  loaded day so restated spend replaces the old rows.

Auth: OAuth 2.0 refresh token on the Microsoft identity platform (`client_id`, `client_secret` for confidential
clients, `refresh_token`) plus `developer_token` and the manager `customer_id`. With `base_url` pointing elsewhere
(an emulator, a proxy) the token endpoint defaults to the same path on `base_url`.
"""

from __future__ import annotations

from typing import Iterator, List, Optional

import dlt
from dlt.sources import DltResource

from ingestion.common.auth import OAuthRefreshAuth
from ingestion.common.hints import daily_report_hints
from ingestion.common.session import ApiClient, token_endpoint
from ingestion.common.window import date_cursor, report_window
from ingestion.microsoft_ads.api import (
    DEFAULT_BASE_URL,
    DEFAULT_TOKEN_URL,
    KEYWORD_STATS_COLUMNS,
    KEYWORD_STATS_KEY,
    OAUTH_SCOPE,
    SECRET_KEYS,
    SOURCE,
    keyword_report_request,
    parse_report,
    run_report,
)


@dlt.source(name=SOURCE, max_table_nesting=0)
def microsoft_ads(
    developer_token: str = dlt.secrets.value,
    client_id: str = dlt.secrets.value,
    refresh_token: str = dlt.secrets.value,
    customer_id: str = dlt.config.value,
    account_ids: List[str] = dlt.config.value,
    client_secret: Optional[str] = dlt.secrets.value,
    base_url: str = DEFAULT_BASE_URL,
    token_url: Optional[str] = None,
    start_date: Optional[str] = None,
    end_date: Optional[str] = None,
    lookback_days: int = 3,
    poll_interval_seconds: float = 2.0,
    poll_timeout_seconds: float = 900.0,
) -> DltResource:
    """Microsoft Advertising keyword performance by day.

    Args:
        developer_token, client_id, refresh_token, client_secret: API credentials (secrets; the client secret
            only for confidential app registrations).
        customer_id: the manager customer id sent as `CustomerId`.
        account_ids: the ad accounts to report (`CustomerAccountId` and report scope).
        base_url: Reporting API host (default Microsoft's).
        token_url: OAuth token endpoint (default Microsoft identity platform's; see the module docstring).
        start_date: first account-local date of a first run (YYYY-MM-DD; default 90 days ago).
        end_date: last date to load (inclusive); set it to backfill a range without moving the cursor.
        lookback_days: days before the newest loaded date that every run reloads (restatements).
        poll_interval_seconds: first wait between report polls (doubles up to 30 s).
        poll_timeout_seconds: give up on a report still pending after this long.
    """
    client = ApiClient(SOURCE, base_url, SECRET_KEYS)
    client.auth = OAuthRefreshAuth(
        SOURCE, client.session, token_endpoint(base_url, DEFAULT_BASE_URL, DEFAULT_TOKEN_URL, token_url),
        client_id, client_secret, refresh_token, SECRET_KEYS, scope=OAUTH_SCOPE,
        extra_headers={"DeveloperToken": developer_token, "CustomerId": str(customer_id)},
    )
    return keyword_stats(client, [str(a) for a in account_ids], poll_interval_seconds, poll_timeout_seconds,
                         time_period=date_cursor("time_period", start_date, end_date, lookback_days))


@dlt.resource(name="keyword_stats",
              **daily_report_hints(KEYWORD_STATS_KEY, "account_id", "time_period", KEYWORD_STATS_COLUMNS))
def keyword_stats(
    client: ApiClient,
    account_ids: list[str],
    poll_interval: float,
    poll_timeout: float,
    time_period=dlt.sources.incremental("time_period"),
) -> Iterator[list[dict]]:
    """One daily KeywordPerformanceReport per account for the window of the `time_period` cursor."""
    since, until = report_window(time_period)
    for account_id in account_ids:
        payload = run_report(client, account_id, keyword_report_request(account_id, since, until),
                             poll_interval, poll_timeout)
        if payload:
            yield list(parse_report(payload))
