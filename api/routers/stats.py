"""``GET /stats``: rings per run (by kind; new, persisting, dissolved) and now (by kind and status);
``GET /stats/reliability``: the reviewers' verdicts per kind and score bucket."""

from __future__ import annotations

import math
from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from ringwatch.domain import OPEN_STATUSES
from ringwatch.review_feedback import reliability

from ..auth import Viewer
from ..deps import CurrentRings, Store
from ..schemas import Reliability, Stats, problem_responses

router = APIRouter(tags=["stats"])


@router.get("/stats", response_model=Stats, summary="Ring statistics",
            responses=problem_responses(401, 403))
async def get_stats(caller: Viewer, current: CurrentRings) -> Any:
    """Counts per run, and the current rings by kind and status with the commission they hold."""
    runs = [{"run_id": r.run_id, "started_at": r.started_at, "rings": r.rings,
             "rings_by_kind": dict(r.rings_by_kind or {}), "new": r.new or 0,
             "persisting": r.persisting or 0, "dissolved": r.dissolved or 0} for r in current.runs]
    by_kind: dict[str, dict[str, int]] = {}
    held = 0.0
    open_rings = 0
    for ring in current.rings:
        status = ring.status
        counts = by_kind.setdefault(str(ring.kind), {})
        counts[status] = counts.get(status, 0) + 1
        if status in OPEN_STATUSES:
            open_rings += 1
            held += _number((ring.metrics or {}).get("commission_total"))
    return {"as_of_run": current.latest_run, "runs": runs,
            "now": {"rings_by_kind_and_status": by_kind, "open_rings": open_rings,
                    "commission_held_by_open_rings": round(held, 2)}}


@router.get("/stats/reliability", response_model=Reliability, summary="Reliability of scores, per reviews",
            responses=problem_responses(401, 403))
async def get_reliability(caller: Viewer, store: Store) -> Any:
    """Per ring kind and bucket of the score reviewers were shown: verdicts and the share confirmed.

    From the verdict log, which outlives snapshots (one verdict per ring, its latest).
    """
    rows = await run_in_threadpool(lambda: reliability(store.verdicts()))
    return {"rows": [{"kind": r.kind, "bucket": r.bucket, "verdicts": r.verdicts,
                      "confirmed": r.confirmed, "mean_score": round(r.mean_score, 4),
                      "share_confirmed": round(r.share_confirmed, 4)} for r in rows]}


def _number(value: Any) -> float:
    """A number as a sum counts it: NaN, infinities and non-numbers count as 0 (they are not JSON)."""
    if not isinstance(value, int | float) or isinstance(value, bool):
        return 0.0
    return float(value) if math.isfinite(value) else 0.0
