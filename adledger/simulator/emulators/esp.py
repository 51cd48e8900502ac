"""Email service provider emulator in the style of the Mailchimp Marketing API: campaign reports.

Followed:
- Mailchimp Marketing API, Reports — `GET /3.0/reports` (list, `count` default 10 max 1000, `offset`,
  `since_send_time`, `before_send_time`) and `GET /3.0/reports/{campaign_id}`
  (https://mailchimp.com/developer/marketing/api/reports/): `reports[]` with `id`, `campaign_title`, `type`,
  `list_id`, `emails_sent`, `unsubscribed`, `send_time`, `bounces{hard_bounces, soft_bounces,
  syntax_errors}`, `opens{opens_total, unique_opens, open_rate, last_open}`, `clicks{clicks_total,
  unique_clicks, unique_subscriber_clicks, click_rate, last_click}`, and `total_items`.
- Auth: HTTP Basic with any user name and the API key as password, or `Authorization: Bearer` (OAuth).
  Errors are problem documents `{"type", "title", "status", "detail", "instance"}`.

The cost of a send is not in the API: it is `rate` per e-mail in `first_party/vendors.csv`.
"""

from __future__ import annotations

import hashlib
import re

from adledger.simulator.emulators.base import BaseApi
from adledger.simulator.emulators.http import Request, Response

SOURCE = "esp"
DEFAULT_COUNT = 10
MAX_COUNT = 1000


class Api(BaseApi):
    SOURCE = SOURCE

    def error(self, status: int, message: str, headers: dict | None = None) -> Response:
        titles = {401: "API Key Invalid", 404: "Resource Not Found", 429: "Too Many Requests",
                  503: "Service Unavailable", 400: "Invalid Resource"}
        body = {"type": "https://mailchimp.com/developer/marketing/docs/errors/", "title": titles.get(status, "Error"),
                "status": status, "detail": message, "instance": hashlib.sha256(message.encode()).hexdigest()[:36]}
        return Response(status, _json(body), "application/problem+json; charset=utf-8", headers or {})

    def credential(self, req: Request) -> str:
        basic = req.basic()
        return (basic[1] if basic else req.bearer()) or "anonymous"

    def handle(self, req: Request) -> Response:
        basic = req.basic()
        key = basic[1] if basic else req.bearer()
        if key != self.creds["api_key"]:
            return self.error(401, "Your API key may be invalid, or you've attempted to access the wrong datacenter.")
        m = re.match(r"^/3\.0/reports(?:/([0-9a-f]+))?/?$", req.path)
        if not m or req.method != "GET":
            return self.error(404, f"The requested resource could not be found: {req.path}")
        camps = self.world.esp_campaigns
        if m.group(1):
            rows = camps[camps["id"] == m.group(1)]
            if rows.empty:
                return self.error(404, f"The requested campaign {m.group(1)} could not be found.")
            return Response(200, _json(self._report(rows.iloc[0].to_dict())))
        q = req.query
        if len(camps) and q.get("since_send_time"):
            camps = camps[camps["send_time"] >= _norm(q["since_send_time"])]
        if len(camps) and q.get("before_send_time"):
            camps = camps[camps["send_time"] < _norm(q["before_send_time"])]
        try:
            count = min(int(q.get("count", self.server.page_size(SOURCE, DEFAULT_COUNT))), MAX_COUNT)
            offset = max(0, int(q.get("offset", "0")))
        except ValueError:
            return self.error(400, "count and offset must be integers")
        camps = camps.sort_values("send_time", kind="stable") if len(camps) else camps
        chunk = camps.iloc[offset: offset + count] if len(camps) else camps
        body = {"reports": [self._report(r) for r in chunk.to_dict("records")], "total_items": int(len(camps)),
                "_links": []}
        return Response(200, _json(body))

    def _report(self, r: dict) -> dict:
        sent = int(r["emails_sent"])
        send_time = r["send_time"].replace(".000Z", "+00:00").replace("Z", "+00:00")
        return {
            "id": r["id"], "campaign_title": f"Newsletter {r['date']}", "type": "regular", "list_id": "a1b2c3d4e5",
            "list_is_active": True, "list_name": "Example Shop customers", "subject_line": "New gear for the trail",
            "preview_text": "", "emails_sent": sent, "abuse_reports": 0, "unsubscribed": int(r["unsubscribed"]),
            "send_time": send_time[:19] + "+00:00",
            "bounces": {"hard_bounces": int(r["hard_bounces"]), "soft_bounces": 0, "syntax_errors": 0},
            "forwards": {"forwards_count": 0, "forwards_opens": 0},
            "opens": {"opens_total": int(r["opens_total"]), "unique_opens": int(r["unique_opens"]),
                      "open_rate": round(r["unique_opens"] / sent, 6) if sent else 0, "last_open": send_time[:19] + "+00:00"},
            "clicks": {"clicks_total": int(r["clicks_total"]), "unique_clicks": int(r["unique_clicks"]),
                       "unique_subscriber_clicks": int(r["unique_clicks"]),
                       "click_rate": round(r["unique_clicks"] / sent, 6) if sent else 0,
                       "last_click": send_time[:19] + "+00:00"},
        }


def _norm(text: str) -> str:
    return text.replace("+00:00", "Z")


def _json(payload) -> bytes:
    import json

    return json.dumps(payload, separators=(",", ":")).encode()
