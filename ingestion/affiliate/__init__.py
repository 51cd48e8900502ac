"""Affiliate network (impact.com-style Advertiser API): actions, i.e. orders credited to partners.

Table in `raw_affiliate`:

* `actions` — one row per action (`id`): order id (`oid`), partner, `state` (PENDING / APPROVED / REVERSED),
  sale `amount` and partner `payout` (the API's decimal strings, in `currency`), `event_date` and
  `referring_date` (click) as ISO 8601 with the program's offset, and `event_day`, the program-local date the
  cursor runs on. Merged on `id`, so a state change (approval, reversal) replaces the earlier row. Each run
  re-reads `lookback_days` before the newest loaded day; set it to the program's locking period to follow late
  reversals.

Auth: HTTP Basic with the `account_sid` and `auth_token` of the advertiser account.
"""

from __future__ import annotations

from typing import Iterator, Optional

import dlt
from dlt.sources import DltResource
from requests.auth import HTTPBasicAuth

from ingestion.affiliate.api import ACTIONS_COLUMNS, DEFAULT_BASE_URL, SECRET_KEYS, SOURCE, action_pages
from ingestion.common.session import ApiClient
from ingestion.common.window import date_cursor, report_window


@dlt.source(name=SOURCE, max_table_nesting=0)
def affiliate(
    account_sid: str = dlt.secrets.value,
    auth_token: str = dlt.secrets.value,
    base_url: str = DEFAULT_BASE_URL,
    start_date: Optional[str] = None,
    end_date: Optional[str] = None,
    lookback_days: int = 3,
    page_size: int = 1000,
) -> DltResource:
    """Affiliate actions by event day.

    Args:
        account_sid, auth_token: the advertiser account's API credentials (secrets).
        base_url: API host (default impact.com's).
        start_date: first program-local date of a first run (YYYY-MM-DD; default 90 days ago).
        end_date: last date to load (inclusive); set it to backfill a range without moving the cursor.
        lookback_days: days before the newest loaded day that every run reloads (state changes).
        page_size: actions per page (`PageSize`).
    """
    client = ApiClient(SOURCE, base_url, SECRET_KEYS, auth=HTTPBasicAuth(account_sid, auth_token))
    return actions(client, account_sid, page_size,
                   event_day=date_cursor("event_day", start_date, end_date, lookback_days))


@dlt.resource(
    name="actions",
    primary_key="id",
    write_disposition={"disposition": "merge", "strategy": "delete-insert"},
    columns={c: {"data_type": t, "nullable": c != "id"} for c, t in ACTIONS_COLUMNS.items()},
    schema_contract={"columns": "evolve", "data_type": "freeze"},
)
def actions(
    client: ApiClient,
    account_sid: str,
    page_size: int,
    event_day=dlt.sources.incremental("event_day"),
) -> Iterator[list[dict]]:
    """Actions of the program for the window of the `event_day` cursor."""
    since, until = report_window(event_day)
    yield from action_pages(client, account_sid, since, until, page_size)
