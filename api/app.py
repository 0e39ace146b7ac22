"""The review API's app factory: routers, error handling, request ids, metrics, lifespan.

``create_app`` builds everything but the store; the lifespan opens the store
(or takes the one a test injects), reads the API keys, refuses to serve
beyond loopback without a usable (unrevoked) one, and keeps the store, the
key ring, the ring and projection caches and the run slot in ``app.state``,
where the typed dependencies of :mod:`ringwatch.api.deps` find them.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.middleware.cors import CORSMiddleware
from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from starlette.responses import Response

from ringwatch import __version__
from ringwatch.detectors.pipeline import run_detection
from ringwatch.graph.store import GraphStore

from .auth import KeyRing
from .detection_runs import DetectionRunner, RunDetection
from .docs_page import mount_docs
from .limits import BodyLimitMiddleware, TokenBucket
from .middleware import REQUEST_ID_HEADER, ApiMetrics, RequestContextMiddleware
from .problems import install_problem_handlers
from .projection_cache import ProjectionCache
from .ring_views import RingCache
from .routers import ROUTERS, health
from .schemas import problem_responses
from .settings import ApiSettings, check_exposure
from .wiring import store_for

log = logging.getLogger(__name__)

#: How long shutdown waits for a detection run in progress to save its rings.
SHUTDOWN_RUN_WAIT_SECONDS = 120.0

DESCRIPTION = """Rings found by Ringwatch, for review: list and filter them, open one with its
members, evidence and subgraph, look up an account, confirm / dismiss / escalate
rings (audited), and start detection runs.

Every endpoint but health, metrics and these docs needs an API key
(`X-API-Key: <key>` or `Authorization: Bearer <key>`), made with
`ringwatch keys create --role viewer|investigator|admin`. Errors are RFC 9457
problem details; every response carries `X-Request-ID`."""


def create_app(settings: ApiSettings | None = None, *, store: GraphStore | None = None,
               detect: RunDetection = run_detection) -> FastAPI:
    """Build the API. ``store``: serve this one (tests); else open the configured one at startup.

    An injected store is left open at shutdown (its owner closes it); a store
    the app opened itself is closed. ``detect`` does the runs ``POST /runs``
    starts (the pipeline's, unless a test passes a run that waits or fails).
    """
    settings = settings or ApiSettings()
    metrics = ApiMetrics()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        graph = store if store is not None else await run_in_threadpool(
            store_for, settings.backend, store_dir=settings.store_dir)
        runner = None
        try:
            keys = KeyRing(graph, use_interval_seconds=settings.key_use_seconds)
            count = await run_in_threadpool(keys.reload)
            check_exposure(settings, count)
            if count == 0:
                log.warning("the store holds no API key: every request but health will get 401; "
                            "create one with `ringwatch keys create --role admin`")
            rings = RingCache(graph, max_age=settings.cache_seconds)
            # Projections are kept per run id, so a finished run needs only the rings re-read.
            runner = DetectionRunner(graph, detect=detect, on_finish=rings.invalidate)
            app.state.store = graph
            app.state.keys = keys
            app.state.rings = rings
            app.state.projections = ProjectionCache(graph)
            app.state.runner = runner
            log.info("serving the %s store", graph.backend)
            yield
        finally:
            if runner is not None and not await run_in_threadpool(
                    runner.wait, SHUTDOWN_RUN_WAIT_SECONDS):
                log.warning("shutting down while run %s is still going", runner.running)
            if store is None:
                graph.close()

    # /docs is served from the package (docs_page), never from a CDN; ReDoc would load one too.
    app = FastAPI(title="Ringwatch review API", version=__version__, description=DESCRIPTION,
                  lifespan=lifespan, docs_url=None, redoc_url=None)
    app.state.settings = settings
    app.state.metrics = metrics
    app.state.failed_keys = TokenBucket(burst=settings.failed_key_burst,
                                        per_second=settings.failed_keys_per_minute / 60.0)
    app.state.expensive_reads = TokenBucket(burst=settings.expensive_read_burst,
                                            per_second=settings.expensive_reads_per_second)
    install_problem_handlers(app)
    for router in ROUTERS:
        # Routes that check a key answer 503 when the store cannot say whether it was revoked.
        app.include_router(router, responses=None if router is health.router
                           else problem_responses(503))
    app.add_api_route("/metrics", _metrics_endpoint(metrics), methods=["GET"], tags=["health"],
                      summary="Prometheus metrics", response_class=Response,
                      responses={200: {"content": {CONTENT_TYPE_LATEST: {}},
                                       "description": "Prometheus text format"}})
    if settings.cors_origins:
        app.add_middleware(
            CORSMiddleware, allow_origins=settings.cors_origins, allow_credentials=False,
            allow_methods=["GET", "POST"],
            allow_headers=["X-API-Key", "Authorization", "If-Match", "Content-Type",
                           REQUEST_ID_HEADER],
            expose_headers=["ETag", "Location", REQUEST_ID_HEADER])
    # Before routing and body parsing (and inside the request ids, so a 413 carries one).
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.max_body_bytes,
                       receive_timeout=settings.body_timeout_seconds)
    # Added last, so outermost: CORS answers and errors get a request id and are counted too.
    app.add_middleware(RequestContextMiddleware, metrics=metrics)
    mount_docs(app)
    _mount_review_page(app)

    def openapi() -> dict:
        return _problems_as_problem_json(FastAPI.openapi(app))

    app.openapi = openapi  # type: ignore[method-assign]
    return app


def _problems_as_problem_json(schema: dict) -> dict:
    """Document error bodies under ``application/problem+json``, the type they are sent with.

    FastAPI files a response ``model`` under ``application/json``; the
    Problem schema is moved to the media type clients (and schemathesis) see.
    """
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            for response in operation.get("responses", {}).values():
                content = response.get("content", {})
                if "application/problem+json" in content and "application/json" in content:
                    content["application/problem+json"] = content.pop("application/json")
    return schema


def _metrics_endpoint(metrics: ApiMetrics):
    async def prometheus_metrics(request: Request) -> Response:
        """Request counts and latencies by route template and status (Prometheus text format)."""
        return Response(generate_latest(metrics.registry), media_type=CONTENT_TYPE_LATEST)

    return prometheus_metrics


def _mount_review_page(app: FastAPI) -> None:
    """Serve the review page at /ui when its module is part of this build."""
    try:
        from .ui import mount_ui
    except ModuleNotFoundError as exc:
        if exc.name != f"{__package__}.ui":
            raise
        return
    mount_ui(app)
