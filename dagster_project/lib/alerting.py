"""Send an alert to every configured apprise URL and record each delivery in `quality.alerts`.

Targets are apprise URLs (https://github.com/caronc/apprise/wiki: `slack://`, `msteams://`, `json://`, `mailto://`,
...) from `ADLEDGER_ALERT_URLS` (whitespace-separated, through `adledger.config.settings`) or, when that is unset,
from the dlt-style `[alerts] urls = [...]` in `.dlt/secrets.toml` / `.dlt/config.toml` (env `ALERTS__URLS`).

Every message names what failed (asset, check or step), the run id, a link into the Dagster UI and a hint what to
do. Every delivery — sent, failed, or no target configured — becomes one row of `quality.alerts`. URLs carry tokens
and passwords, so only apprise's privacy form of a URL (secrets masked) is ever logged or stored.
"""

from __future__ import annotations

import fcntl
import json
import logging
import re
import time
import uuid
from collections.abc import Iterable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

import duckdb

from adledger.config import Settings, settings

log = logging.getLogger(__name__)

KINDS = ("run_failure", "check_failure", "freshness", "anomaly")
ALERTS_TABLE = "quality.alerts"
_COLUMNS = ("alert_id", "created_at", "kind", "severity", "asset", "check_name", "step", "run_id", "title", "body",
            "link", "target", "status", "error")
_DDL = f"""
create table if not exists {ALERTS_TABLE} (
    alert_id varchar, created_at timestamptz, kind varchar, severity varchar, asset varchar, check_name varchar,
    step varchar, run_id varchar, title varchar, body varchar, link varchar, target varchar, status varchar,
    error varchar
)
"""
#: how long a delivery record waits for the warehouse's write lock (a run may hold it) before it is spooled
LOCK_WAIT_SECONDS = 20.0
SPOOL_NAME = "alerts_pending.jsonl"


@dataclass(frozen=True)
class Alert:
    """One thing someone should look at.

    `kind` is one of KINDS; `severity` maps onto apprise's notify types (`error` → failure, `warning`, `info`).
    `details` are extra lines (failing rules, error messages), already free of secrets.
    """

    kind: str
    title: str
    hint: str
    asset: str | None = None
    check: str | None = None
    step: str | None = None
    run_id: str | None = None
    severity: str = "error"
    details: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        if self.kind not in KINDS:
            raise ValueError(f"alert kind {self.kind!r} is not one of {', '.join(KINDS)}")

    def link(self, dagster_url: str) -> str:
        """The run in the Dagster UI, else the asset's page."""
        if self.run_id:
            return f"{dagster_url}/runs/{self.run_id}"
        if self.asset:
            return f"{dagster_url}/assets/{self.asset}"
        return dagster_url

    def body(self, dagster_url: str) -> str:
        lines = []
        if self.asset:
            lines.append(f"asset: {self.asset}")
        if self.check:
            lines.append(f"check: {self.check}")
        if self.step:
            lines.append(f"failed step: {self.step}")
        if self.run_id:
            lines.append(f"run: {self.run_id}")
        lines.extend(self.details)
        lines.append(f"link: {self.link(dagster_url)}")
        lines.append(f"what to do: {self.hint}")
        return "\n".join(lines)


@dataclass(frozen=True)
class Delivery:
    """What happened to one alert at one target (`target` is the masked URL; status sent | failed | no_target)."""

    alert_id: str
    target: str | None
    status: str
    error: str | None = None


def alert_urls(cfg: Settings | None = None) -> list[str]:
    """The configured apprise URLs: `ADLEDGER_ALERT_URLS`, else dlt's `alerts.urls` (secrets first, then config)."""
    cfg = cfg or settings()
    if cfg.alert_urls is not None:
        return list(cfg.alert_urls)
    import dlt

    value = dlt.secrets.get("alerts.urls") or dlt.config.get("alerts.urls")
    if not value:
        return []
    return value.split() if isinstance(value, str) else [str(v) for v in value]


#: loggers that quote target URLs (urllib3 logs each request line at DEBUG, tokens in paths included)
_URL_LOGGERS = ("apprise", "urllib3")


