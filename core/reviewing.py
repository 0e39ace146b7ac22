"""Reviewing a ring: confirm, dismiss or escalate it, guarded by its version and audited.

Two reviewers may open the same ring; the second to submit must not overwrite
the first unseen. So a review names the version the reviewer saw, and the
store writes the reviewed ring only if its version is still that one
(compare-and-set); every accepted review is then appended to the audit log,
and a confirm or dismiss also to the verdict log (with the ring's kind and
scores), which outlives the ring: later runs recalibrate their scores on it.
The HTTP API (``POST /rings/{ring_id}/reviews``) is one caller and maps the
errors below to problem responses; a script or a test is another.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from ringwatch import RingwatchError
from ringwatch.domain import VERDICT_STATUSES, AuditEntry, Review, ReviewAction, Ring, Verdict, utc_stamp
from ringwatch.graph.capabilities import ReviewStore


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


class ReviewNotUndoneError(RingwatchError):
    """A review's audit entry could not be written, nor its ring put back (a later write won)."""

    def __init__(self, ring_id: str, cause: BaseException) -> None:
        super().__init__(f"ring {ring_id!r} was reviewed but its audit entry could not be written "
                         f"({cause}) and the ring changed again before it could be put back")


def version_of(ring: Ring | None) -> int:
    """A ring's review version (0 before its first review or when there is no ring)."""
    return (ring.version or 0) if ring is not None else 0


def apply_review(ring: Ring, action: ReviewAction, note: str, reviewer: Reviewer, at: str) -> Ring:
    """The ring after a review: new review status, the review appended, its accounts remembered, version + 1.

    A dissolved ring keeps ``status: dissolved`` (its lifecycle: it is no longer
    found) and records the decision in ``review_status``, which a later run
    restores if the ring comes back.
    """
    review = Review(action, note, reviewer.actor, at, reviewer.key_id)
    return replace(ring, review_status=action.status, reviews=(*(ring.reviews or ()), review),
                   # As ``type:id`` keys: what ring_ids compares a later run's ring with.
                   reviewed_members=tuple(sorted(ring.account_keys)),
                   version=version_of(ring) + 1)


def verdict_of(ring: Ring, reviewer: Reviewer, at: str) -> Verdict | None:
    """The verdict a reviewed ring records, ``None`` when its review status decides nothing (escalated)."""
    if ring.review_status not in VERDICT_STATUSES:
        return None
    return Verdict(ring_id=ring.ring_id, kind=str(ring.kind), verdict=ring.review_status,
                   uncalibrated_score=ring.detector_score, score=ring.score, actor=reviewer.actor,
                   at=at, run_id=ring.run_id, key_id=reviewer.key_id)


def _read(store: ReviewStore, ring_id: str) -> Ring | None:
    return store.ring(ring_id)


def review_ring(store: ReviewStore, ring_id: str, action: ReviewAction | str, *, reviewer: Reviewer,
                expected_version: int | None, note: str = "", request_id: str | None = None,
                at: str | None = None, saved: Callable[[Ring], None] | None = None) -> Ring:
    """Review ``ring_id`` if it is still at ``expected_version``; returns the reviewed ring.

    Reads the ring, writes it reviewed by compare-and-set, then audits the
    review (``request_id`` goes into the audit entry): when the audit entry
    cannot be written, the ring is put back as it was and the error raised,
    so a review and its audit entry are saved together or not at all. A
    confirm or dismiss is then appended to the verdict log (:func:`verdict_of`).
    ``saved`` hears of the reviewed ring once it and its audit entry are
    written (the API drops its cached rings there). ``at`` is the review's time (default: now).
    Raises :class:`RingNotFoundError`, or :class:`StaleVersionError` when the
    ring's version is not ``expected_version`` (None never is) or changes
    before the write; ``ValueError`` for an action that is not a :class:`ReviewAction`.
    """
    if action not in ReviewAction._value2member_map_:
        raise ValueError(f"unknown review action {action!r}; one of {sorted(a.value for a in ReviewAction)}")
    action = ReviewAction(action)
    ring = _read(store, ring_id)
    if ring is None:
        raise RingNotFoundError(f"no ring {ring_id!r}")
    current = version_of(ring)
    if expected_version != current:
        raise StaleVersionError(current)
    at = at or utc_stamp()
    updated = apply_review(ring, action, note, reviewer, at)
    if not store.update_ring(updated, expected_version=current):
        raise StaleVersionError(version_of(_read(store, ring_id)))
    try:
        store.append_audit(AuditEntry(at=at, actor=reviewer.actor, action=f"review.{action}",
                                      details={
            "key_id": reviewer.key_id, "role": reviewer.role, "ring_id": ring_id, "note": note,
            "request_id": request_id, "previous_status": ring.status, "status": updated.status,
            "version": updated.version}))
    except BaseException as exc:
        # No review without its audit entry: put the ring back as it was, then fail.
        if not store.undo_ring_update(ring, written_version=version_of(updated)):
            raise ReviewNotUndoneError(ring_id, exc) from exc
        raise
    if saved is not None:
        saved(updated)
    verdict = verdict_of(updated, reviewer, at)
    if verdict is not None:
        store.append_verdict(verdict)
    return updated
