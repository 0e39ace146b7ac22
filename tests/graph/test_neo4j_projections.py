"""The Neo4j store keeps its projections with the load, reads the snapshot's tables once per
snapshot when it has none kept, and never serves an old one.

The projections' values are the parity tests' subject (test_projection_parity.py,
for the kept projections and for those computed from the tables read out of the
graph); these prove what a kept projection or the tables kept between reads must
never do: be recomputed for every read of one snapshot, or outlive the snapshot
they were computed for, whether a load through this store, a load or a clear
through another process, or a hand-made change of the graph changed it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import pytest

from ringwatch.graph.local_store import LocalStore
from ringwatch.graph.neo4j_projections import MISSING_TIME, _column
from ringwatch.graph.projections import PROJECTIONS
from ringwatch.graph.store import GraphStore
from ringwatch.loaders import load_snapshot
from ringwatch.tables import Snapshot

from ..snapshots import write_generated_snapshot
from .small_snapshots import ORDERS_PER_CREATOR, write_small_snapshot


def test_a_missing_time_becomes_nat_and_a_time_keeps_its_microseconds() -> None:
    column = _column([MISSING_TIME, 1_767_258_930_123_456, -500], "time")
    assert column.isna().tolist() == [True, False, False]
    assert column[1] == pd.Timestamp("2026-01-01T09:15:30.123456Z")
    assert column[2] == pd.Timestamp("1969-12-31T23:59:59.9995Z")
    assert str(column.dtype) == "datetime64[us, UTC]"


def _small(tmp_path: Path, prefix: str, creators: int) -> Snapshot:
    """A small snapshot of ``creators`` creators, ids prefixed, written below ``tmp_path``."""
    return load_snapshot(write_small_snapshot(tmp_path / prefix, prefix=prefix,
                                              creators=creators)).snapshot


def _counting(store: Any, monkeypatch: pytest.MonkeyPatch) -> Counter[str]:
    """Count the table statements ``store`` runs from now on."""
    calls: Counter[str] = Counter()
    read = store._projections._read_columns

    def counted(name: str, **params: Any) -> dict[str, list[Any]]:
        calls[name] += 1
        return read(name, **params)

    monkeypatch.setattr(store._projections, "_read_columns", counted)
    return calls


def _cypher(store: Any, text: str, **params: Any) -> list[dict[str, Any]]:
    """Run ``text`` on the store's server as an investigator (or another program) would."""
    with store._driver.session(database=store.database) as session:
        return session.run(text, params).data()


def _drop_kept(store: Any) -> None:
    """Leave the graph as a load before kept projections left it (and forget what was read)."""
    _cypher(store, "MATCH (p:KeptProjection) DELETE p")
    store._projections.forget()


