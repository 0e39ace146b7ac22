"""``/keys`` (admin): the API keys that exist (never their secrets or hashes), and revoking one."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Request
from fastapi.concurrency import run_in_threadpool

from ringwatch.domain import AuditEntry, utc_stamp

from ..auth import Admin, describe_key, public_key_record
from ..deps import Store
from ..middleware import request_id_of
from ..schemas import KeyInfo, KeyList, problem_responses

router = APIRouter(tags=["keys"])

KeyId = Annotated[str, Path(min_length=1, max_length=200, description="The key's id, e.g. "
                            "key_3f2a9c1b0d4e (from GET /keys or `ringwatch keys list`).")]


@router.get("/keys", response_model=KeyList, summary="API keys",
            responses=problem_responses(401, 403))
async def list_keys(caller: Admin, store: Store) -> Any:
    """Every key's id, role, label, creation, last use and revocation time, revoked keys included."""
    records = await run_in_threadpool(store.api_keys)
    return {"items": [public_key_record(r) for r in records]}


@router.post("/keys/{key_id}/revoke", response_model=KeyInfo, summary="Revoke an API key",
             responses=problem_responses(401, 403, 404, 422))
async def revoke_key(key_id: KeyId, caller: Admin, store: Store, request: Request) -> Any:
    """Revoke a key: every request with it is refused from the next one on, by every server.

    The key's record is kept (with ``revoked_at``) so the audit log still names
    it; revoking a revoked key changes nothing and answers the same. The
    revocation is itself audited (``key.revoke``), once.
    """
    at = utc_stamp()
    revocation = await run_in_threadpool(lambda: store.revoke_api_key(key_id, at=at))
    if revocation is None:
        raise HTTPException(404, f"no key {key_id!r}")
    record = revocation.record
    if not revocation.revoked_now:
        return public_key_record(record)  # revoked before: audited then
    entry = AuditEntry(at=at, actor=caller.actor, action="key.revoke", details={
        "key_id": caller.key_id, "role": caller.role.value, "ring_id": None, "revoked_key_id": key_id,
        "note": f"POST /keys/{key_id}/revoke ({describe_key(record)})",
        "request_id": request_id_of(request)})
    await run_in_threadpool(store.append_audit, entry)
    return public_key_record(record)
