"""The example queries of docs/bi.md: extracted from the guide and run on a snapshot and on its Parquet exports."""

from __future__ import annotations

import re
from pathlib import Path

import duckdb

GUIDE = Path(__file__).resolve().parents[3] / "docs" / "bi.md"


def guide_sql() -> tuple[str, dict[str, str]]:
    """(the Parquet setup block, {query name: query}) from the guide's fenced `sql` blocks."""
    blocks = re.findall(r"```sql\n(.*?)```", GUIDE.read_text(encoding="utf-8"), flags=re.S)
    setup = [b for b in blocks if b.startswith("-- setup: parquet")]
    queries = {m.group(1): b for b in blocks if (m := re.match(r"-- query: (\w+)", b))}
    assert len(setup) == 1 and len(queries) == len(blocks) - 1, "every sql block is the setup or a named query"
    return setup[0], queries


def run_guide(published: Path) -> dict[str, tuple[list[tuple], list[tuple]]]:
    """Each query's rows on the snapshot and on the Parquet views (the working dir holds `data/exports`)."""
    setup, queries = guide_sql()
    results = {}
    with duckdb.connect(str(published), read_only=True) as snapshot, duckdb.connect() as parquet:
        parquet.execute(setup)
        for name, sql in queries.items():
            results[name] = (snapshot.execute(sql).fetchall(), parquet.execute(sql).fetchall())
    return results
