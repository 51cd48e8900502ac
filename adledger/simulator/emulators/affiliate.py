"""Affiliate network emulator in the style of impact.com's Advertiser REST API: the Actions list.

Followed:
- impact.com Advertiser API, `GET /Advertisers/{AccountSID}/Actions` (https://integrations.impact.com/impact-brand/reference,
  and the public OpenAPI of the partner-side Actions API: fields `Id`, `CampaignId`, `ActionTrackerId`, `State`
  (PENDING/APPROVED/REVERSED), `Amount`, `Payout`, `Currency`, `EventDate`, `ReferringDate`, `Oid`,
  `MediaPartnerId`): HTTP Basic auth with AccountSID:AuthToken, `Accept: application/json`, filters
  `ActionDateStart`/`ActionDateEnd` (ISO 8601, at most 45 days apart), paging with `Page`/`PageSize` and the
  `@page`, `@numpages`, `@pagesize`, `@total`, `@nextpageuri` envelope (strings; page URIs relative to the API
  root, here the emulator's `base_url`).
- Dates are ISO 8601 with the program's UTC offset (America/New_York); amounts are decimal strings in USD.
"""

from __future__ import annotations

import math
import re
from datetime import datetime, timedelta, timezone
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

import pandas as pd

from adledger.simulator.emulators.base import BaseApi
from adledger.simulator.emulators.http import Request, Response

SOURCE = "affiliate"
DEFAULT_PAGE_SIZE = 100
MAX_PAGE_SIZE = 20_000
MAX_RANGE_DAYS = 45
PROGRAM_TZ = ZoneInfo("America/New_York")


def _parse_iso(text: str) -> datetime:
    t = datetime.fromisoformat(text.replace("Z", "+00:00"))
    return t if t.tzinfo else t.replace(tzinfo=timezone.utc)


def _local_iso(iso_utc: str) -> str:
    return _parse_iso(iso_utc).astimezone(PROGRAM_TZ).isoformat(timespec="seconds")


class Api(BaseApi):
    SOURCE = SOURCE

    def error(self, status: int, message: str, headers: dict | None = None) -> Response:
        return Response.json_body(status, {"Status": "ERROR", "Message": message}, headers)

    def credential(self, req: Request) -> str:
        basic = req.basic()
        return basic[0] if basic else "anonymous"

    def handle(self, req: Request) -> Response:
        basic = req.basic()
        if basic != (self.creds["account_sid"], self.creds["auth_token"]):
            return self.error(401, "Authentication failed: send HTTP Basic auth with your AccountSID and AuthToken.")
        m = re.match(r"^/Advertisers/([^/]+)/Actions/?$", req.path)
        if not m or req.method != "GET":
            return self.error(404, f"Resource not found: {req.method} {req.path}")
        if m.group(1) != self.creds["account_sid"]:
            return self.error(403, "AccountSID in the path does not match the credentials.")
        q = req.query
        try:
            start = _parse_iso(q["ActionDateStart"]) if "ActionDateStart" in q else None
            end = _parse_iso(q["ActionDateEnd"]) if "ActionDateEnd" in q else None
        except ValueError:
            return self.error(400, "ActionDateStart/ActionDateEnd must be ISO 8601 date-times")
        if (start is None) != (end is None):
            return self.error(400, "ActionDateStart and ActionDateEnd must be given together")
        if start is not None and end - start > timedelta(days=MAX_RANGE_DAYS):
            return self.error(400, f"ActionDateStart and ActionDateEnd cannot be more than {MAX_RANGE_DAYS} days apart")
        acts = self.world.actions
        if start is not None:
            ev = pd.to_datetime(acts["event_date"], utc=True)
            acts = acts[(ev >= start) & (ev < end)]
        if q.get("State"):
            acts = acts[acts["state"] == q["State"]]
        acts = acts.sort_values(["event_date", "action_id"], kind="stable")
        try:
            page = max(1, int(q.get("Page", "1")))
            size = min(int(q.get("PageSize", self.server.page_size(SOURCE, DEFAULT_PAGE_SIZE))), MAX_PAGE_SIZE)
        except ValueError:
            return self.error(400, "Page and PageSize must be integers")
        total = len(acts)
        pages = max(1, math.ceil(total / size))
        chunk = acts.iloc[(page - 1) * size: page * size]
        base = f"/Advertisers/{self.creds['account_sid']}/Actions"

        def uri(p: int) -> str:
            return f"{base}?{urlencode({**q, 'Page': p, 'PageSize': size})}"

        body = {
            "@page": str(page), "@numpages": str(pages), "@pagesize": str(size), "@total": str(total),
            "@start": str((page - 1) * size), "@end": str((page - 1) * size + len(chunk) - 1 if len(chunk) else 0),
            "@uri": uri(page), "@firstpageuri": uri(1),
            "@previouspageuri": uri(page - 1) if page > 1 else "",
            "@nextpageuri": uri(page + 1) if page < pages else "",
            "@lastpageuri": uri(pages),
            "Actions": [self._action(rec, base) for rec in chunk.to_dict("records")],
        }
        return Response.json_body(200, body)

    def _action(self, rec: dict, base: str) -> dict:
        payout = f"{rec['payout']:.2f}"
        return {
            "Id": rec["action_id"], "CampaignId": "12345", "CampaignName": "Example Shop program",
            "ActionTrackerId": "23456", "ActionTrackerName": "Online Sale", "EventCode": "", "State": rec["state"],
            "AdId": "", "Payout": payout, "DeltaPayout": payout, "IntendedPayout": payout,
            "Amount": f"{rec['amount']:.2f}", "DeltaAmount": f"{rec['amount']:.2f}", "IntendedAmount": f"{rec['amount']:.2f}",
            "Currency": rec["currency"], "ReferringDate": _local_iso(rec["click_date"]),
            "EventDate": _local_iso(rec["event_date"]), "CreationDate": _local_iso(rec["event_date"]),
            "LockingDate": "", "ClearedDate": "", "ReferringType": "CLICK_COOKIE", "ReferringDomain": "",
            "PromoCode": "", "Oid": rec["order_id"], "MediaPartnerId": rec["partner_id"],
            "MediaPartnerName": rec["partner_name"], "CustomerId": "", "Uri": f"{base}/{rec['action_id']}",
        }
