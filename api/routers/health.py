"""``/healthz`` (the process answers) and ``/readyz`` (the store answers too). No key needed."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

from fastapi import APIRouter, HTTPException
from fastapi.concurrency import run_in_threadpool

from ..deps import Store
from ..schemas import Health, problem_responses

router = APIRouter(tags=["health"])
log = logging.getLogger(__name__)

#: How long /readyz waits for the store before calling it unreachable.
READY_TIMEOUT_SECONDS = 3.0


@router.get("/healthz", response_model=Health, summary="Liveness")
async def healthz() -> Any:
    """Always 200 while the process serves requests."""
    return {"status": "ok"}


@router.get("/readyz", response_model=Health, summary="Readiness",
            responses=problem_responses(503))
async def readyz(store: Store) -> Any:
    """200 when the store answers a cheap read within a few seconds, else 503."""
    try:
        await asyncio.wait_for(run_in_threadpool(store.runs), READY_TIMEOUT_SECONDS)
    except Exception as exc:
        log.warning("store not ready: %s", type(exc).__name__)
        raise HTTPException(503, "the store is not reachable") from None
    return {"status": "ok"}
