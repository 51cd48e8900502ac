"""Root conftest: shared fixture modules from tests/fixtures (pytest_plugins is only honoured here)."""

pytest_plugins = [
    "tests.fixtures.env",
    "tests.fixtures.tracker_logs",
    "tests.fixtures.postgres",
    "tests.fixtures.emulators",
    "tests.fixtures.pipeline",
]

