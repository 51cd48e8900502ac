"""Google Ads API (REST) emulator: OAuth refresh, `listAccessibleCustomers`, `googleAds:search` and
`googleAds:searchStream` with a GAQL subset.

Followed (Google Ads API reference, v19-v22):
- GoogleAdsService.SearchStream / Search — https://developers.google.com/google-ads/api/reference/rpc/v21/SearchGoogleAdsStreamResponse
  (`results[]`, `fieldMask`, `requestId`; searchStream's REST body is a JSON array of such batches; `search`
  pages with `nextPageToken`, 10,000 rows per page).
- REST interface and headers — https://developers.google.com/google-ads/api/rest/overview (`Authorization:
  Bearer`, `developer-token`, optional `login-customer-id`), OAuth token endpoint `POST /token` with
  `grant_type=refresh_token` (https://developers.google.com/identity/protocols/oauth2/web-server#offline).
- Fields: `customer.currency_code`, `customer.time_zone`, `metrics.cost_micros` ... Protobuf JSON mapping:
  field names in lowerCamelCase, int64 as strings, double as numbers, enums as names, and fields with their
  default value (0) omitted — so a row with no conversions has no `metrics.conversions` key.
- Errors: `{"error": {"code", "message", "status", "details": [GoogleAdsFailure]}}`.

Metrics are reported per customer-local date (`segments.date` in the customer's `time_zone`).
"""

from __future__ import annotations

import base64
import hashlib
import re
from typing import Any

import pandas as pd

from adledger.simulator.emulators.base import BaseApi
from adledger.simulator.emulators.http import ApiError, Request, Response

SOURCE = "google_ads"
PAGE_SIZE = 10_000
STREAM_BATCH = 10_000

#: GAQL field -> (column in the delivery/unit frame, JSON type: str | int64 | int32 | double | enum)
FIELDS: dict[str, tuple[str, str]] = {
    "customer.id": ("account_id", "int64"),
    "customer.descriptive_name": ("account_name", "str"),
    "customer.currency_code": ("currency", "str"),
    "customer.time_zone": ("timezone", "str"),
    "campaign.id": ("campaign_id", "int64"),
    "campaign.name": ("campaign_name", "str"),
    "campaign.status": ("status", "enum"),
    "campaign.advertising_channel_type": ("_channel_type", "enum"),
    "ad_group.id": ("adgroup_id", "int64"),
    "ad_group.name": ("adgroup_name", "str"),
    "ad_group.status": ("status", "enum"),
    "ad_group_ad.ad.id": ("ad_id", "int64"),
    "ad_group_ad.ad.name": ("ad_name", "str"),
    "ad_group_ad.ad.type": ("_ad_type", "enum"),
    "ad_group_ad.status": ("status", "enum"),
    "ad_group_criterion.criterion_id": ("keyword_id", "int64"),
    "ad_group_criterion.keyword.text": ("keyword_text", "str"),
    "ad_group_criterion.keyword.match_type": ("match_type", "enum"),
    "ad_group_criterion.quality_info.quality_score": ("quality_score", "int32"),
    "ad_group_criterion.cpc_bid_micros": ("cpc_bid_micros", "int64"),
    "ad_group_criterion.status": ("status", "enum"),
    "metrics.impressions": ("impressions", "int64"),
    "metrics.clicks": ("clicks", "int64"),
    "metrics.cost_micros": ("cost_micros", "int64"),
    "metrics.conversions": ("conversions", "double"),
    "metrics.conversions_value": ("conversions_value", "double"),
    "segments.date": ("date", "str"),
}
#: resource -> columns that identify one row of it
RESOURCES = {
    "customer": ["account_id"],
    "campaign": ["account_id", "campaign_id"],
    "ad_group": ["account_id", "campaign_id", "adgroup_id"],
    "ad_group_ad": ["account_id", "campaign_id", "adgroup_id", "ad_id"],
    "keyword_view": ["account_id", "campaign_id", "adgroup_id", "keyword_id"],
}
#: which field prefixes each resource may select (its own and its parents')
ALLOWED = {
    "customer": ("customer.",),
    "campaign": ("customer.", "campaign."),
    "ad_group": ("customer.", "campaign.", "ad_group."),
    "ad_group_ad": ("customer.", "campaign.", "ad_group.", "ad_group_ad."),
    "keyword_view": ("customer.", "campaign.", "ad_group.", "ad_group_criterion."),
}
METRICS = ("impressions", "clicks", "cost_micros", "conversions", "conversions_value")
QUERY_RE = re.compile(r"^\s*SELECT\s+(?P<fields>.+?)\s+FROM\s+(?P<resource>\w+)"
                      r"(?:\s+WHERE\s+(?P<where>.+?))?(?:\s+ORDER\s+BY\s+(?P<order>.+?))?"
                      r"(?:\s+LIMIT\s+(?P<limit>\d+))?\s*;?\s*$", re.IGNORECASE | re.DOTALL)
