"""API keys: how they are made, stored (as SHA-256 only) and checked, and the role ladder.

A key is ``rw_`` + 32 random bytes (URL-safe base64), shown once when it is
created; the store keeps ``{key_id, hash, role, label, created_at}``. Keys
have 256 bits of entropy, so a fast hash is the right one (a slow password
hash protects guessable secrets; these are not), and the hash is compared
with :func:`hmac.compare_digest` against every stored key so that timing says
nothing about which, if any, matched.

Keys are created by another process (``ringwatch keys create``) while the
server runs, so the server keeps them in memory and re-reads them when an
unknown key shows up (at most once a second) and every half minute.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
import secrets
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import Depends, HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from fastapi.security import APIKeyHeader, HTTPAuthorizationCredentials, HTTPBearer
from ringwatch.graph.store import GraphStore

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
                now: datetime | None = None) -> tuple[str, dict[str, Any]]:
    """Make a key; returns ``(secret, record)``. Only the record is ever stored.

    >>> secret, record = new_api_key("viewer", "alice")
    >>> secret.startswith("rw_") and record["hash"] == hash_key(secret)
    True
    """
    secret = KEY_PREFIX + secrets.token_urlsafe(32)
    stamp = (now or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%SZ")
    record = {"key_id": f"key_{secrets.token_hex(6)}", "hash": hash_key(secret),
              "role": Role(role).value, "label": label, "created_at": stamp}
    return secret, record


def public_key_record(record: dict[str, Any]) -> dict[str, Any]:
    """A key record without its hash: what listings show."""
    return {k: record.get(k) for k in ("key_id", "role", "label", "created_at")}


class KeyRing:
    """The store's keys held in memory: ``match`` is pure CPU, ``reload`` reads the store.

    Parameters
    ----------
    store
        Where the keys live (``api_keys()``).
    refresh_seconds
        Keys are re-read at least this often, so a key created by another
        process is picked up even if nobody tried it yet.
    miss_seconds
        An unknown key triggers a re-read at most this often, so a flood of
        bad keys cannot turn into a flood of store reads.
    """

    def __init__(self, store: GraphStore, *, refresh_seconds: float = 30.0,
                 miss_seconds: float = 1.0) -> None:
        self._store = store
        self._refresh_seconds = refresh_seconds
        self._miss_seconds = miss_seconds
        self._keys: list[tuple[str, Caller]] = []
        self._loaded_at = float("-inf")
        self._lock = threading.Lock()

    def reload(self) -> int:
        """Re-read the keys from the store; returns how many there are."""
        with self._lock:
            self._loaded_at = time.monotonic()
        keys = []
        for record in self._store.api_keys():
            try:
                caller = Caller(str(record["key_id"]), str(record.get("label") or ""),
                                Role(record["role"]))
            except (KeyError, ValueError):
                continue  # a damaged record never grants access
            keys.append((str(record["hash"]), caller))
        self._keys = keys
        return len(keys)

    def claim_reload(self, *, missed: bool) -> bool:
        """True for the one caller that should re-read the keys now (see :meth:`stale`).

        Claiming resets the clock, so that a burst of requests after the
        refresh interval, or of unknown keys, costs one store read, not one each.
        """
        with self._lock:
            if not self.stale(missed=missed):
                return False
            self._loaded_at = time.monotonic()
            return True

    def match(self, key: str) -> Caller | None:
        """The caller a key belongs to, comparing its hash with every stored one."""
        digest = hash_key(key)
        found = None
        for stored, caller in self._keys:
            if hmac.compare_digest(stored, digest):
                found = caller
        return found

    def stale(self, *, missed: bool) -> bool:
        """True when the keys should be re-read (old, or an unknown key and a while since)."""
        age = time.monotonic() - self._loaded_at
        return age > self._refresh_seconds or (missed and age > self._miss_seconds)


_api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False,
                               description="An API key made with `ringwatch keys create`.")
_bearer = HTTPBearer(auto_error=False, description="The same API key as a bearer token.")


async def authenticate(
    request: Request,
    api_key: Annotated[str | None, Depends(_api_key_header)],
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
) -> Caller:
    """The caller behind the request's key; 401 (problem details) without a valid one."""
    key = api_key or (bearer.credentials if bearer else None)
    if not key:
        raise _unauthorized("this endpoint needs an API key: send it as X-API-Key or as "
                            "Authorization: Bearer")
    ring: KeyRing = request.app.state.keys
    caller = ring.match(key)
    if ring.claim_reload(missed=caller is None):
        try:
            await run_in_threadpool(ring.reload)
        except Exception as exc:  # keep serving with the keys already known
            log.warning("could not re-read the API keys: %s", exc)
        caller = ring.match(key)
    if caller is None:
        raise _unauthorized("the API key is not valid")
    return caller


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
