"""The snapshot's time frame and the random time draws every stage shares.

Times are whole seconds since the Unix epoch (int64) until the tables are
written, where they become ISO-8601 UTC strings. Fixed dates, never the wall
clock, keep a seed's output identical from one day to the next.
"""

from __future__ import annotations

import numpy as np

HOUR = 3_600
DAY = 86_400


def epoch(iso: str) -> int:
    """Seconds since the Unix epoch of an ISO-8601 UTC date or time."""
    return int(np.datetime64(iso, "s").astype(np.int64))


#: Accounts register from here on.
HISTORY_START = epoch("2021-01-01T00:00:00")
#: Orders are placed inside [WINDOW_START, SNAPSHOT_END).
WINDOW_START = epoch("2026-04-01T00:00:00")
SNAPSHOT_END = epoch("2026-10-01T00:00:00")
#: A commission is paid out this long after it is created, unless reversed first.
SETTLEMENT = 15 * DAY
#: Allowlist entries: one far in the future, one long expired.
ALLOWLIST_VALID_UNTIL = "2028-12-31T00:00:00Z"
ALLOWLIST_EXPIRED = "2026-02-28T00:00:00Z"


def registration_times(n: int, rng: np.random.Generator, *, start: int = HISTORY_START,
                       end: int = SNAPSHOT_END - 10 * DAY) -> np.ndarray:
    """``n`` registration times in [start, end), more of them recent (platforms grow)."""
    return start + (rng.beta(1.6, 1.0, n) * (end - start)).astype(np.int64)


def between(low: np.ndarray | int, high: np.ndarray | int, rng: np.random.Generator,
            n: int | None = None) -> np.ndarray:
    """Uniform times in [low, high) per element (``high`` is raised to ``low`` + 1 if needed)."""
    low = np.asarray(low, dtype=np.int64)
    high = np.maximum(np.asarray(high, dtype=np.int64), low + 1)
    size = n if n is not None else np.broadcast(low, high).shape
    return low + (rng.random(size) * (high - low)).astype(np.int64)


def link_times(since: np.ndarray, rng: np.random.Generator, *, pinned: np.ndarray | None = None
               ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """First seen, last seen and event count of identity links whose accounts exist ``since``.

    An identifier is first seen some time after the account appears, then used
    until near the end of the snapshot; busy identifiers log more events. Where
    ``pinned`` is not negative it is the first-seen time itself (the random
    draws are made for every link all the same, so pinning some links leaves
    the others' times unchanged).
    """
    n = len(since)
    since = np.minimum(since, SNAPSHOT_END - DAY)
    delay = rng.exponential(20 * DAY, n).astype(np.int64)
    first = np.minimum(since + delay, SNAPSHOT_END - HOUR)
    if pinned is not None:
        first = np.where(pinned >= 0, np.minimum(pinned, SNAPSHOT_END - HOUR), first)
    # Beta(4, 1) by inversion: most identifiers are still in use near the end.
    last = first + (rng.random(n) ** 0.25 * (SNAPSHOT_END - first)).astype(np.int64)
    days = (last - first) / DAY
    rate = rng.lognormal(np.log(0.25), 1.0, n)
    events = 1 + rng.poisson(np.minimum(days * rate, 50_000))
    return first, last, events.astype(np.int64)
