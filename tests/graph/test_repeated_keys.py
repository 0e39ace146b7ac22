"""Repeated keys in what the local store writes: a hand-built snapshot keeps the last row given
per key; a validated one holds each key once already (the loader quarantines repeats), which is
what lets the store skip its own check for it (``Snapshot.unique_keys``)."""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from ringwatch.graph.kept_projections import last_per_key
from ringwatch.graph.local_store import LocalStore
from ringwatch.loading import validated_snapshot
from ringwatch.tables import TABLES, TABLES_BY_NAME, Snapshot

from .small_snapshots import small_snapshot_tables, write_small_snapshot


def test_a_hand_built_snapshot_keeps_the_last_row_given_per_key(tmp_path: Path) -> None:
    loaded = validated_snapshot(write_small_snapshot(tmp_path / "a", prefix="a_", creators=4),
                                quarantine_dir=None).snapshot
    creators = loaded["creators"]
    repeated = pd.concat([creators, creators.iloc[[1]].assign(region="EU")], ignore_index=True)
    links = loaded["identity_links"]
    links = pd.concat([links, links.iloc[[0, 0]].assign(events=[7, 9])], ignore_index=True)
    snapshot = Snapshot({**loaded.tables, "creators": repeated, "identity_links": links})
    assert snapshot.unique_keys is False

    store = LocalStore(tmp_path / "store")
    store.write_snapshot(snapshot)

    stored = LocalStore(tmp_path / "store").tables()
    assert len(stored["creators"]) == 4
    assert stored["creators"].set_index("creator_id").loc["a_c1", "region"] == "EU"
    assert len(stored["identity_links"]) == len(loaded["identity_links"])
    first = stored["identity_links"]["account_id"] == links.loc[0, "account_id"]
    assert stored["identity_links"].loc[first, "events"].tolist() == [9]
    assert len(store.projection("identity_links")) == len(loaded["identity_links"])


def _with_repeats(directory: Path) -> Path:
    """A snapshot whose every table repeats a key (the repeat differs outside the key), the
    violation's time spelled two ways for one instant."""
    tables = small_snapshot_tables("r_", creators=8)
    tables["affiliations"] = pd.DataFrame({"creator_id": ["r_c0", "r_c0", "r_c1"],
                                           "shop_id": ["r_s0", "r_s0", "r_s0"],
                                           "commission_rate": ["0.1", "0.2", "0.1"],
                                           "started_at": "2026-01-01"})
    tables["violations"] = pd.DataFrame({"creator_id": ["r_c0", "r_c0"], "policy": ["spam", "spam"],
                                         "severity": ["low", "high"],
                                         "occurred_at": ["2026-01-05", "2026-01-05T00:00:00Z"]})
    tables["allowlist"] = pd.DataFrame({"identifier_type": ["device", "device"],
                                        "identifier": ["r_d0", "r_d0"], "owner": ["x", "y"],
                                        "reason": "shared", "expires_at": "2027-01-01"})
    directory.mkdir(parents=True)
    for name, frame in tables.items():
        if name in ("creators", "shops", "identity_links", "orders", "commissions"):
            frame = pd.concat([frame, frame.iloc[[0]]], ignore_index=True)
            changeable = [c.name for c in TABLES_BY_NAME[name].columns
                          if c.name not in TABLES_BY_NAME[name].key and c.name in ("region", "events",
                                                                                 "amount")]
            frame.loc[len(frame) - 1, changeable] = "3"
        frame.to_csv(directory / f"{name}.csv", index=False)
    return directory


def test_a_validated_snapshot_holds_each_key_once(tmp_path: Path) -> None:
    result = validated_snapshot(_with_repeats(tmp_path / "snap"), quarantine_dir=tmp_path / "q")
    assert result.snapshot.unique_keys is True
    quarantined = {t.table: t.quarantined for t in result.summary.tables}
    assert all(quarantined[name] == 1 for name in
               ("creators", "shops", "identity_links", "orders", "commissions", "affiliations",
                "violations", "allowlist")), quarantined
    for spec in TABLES:
        frame = result.snapshot[spec.name]
        assert len(last_per_key(frame, spec.name)) == len(frame), spec.name


def test_storing_a_validated_snapshot_unchecked_gives_what_the_check_gives(tmp_path: Path) -> None:
    snapshot = validated_snapshot(_with_repeats(tmp_path / "snap"), quarantine_dir=None).snapshot
    unchecked, checked = LocalStore(tmp_path / "a"), LocalStore(tmp_path / "b")
    unchecked.write_snapshot(snapshot)
    checked.write_snapshot(Snapshot(snapshot.tables))
    a, b = LocalStore(tmp_path / "a").tables(), LocalStore(tmp_path / "b").tables()
    for spec in TABLES:
        pd.testing.assert_frame_equal(a[spec.name], b[spec.name], check_exact=True)
