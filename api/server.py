"""How ``ringwatch serve`` runs uvicorn: TLS, connection timeouts and a redacted access log.

Why a module of its own: what makes the served process safe to expose lives
in uvicorn's options, not in the app, and the command line should only pass
the settings on. Three things uvicorn does not do by default:

- a client that opens a connection and sends half a request line or half
  its headers is never timed out (uvicorn's keep-alive timer runs only
  between requests): :class:`HeaderDeadlineProtocol` closes such a
  connection after ``header_timeout`` seconds, so a few hundred slow
  clients cannot hold the server's connections (half-sent *bodies* are the
  app's :class:`~ringwatch.api.limits.BodyLimitMiddleware`'s);
- plain HTTP on a public address: :func:`check_transport` refuses it unless
  the operator says so (behind a TLS-terminating proxy, see docs/api.md);
- the access log prints the whole request target, so a key sent as
  ``?api_key=...`` would be written to disk: :class:`RedactSecretsFilter`.
"""

from __future__ import annotations

import asyncio
import logging
import re
from typing import Any

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

from .settings import ApiSettings, UnsafeSettingsError

#: Largest request line plus headers uvicorn buffers before answering 400 (h11's own default).
MAX_HEADER_BYTES = 16 * 1024

#: Query parameters whose values never reach a log line.
SECRET_PARAMETERS = re.compile(r"(?i)([?&](?:api[_-]?key|key|token|access[_-]?token|secret|"
                               r"password)=)[^&#\s]*")
#: A Ringwatch key anywhere in a logged target (``rw_`` + URL-safe base64).
KEY_PATTERN = re.compile(r"rw_[A-Za-z0-9_\-]{16,}")


def redact(target: str) -> str:
    """``target`` with secret query values and anything shaped like a key replaced by ``REDACTED``.

    >>> redact("/rings?api_key=rw_abcdefghijklmnopqrstuvwxyz&limit=5")
    '/rings?api_key=REDACTED&limit=5'
    """
    return KEY_PATTERN.sub("REDACTED", SECRET_PARAMETERS.sub(r"\1REDACTED", target))


class RedactSecretsFilter(logging.Filter):
    """Rewrites uvicorn's access log records so that no key or token in a URL is written."""

    def filter(self, record: logging.LogRecord) -> bool:
        if isinstance(record.args, tuple):
            record.args = tuple(redact(a) if isinstance(a, str) else a for a in record.args)
        elif isinstance(record.msg, str):
            record.msg = redact(record.msg)
        return True


def redact_access_log() -> None:
    """Put :class:`RedactSecretsFilter` on uvicorn's access logger (once per process)."""
    access = logging.getLogger("uvicorn.access")
    if not any(isinstance(f, RedactSecretsFilter) for f in access.filters):
        access.addFilter(RedactSecretsFilter())


def check_transport(settings: ApiSettings) -> None:
    """Refuse plain HTTP beyond loopback unless ``allow_plain_http`` says a proxy terminates TLS.

    Keys travel in headers on every request: on an open network without TLS
    anyone on the path reads them. Raises :class:`UnsafeSettingsError`.
    """
    if bool(settings.tls_cert) != bool(settings.tls_key):
        raise UnsafeSettingsError("give both --tls-cert and --tls-key, or neither")
    if settings.tls_cert or settings.loopback_only or settings.allow_plain_http:
        return
    raise UnsafeSettingsError(
        f"refusing to serve plain HTTP on {settings.host}: API keys would cross the network in "
        "clear text. Give --tls-cert and --tls-key, or put a TLS-terminating reverse proxy in "
        "front (docs/api.md) and pass --allow-plain-http.")


class HeaderDeadlineProtocol(H11Protocol):
    """uvicorn's h11 protocol, closing a connection whose request head is not complete in time.

    A deadline is set when a connection opens and whenever it starts a new
    request; it is dropped once h11 has the whole request line and headers.
    """

    header_timeout: float = 10.0

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._head_deadline: asyncio.TimerHandle | None = None
        self._arm_head_deadline()

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        if self.conn.their_state is h11.IDLE:
            if self._head_deadline is None:  # part of a new request head: start its clock
                self._arm_head_deadline()
        else:
            self._drop_head_deadline()

    def connection_lost(self, exc: Exception | None) -> None:
        self._drop_head_deadline()
        super().connection_lost(exc)

    def _arm_head_deadline(self) -> None:
        self._head_deadline = self.loop.call_later(self.header_timeout, self._head_timed_out)

    def _drop_head_deadline(self) -> None:
        if self._head_deadline is not None:
            self._head_deadline.cancel()
            self._head_deadline = None

    def _head_timed_out(self) -> None:
        self._head_deadline = None
        if self.conn.their_state is h11.IDLE and not self.transport.is_closing():
            self.logger.info("closing a connection whose request head did not arrive in %.0f s",
                             self.header_timeout)
            self.transport.close()


def uvicorn_config(app: Any, settings: ApiSettings) -> uvicorn.Config:
    """The uvicorn configuration ``serve`` runs ``app`` with (sockets are bound by the caller)."""
    protocol = type("HeaderDeadlineProtocol", (HeaderDeadlineProtocol,),
                    {"header_timeout": settings.header_timeout_seconds})
    return uvicorn.Config(
        app, log_config=None, proxy_headers=False, server_header=False, http=protocol,
        timeout_keep_alive=5, h11_max_incomplete_event_size=MAX_HEADER_BYTES,
        ssl_certfile=str(settings.tls_cert) if settings.tls_cert else None,
        ssl_keyfile=str(settings.tls_key) if settings.tls_key else None)
