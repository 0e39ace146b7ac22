"""API keys: how they are made, stored (as SHA-256 only) and checked, and the role ladder.

A key is ``rw_`` + 32 random bytes (URL-safe base64), shown once when it is
created; the store keeps ``{key_id, hash, role, label, created_at}``. Keys
have 256 bits of entropy, so a fast hash is the right one (a slow password
hash protects guessable secrets; these are not), and the hash is compared
with :func:`hmac.compare_digest` against every stored key so that timing says
nothing about which, if any, matched.

Keys are created and revoked by another process (``ringwatch keys``) while
the server runs. The server keeps the usable keys in memory and, on every
request, asks the store whether they changed (a cheap revision, see
:class:`KeyRing`), so a new key works and a revoked one is refused at once.
A key's use is recorded (``last_used_at``) at most once a minute per key.
"""

from __future__ import annotations

import asyncio
import hashlib
import hmac
import logging
import math
import secrets
import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime
from typing import Annotated, Any

from fastapi import BackgroundTasks, Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer

from ringwatch.domain import ApiKey, utc_stamp
from ringwatch.graph.capabilities import KeyStore
from ringwatch.graph.errors import StoreError

from .roles import Role

KEY_PREFIX = "rw_"

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Caller:
    """Who is calling: the key's id, its label and its role (what audit entries record)."""

    key_id: str
    label: str
    role: Role

    @property
    def actor(self) -> str:
        """The name shown for this caller: its label, or its key id when it has none."""
        return self.label or self.key_id


def hash_key(key: str) -> str:
    """The SHA-256 hex digest under which a key is stored."""
    return hashlib.sha256(key.encode()).hexdigest()


def new_api_key(role: Role | str, label: str = "", *,
                now: datetime | None = None) -> tuple[str, ApiKey]:
    """Make a key; returns ``(secret, record)``. Only the record is ever stored.

    >>> secret, record = new_api_key("viewer", "alice")
    >>> secret.startswith("rw_") and record.hash == hash_key(secret)
    True
    """
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    record = ApiKey(key_id=f"key_{secrets.token_hex(6)}", hash=hash_key(secret),
                    role=Role(role).value, label=label, created_at=utc_stamp(now))
    return secret, record


#: What key listings (``GET /keys``, ``ringwatch keys list``) show of a key record.
PUBLIC_KEY_FIELDS: tuple[str, ...] = ("key_id", "role", "label", "created_at", "last_used_at",
                                      "revoked_at")


def public_key_record(record: ApiKey) -> dict[str, Any]:
    """A key record without its hash: what listings show (absent times as ``None``)."""
    document = record.to_json()
    return {k: document.get(k) for k in PUBLIC_KEY_FIELDS}


def describe_key(record: ApiKey) -> str:
    """A key's role and label for messages and audit notes: ``role viewer, label alice``."""
    return f"role {record.role}" + (f", label {record.label}" if record.label else "")


