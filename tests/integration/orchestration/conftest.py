"""Fixtures for the orchestration tests: real alert receivers, the loaded code location, a persistent instance."""

from __future__ import annotations

from collections.abc import Iterator

import dagster as dg
import pytest

from tests.integration.orchestration.receivers import (
    HttpReceiver,
    SmtpReceiver,
    start_http_receiver,
    start_smtp_receiver,
)


@pytest.fixture
def http_receiver() -> Iterator[HttpReceiver]:
    receiver, server = start_http_receiver()
    yield receiver
    server.shutdown()
    server.server_close()


@pytest.fixture
def smtp_receiver() -> Iterator[SmtpReceiver]:
    receiver, controller = start_smtp_receiver()
    yield receiver
    controller.stop()


@pytest.fixture(scope="session")
def code_location() -> dg.Definitions:
    """The real code location (`dagster_project.definitions`), loaded once."""
    from dagster_project.definitions import defs

    return defs()


@pytest.fixture
def instance(tmp_path) -> Iterator[dg.DagsterInstance]:
    """A persistent Dagster instance (SQLite storage under tmp_path), as the daemon would use."""
    home = tmp_path / "dagster_home"
    home.mkdir()
    with dg.instance_for_test(temp_dir=str(home)) as inst:
        yield inst
