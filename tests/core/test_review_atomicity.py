"""A review and its audit entry are saved together or not at all, on each store.

The audit write is made to fail (the store's own ``append_audit`` replaced
by one that raises, as a full disk or a lost server would): the ring must
read as it did before the review, with no verdict and no audit line.
"""

from __future__ import annotations

from dataclasses import replace

import pytest

from ringwatch.domain import AuditEntry, Ring, Run
from ringwatch.graph.store import GraphStore
from ringwatch.reviewing import Reviewer, ReviewNotUndoneError, review_ring

ALICE = Reviewer(actor="alice", key_id="k-1", role="investigator")


def _ring(ring_id: str) -> Ring:
    return Ring.from_json({
        "ring_id": ring_id, "kind": "identity_ring", "score": 0.8, "status": "new",
        "review_status": "new", "members": [{"type": "creator", "id": "c1"},
                                            {"type": "device", "id": "d1"}],
        "evidence": [], "metrics": {}, "first_detected": "2026-11-20T00:00:00Z",
        "run_id": "run-1", "last_seen_run": "run-1", "lineage": {}, "history": []})


@pytest.fixture
def reviewed_store(store: GraphStore) -> GraphStore:
    store.save_run(Run("run-1", started_at="2026-11-20T00:00:00Z"), [_ring("R-a")])
    return store


def _failing_audit(entry: AuditEntry) -> None:
    raise OSError(28, "No space left on device")


@pytest.mark.parametrize("action", ["dismiss", "confirm", "escalate"])
def test_a_review_whose_audit_write_fails_leaves_the_ring_unchanged(
        reviewed_store: GraphStore, monkeypatch: pytest.MonkeyPatch, action: str) -> None:
    before = reviewed_store.ring("R-a")
    monkeypatch.setattr(reviewed_store, "append_audit", _failing_audit)
    saw: list[Ring] = []
    with pytest.raises(OSError, match="No space left"):
        review_ring(reviewed_store, "R-a", action, reviewer=ALICE, expected_version=0,
                    saved=saw.append)
    after = reviewed_store.ring("R-a")
    assert after == before
    assert (after.status, after.review_status, after.version or 0) == ("new", "new", 0)
    assert reviewed_store.verdicts() == [] and reviewed_store.audit_entries() == []
    assert saw == []  # nobody was told of a review that did not happen
    monkeypatch.undo()
    # The same review (same expected version) goes through once the audit log works again.
    done = review_ring(reviewed_store, "R-a", action, reviewer=ALICE, expected_version=0)
    assert done.version == 1 and len(reviewed_store.audit_entries()) == 1


def test_the_undo_never_overwrites_a_later_writer(reviewed_store: GraphStore,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    def later_writer_then_fail(entry: AuditEntry) -> None:
        current = reviewed_store.ring("R-a")
        assert current is not None
        reviewed_store.update_ring(replace(current, note="someone else", version=2),
                                   expected_version=1)
        raise OSError("audit log unreachable")

    monkeypatch.setattr(reviewed_store, "append_audit", later_writer_then_fail)
    with pytest.raises(ReviewNotUndoneError, match="could not be written"):
        review_ring(reviewed_store, "R-a", "confirm", reviewer=ALICE, expected_version=0)
    assert reviewed_store.ring("R-a").version == 2  # type: ignore[union-attr]
