"""Collector settings: limits from the Segment HTTP Tracking API, secrets the dlt way.

Secrets are resolved with dlt's providers, so they come from `.dlt/secrets.toml`

    [collector]
    write_keys = ["wk_browser_…", "wk_server_…"]
    ip_hash_key = "a long random string"

or from the environment (`COLLECTOR__WRITE_KEYS='["wk_…"]'`, `COLLECTOR__IP_HASH_KEY=…`). The IP key must
be the one the tracker ingestion uses, so a visitor's IP pseudonym is the same on both paths.
Secret values are never logged or written to the event files.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

#: Segment HTTP Tracking API limits: 32 KB per event, 500 KB per batch request
#: (https://segment.com/docs/connections/sources/catalog/libraries/server/http-api/#max-request-size)
MAX_EVENT_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024


class ConfigError(ValueError):
    """The collector cannot start with the settings it found; the message says what to set."""


@dataclass(frozen=True)
class CollectorConfig:
    """What one collector process needs besides its address and output folder."""

    #: accepted write keys, in the order configured (the first one is embedded in the demo pages)
    write_keys: tuple[str, ...]
    ip_hash_key: bytes | None = None
    max_event_bytes: int = MAX_EVENT_BYTES
    max_batch_bytes: int = MAX_BATCH_BYTES
    #: bytes waiting for the disk above which new requests get 503 (back-pressure)
    max_pending_bytes: int = 64 * 1024 * 1024
    serve_demo: bool = True
    cors_max_age_s: int = 86_400

    def __post_init__(self) -> None:
        if not self.write_keys or not all(isinstance(k, str) and k for k in self.write_keys):
            raise ConfigError(
                "no write key configured: set `write_keys = [\"<key>\"]` under [collector] in "
                ".dlt/secrets.toml or export COLLECTOR__WRITE_KEYS='[\"<key>\"]'"
            )

    def __repr__(self) -> str:  # never print the secrets
        return f"CollectorConfig(write_keys=<{len(self.write_keys)} keys>, ip_hash_key=<{'set' if self.ip_hash_key else 'unset'}>)"


def _as_key_list(value: object) -> list[str]:
    if value is None:
        return []
    if isinstance(value, str):
        if value.lstrip().startswith("["):  # a JSON/TOML list in an environment variable
            try:
                return _as_key_list(json.loads(value))
            except ValueError:
                raise ConfigError("collector.write_keys is not a valid list, e.g. [\"wk_1\", \"wk_2\"]") from None
        return [part.strip() for part in value.split(",") if part.strip()]  # COLLECTOR__WRITE_KEYS=k1,k2
    if isinstance(value, (list, tuple)):
        return [str(part) for part in value if str(part)]
    raise ConfigError("collector.write_keys must be a list of strings")


def load_config(serve_demo: bool = True) -> CollectorConfig:
    """Resolve the collector secrets with dlt (`[collector]` section of secrets.toml or env vars)."""
    import dlt

    keys = _as_key_list(dlt.secrets.get("collector.write_keys"))
    ip_key = dlt.secrets.get("collector.ip_hash_key")
    return CollectorConfig(
        write_keys=tuple(keys),
        ip_hash_key=str(ip_key).encode("utf-8") if ip_key else None,
        serve_demo=serve_demo,
    )
