"""Tracker logs: Segment/RudderStack-spec JSON lines (plain or gzip) from a directory or object-store prefix.

Tables in `raw_tracker`:

* `events` — one row per distinct `messageId` (first one wins: `insert-only` merge), PII hashed at the door
  (`email_hash`, `ip_hash`, `ip_prefix`), consent flags, UTM and click ids parsed from `context.page.url`.
* `quarantined_rows` — every line that failed parsing or the event contract, with `file`, `line`, `reason`, `raw`
  (dbt exposes them as `quality.quarantined_rows`).
* `files` — per file read: lines read, valid rows, quarantined rows (lines read = valid + quarantined).

Files are picked up incrementally on their modification date, so a file that grows (the collector's current hour)
is read again; its already-loaded events are not duplicated because `events` merges on `message_id`.
"""

from __future__ import annotations

import logging
import tempfile
from pathlib import Path
from typing import Iterator, List

import dlt
import pyarrow as pa
from dlt.common.storages.fsspec_filesystem import FileItem, FileItemDict
from dlt.sources.filesystem import filesystem

from ingestion.tracker.parse import EVENT_KEY, ParsedBatch, TrackerParser


class _KnownArrowHintNotice(logging.Filter):
    """dlt warns on every batch that its hints (e.g. the primary key's NOT NULL) differ from the Arrow schema's
    nullability; the hints are ours and dlt keeps them, so the notice is noise in every run's log."""

    def filter(self, record: logging.LogRecord) -> bool:
        return "when merging arrow schema with dlt schema" not in record.getMessage()


logging.getLogger("dlt").addFilter(_KnownArrowHintNotice())


@dlt.source(name="tracker", max_table_nesting=0)
def tracker(
    path: str = dlt.config.value,
    file_glob: str = "**/*.jsonl*",
    email_salt: str = dlt.secrets.value,
    ip_hash_key: str = dlt.secrets.value,
    files_per_batch: int = 1000,
    batch_bytes: int = 16 * 1024 * 1024,
    memory_limit: str = "1GB",
):
    """Tracker events from JSON-lines files under `path` (a local directory or an fsspec URL).

    Args:
        path: directory or bucket prefix holding the files (`SOURCES__TRACKER__PATH`).
        file_glob: which files to read, relative to `path`.
        email_salt: salt for the SHA-256 of e-mail addresses (secret, `SOURCES__EMAIL_SALT`).
        ip_hash_key: key for the hash of IP addresses (secret, `SOURCES__IP_HASH_KEY`).
        files_per_batch: files listed per page.
        batch_bytes: files are parsed in one DuckDB pass up to about this many bytes as stored (a larger file is a
            batch of its own). Gzip'd Segment events take about 120 bytes each, so the default is about 140k events:
            memory stays bounded however large the run.
        memory_limit: DuckDB memory limit of the parser (DuckDB syntax); beyond it DuckDB spills to disk.
    """
    listing = filesystem(
        bucket_url=path,
        file_glob=file_glob,
        files_per_page=files_per_batch,
        incremental=dlt.sources.incremental("modification_date"),
    )
    # one parser (one DuckDB connection) for the whole run, so a messageId repeated in a later file of the same run
    # is dropped here; across runs the insert-only merge on message_id keeps the first delivery
    parser = TrackerParser(email_salt=email_salt, ip_key=ip_hash_key, memory_limit=memory_limit)
    return listing | events(parser=parser, batch_bytes=batch_bytes)


@dlt.transformer(
    name="events",
    primary_key=EVENT_KEY,
    write_disposition={"disposition": "merge", "strategy": "insert-only"},
    schema_contract={"columns": "evolve", "data_type": "freeze"},
)
def events(files: List[FileItem], parser: TrackerParser, batch_bytes: int) -> Iterator[object]:
    """Parse a page of listed files, batch by batch, into events, quarantined rows and per-file line counts.

    Each batch's events are one Arrow table (bounded by `batch_bytes`), which dlt writes to Parquet in the extract
    step with the table's schema, so normalize imports the file as it is.
    """
    load_id = dlt.current.load_package_state()["load_id"]
    with tempfile.TemporaryDirectory(prefix="adledger-tracker-") as tmp:
        for batch in _batches(files, batch_bytes):
            local = [_local_copy(FileItemDict(item), Path(tmp)) for item in batch]
            parsed = parser.parse(local, names=[item["relative_path"] for item in batch], load_id=load_id)
            for copy in local:
                if copy.startswith(tmp):
                    Path(copy).unlink()
            yield parsed.events
            yield from _accounting_items(parsed, batch, load_id)


def _batches(files: List[FileItem], batch_bytes: int) -> Iterator[List[FileItem]]:
    """Consecutive runs of `files` of at most `batch_bytes` bytes in all (at least one file each)."""
    batch: List[FileItem] = []
    size = 0
    for item in files:
        if batch and size + item["size_in_bytes"] > batch_bytes:
            yield batch
            batch, size = [], 0
        batch.append(item)
        size += item["size_in_bytes"]
    if batch:
        yield batch


def _accounting_items(parsed: ParsedBatch, files: List[FileItem], load_id: str) -> Iterator[object]:
    """The dlt items of one parsed batch besides its events: the quarantined rows, the per-file line counts."""
    if parsed.quarantined.num_rows:
        yield dlt.mark.with_hints(
            parsed.quarantined,
            dlt.mark.make_hints(
                table_name="quarantined_rows",
                primary_key=["file", "line"],
                write_disposition={"disposition": "merge", "strategy": "delete-insert"},
            ),
            create_table_variant=True,
        )
    modified = {item["relative_path"]: item["modification_date"] for item in files}
    yield dlt.mark.with_hints(
        pa.table(
            {
                "file": [f.file for f in parsed.files],
                "modification_date": pa.array([modified[f.file] for f in parsed.files], pa.timestamp("us", "UTC")),
                "lines_read": pa.array([f.lines_read for f in parsed.files], pa.int64()),
                "rows_valid": pa.array([f.rows_valid for f in parsed.files], pa.int64()),
                "rows_quarantined": pa.array([f.rows_quarantined for f in parsed.files], pa.int64()),
                "_load_id": pa.array([load_id] * len(parsed.files), pa.string()),
            }
        ),
        dlt.mark.make_hints(
            table_name="files",
            primary_key="file",
            write_disposition={"disposition": "merge", "strategy": "delete-insert"},
        ),
        create_table_variant=True,
    )


def _local_copy(item: FileItemDict, tmp: Path) -> str:
    """A local path DuckDB can read: the file itself when local, else a downloaded copy."""
    if item["file_url"].startswith("file://"):
        return item.local_file_path
    target = tmp / item["relative_path"].replace("/", "__")
    target.write_bytes(item.read_bytes())
    return str(target)
