"""Mailchimp-style ESP Marketing API: campaign reports, as a declarative dlt `rest_api` configuration.

Followed: Mailchimp Marketing API, Reports (https://mailchimp.com/developer/marketing/api/reports/):
`GET /3.0/reports` with `count` (≤ 1000) and `offset` paging, `total_items`, filters `since_send_time` /
`before_send_time` (ISO 8601); each report has `id` (the campaign id), `campaign_title`, `emails_sent`,
`send_time`, `unsubscribed`, `bounces{...}`, `opens{opens_total, unique_opens, ...}`, `clicks{clicks_total,
unique_clicks, ...}`. Auth: HTTP Basic with any user name and the API key as password; the data centre is the
key's suffix (`...-us21` → `https://us21.api.mailchimp.com`). The API reports no cost of a send.
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Optional

from dlt.sources.helpers.rest_client.auth import HttpBasicAuth
from dlt.sources.rest_api.typing import RESTAPIConfig

from ingestion.common.session import retrying_session
from ingestion.common.window import default_start

SOURCE = "esp"
SECRET_KEYS = ("api_key",)
MAX_PAGE_SIZE = 1000

#: declared raw columns of `campaign_reports` (nested objects are flattened by dlt with `__`)
REPORT_COLUMNS = {
    "id": "text", "campaign_title": "text", "type": "text", "list_id": "text", "send_time": "text",
    "emails_sent": "bigint", "unsubscribed": "bigint", "opens__opens_total": "bigint",
    "opens__unique_opens": "bigint", "clicks__clicks_total": "bigint", "clicks__unique_clicks": "bigint",
    "bounces__hard_bounces": "bigint", "bounces__soft_bounces": "bigint",
}


def default_base_url(api_key: str, server_prefix: Optional[str]) -> str:
    """`https://<dc>.api.mailchimp.com`, the data centre from `server_prefix` or the API key's suffix."""
    dc = server_prefix or api_key.rsplit("-", 1)[-1]
    return f"https://{dc}.api.mailchimp.com"


def utc_midnight(day: str) -> str:
    """`YYYY-MM-DDT00:00:00+00:00`, the shape of `send_time`."""
    return f"{day}T00:00:00+00:00"


def send_time_param(value: Any) -> str:
    """An incremental bound as the ISO 8601 instant `since_send_time`/`before_send_time` expect (no bound yet:
    midnight of the default first date)."""
    if value is None:
        return utc_midnight(default_start())
    if isinstance(value, dt.datetime):
        return value.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%S+00:00")
    return str(value)


def reports_config(base_url: str, api_key: str, cursor: dict, page_size: int, check) -> RESTAPIConfig:
    """The `rest_api` configuration of the `campaign_reports` resource (`cursor`: incremental arguments)."""
    size = min(page_size, MAX_PAGE_SIZE)
    return {
        "client": {
            "base_url": base_url.rstrip("/") + "/",
            "auth": HttpBasicAuth("adledger", api_key),
            "session": retrying_session(),
        },
        "resources": [{
            "name": "campaign_reports",
            "primary_key": "id",
            "write_disposition": {"disposition": "merge", "strategy": "delete-insert"},
            "columns": {c: {"data_type": t, "nullable": c != "id"} for c, t in REPORT_COLUMNS.items()},
            "schema_contract": {"columns": "evolve", "data_type": "freeze"},
            "max_table_nesting": 1,
            "endpoint": {
                "path": "3.0/reports",
                "data_selector": "reports",
                "params": {"sort_field": "send_time", "sort_dir": "ASC"},
                "paginator": {"type": "offset", "limit": size, "limit_param": "count", "offset_param": "offset",
                              "total_path": "total_items"},
                "incremental": {**cursor, "start_param": "since_send_time", "end_param": "before_send_time",
                                "convert": send_time_param},
                "response_actions": [check],
            },
        }],
    }
