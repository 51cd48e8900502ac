"""Meta (Facebook/Instagram) ads: daily performance per ad from the Marketing API's Ads Insights.

Table in `raw_meta_ads`:

* `ad_insights` — one row per ad account × ad × account-local day (`date_start`): impressions, clicks, spend
  (account currency, the API's decimal strings), conversions and conversion value of `conversion_action_type`
  (default `purchase`; the full `actions`/`action_values` lists are kept as JSON), with campaign, ad set and ad
  names and the account's currency and time zone. Merged on that key; each run re-reads `lookback_days` before
  the newest loaded day so restated spend replaces the old rows.

Auth: a system-user or long-lived user `access_token` with `ads_read`, sent as a bearer token.
"""

from __future__ import annotations

from typing import Iterator, List, Optional

import dlt
from dlt.sources import DltResource

from ingestion.common.auth import HeaderAuth
from ingestion.common.hints import daily_report_hints
from ingestion.common.session import ApiClient
from ingestion.common.window import date_cursor, report_window
from ingestion.meta_ads.api import (
    AD_INSIGHTS_COLUMNS,
    AD_INSIGHTS_KEY,
    DEFAULT_API_VERSION,
    DEFAULT_BASE_URL,
    SECRET_KEYS,
    SOURCE,
    ad_account,
    ad_insights_pages,
    classify,
    insight_row,
)


@dlt.source(name=SOURCE, max_table_nesting=0)
def meta_ads(
    access_token: str = dlt.secrets.value,
    account_ids: List[str] = dlt.config.value,
    base_url: str = DEFAULT_BASE_URL,
    api_version: str = DEFAULT_API_VERSION,
    conversion_action_type: str = "purchase",
    start_date: Optional[str] = None,
    end_date: Optional[str] = None,
    lookback_days: int = 3,
    page_size: int = 500,
) -> DltResource:
    """Meta Ads Insights per ad and day.

    Args:
        access_token: Marketing API token with `ads_read` (secret).
        account_ids: ad account ids, with or without the `act_` prefix.
        base_url: Graph API host (default Meta's).
        api_version: Graph API version path segment, e.g. `v21.0`.
        conversion_action_type: the `action_type` counted as a conversion (`purchase`,
            `offsite_conversion.fb_pixel_purchase`, a custom conversion ...).
        start_date: first account-local date of a first run (YYYY-MM-DD; default 90 days ago).
        end_date: last date to load (inclusive); set it to backfill a range without moving the cursor.
        lookback_days: days before the newest loaded date that every run reloads (restatements).
        page_size: rows per page (`limit`, at most 500).
    """
    client = ApiClient(SOURCE, base_url, SECRET_KEYS, auth=HeaderAuth({"Authorization": f"Bearer {access_token}"}),
                       classify=classify)
    return ad_insights(client, api_version, [str(a) for a in account_ids], conversion_action_type, page_size,
                       date_start=date_cursor("date_start", start_date, end_date, lookback_days))


@dlt.resource(name="ad_insights", **daily_report_hints(AD_INSIGHTS_KEY, "account_id", "date_start", AD_INSIGHTS_COLUMNS))
def ad_insights(
    client: ApiClient,
    api_version: str,
    account_ids: list[str],
    conversion_action_type: str,
    page_size: int,
    date_start=dlt.sources.incremental("date_start"),
) -> Iterator[list[dict]]:
    """Insights per ad and day of every account for the window of the `date_start` cursor."""
    since, until = report_window(date_start)
    for account_id in account_ids:
        account = ad_account(client, api_version, account_id)
        for page in ad_insights_pages(client, api_version, account_id, since, until, page_size):
            yield [insight_row(raw, account, conversion_action_type) for raw in page]
