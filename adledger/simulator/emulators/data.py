"""The platform data of a world as the emulators see it, with the restatement switch.

Restating N days replaces, for every API account, the spend and clicks of its last N local dates by the
world's `restated_cost_micros` / `restated_clicks` (credits for invalid clicks). Each call is recorded with
the dates it touched and the before/after totals, so a test can compute the expected after-state.
"""

from __future__ import annotations

import threading
from pathlib import Path

import pandas as pd

from adledger.simulator.credentials import read_secrets

API_PLATFORMS = ("google_ads", "microsoft_ads", "meta_ads", "tiktok_ads")


class WorldData:
    def __init__(self, world_dir: Path):
        root = Path(world_dir) / "platforms"
        self.world_dir = Path(world_dir)
        self.accounts = pd.read_parquet(root / "accounts.parquet")
        self.units = pd.read_parquet(root / "units.parquet")
        self._delivery = pd.read_parquet(root / "delivery.parquet")
        self.actions = pd.read_parquet(root / "affiliate_actions.parquet")
        self.esp_campaigns = pd.read_parquet(root / "esp_campaigns.parquet")
        self.secrets = read_secrets(world_dir)
        self.restated_dates: dict[str, set[str]] = {}
        self.restatements: list[dict] = []
        self._lock = threading.Lock()
        self._view = self._delivery.copy()

    def account(self, platform: str, account_id: str) -> dict | None:
        m = (self.accounts["platform"] == platform) & (self.accounts["account_id"] == str(account_id))
        rows = self.accounts[m]
        return rows.iloc[0].to_dict() if len(rows) else None

    def platform_accounts(self, platform: str) -> pd.DataFrame:
        return self.accounts[self.accounts["platform"] == platform]

    def platform_units(self, platform: str, account_id: str | None = None) -> pd.DataFrame:
        u = self.units[self.units["platform"] == platform]
        return u if account_id is None else u[u["account_id"] == str(account_id)]

    def delivery(self, platform: str, account_id: str | None = None, since: str | None = None,
                 until: str | None = None) -> pd.DataFrame:
        """Delivery rows as currently served (restated where switched on), joined with unit names."""
        with self._lock:
            d = self._view
        d = d[d["platform"] == platform]
        if account_id is not None:
            d = d[d["account_id"] == str(account_id)]
        if since:
            d = d[d["date"] >= since]
        if until:
            d = d[d["date"] <= until]
        names = self.units[["unit", "campaign_name", "adgroup_name", "ad_name", "keyword_text", "match_type",
                            "quality_score", "cpc_bid_micros"]]
        return d.merge(names, on="unit", how="left")

    def restate(self, days: int) -> dict:
        """Serve restated spend for the last `days` local dates of every API account; returns the record."""
        if days < 1:
            raise ValueError("days must be at least 1")
        record: dict = {"days": days, "accounts": {}}
        with self._lock:
            base = self._delivery
            view = self._view.copy()
            for (platform, account_id), g in base[base["platform"].isin(API_PLATFORMS)].groupby(
                    ["platform", "account_id"]):
                dates = sorted(g["date"].unique())[-days:]
                key = f"{platform}:{account_id}"
                self.restated_dates.setdefault(key, set()).update(dates)
                m = (view["platform"] == platform) & (view["account_id"] == account_id) & view["date"].isin(dates)
                before = int(view.loc[m, "cost_micros"].sum())
                view.loc[m, "cost_micros"] = base.loc[m, "restated_cost_micros"]
                view.loc[m, "clicks"] = base.loc[m, "restated_clicks"]
                record["accounts"][key] = {"dates": dates, "cost_micros_before": before,
                                           "cost_micros_after": int(view.loc[m, "cost_micros"].sum())}
            self._view = view
            self.restatements.append(record)
        return record

    def reset(self) -> None:
        with self._lock:
            self._view = self._delivery.copy()
            self.restated_dates.clear()
            self.restatements.clear()
