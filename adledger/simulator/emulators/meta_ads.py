"""Meta Marketing API (Graph API) emulator: ad accounts, campaigns/adsets/ads and Ads Insights.

Followed:
- Ads Insights API — https://developers.facebook.com/docs/marketing-api/insights (`/act_{id}/insights` with
  `level`, `fields`, `time_range={"since","until"}`, `time_increment=1`, `limit`/`after` cursor paging; numbers
  are strings: `"impressions": "361324"`, `"spend": "5339.5"`; `date_start`/`date_stop` per row;
  `actions`/`action_values` as `[{"action_type", "value"}]`).
- Graph API paging — https://developers.facebook.com/docs/graph-api/results (`paging.cursors.before/after`,
  `paging.next` absent on the last page).
- Access tokens as `access_token` query parameter or `Authorization: Bearer`; errors
  `{"error": {"message", "type": "OAuthException", "code", "fbtrace_id"}}` (code 190: invalid token; code 17:
  user request limit reached). The real API answers an invalid token with HTTP 400; this emulator uses 401
  (and 429 + `Retry-After` for rate limits) so clients can tell auth and throttling apart by status.

Insights days are the ad account's `timezone_name` dates; `spend` is in `account_currency`.
"""

from __future__ import annotations

import base64
import hashlib
import json
import re
from decimal import Decimal
from urllib.parse import urlencode

from adledger.simulator.emulators.base import BaseApi
from adledger.simulator.emulators.http import ApiError, Request, Response

SOURCE = "meta_ads"
DEFAULT_LIMIT = 25
MAX_LIMIT = 500
LEVELS = {"account": ["account_id"], "campaign": ["account_id", "campaign_id"],
          "adset": ["account_id", "campaign_id", "adgroup_id"], "ad": ["account_id", "campaign_id", "adgroup_id", "ad_id"]}
INSIGHT_FIELDS = ("account_id", "account_name", "account_currency", "campaign_id", "campaign_name", "adset_id",
                  "adset_name", "ad_id", "ad_name", "impressions", "clicks", "spend", "ctr", "cpc", "cpm", "actions",
                  "action_values", "date_start", "date_stop")
DEFAULT_FIELDS = ("account_id", "impressions", "spend", "date_start", "date_stop")


def money(micros: int) -> str:
    """Meta's spend string: decimal units with trailing zeros dropped (`5339.5`, `12`, `0.07`)."""
    d = (Decimal(int(micros)) / Decimal(1_000_000)).quantize(Decimal("0.01"))
    text = format(d.normalize(), "f")
    return text


def _ratio(num: float, den: float, scale: float = 1.0) -> str:
    return f"{num / den * scale:.6f}".rstrip("0").rstrip(".") if den else "0"


def _cursor(offset: int) -> str:
    """An opaque cursor (base64 without padding, like the Graph API's)."""
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode().rstrip("=")


def _uncursor(cursor: str) -> int:
    try:
        kind, _, value = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode().partition(":")
        if kind != "offset":
            raise ValueError(cursor)
        return int(value)
    except (ValueError, UnicodeDecodeError):
        raise ApiError(_error(400, "(#100) Invalid cursor in after", 100)) from None


def _error(status: int, message: str, code: int, kind: str = "OAuthException", headers: dict | None = None) -> Response:
    trace = hashlib.sha256(message.encode()).hexdigest()[:11]
    body = {"error": {"message": message, "type": kind, "code": code, "fbtrace_id": f"A{trace}"}}
    if status in (429, 503):
        body["error"]["is_transient"] = True
    return Response.json_body(status, body, headers)


