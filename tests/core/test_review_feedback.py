"""Reviewers' decisions become per-detector precision."""

from __future__ import annotations

from ringwatch.domain import Ring
from ringwatch.review_feedback import reviewer_precision, verdicts_table


def _ring(kind: str, review: str) -> Ring:
    return Ring.from_json({"ring_id": "R-x", "kind": kind, "score": 0.5, "members": [], "evidence": [],
                           "metrics": {}, "review_status": review, "status": review})


def test_precision_is_confirmed_over_judged_per_detector() -> None:
    rings = [_ring("identity_ring", "confirmed")] * 3 + [_ring("identity_ring", "dismissed")] + [
        _ring("identity_ring", "escalated"), _ring("identity_ring", "new"),
        _ring("collusion_ring", "new")]
    by_kind = {v.kind: v for v in reviewer_precision(rings)}
    identity = by_kind["identity_ring"]
    assert (identity.confirmed, identity.dismissed, identity.escalated, identity.unreviewed) == (
        3, 1, 1, 1)
    assert identity.precision == 0.75
    assert by_kind["collusion_ring"].precision is None
    table = verdicts_table(list(by_kind.values()))
    assert "0.750" in table and "n/a" in table
