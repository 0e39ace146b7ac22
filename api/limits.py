"""Limits that keep one client from exhausting the server: body size, slow bodies, request rates.

Why here, and why pure ASGI: FastAPI reads and parses a request's body before
any dependency runs, the key check included, so a 200 MB POST without a key
was held in memory whole before its 401. :class:`BodyLimitMiddleware` sits in
front of routing: a declared ``Content-Length`` above the cap is answered 413
before a byte of the body is read; an undeclared (chunked) body is counted as
it arrives and cut off at the cap; a body that stops arriving is answered 408
after a timeout instead of holding a connection and a worker.

Rates are token buckets kept in this process (one server process serves the
API; a fleet behind a proxy limits at the proxy too): failed key attempts per
client address, so keys cannot be guessed at speed, and the expensive reads
(neighbourhoods, paths, ring graphs) per key, so one script cannot starve the
analysts. Both answer 429 with ``Retry-After``.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from typing import Annotated

from fastapi import Depends, HTTPException, Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from .auth import Caller, Viewer

PROBLEM_JSON = b"application/problem+json"


class TokenBucket:
    """Per-client token buckets: ``burst`` requests at once, then ``per_second`` on average.

    Clients are whatever hashable names the caller uses (an address, a key
    id). At most ``max_clients`` buckets are kept, the least recently used
    dropped first, so a flood of made-up clients cannot grow memory without
    bound (a dropped client starts again with a full bucket).
    """

    def __init__(self, *, burst: float, per_second: float, max_clients: int = 10_000,
                 clock: Callable[[], float] = time.monotonic) -> None:
        if burst < 1 or per_second <= 0:
            raise ValueError("a bucket needs burst >= 1 and per_second > 0")
        self.burst = float(burst)
        self.per_second = float(per_second)
        self._max_clients = max_clients
        self._clock = clock
        self._buckets: OrderedDict[object, tuple[float, float]] = OrderedDict()
        self._lock = threading.Lock()

    def take(self, client: object) -> float:
        """Spend one token of ``client``'s; returns 0.0, or the seconds until one is available."""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.pop(client, (self.burst, now))
            tokens = min(self.burst, tokens + (now - last) * self.per_second)
            wait = 0.0
            if tokens >= 1.0:
                tokens -= 1.0
            else:
                wait = (1.0 - tokens) / self.per_second
            self._buckets[client] = (tokens, now)
            while len(self._buckets) > self._max_clients:
                self._buckets.popitem(last=False)
            return wait

    def exhausted(self, client: object) -> float:
        """The seconds until ``client`` has a token, without spending one (0.0: it has one)."""
        now = self._clock()
        with self._lock:
            tokens, last = self._buckets.get(client, (self.burst, now))
        tokens = min(self.burst, tokens + (now - last) * self.per_second)
        return 0.0 if tokens >= 1.0 else (1.0 - tokens) / self.per_second


def too_many(wait: float, what: str) -> HTTPException:
    """A 429 that says what was limited and, in ``Retry-After``, when to try again."""
    seconds = max(1, math.ceil(wait))
    return HTTPException(429, f"too many {what}; try again in {seconds} s",
                         headers={"Retry-After": str(seconds)})


def client_address(request: Request) -> str:
    """The peer's address, as the server saw it (behind a proxy: the proxy's, see docs/api.md)."""
    return request.client.host if request.client else "unknown"


async def limit_expensive_read(request: Request, caller: Viewer) -> Caller:
    """The caller of an expensive read, or 429 when their key has used its share."""
    bucket: TokenBucket = request.app.state.expensive_reads
    wait = bucket.take(caller.key_id)
    if wait > 0:
        raise too_many(wait, "graph reads with this key")
    return caller


#: The caller type of routes that walk the graph (neighbourhoods, paths, ring graphs).
CostlyViewer = Annotated[Caller, Depends(limit_expensive_read)]


class BodyTooLarge(Exception):
    """Raised into the app when a streamed body passes the cap."""


class BodyLimitMiddleware:
    """Caps request bodies and the time between their parts, before any routing or parsing.

    ``max_bytes``: a body's largest size; ``receive_timeout``: how long the
    app waits for the next part of a body before the request is answered 408.
    """

    def __init__(self, app: ASGIApp, *, max_bytes: int, receive_timeout: float) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.receive_timeout = receive_timeout

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _content_length(scope)
        if declared is not None and declared > self.max_bytes:
            await _problem(send, scope, 413, f"the request body is {declared} bytes; the limit is "
                           f"{self.max_bytes}")
            return
        received = 0
        body_done = False
        started = False
        failure: tuple[int, str] | None = None

        async def limited_receive() -> Message:
            nonlocal received, body_done, failure
            if body_done:  # only a disconnect is left to hear of, however long the response takes
                return await receive()
            try:
                message = await asyncio.wait_for(receive(), timeout=self.receive_timeout)
            except TimeoutError:
                failure = (408, f"the request body stopped arriving for {self.receive_timeout:g} s")
                raise BodyTooLarge from None
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                body_done = not message.get("more_body", False)
                if received > self.max_bytes:
                    failure = (413, f"the request body is over the limit of {self.max_bytes} bytes")
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                if failure is not None:  # the app answered its own error: ours is the true one
                    return
                started = True
            elif failure is not None and not started:
                return
            await send(message)

        with contextlib.suppress(BodyTooLarge):
            await self.app(scope, limited_receive, tracking_send)
        if failure is not None and not started:
            await _problem(send, scope, *failure)


def _content_length(scope: Scope) -> int | None:
    for name, value in scope["headers"]:
        if name == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def _problem(send: Send, scope: Scope, status: int, detail: str) -> None:
    """A problem-details answer sent straight to the client; the connection is then closed."""
    title = {408: "Request Timeout", 413: "Content Too Large"}.get(status, "Error")
    body = json.dumps({"type": "about:blank", "title": title, "status": status, "detail": detail,
                       "instance": scope.get("path", "")}).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", PROBLEM_JSON),
                            (b"content-length", str(len(body)).encode()),
                            (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})
