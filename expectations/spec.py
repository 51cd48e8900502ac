"""A suite as code: which rows to validate (a query on the warehouse) and what must hold for them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import great_expectations as gx


@dataclass(frozen=True)
class SuiteSpec:
    """A Great Expectations suite bound to a warehouse query.

    `row_query` selects the rows the row-wise expectations read; they are streamed in batches of `batch_rows`, so
    a table of any size is validated in bounded memory. `table_expectations` run once on `table_query`, a small
    aggregate (e.g. rows per day for volume rules) — never on a batch, where a count would mean nothing.
    """

    name: str
    asset: tuple[str, ...]
    row_query: str | None = None
    expectations: Callable[[], Sequence[gx.expectations.Expectation]] = lambda: ()
    table_query: str | None = None
    table_expectations: Callable[[], Sequence[gx.expectations.Expectation]] = lambda: ()
    batch_rows: int = 250_000
    description: str = ""
    tags: tuple[str, ...] = field(default_factory=tuple)
    #: a blocking suite stops downstream assets when it fails (bad data); a non-blocking one warns (a finding)
    blocking: bool = True
