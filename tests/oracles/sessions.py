"""An independent, plain-Python recomputation of the sessions mart from tracker files (a test oracle).

It shares no code with the product: it reads the JSON lines with `json`, applies the event contract, keeps the
first delivery of each messageId, sessionizes with the inactivity and new-click-id rules and classifies landings with the rule seed
read by `csv` and matched with `re`.
"""

from __future__ import annotations

import csv
import gzip
import json
import re
from collections import defaultdict
from datetime import datetime, timedelta
from decimal import Decimal
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

CLICK_IDS = ("gclid", "gbraid", "wbraid", "dclid", "msclkid", "fbclid", "ttclid", "li_fat_id", "irclickid", "sccid")


def _valid(e: object) -> bool:
    if not isinstance(e, dict) or not e.get("messageId") or e.get("type") not in (
            "page", "track", "identify", "screen", "alias", "group"):
        return False
    # ISO 8601 text only, as the event contract says: Python would also read an epoch-milliseconds number such as
    # 1758111141025 as a date in 1758, which the contract quarantines
    if not isinstance(e.get("timestamp"), str):
        return False
    try:
        datetime.fromisoformat(e["timestamp"].replace("Z", "+00:00"))
    except ValueError:
        return False
    if not (e.get("anonymousId") or e.get("userId")):
        return False
    if e["type"] == "track" and not e.get("event"):
        return False
    if e.get("event") == "Order Completed":
        props = e.get("properties") or {}
        try:
            if props.get("order_id") is None or Decimal(str(props.get("revenue"))) < 0:
                return False
        except Exception:
            return False
    return True


def read_events(root: Path) -> list[dict]:
    seen: dict[str, dict] = {}
    for path in sorted(root.rglob("*.jsonl*")):
        opener = gzip.open if path.suffix == ".gz" else open
        with opener(path, "rb") as fh:
            for raw in fh:
                try:
                    e = json.loads(raw)
                except (ValueError, UnicodeDecodeError):
                    continue
                if _valid(e):
                    prev = seen.get(e["messageId"])
                    if prev is None or (e.get("receivedAt") or "~") < (prev.get("receivedAt") or "~"):
                        seen[e["messageId"]] = e
    return list(seen.values())


def _rules(seed: Path) -> list[dict]:
    with seed.open() as fh:
        rows = list(csv.DictReader(fh))
    return sorted(rows, key=lambda r: int(r["priority"]))


def _click_id(event: dict) -> str | None:
    query = parse_qs(urlsplit(((event.get("context") or {}).get("page") or {}).get("url") or "").query)
    return next((query[k][0] for k in CLICK_IDS if query.get(k)), None)


def _classify(event: dict, rules: list[dict]) -> str:
    page = (event.get("context") or {}).get("page") or {}
    campaign = (event.get("context") or {}).get("campaign") or {}
    query = parse_qs(urlsplit(page.get("url") or "").query)
    medium = (campaign.get("medium") or (query.get("utm_medium") or [None])[0])
    source = (campaign.get("source") or (query.get("utm_source") or [None])[0])
    medium = medium.lower() if medium else None
    source = source.lower() if source else None
    click = next((k for k in CLICK_IDS if query.get(k)), None)
    referrer = page.get("referrer")
    host = urlsplit(referrer).hostname if referrer else None
    values = {"click_id_pattern": click, "utm_medium_pattern": medium, "utm_source_pattern": source,
              "referrer_host_pattern": host}
    for rule in rules:
        if all(not rule[col] or (values[col] is not None and re.search(rule[col], values[col], re.I))
               for col in values):
            return rule["channel"]
    raise AssertionError("the seed has a catch-all rule")


def channel_daily(root: Path, seed: Path, timeout_minutes: int = 30,
                  erased: set[str] = frozenset()) -> dict[tuple[str, str], dict]:
    """{(day, channel): {sessions, visitors, conversions, revenue}} recomputed from the files under `root`, without
    the events whose messageId is in `erased` (removed by deletion requests)."""
    rules = _rules(seed)
    by_visitor: dict[str, list[dict]] = defaultdict(list)
    for e in read_events(root):
        if e["type"] in ("page", "track") and e.get("anonymousId") and e["messageId"] not in erased:
            by_visitor[e["anonymousId"]].append(e)
    out: dict[tuple[str, str], dict] = defaultdict(
        lambda: {"sessions": 0, "visitors": set(), "conversions": 0, "revenue": Decimal(0)})
    for anon, events in by_visitor.items():
        events.sort(key=lambda e: (datetime.fromisoformat(e["timestamp"].replace("Z", "+00:00")), e["messageId"]))
        sessions: list[list[dict]] = []
        last, last_click = None, None
        for e in events:
            t = datetime.fromisoformat(e["timestamp"].replace("Z", "+00:00"))
            click = _click_id(e)
            if last is None or t - last > timedelta(minutes=timeout_minutes) or (click and click != last_click):
                sessions.append([])
            sessions[-1].append(e)
            last, last_click = t, click or last_click
        for s in sessions:
            landing = s[0]
            day = datetime.fromisoformat(landing["timestamp"].replace("Z", "+00:00")).date().isoformat()
            cell = out[(day, _classify(landing, rules))]
            cell["sessions"] += 1
            cell["visitors"].add(anon)
            orders = {}
            for e in s:
                if e["type"] == "track" and e.get("event") == "Order Completed":
                    orders.setdefault(e["properties"]["order_id"], Decimal(str(e["properties"]["revenue"])))
            cell["conversions"] += len(orders)
            cell["revenue"] += sum(orders.values(), Decimal(0))
    return {k: {**v, "visitors": len(v["visitors"])} for k, v in out.items()}
