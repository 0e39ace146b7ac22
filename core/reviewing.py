"""Reviewing a ring: confirm, dismiss or escalate it, guarded by its version and audited.

Two reviewers may open the same ring; the second to submit must not overwrite
the first unseen. So a review names the version the reviewer saw, and the
store writes the reviewed ring only if its version is still that one
(compare-and-set); every accepted review is then appended to the audit log.
The HTTP API (``POST /rings/{ring_id}/reviews``) is one caller and maps the
errors below to problem responses; a script or a test is another.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ringwatch import RingwatchError
from ringwatch.domain import Lifecycle, ReviewAction, is_account
from ringwatch.graph.capabilities import ReviewStore

#: The review status each action sets.
STATUS_AFTER: dict[str, str] = {action.value: action.status for action in ReviewAction}


@dataclass(frozen=True)
class Reviewer:
    """Who reviews, as the audit log names them: the actor, their key's id and role."""

    actor: str
    key_id: str | None
    role: str


class RingNotFoundError(RingwatchError):
    """No ring has the id a review names."""


class StaleVersionError(RingwatchError):
    """The ring changed since the reviewer read it; ``current`` is its version now."""

    def __init__(self, current: int) -> None:
        super().__init__(f"the ring has changed: its version is now {current}")
        self.current = current


def version_of(ring: Mapping[str, Any] | None) -> int:
    """A ring's review version (0 before its first review or when there is no ring)."""
    return int((ring or {}).get("version") or 0)


def apply_review(ring: Mapping[str, Any], action: str, note: str, reviewer: Reviewer,
                 at: str) -> dict[str, Any]:
    """The ring after a review: new status, the review appended, its accounts remembered, version + 1.

    A dissolved ring keeps ``status: dissolved`` (it is no longer found) and
    records the decision in ``review_status``, which a later run restores if
    the ring comes back.
    """
    review_status = STATUS_AFTER[action]
    return {
        **ring,
        "status": ring.get("status") if ring.get("status") == Lifecycle.DISSOLVED else review_status,
        "review_status": review_status,
        "reviews": [*(ring.get("reviews") or []),
                    {"action": action, "note": note, "actor": reviewer.actor,
                     "key_id": reviewer.key_id, "at": at}],
        # As ``type:id`` keys: what ring_ids compares a later run's ring with.
        "reviewed_members": sorted(f"{m['type']}:{m['id']}" for m in ring.get("members") or []
                                   if is_account(m.get("type"))),
        "version": version_of(ring) + 1,
    }


def review_ring(store: ReviewStore, ring_id: str, action: str, *, reviewer: Reviewer,
                expected_version: int | None, note: str = "", request_id: str | None = None,
                at: str | None = None,
                saved: Callable[[dict[str, Any]], None] | None = None) -> dict[str, Any]:
    """Review ``ring_id`` if it is still at ``expected_version``; returns the reviewed ring.

    Reads the ring, writes it reviewed by compare-and-set, then audits the
    review (``request_id`` goes into the audit entry). ``saved`` hears of the
    reviewed ring as soon as it is written, before the audit (the API drops
    its cached rings there). ``at`` is the review's time (default: now).
    Raises :class:`RingNotFoundError`, or :class:`StaleVersionError` when the
    ring's version is not ``expected_version`` (None never is) or changes
    before the write.
    """
    if action not in STATUS_AFTER:
        raise ValueError(f"unknown review action {action!r}; one of {sorted(STATUS_AFTER)}")
    ring = store.ring(ring_id)
    if ring is None:
        raise RingNotFoundError(f"no ring {ring_id!r}")
    current = version_of(ring)
    if expected_version != current:
        raise StaleVersionError(current)
    at = at or datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    updated = apply_review(ring, action, note, reviewer, at)
    if not store.update_ring(updated, expected_version=current):
        raise StaleVersionError(version_of(store.ring(ring_id)))
    if saved is not None:
        saved(updated)
    store.append_audit({
        "at": at, "actor": reviewer.actor, "key_id": reviewer.key_id, "role": reviewer.role,
        "action": f"review.{action}", "ring_id": ring_id, "note": note,
        "request_id": request_id, "previous_status": ring.get("status"),
        "status": updated["status"], "version": updated["version"]})
    return updated