class KeyRing:
    """The store's usable keys held in memory, kept current by a cheap check on every request.

    Keys are created and revoked by other processes (``ringwatch keys``) while
    the server runs, and a revoked key must be refused at the very next
    request. So :meth:`refresh` reads the store's key revision
    (:meth:`~ringwatch.graph.capabilities.KeyStore.api_keys_revision`: one ``stat``
    of a file, or one indexed lookup in Neo4j) and re-reads the keys only when
    it moved; :meth:`match` is then pure CPU. Requests call :meth:`current`,
    which shares one refresh among the requests waiting at the same time
    (a Neo4j round trip costs about a millisecond of driver time; one per
    request would cap the server's throughput).

    Parameters
    ----------
    store
        Where the keys live.
    use_interval_seconds
        A key's use is recorded (``last_used_at``) at most this often per key,
        so that reads do not turn into store writes on every request.
    check_spacing_seconds
        Shared revision reads (a server store) start at least this far apart:
        what a request may wait at most on top of one read, in exchange for
        at most ``1 / check_spacing_seconds`` reads a second under load.
    """

    def __init__(self, store: KeyStore, *, use_interval_seconds: float = 60.0,
                 check_spacing_seconds: float = 0.002) -> None:
        self._store = store
        self._use_interval = use_interval_seconds
        self._keys: list[tuple[str, Caller]] = []
        self._revision: Hashable = _UNREAD
        self._reload_lock = threading.Lock()
        self._uses_lock = threading.Lock()
        self._recorded: dict[str, float] = {}
        self._check = CoalescedCheck(self.refresh, min_interval=check_spacing_seconds)

    async def current(self) -> None:
        """Return once the keys are current as of this call (a refresh begun after it has ended).

        An embedded store's revision is a ``stat``: asked right here, on the
        event loop, since a hop to a worker thread would cost fifty times more
        (a re-read of the keys, when it moved, still goes to a thread). Raises
        what the refresh raised (the store could not be asked).
        """
        if self._store.embedded:
            if self._store.api_keys_revision() == self._revision:
                return
            await run_in_threadpool(self.refresh)
            return
        await self._check.run()

    def reload(self) -> int:
        """Re-read the keys from the store; returns how many can be used (not revoked)."""
        with self._reload_lock:
            return self._load(self._store.api_keys_revision())

    def refresh(self) -> None:
        """Make the keys current: read the revision, and the keys only when it moved.

        The revision is read before the keys, so keys read after it are at
        least as new as it says; a change in between moves the revision again
        and the next request re-reads. Concurrent requests that see the same
        new revision re-read once, the others wait for that read: none of
        them may go on with a key list that misses a revocation.
        """
        revision = self._store.api_keys_revision()
        if revision == self._revision:
            return
        with self._reload_lock:
            if revision != self._revision:
                self._load(revision)

    def _load(self, revision: Hashable) -> int:
        keys = []
        for record in self._store.api_keys():
            try:
                caller = Caller(str(record.key_id), str(record.label or ""), Role(record.role))
            except ValueError:
                continue  # a damaged record never grants access
            if not record.revoked:
                keys.append((str(record.hash), caller))
        self._keys = keys
        self._revision = revision
        return len(keys)

    def match(self, key: str) -> Caller | None:
        """The caller a key belongs to, comparing its hash with every stored one."""
        digest = hash_key(key)
        found = None
        for stored, caller in self._keys:
            if hmac.compare_digest(stored, digest):
                found = caller
        return found

    def claim_use(self, key_id: str) -> bool:
        """True when this key's use should be recorded now (first use, or a while since the last)."""
        now = time.monotonic()
        with self._uses_lock:
            last = self._recorded.get(key_id)
            if last is not None and now - last < self._use_interval:
                return False
            self._recorded[key_id] = now
            return True

    def record_use(self, key_id: str) -> None:
        """Write the key's ``last_used_at`` (after the response: a failure only logs a warning)."""
        try:
            self._store.record_api_key_use(key_id, at=utc_stamp())
        except Exception as exc:  # the request was served; a missed stamp is not worth failing it
            log.warning("could not record the use of API key %s: %s", key_id, exc)


