"""TikTok API for Business emulator: advertiser info, campaign/adgroup/ad lists and the synchronous
integrated report.

Followed:
- Reporting — `GET /open_api/v1.3/report/integrated/get/` (TikTok API for Business docs, "Synchronous
  reports"; summarized by Apache SeaTunnel's TikTokAds connector docs): `advertiser_id`, `report_type=BASIC`,
  `data_level` (AUCTION_ADVERTISER/CAMPAIGN/ADGROUP/AD), `dimensions` and `metrics` as JSON lists,
  `start_date`/`end_date` (advertiser timezone, at most 30 days with `stat_time_day`), `page`, `page_size`
  (max 1000). Response `{"code": 0, "message": "OK", "request_id", "data": {"list": [{"dimensions": {...},
  "metrics": {...}}], "page_info": {"page", "page_size", "total_number", "total_page"}}}`; metric values are
  strings; `stat_time_day` is `"YYYY-MM-DD 00:00:00"`.
- Auth: `Access-Token` header. Errors keep TikTok's body (`code` 40105 invalid token, 40100 too many requests,
  40002 bad parameter, 50000 system error); the emulator also sets the HTTP status (401, 429, 400, 503) where
  the real API mostly answers 200, so generic clients can act on the status.
"""

from __future__ import annotations

import hashlib
import math
import re
from datetime import date

from adledger.simulator.emulators.base import BaseApi
from adledger.simulator.emulators.http import ApiError, Request, Response, parse_list_param
from adledger.simulator.emulators.meta_ads import money

SOURCE = "tiktok_ads"
DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 1000
MAX_DAYS_DAILY = 30
LEVELS = {"AUCTION_ADVERTISER": ("advertiser_id", "account_id"), "AUCTION_CAMPAIGN": ("campaign_id", "campaign_id"),
          "AUCTION_ADGROUP": ("adgroup_id", "adgroup_id"), "AUCTION_AD": ("ad_id", "ad_id")}
METRICS = {"spend", "impressions", "clicks", "ctr", "cpc", "cpm", "conversion", "complete_payment",
           "total_complete_payment_rate", "campaign_name", "campaign_id", "adgroup_name", "adgroup_id", "ad_name",
           "currency"}
ERROR_CODES = {400: 40002, 401: 40105, 403: 40001, 404: 40002, 429: 40100, 500: 50000, 503: 50000}


def _body(code: int, message: str, data: dict | None, request_id: str) -> dict:
    return {"code": code, "message": message, "request_id": request_id, "data": data if data is not None else {}}


