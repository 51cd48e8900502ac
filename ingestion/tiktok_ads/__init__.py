"""TikTok ads: daily performance per ad from the TikTok API for Business integrated report.

Table in `raw_tiktok_ads`:

* `ad_report` — one row per advertiser × ad × advertiser-local day (`stat_date`, the date of `stat_time_day`):
  spend (advertiser currency, the API's decimal strings), impressions, clicks, `conversion` (optimization
  events) and `complete_payment`, with campaign, ad group and ad names and the advertiser's currency and time
  zone. Merged on that key; each run re-reads `lookback_days` before the newest loaded day so restated spend
  replaces the old rows. Requests are split into 30-day ranges, the API's limit for daily reports.

Auth: a long-term `access_token` of the advertisers' authorization, sent as the `Access-Token` header.
"""

from __future__ import annotations

from typing import Iterator, List, Optional

import dlt
from dlt.sources import DltResource

from ingestion.common.auth import HeaderAuth
from ingestion.common.hints import daily_report_hints
from ingestion.common.session import ApiClient
from ingestion.common.window import date_cursor, report_window
from ingestion.tiktok_ads.api import (
    AD_REPORT_COLUMNS,
    AD_REPORT_KEY,
    DEFAULT_BASE_URL,
    SECRET_KEYS,
    SOURCE,
    ad_report_pages,
    advertisers,
    classify,
    report_row,
)


@dlt.source(name=SOURCE, max_table_nesting=0)
def tiktok_ads(
    access_token: str = dlt.secrets.value,
    advertiser_ids: List[str] = dlt.config.value,
    base_url: str = DEFAULT_BASE_URL,
    start_date: Optional[str] = None,
    end_date: Optional[str] = None,
    lookback_days: int = 3,
    page_size: int = 1000,
) -> DltResource:
    """TikTok integrated report (BASIC, AUCTION_AD) per ad and day.

    Args:
        access_token: TikTok API for Business access token (secret).
        advertiser_ids: advertiser ids to report.
        base_url: API host (default TikTok's).
        start_date: first advertiser-local date of a first run (YYYY-MM-DD; default 90 days ago).
        end_date: last date to load (inclusive); set it to backfill a range without moving the cursor.
        lookback_days: days before the newest loaded date that every run reloads (restatements).
        page_size: rows per page (at most 1000).
    """
    client = ApiClient(SOURCE, base_url, SECRET_KEYS, auth=HeaderAuth({"Access-Token": access_token}),
                       classify=classify)
    return ad_report(client, [str(a) for a in advertiser_ids], page_size,
                     stat_date=date_cursor("stat_date", start_date, end_date, lookback_days))


@dlt.resource(name="ad_report", **daily_report_hints(AD_REPORT_KEY, "advertiser_id", "stat_date", AD_REPORT_COLUMNS))
def ad_report(
    client: ApiClient,
    advertiser_ids: list[str],
    page_size: int,
    stat_date=dlt.sources.incremental("stat_date"),
) -> Iterator[list[dict]]:
    """Report rows per ad and day of every advertiser for the window of the `stat_date` cursor."""
    since, until = report_window(stat_date)
    info = advertisers(client, advertiser_ids)
    for advertiser_id in advertiser_ids:
        for page in ad_report_pages(client, advertiser_id, since, until, page_size):
            yield [report_row(entry, advertiser_id, info.get(advertiser_id, {})) for entry in page]
