"""Confirmed rings are enforced exactly once, with an audit entry per ring, on both stores."""

from __future__ import annotations

from datetime import UTC, datetime

from ringwatch.detectors.enforcement import enforce
from ringwatch.graph.store import GraphStore


def _ring(ring_id: str, status: str) -> dict:
    return {"ring_id": ring_id, "kind": "identity_ring", "score": 0.9, "status": status,
            "review_status": status, "first_detected": "2026-11-01T00:00:00Z",
            "members": [{"type": "creator", "id": f"{ring_id}-c1"},
                        {"type": "payout_account", "id": f"{ring_id}-pa"}],
            "evidence": [], "metrics": {"commission_total": 120.5}, "history": [],
            "lineage": {}, "version": 2}


def test_confirmed_rings_are_enforced_once(store: GraphStore) -> None:
    store.save_run({"run_id": "run-1", "started_at": "2026-11-01T00:00:00Z"},
                   [_ring("R-yes", "confirmed"), _ring("R-new", "new"),
                    _ring("R-dismissed", "dismissed")])
    night = datetime(2026, 11, 2, tzinfo=UTC)
    first = enforce(store, batch_id="b1", now=night)
    assert first.enforced == ["R-yes"]
    assert {(a["action"], a["target_id"]) for a in first.actions} == {
        ("suspend_creator", "R-yes-c1"), ("hold_payouts", "R-yes-pa"),
        ("claw_back_commission", "R-yes")}
    assert store.ring("R-yes")["enforcement"]["batch_id"] == "b1"
    assert [e["ring_id"] for e in store.audit_entries() if e["action"] == "enforce"] == ["R-yes"]

    again = enforce(store, batch_id="b1", now=night)  # the same batch re-run: same export
    assert again.actions == first.actions
    next_night = enforce(store, batch_id="b2", now=night)  # a later batch: nothing twice
    assert next_night.actions == [] and next_night.already == ["R-yes"]
    assert len([e for e in store.audit_entries() if e["action"] == "enforce"]) == 1
