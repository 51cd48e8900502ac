"""Table hints shared by the daily report resources: merge on the natural key, replacing whole account-days."""

from __future__ import annotations

from typing import Any, Mapping, Sequence


def daily_report_hints(key: Sequence[str], account: str, day: str, columns: Mapping[str, str]) -> dict[str, Any]:
    """`dlt.resource` hints of a report with one row per `key` (which ends with the account-local `day`).

    Merges with `delete-insert` on the natural key and on (`account`, `day`): every account-day in a load
    replaces all rows of that account-day, so a restated day never keeps a row the platform no longer reports.
    `columns` (name → dlt data type) are declared up front so the table has them before any row has a value;
    new columns may appear, a changed type fails the load.
    """
    return {
        "primary_key": list(key),
        "merge_key": [account, day],
        "write_disposition": {"disposition": "merge", "strategy": "delete-insert"},
        "columns": {c: {"data_type": t, "nullable": c not in key} for c, t in columns.items()},
        "schema_contract": {"columns": "evolve", "data_type": "freeze"},
    }
