"""impact.com-style affiliate network: the advertiser's Actions (conversions credited to partners), paged.

Followed: impact.com Advertiser REST API, `GET /Advertisers/{AccountSID}/Actions`
(https://integrations.impact.com/impact-brand/reference): HTTP Basic auth with AccountSID:AuthToken,
`Accept: application/json`, filters `ActionDateStart`/`ActionDateEnd` (ISO 8601, at most 45 days apart), paging
with `Page`/`PageSize` and the `@page`/`@numpages`/`@nextpageuri` envelope; action fields `Id`, `CampaignId`,
`State` (PENDING | APPROVED | REVERSED), `Amount`, `Payout`, `Currency`, `EventDate`, `ReferringDate`, `Oid`
(the shop's order id), `MediaPartnerId`; dates carry the program's UTC offset.
"""

from __future__ import annotations

import datetime as dt
from typing import Iterator

from dlt.sources.helpers.rest_client.paginators import PageNumberPaginator

from ingestion.common.session import ApiClient

SOURCE = "affiliate"
DEFAULT_BASE_URL = "https://api.impact.com"
SECRET_KEYS = ("account_sid", "auth_token")
MAX_RANGE_DAYS = 45

#: declared raw columns (the API's other fields are kept too, as text); amounts keep the API's strings
ACTIONS_COLUMNS = {
    "id": "text", "event_day": "date", "event_date": "text", "referring_date": "text", "creation_date": "text",
    "state": "text", "amount": "text", "payout": "text", "currency": "text", "oid": "text",
    "media_partner_id": "text", "media_partner_name": "text", "campaign_id": "text",
}


def request_ranges(since: str, until: str) -> Iterator[tuple[str, str]]:
    """`ActionDateStart`/`ActionDateEnd` pairs (UTC, at most 45 days apart) covering the program-local dates
    [since, until] with a day's margin on both sides, whatever the program's UTC offset."""
    start = dt.datetime.combine(dt.date.fromisoformat(since) - dt.timedelta(days=1), dt.time(), dt.timezone.utc)
    stop = dt.datetime.combine(dt.date.fromisoformat(until) + dt.timedelta(days=2), dt.time(), dt.timezone.utc)
    while start < stop:
        end = min(start + dt.timedelta(days=MAX_RANGE_DAYS), stop)
        yield start.strftime("%Y-%m-%dT%H:%M:%SZ"), end.strftime("%Y-%m-%dT%H:%M:%SZ")
        start = end


def action_pages(client: ApiClient, account_sid: str, since: str, until: str,
                 page_size: int) -> Iterator[list[dict]]:
    """Actions whose event falls in [since, until] (program-local dates, plus margins), page by page."""
    for start, end in request_ranges(since, until):
        params = {"ActionDateStart": start, "ActionDateEnd": end, "PageSize": str(page_size)}
        paginator = PageNumberPaginator(base_page=1, page=1, page_param="Page", total_path="@numpages")
        for page in client.paginate(f"/Advertisers/{account_sid}/Actions", params=params, paginator=paginator,
                                    data_selector="Actions", headers={"Accept": "application/json"}):
            yield [action_row(a) for a in page]


def action_row(action: dict) -> dict:
    """The action as the API sent it plus `event_day`, the program-local date of `EventDate`."""
    return {**action, "event_day": str(action["EventDate"])[:10]}
