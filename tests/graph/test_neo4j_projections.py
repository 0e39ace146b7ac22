"""The Neo4j store reads the snapshot's tables once per snapshot, and never serves an old one.

The projections' values are the parity tests' subject (test_projection_parity.py);
these prove what the tables kept between reads must never do: be read again for
every projection of one snapshot, or outlive the snapshot they were read from,
whether a load through this store, a load or a clear through another process
changed it.
"""

from __future__ import annotations

from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from ringwatch.graph.local_store import LocalStore
from ringwatch.graph.neo4j_projections import MISSING_TIME, _column
from ringwatch.graph.store import GraphStore
from ringwatch.loaders import load_snapshot

from .small_snapshots import ORDERS_PER_CREATOR, write_small_snapshot


def test_a_missing_time_becomes_nat_and_a_time_keeps_its_microseconds() -> None:
    column = _column([MISSING_TIME, 1_767_258_930_123_456, -500], "time")
    assert column.isna().tolist() == [True, False, False]
    assert column[1] == pd.Timestamp("2026-01-01T09:15:30.123456Z")
    assert column[2] == pd.Timestamp("1969-12-31T23:59:59.9995Z")
    assert str(column.dtype) == "datetime64[us, UTC]"


def _counting(store: Any, monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Count the table statements ``store`` runs from now on."""
    calls: Counter[str] = Counter()
    read = store._projections._read_columns

    def counted(name: str, **params: Any) -> dict[str, list[Any]]:
        calls[name] += 1
        return read(name, **params)

    monkeypatch.setattr(store._projections, "_read_columns", counted)
    return calls


@pytest.mark.neo4j
def test_the_orders_are_read_once_for_both_order_projections(
        neo4j_session_store: GraphStore, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    store = neo4j_session_store
    store.clear()
    store.write_snapshot(load_snapshot(write_small_snapshot(tmp_path / "a", prefix="a",
                                                            creators=8)).snapshot)
    calls = _counting(store, monkeypatch)
    trade = store.projection("creator_shop_trade")
    orders = store.projection("buyer_orders")
    assert trade["orders"].sum() == orders["orders"].sum() == 8 * ORDERS_PER_CREATOR
    assert calls["projection_table_orders"] == 1
    assert calls["projection_table_commissions"] == 1


@pytest.mark.neo4j
def test_a_load_in_place_is_seen_by_the_next_projection(
        neo4j_session_store: GraphStore, tmp_path: Path) -> None:
    store = neo4j_session_store
    store.clear()
    first = load_snapshot(write_small_snapshot(tmp_path / "a", prefix="a", creators=8)).snapshot
    store.write_snapshot(first)
    assert store.projection("buyer_orders")["orders"].sum() == 8 * ORDERS_PER_CREATOR
    second = load_snapshot(write_small_snapshot(tmp_path / "b", prefix="b", creators=4)).snapshot
    store.write_snapshot(second)  # in place: the graph now holds both
    assert store.projection("buyer_orders")["orders"].sum() == 12 * ORDERS_PER_CREATOR
    local = LocalStore(tmp_path / "local")
    local.write_snapshot(first)
    local.write_snapshot(second)
    for name in ("creators", "identity_links", "creator_shop_trade", "buyer_orders"):
        pd.testing.assert_frame_equal(store.projection(name), local.projection(name),
                                      check_exact=False, rtol=1e-9, obj=name)


@pytest.mark.neo4j
def test_a_graph_another_process_cleared_is_not_served_from_the_tables_kept(
        neo4j_session_store: GraphStore, tmp_path: Path) -> None:
    """Another store object stands for another process: this one's kept tables are stale."""
    from ringwatch.graph.neo4j_store import Neo4jStore
    from ringwatch.store_settings import Neo4jSettings

    store = neo4j_session_store
    store.clear()
    store.write_snapshot(load_snapshot(write_small_snapshot(tmp_path / "a", prefix="a",
                                                            creators=8)).snapshot)
    assert len(store.projection("creators")) == 8
    with Neo4jStore(Neo4jSettings.from_env()) as other:
        other.clear()  # no generation marker left: only the graph's sizes tell the change
        assert store.projection("creators").empty
        assert store.projection("buyer_orders").empty
        other.write_snapshot(load_snapshot(write_small_snapshot(tmp_path / "b", prefix="b",
                                                                creators=4)).snapshot)
    creators = store.projection("creators")["creator_id"]
    assert creators.tolist() == [f"bc{i}" for i in range(4)]
    assert np.all(store.projection("buyer_orders")["buyer_id"].str.startswith("b"))
