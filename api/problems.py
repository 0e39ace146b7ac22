"""Every error the API returns is an RFC 9457 problem detail (``application/problem+json``).

Clients (the review page, scripts, the enforcement job) handle one error shape:
``{"type", "title", "status", "detail", "instance", "request_id"}``, plus
``errors`` on a 422. Unexpected exceptions are logged with the request id and
answered with a generic 500: no exception text or traceback reaches a client.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.responses import Response

from .middleware import REQUEST_ID_HEADER, current_request_id, request_id_of

PROBLEM_JSON = "application/problem+json"

log = logging.getLogger(__name__)


def problem_response(request: Request, status: int, detail: str, *, title: str | None = None,
                     type_: str = "about:blank", headers: Mapping[str, str] | None = None,
                     extra: Mapping[str, Any] | None = None) -> Response:
    """A problem-details response for ``request``, with its request id in body and header."""
    request_id = request_id_of(request)
    body: dict[str, Any] = {
        "type": type_,
        "title": title or _phrase(status),
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        "request_id": request_id,
        **(extra or {}),
    }
    out_headers = dict(headers or {})
    if request_id:
        out_headers[REQUEST_ID_HEADER] = request_id
    return Response(json.dumps(body, default=str), status_code=status, headers=out_headers,
                    media_type=PROBLEM_JSON)


def _phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Error"


async def _http_exception(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, StarletteHTTPException)
    detail = exc.detail if isinstance(exc.detail, str) else _phrase(exc.status_code)
    return problem_response(request, exc.status_code, detail, headers=exc.headers)


async def _validation_error(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, RequestValidationError)
    errors = [_field_error(e) for e in exc.errors()]
    fields = ", ".join(".".join(str(p) for p in e["loc"]) for e in errors) or "the request"
    return problem_response(request, 422, f"invalid input: {fields}",
                            extra={"errors": errors})


def _field_error(error: Mapping[str, Any]) -> dict[str, Any]:
    """One validation error without the rejected input (it may be large, or a secret)."""
    loc: Sequence[Any] = error.get("loc", ())
    return {"loc": [p if isinstance(p, int) else str(p) for p in loc],
            "msg": str(error.get("msg", "")), "type": str(error.get("type", ""))}


async def _unexpected(request: Request, exc: Exception) -> Response:
    # Starlette calls this from its outermost middleware, after the request-id
    # middleware has returned: restore the id so that the log line carries it.
    with current_request_id(request_id_of(request)):
        log.error("unhandled error on %s %s", request.method, request.url.path,
                  exc_info=(type(exc), exc, exc.__traceback__))
    return problem_response(request, 500, "an internal error occurred; quote the request id "
                            "when reporting it")


def install_problem_handlers(app: FastAPI) -> None:
    """Make HTTP errors, validation errors and unexpected exceptions problem details."""
    app.add_exception_handler(StarletteHTTPException, _http_exception)
    app.add_exception_handler(RequestValidationError, _validation_error)
    app.add_exception_handler(Exception, _unexpected)
