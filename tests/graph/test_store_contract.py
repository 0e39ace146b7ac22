"""Every store keeps the GraphStore contract: what loaded is what is counted, writes are upserts.

Each test runs once per store (the parametrised ``store`` fixture): the local
store and the real Neo4j server.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

from ringwatch.domain import Ring, Run
from ringwatch.graph.local_store import LocalStore
from ringwatch.graph.model import RELATIONSHIP_TYPES, node_labels
from ringwatch.graph.projections import PROJECTIONS, from_tables
from ringwatch.graph.store import GraphStore
from ringwatch.loaders import Snapshot, load_snapshot


def _projections(store: GraphStore) -> dict[str, pd.DataFrame]:
    return {name: store.projection(name) for name in PROJECTIONS}


def _assert_projections_equal(got: dict[str, pd.DataFrame],
                              expected: dict[str, pd.DataFrame]) -> None:
    for name in PROJECTIONS:
        pd.testing.assert_frame_equal(got[name], expected[name], check_exact=False, rtol=1e-9,
                                      obj=f"projection {name}")


def _expected_projections(snapshot: Snapshot) -> dict[str, pd.DataFrame]:
    """The reference semantics: projections computed from the snapshot's tables with pandas."""
    return {name: from_tables(snapshot.tables, name) for name in PROJECTIONS}


def _counts_of(snapshot: Snapshot, directory: Path) -> dict[str, int]:
    """What a fresh local store counts for ``snapshot`` alone."""
    reference = LocalStore(directory)
    reference.write_snapshot(snapshot)
    return reference.counts()


def test_counts_name_every_label_and_relationship_type_and_start_at_zero(
        store: GraphStore) -> None:
    counts = store.counts()
    assert list(counts) == [*node_labels(), *RELATIONSHIP_TYPES]
    assert set(counts.values()) == {0}


def test_the_rows_that_loaded_are_the_nodes_and_relationships_counted(
        store: GraphStore, bad_snapshot: Path) -> None:
    result = load_snapshot(bad_snapshot)
    loaded = {t.table: t.loaded for t in result.summary.tables}
    store.write_snapshot(result.snapshot)
    counts = store.counts()
    assert counts["Creator"] == loaded["creators"] == 3
    assert counts["Shop"] == counts["OWNS"] == loaded["shops"] == 2
    assert counts["USES"] == loaded["identity_links"] == 3
    assert counts["Order"] == counts["PLACED"] == counts["FROM"] == loaded["orders"] == 3
    assert counts["Commission"] == counts["EARNED"] == counts["FOR"] == loaded["commissions"] == 2
    assert counts["ATTRIBUTED_TO"] == 2  # o9 is organic
    assert counts["Seller"] == 2 and counts["Buyer"] == 2
    assert counts["Agency"] == 1 and counts["MEMBER_OF"] == 2  # c2 and c5 in ag1
    assert counts["Device"] == 1 and counts["PayoutAccount"] == 1
    assert counts["PROMOTES"] == counts["COMMITTED"] == counts["AllowlistEntry"] == 0


def test_projections_of_the_bad_snapshot_hold_its_good_rows(store: GraphStore,
                                                            bad_snapshot: Path) -> None:
    snapshot = load_snapshot(bad_snapshot).snapshot
    store.write_snapshot(snapshot)
    got = _projections(store)
    _assert_projections_equal(got, _expected_projections(snapshot))
    for name in ("creators", "shops", "identity_links", "creator_shop_trade", "buyer_orders"):
        assert not got[name].empty, name
    assert got["affiliations"].empty and got["allowlist"].empty
    trade = got["creator_shop_trade"].set_index(["creator_id", "shop_id"])
    # o5 was refunded on 02-03 after its commission cm4 was paid on 02-02.
    assert trade.loc[("c2", "s1"), "refunded_after_commission"] == 1
    assert trade.loc[("c1", "s1"), "commission_total"] == pytest.approx(1.05)
    organic = got["buyer_orders"].set_index(["buyer_id", "shop_id", "creator_id"])
    assert organic.loc[("b2", "s2", ""), "orders"] == 1
    creators = got["creators"].set_index("creator_id")
    assert creators.loc["c2", "agency_id"] == "ag1" and creators.loc["c1", "agency_id"] == ""
    assert creators.loc["c2", "registered_at_ms"] == pd.Timestamp("2026-01-02T08:00Z").value // 10**6


def test_orders_without_commissions_aggregate_to_zero_commissions(
        store: GraphStore, bad_snapshot: Path) -> None:
    tables = dict(load_snapshot(bad_snapshot).snapshot.tables)
    tables["commissions"] = tables["commissions"].iloc[:0]
    snapshot = Snapshot(tables)
    store.write_snapshot(snapshot)
    got = _projections(store)
    _assert_projections_equal(got, _expected_projections(snapshot))
    trade = got["creator_shop_trade"]
    assert len(trade) == 2
    assert trade["commissions"].sum() == trade["refunded_after_commission"].sum() == 0


