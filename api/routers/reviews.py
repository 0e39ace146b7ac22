"""``POST /rings/{ring_id}/reviews``: confirm, dismiss or escalate a ring, guarded and audited.

The rules (status transitions, compare-and-set, audit) are
:func:`ringwatch.reviewing.review_ring`; this adapter reads ``If-Match`` (the
version the reviewer saw: 428 without it), maps a missing ring to 404 and a
changed one to 412, and answers with the ring's new ETag.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Header, HTTPException, Request, Response
from fastapi.concurrency import run_in_threadpool

from ringwatch import reviewing

from ..auth import Investigator
from ..deps import CurrentRings, RingsCache, Store
from ..middleware import request_id_of
from ..schemas import ReviewRequest, Ring, problem_responses
from .rings import RingId, etag, with_overlaps

router = APIRouter(tags=["reviews"])


def parse_if_match(value: str) -> int | None:
    """The version named by an If-Match header (``"3"``, ``W/"3"`` or ``3``), None if none is."""
    text = value.strip()
    if text.startswith("W/"):
        text = text[2:]
    text = text.strip('"')
    return int(text) if text.isdigit() and len(text) < 19 else None


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
    cache: RingsCache,
    current: CurrentRings,
    request: Request,
    response: Response,
    if_match: Annotated[str | None, Header(
        alias="If-Match", description='The ETag of the ring as last read, e.g. "3".')] = None,
) -> Any:
    """Confirm, dismiss or escalate a ring; returns the updated ring and its new ETag."""
    if if_match is None:
        raise HTTPException(428, 'send If-Match with the ring\'s ETag (GET /rings/{ring_id}), '
                            'e.g. If-Match: "0"')
    reviewer = reviewing.Reviewer(actor=caller.actor, key_id=caller.key_id, role=caller.role.value)
    try:
        updated = await run_in_threadpool(
            reviewing.review_ring, store, ring_id, review.action.value, reviewer=reviewer,
            expected_version=parse_if_match(if_match), note=review.note,
            request_id=request_id_of(request), saved=lambda _: cache.invalidate())
    except reviewing.RingNotFoundError as exc:
        raise HTTPException(404, str(exc)) from None
    except reviewing.StaleVersionError as exc:
        raise HTTPException(412, f'the ring has changed: its version is now "{exc.current}"; '
                            "reload it and review again") from None
    response.headers["ETag"] = etag(updated)
    response.headers["Location"] = str(request.url_for("get_ring", ring_id=ring_id).path)
    return with_overlaps(updated, current)
