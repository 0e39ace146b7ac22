"""Typed dependencies: what a route gets from the app (store, settings, caches, run slot).

Everything is opened in the app's lifespan and kept in ``app.state``; the
routes receive it through these functions, so tests can build an app around
any store, and nothing is created at import time.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Depends, Request

from ringwatch.graph.capabilities import AccountGraph, AuditLog
from ringwatch.graph.store import GraphStore

from .detection_runs import DetectionRunner
from .projection_cache import ProjectionCache
from .ring_views import RingCache, RingIndex
from .settings import ApiSettings


async def get_store(request: Request) -> GraphStore:
    """The store the app serves."""
    return request.app.state.store


async def get_settings(request: Request) -> ApiSettings:
    """The settings the app was built with."""
    return request.app.state.settings


async def get_ring_cache(request: Request) -> RingCache:
    """The ring cache (routes that write rings invalidate it)."""
    return request.app.state.rings


async def get_current_rings(request: Request) -> RingIndex:
    """The indexed rings and runs to answer from (see :class:`RingCache`)."""
    cache: RingCache = request.app.state.rings
    return await cache.get()


async def get_projections(request: Request) -> ProjectionCache:
    """The projections subgraphs are drawn from, kept per run."""
    return request.app.state.projections


async def get_runner(request: Request) -> DetectionRunner:
    """The detection-run slot of this process."""
    return request.app.state.runner


Store = Annotated[GraphStore, Depends(get_store)]
#: The store as the one capability a route uses (the same object as :data:`Store`).
Accounts = Annotated[AccountGraph, Depends(get_store)]
Audit = Annotated[AuditLog, Depends(get_store)]
Settings = Annotated[ApiSettings, Depends(get_settings)]
RingsCache = Annotated[RingCache, Depends(get_ring_cache)]
CurrentRings = Annotated[RingIndex, Depends(get_current_rings)]
Projections = Annotated[ProjectionCache, Depends(get_projections)]
Runner = Annotated[DetectionRunner, Depends(get_runner)]