@contextmanager
def _apprise_logs_contained() -> Iterator[None]:
    """Keep the records of apprise and its HTTP library from reaching any handler outside while a target is parsed
    or sent to; what a failed delivery logged is captured, scrubbed and logged by this module instead."""
    loggers = [logging.getLogger(name) for name in _URL_LOGGERS]
    saved = [lg.propagate for lg in loggers]
    for lg in loggers:
        lg.propagate = False
    try:
        yield
    finally:
        for lg, propagate in zip(loggers, saved):
            lg.propagate = propagate


#: generic webhook schemes: apprise does not mask their path, which often carries the hook's token
_GENERIC_WEBHOOKS = ("json", "jsons", "xml", "xmls", "form", "forms")


def masked(url: str) -> str:
    """The URL with its secrets masked: apprise's privacy form (`slack://T...1/B...2/...`, passwords as `****`)
    without its query, and for generic webhooks (`json://`, `xml://`, `form://`) without its path either.
    Only the scheme is kept of a URL apprise cannot parse."""
    import apprise

    with _apprise_logs_contained():
        plugin = apprise.Apprise.instantiate(url, suppress_exceptions=True)
    if not plugin:
        return url.split("://", 1)[0] + "://****" if "://" in url else "****"
    private = plugin.url(privacy=True).split("?", 1)[0]
    scheme, rest = private.split("://", 1)
    if scheme in _GENERIC_WEBHOOKS and "/" in rest.strip("/"):
        private = f"{scheme}://{rest.split('/', 1)[0]}/****"
    return private


def _scrub(text: str, url: str, private: str) -> str:
    """Remove from `text` every part of `url` that the masked form hides (tokens, passwords, hook ids)."""
    parts = lambda u: {p for p in re.split(r"[/:@?&=#,]+", u) if len(p) >= 4}  # noqa: E731
    for secret in sorted(parts(url) - parts(private), key=len, reverse=True):
        text = text.replace(secret, "****")
    return text.replace(url, private)


def _deliver(alert: Alert, alert_id: str, url: str, dagster_url: str) -> Delivery:
    import apprise

    private = masked(url)
    notify_type = {"error": apprise.NotifyType.FAILURE, "warning": apprise.NotifyType.WARNING}.get(
        alert.severity, apprise.NotifyType.INFO)
    sender = apprise.Apprise()
    with _apprise_logs_contained(), apprise.LogCapture(level=logging.WARNING) as captured:
        added = sender.add(url)
        ok = bool(added and sender.notify(title=alert.title, body=alert.body(dagster_url), notify_type=notify_type))
    if ok:
        log.info("alert %s sent to %s", alert_id, private)
        return Delivery(alert_id, private, "sent")
    error = _scrub(captured.getvalue().strip(), url, private) or ("not an apprise URL" if not added else "not sent")
    log.warning("alert %s not delivered to %s: %s", alert_id, private, error)
    return Delivery(alert_id, private, "failed", error[-2000:])


def send_alert(alert: Alert, *, cfg: Settings | None = None, urls: Sequence[str] | None = None) -> list[Delivery]:
    """Send `alert` to every target (default: the configured URLs), record every delivery, and return them.

    With no target configured the alert is still recorded once (status `no_target`), so `quality.alerts` is the
    complete list of what fired.
    """
    cfg = cfg or settings()
    targets = list(urls) if urls is not None else alert_urls(cfg)
    alert_id = uuid.uuid4().hex
    if targets:
        deliveries = [_deliver(alert, alert_id, url, cfg.dagster_url) for url in targets]
    else:
        log.info("alert %s (%s) recorded; no alert target configured", alert_id, alert.title)
        deliveries = [Delivery(alert_id, None, "no_target")]
    record_deliveries(alert, deliveries, cfg)
    return deliveries


def _rows(alert: Alert, deliveries: Iterable[Delivery], dagster_url: str) -> list[dict]:
    now = datetime.now(timezone.utc).isoformat()
    return [
        {"alert_id": d.alert_id, "created_at": now, "kind": alert.kind, "severity": alert.severity,
         "asset": alert.asset, "check_name": alert.check, "step": alert.step, "run_id": alert.run_id,
         "title": alert.title, "body": alert.body(dagster_url), "link": alert.link(dagster_url), "target": d.target,
         "status": d.status, "error": d.error}
        for d in deliveries
    ]


