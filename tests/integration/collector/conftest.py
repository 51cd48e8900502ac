"""A real collector process (the `adledger collect` command) on a free loopback port, shared by a module."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from adledger.collector.loadgen import CollectorProcess, start_collector
from tests.integration.collector.client import IP_KEY, WRITE_KEY


@pytest.fixture(scope="module")
def collector(tmp_path_factory: pytest.TempPathFactory) -> Iterator[CollectorProcess]:
    process = start_collector(tmp_path_factory.mktemp("collector"), WRITE_KEY, ip_hash_key=IP_KEY)
    yield process
    assert process.stop() == 0


@pytest.fixture
def out_dir(collector: CollectorProcess) -> Path:
    return collector.out_dir
