"""E-mail service provider (Mailchimp-style Marketing API): one report per newsletter send.

Table in `raw_esp`:

* `campaign_reports` — one row per campaign send (`id`): `send_time` (UTC), `emails_sent`, opens, clicks,
  unsubscribes and bounces (nested objects flattened as `opens__unique_opens` ...). Merged on `id`, so the
  counts that keep growing after a send are replaced. Each run re-reads sends from `lookback_days` before the
  newest loaded send (`lookback_days` × 24 h). The API has no cost: a send costs `emails_sent` × the ESP's rate in the vendor list.

Auth: HTTP Basic with the `api_key` as password. Declared with dlt's `rest_api` (`ingestion.esp.api`).
"""

from __future__ import annotations

from typing import Optional

import dlt
from dlt.sources import DltResource
from dlt.sources.rest_api import rest_api_resources

from ingestion.common.errors import check_response
from ingestion.common.window import cursor_bounds, next_day
from ingestion.esp.api import SECRET_KEYS, SOURCE, default_base_url, reports_config, utc_midnight


@dlt.source(name=SOURCE, max_table_nesting=1)
def esp(
    api_key: str = dlt.secrets.value,
    server_prefix: Optional[str] = None,
    base_url: Optional[str] = None,
    start_date: Optional[str] = None,
    end_date: Optional[str] = None,
    lookback_days: int = 3,
    page_size: int = 1000,
) -> list[DltResource]:
    """Campaign send reports.

    Args:
        api_key: Marketing API key (secret), `<key>-<dc>`.
        server_prefix: data centre (`us21`); default: the key's suffix.
        base_url: API host (default `https://<dc>.api.mailchimp.com`).
        start_date: first UTC send date of a first run (YYYY-MM-DD; default 90 days ago).
        end_date: last send date to load (inclusive); set it to backfill without moving the cursor.
        lookback_days: days before the newest loaded send that every run reloads (growing counts).
        page_size: reports per page (`count`, at most 1000).
    """
    start, end = cursor_bounds(start_date, end_date, lookback_days)
    # send_time is an ISO instant: bounds are UTC midnights (the end date included by ending before the next
    # day) and the lookback is in seconds, as dlt reads lags of datetime cursors
    incremental = {"cursor_path": "send_time", "initial_value": utc_midnight(start) if start else None,
                   "end_value": utc_midnight(next_day(end)) if end else None,
                   "lag": lookback_days * 86_400 or None, "range_end": "open", "primary_key": []}
    config = reports_config(base_url or default_base_url(api_key, server_prefix), api_key, incremental, page_size,
                            check_response(SOURCE, SECRET_KEYS))
    return rest_api_resources(config)
