"""Lanes of a Neo4j load: batches written side by side never name the same node.

Two sessions whose transactions MERGE the same node (a hub identifier, a buyer)
wait on each other's locks and deadlock on its index entry; the ingest writes a
table in phases of lanes that share no node through the row's ends
(:func:`ringwatch.graph.neo4j_ingest.lanes`). These tests check the promise on
frames with hubs and missing ends, and that the lanes stay even where an end is
often missing (an order without a creator).
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from ringwatch.graph.neo4j_ingest import _ends, lanes


def _frame(rng: np.random.Generator, rows: int, ends: int, missing: float,
           hubs: bool = True) -> pd.DataFrame:
    # A few hubs take a third of the rows (if ``hubs``); the rest spread over many values.
    columns = {}
    for end in range(ends):
        hub = rng.random(rows) < (1 / 3 if hubs else 0)
        values = np.where(hub, rng.integers(0, 3, rows), rng.integers(3, 5_000, rows)).astype(str)
        column = pd.Series([f"e{end}-{v}" for v in values], dtype=object)
        column[rng.random(rows) < missing] = None
        columns[f"end{end}"] = column
    return pd.DataFrame(columns)


@pytest.mark.parametrize("workers", [2, 3])
@pytest.mark.parametrize("ends", [1, 2, 3])
def test_lanes_of_a_phase_share_no_value_and_cover_every_row_once(workers: int, ends: int) -> None:
    rng = np.random.default_rng(7 * workers + ends)
    frame = _frame(rng, 6_000, ends, missing=0.2)
    phases = lanes(frame, tuple(frame.columns), workers)
    assert len(phases) <= workers ** (ends - 1)
    every = np.concatenate([rows for phase in phases for rows in phase])
    assert np.array_equal(np.sort(every), np.arange(len(frame)))
    assert sum(len(phase) > 1 for phase in phases) >= 1  # something runs side by side
    for phase in phases:
        assert len(phase) <= workers
        for rows in phase:
            assert np.all(np.diff(rows) > 0)  # the rows' order is kept within a lane
        for column in frame.columns:
            seen: set[str] = set()
            for rows in phase:
                named = set(frame[column].iloc[rows].dropna())
                assert not named & seen, f"two lanes of a phase name the same {column}"
                seen |= named


def test_rows_missing_an_end_spread_over_the_lanes() -> None:
    # Half the orders have no creator: before a missing end took the lane's colour, one lane
    # of each phase got three quarters of the rows.
    rng = np.random.default_rng(3)
    frame = _frame(rng, 20_000, 3, missing=0.0, hubs=False)
    frame.loc[rng.random(len(frame)) < 0.5, "end2"] = None
    frame.loc[rng.random(len(frame)) < 0.1, "end0"] = None
    for phase in lanes(frame, tuple(frame.columns), 2):
        sizes = [len(rows) for rows in phase]
        assert len(sizes) == 2 and max(sizes) <= 1.2 * min(sizes), sizes


def test_a_table_without_ends_is_one_phase_of_even_lanes() -> None:
    frame = pd.DataFrame({"id": [f"a{i}" for i in range(9)]})
    (phase,) = lanes(frame, (), 3)
    assert [len(rows) for rows in phase] == [3, 3, 3]


def test_a_tables_ends_are_its_id_references() -> None:
    assert _ends("identity_links") == ("account_id", "identifier")
    assert _ends("orders") == ("buyer_id", "shop_id", "creator_id")
    assert _ends("allowlist") == ()