def _insert(con: duckdb.DuckDBPyConnection, rows: list[dict]) -> None:
    con.execute("create schema if not exists quality")
    con.execute(_DDL)
    placeholders = ", ".join("?" for _ in _COLUMNS)
    con.executemany(f"insert into {ALERTS_TABLE} ({', '.join(_COLUMNS)}) values ({placeholders})",
                    [[r[c] for c in _COLUMNS] for r in rows])


def record_deliveries(alert: Alert, deliveries: Iterable[Delivery], cfg: Settings | None = None) -> None:
    """Append the deliveries to `quality.alerts`, first flushing rows spooled while the warehouse was busy.

    DuckDB lets one process write a file at a time; a run may hold it for minutes. The insert retries with
    exponential backoff for up to LOCK_WAIT_SECONDS, then the rows wait in `<data_dir>/alerts_pending.jsonl`
    for the next alert (or `flush_spool`) to write them.
    """
    cfg = cfg or settings()
    rows = _rows(alert, deliveries, cfg.dagster_url)
    spool = cfg.data_dir / SPOOL_NAME
    cfg.data_dir.mkdir(parents=True, exist_ok=True)
    with _locked(spool):
        pending = _read_spool(spool) + rows
        if _write_with_retry(cfg.warehouse, pending):
            spool.unlink(missing_ok=True)
        else:
            with spool.open("a") as fh:
                fh.writelines(json.dumps(r) + "\n" for r in rows)
            log.warning("warehouse busy: %d alert row(s) spooled to %s", len(rows), spool)


def flush_spool(cfg: Settings | None = None) -> int:
    """Write alert rows spooled while the warehouse was locked; returns how many were written."""
    cfg = cfg or settings()
    spool = cfg.data_dir / SPOOL_NAME
    if not spool.exists():
        return 0
    with _locked(spool):
        pending = _read_spool(spool)
        if pending and _write_with_retry(cfg.warehouse, pending):
            spool.unlink(missing_ok=True)
            return len(pending)
    return 0


def _write_with_retry(warehouse: Path, rows: list[dict]) -> bool:
    deadline = time.monotonic() + LOCK_WAIT_SECONDS
    delay = 0.05
    while True:
        try:
            warehouse.parent.mkdir(parents=True, exist_ok=True)
            with duckdb.connect(str(warehouse)) as con:
                _insert(con, rows)
            return True
        except (duckdb.IOException, duckdb.ConnectionException) as exc:  # another process holds the write lock
            if time.monotonic() + delay > deadline:
                log.warning("cannot write %s: %s", ALERTS_TABLE, str(exc).splitlines()[0])
                return False
            time.sleep(delay)
            delay = min(delay * 2, 2.0)


def _read_spool(spool: Path) -> list[dict]:
    if not spool.exists():
        return []
    return [json.loads(line) for line in spool.read_text().splitlines() if line.strip()]


@contextmanager
def _locked(spool: Path) -> Iterator[None]:
    """An exclusive advisory lock on `<spool>.lock`, so two processes never rewrite the spool at once."""
    with spool.with_suffix(".lock").open("w") as fh:
        fcntl.flock(fh, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fh, fcntl.LOCK_UN)


def alerts_since(since: datetime, cfg: Settings | None = None) -> list[dict]:
    """Rows of `quality.alerts` created at or after `since` (what the demo summarizes); [] when there are none."""
    cfg = cfg or settings()
    if not cfg.warehouse.exists():
        return []
    with duckdb.connect(str(cfg.warehouse), read_only=True) as con:
        present = con.execute("select count(*) from information_schema.tables "
                              "where table_schema = 'quality' and table_name = 'alerts'").fetchone()[0]
        if not present:
            return []
        cur = con.execute(f"select {', '.join(_COLUMNS)} from {ALERTS_TABLE} where created_at >= ? "
                          "order by created_at, alert_id", [since])
        return [dict(zip(_COLUMNS, row)) for row in cur.fetchall()]
