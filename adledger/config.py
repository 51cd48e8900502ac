"""Where adledger keeps its files, and the one environment switch.

`ADLEDGER_ENV` (local | ci | prod) picks the dbt target and the dlt destination; everything else is
derived here so no module reads `os.environ` on its own.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ENVIRONMENTS = ("local", "ci", "prod")


@dataclass(frozen=True)
class Settings:
    env: str
    data_dir: Path
    warehouse: Path
    published: Path
    exports_dir: Path
    dbt_target: str
    #: apprise URLs from `ADLEDGER_ALERT_URLS` (whitespace-separated); None when unset, then alerting reads the
    #: dlt-style `[alerts] urls = [...]` from `.dlt/secrets.toml` / `.dlt/config.toml` (or `ALERTS__URLS`)
    alert_urls: tuple[str, ...] | None = field(default=None, repr=False)  # URLs carry tokens: never in a repr
    #: base URL of the Dagster UI that alert links point at (`ADLEDGER_DAGSTER_URL`)
    dagster_url: str = "http://127.0.0.1:3000"
    #: first day `adledger materialize` loads for the daily-partitioned sources when no range is given
    #: (`ADLEDGER_HISTORY_START`, YYYY-MM-DD; default 90 days before today, the API sources' default history)
    history_start: date = field(default_factory=lambda: today_utc() - timedelta(days=90))
    #: raw tracker events older than this many days are purged daily (`ADLEDGER_RAW_RETENTION_DAYS`)
    raw_retention_days: int = 400

    @property
    def dbt_project_dir(self) -> Path:
        """The dbt project: `ADLEDGER_DBT_PROJECT_DIR`, else `dbt_project/` of this checkout or the working dir."""
        configured = os.environ.get("ADLEDGER_DBT_PROJECT_DIR")
        return Path(configured).absolute() if configured else _find_dbt_project()

    @property
    def report(self) -> Path:
        return self.data_dir / "report.html"

    @property
    def postgres_url(self) -> str | None:
        """Connection URL of the `postgres` target (ADLEDGER_PG_HOST, _PORT, _USER, _PASSWORD, _DATABASE)."""
        if self.dbt_target != "postgres":
            return None
        env = os.environ
        return (
            f"postgresql://{env.get('ADLEDGER_PG_USER', 'adledger')}:{env.get('ADLEDGER_PG_PASSWORD', '')}"
            f"@{env.get('ADLEDGER_PG_HOST', 'localhost')}:{env.get('ADLEDGER_PG_PORT', '5432')}"
            f"/{env.get('ADLEDGER_PG_DATABASE', 'adledger')}"
        )


def settings() -> Settings:
    """Settings read from the environment at call time (tests change it per test)."""
    env = os.environ.get("ADLEDGER_ENV", "ci" if os.environ.get("CI") == "true" else "local")
    if env not in ENVIRONMENTS:
        raise ValueError(f"ADLEDGER_ENV={env!r} is not one of {', '.join(ENVIRONMENTS)}")
    data_dir = Path(os.environ.get("ADLEDGER_DATA_DIR", "data")).absolute()
    warehouse = Path(os.environ.get("ADLEDGER_WAREHOUSE", data_dir / "warehouse.duckdb")).absolute()
    return Settings(
        env=env,
        data_dir=data_dir,
        warehouse=warehouse,
        published=data_dir / "published.duckdb",
        exports_dir=data_dir / "exports",
        dbt_target=os.environ.get("ADLEDGER_DBT_TARGET", "duckdb"),
        alert_urls=tuple(os.environ["ADLEDGER_ALERT_URLS"].split()) if "ADLEDGER_ALERT_URLS" in os.environ else None,
        dagster_url=os.environ.get("ADLEDGER_DAGSTER_URL", "http://127.0.0.1:3000").rstrip("/"),
        **({"history_start": date.fromisoformat(os.environ["ADLEDGER_HISTORY_START"])}
           if os.environ.get("ADLEDGER_HISTORY_START") else {}),
        raw_retention_days=_positive_int("ADLEDGER_RAW_RETENTION_DAYS", 400),
    )


def today_utc() -> date:
    """Today's date in UTC (the day partitions and history defaults count in)."""
    return datetime.now(timezone.utc).date()


def _positive_int(name: str, default: int) -> int:
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    if not text.isdigit() or int(text) < 1:
        raise ValueError(f"{name}={text!r} must be a whole number of days, at least 1")
    return int(text)


def _find_dbt_project() -> Path:
    """`dbt_project/` of the checkout this package runs from (editable install), else of the working directory."""
    for start in (Path(__file__).resolve().parent, Path.cwd()):
        for folder in (start, *start.parents):
            if (folder / "dbt_project" / "dbt_project.yml").is_file():
                return folder / "dbt_project"
    raise FileNotFoundError(
        "cannot find dbt_project/dbt_project.yml: run adledger from its checkout or set ADLEDGER_DBT_PROJECT_DIR"
    )
