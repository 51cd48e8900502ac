"""Tracker logs: Segment/RudderStack-spec JSON lines (plain or gzip) from a directory or object-store prefix.

Tables in `raw_tracker`:

* `events` — one row per distinct `messageId` (the first delivery wins), PII hashed at the door
  (`email_hash`, `ip_hash`, `ip_prefix`), consent flags, UTM and click ids parsed from `context.page.url`.
* `quarantined_rows` — every line that failed parsing or the event contract, with `file`, `line`, `reason`, `raw`
  (dbt exposes them as `quality.quarantined_rows`).
* `files` — per file read: lines read, valid rows, quarantined rows (lines read = valid + quarantined).

Files are picked up incrementally on their modification date, so a file that grows (the collector's current hour)
is read again; its already-loaded events are not loaded again (the extract drops ids `events` holds).
"""

from __future__ import annotations

import logging
import re
import tempfile
from pathlib import Path
from typing import Iterator, List, Optional

import dlt
import pyarrow as pa
import pyarrow.compute as pc
from dlt.common.storages.fsspec_filesystem import FileItem, FileItemDict
from dlt.sources.filesystem import filesystem

from ingestion.tracker.parse import EVENT_KEY, ParsedBatch, TrackerParser

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
    files_per_batch: int = 1000,
    batch_bytes: int = 16 * 1024 * 1024,
    memory_limit: str = "1GB",
    days: Optional[List[str]] = None,
):
    """Tracker events from JSON-lines files under `path` (a local directory or an fsspec URL).

    Without `days`, a run reads the files new or grown since the last run (dlt incremental on their modification
    date). With `days` (YYYY-MM-DD), it reads every file delivered on those days (day folders `YYYY/MM/DD/`, or a
    `YYYY-MM-DD` in the file name), whatever was read before and without moving the cursor: a backfill. Reading a
    file again is harmless (events already loaded are dropped; quarantined rows and file counts are replaced).

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
    # is dropped here; across runs `_LoadedIds` drops the ids the destination holds
    parser = TrackerParser(email_salt=email_salt, ip_key=ip_hash_key, memory_limit=memory_limit)
    return listing | events(parser=parser, batch_bytes=batch_bytes)


@dlt.transformer(
    name="events",
    primary_key=EVENT_KEY,
    # append: the extract drops ids the destination already holds (`_LoadedIds`), so the first delivery wins and a
    # re-read file adds nothing, without a merge (a merge's staging copy and window over every column took 11 GB at
    # 10M events). A load job re-run after a crash between its copy and its completion record appends its rows
    # twice: `drop_double_copies` removes them after a resumed load and at the start of every run.
    write_disposition="append",
    schema_contract={"columns": "evolve", "data_type": "freeze"},
)
def events(files: List[FileItem], parser: TrackerParser, batch_bytes: int) -> Iterator[object]:
    """Parse a page of listed files, batch by batch, into events, quarantined rows and per-file line counts.

    Each batch's events are one Arrow table (bounded by `batch_bytes`), which dlt writes to Parquet in the extract
    step with the table's schema, so normalize imports the file as it is.
    """
    load_id = dlt.current.load_package_state()["load_id"]
    pipe = dlt.current.pipeline()
    # one destination connection per page: a connection per batch grew the process by ~100 MB per batch
    with tempfile.TemporaryDirectory(prefix="adledger-tracker-") as tmp, pipe.sql_client() as client:
        loaded = _LoadedIds(client, _on_duckdb(pipe))
        for batch in _batches(files, batch_bytes):
            local = [_local_copy(FileItemDict(item), Path(tmp)) for item in batch]
            parsed = parser.parse(local, names=[item["relative_path"] for item in batch], load_id=load_id)
            for copy in local:
                if copy.startswith(tmp):
                    Path(copy).unlink()
            yield loaded.drop_from(parsed.events)
            yield from _accounting_items(parsed, batch, load_id)


class _LoadedIds:
    """The messageIds the destination's `events` table already holds, asked per batch over one connection."""

    def __init__(self, client, duckdb_destination: bool) -> None:
        self._client = client
        self._duckdb = duckdb_destination
        self._table = client.make_qualified_table_name("events") if _has_table(client, "events") else None

    def drop_from(self, events: pa.Table) -> pa.Table:
        """`events` without the messageIds the destination holds: across runs the first delivery of a messageId
        wins (within a run the parser keeps the first), whatever the order of crashes and reruns, and a backfill of
        days already loaded changes nothing."""
        if self._table is None or not events.num_rows:
            return events
        loaded = self._among(events.column(EVENT_KEY))
        if not len(loaded):
            return events
        return events.filter(pc.invert(pc.is_in(events.column(EVENT_KEY), value_set=loaded)))

    def _among(self, ids: pa.ChunkedArray) -> pa.Array:
        if self._duckdb:
            con = self._client.native_connection
            con.register("_adledger_batch_ids", pa.table({EVENT_KEY: ids.cast(pa.string())}))
            try:
                found = con.sql(f"select {EVENT_KEY} from {self._table} "
                                f"semi join _adledger_batch_ids using ({EVENT_KEY})").to_arrow_table()
            finally:
                con.unregister("_adledger_batch_ids")
            return found.column(EVENT_KEY).combine_chunks().cast(ids.type)
        rows = self._client.execute_sql(f"select {EVENT_KEY} from {self._table} where {EVENT_KEY} = any(%s)",
                                        ids.to_pylist())
        return pa.array([row[0] for row in rows or []], ids.type)


def drop_double_copies(pipe: dlt.Pipeline) -> int:
    """Remove repeated copies of events within the latest completed load; returns how many rows were removed.

    dlt records a load job as done after its rows are committed; a process killed in between re-runs the job when
    the package is resumed, and an append job appends its rows again. Every copy of a job carries the package's
    `_load_id`, and a load never holds a messageId twice otherwise (the parser keeps one per run), so the repeats
    are exactly the rows beyond the first per messageId of that load. Call it after a resumed load and before
    every run (a crash may come between the two).
    """
    with pipe.sql_client() as client:
        if not _has_table(client, "events") or not _has_table(client, "_dlt_loads"):
            return 0
        events = client.make_qualified_table_name("events")
        (latest,), = client.execute_sql(f"select max(load_id) from {client.make_qualified_table_name('_dlt_loads')}")
        if latest is None:
            return 0
        (repeats,), = client.execute_sql(
            f"select count(*) - count(distinct {EVENT_KEY}) from {events} where _load_id = %s", latest)
        if not repeats:
            return 0
        row = "rowid" if _on_duckdb(pipe) else "ctid"
        client.execute_sql(
            f"delete from {events} where _load_id = %s and {row} in (select {row} from (select {row}, row_number() "
            f"over (partition by {EVENT_KEY} order by {row}) as copy from {events} where _load_id = %s) as copies "
            "where copy > 1)", latest, latest)
        logging.getLogger(__name__).warning(
            "removed %d repeated tracker events of load %s (a load job re-run after a crash)", repeats, latest)
        return int(repeats)


def _on_duckdb(pipe: dlt.Pipeline) -> bool:
    return pipe.destination.destination_type.endswith("duckdb")


def _has_table(client, table: str) -> bool:
    (found,), = client.execute_sql(
        "select count(*) from information_schema.tables where table_schema = %s and table_name = %s",
        client.dataset_name, table)
    return bool(found)


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