def test_writing_the_same_snapshot_twice_changes_nothing(store: GraphStore,
                                                         bad_snapshot: Path) -> None:
    snapshot = load_snapshot(bad_snapshot).snapshot
    store.write_snapshot(snapshot)
    counts, projections = store.counts(), _projections(store)
    store.write_snapshot(snapshot)
    assert store.counts() == counts
    _assert_projections_equal(_projections(store), projections)


def _later(snapshot: Snapshot) -> Snapshot:
    """Snapshot B: the same keys as A, with single-valued facts changed.

    o1 is refunded after its commission was paid; c2 moves from ag1 to ag2 and
    c5 leaves its agency; o9 gets another buyer (b3) and shop (s1); shop s2 changes
    hands (sel3); commission cm4 is now credited to c1.
    """
    tables = {name: frame.copy() for name, frame in snapshot.tables.items()}
    orders = tables["orders"]
    o1 = orders["order_id"] == "o1"
    orders.loc[o1, "status"] = "refunded"
    orders.loc[o1, "refunded_at"] = pd.Timestamp("2026-02-05T12:00:00Z")
    o9 = orders["order_id"] == "o9"
    orders.loc[o9, "buyer_id"] = "b3"
    orders.loc[o9, "shop_id"] = "s1"
    creators = tables["creators"]
    creators.loc[creators["creator_id"] == "c2", "agency_id"] = "ag2"
    creators.loc[creators["creator_id"] == "c5", "agency_id"] = None
    shops = tables["shops"]
    shops.loc[shops["shop_id"] == "s2", "seller_id"] = "sel3"
    commissions = tables["commissions"]
    commissions.loc[commissions["commission_id"] == "cm4", "creator_id"] = "c1"
    return Snapshot(tables)


def test_a_later_snapshot_updates_single_valued_facts_in_place(
        store: GraphStore, bad_snapshot: Path, tmp_path: Path) -> None:
    a = load_snapshot(bad_snapshot).snapshot
    b = _later(a)
    store.write_snapshot(a)
    store.write_snapshot(b)
    counts = store.counts()
    # Exactly what B alone gives: nothing duplicated, nothing stale left counted.
    assert counts == _counts_of(b, tmp_path / "reference")
    assert counts["MEMBER_OF"] == 1 and counts["Agency"] == 1  # only c2 -> ag2 is left
    assert counts["Seller"] == 2 and counts["OWNS"] == 2  # sel1 and sel3; sel2 owns nothing
    assert counts["Buyer"] == 3  # b1, b2 (o5) and b3
    assert counts["PLACED"] == counts["FROM"] == 3 and counts["EARNED"] == 2
    got = _projections(store)
    _assert_projections_equal(got, _expected_projections(b))
    creators = got["creators"].set_index("creator_id")
    assert creators.loc["c2", "agency_id"] == "ag2" and creators.loc["c5", "agency_id"] == ""
    trade = got["creator_shop_trade"].set_index(["creator_id", "shop_id"])
    assert trade.loc[("c1", "s1"), "refunded_orders"] == 1
    assert trade.loc[("c1", "s1"), "refunded_after_commission"] == 1
    shops = got["shops"].set_index("shop_id")
    assert shops.loc["s2", "seller_id"] == "sel3"
    buyers = got["buyer_orders"]
    assert set(buyers["buyer_id"]) == {"b1", "b2", "b3"}
    assert len(buyers[(buyers["buyer_id"] == "b3") & (buyers["shop_id"] == "s1")]) == 1


def test_progress_reports_every_row_of_every_table(store: GraphStore, bad_snapshot: Path) -> None:
    snapshot = load_snapshot(bad_snapshot).snapshot
    done: dict[str, int] = {}
    report = store.write_snapshot(snapshot, progress=lambda table, rows: done.__setitem__(table, rows))
    assert report.rows == {name: len(frame) for name, frame in snapshot.tables.items()}
    for name, rows in report.rows.items():
        if rows:
            assert done[name] == rows, name


def _ring(ring_id: str, score: float, members: list[dict[str, str]], *, status: str = "new",
          run_id: str = "run-1") -> Ring:
    return Ring.from_json({
        "ring_id": ring_id, "kind": "identity_ring", "score": score, "status": status,
        "members": members,
        "evidence": [{"code": "shared_device", "text": "2 creators used device d1", "weight": 0.4}],
        "metrics": {"creators": 2, "commission_total": 2.05, "refund_rate": 0.5},
        "first_detected": "2026-11-20T00:00:00Z", "run_id": run_id,
    })


