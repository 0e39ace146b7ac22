"""``GET /audit``: the audit log, oldest first, filtered and paged. Entries never change."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query
from fastapi.concurrency import run_in_threadpool

from ..auth import Viewer
from ..cursors import CursorParam, bad_cursor, encode_cursor, read_position_cursor
from ..deps import Audit, Settings
from ..ring_views import json_safe, parse_time
from ..schemas import AuditPage, problem_responses

router = APIRouter(tags=["audit"])


@router.get("/audit", response_model=AuditPage, summary="The audit log",
            responses=problem_responses(400, 401, 403, 422))
async def list_audit(
    caller: Viewer,
    store: Audit,
    settings: Settings,
    ring_id: Annotated[str | None, Query(max_length=200)] = None,
    actor: Annotated[str | None, Query(max_length=200, description="A key's label or id.")] = None,
    since: Annotated[datetime | None, Query(description="Entries at or after this time.")] = None,
    until: Annotated[datetime | None, Query(description="Entries before this time.")] = None,
    limit: Annotated[int, Query(ge=1, le=200)] = 50,
    cursor: CursorParam = None,
) -> Any:
    """Audit entries oldest first. The cursor is a position: the log is append-only."""
    start = 0 if cursor is None else read_position_cursor(cursor)
    entries = await run_in_threadpool(store.audit_entries)
    if start > len(entries):  # the log only grows: no cursor issued points beyond its end
        raise bad_cursor()
    low = _seconds(since)
    high = _seconds(until)
    limit = min(limit, settings.max_page)
    items: list[dict[str, Any]] = []  # the entries' JSON, as the response sends it
    next_cursor = None
    for index in range(start, len(entries)):
        entry = entries[index]
        if ring_id is not None and entry.ring_id != ring_id:
            continue
        if actor is not None and actor not in (entry.actor, entry.key_id):
            continue
        if low is not None or high is not None:
            at = parse_time(entry.at)
            if at is None or (low is not None and at < low) or (high is not None and at >= high):
                continue
        if len(items) == limit:
            next_cursor = encode_cursor({"from": index})
            break
        items.append(json_safe(entry.to_json()))
    return {"items": items, "next_cursor": next_cursor}


def _seconds(stamp: datetime | None) -> float | None:
    if stamp is None:
        return None
    return (stamp if stamp.tzinfo else stamp.replace(tzinfo=UTC)).timestamp()
