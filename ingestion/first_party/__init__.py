"""First-party exports (CSV files in a folder or bucket prefix): orders, customers, consent changes, deletion
requests, influencer contracts, affiliate terms, FX rates, vendors, vendor spend, lift-study holdout assignments and
invoices.

Every file is a full export, so every table merges on its natural key: a re-export replaces rows, never duplicates
them. E-mail addresses are stored only as salted SHA-256 (`email_hash`), computed in DuckDB before the rows leave
the reader.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Iterator

import dlt
import duckdb
import pyarrow as pa
from dlt.common.storages.fsspec_filesystem import FileItemDict
from dlt.sources.filesystem import filesystem

from ingestion.first_party.files import EXPORTS, ExportFile


@dlt.source(name="first_party", max_table_nesting=0)
def first_party(path: str = dlt.config.value, email_salt: str = dlt.secrets.value):
    """One resource per export file found under `path` (`SOURCES__FIRST_PARTY__PATH`)."""
    return [_export_resource(spec, path, email_salt) for spec in EXPORTS]


def _export_resource(spec: ExportFile, path: str, email_salt: str):
    def export(items: list) -> Iterator[pa.Table]:
        for item in items:
            yield _read(FileItemDict(item), spec, email_salt)

    export.__doc__ = spec.description or f"`{spec.filename}` merged on {', '.join(spec.primary_key)}."
    reader = dlt.transformer(
        name=spec.table,
        primary_key=list(spec.primary_key),
        write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        schema_contract={"columns": "evolve", "data_type": "freeze"},
    )(export)
    return filesystem(bucket_url=path, file_glob=spec.filename).with_name(f"{spec.table}_files") | reader


def _read(item: FileItemDict, spec: ExportFile, email_salt: str) -> pa.Table:
    with tempfile.TemporaryDirectory(prefix="adledger-first-party-") as tmp:
        local = item.local_file_path if item["file_url"].startswith("file://") else _download(item, Path(tmp))
        columns = ", ".join(
            f"case when nullif(trim({c}), '') is not null then sha256($salt || ':' || lower(trim({c}))) end "
            f"as {c}_hash" if c in spec.emails else c
            for c in spec.columns
        )
        with duckdb.connect() as con:
            try:
                return con.sql(
                    f"select {columns} from read_csv($file, header = true, auto_detect = false, "
                    f"columns = $types, timestampformat = '%Y-%m-%dT%H:%M:%S.%gZ')",
                    params={"file": local, "types": spec.columns, **({"salt": email_salt} if spec.emails else {})},
                ).to_arrow_table()
            except duckdb.Error as exc:
                raise ValueError(f"{item['relative_path']}: does not match the {spec.table} export contract "
                                 f"({', '.join(f'{k} {v}' for k, v in spec.columns.items())}): {exc}") from exc


def _download(item: FileItemDict, tmp: Path) -> str:
    target = tmp / Path(item["relative_path"]).name
    target.write_bytes(item.read_bytes())
    return str(target)
