"""The review API's settings: one pydantic-settings class, read from ``RINGWATCH_API_*``.

Unsafe combinations are refused rather than warned about: a wildcard CORS
origin is a validation error here, and serving on a non-loopback address from
a store that holds no API key is refused when the app starts (the check needs
the store, so it runs in the app's lifespan: :func:`check_exposure`).
"""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Annotated

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from ringwatch import RingwatchError
from ringwatch.store_settings import Backend

LOOPBACK_NAMES = frozenset({"localhost", "localhost.localdomain", "ip6-localhost"})


class UnsafeSettingsError(RingwatchError):
    """The API was asked to serve in a way that would expose it (checked at startup)."""


class ApiSettings(BaseSettings):
    """Where the API listens, which store it serves, and its limits.

    Every field can be set from the environment with the ``RINGWATCH_API_``
    prefix (``RINGWATCH_API_PORT=9000``); ``RINGWATCH_API_CORS_ORIGINS`` takes
    a comma-separated list or a JSON array.
    """

    model_config = SettingsConfigDict(env_prefix="RINGWATCH_API_", extra="ignore",
                                      validate_default=True)

    backend: Backend = Field(Backend.local, description="Graph store: local or neo4j.")
    store_dir: Path | None = Field(
        None, description="Directory of the local store (default: $RINGWATCH_STORE or "
        "./.ringwatch/store).")
    host: str = Field("127.0.0.1", min_length=1, description="Address to listen on.")
    port: int = Field(8080, ge=1, le=65535)
    cors_origins: Annotated[list[str], NoDecode] = Field(
        default_factory=list, description="Browser origins allowed to call the API; '*' is refused.")
    max_page: int = Field(200, ge=1, le=10_000, description="Largest page a list endpoint returns.")
    cache_seconds: float = Field(
        5.0, ge=0.0, le=3600.0,
        description="How stale the in-memory ring list may get before it is re-read from the "
        "store (runs and reviews made through this process refresh it at once).")

    key_use_seconds: float = Field(
        60.0, ge=0.0, le=86_400.0,
        description="A key's last_used_at is written at most this often per key: often enough to "
        "tell a live key from a forgotten one, rarely enough that reads do not become writes.")

    max_body_bytes: int = Field(
        1024 * 1024, ge=1024, le=1024 ** 3,
        description="Largest request body, in bytes: reviews and runs send a few hundred; a larger "
        "body is answered 413 before it is read, so no client can fill the server's memory.")
    body_timeout_seconds: float = Field(
        10.0, gt=0.0, le=600.0,
        description="How long a request body may pause before the request is answered 408: a "
        "half-sent request must not hold a connection and a worker.")
    failed_key_burst: int = Field(
        10, ge=1, le=10_000,
        description="Failed key attempts one client address may make at once before 429: enough "
        "for a mistyped key, far too few to guess one.")
    failed_keys_per_minute: float = Field(
        10.0, gt=0.0, le=100_000.0,
        description="How fast a client address earns back failed key attempts.")
    expensive_read_burst: int = Field(
        30, ge=1, le=100_000,
        description="Graph reads (neighbourhoods, paths, ring graphs) one key may make at once "
        "before 429: an analyst clicking never reaches it, a script walking the graph does.")
    expensive_reads_per_second: float = Field(
        2.0, gt=0.0, le=100_000.0,
        description="How fast a key earns back graph reads: each may cost seconds of store time.")

    header_timeout_seconds: float = Field(
        10.0, gt=0.0, le=600.0,
        description="How long a connection may take to send a request line and headers before it "
        "is closed (``serve`` only): slow clients must not hold every connection.")
    tls_cert: Path | None = Field(
        None, description="PEM certificate (chain) to serve HTTPS with (``serve`` only).")
    tls_key: Path | None = Field(None, description="PEM private key of tls_cert.")
    allow_plain_http: bool = Field(
        False, description="Serve plain HTTP beyond loopback: only behind a reverse proxy that "
        "terminates TLS (docs/api.md); without TLS, keys cross the network in clear text.")

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _split_origins(cls, value: object) -> object:
        if isinstance(value, str):
            text = value.strip()
            if text.startswith("["):
                import json

                return json.loads(text)
            return [part.strip() for part in text.split(",") if part.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _no_wildcard(cls, origins: list[str]) -> list[str]:
        for origin in origins:
            if origin == "*" or "*" in origin:
                raise ValueError("a wildcard CORS origin would let any web page use an analyst's "
                                 "key; list the review page's origins explicitly")
            if not origin.startswith(("http://", "https://")):
                raise ValueError(f"CORS origin {origin!r} must start with http:// or https://")
        return [o.rstrip("/") for o in origins]

    @property
    def loopback_only(self) -> bool:
        """True when :attr:`host` is reachable from this machine alone."""
        if self.host.lower() in LOOPBACK_NAMES:
            return True
        try:
            return ipaddress.ip_address(self.host.strip("[]")).is_loopback
        except ValueError:
            return False


def check_exposure(settings: ApiSettings, key_count: int) -> None:
    """Refuse to serve beyond this machine when no API key exists yet.

    Every endpoint but health, metrics and docs needs a key, so without one the
    API is useless; the risk is an operator exposing it and then creating
    keys in a hurry. Raises :class:`UnsafeSettingsError` with what to do.
    """
    if key_count == 0 and not settings.loopback_only:
        raise UnsafeSettingsError(
            f"refusing to serve on {settings.host}: the store holds no API key. Create one "
            "first with `ringwatch keys create --role admin`, or listen on 127.0.0.1.")
