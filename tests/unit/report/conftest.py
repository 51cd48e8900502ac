"""Report tests read a hand-made snapshot and warehouse in an isolated data dir."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.unit.report.marts import write_published, write_warehouse


@pytest.fixture(scope="session")
def report_files(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """`published.duckdb` (every mart) and `warehouse.duckdb`, written once and copied into each test."""
    folder = tmp_path_factory.mktemp("report-files")
    write_published(folder / "published.duckdb")
    write_warehouse(folder / "warehouse.duckdb")
    return folder


@pytest.fixture
def report_data(adledger_env: Path, report_files: Path) -> Path:
    """`adledger_env`'s data dir holding copies of `report_files`."""
    adledger_env.mkdir(parents=True, exist_ok=True)
    for name in ("published.duckdb", "warehouse.duckdb"):
        shutil.copyfile(report_files / name, adledger_env / name)
    return adledger_env
