"""A minimal `report.html` from the published snapshot: what was published, when, and the first rows of each mart.

A placeholder for the analysts' report (issue 12), which replaces it; it reads only the published snapshot, as BI
readers do. Every value is HTML-escaped (campaign names and other strings come from users).
"""

from __future__ import annotations

import html
import os
from pathlib import Path

import duckdb

from dagster_project.lib.publish import META_TABLE

PREVIEW_ROWS = 10


def _table(header: list[str], rows: list[tuple]) -> str:
    head = "".join(f"<th>{html.escape(str(h))}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{html.escape('' if v is None else str(v))}</td>" for v in row) + "</tr>"
                   for row in rows)
    return f"<table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"


def write_snapshot_report(snapshot: Path, out: Path, exports_dir: Path) -> Path:
    """Write `out` (HTML) describing `snapshot`; written to a temp file and renamed, like the snapshot itself."""
    with duckdb.connect(str(snapshot), read_only=True) as con:
        meta = con.execute(f"select schema_name, table_name, row_count, published_at, snapshot_id, run_id "
                           f"from {META_TABLE} order by table_name").fetchall()
        sections = []
        for schema, table, rows, *_ in meta:
            cur = con.execute(f'select * from "{schema}"."{table}" limit {PREVIEW_ROWS}')
            header = [d[0] for d in cur.description]
            parquet = exports_dir / f"{table}.parquet"
            sections.append(
                f"<h2>{html.escape(schema)}.{html.escape(table)}</h2><p>{rows:,} rows"
                + (f" · Parquet: <code>{html.escape(str(parquet))}</code>" if parquet.exists() else "")
                + f"</p>{_table(header, cur.fetchall())}"
            )
    published_at, snapshot_id, run_id = (meta[0][3], meta[0][4], meta[0][5]) if meta else (None, None, None)
    page = (
        "<!doctype html><html lang=en><head><meta charset=utf-8><title>adledger — published marts</title>"
        "<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:80rem}table{border-collapse:collapse}"
        "td,th{border:1px solid #ccc;padding:.2rem .5rem;font-size:.85rem}th{background:#f4f4f4}</style></head><body>"
        "<h1>adledger — published marts</h1>"
        f"<p>snapshot <code>{html.escape(str(snapshot_id))}</code> published {html.escape(str(published_at))} "
        f"by run <code>{html.escape(str(run_id))}</code> · file <code>{html.escape(str(snapshot))}</code></p>"
        + _table(["mart", "rows"], [(f"{s}.{t}", f"{n:,}") for s, t, n, *_ in meta])
        + "".join(sections) + "</body></html>"
    )
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = out.with_name(f".{out.name}.tmp")
    tmp.write_text(page, encoding="utf-8")
    os.replace(tmp, out)
    return out
