"""Rows kept by a mask through Arrow: the frame pandas gives, dtypes and missing values included."""

from __future__ import annotations

import numpy as np
import pandas as pd

from ringwatch.detectors.frames import kept_rows


def _frame(n: int) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    ids = pd.Series([f"id{i}" for i in rng.integers(0, 50, n)], dtype="str")
    ids[rng.random(n) < 0.1] = np.nan
    seen = pd.array(rng.integers(0, 10**12, n), dtype="Int64")
    seen[rng.random(n) < 0.2] = pd.NA
    return pd.DataFrame({
        "account": ids,
        "kind": pd.Series(rng.choice(["device", "ip"], n), dtype="str"),
        "events": rng.integers(0, 9, n),
        "first_seen_ms": seen,
        "share": np.where(rng.random(n) < 0.1, np.nan, rng.random(n)),
        "flag": rng.random(n) < 0.5,
        "at": pd.to_datetime(rng.integers(0, 10**9, n), unit="s", utc=True),
    }, index=np.arange(n) * 3)


def test_kept_rows_equal_pandas_own_selection() -> None:
    frame = _frame(2_000)
    keep = np.random.default_rng(9).random(len(frame)) < 0.7
    kept = kept_rows(frame, keep)
    expected = frame[keep].reset_index(drop=True)
    pd.testing.assert_frame_equal(kept, expected)
    assert kept["account"].isna().any() and kept["first_seen_ms"].isna().any()


def test_kept_rows_of_a_column_arrow_cannot_give_back_go_through_pandas() -> None:
    frame = _frame(300).assign(owner=[("a", i) for i in range(300)])  # Python objects
    keep = np.arange(300) % 3 == 0
    pd.testing.assert_frame_equal(kept_rows(frame, keep), frame[keep].reset_index(drop=True))


def test_kept_rows_all_or_none() -> None:
    frame = _frame(50)
    pd.testing.assert_frame_equal(kept_rows(frame, np.ones(50, bool)), frame.reset_index(drop=True))
    assert kept_rows(frame, np.zeros(50, bool)).empty
