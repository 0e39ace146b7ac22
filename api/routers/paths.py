"""``/paths``: how two accounts are connected, hop by hop, through the account graph.

An investigator's question when two accounts come up together ("is this
buyer the creator's?"). The search is the store's (``AccountGraph.paths``:
the same answer from either store); this router names each hop with what the
detectors' projections hold for it (events, orders, commission) and marks the
hubs, identifiers and shops used by so many that a path through them proves
little.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Annotated, Any

import pandas as pd
from fastapi import APIRouter, HTTPException, Query
from fastapi.concurrency import run_in_threadpool

from ringwatch.domain import is_identifier_type
from ringwatch.graph.store import edge, node_key
from ringwatch.graph.subgraph import ring_subgraph

from ..deps import Accounts, CurrentRings, Projections
from ..limits import CostlyViewer
from ..ring_views import json_safe
from ..schemas import ACCOUNT_PATTERN, Paths, problem_responses

router = APIRouter(tags=["accounts"])

#: A search stops after this many seconds and says so: a path query is an investigator's
#: click, and one through a dense market must not hold a worker.
TIME_LIMIT_SECONDS = 10.0

@router.get("/paths", response_model=Paths, summary="How two accounts are connected",
            responses=problem_responses(401, 403, 404, 422, 429))
async def get_paths(
    caller: CostlyViewer,
    store: Accounts,
    current: CurrentRings,
    projections: Projections,
    source: Annotated[str, Query(alias="from", pattern=ACCOUNT_PATTERN, max_length=300,
                                 description="One account, as 'type:id'.")],
    target: Annotated[str, Query(alias="to", pattern=ACCOUNT_PATTERN, max_length=300,
                                 description="The other account, as 'type:id'.")],
    max_hops: Annotated[int, Query(ge=1, le=8, description="Longest path looked for, in "
                                   "edges: two accounts on one device are 2 hops apart.")] = 4,
    max_paths: Annotated[int, Query(ge=1, le=50, description="At most this many of the "
                                    "shortest paths.")] = 10,
) -> Any:
    """Every shortest path between two accounts through shared identifiers, orders and shops.

    Each hop is an edge of the account graph (USES, TRADES, BOUGHT, OWNS) with
    its numbers; a hub on a path (an identifier or account with more
    neighbours than the search walks through) is marked, with how many
    accounts share it when it is an identifier. ``complete`` is false when the
    time limit stopped the search.
    """
    ends = [tuple(text.split(":", 1)) for text in (source, target)]
    found = await run_in_threadpool(lambda: store.paths(
        ends[0], ends[1], max_hops=max_hops, max_paths=max_paths,
        time_limit=TIME_LIMIT_SECONDS))
    if found is None:
        missing = [text for text, end in zip((source, target), ends, strict=True)
                   if store.account(*end) is None]
        raise HTTPException(404, f"no account {', '.join(missing) or source}")
    nodes = sorted({n for path in found.paths for n in path})
    frames = await run_in_threadpool(projections.get, current.latest_run)
    sub = await run_in_threadpool(ring_subgraph, [{"type": t, "id": i} for t, i in nodes], frames,
                                  max_nodes=max(len(nodes), 1))
    edges = {frozenset((e["source"], e["target"])): e for e in sub.to_dict()["edges"]}
    shared = _shared_by(frames.get("identity_links"), [n for n in nodes if is_identifier_type(n[0])])
    flagged = current.open_members
    paths = []
    for path in found.paths:
        keys = [node_key(n) for n in path]
        paths.append({
            "nodes": [{"id": key, "type": t, "label": i, "hub": (t, i) in found.hubs,
                       "shared_by": shared.get((t, i)), "flagged": key in flagged}
                      for key, (t, i) in zip(keys, path, strict=True)],
            "hops": [edges.get(frozenset((node_key(a), node_key(b)))) or edge(a, b)
                     for a, b in pairwise(path)],
        })
    return json_safe({"source": source, "target": target, "length": found.hops,
                      "complete": found.complete, "reason": found.reason, "paths": paths})


def _shared_by(links: pd.DataFrame | None, identifiers: list[tuple[str, str]]
               ) -> dict[tuple[str, str], int]:
    """How many distinct accounts use each of ``identifiers`` (one filtered group-by)."""
    if links is None or links.empty or not identifiers:
        return {}
    wanted = pd.DataFrame(identifiers, columns=["identifier_type", "identifier"])
    rows = links.merge(wanted, on=["identifier_type", "identifier"])
    counts = rows.drop_duplicates(["identifier_type", "identifier", "account_type", "account_id"]
                                  ).groupby(["identifier_type", "identifier"]).size()
    return {(str(t), str(i)): int(n) for (t, i), n in counts.items()}
