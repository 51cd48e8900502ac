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
import re
import tempfile
from pathlib import Path
from typing import Iterator, List, Optional

import dlt
import pyarrow as pa
from dlt.common.storages.fsspec_filesystem import FileItem, FileItemDict
from dlt.sources.filesystem import filesystem

from ingestion.tracker.parse import TrackerParser

EVENTS_KEY = "message_id"
_DAY = re.compile(r"(\d{4})[/-](\d{2})[/-](\d{2})")


def file_day(relative_path: str) -> str | None:
    """The delivery day (YYYY-MM-DD) of a tracker file: its `YYYY/MM/DD/` folders or a date in its name."""
    found = _DAY.search(relative_path)
    return "-".join(found.groups()) if found else None


def _day_of(relative_path: str) -> str:
    day = file_day(relative_path)
    if day is None:
        raise ValueError(
            f"tracker file {relative_path!r} has no delivery day in its path, so a run by day cannot place it: put "
            "files in YYYY/MM/DD/ folders (the collector's layout) or name them with a YYYY-MM-DD date, or load them "
            "by modification time with `adledger ingest tracker --path ...`")
    return day


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
    files_per_batch: int = 200,
    days: Optional[List[str]] = None,
):
    """Tracker events from JSON-lines files under `path` (a local directory or an fsspec URL).

    Without `days`, a run reads the files new or grown since the last run (dlt incremental on their modification
    date). With `days` (YYYY-MM-DD), it reads every file delivered on those days (day folders `YYYY/MM/DD/`, or a
    `YYYY-MM-DD` in the file name), whatever was read before and without moving the cursor: a backfill. Reading a
    file again is harmless (events merge insert-only on messageId; quarantined rows and file counts are replaced).

    Args:
        path: directory or bucket prefix holding the files (`SOURCES__TRACKER__PATH`).
        file_glob: which files to read, relative to `path`.
        email_salt: salt for the SHA-256 of e-mail addresses (secret, `SOURCES__EMAIL_SALT`).
        ip_hash_key: key for the hash of IP addresses (secret, `SOURCES__IP_HASH_KEY`).
        files_per_batch: files parsed in one DuckDB pass.
        days: read the files of these days only (a backfill), see above.
    """
    listing = filesystem(
        bucket_url=path,
        file_glob=file_glob,
        files_per_page=files_per_batch,
        incremental=None if days is not None else dlt.sources.incremental("modification_date"),
    )
    if days is not None:
        wanted = set(days)
        # dlt applies the filter to each file of a page (and drops pages left empty)
        listing = listing.add_filter(lambda item: _day_of(item["relative_path"]) in wanted)
    # one parser (one DuckDB connection) for the whole run, so a messageId repeated in a later file of the same run
    # is dropped here; across runs the insert-only merge on message_id keeps the first delivery
    parser = TrackerParser(email_salt=email_salt, ip_key=ip_hash_key)
    return listing | events(parser=parser)


@dlt.transformer(
    name="events",
    primary_key=EVENTS_KEY,
    write_disposition={"disposition": "merge", "strategy": "insert-only"},
    schema_contract={"columns": "evolve", "data_type": "freeze"},
)
def events(files: List[FileItem], parser: TrackerParser) -> Iterator[object]:
    """Parse a page of listed files into events, quarantined rows and per-file line counts."""
    with tempfile.TemporaryDirectory(prefix="adledger-tracker-") as tmp:
        local = [_local_copy(FileItemDict(item), Path(tmp)) for item in files]
        load_id = dlt.current.load_package_state()["load_id"]
        batch = parser.parse(local, names=[item["relative_path"] for item in files], load_id=load_id)
    yield batch.events
    if batch.quarantined.num_rows:
        yield dlt.mark.with_hints(
            batch.quarantined,
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
                "file": [f.file for f in batch.files],
                "modification_date": pa.array([modified[f.file] for f in batch.files], pa.timestamp("us", "UTC")),
                "lines_read": pa.array([f.lines_read for f in batch.files], pa.int64()),
                "rows_valid": pa.array([f.rows_valid for f in batch.files], pa.int64()),
                "rows_quarantined": pa.array([f.rows_quarantined for f in batch.files], pa.int64()),
                "_load_id": pa.array([load_id] * len(batch.files), pa.string()),
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
