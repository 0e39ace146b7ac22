"""``distinct`` is ``np.unique`` of integers, by a sort: the same values, dtype and order."""

from __future__ import annotations

import numpy as np

from ringwatch.detectors.distinct import distinct


def test_distinct_is_numpys_unique_on_integers_of_every_width_and_size() -> None:
    rng = np.random.default_rng(3)
    for dtype in (np.int64, np.int32, np.uint64, np.uint8, np.bool_):
        for size in (0, 1, 2, 17, 5_000):
            for high in (2, 1_000, 1 << 40):
                values = rng.integers(0, min(high, np.iinfo(np.uint8).max if dtype is np.uint8
                                             else high), size).astype(dtype)
                if dtype is np.int64:
                    values = values - (high // 2)  # negative keys too
                found, expected = distinct(values), np.unique(values)
                assert found.dtype == expected.dtype
                np.testing.assert_array_equal(found, expected)
    assert distinct(np.array([5, 5, 5])).tolist() == [5]


def test_anything_but_a_flat_integer_array_is_left_to_numpy() -> None:
    floats = np.array([2.0, np.nan, 1.0, np.nan, 2.0])
    np.testing.assert_array_equal(distinct(floats), np.unique(floats))
    assert np.isnan(distinct(floats)).sum() == 1  # missing values collapse, as numpy has them
    grid = np.array([[3, 1], [1, 2]])
    np.testing.assert_array_equal(distinct(grid), np.unique(grid))