class Api(BaseApi):
    SOURCE = SOURCE

    def error(self, status: int, message: str, headers: dict | None = None) -> Response:
        code = {401: 190, 429: 17, 503: 2, 500: 1}.get(status, 100)
        return _error(status, message if status != 429 else f"(#17) User request limit reached: {message}", code,
                      headers=headers)

    def credential(self, req: Request) -> str:
        return req.query.get("access_token") or req.bearer() or "anonymous"

    def handle(self, req: Request) -> Response:
        token = req.query.get("access_token") or req.bearer()
        if token != self.creds["access_token"]:
            return _error(401, "Invalid OAuth access token - Cannot parse access token", 190)
        if req.method != "GET":
            return _error(400, f"Unsupported {req.method} request.", 100, "GraphMethodException")
        m = re.match(r"^/v(\d+\.\d+)/(me/adaccounts|act_(\d+)(?:/(insights|campaigns|adsets|ads))?)/?$", req.path)
        if not m:
            return _error(400, f"Unknown path components: {req.path}", 2500)
        if m.group(2) == "me/adaccounts":
            rows = [self._account(a) for a in self.creds["account_ids"]]
            return self._page(req, rows)
        account_id, edge = m.group(3), m.group(4)
        if account_id not in self.creds["account_ids"]:
            return _error(400, f"Unsupported get request. Object with ID 'act_{account_id}' does not exist, cannot be "
                               f"loaded due to missing permissions, or does not support this operation", 100,
                          "GraphMethodException")
        if edge is None:
            acc = self._account(account_id)
            wanted = _fields(req, ("id",))
            return Response.json_body(200, {k: v for k, v in acc.items() if k in wanted or k == "id"})
        if edge == "insights":
            return self._page(req, self._insights(req, account_id))
        return self._page(req, self._objects(account_id, edge, _fields(req, ("id",))))

    def _account(self, account_id: str) -> dict:
        acc = self.world.account(SOURCE, account_id)
        return {"id": f"act_{account_id}", "account_id": account_id, "name": acc["name"], "currency": acc["currency"],
                "timezone_name": acc["timezone"], "account_status": 1}

    def _objects(self, account_id: str, edge: str, fields: set[str]) -> list[dict]:
        units = self.world.platform_units(SOURCE, account_id)
        key = {"campaigns": "campaign_id", "adsets": "adgroup_id", "ads": "ad_id"}[edge]
        out = []
        for rec in units.drop_duplicates(key).to_dict("records"):
            row = {"id": rec[key], "account_id": account_id, "status": "ACTIVE", "effective_status": "ACTIVE"}
            if edge == "campaigns":
                row.update(name=rec["campaign_name"], objective="OUTCOME_SALES")
            elif edge == "adsets":
                row.update(name=rec["adgroup_name"], campaign_id=rec["campaign_id"])
            else:
                row.update(name=rec["ad_name"], campaign_id=rec["campaign_id"], adset_id=rec["adgroup_id"])
            out.append({k: v for k, v in row.items() if k in fields or k == "id"})
        return out

    def _insights(self, req: Request, account_id: str) -> list[dict]:
        level = req.query.get("level", "account")
        if level not in LEVELS:
            raise ApiError(_error(400, f"(#100) level must be one of {', '.join(LEVELS)}", 100))
        fields = _fields(req, DEFAULT_FIELDS)
        unknown = fields - set(INSIGHT_FIELDS)
        if unknown:
            raise ApiError(_error(400, f"(#100) {sorted(unknown)[0]} is not valid for fields param.", 100))
        try:
            time_range = json.loads(req.query["time_range"]) if "time_range" in req.query else None
        except ValueError:
            raise ApiError(_error(400, "(#100) time_range must be a JSON object {since, until}", 100)) from None
        increment = req.query.get("time_increment", "all_days")
        if increment not in ("1", "all_days"):
            raise ApiError(_error(400, "(#100) this emulator supports time_increment=1 or all_days", 100))
        acc = self.world.account(SOURCE, account_id)
        since = time_range.get("since") if time_range else None
        until = time_range.get("until") if time_range else None
        df = self.world.delivery(SOURCE, account_id, since, until)
        keys = list(LEVELS[level]) + (["date"] if increment == "1" else [])
        if df.empty:
            return []
        names = {"campaign_name": "first", "adgroup_name": "first", "ad_name": "first"}
        g = df.groupby(keys, as_index=False, sort=True).agg(
            impressions=("impressions", "sum"), clicks=("clicks", "sum"), cost_micros=("cost_micros", "sum"),
            conversions=("conversions", "sum"), conversions_value=("conversions_value", "sum"),
            date_min=("date", "min"), date_max=("date", "max"),
            **{k: (k, v) for k, v in names.items()})
        rows = []
        for rec in g.to_dict("records"):
            start = rec["date"] if increment == "1" else (since or rec["date_min"])
            stop = rec["date"] if increment == "1" else (until or rec["date_max"])
            row = {"account_id": account_id, "account_name": acc["name"], "account_currency": acc["currency"],
                   "impressions": str(int(rec["impressions"])), "clicks": str(int(rec["clicks"])),
                   "spend": money(rec["cost_micros"]),
                   "ctr": _ratio(rec["clicks"], rec["impressions"], 100.0),
                   "cpc": _ratio(rec["cost_micros"] / 1e6, rec["clicks"]),
                   "cpm": _ratio(rec["cost_micros"] / 1e6, rec["impressions"], 1000.0),
                   "date_start": start, "date_stop": stop}
            if "campaign_id" in rec:
                row.update(campaign_id=rec["campaign_id"], campaign_name=rec["campaign_name"])
            if "adgroup_id" in rec:
                row.update(adset_id=rec["adgroup_id"], adset_name=rec["adgroup_name"])
            if "ad_id" in rec:
                row.update(ad_id=rec["ad_id"], ad_name=rec["ad_name"])
            if rec["clicks"] or rec["conversions"]:
                actions = [{"action_type": "link_click", "value": str(int(rec["clicks"]))}]
                values = []
                if rec["conversions"]:
                    actions += [{"action_type": "purchase", "value": str(int(rec["conversions"]))},
                                {"action_type": "offsite_conversion.fb_pixel_purchase", "value": str(int(rec["conversions"]))}]
                    v = f"{rec['conversions_value']:.2f}"
                    values = [{"action_type": "purchase", "value": v},
                              {"action_type": "offsite_conversion.fb_pixel_purchase", "value": v}]
                row["actions"] = actions
                if values:
                    row["action_values"] = values
            rows.append({k: v for k, v in row.items() if k in fields or k in ("date_start", "date_stop")})
        return rows

    def _page(self, req: Request, rows: list[dict]) -> Response:
        try:
            limit = min(int(req.query.get("limit", self.server.page_size(SOURCE, DEFAULT_LIMIT))), MAX_LIMIT)
        except ValueError:
            return _error(400, "(#100) limit must be an integer", 100)
        start = _uncursor(req.query["after"]) if req.query.get("after") else 0
        page = rows[start:start + limit]
        body: dict = {"data": page}
        if rows:
            body["paging"] = {"cursors": {"before": _cursor(start), "after": _cursor(start + len(page))}}
            if start + limit < len(rows):
                query = dict(req.query)
                query["after"] = _cursor(start + len(page))
                body["paging"]["next"] = f"{req.base_url}{req.path}?{urlencode(query)}"
            if start > 0:
                query = dict(req.query)
                query.pop("after", None)
                query["before"] = _cursor(start)
                body["paging"]["previous"] = f"{req.base_url}{req.path}?{urlencode(query)}"
        return Response.json_body(200, body)


def _fields(req: Request, default: tuple[str, ...]) -> set[str]:
    raw = req.query.get("fields")
    return {f.strip() for f in raw.split(",") if f.strip()} if raw else set(default)


__all__ = ["Api", "SOURCE", "money"]
