"""Request ids and Prometheus metrics for every request, as one plain ASGI middleware.

Why one pure-ASGI middleware and not Starlette's ``BaseHTTPMiddleware``: the
list endpoint must answer hundreds of requests a second on two cores, and
the base class costs a task and a stream per request.

- ``X-Request-ID``: the client's, when it sent a sane one, else a new one; set
  on every response and kept in a context variable that
  :class:`RequestIdLogFilter` copies into every log record of the request.
- ``ringwatch_http_requests_total`` and
  ``ringwatch_http_request_duration_seconds``, labelled by method, route
  template (``/rings/{ring_id}``, never the raw path, so the label set stays
  small) and status, in a registry owned by the app (two apps in one process,
  as in tests, never collide).
"""

from __future__ import annotations

import contextvars
import logging
import re
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import CollectorRegistry, Counter, Histogram
from starlette.datastructures import MutableHeaders
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

REQUEST_ID_HEADER = "X-Request-ID"
_VALID_REQUEST_ID = re.compile(r"[A-Za-z0-9._:\-]{1,128}")

_request_id: contextvars.ContextVar[str | None] = contextvars.ContextVar(
    "ringwatch_request_id", default=None)

#: Latency buckets in seconds: the list endpoint's budget is 0.1 s at p99.
LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


def get_request_id() -> str | None:
    """The id of the request being handled in this context, if any."""
    return _request_id.get()


@contextmanager
def current_request_id(request_id: str | None) -> Iterator[None]:
    """Make ``request_id`` the current one for the log lines written inside the block."""
    token = _request_id.set(request_id)
    try:
        yield
    finally:
        _request_id.reset(token)


def request_id_of(request: Request) -> str | None:
    """The id the middleware gave ``request`` (kept in its scope state)."""
    state = request.scope.get("state")
    if isinstance(state, dict) and state.get("request_id"):
        return str(state["request_id"])
    return _request_id.get()


class RequestIdLogFilter(logging.Filter):
    """Adds ``request_id`` (``-`` outside a request) to every record, for the log format."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _request_id.get() or "-"
        return True


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s]: %(message)s"


def configure_logging(level: str = "info") -> None:
    """Log to stderr with the request id on every line (``ringwatch serve`` calls this)."""
    logging.basicConfig(level=level.upper(), format=LOG_FORMAT, force=True)
    for handler in logging.getLogger().handlers:
        handler.addFilter(RequestIdLogFilter())


class ApiMetrics:
    """The app's Prometheus registry and its two request metrics."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        self.requests = Counter(
            "ringwatch_http_requests", "HTTP requests answered, by method, route template and status.",
            ("method", "route", "status"), registry=self.registry)
        self.latency = Histogram(
            "ringwatch_http_request_duration_seconds",
            "Time from request to the end of the response, by method, route template and status.",
            ("method", "route", "status"), buckets=LATENCY_BUCKETS, registry=self.registry)

    def observe(self, method: str, route: str, status: int, seconds: float) -> None:
        labels = (method, route, str(status))
        self.requests.labels(*labels).inc()
        self.latency.labels(*labels).observe(seconds)


class RequestContextMiddleware:
    """Gives each HTTP request its id, stamps it on the response, and records metrics."""

    def __init__(self, app: ASGIApp, metrics: ApiMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        request_id = _incoming_id(scope) or uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        status = 500
        started = time.perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = MutableHeaders(scope=message)
                if REQUEST_ID_HEADER not in headers:
                    headers.append(REQUEST_ID_HEADER, request_id)
            await send(message)

        token = _request_id.set(request_id)
        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _request_id.reset(token)
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            self.metrics.observe(scope["method"], route, status, time.perf_counter() - started)


def _incoming_id(scope: Scope) -> str | None:
    """The client's X-Request-ID when it is short and plain (it ends up in logs)."""
    for name, value in scope["headers"]:
        if name == b"x-request-id":
            text = value.decode("latin-1")
            return text if _VALID_REQUEST_ID.fullmatch(text) else None
    return None
