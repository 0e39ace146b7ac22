"""Opaque paging cursors: URL-safe base64 of a small JSON object.

Opaque so that clients pass them back unchanged and the server may change
what is inside; never trusted: a cursor is client input like any other, so
whatever it holds (not base64, not JSON, JSON nested a thousand deep, a
400-digit number, ``NaN``, a negative position, a list where a string
belongs) is a 400 problem, never a crash. The readers here check every field
of the payload before a route uses it, so a route never sees a value of the
wrong type or size.
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from dataclasses import dataclass
from typing import Annotated, Any

from fastapi import HTTPException, Query

MAX_CURSOR_LENGTH = 2048

#: The ``cursor`` query parameter of a paged listing. Its length is checked by
#: :func:`decode_cursor`, not by a ``max_length`` here, so that a cursor too long is a 400
#: like every other cursor no listing issued, not a 422.
CursorParam = Annotated[str | None, Query(
    description=f"next_cursor of the previous page, passed back unchanged (at most "
    f"{MAX_CURSOR_LENGTH} characters); anything else is a 400.")]

#: The longest run id or ring id a cursor may carry (the API's path parameters allow 200).
MAX_ID_LENGTH = 200


@dataclass(frozen=True)
class RingCursor:
    """Where a ring listing continues: the run it is pinned to and the last key served."""

    run: str | None
    key: tuple[float, float, str]


def encode_cursor(payload: dict[str, Any]) -> str:
    """The cursor for ``payload`` (a JSON-able dict)."""
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> dict[str, Any]:
    """The payload of a cursor made by :func:`encode_cursor`; 400 when it is not one.

    ``RecursionError`` is caught too: JSON nested deeper than the interpreter's
    limit (``[[[[...``, under 2 KB) raises it instead of a ``ValueError``.
    """
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise bad_cursor()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError, RecursionError) as exc:
        raise bad_cursor() from exc
    if not isinstance(payload, dict):
        raise bad_cursor()
    return payload


def read_ring_cursor(cursor: str, sort: str) -> RingCursor:
    """The position a ``/rings`` cursor names, for a listing in ``sort`` order; 400 otherwise.

    The payload is ``{"run": str | null, "sort": str, "key": [number, number, str]}``
    (the listing's sort key, see :class:`ringwatch.api.ring_views.Listed`); the
    numbers must be finite (the listing compares them with sort keys). A key of
    two, ``[number, str]``, is what servers wrote before score ties were broken
    by commission: it is read as the start of its score's ties (``-inf`` in the
    middle), so a page followed across an upgrade may repeat a few tied rings
    but never skips one.
    """
    payload = decode_cursor(cursor)
    if payload.get("sort") != sort:
        raise bad_cursor("the cursor belongs to a listing in another sort order")
    run, key = payload.get("run"), payload.get("key")
    if run is not None and not _short_text(run):
        raise bad_cursor()
    if not isinstance(key, list) or len(key) not in (2, 3) or not _short_text(key[-1]):
        raise bad_cursor()
    numbers = [finite_number(value) for value in key[:-1]]
    if any(number is None for number in numbers):
        raise bad_cursor()
    first, *tie = numbers
    return RingCursor(run, (first, tie[0] if tie else -math.inf, key[-1]))


def read_position_cursor(cursor: str) -> int:
    """The position (``{"from": n}``, ``n >= 0``) an append-only listing's cursor names; 400 otherwise."""
    position = decode_cursor(cursor).get("from")
    if not isinstance(position, int) or isinstance(position, bool) or position < 0:
        raise bad_cursor()
    return position


def finite_number(value: Any) -> float | None:
    """``value`` as a finite float when it is a JSON number (not a bool) that is one; else None.

    An int too large for a float raises ``OverflowError`` on conversion; it
    is not a position any listing issued, so it is None like ``NaN``.
    """
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    return number if math.isfinite(number) else None


def _short_text(value: Any) -> bool:
    return isinstance(value, str) and 0 < len(value) <= MAX_ID_LENGTH


def bad_cursor(why: str = "the cursor is not one this listing issued") -> HTTPException:
    """The 400 for a cursor that cannot be followed."""
    return HTTPException(400, f"{why}; start again without a cursor")