def test_runs_and_rings_round_trip_and_keep_the_latest_state(store: GraphStore,
                                                             bad_snapshot: Path) -> None:
    store.write_snapshot(load_snapshot(bad_snapshot).snapshot)
    counts = store.counts()
    members = [{"type": "creator", "id": "c1"}, {"type": "creator", "id": "c2"},
               {"type": "device", "id": "d1"}, {"type": "phone", "id": "p-unseen"}]
    first = _ring("R-1", 0.5, members)
    other = _ring("R-2", 0.9, [{"type": "shop", "id": "s1"}, {"type": "seller", "id": "sel1"},
                               {"type": "buyer", "id": "b1"}])
    run1 = Run.from_json({"run_id": "run-1", "started_at": "2026-11-20T00:00:00Z",
                          "backend": store.backend, "rings": 2,
                          "params": {"min_score": 0.3, "kinds": ["identity_ring"]}})
    store.save_run(run1, [first, other])
    assert store.rings() == [other, first]
    assert store.runs() == [run1]

    confirmed = _ring("R-1", 0.95, [*members[:2], {"type": "email", "id": "e9"}],
                      status="confirmed", run_id="run-2")
    tied = _ring("R-0", 0.9, [{"type": "ip", "id": "ip1"},
                              {"type": "payout_account", "id": "pa1"}], run_id="run-2")
    run2 = Run.from_json({"run_id": "run-2", "started_at": "2026-11-21T00:00:00Z",
                          "backend": store.backend, "rings": 2,
                          "params": {"min_score": 0.3, "kinds": ["identity_ring"]}})
    store.save_run(run2, [confirmed, tied])
    assert store.rings() == [confirmed, tied, other]  # score desc, then ring_id
    assert store.runs() == [run1, run2]
    # Ring members are not snapshot rows: recording rings never changes the snapshot counts.
    assert store.counts() == counts


def _priced(ring_id: str, score: float, commission: float, currency: str | None, orders: int) -> Ring:
    ring = _ring(ring_id, score, [{"type": "creator", "id": f"c-{ring_id}"}])
    return replace(ring, metrics={"creators": 1, "commission_total": commission,
                                  "currency": currency, "orders": orders})


def test_rings_tied_on_score_are_listed_by_commission_at_stake_within_one_currency(
        store: GraphStore) -> None:
    # Ids run against the money, so an order by id alone would fail.
    small, large, none = (_priced("R-a", 0.99, 10.0, "USD", 50), _priced("R-b", 0.99, 900.0, "USD", 1),
                          _priced("R-c", 0.99, 0.0, None, 0))
    lower = _priced("R-0", 0.5, 5000.0, "USD", 90)
    store.save_run(Run("run-1"), [small, none, lower, large])
    assert [r.ring_id for r in store.rings()] == ["R-b", "R-a", "R-c", "R-0"]


def test_rings_tied_on_score_in_different_currencies_are_listed_by_orders(store: GraphStore) -> None:
    yen, dollars, mixed = (_priced("R-a", 0.99, 90000.0, "JPY", 2), _priced("R-b", 0.99, 700.0, "USD", 40),
                           _priced("R-c", 0.99, 800.0, "mixed", 7))
    other = [_priced("R-x", 0.8, 1.0, "EUR", 1), _priced("R-y", 0.8, 3.0, "EUR", 0)]
    store.save_run(Run("run-1"), [yen, dollars, mixed, *other])
    assert [r.ring_id for r in store.rings()] == ["R-b", "R-c", "R-a", "R-y", "R-x"]


def test_clear_empties_the_store(store: GraphStore, bad_snapshot: Path) -> None:
    store.write_snapshot(load_snapshot(bad_snapshot).snapshot)
    store.save_run(Run("run-1"), [_ring("R-1", 0.5, [{"type": "creator", "id": "c1"}])])
    store.clear()
    assert set(store.counts().values()) == {0}
    assert store.rings() == [] and store.runs() == []
    store.write_snapshot(load_snapshot(bad_snapshot).snapshot)
    assert store.counts()["Creator"] == 3  # still usable: the schema outlives clear()


def test_an_empty_store_has_empty_projections(store: GraphStore) -> None:
    for name in PROJECTIONS:
        frame = store.projection(name)
        assert frame.empty, name
        assert list(frame.columns) == list(PROJECTIONS[name].columns), name


def test_an_unknown_projection_is_a_key_error(store: GraphStore) -> None:
    with pytest.raises(KeyError, match="unknown projection 'nope'"):
        store.projection("nope")


def test_a_local_store_sees_a_load_made_by_another_process(bad_snapshot, tmp_path) -> None:
    from ringwatch.graph.local_store import LocalStore
    from ringwatch.loaders import load_snapshot

    serving = LocalStore(tmp_path / "shared")
    assert serving.counts()["Creator"] == 0  # read (and cached) before the load
    LocalStore(tmp_path / "shared").write_snapshot(load_snapshot(bad_snapshot).snapshot)
    assert serving.counts()["Creator"] == 3