class CoalescedCheck:
    """A blocking check run in a worker thread on behalf of every caller waiting for it.

    Each caller of :meth:`run` is answered by a run of ``check`` that started
    after the caller asked, so what the check reads is at least as new as the
    call (a key revoked before the request arrived is seen). Callers that
    arrive while a run is under way share the next one, and runs start at
    least ``min_interval`` seconds apart: under load the store is asked a
    bounded number of times a second, however many requests there are,
    while a lone request waits for one run only. Call it from the event loop
    only (its bookkeeping is not locked).
    """

    def __init__(self, check: Callable[[], None], *, min_interval: float = 0.0) -> None:
        self._check = check
        self._min_interval = min_interval
        self._queued: asyncio.Future[None] | None = None
        self._task: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._last_start = float("-inf")

    async def run(self) -> None:
        """Wait for a run of the check that starts after this call; raise its error."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a new event loop (an app served again): nothing carries over
            self._loop, self._queued, self._task = loop, None, None
        outcome = self._queued
        if outcome is None:
            outcome = self._queued = loop.create_future()
            # Every waiter reads the outcome; this keeps an error nobody waited for out of the log.
            outcome.add_done_callback(lambda f: f.cancelled() or f.exception())
            if self._task is None:
                self._task = loop.create_task(self._run())
        # Shielded: a client that hangs up must not cancel the run the others wait for.
        await asyncio.shield(outcome)

    async def _run(self) -> None:
        """Run the check for the queued callers (after the spacing), then for any queued meanwhile."""
        loop = asyncio.get_running_loop()
        while self._queued is not None:
            outcome = self._queued
            try:
                wait = self._last_start + self._min_interval - loop.time()
                if wait > 0:
                    await asyncio.sleep(wait)  # callers arriving meanwhile join this run
                self._queued = None  # from here on, a new caller needs the next run
                self._last_start = loop.time()
                await run_in_threadpool(self._check)
            except Exception as exc:
                outcome.set_exception(exc)
            else:
                outcome.set_result(None)
            finally:
                if not outcome.done():  # cancelled itself (shutdown): release the waiters
                    outcome.cancel()
                    self._queued = None
                    self._task = None
        self._task = None


#: The revision of a :class:`KeyRing` that has not read the store yet (equal to no real one).
_UNREAD: Hashable = object()


_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False,
                               description="An API key made with `ringwatch keys create`.")
_bearer = HTTPBearer(auto_error=False, description="The same API key as a bearer token.")


async def authenticate(
    request: Request,
    background: BackgroundTasks,
    api_key: Annotated[str | None, Depends(_api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """The caller behind the request's key; 401 (problem details) without a valid one.

    The key list is brought up to date first (:meth:`KeyRing.current`), so a
    key revoked a moment ago is refused now. When the store cannot say
    whether keys changed, the answer is 503, not the possibly stale list: a
    revoked key must not work just because the store is down. (Anything
    else that goes wrong is a bug, and is left to be a logged 500.)
    """
    key = api_key or (bearer.credentials if bearer else None)
    if not key:
        raise _unauthorized("this endpoint needs an API key: send it as X-API-Key or as "
                            "Authorization: Bearer")
    # A client that has used up its failed attempts is not even checked: no guess can succeed.
    failures = request.app.state.failed_keys
    address = request.client.host if request.client else "unknown"
    wait = failures.exhausted(address)
    if wait > 0:
        raise _too_many_failures(wait)
    ring: KeyRing = request.app.state.keys
    try:
        await ring.current()
    except (StoreError, OSError) as exc:
        log.warning("could not check the API keys against the store: %s", exc)
        raise HTTPException(503, "the API key cannot be checked: the store is not reachable; "
                            "try again shortly") from None
    caller = ring.match(key)
    if caller is None:
        failures.take(address)
        raise _unauthorized("the API key is not valid")
    if ring.claim_use(caller.key_id):
        background.add_task(ring.record_use, caller.key_id)
    return caller


def _too_many_failures(wait: float) -> HTTPException:
    seconds = max(1, math.ceil(wait))
    return HTTPException(429, f"too many failed API key attempts from this address; try again "
                         f"in {seconds} s", headers={"Retry-After": str(seconds)})


def _unauthorized(detail: str) -> HTTPException:
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def require(role: Role):
    """A dependency that gives the route its :class:`Caller` if the key has ``role`` or more."""

    async def dependency(caller: Annotated[Caller, Depends(authenticate)]) -> Caller:
        if not caller.role.allows(role):
            raise HTTPException(403, f"this needs the {role.value} role; the key has "
                                f"{caller.role.value}")
        return caller

    dependency.__name__ = f"require_{role.value}"
    return dependency


#: Route parameter types: ``caller: Viewer`` and so on.
Viewer = Annotated[Caller, Depends(require(Role.viewer))]
Investigator = Annotated[Caller, Depends(require(Role.investigator))]
Admin = Annotated[Caller, Depends(require(Role.admin))]
