"""Rings keep their ids, first-detected time and review status across runs; history is kept."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

from ringwatch.detectors.pipeline import run_detection
from ringwatch.detectors.ring_ids import assign_ids
from ringwatch.domain import Lifecycle
from ringwatch.graph.local_store import LocalStore
from ringwatch.reviewing import Reviewer, review_ring

from .market import Market


def _ring(kind: str, accounts: list[str], score: float = 0.8) -> dict:
    return {"kind": kind, "score": score, "evidence": [], "metrics": {},
            "members": [{"type": "creator", "id": a} for a in accounts]}


def _previous(ring_id: str, accounts: list[str], status: str = "confirmed") -> dict:
    return {**_ring("identity_ring", accounts), "ring_id": ring_id, "status": status,
            "review_status": status, "first_detected": "2026-11-01T00:00:00Z",
            "history": [{"run_id": "run-1"}], "lineage": {}}


def test_a_ring_with_a_member_added_and_one_removed_keeps_id_status_and_history() -> None:
    old = _previous("R-old", ["a", "b", "c", "d", "e"])
    new = _ring("identity_ring", ["b", "c", "d", "e", "f"])  # a left, f joined: Jaccard 4/6
    [ring] = assign_ids([old], [new], run_id="run-2", stamp="2026-11-08T00:00:00Z", jaccard=0.5)
    assert ring["ring_id"] == "R-old"
    assert ring["status"] == "confirmed"
    assert ring["first_detected"] == "2026-11-01T00:00:00Z"
    assert [h["run_id"] for h in ring["history"]] == ["run-1", "run-2"]


def test_a_ring_no_longer_found_is_dissolved_not_deleted() -> None:
    old = _previous("R-old", ["a", "b", "c"])
    other = _ring("identity_ring", ["x", "y", "z"])
    touched = assign_ids([old], [other], run_id="run-2", stamp="t", jaccard=0.5)
    by_id = {r["ring_id"]: r for r in touched}
    assert by_id["R-old"]["status"] == Lifecycle.DISSOLVED
    assert by_id["R-old"]["dissolved_in_run"] == "run-2"
    assert len(touched) == 2


def test_a_split_records_lineage_on_both_sides() -> None:
    old = _previous("R-big", ["a", "b", "c", "d", "e", "f"])
    left = _ring("identity_ring", ["a", "b", "c", "d"])  # keeps the id (Jaccard 4/6)
    right = _ring("identity_ring", ["e", "f", "g"])  # split off: shares 2 of its 3
    touched = assign_ids([old], [left, right], run_id="run-2", stamp="t", jaccard=0.5)
    assert touched[0]["ring_id"] == "R-big"
    assert touched[1]["ring_id"] != "R-big"
    assert touched[1]["lineage"]["split_from"] == ["R-big"]


def test_a_merge_keeps_one_id_and_names_the_other() -> None:
    one = _previous("R-one", ["a", "b", "c", "d"])
    two = _previous("R-two", ["e", "f"])
    merged = _ring("identity_ring", ["a", "b", "c", "d", "e", "f"])
    touched = assign_ids([one, two], [merged], run_id="run-2", stamp="t", jaccard=0.5)
    by_id = {r["ring_id"]: r for r in touched}
    assert by_id["R-one"]["lineage"]["merged_from"] == ["R-two"]
    assert by_id["R-two"]["status"] == Lifecycle.DISSOLVED
    assert by_id["R-two"]["lineage"]["became"] == ["R-one"]


def test_rings_of_another_kind_never_take_the_id() -> None:
    old = _previous("R-old", ["a", "b", "c"])
    new = {**_ring("collusion_ring", ["a", "b", "c"])}
    [ring, dissolved] = assign_ids([old], [new], run_id="run-2", stamp="t", jaccard=0.5)
    assert ring["ring_id"] != "R-old" and dissolved["status"] == Lifecycle.DISSOLVED


def test_two_runs_on_a_growing_market_keep_the_ring_id(tmp_path: Path) -> None:
    market = Market()
    market.background()
    for i in range(4):
        c = market.creator(f"farm_c{i}")
        market.link("creator", c, "payout_account", "farm_pa")
        market.link("creator", c, "device", "farm_dev")
    store = LocalStore(tmp_path / "store")
    market.load(store, tmp_path / "week1")
    first = run_detection(store, now=datetime(2026, 11, 1, tzinfo=UTC))
    [ring] = first.rings
    late = market.creator("farm_c4")  # the farm grows by one account a week later
    market.link("creator", late, "payout_account", "farm_pa")
    market.load(store, tmp_path / "week2")
    second = run_detection(store, now=datetime(2026, 11, 8, tzinfo=UTC))
    [again] = second.rings
    assert again["ring_id"] == ring["ring_id"]
    assert again["first_detected"] == "2026-11-01T00:00:00Z"
    assert {"type": "creator", "id": "farm_c4"} in again["members"]
    assert second.run["new"] == 0 and second.run["persisting"] == 1
    assert len(store.runs()) == 2


def _dismissed(accounts: list[str], reviewed: list[str]) -> dict:
    return {**_previous("R-dis", accounts, status="dismissed"),
            "reviewed_members": [f"creator:{a}" for a in reviewed], "version": 3,
            "reviews": [{"action": "dismiss", "note": "agency studio"}]}


def test_a_dismissed_ring_found_again_stays_dismissed_with_its_reviews() -> None:
    old = _dismissed(["a", "b", "c", "d"], ["a", "b", "c", "d"])
    again = _ring("identity_ring", ["a", "b", "c", "d", "e"])  # one more: Jaccard 4/5
    [ring] = assign_ids([old], [again], run_id="run-2", stamp="t", jaccard=0.5)
    assert ring["ring_id"] == "R-dis" and ring["status"] == "dismissed"
    assert ring["reviews"] == old["reviews"]
    assert ring["version"] == 4  # the run changed the ring: an ETag from before must not match
    assert "note" not in ring


def test_a_dismissed_ring_that_grew_past_the_threshold_comes_back_as_new() -> None:
    # Matched run to run (it grew gradually) but far from what the reviewer dismissed.
    old = _dismissed(["a", "b", "c", "d", "e", "f"], ["a", "b", "c"])
    grown = _ring("identity_ring", ["a", "b", "c", "d", "e", "f", "g"])
    [ring] = assign_ids([old], [grown], run_id="run-2", stamp="t", jaccard=0.5)
    assert ring["ring_id"] == "R-dis"
    assert ring["status"] == "new" and ring["note"] == "grew since dismissed"


def test_a_review_made_while_a_run_detects_is_not_undone(tmp_path: Path) -> None:
    market = Market()
    market.background()
    for i in range(4):
        c = market.creator(f"farm_c{i}")
        market.link("creator", c, "payout_account", "farm_pa")
    store = LocalStore(tmp_path / "store")
    market.load(store, tmp_path / "snapshot")
    [ring] = run_detection(store).rings

    def a_reviewer_confirms_mid_run(step: str) -> None:  # after the run read the rings
        if step == "saving rings":
            review_ring(store, ring["ring_id"], "confirm", expected_version=0,
                        reviewer=Reviewer(actor="alice", key_id=None, role="investigator"))

    run_detection(store, progress=a_reviewer_confirms_mid_run)
    assert store.ring(ring["ring_id"]).status == "confirmed"
