"""A ring as of a run, without HTTP: found then, dissolved since, not yet found, or unknown."""

from __future__ import annotations

from typing import Any

from ringwatch.domain import Ring, Stake
from ringwatch.ring_history import RingState, RunTimeline

TIMELINE = RunTimeline(["run-1", "run-2", "run-3"])


def _ring(history: list[tuple[str, float, int]], *, status: str = "new", **extra: Any) -> Ring:
    members = [{"type": "creator", "id": "c1"}, {"type": "creator", "id": "c2"},
               {"type": "device", "id": "d1"}]
    return Ring.from_json({
        "ring_id": "R-a", "kind": "identity_ring", "score": history[-1][1] if history else 0.5,
        "status": status, "members": members, "evidence": [], "metrics": {},
        "history": [{"run_id": r, "score": s, "accounts": a} for r, s, a in history], **extra})


def test_a_ring_found_in_the_run_has_that_runs_score_and_size() -> None:
    ring = _ring([("run-1", 0.9, 5), ("run-3", 0.4, 2)], status="confirmed")
    assert TIMELINE.ring_as_of(ring, "run-1") == RingState(0.9, "confirmed", 5)
    assert TIMELINE.ring_as_of(ring, "run-3") == RingState(0.4, "confirmed", 2)
    assert TIMELINE.ring_as_of(ring, None) == RingState(0.4, "confirmed", 2)  # now: 2 accounts


def test_between_two_findings_a_ring_is_dissolved_with_its_last_score() -> None:
    ring = _ring([("run-1", 0.9, 5), ("run-3", 0.4, 2)])
    assert TIMELINE.ring_as_of(ring, "run-2") == RingState(0.9, "dissolved", 5)


def test_a_dissolved_ring_found_in_the_run_shows_its_review_decision() -> None:
    ring = _ring([("run-1", 0.7, 3)], status="dissolved", review_status="dismissed")
    assert TIMELINE.ring_as_of(ring, "run-1") == RingState(0.7, "dismissed", 3)
    unreviewed = _ring([("run-1", 0.7, 3)], status="dissolved")
    assert TIMELINE.ring_as_of(unreviewed, "run-1").status == "new"


def test_a_ring_is_absent_before_it_was_found_and_when_only_an_unknown_run_found_it() -> None:
    assert TIMELINE.ring_as_of(_ring([("run-2", 0.8, 4)]), "run-1") is None
    assert TIMELINE.ring_as_of(_ring([("run-9", 0.8, 4)]), "run-3") is None


def test_a_ring_without_history_counts_from_its_last_seen_run() -> None:
    ring = _ring([], last_seen_run="run-2")
    assert TIMELINE.ring_as_of(ring, "run-1") is None
    assert TIMELINE.ring_as_of(ring, "run-2") == RingState(0.5, "new", 2)


def test_the_timeline_knows_its_runs_and_the_latest() -> None:
    assert TIMELINE.latest == "run-3" and TIMELINE.knows("run-2") and not TIMELINE.knows("run-4")
    empty = RunTimeline([])
    assert empty.latest is None and empty.knows(None) and not TIMELINE.knows(None)


def test_a_ring_as_of_a_run_has_that_runs_money_and_an_older_entry_its_latest() -> None:
    ring = Ring.from_json({
        "ring_id": "R-a", "kind": "identity_ring", "score": 0.4, "status": "new",
        "members": [{"type": "creator", "id": "c1"}], "evidence": [],
        "metrics": {"commission_total": 75.0, "currency": "EUR", "orders": 9},
        "history": [{"run_id": "run-1", "score": 0.9, "accounts": 1},
                    {"run_id": "run-2", "score": 0.6, "accounts": 1, "commission_total": 20.0,
                     "currency": "USD", "orders": 4},
                    {"run_id": "run-3", "score": 0.4, "accounts": 1, "commission_total": 75.0,
                     "currency": "EUR", "orders": 9}]})
    assert TIMELINE.ring_as_of(ring, "run-2").stake == Stake(20.0, "USD", 4)
    assert TIMELINE.ring_as_of(ring, "run-1").stake == Stake(75.0, "EUR", 9)  # no money kept then
    assert TIMELINE.ring_as_of(ring, None).stake == Stake(75.0, "EUR", 9)
