"""``GET /keys`` (admin): the API keys that exist, never their secrets or hashes."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from fastapi.concurrency import run_in_threadpool

from ..auth import Admin, public_key_record
from ..deps import Store
from ..schemas import KeyList, problem_responses

router = APIRouter(tags=["keys"])


@router.get("/keys", response_model=KeyList, summary="API keys",
            responses=problem_responses(401, 403))
async def list_keys(caller: Admin, store: Store) -> Any:
    """Every key's id, role, label and creation time (keys are made with `ringwatch keys create`)."""
    records = await run_in_threadpool(store.api_keys)
    return {"items": [public_key_record(r) for r in records]}
