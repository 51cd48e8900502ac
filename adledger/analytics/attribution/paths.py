"""Conversion paths: read, validate and encode them as integer arrays.

A path table has one row per path (rows with the same path are summed) with the columns

| column | type | meaning |
| --- | --- | --- |
| `path` | string | channels in time order joined by ` > ` (e.g. `search > social > email`) |
| `conversions` | number >= 0 | conversions that ended this path |
| `conversion_value` | number >= 0, optional | revenue of those conversions (reporting currency) |
| `nulls` | number >= 0 | paths with this sequence that did not convert |

Encoded, every touch is one integer token in `tokens`, and path `i` is `tokens[offsets[i]:offsets[i+1]]`.
Tokens map to channels through `token_channel` (the identity except for the `frequency` transform, where
`search(2)` is its own token of channel `search`). Splitting, trimming and encoding run in Arrow
compute kernels; nothing loops over paths in Python.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from functools import cached_property
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

#: separator between channels in the `path` column (surrounding spaces are optional)
SEPARATOR = ">"
REQUIRED_COLUMNS = ("path", "conversions", "nulls")
NUMERIC_COLUMNS = ("conversions", "conversion_value", "nulls")


class PathDataError(ValueError):
    """The path table cannot be attributed (missing column, empty file, bad values)."""


@dataclass(frozen=True)
class EncodedPaths:
    """Paths as flat integer arrays (see the module docstring).

    `conversions`, `value` and `nulls` are float64 arrays with one entry per path; `value` is in the
    currency of `conversion_value`.
    """

    channels: np.ndarray
    tokens: np.ndarray
    offsets: np.ndarray
    token_channel: np.ndarray
    token_labels: np.ndarray
    conversions: np.ndarray
    value: np.ndarray
    nulls: np.ndarray

    @property
    def n_paths(self) -> int:
        return len(self.offsets) - 1

    @cached_property
    def lengths(self) -> np.ndarray:
        """Touches per path (int64)."""
        return np.diff(self.offsets)

    @cached_property
    def path_of_touch(self) -> np.ndarray:
        """Index of the path each touch belongs to (int64, one entry per touch)."""
        return np.repeat(np.arange(self.n_paths, dtype=np.int64), self.lengths)

    @cached_property
    def position(self) -> np.ndarray:
        """Zero-based position of each touch inside its path."""
        return np.arange(len(self.tokens), dtype=np.int64) - self.offsets[:-1][self.path_of_touch]

    @property
    def touch_channels(self) -> np.ndarray:
        """Channel id of every touch."""
        return self.token_channel[self.tokens]

    def keep_touches(self, keep: np.ndarray) -> EncodedPaths:
        """The same paths with only the touches where `keep` is true (a path may become shorter)."""
        lengths = np.bincount(self.path_of_touch[keep], minlength=self.n_paths)
        offsets = np.zeros(self.n_paths + 1, dtype=np.int64)
        np.cumsum(lengths, out=offsets[1:])
        return replace(self, tokens=self.tokens[keep], offsets=offsets)

    def to_frame(self) -> pd.DataFrame:
        """The paths as a path table (`path`, `conversions`, `conversion_value`, `nulls`)."""
        labels = self.token_labels[self.tokens]
        parts = np.split(labels, self.offsets[1:-1]) if self.n_paths else []
        return pd.DataFrame(
            {
                "path": [" > ".join(p) for p in parts],
                "conversions": self.conversions,
                "conversion_value": self.value,
                "nulls": self.nulls,
            }
        )


def read_paths_csv(file: str | Path) -> pa.Table:
    """Read a path CSV (columns as in the module docstring) into an Arrow table.

    Raises `PathDataError` for an empty file or a file without the required columns.
    """
    import pyarrow.csv as pacsv

    file = Path(file)
    if not file.exists():
        raise PathDataError(f"{file} does not exist")
    if file.stat().st_size == 0:
        raise PathDataError(f"{file} is empty; it needs a header `path,conversions,conversion_value,nulls` and rows")
    types = {"path": pa.string(), **{c: pa.float64() for c in NUMERIC_COLUMNS}}
    try:
        table = pacsv.read_csv(file, convert_options=pacsv.ConvertOptions(column_types=types))
    except pa.ArrowInvalid as exc:
        raise PathDataError(f"{file} is not a readable path CSV: {exc}") from exc
    return table


def encode_paths(data: pd.DataFrame | pa.Table) -> EncodedPaths:
    """Validate a path table, sum rows with the same `path` text and encode it.

    The same sequence written with different spacing (`a>b`, `a > b`) may stay two paths; no model
    depends on paths being distinct (the `shapley` model merges equal sequences itself, see
    `aggregate_identical`). Paths with neither conversions nor nulls carry no information and are
    dropped. Raises `PathDataError` naming the problem (missing column, no rows, empty or missing path, negative or
    missing numbers).
    """
    table = _validated_table(data)
    by_path = table.column("path").combine_chunks().dictionary_encode()  # hash each distinct path once
    index = by_path.indices.to_numpy(zero_copy_only=False)
    sums = {
        name: np.bincount(index, weights=table.column(name).to_numpy(), minlength=len(by_path.dictionary))
        for name in NUMERIC_COLUMNS
    }
    informative = (sums["conversions"] + sums["nulls"]) > 0
    if not informative.any():
        raise PathDataError("no path has conversions or nulls; there is nothing to attribute")
    distinct = by_path.dictionary.filter(pa.array(informative))
    sums = {name: values[informative] for name, values in sums.items()}

    lists = pc.split_pattern(distinct, SEPARATOR)
    touches = pc.utf8_trim_whitespace(lists.flatten())
    empty = np.flatnonzero(pc.equal(touches, "").to_numpy(zero_copy_only=False))
    if len(empty):
        offsets = lists.offsets.to_numpy()
        bad = distinct[int(np.searchsorted(offsets, empty[0], side="right")) - 1].as_py()
        raise PathDataError(f"path {bad!r} has an empty channel; give every touch a channel and join them with ' > '")
    encoded = touches.dictionary_encode()
    names = np.asarray(encoded.dictionary.to_pylist(), dtype=object)
    order = np.argsort(names, kind="stable")
    rank = np.empty(len(order), dtype=np.int32)
    rank[order] = np.arange(len(order), dtype=np.int32)
    channels = names[order]
    return EncodedPaths(
        channels=channels,
        tokens=rank[encoded.indices.to_numpy(zero_copy_only=False)],
        offsets=lists.offsets.to_numpy().astype(np.int64),
        token_channel=np.arange(len(channels), dtype=np.int32),
        token_labels=channels,
        conversions=sums["conversions"],
        value=sums["conversion_value"],
        nulls=sums["nulls"],
    )


def _validated_table(data: pd.DataFrame | pa.Table) -> pa.Table:
    names = list(data.columns) if isinstance(data, pd.DataFrame) else data.column_names
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        raise PathDataError(
            f"missing column(s) {', '.join(missing)}; a path table needs path, conversions, nulls "
            "and optionally conversion_value"
        )
    if isinstance(data, pd.DataFrame):
        data = pa.Table.from_pandas(data[[c for c in (*REQUIRED_COLUMNS, "conversion_value") if c in names]], preserve_index=False)
    if data.num_rows == 0:
        raise PathDataError("the path table has no rows")
    if "conversion_value" not in data.column_names:
        data = data.append_column("conversion_value", pa.array(np.zeros(data.num_rows)))
    path = data.column("path")
    if not pa.types.is_string(path.type) and not pa.types.is_large_string(path.type):
        raise PathDataError(f"column path must hold text, not {path.type}")
    if path.null_count:
        raise PathDataError(f"column path has {path.null_count} empty value(s); every row needs a path")
    columns = {"path": path.cast(pa.string())}
    for name in NUMERIC_COLUMNS:
        try:
            column = data.column(name).cast(pa.float64())
        except (pa.ArrowInvalid, pa.ArrowNotImplementedError) as exc:
            raise PathDataError(f"column {name} must be numeric: {exc}") from exc
        if column.null_count:
            raise PathDataError(f"column {name} has {column.null_count} empty value(s)")
        if pc.any(pc.less(column, 0)).as_py():
            raise PathDataError(f"column {name} has negative values")
        columns[name] = column
    return pa.table(columns)


def _rows_of_length(paths: EncodedPaths, index: np.ndarray, length: int) -> np.ndarray:
    """Tokens of the paths `index` (all of `length` touches) as one opaque, comparable key per path."""
    dtype = np.uint16 if len(paths.token_labels) < 2**16 else np.uint32
    gather = paths.offsets[index][:, None] + np.arange(length)
    return _as_keys(paths.tokens[gather].astype(dtype))


def _as_keys(matrix: np.ndarray) -> np.ndarray:
    """One void scalar per row, so rows compare, sort and search as whole byte strings."""
    matrix = np.ascontiguousarray(matrix)
    return matrix.view(np.dtype((np.void, matrix.dtype.itemsize * matrix.shape[1]))).ravel()


def group_identical(paths: EncodedPaths) -> tuple[np.ndarray, int]:
    """Exact group id per path (identical token sequences share an id) and the number of groups."""
    group = np.empty(paths.n_paths, dtype=np.int64)
    n_groups = 0
    for length in np.unique(paths.lengths):
        index = np.flatnonzero(paths.lengths == length)
        _, inverse = np.unique(_rows_of_length(paths, index, int(length)), return_inverse=True)
        group[index] = inverse.ravel() + n_groups
        n_groups += int(inverse.max()) + 1
    return group, n_groups


def aggregate_identical(paths: EncodedPaths) -> EncodedPaths:
    """Sum the counts of paths that became identical (e.g. after a transform)."""
    group, n_groups = group_identical(paths)
    if n_groups == paths.n_paths:
        return paths
    first = np.full(n_groups, paths.n_paths, dtype=np.int64)
    np.minimum.at(first, group, np.arange(paths.n_paths))
    first.sort()  # keep the surviving paths in their original order
    keep = np.zeros(paths.n_paths, dtype=bool)
    keep[first] = True
    offsets = np.zeros(n_groups + 1, dtype=np.int64)
    np.cumsum(paths.lengths[first], out=offsets[1:])
    survivor_group = group[first]

    def summed(x: np.ndarray) -> np.ndarray:
        return np.bincount(group, weights=x, minlength=n_groups)[survivor_group]

    return replace(
        paths,
        tokens=paths.tokens[keep[paths.path_of_touch]],
        offsets=offsets,
        conversions=summed(paths.conversions),
        value=summed(paths.value),
        nulls=summed(paths.nulls),
    )


def find_sequences(paths: EncodedPaths, queries: np.ndarray, query_lengths: np.ndarray) -> np.ndarray:
    """Index of the path equal to each query sequence, or -1 when no path matches.

    `queries` is a (n_queries, max_length) token matrix; only the first `query_lengths[q]` columns of
    row q are part of the query. `paths` must hold distinct sequences (see `aggregate_identical`).
    """
    found = np.full(len(queries), -1, dtype=np.int64)
    dtype = np.uint16 if len(paths.token_labels) < 2**16 else np.uint32
    for length in np.unique(query_lengths):
        candidates = np.flatnonzero(paths.lengths == length)
        if not len(candidates):
            continue
        rows = np.flatnonzero(query_lengths == length)
        keys, first = np.unique(_rows_of_length(paths, candidates, int(length)), return_index=True)
        wanted = _as_keys(queries[rows, :length].astype(dtype))
        at = np.minimum(np.searchsorted(keys, wanted), len(keys) - 1)
        hit = keys[at] == wanted
        found[rows[hit]] = candidates[first[at[hit]]]
    return found