@pytest.mark.neo4j
def test_the_orders_are_read_once_for_both_order_projections(
        neo4j_session_store: GraphStore, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    store = neo4j_session_store
    store.clear()
    store.write_snapshot(_small(tmp_path, "a", 8))
    _drop_kept(store)  # no projections kept: computed from the tables read out of the graph
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
    first = _small(tmp_path, "a", 8)
    store.write_snapshot(first)
    assert store.projection("buyer_orders")["orders"].sum() == 8 * ORDERS_PER_CREATOR
    second = _small(tmp_path, "b", 4)
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
    store.write_snapshot(_small(tmp_path, "a", 8))
    assert len(store.projection("creators")) == 8
    with Neo4jStore(Neo4jSettings.from_env()) as other:
        other.clear()  # no generation marker left: only the graph's sizes tell the change
        assert store.projection("creators").empty
        assert store.projection("buyer_orders").empty
        other.write_snapshot(_small(tmp_path, "b", 4))
    creators = store.projection("creators")["creator_id"]
    assert creators.tolist() == [f"bc{i}" for i in range(4)]
    assert np.all(store.projection("buyer_orders")["buyer_id"].str.startswith("b"))


@pytest.mark.neo4j
def test_a_load_keeps_every_projection_and_a_reader_reads_no_table(
        neo4j_session_store: GraphStore, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from ringwatch.graph.neo4j_store import Neo4jStore
    from ringwatch.store_settings import Neo4jSettings

    store = neo4j_session_store
    store.clear()
    store.write_snapshot(_small(tmp_path, "a", 8))
    kept = _cypher(store, "MATCH (p:KeptProjection) RETURN p.name AS name, p.key AS key")
    assert sorted(row["name"] for row in kept) == sorted(PROJECTIONS)
    assert {row["key"] for row in kept} == {store._snapshot_key()}
    with Neo4jStore(Neo4jSettings.from_env()) as reader:  # another process, as `detect` is
        calls = _counting(reader, monkeypatch)
        got = {name: reader.projection(name) for name in PROJECTIONS}
        assert sum(calls.values()) == 0
    _drop_kept(store)
    for name in PROJECTIONS:
        pd.testing.assert_frame_equal(got[name], store.projection(name), check_exact=False,
                                      rtol=1e-9, obj=name)
    assert got["buyer_orders"]["orders"].sum() == 8 * ORDERS_PER_CREATOR


@pytest.mark.neo4j
def test_a_load_forgets_the_projections_kept_for_the_generation_before(
        neo4j_session_store: GraphStore, tmp_path: Path) -> None:
    store = neo4j_session_store
    store.clear()
    for prefix, creators in (("a", 8), ("b", 4)):
        store.write_snapshot(_small(tmp_path, prefix, creators))
    # Added in place: the second generation's projections hold both snapshots.
    generations = _cypher(store, "MATCH (g:SnapshotGeneration) RETURN g.id AS id")
    kept = _cypher(store, "MATCH (p:KeptProjection) RETURN DISTINCT p.generation AS generation")
    assert [row["generation"] for row in kept] == [row["id"] for row in generations]
    assert len(store.projection("creators")) == 12


@pytest.mark.neo4j
def test_a_graph_changed_by_hand_since_its_load_is_not_served_from_the_kept_projections(
        neo4j_session_store: GraphStore, tmp_path: Path) -> None:
    store = neo4j_session_store
    store.clear()
    store.write_snapshot(_small(tmp_path, "a", 8))
    assert len(store.projection("creators")) == 8
    _cypher(store, "CREATE (:Creator {id: 'by-hand', registered_at: datetime()})")
    assert "by-hand" in set(store.projection("creators")["creator_id"])


@pytest.mark.neo4j
def test_a_kept_projection_missing_a_part_is_computed_from_the_tables(
        neo4j_session_store: GraphStore, tmp_path: Path,
        monkeypatch: pytest.MonkeyPatch) -> None:
    from ringwatch.graph import neo4j_projections

    store = neo4j_session_store
    store.clear()
    monkeypatch.setattr(neo4j_projections, "PART_BYTES", 1024)  # several parts per projection
    store.write_snapshot(_small(tmp_path, "a", 40))
    parts = _cypher(store, "MATCH (p:KeptProjection {name: 'identity_links'}) "
                           "RETURN count(p) AS n, max(p.parts) AS parts")[0]
    assert parts["n"] == parts["parts"] > 1
    whole = store.projection("identity_links")
    store._projections.forget()
    _cypher(store, "MATCH (p:KeptProjection {name: 'identity_links', part: 1}) DELETE p")
    calls = _counting(store, monkeypatch)
    pd.testing.assert_frame_equal(store.projection("identity_links"), whole)
    assert calls["projection_table_identity_links"] > 0


def _load_and_detect(tmp_path: Path, where: list[str], data: Path, out: str,
                     *load_options: str) -> list[tuple[str, tuple[tuple[str, str], ...]]]:
    """``ringwatch load`` then ``ringwatch detect``, each its own process; the rings found."""
    for args in (["load", "--data", str(data), "--quarantine", str(tmp_path / f"q-{out}"),
                  *load_options], ["detect", "--out", str(tmp_path / out)]):
        done = subprocess.run([sys.executable, "-m", "ringwatch", "--quiet", *args, *where],
                              capture_output=True, text=True, timeout=600, check=False)
        assert done.returncode == 0, done.stderr
    rings = [json.loads(line) for line in (tmp_path / out / "rings.jsonl").read_text().splitlines()]
    return sorted((ring["kind"], tuple(sorted((m["type"], m["id"]) for m in ring["members"])))
                  for ring in rings)


@pytest.mark.neo4j
def test_detection_after_a_replacing_load_follows_the_new_snapshot(
        neo4j_session_store: GraphStore, tmp_path: Path) -> None:
    """Load, detect, replace with another snapshot, detect: the rings are the new snapshot's
    (the local store's on it), not those of the projections the first load kept."""
    first = write_generated_snapshot(tmp_path / "first", scale=0.05, seed=7)
    second = write_generated_snapshot(tmp_path / "second", scale=0.05, seed=11)
    neo4j_session_store.clear()
    neo4j = ["--backend", "neo4j"]
    before = _load_and_detect(tmp_path, neo4j, first, "first")
    after = _load_and_detect(tmp_path, neo4j, second, "second", "--replace")
    expected = _load_and_detect(tmp_path, ["--store", str(tmp_path / "local")], second, "local")
    assert before and after and after != before
    assert after == expected
