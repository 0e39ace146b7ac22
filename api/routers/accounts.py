"""``/accounts/{type}/{id}``: one account's rings and risk, and the graph around it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, HTTPException, Path, Query
from fastapi.concurrency import run_in_threadpool

from ringwatch.domain import OPEN_STATUSES

from ..auth import Viewer
from ..deps import Accounts, CurrentRings
from ..limits import CostlyViewer
from ..ring_views import json_safe
from ..schemas import Account, AccountType, Neighbourhood, problem_responses

router = APIRouter(prefix="/accounts", tags=["accounts"])


TypeParam = Annotated[AccountType, Path(alias="type", description="creator, shop, seller or buyer")]
IdParam = Annotated[str, Path(alias="id", min_length=1, max_length=300,
                              description="The account id as the marketplace gave it.")]


@router.get("/{type}/{id}", response_model=Account, summary="One account",
            responses=problem_responses(401, 403, 404, 422))
async def get_account(account_type: TypeParam, account_id: IdParam, caller: Viewer, store: Accounts,
                      current: CurrentRings) -> Any:
    """The account's identifiers and rings; ``risk`` is the highest score of its open rings."""
    account = await run_in_threadpool(store.account, account_type.value, account_id)
    if account is None:
        raise HTTPException(404, f"no {account_type.value} {account_id!r}")
    rings = current.summaries(current.by_member.get(f"{account_type.value}:{account_id}", ()))
    risk = max((r["score"] for r in rings if r["status"] in OPEN_STATUSES), default=0.0)
    return json_safe({"type": account_type.value, "id": account_id, "risk": risk, "rings": rings,
                      "identifiers": account["identifiers"]})


@router.get("/{type}/{id}/neighbourhood", response_model=Neighbourhood,
            summary="The graph around an account", responses=problem_responses(401, 403, 404, 422, 429))
async def get_neighbourhood(
    account_type: TypeParam,
    account_id: IdParam,
    caller: CostlyViewer,
    store: Accounts,
    current: CurrentRings,
    hops: Annotated[int, Query(ge=1, le=2, description="1 or 2")] = 1,
    limit: Annotated[int, Query(ge=1, le=1000, description="At most this many nodes.")] = 200,
) -> Any:
    """Nodes and edges within ``hops`` of the account; ``flagged`` nodes belong to an open ring."""
    found = await run_in_threadpool(
        lambda: store.neighbourhood(account_type.value, account_id, hops=hops, limit=limit))
    if found is None:
        raise HTTPException(404, f"no {account_type.value} {account_id!r}")
    flagged = current.open_members
    nodes = [{**node, "flagged": node["id"] in flagged} for node in found["nodes"]]
    return json_safe({"nodes": nodes, "edges": found["edges"], "truncated": found["truncated"]})
