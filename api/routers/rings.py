"""``/rings``: the listing (filters, sort, pinned cursor paging), one ring, and its subgraph."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Annotated, Any

import networkx as nx
from fastapi import APIRouter, HTTPException, Path, Query, Response
from fastapi.concurrency import run_in_threadpool

from ringwatch.domain import OPEN_STATUSES
from ringwatch.domain import Ring as RingRecord
from ringwatch.graph.capabilities import RingRepository
from ringwatch.graph.subgraph import ring_subgraph

from ..auth import Viewer
from ..cursors import CursorParam, bad_cursor, encode_cursor, read_ring_cursor
from ..deps import CurrentRings, Projections, RingsCache, Settings, Store
from ..limits import CostlyViewer
from ..ring_views import RingFilter, RingIndex, json_safe
from ..schemas import (
    MEMBER_PATTERN,
    GraphFormat,
    Ring,
    RingGraph,
    RingKind,
    RingPage,
    RingSort,
    StatusFilter,
    problem_responses,
)

router = APIRouter(prefix="/rings", tags=["rings"])

#: The largest page docs/api.md allows; ``ApiSettings.max_page`` may lower it.
MAX_LIMIT = 200

RingId = Annotated[str, Path(min_length=1, max_length=200, description="The ring's stable id.")]

GRAPH_MEDIA_TYPES = {GraphFormat.graphml: "application/graphml+xml",
                     GraphFormat.gexf: "application/gexf+xml"}


@router.get("", response_model=RingPage, summary="List rings",
            responses=problem_responses(400, 401, 403, 422))
async def list_rings(
    caller: Viewer,
    cache: RingsCache,
    current: CurrentRings,
    settings: Settings,
    kind: Annotated[RingKind | None, Query(description="Only rings of this kind.")] = None,
    status: Annotated[StatusFilter | None, Query(
        description="Default: every status but dismissed and dissolved.")] = None,
    min_score: Annotated[float | None, Query(ge=0.0, le=1.0)] = None,
    member: Annotated[str | None, Query(
        max_length=300, pattern=MEMBER_PATTERN, description="A member as type:id, e.g. "
        "creator:c_102 or device:d_55 (matched against the ring's latest members).")] = None,
    since: Annotated[datetime | None, Query(
        description="Only rings first detected at or after this time (ISO 8601).")] = None,
    sort: RingSort = RingSort.score,
    limit: Annotated[int, Query(ge=1, le=MAX_LIMIT)] = 50,
    cursor: CursorParam = None,
) -> Response:
    """Rings as of one run, highest score first (or most recently first detected).

    The first page pins the latest run (``as_of_run``) and the cursor carries
    it, so paging neither skips nor repeats a ring while a new run writes
    rings. Scores, statuses and account counts are those of the pinned run.
    """
    run_id, after = current.latest_run, None
    if cursor is not None:
        position = read_ring_cursor(cursor, sort.value)
        run_id, after = position.run, position.key
        if not current.knows_run(run_id):
            cache.invalidate()  # another process may have made the run since we last read
            current = await cache.get()
            if not current.knows_run(run_id):
                raise bad_cursor("the cursor's run is not in the store")
    wanted = RingFilter(
        kind=None if kind is None else kind.value,
        statuses=(OPEN_STATUSES if status is None else None if status is StatusFilter.all
                  else frozenset({status.value})),
        min_score=min_score, member=member,
        since=_utc(since).timestamp() if since is not None else None)
    view = current.view(run_id, sort.value)
    items, last = view.page(after=after, limit=min(limit, settings.max_page), wanted=wanted)
    next_cursor = None if last is None else encode_cursor(
        {"run": run_id, "sort": sort.value, "key": list(last)})
    body = b"".join((b'{"items":[', b",".join(item.json for item in items),
                     b'],"next_cursor":', json.dumps(next_cursor).encode(),
                     b',"as_of_run":', json.dumps(run_id).encode(), b"}"))
    return Response(body, media_type="application/json")


def _utc(stamp: datetime) -> datetime:
    return stamp if stamp.tzinfo is not None else stamp.replace(tzinfo=UTC)


@router.get("/{ring_id}", response_model=Ring, summary="One ring",
            responses={200: {"headers": {"ETag": {"description": 'The ring\'s version, "<n>"; '
                                                  "send it as If-Match to review.",
                                                  "schema": {"type": "string"}}}},
                       **problem_responses(401, 403, 404, 422)})
async def get_ring(ring_id: RingId, caller: Viewer, store: Store, current: CurrentRings,
                   response: Response) -> Any:
    """The whole ring: members, metrics, evidence, history, lineage, reviews, note, and the open
    rings it shares accounts with (``overlaps``)."""
    ring = await _ring_or_404(store, ring_id)
    response.headers["ETag"] = etag(ring)
    return with_overlaps(ring, current)


def with_overlaps(ring: RingRecord, current: RingIndex) -> dict[str, Any]:
    """The ring's JSON with ``overlaps``: the open rings sharing its accounts, from the
    cache's account index (as fresh as the listing; see :meth:`RingIndex.overlaps`)."""
    return {**json_safe(ring.to_json()),
            "overlaps": current.overlaps(ring.ring_id, ring.account_keys)}


async def _ring_or_404(store: RingRepository, ring_id: str) -> RingRecord:
    ring = await run_in_threadpool(store.ring, ring_id)
    if ring is None:
        raise HTTPException(404, f"no ring {ring_id!r}")
    return ring


def etag(ring: RingRecord) -> str:
    """The ETag of a ring: its review version, quoted."""
    return f'"{int(ring.version or 0)}"'


@router.get("/{ring_id}/graph", response_model=RingGraph, summary="A ring's subgraph",
            responses={200: {"content": {media: {"schema": {"type": "string"}}
                                         for media in GRAPH_MEDIA_TYPES.values()},
                             "description": "JSON, or GraphML / GEXF for Gephi"},
                       **problem_responses(401, 403, 404, 422, 429)})
async def ring_graph(ring_id: RingId, caller: CostlyViewer, store: Store, current: CurrentRings,
                     projections: Projections, format: GraphFormat = GraphFormat.json) -> Any:
    """The ring's members and the edges among them, from the projections the detectors read."""
    ring = await _ring_or_404(store, ring_id)
    frames = await run_in_threadpool(projections.get, current.latest_run)
    members = [m.to_json() for m in ring.members]
    subgraph = await run_in_threadpool(ring_subgraph, members, frames)
    if format is GraphFormat.json:
        return json_safe(subgraph.to_dict())
    text = await run_in_threadpool(_serialise, subgraph.to_networkx(), format)
    safe_name = "".join(c if c.isalnum() or c in "-_" else "_" for c in ring_id)
    return Response(text, media_type=GRAPH_MEDIA_TYPES[format], headers={
        "Content-Disposition": f'attachment; filename="{safe_name}.{format.value}"'})


def _serialise(graph: nx.MultiDiGraph, fmt: GraphFormat) -> str:
    lines = nx.generate_graphml(graph) if fmt is GraphFormat.graphml else nx.generate_gexf(graph)
    return "\n".join(lines)