COND_RE = re.compile(r"^\s*(?P<field>[\w.]+)\s+(?P<op>BETWEEN|IN|NOT IN|=|!=|>=|<=|>|<)\s+(?P<value>.+?)\s*$",
                     re.IGNORECASE | re.DOTALL)


def _camel(path: str) -> list[str]:
    return [re.sub(r"_(\w)", lambda m: m.group(1).upper(), p) for p in path.split(".")]


class GaqlError(ValueError):
    pass


def parse_gaql(query: str) -> dict:
    """`{"fields", "resource", "conditions": [(field, op, values)], "order": [(field, desc)], "limit"}`."""
    m = QUERY_RE.match(query or "")
    if not m:
        raise GaqlError("query must be SELECT <fields> FROM <resource> [WHERE ...] [ORDER BY ...] [LIMIT n]")
    resource = m.group("resource").lower()
    if resource not in RESOURCES:
        raise GaqlError(f"resource {resource!r} is not supported; use one of {', '.join(RESOURCES)}")
    fields = [f.strip() for f in m.group("fields").split(",") if f.strip()]
    for f in fields:
        if f not in FIELDS:
            raise GaqlError(f"unrecognized field in the query: {f!r}")
        if not (f.startswith(("metrics.", "segments.")) or f.startswith(ALLOWED[resource])):
            raise GaqlError(f"field {f!r} cannot be selected with resource {resource!r}")
    conditions = []
    if m.group("where"):
        where = re.sub(r"BETWEEN\s+('[^']*')\s+AND\s+('[^']*')", r"BETWEEN \1 __AND__ \2", m.group("where"),
                       flags=re.IGNORECASE)
        conditions = [_condition(part) for part in re.split(r"\s+AND\s+", where, flags=re.IGNORECASE)]
    order = []
    if m.group("order"):
        for part in m.group("order").split(","):
            bits = part.split()
            order.append((bits[0], len(bits) > 1 and bits[1].upper() == "DESC"))
    return {"fields": fields, "resource": resource, "conditions": conditions, "order": order,
            "limit": int(m.group("limit")) if m.group("limit") else None}


def _condition(text: str) -> tuple[str, str, list[str]]:
    between = re.match(r"^\s*([\w.]+)\s+BETWEEN\s+'([^']*)'\s+__AND__\s+'([^']*)'\s*$", text, re.IGNORECASE)
    if between:
        return between.group(1), "BETWEEN", [between.group(2), between.group(3)]
    m = COND_RE.match(text)
    if not m or m.group("field") not in FIELDS:
        raise GaqlError(f"cannot parse the condition {text.strip()!r}")
    op = m.group("op").upper()
    raw = m.group("value").strip()
    if op in ("IN", "NOT IN"):
        values = [v.strip().strip("'\"") for v in raw.strip("()").split(",")]
    else:
        values = [raw.strip("'\"")]
    return m.group("field"), op, values


def _apply_conditions(df: pd.DataFrame, conditions: list) -> pd.DataFrame:
    for field, op, values in conditions:
        col = FIELDS[field][0]
        if col not in df:
            continue
        s = df[col].astype(str) if FIELDS[field][1] in ("int64", "str", "enum") else df[col]
        if op == "BETWEEN":
            df = df[(s >= values[0]) & (s <= values[1])]
        elif op == "IN":
            df = df[s.isin(values)]
        elif op == "NOT IN":
            df = df[~s.isin(values)]
        elif op == "=":
            df = df[s == values[0]]
        elif op == "!=":
            df = df[s != values[0]]
        else:
            v = values[0]
            df = df[{">=": s >= v, "<=": s <= v, ">": s > v, "<": s < v}[op]]
    return df


def _json_value(value: Any, kind: str):
    if value is None or (isinstance(value, float) and pd.isna(value)):
        return None
    if kind == "int64":
        v = str(int(value)) if not isinstance(value, str) else value
        return None if v == "0" else v
    if kind == "int32":
        return int(value) or None
    if kind == "double":
        return round(float(value), 6) or None
    return str(value)


