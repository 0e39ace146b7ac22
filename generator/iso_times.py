"""ISO-8601 UTC strings for millions of timestamps, without a Python object per value.

A snapshot's timestamps fall on a few thousand distinct days and at most 86,400
distinct times of day, so the text of each distinct date (the civil calendar
after Howard Hinnant's ``civil_from_days``) and of each time of day is built
once, and every value is two row look-ups into those tables, written into one
byte buffer that Arrow takes as a string array. Many times faster than
``strftime``.
"""

from __future__ import annotations

from functools import cache

import numpy as np
import pyarrow as pa

_WIDTH = len("2026-03-14T08:15:00Z")
_DATE = len("2026-03-14")
_DAY = 86_400


def _civil(days: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Year, month and day of days since 1970-01-01 (proleptic Gregorian)."""
    z = days + 719_468
    era = np.floor_divide(z, 146_097)
    doe = z - era * 146_097
    yoe = (doe - doe // 1_460 + doe // 36_524 - doe // 146_096) // 365
    doy = doe - (365 * yoe + yoe // 4 - yoe // 100)
    mp = (5 * doy + 2) // 153
    day = doy - (153 * mp + 2) // 5 + 1
    month = np.where(mp < 10, mp + 3, mp - 9)
    year = yoe + era * 400 + (month <= 2)
    return year, month, day


def _digits(text: np.ndarray, column: int, value: np.ndarray, width: int) -> None:
    for i in range(width):
        text[:, column + width - 1 - i] = 48 + (value // 10**i) % 10


def _date_text(days: np.ndarray) -> np.ndarray:
    """``YYYY-MM-DD`` as bytes, one row per day."""
    year, month, day = _civil(days)
    text = np.empty((len(days), _DATE), dtype=np.uint8)
    _digits(text, 0, year, 4)
    _digits(text, 5, month, 2)
    _digits(text, 8, day, 2)
    text[:, 4] = text[:, 7] = ord("-")
    return text


@cache
def _clock_text() -> np.ndarray:
    """``THH:MM:SSZ`` as bytes, one row per second of the day."""
    second = np.arange(_DAY)
    text = np.empty((_DAY, _WIDTH - _DATE), dtype=np.uint8)
    text[:, 0] = ord("T")
    _digits(text, 1, second // 3_600, 2)
    text[:, 3] = text[:, 6] = ord(":")
    _digits(text, 4, second // 60 % 60, 2)
    _digits(text, 7, second % 60, 2)
    text[:, 9] = ord("Z")
    text.setflags(write=False)
    return text


def iso_utc(seconds: np.ndarray, missing: np.ndarray | None = None) -> pa.Array:
    """Strings like ``2026-03-14T08:15:00Z`` for whole seconds since the epoch (years 0-9999).

    ``missing`` marks the values to write as null (their ``seconds`` are ignored).
    """
    seconds = np.asarray(seconds, dtype=np.int64)
    n = len(seconds)
    present = None if missing is None else ~np.asarray(missing, dtype=bool)
    if present is not None and not present.all():
        seconds = np.where(present, seconds, seconds[present].min() if present.any() else 0)
    days, second_of_day = np.divmod(seconds, _DAY)
    first = int(days.min()) if n else 0
    dates = _date_text(np.arange(first, (int(days.max()) if n else 0) + 1))
    text = np.empty((n, _WIDTH), dtype=np.uint8)
    text[:, :_DATE] = dates[days - first]
    text[:, _DATE:] = _clock_text()[second_of_day]
    offsets = np.arange(0, (n + 1) * _WIDTH, _WIDTH, dtype=np.int64 if n * _WIDTH >= 2**31
                        else np.int32)
    validity = None
    if present is not None and not present.all():
        validity = pa.py_buffer(np.packbits(present, bitorder="little"))
    kind = pa.large_string() if offsets.dtype == np.int64 else pa.string()
    return pa.Array.from_buffers(kind, n, [validity, pa.py_buffer(offsets), pa.py_buffer(text)])
