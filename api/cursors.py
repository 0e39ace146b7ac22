"""Opaque paging cursors: URL-safe base64 of a small JSON object.

Opaque so that clients pass them back unchanged and the server may change
what is inside; never trusted: a cursor that does not decode, or that belongs
to another listing, is a 400 problem, not a crash.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from fastapi import HTTPException

MAX_CURSOR_LENGTH = 2048


def encode_cursor(payload: dict[str, Any]) -> str:
    """The cursor for ``payload`` (a JSON-able dict)."""
    raw = json.dumps(payload, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def decode_cursor(cursor: str) -> dict[str, Any]:
    """The payload of a cursor made by :func:`encode_cursor`; 400 when it is not one."""
    if len(cursor) > MAX_CURSOR_LENGTH:
        raise bad_cursor()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        payload = json.loads(raw)
    except (binascii.Error, ValueError, UnicodeDecodeError) as exc:
        raise bad_cursor() from exc
    if not isinstance(payload, dict):
        raise bad_cursor()
    return payload


def bad_cursor(why: str = "the cursor is not one this listing issued") -> HTTPException:
    """The 400 for a cursor that cannot be followed."""
    return HTTPException(400, f"{why}; start again without a cursor")
