"""Google Ads API over REST: GAQL for the keyword report, `googleAds:searchStream`, rows flattened.

Followed: https://developers.google.com/google-ads/api/rest/overview (headers `Authorization: Bearer`,
`developer-token`, `login-customer-id`), GoogleAdsService.SearchStream (the REST body is a JSON array of
batches, each with `results[]`), https://developers.google.com/google-ads/api/fields/v21/keyword_view (keyword
metrics per `segments.date` in the customer's time zone). Protobuf's JSON mapping writes field names in
lowerCamelCase, int64 as strings, and omits fields holding their default (so a row without conversions has no
`metrics.conversions`); `flatten_row` restores the zeros and the integer types.
"""

from __future__ import annotations

from typing import Iterator

from ingestion.common.session import ApiClient, json_of

DEFAULT_BASE_URL = "https://googleads.googleapis.com"
DEFAULT_TOKEN_URL = "https://oauth2.googleapis.com/token"
DEFAULT_API_VERSION = "v21"
SECRET_KEYS = ("developer_token", "client_id", "client_secret", "refresh_token")

#: GAQL field -> (column in raw_google_ads.keyword_stats, dlt data type)
KEYWORD_STATS_FIELDS: dict[str, tuple[str, str]] = {
    "segments.date": ("date", "date"),
    "customer.id": ("customer_id", "text"),
    "customer.descriptive_name": ("customer_name", "text"),
    "customer.currency_code": ("currency_code", "text"),
    "customer.time_zone": ("time_zone", "text"),
    "campaign.id": ("campaign_id", "text"),
    "campaign.name": ("campaign_name", "text"),
    "ad_group.id": ("ad_group_id", "text"),
    "ad_group.name": ("ad_group_name", "text"),
    "ad_group_criterion.criterion_id": ("criterion_id", "text"),
    "ad_group_criterion.keyword.text": ("keyword_text", "text"),
    "ad_group_criterion.keyword.match_type": ("match_type", "text"),
    "metrics.impressions": ("impressions", "bigint"),
    "metrics.clicks": ("clicks", "bigint"),
    "metrics.cost_micros": ("cost_micros", "bigint"),
    "metrics.conversions": ("conversions", "double"),
    "metrics.conversions_value": ("conversions_value", "double"),
}
#: one row per keyword (ad group criterion) and customer-local date
KEYWORD_STATS_KEY = ("customer_id", "campaign_id", "ad_group_id", "criterion_id", "date")


def keyword_stats_query(since: str, until: str) -> str:
    """GAQL for daily keyword metrics between two customer-local dates (inclusive)."""
    return (f"SELECT {', '.join(KEYWORD_STATS_FIELDS)} FROM keyword_view "
            f"WHERE segments.date BETWEEN '{since}' AND '{until}' ORDER BY segments.date")


def _camel_path(field: str) -> list[str]:
    parts = []
    for part in field.split("."):
        head, *rest = part.split("_")
        parts.append(head + "".join(w.capitalize() for w in rest))
    return parts


_PATHS = {field: _camel_path(field) for field in KEYWORD_STATS_FIELDS}
_NUMERIC = {"bigint": int, "double": float}


def flatten_row(result: dict) -> dict:
    """One `results[]` entry as a flat row with the columns of `KEYWORD_STATS_FIELDS`; absent metrics are 0."""
    row = {}
    for field, (column, kind) in KEYWORD_STATS_FIELDS.items():
        node = result
        for part in _PATHS[field]:
            node = node.get(part) if isinstance(node, dict) else None
        if kind in _NUMERIC:
            row[column] = _NUMERIC[kind](node) if node is not None else _NUMERIC[kind](0)
        else:
            row[column] = None if node is None else str(node)
    return row


def search_stream(client: ApiClient, api_version: str, customer_id: str, query: str) -> Iterator[list[dict]]:
    """Flat rows of a GAQL query for one customer, one list per streamed batch."""
    response = client.post(f"/{api_version}/customers/{customer_id}/googleAds:searchStream", json={"query": query})
    batches = json_of(client.source, response)
    if isinstance(batches, dict):  # a single batch instead of the array (some proxies unwrap it)
        batches = [batches]
    for batch in batches:
        rows = [flatten_row(r) for r in batch.get("results", [])]
        if rows:
            yield rows


def list_accessible_customers(client: ApiClient, api_version: str) -> list[str]:
    """Ids of the customers the credentials can reach (`customers:listAccessibleCustomers`)."""
    names = client.get_json(f"/{api_version}/customers:listAccessibleCustomers").get("resourceNames", [])
    return [name.split("/", 1)[1] for name in names]
