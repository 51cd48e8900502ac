"""Path parsing, validation and the fractribution path transforms."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from adledger.analytics.attribution import PathDataError, encode_paths, prepare_paths, read_paths_csv
from adledger.analytics.attribution.paths import aggregate_identical, find_sequences


def table(paths, conversions, nulls, value=None):
    frame = pd.DataFrame({"path": paths, "conversions": conversions, "nulls": nulls})
    if value is not None:
        frame["conversion_value"] = value
    return frame


def paths_of(encoded):
    return encoded.to_frame()["path"].tolist()


def test_encode_sums_duplicates_trims_spaces_and_sorts_channels():
    encoded = encode_paths(table(["b > a", "b > a", " c ", "a>c > c"], [1, 2, 0, 1], [1, 0, 3, 0], [10.0, 5.0, 0.0, 2.5]))
    assert list(encoded.channels) == ["a", "b", "c"]
    frame = encoded.to_frame().set_index("path")
    assert frame.loc["b > a"].tolist() == [3.0, 15.0, 1.0]
    assert frame.loc["c"].tolist() == [0.0, 0.0, 3.0]
    assert frame.loc["a > c > c"].tolist() == [1.0, 2.5, 0.0]
    assert encoded.n_paths == 3 and len(encoded.tokens) == 6


def test_paths_without_conversions_or_nulls_are_dropped():
    encoded = encode_paths(table(["a", "b"], [0, 1], [0, 0]))
    assert paths_of(encoded) == ["b"]


@pytest.mark.parametrize(
    ("frame", "message"),
    [
        (pd.DataFrame({"path": ["a"], "conversions": [1]}), "missing column"),
        (table([], [], []), "no rows"),
        (table(["a > > b"], [1], [0]), "empty channel"),
        (table([""], [1], [0]), "empty channel"),
        (table(["a", None], [1, 1], [0, 0]), "empty value"),
        (table(["a"], [-1], [0]), "negative"),
        (table(["a"], [0], [0]), "nothing to attribute"),
    ],
)
def test_bad_tables_are_rejected_with_a_reason(frame, message):
    with pytest.raises(PathDataError, match=message):
        encode_paths(frame)


def test_read_paths_csv(tmp_path):
    file = tmp_path / "paths.csv"
    file.write_text("path,conversions,conversion_value,nulls\na > b,2,30.5,1\nb,0,0,4\n")
    encoded = encode_paths(read_paths_csv(file))
    assert paths_of(encoded) == ["a > b", "b"]
    assert encoded.value.tolist() == [30.5, 0.0]
    empty = tmp_path / "empty.csv"
    empty.write_text("")
    with pytest.raises(PathDataError, match="empty"):
        read_paths_csv(empty)
    with pytest.raises(PathDataError, match="does not exist"):
        read_paths_csv(tmp_path / "missing.csv")


FRACTRIBUTION_EXAMPLE = "D > A > B > B > C > D > C > C"


@pytest.mark.parametrize(
    ("transform", "expected"),
    [
        ("none", FRACTRIBUTION_EXAMPLE),
        ("exposure", "D > A > B > C > D > C"),
        ("first", "D > A > B > C"),
        ("frequency", "D(2) > A(1) > B(2) > C(3)"),
    ],
)
def test_transforms_match_fractribution_examples(transform, expected):
    encoded = prepare_paths(table([FRACTRIBUTION_EXAMPLE, "A > A"], [1, 1], [0, 0]), transform)
    assert paths_of(encoded)[0] == expected


def test_frequency_tokens_map_back_to_channels():
    encoded = prepare_paths(table([FRACTRIBUTION_EXAMPLE], [1], [0]), "frequency")
    assert [encoded.channels[c] for c in encoded.touch_channels] == ["D", "A", "B", "C"]


def test_drop_channel_unless_it_is_the_only_touch():
    encoded = prepare_paths(
        table(["direct > a > direct", "direct > direct", "a"], [1, 1, 1], [0, 0, 0]), drop_channel="direct"
    )
    assert paths_of(encoded) == ["a", "direct > direct", "a"]


def test_aggregate_identical_and_find_sequences():
    encoded = prepare_paths(table(["a > a > b", "a > b", "b", "a > b > b"], [1, 2, 3, 4], [1, 0, 0, 0]), "exposure")
    distinct = aggregate_identical(encoded)
    assert paths_of(distinct) == ["a > b", "b"]
    assert distinct.conversions.tolist() == [7.0, 3.0]
    assert distinct.nulls.tolist() == [1.0, 0.0]
    a, b = 0, 1
    queries = np.array([[a, b], [b, 0], [b, a], [a, 0]])
    assert find_sequences(distinct, queries, np.array([2, 1, 2, 1])).tolist() == [0, 1, -1, -1]
