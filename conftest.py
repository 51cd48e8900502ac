"""Root conftest: shared fixture modules from tests/fixtures (pytest_plugins is only honoured here)."""

pytest_plugins = [
    "tests.fixtures.env",
    "tests.fixtures.tracker_logs",
    "tests.fixtures.postgres",
    "tests.fixtures.emulators",
    "tests.fixtures.pipeline",
]


def pytest_collection_modifyitems(config, items):
    """Distribute tests by module (as `--dist loadscope` does, so a module's fixtures are built once) but keep the
    modules that share the session's whole pipeline run on one worker (`--dist loadgroup`), so it is built once."""
    import pytest

    from tests.fixtures.pipeline import SHARED_WORLD_MODULES

    for item in items:
        module = item.nodeid.split("::", 1)[0]
        item.add_marker(pytest.mark.xdist_group("shared_world" if module in SHARED_WORLD_MODULES else module))
