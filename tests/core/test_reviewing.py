"""Reviewing a ring without HTTP: transitions, compare-and-set, audit, and the domain errors."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from ringwatch.domain import Ring, Run
from ringwatch.graph.local_store import LocalStore
from ringwatch.reviewing import Reviewer, RingNotFoundError, StaleVersionError, review_ring

ALICE = Reviewer(actor="alice", key_id="k-1", role="investigator")
AT = "2026-11-02T09:00:00Z"


def _ring(ring_id: str, status: str = "new") -> dict[str, Any]:
    return {"ring_id": ring_id, "kind": "identity_ring", "score": 0.8, "status": status,
            "review_status": "new", "first_detected": "2026-11-01T00:00:00Z",
            "members": [{"type": "creator", "id": "c2"}, {"type": "creator", "id": "c1"},
                        {"type": "device", "id": "d1"}],
            "evidence": [], "metrics": {}, "history": [], "lineage": {}, "version": 0}


@pytest.fixture
def store(tmp_path: Path) -> LocalStore:
    local = LocalStore(tmp_path / "store")
    local.save_run(Run("run-1", started_at="2026-11-01T00:00:00Z"),
                   [Ring.from_json(_ring("R-a")), Ring.from_json(_ring("R-gone", status="dissolved"))])
    return local


def test_a_review_sets_the_status_bumps_the_version_and_is_audited(store: LocalStore) -> None:
    saw: list[int] = []
    updated = review_ring(store, "R-a", "confirm", reviewer=ALICE, expected_version=0,
                          note="same device", request_id="req-1", at=AT,
                          saved=lambda ring: saw.append(ring.version))
    assert saw == [1]
    assert store.ring("R-a") == updated
    stored = updated.to_json()
    assert (stored["status"], stored["review_status"], stored["version"]) == ("confirmed",
                                                                             "confirmed", 1)
    assert stored["reviewed_members"] == ["creator:c1", "creator:c2"]
    assert stored["reviews"] == [{"action": "confirm", "note": "same device", "actor": "alice",
                                  "key_id": "k-1", "at": AT}]
    [entry] = (e.to_json() for e in store.audit_entries())
    assert entry["action"] == "review.confirm" and entry["previous_status"] == "new"
    assert entry["request_id"] == "req-1" and entry["version"] == 1


def test_a_dissolved_ring_keeps_its_status_and_records_the_decision(store: LocalStore) -> None:
    updated = review_ring(store, "R-gone", "dismiss", reviewer=ALICE, expected_version=0)
    assert (updated.status, updated.review_status) == ("dissolved", "dismissed")
    assert store.ring("R-gone").status == "dissolved"  # type: ignore[union-attr]


def test_a_review_of_a_stale_version_changes_nothing(store: LocalStore) -> None:
    review_ring(store, "R-a", "escalate", reviewer=ALICE, expected_version=0)
    for seen in (0, None):
        with pytest.raises(StaleVersionError) as caught:
            review_ring(store, "R-a", "dismiss", reviewer=ALICE, expected_version=seen)
        assert caught.value.current == 1
    assert store.ring("R-a").status == "escalated"  # type: ignore[union-attr]
    assert len(store.audit_entries()) == 1


def test_an_unknown_ring_or_action_is_refused(store: LocalStore) -> None:
    with pytest.raises(RingNotFoundError, match="no ring 'R-nope'"):
        review_ring(store, "R-nope", "confirm", reviewer=ALICE, expected_version=0)
    with pytest.raises(ValueError, match="unknown review action"):
        review_ring(store, "R-a", "approve", reviewer=ALICE, expected_version=0)
    assert store.audit_entries() == []


def test_a_reviewer_without_a_key_is_recorded_with_a_null_key_id(store: LocalStore) -> None:
    # Every stored review has carried key_id since reviews exist; a script's reviewer has none.
    script = Reviewer(actor="nightly-script", key_id=None, role="investigator")
    review_ring(store, "R-a", "confirm", reviewer=script, expected_version=0, at=AT)
    ring = store.ring("R-a")
    assert ring is not None
    assert ring.to_json()["reviews"] == [{"action": "confirm", "note": "", "actor": "nightly-script",
                                          "key_id": None, "at": AT}]
    [entry] = (e.to_json() for e in store.audit_entries())
    assert "key_id" in entry and entry["key_id"] is None
