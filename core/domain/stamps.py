"""The one timestamp format of Ringwatch's records: ISO 8601 in UTC to the second, ``Z`` suffixed.

Runs, rings, reviews, audit entries and API keys all carry their times in this
form (docs/contract.md), and compare as text because every writer uses it.

Example
-------
>>> from datetime import UTC, datetime
>>> utc_stamp(datetime(2026, 11, 20, 8, 30, tzinfo=UTC))
'2026-11-20T08:30:00Z'
"""

from __future__ import annotations

from datetime import UTC, datetime

#: ``strftime`` format of a record's time (also for pandas' vectorised ``.dt.strftime``).
UTC_STAMP_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def utc_stamp(moment: datetime | None = None) -> str:
    """``moment`` (default: now) as a record's timestamp, e.g. ``2026-11-20T00:00:00Z``.

    An aware ``moment`` is converted to UTC first; a naive one is taken to be in UTC already.
    """
    if moment is None:
        moment = datetime.now(UTC)
    elif moment.tzinfo is not None:
        moment = moment.astimezone(UTC)
    return moment.strftime(UTC_STAMP_FORMAT)