class Api(BaseApi):
    SOURCE = SOURCE

    def error(self, status: int, message: str, headers: dict | None = None) -> Response:
        return Response.json_body(status, _body(ERROR_CODES.get(status, 40000), message, None, _rid(message)), headers)

    def credential(self, req: Request) -> str:
        return req.header("access-token") or "anonymous"

    def handle(self, req: Request) -> Response:
        if req.header("access-token") != self.creds["access_token"]:
            return self.error(401, "Access token is incorrect or has been revoked.")
        m = re.match(r"^/open_api/v1\.3/(report/integrated/get|advertiser/info|campaign/get|adgroup/get|ad/get)/?$",
                     req.path)
        if not m:
            return self.error(404, f"path {req.path} is not an API of this version")
        op = m.group(1)
        if op == "advertiser/info":
            ids = parse_list_param(req.query.get("advertiser_ids"))
            rows = [self._advertiser(a) for a in ids if a in self.creds["advertiser_ids"]]
            return self._ok({"list": rows})
        advertiser = req.query.get("advertiser_id", "")
        if advertiser not in self.creds["advertiser_ids"]:
            return self.error(403, f"No permission to operate advertiser {advertiser!r}.")
        if op == "report/integrated/get":
            return self._page(req, self._report(req, advertiser))
        return self._page(req, self._objects(advertiser, op.split("/")[0]))

    def _ok(self, data: dict) -> Response:
        return Response.json_body(200, _body(0, "OK", data, _rid(repr(sorted(data)))))

    def _advertiser(self, advertiser_id: str) -> dict:
        acc = self.world.account(SOURCE, advertiser_id)
        return {"advertiser_id": advertiser_id, "name": acc["name"], "currency": acc["currency"],
                "timezone": acc["timezone"], "display_timezone": acc["timezone"], "status": "STATUS_ENABLE"}

    def _objects(self, advertiser: str, kind: str) -> list[dict]:
        units = self.world.platform_units(SOURCE, advertiser)
        key = {"campaign": "campaign_id", "adgroup": "adgroup_id", "ad": "ad_id"}[kind]
        out = []
        for rec in units.drop_duplicates(key).to_dict("records"):
            row = {"advertiser_id": advertiser, "campaign_id": rec["campaign_id"], "campaign_name": rec["campaign_name"],
                   "operation_status": "ENABLE", "objective_type": "WEB_CONVERSIONS"}
            if kind in ("adgroup", "ad"):
                row.update(adgroup_id=rec["adgroup_id"], adgroup_name=rec["adgroup_name"])
            if kind == "ad":
                row.update(ad_id=rec["ad_id"], ad_name=rec["ad_name"])
            out.append(row)
        return out

    def _report(self, req: Request, advertiser: str) -> list[dict]:
        q = req.query
        if q.get("report_type", "BASIC") != "BASIC":
            raise ApiError(self.error(400, "report_type: only BASIC is supported"))
        level = q.get("data_level", "AUCTION_ADVERTISER")
        if level not in LEVELS:
            raise ApiError(self.error(400, f"data_level must be one of {', '.join(LEVELS)}"))
        dims = parse_list_param(q.get("dimensions"))
        metrics = parse_list_param(q.get("metrics")) or ["spend", "impressions", "clicks"]
        id_dim, id_col = LEVELS[level]
        if not dims or dims[0] != id_dim or any(d not in (id_dim, "stat_time_day") for d in dims):
            raise ApiError(self.error(400, f"dimensions must be [{id_dim!r}] or [{id_dim!r}, 'stat_time_day'] for {level}"))
        bad = [m for m in metrics if m not in METRICS]
        if bad:
            raise ApiError(self.error(400, f"metrics: {bad[0]!r} is not supported"))
        try:
            start, end = date.fromisoformat(q["start_date"]), date.fromisoformat(q["end_date"])
        except (KeyError, ValueError):
            raise ApiError(self.error(400, "start_date and end_date (YYYY-MM-DD) are required")) from None
        if end < start:
            raise ApiError(self.error(400, "end_date is before start_date"))
        daily = "stat_time_day" in dims
        if daily and (end - start).days + 1 > MAX_DAYS_DAILY:
            raise ApiError(self.error(400, f"The time span is too long: with stat_time_day at most {MAX_DAYS_DAILY} "
                                           "days per request; split the range"))
        acc = self.world.account(SOURCE, advertiser)
        df = self.world.delivery(SOURCE, advertiser, start.isoformat(), end.isoformat())
        if df.empty:
            return []
        keys = [id_col] + (["date"] if daily else [])
        g = df.groupby(keys, as_index=False, sort=True).agg(
            impressions=("impressions", "sum"), clicks=("clicks", "sum"), cost_micros=("cost_micros", "sum"),
            conversions=("conversions", "sum"), campaign_id=("campaign_id", "first"),
            campaign_name=("campaign_name", "first"), adgroup_id=("adgroup_id", "first"),
            adgroup_name=("adgroup_name", "first"), ad_name=("ad_name", "first"))
        out = []
        for rec in g.to_dict("records"):
            values = {"spend": money(rec["cost_micros"]), "impressions": str(int(rec["impressions"])),
                      "clicks": str(int(rec["clicks"])), "conversion": str(int(rec["conversions"])),
                      "complete_payment": str(int(rec["conversions"])),
                      "ctr": f"{(rec['clicks'] / rec['impressions'] * 100) if rec['impressions'] else 0:.2f}",
                      "cpc": f"{(rec['cost_micros'] / 1e6 / rec['clicks']) if rec['clicks'] else 0:.2f}",
                      "cpm": f"{(rec['cost_micros'] / 1e3 / rec['impressions']) if rec['impressions'] else 0:.2f}",
                      "total_complete_payment_rate": f"{(rec['conversions'] / rec['clicks'] * 100) if rec['clicks'] else 0:.2f}",
                      "campaign_name": rec["campaign_name"], "campaign_id": rec["campaign_id"],
                      "adgroup_name": rec["adgroup_name"], "adgroup_id": rec["adgroup_id"], "ad_name": rec["ad_name"],
                      "currency": acc["currency"]}
            d = {id_dim: advertiser if id_col == "account_id" else str(rec[id_col])}
            if daily:
                d["stat_time_day"] = f"{rec['date']} 00:00:00"
            out.append({"dimensions": d, "metrics": {m: values[m] for m in metrics}})
        return out

    def _page(self, req: Request, rows: list[dict]) -> Response:
        try:
            page = max(1, int(req.query.get("page", "1")))
            size = int(req.query.get("page_size", self.server.page_size(SOURCE, DEFAULT_PAGE_SIZE)))
        except ValueError:
            return self.error(400, "page and page_size must be integers")
        if not 1 <= size <= MAX_PAGE_SIZE:
            return self.error(400, f"page_size must be between 1 and {MAX_PAGE_SIZE}")
        total_page = math.ceil(len(rows) / size) if rows else 0
        chunk = rows[(page - 1) * size: page * size]
        return self._ok({"list": chunk, "page_info": {"page": page, "page_size": size, "total_number": len(rows),
                                                      "total_page": total_page}})


def _rid(seed: str) -> str:
    return "2026" + hashlib.sha256(seed.encode()).hexdigest()[:28].upper()
