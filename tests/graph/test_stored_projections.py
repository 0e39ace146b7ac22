"""The local store writes each projection into the load's generation; reading it gives exactly
what computing it from that generation's tables gives, after a first load, a load that adds to
it, a load that replaces it, and for a generation written before projections were stored.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd
import pytest

from ringwatch.graph.local_store import LocalStore
from ringwatch.graph.projections import PROJECTIONS, from_tables
from ringwatch.loaders import Snapshot, load_snapshot

from .small_snapshots import write_small_snapshot


def _snapshot(tmp_path: Path, prefix: str, creators: int) -> Snapshot:
    directory = write_small_snapshot(tmp_path / prefix, prefix=prefix, creators=creators)
    return load_snapshot(directory, quarantine_dir=tmp_path / f"{prefix}quarantine").snapshot


def _stored_files(store: LocalStore) -> list[str]:
    generation = store.graph.generations.current()
    assert generation is not None
    return sorted(p.name for p in generation.directory.glob("projection-*.parquet"))


def _assert_as_computed(store_dir: Path) -> None:
    """A fresh store object (another process, as ``detect`` is) reads what the tables give."""
    fresh = LocalStore(store_dir)
    tables = fresh.tables()
    for name in PROJECTIONS:
        pd.testing.assert_frame_equal(fresh.projection(name), from_tables(tables, name),
                                      check_exact=True)


def test_a_load_stores_every_projection_in_its_generation(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    store.write_snapshot(_snapshot(tmp_path, "a_", creators=16))
    assert _stored_files(store) == sorted(f"projection-{name}.parquet" for name in PROJECTIONS)
    _assert_as_computed(tmp_path / "store")
    assert len(LocalStore(tmp_path / "store").projection("creator_shop_trade")) > 0


def test_a_load_that_adds_stores_the_projections_of_both_snapshots(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    store.write_snapshot(_snapshot(tmp_path, "a_", creators=8))
    store.write_snapshot(_snapshot(tmp_path, "b_", creators=12))
    creators = LocalStore(tmp_path / "store").projection("creators")["creator_id"]
    assert len(creators) == 20 and creators.str.startswith("a_").sum() == 8
    _assert_as_computed(tmp_path / "store")


def test_a_replacing_load_stores_only_the_new_snapshots_projections(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    store.write_snapshot(_snapshot(tmp_path, "a_", creators=8))
    reader = LocalStore(tmp_path / "store")
    assert reader.projection("creators")["creator_id"].str.startswith("a_").all()
    LocalStore(tmp_path / "store").write_snapshot(_snapshot(tmp_path, "b_", creators=12),
                                                  replace=True)
    # The same reader sees the new generation's projection, not the one it read before.
    assert reader.projection("creators")["creator_id"].str.startswith("b_").all()
    _assert_as_computed(tmp_path / "store")


def test_a_generation_without_stored_projections_gets_them_from_its_tables(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    store.write_snapshot(_snapshot(tmp_path, "a_", creators=16))
    generation = store.graph.generations.current()
    assert generation is not None
    for path in generation.directory.glob("projection-*.parquet"):
        path.unlink()  # as a load before this change left it
    _assert_as_computed(tmp_path / "store")


def test_a_column_a_caller_adds_to_a_projection_stays_its_own(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    store.write_snapshot(_snapshot(tmp_path, "a_", creators=8))
    links = store.projection("identity_links")
    links["mine"] = 1
    links.loc[0, "events"] = -5
    again = store.projection("identity_links")
    assert "mine" not in again.columns and (again["events"] >= 1).all()


def test_a_projection_that_fails_on_its_own_thread_fails_the_load_and_keeps_the_last(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The identity links' projection is computed beside the others, on a thread: its error must
    still reach the load, which then commits nothing (readers keep the previous generation)."""
    import ringwatch.graph.local_graph as local_graph
    from ringwatch.graph import projections

    store = LocalStore(tmp_path / "store")
    store.write_snapshot(_snapshot(tmp_path, "a_", creators=8))
    assert "identity_links" in local_graph._ASIDE
    build, normalised = projections.FROM_TABLES["identity_links"]

    def broken(tables: object) -> pd.DataFrame:
        raise RuntimeError("identity links projection failed")

    monkeypatch.setitem(projections.FROM_TABLES, "identity_links", (broken, normalised))
    with pytest.raises(RuntimeError, match="identity links projection failed"):
        store.write_snapshot(_snapshot(tmp_path, "b_", creators=12))
    monkeypatch.setitem(projections.FROM_TABLES, "identity_links", (build, normalised))
    fresh = LocalStore(tmp_path / "store")
    assert fresh.projection("creators")["creator_id"].str.startswith("a_").all()
    assert len(fresh.projection("identity_links")) > 0
    _assert_as_computed(tmp_path / "store")
