"""Meta Marketing API (Graph API): ad account details and Ads Insights per ad and day, with cursor paging.

Followed: https://developers.facebook.com/docs/marketing-api/insights (`/act_{id}/insights` with `level=ad`,
`fields`, `time_range={"since","until"}`, `time_increment=1`; numbers arrive as strings, `date_start`/`date_stop`
in the ad account's time zone, conversions inside `actions`/`action_values` lists keyed by `action_type`),
https://developers.facebook.com/docs/graph-api/results (cursor paging: `paging.cursors.after`, no `paging.next`
on the last page) and https://developers.facebook.com/docs/marketing-api/reference/ad-account (`name`,
`currency`, `timezone_name`). The token travels as `Authorization: Bearer`; `paging.next` URLs (which embed the
token) are never requested: the paginator sends `after` itself.
"""

from __future__ import annotations

import json
from typing import Any, Iterator, List, Optional

from requests import Response

from dlt.sources.helpers.rest_client.paginators import JSONResponseCursorPaginator

from ingestion.common.errors import Failure
from ingestion.common.session import ApiClient

SOURCE = "meta_ads"
DEFAULT_BASE_URL = "https://graph.facebook.com"
DEFAULT_API_VERSION = "v21.0"
SECRET_KEYS = ("access_token",)

INSIGHT_FIELDS = ("account_id", "account_name", "account_currency", "campaign_id", "campaign_name", "adset_id",
                  "adset_name", "ad_id", "ad_name", "impressions", "clicks", "spend", "actions", "action_values",
                  "date_start", "date_stop")
#: raw column -> dlt data type; numbers keep the API's strings (staging casts them)
AD_INSIGHTS_COLUMNS = {
    "date_start": "date", "date_stop": "date", "account_id": "text", "account_name": "text",
    "account_currency": "text", "account_timezone": "text", "campaign_id": "text", "campaign_name": "text",
    "adset_id": "text", "adset_name": "text", "ad_id": "text", "ad_name": "text", "impressions": "text",
    "clicks": "text", "spend": "text", "conversions": "text", "conversion_value": "text", "actions": "json",
    "action_values": "json",
}
#: one row per ad account × ad × account-local day
AD_INSIGHTS_KEY = ("account_id", "ad_id", "date_start")
#: Graph API error codes (https://developers.facebook.com/docs/marketing-api/error-reference): an invalid or
#: expired session/token, and the throttling codes (app, user, ad-account and business-use-case limits)
AUTH_CODES = frozenset({102, 190})
THROTTLE_CODES = frozenset({4, 17, 32, 613, 80000, 80003, 80004, 80014})


def classify(response: Response) -> Optional[Failure]:
    """Meta answers a bad token with HTTP 400 and code 190, and throttling with 400 or 403 and codes 4/17/...;
    the error code, not the status, says whether to fix a secret or retry."""
    if response.status_code < 400:
        return None
    try:
        error = response.json().get("error") or {}
    except (ValueError, AttributeError):
        return None
    code = error.get("code") if isinstance(error, dict) else None
    if code in AUTH_CODES:
        return "auth"
    if code in THROTTLE_CODES or (isinstance(error, dict) and error.get("is_transient")):
        return "retry"
    return None


class GraphCursorPaginator(JSONResponseCursorPaginator):
    """Graph API paging: send `after=<paging.cursors.after>` while the response has a `paging.next` link."""

    def __init__(self) -> None:
        super().__init__(cursor_path="paging.cursors.after", cursor_param="after")

    def update_state(self, response: Response, data: Optional[List[Any]] = None) -> None:
        super().update_state(response, data)
        if not (response.json().get("paging") or {}).get("next"):
            self._next_reference = None


def account_path(api_version: str, account_id: str) -> str:
    """`/v21.0/act_<digits>` for an id written with or without the `act_` prefix."""
    return f"/{api_version}/act_{digits(account_id)}"


def digits(account_id: str) -> str:
    return str(account_id).removeprefix("act_")


def ad_account(client: ApiClient, api_version: str, account_id: str) -> dict:
    """`{"name", "currency", "timezone_name", ...}` of one ad account."""
    return client.get_json(account_path(api_version, account_id),
                           params={"fields": "account_id,name,currency,timezone_name"})


def ad_insights_pages(client: ApiClient, api_version: str, account_id: str, since: str, until: str,
                      page_size: int) -> Iterator[list[dict]]:
    """Raw insight rows per ad and day of one account between two account-local dates (inclusive), by page."""
    params = {
        "level": "ad",
        "fields": ",".join(INSIGHT_FIELDS),
        "time_range": json.dumps({"since": since, "until": until}, separators=(",", ":")),
        "time_increment": "1",
        "limit": str(page_size),
    }
    for page in client.paginate(f"{account_path(api_version, account_id)}/insights", params=params,
                                paginator=GraphCursorPaginator(), data_selector="data"):
        yield list(page)


def insight_row(raw: dict, account: dict, action_type: str) -> dict:
    """An insight row with the account's time zone and the conversions of `action_type` lifted out of
    `actions`/`action_values` (absent means none)."""
    row = {column: raw.get(column) for column in AD_INSIGHTS_COLUMNS if column in raw}
    row["account_timezone"] = account.get("timezone_name")
    row.setdefault("account_currency", account.get("currency"))
    row["conversions"] = _action(raw.get("actions"), action_type, "0")
    row["conversion_value"] = _action(raw.get("action_values"), action_type, "0")
    return row


def _action(actions: Any, action_type: str, default: str) -> str:
    for item in actions or []:
        if item.get("action_type") == action_type:
            return str(item.get("value", default))
    return default
