"""A context built in memory equals the one a store gives after loading the same snapshot.

Detector tests build their :class:`MarketContext` in memory (``Market.context``,
``MarketContext.from_tables``); these tests are what makes that honest: the
hand-built market's in-memory tables are the loader's tables, and the context
of a snapshot's tables is the context either store gives once it holds them.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ringwatch.detectors.context import MarketContext, read_context
from ringwatch.graph.local_store import LocalStore
from ringwatch.graph.store import GraphStore
from ringwatch.loaders import load_snapshot

from .market import Market


def assert_same_context(got: MarketContext, expected: MarketContext) -> None:
    assert list(got.projections) == list(expected.projections)
    for name in expected.projections:
        pd.testing.assert_frame_equal(got[name], expected[name], obj=name)
    pd.testing.assert_frame_equal(got.links, expected.links, obj="links")
    assert got.allowlist == expected.allowlist
    assert got.as_of_ms == expected.as_of_ms


@pytest.fixture
def market() -> Market:
    """Every helper of the market in use: each table has rows, with blanks where they may be."""
    m = Market()
    m.background()
    m.plant_farm()
    m.plant_collusion()
    m.plant_self_purchase()
    m.plant_self_purchase(creator="nocur", currency="")
    m.creator("ag_c0", agency="agency_1")
    m.violation("farm_c0")
    m.violation("col_c1", severity="high")
    m.allow("payout_account", "farm_pa")
    m.allow("device", "bg_d0", expires="2026-02-01")  # expired before the snapshot's end
    return m


def test_the_markets_tables_in_memory_are_what_the_loader_reads_from_its_files(
        market: Market, tmp_path: Path) -> None:
    loaded = load_snapshot(market.write(tmp_path / "snapshot"))
    assert loaded.summary.quarantined == 0
    in_memory = market.tables()
    assert list(in_memory) == list(loaded.snapshot.tables)
    for name, frame in loaded.snapshot.tables.items():
        assert len(frame), f"{name} has no rows: the check would prove nothing for it"
        pd.testing.assert_frame_equal(in_memory[name], frame, obj=name)


def test_the_in_memory_context_equals_the_one_each_store_gives(
        market: Market, store: GraphStore, tmp_path: Path) -> None:
    stored = market.load(store, tmp_path / "snapshot")
    in_memory = market.context()
    assert_same_context(in_memory, stored)
    assert [(a.identifier, a.expired) for a in in_memory.allowlist] == [
        ("bg_d0", True), ("farm_pa", False)]
    assert "farm_pa" not in set(in_memory.links["identifier"])


def test_a_generated_snapshots_context_from_its_tables_equals_the_local_stores(
        generated_snapshot: Path, tmp_path: Path) -> None:
    tables = load_snapshot(generated_snapshot).snapshot
    store = LocalStore(tmp_path / "store")
    store.write_snapshot(tables)
    assert_same_context(MarketContext.from_tables(tables.tables), read_context(store))


def test_allowlist_expiry_is_judged_at_the_moment_asked_for(market: Market) -> None:
    latest = market.context()
    early = market.context(as_of_ms=0)
    assert latest.as_of_ms > 0
    assert early.as_of_ms == 0
    assert [a.expired for a in early.allowlist] == [False, False]
    assert "bg_d0" not in set(early.links["identifier"])
    assert "bg_d0" in set(latest.links["identifier"])
