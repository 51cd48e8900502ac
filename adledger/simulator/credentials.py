"""Credentials of the emulated APIs, written into the world as dlt secrets (`DIR/emulator_secrets.toml`).

The file uses dlt's `[sources.<name>]` layout, so the demo and the tests can copy it into `.dlt/secrets.toml`
(or export the values as `SOURCES__<NAME>__<KEY>`). The emulators read the same file to check requests.
Values are derived from the world seed: they are test credentials of a simulated world, never real ones.
"""

from __future__ import annotations

import hashlib
import tomllib
from pathlib import Path

from adledger.simulator.catalog import Catalog

SECRETS_FILE = "emulator_secrets.toml"


def _token(seed: int, name: str, n: int = 32) -> str:
    return hashlib.sha256(f"adledger-world-{seed}-{name}".encode()).hexdigest()[:n]


def credentials(seed: int, catalog: Catalog) -> dict[str, dict]:
    """The per-source credentials and account ids of a world."""
    acc = {p: [a.account_id for a in catalog.accounts if a.platform == p] for p in
           ("google_ads", "microsoft_ads", "meta_ads", "tiktok_ads", "affiliate", "esp")}
    return {
        "google_ads": {"developer_token": _token(seed, "g-dev", 22), "client_id": f"{_token(seed, 'g-cid', 12)}.apps.example",
                       "client_secret": _token(seed, "g-secret"), "refresh_token": "1//" + _token(seed, "g-refresh", 40),
                       "login_customer_id": "1000000001", "customer_ids": acc["google_ads"]},
        "microsoft_ads": {"developer_token": _token(seed, "m-dev", 16), "client_id": _token(seed, "m-cid", 36),
                          "client_secret": _token(seed, "m-secret"), "refresh_token": "M." + _token(seed, "m-refresh", 40),
                          "customer_id": "250123456", "account_ids": acc["microsoft_ads"]},
        "meta_ads": {"access_token": "EAAB" + _token(seed, "meta", 60), "account_ids": acc["meta_ads"]},
        "tiktok_ads": {"access_token": _token(seed, "tiktok", 40), "app_id": "7200000000000000001",
                       "advertiser_ids": acc["tiktok_ads"]},
        "affiliate": {"account_sid": acc["affiliate"][0], "auth_token": _token(seed, "impact", 32)},
        "esp": {"api_key": _token(seed, "esp", 32) + "-us21", "server_prefix": "us21"},
    }


def _toml_value(v) -> str:
    if isinstance(v, list):
        return "[" + ", ".join(_toml_value(x) for x in v) + "]"
    return '"' + str(v).replace("\\", "\\\\").replace('"', '\\"') + '"'


def write_secrets(world_dir: Path, seed: int, catalog: Catalog) -> Path:
    lines = ["# Credentials of the emulated ad-platform APIs of this simulated world (dlt secrets layout).",
             "# base_url is not here: it depends on the emulator's port (see `adledger serve-apis`)."]
    for source, values in credentials(seed, catalog).items():
        lines.append(f"\n[sources.{source}]")
        lines += [f"{k} = {_toml_value(v)}" for k, v in values.items()]
    path = Path(world_dir) / SECRETS_FILE
    path.write_text("\n".join(lines) + "\n")
    return path


def read_secrets(world_dir: Path) -> dict[str, dict]:
    """`{source: {key: value}}` from a world's secrets file."""
    data = tomllib.loads((Path(world_dir) / SECRETS_FILE).read_text())
    return data["sources"]
