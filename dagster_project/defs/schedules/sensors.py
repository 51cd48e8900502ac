"""`new_tracker_files`: start a tracker ingestion run as soon as new (or grown) files appear under the tracker path.

The listing is the one the tracker source itself makes (dlt's fsspec `glob_files` over `sources.tracker.path` with
`sources.tracker.file_glob`). The cursor is the newest (modification time, relative path) seen; a file counts as
new when its pair sorts after the cursor. The first tick only records the cursor: files already there are the
hourly schedule's business, not the sensor's. New files are grouped by their delivery day (the tracker's daily
partition, `YYYY/MM/DD/` folders): one run per day, which reads every file of that day (already loaded events are
merged away on messageId).
"""

import json
from dataclasses import dataclass

import dagster as dg

from ingestion.tracker import file_day

DEFAULT_GLOB = "**/*.jsonl*"


@dataclass(frozen=True, order=True)
class FileMark:
    """A point in the listing: modification time (epoch seconds) and the path relative to the tracker root."""

    mtime: float
    name: str


def list_tracker_files(path: str, file_glob: str = DEFAULT_GLOB) -> list[FileMark]:
    """Every file under `path` (a directory or fsspec URL) matching `file_glob`, as FileMarks."""
    from dlt.common.storages.configuration import FilesystemConfiguration
    from dlt.common.storages.fsspec_filesystem import fsspec_from_config, glob_files

    fs, url = fsspec_from_config(FilesystemConfiguration(bucket_url=path))
    return [FileMark(item["modification_date"].timestamp(), item["relative_path"])
            for item in glob_files(fs, url, file_glob)]


def tracker_location() -> tuple[str | None, str]:
    """(`sources.tracker.path`, `sources.tracker.file_glob`) from dlt config (env `SOURCES__TRACKER__PATH`, ...)."""
    import dlt

    return dlt.config.get("sources.tracker.path"), dlt.config.get("sources.tracker.file_glob") or DEFAULT_GLOB


@dg.sensor(
    name="new_tracker_files",
    job_name="tracker_ingestion",
    default_status=dg.DefaultSensorStatus.RUNNING,
    minimum_interval_seconds=60,
    description="Starts tracker_ingestion when files newer than the newest one seen appear under sources.tracker.path.",
)
def new_tracker_files(context: dg.SensorEvaluationContext):
    path, file_glob = tracker_location()
    if not path:
        return dg.SkipReason("sources.tracker.path is not configured (SOURCES__TRACKER__PATH or .dlt/config.toml)")
    files = list_tracker_files(path, file_glob)
    if not files:
        return dg.SkipReason(f"no tracker files under {path} yet")
    newest = max(files)
    cursor = FileMark(**json.loads(context.cursor)) if context.cursor else None
    context.update_cursor(json.dumps({"mtime": newest.mtime, "name": newest.name}))
    if cursor is None:
        return dg.SkipReason(f"watching {path}: {len(files)} existing file(s) left to the hourly ingestion")
    new = sorted(f for f in files if f > cursor)
    if not new:
        return dg.SkipReason("no new tracker files")
    context.log.info(f"{len(new)} new tracker file(s), newest {newest.name}")
    by_day: dict[str, list[FileMark]] = {}
    for mark in new:
        day = file_day(mark.name)
        if day is None:
            context.log.warning(f"{mark.name}: no YYYY/MM/DD folder or date in its name, not a daily partition; "
                                "load it with `adledger ingest tracker`")
            continue
        by_day.setdefault(day, []).append(mark)
    # the tracker is partitioned by delivery day: one run per day that got files, reading all of that day's files
    return [dg.RunRequest(run_key=f"{day}:{max(marks).mtime:.6f}:{max(marks).name}", job_name="tracker_ingestion",
                          partition_key=day,
                          tags={"adledger/new_tracker_files": str(len(marks)),
                                "adledger/newest_file": max(marks).name[-200:]})
            for day, marks in sorted(by_day.items())]