class Api(BaseApi):
    SOURCE = SOURCE

    # ------------------------------------------------------------------------------------------ errors
    def error(self, status: int, message: str, headers: dict | None = None, reason: str | None = None) -> Response:
        names = {400: "INVALID_ARGUMENT", 401: "UNAUTHENTICATED", 403: "PERMISSION_DENIED", 404: "NOT_FOUND",
                 429: "RESOURCE_EXHAUSTED", 500: "INTERNAL", 503: "UNAVAILABLE"}
        body = {"error": {"code": status, "message": message, "status": names.get(status, "UNKNOWN")}}
        if reason:
            body["error"]["details"] = [{"@type": "type.googleapis.com/google.ads.googleads.v21.errors.GoogleAdsFailure",
                                         "errors": [{"errorCode": reason_code(reason), "message": message}],
                                         "requestId": _request_id(message)}]
        return Response.json_body(status, body, headers)

    # ------------------------------------------------------------------------------------------ routes
    def handle(self, req: Request) -> Response:
        if req.path == "/token" and req.method == "POST":
            return self._token(req)
        m = re.match(r"^/v(\d+)/customers(?::listAccessibleCustomers|/(\d+)/googleAds:(search|searchStream))$", req.path)
        if not m:
            return self.error(404, f"unknown method {req.method} {req.path}")
        self._authorize(req)
        if m.group(2) is None:
            return Response.json_body(200, {"resourceNames": [f"customers/{a}" for a in self.creds["customer_ids"]]})
        customer_id, method = m.group(2), m.group(3)
        if req.method != "POST":
            return self.error(404, f"{method} needs POST")
        if customer_id not in self.creds["customer_ids"]:
            return self.error(403, f"The caller does not have permission to access customer {customer_id}.",
                              reason="authorizationError:USER_PERMISSION_DENIED")
        body = req.json()
        try:
            query = parse_gaql(body.get("query", ""))
        except GaqlError as exc:
            return self.error(400, f"Error in query: {exc}", reason="queryError:UNRECOGNIZED_FIELD")
        rows = self._rows(customer_id, query)
        mask = ",".join(".".join(_camel(f)) for f in query["fields"])
        request_id = _request_id(req.body.decode("utf-8", "replace") + customer_id)
        if method == "searchStream":
            size = self.server.page_size(SOURCE, STREAM_BATCH)
            batches = [{"results": rows[i:i + size], "fieldMask": mask, "requestId": request_id}
                       for i in range(0, len(rows), size)] or [{"fieldMask": mask, "requestId": request_id}]
            return Response.json_body(200, batches)
        size = self.server.page_size(SOURCE, PAGE_SIZE)
        token = body.get("pageToken")
        start = _decode_token(token) if token else 0
        if start is None:
            return self.error(400, "Page token is invalid.", reason="requestError:INVALID_PAGE_TOKEN")
        page = {"results": rows[start:start + size], "fieldMask": mask, "requestId": request_id}
        if start + size < len(rows):
            page["nextPageToken"] = _encode_token(start + size)
        if body.get("returnTotalResultsCount"):
            page["totalResultsCount"] = str(len(rows))
        if not page["results"]:
            del page["results"]
        return Response.json_body(200, page)

    def _token(self, req: Request) -> Response:
        f = req.form()
        if f.get("grant_type") != "refresh_token":
            return Response.json_body(400, {"error": "unsupported_grant_type",
                                            "error_description": "grant_type must be refresh_token"})
        if f.get("client_id") != self.creds["client_id"] or f.get("client_secret") != self.creds["client_secret"]:
            return Response.json_body(401, {"error": "invalid_client", "error_description": "The OAuth client was not found."})
        if f.get("refresh_token") != self.creds["refresh_token"]:
            return Response.json_body(401, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
        token = self.issue_token("ya29.")
        return Response.json_body(200, {"access_token": token, "expires_in": 3599, "token_type": "Bearer",
                                        "scope": "https://www.googleapis.com/auth/adwords"})

    def _authorize(self, req: Request) -> None:
        if not self.bearer_ok(req):
            raise ApiError(self.error(
                401, "Request is missing required authentication credential. Expected OAuth 2 access token, login "
                     "cookie or other valid authentication credential (get one from POST /token).",
                reason="authenticationError:OAUTH_TOKEN_INVALID"))
        if req.header("developer-token") != self.creds["developer_token"]:
            raise ApiError(self.error(401, "The developer token is not valid.",
                                      reason="authenticationError:DEVELOPER_TOKEN_INVALID"))
        login = req.header("login-customer-id")
        if login and login.replace("-", "") != self.creds["login_customer_id"]:
            raise ApiError(self.error(403, f"login-customer-id {login} does not manage this customer.",
                                      reason="authorizationError:USER_PERMISSION_DENIED"))

    # ------------------------------------------------------------------------------------------ data
    def _rows(self, customer_id: str, q: dict) -> list[dict]:
        acc = self.world.account(SOURCE, customer_id)
        keys = list(RESOURCES[q["resource"]])
        wants_metrics = any(f.startswith("metrics.") for f in q["fields"])
        by_date = "segments.date" in q["fields"]
        if wants_metrics or by_date:
            df = self.world.delivery(SOURCE, customer_id)
            if by_date:
                keys.append("date")
            df = _apply_conditions(df, q["conditions"])
            attrs = [FIELDS[f][0] for f in q["fields"] if not f.startswith(("metrics.", "segments."))
                     and FIELDS[f][0] not in keys and not FIELDS[f][0].startswith("_") and FIELDS[f][0] in df]
            agg = {c: "sum" for c in METRICS}
            agg.update({c: "first" for c in attrs})
            df = df.groupby(keys, as_index=False, sort=True).agg(agg)
        else:
            df = self.world.platform_units(SOURCE, customer_id)
            df = _apply_conditions(df, q["conditions"]).drop_duplicates(keys).sort_values(keys)
        df = df.assign(account_name=acc["name"], currency=acc["currency"], timezone=acc["timezone"],
                       status="ENABLED", _channel_type="SEARCH", _ad_type="RESPONSIVE_SEARCH_AD")
        if q["resource"] == "keyword_view":
            names = self.world.platform_units(SOURCE, customer_id).drop_duplicates("keyword_id")
            extra = [c for c in ("keyword_text", "match_type", "quality_score", "cpc_bid_micros") if c not in df]
            if extra:
                df = df.merge(names[["keyword_id"] + extra], on="keyword_id", how="left")
        for field, desc in reversed(q["order"]):
            if field in FIELDS and FIELDS[field][0] in df:
                df = df.sort_values(FIELDS[field][0], ascending=not desc, kind="stable")
        if q["limit"] is not None:
            df = df.head(q["limit"])
        return [self._row(customer_id, q, rec) for rec in df.to_dict("records")]

    def _row(self, customer_id: str, q: dict, rec: dict) -> dict:
        out: dict = {}
        res = q["resource"]
        names = {"customer": f"customers/{customer_id}",
                 "campaign": f"customers/{customer_id}/campaigns/{rec.get('campaign_id')}",
                 "ad_group": f"customers/{customer_id}/adGroups/{rec.get('adgroup_id')}",
                 "ad_group_ad": f"customers/{customer_id}/adGroupAds/{rec.get('adgroup_id')}~{rec.get('ad_id')}",
                 "keyword_view": f"customers/{customer_id}/keywordViews/{rec.get('adgroup_id')}~{rec.get('keyword_id')}"}
        out[_camel(res)[0]] = {"resourceName": names[res]}
        for field in q["fields"]:
            col, kind = FIELDS[field]
            value = _json_value(rec.get(col), kind)
            if value is None:
                continue
            path = _camel(field)
            node = out
            for part in path[:-1]:
                node = node.setdefault(part, {})
            node[path[-1]] = value
            top = path[0]
            if top in ("campaign", "adGroup", "customer") and "resourceName" not in out[top]:
                key = {"campaign": "campaign", "adGroup": "ad_group", "customer": "customer"}[top]
                out[top]["resourceName"] = names[key]
            if top == "adGroupCriterion" and "resourceName" not in out[top]:
                out[top]["resourceName"] = f"customers/{customer_id}/adGroupCriteria/{rec.get('adgroup_id')}~{rec.get('keyword_id')}"
        if any(f.startswith("metrics.") for f in q["fields"]):
            out.setdefault("metrics", {})
        return out


def reason_code(reason: str) -> dict:
    group, _, code = reason.partition(":")
    return {group: code}


def _request_id(seed: str) -> str:
    return hashlib.sha256(seed.encode()).hexdigest()[:22]


def _encode_token(offset: int) -> str:
    return base64.urlsafe_b64encode(f"offset:{offset}".encode()).decode()


def _decode_token(token: str) -> int | None:
    try:
        kind, _, value = base64.urlsafe_b64decode(token.encode()).decode().partition(":")
        return int(value) if kind == "offset" else None
    except (ValueError, UnicodeDecodeError):
        return None
