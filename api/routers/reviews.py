"""``POST /rings/{ring_id}/reviews``: confirm, dismiss or escalate a ring, guarded and audited.

Two reviewers may open the same ring; the second to submit must not
overwrite the first unseen. So a review needs ``If-Match`` with the version
the reviewer saw (428 without it), and the store writes the reviewed ring
only if its version is still that one (compare-and-set: 412 otherwise).
Every accepted review is appended to the audit log.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool

from ringwatch.domain import Lifecycle, is_account
from ringwatch.domain import ReviewAction as DomainAction

from ..auth import Caller, Investigator
from ..deps import Rings, Store
from ..middleware import request_id_of
from ..ring_views import json_safe
from ..schemas import ReviewAction, ReviewRequest, Ring, problem_responses
from .rings import RingId, etag

router = APIRouter(tags=["reviews"])

#: The review status each action sets.
STATUS_AFTER: dict[ReviewAction, str] = {
    action: DomainAction(action.value).status for action in ReviewAction}


def parse_if_match(value: str) -> int | None:
    """The version named by an If-Match header (``"3"``, ``W/"3"`` or ``3``), None if none is."""
    text = value.strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    return int(text) if text.isdigit() and len(text) < 19 else None


def apply_review(ring: dict[str, Any], action: ReviewAction, note: str, caller: Caller,
                 at: str) -> dict[str, Any]:
    """The ring after a review: new status, the review appended, its accounts remembered, version + 1.

    A dissolved ring keeps ``status: dissolved`` (it is no longer found) and
    records the decision in ``review_status``, which a later run restores if
    the ring comes back.
    """
    review_status = STATUS_AFTER[action]
    version = int(ring.get("version") or 0)
    return {
        **ring,
        "status": ring.get("status") if ring.get("status") == Lifecycle.DISSOLVED else review_status,
        "review_status": review_status,
        "reviews": [*(ring.get("reviews") or []),
                    {"action": action.value, "note": note, "actor": caller.actor,
                     "key_id": caller.key_id, "at": at}],
        # As ``type:id`` keys: what ring_identity compares a later run's ring with.
        "reviewed_members": sorted(f"{m['type']}:{m['id']}" for m in ring.get("members") or []
                                   if is_account(m.get("type"))),
        "version": version + 1,
    }


@router.post("/rings/{ring_id}/reviews", status_code=201, response_model=Ring,
             summary="Review a ring",
             responses={201: {"headers": {"ETag": {"description": "The ring's new version.",
                                                   "schema": {"type": "string"}}}},
                        **problem_responses(401, 403, 404, 412, 422, 428)})
async def review_ring(
    ring_id: RingId,
    review: ReviewRequest,
    caller: Investigator,
    store: Store,
    rings: Rings,
    request: Request,
    response: Response,
    if_match: Annotated[str | None, Header(
        alias="If-Match", description='The ETag of the ring as last read, e.g. "3".')] = None,
) -> Any:
    """Confirm, dismiss or escalate a ring; returns the updated ring and its new ETag."""
    if if_match is None:
        raise HTTPException(428, 'send If-Match with the ring\'s ETag (GET /rings/{ring_id}), '
                            'e.g. If-Match: "0"')
    expected = parse_if_match(if_match)
    ring = await run_in_threadpool(store.ring, ring_id)
    if ring is None:
        raise HTTPException(404, f"no ring {ring_id!r}")
    current = int(ring.get("version") or 0)
    if expected != current:
        raise _stale(current)
    at = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    updated = apply_review(ring, review.action, review.note, caller, at)
    if not await run_in_threadpool(store.update_ring, updated, expected_version=current):
        latest = await run_in_threadpool(store.ring, ring_id)
        raise _stale(int((latest or {}).get("version") or 0))
    rings.invalidate()
    await run_in_threadpool(store.append_audit, {
        "at": at, "actor": caller.actor, "key_id": caller.key_id, "role": caller.role.value,
        "action": f"review.{review.action.value}", "ring_id": ring_id, "note": review.note,
        "request_id": request_id_of(request), "previous_status": ring.get("status"),
        "status": updated["status"], "version": updated["version"]})
    response.headers["ETag"] = etag(updated)
    response.headers["Location"] = str(request.url_for("get_ring", ring_id=ring_id).path)
    return json_safe(updated)


def _stale(current: int) -> HTTPException:
    return HTTPException(412, f'the ring has changed: its version is now "{current}"; reload it '
                         "and review again")
