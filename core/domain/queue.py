"""The review queue's order: highest score first, then the most commission at stake, then ring id.

Why money breaks ties: many rings score 0.99 or more (scores are written to
four decimals, so exact ties are common at the top), and among rings a
reviewer is equally sure of, the one with more commission at stake is worth
reviewing first. The tie-breaker is the *expected* commission at stake,
``score * metrics.commission_total``; within one score it orders rings as
their commission does.

Why only within one currency: 1,000 JPY and 1,000 USD are not the same stake,
and Ringwatch converts nothing (it has no rates, and a rate of the wrong day
would be a silent error). So money decides a tie only when every ring of the
tied group that has money has it in one currency (one ISO code, or all
without a currency because the snapshot gives none); a ring without money
(``commission_total`` 0) is 0 in any currency and never spoils that. When the
tied group mixes currencies, or holds a ring whose money is itself ``"mixed"``,
the tie goes by ``orders`` (the ring's orders count), a measure with no unit.
Whatever is left ties by ``ring_id``, so the order is total and stable.

The rule is one function, :func:`queue_keys`, over (ring id, score, money)
entries: the stores' ring listing, the API's views as of a run, the run
summary, the report and rings.jsonl all sort with it, so every list a reviewer
sees agrees. A key is ``(-score, -tie_measure, ring_id)``: ascending keys are
the queue, and a paging cursor can carry one.

Example
-------
>>> keys = queue_keys([
...     QueueEntry("R-a", 0.99, Stake(100.0, "USD", 3)),
...     QueueEntry("R-b", 0.99, Stake(900.0, "USD", 1)),
...     QueueEntry("R-c", 0.5, Stake(5000.0, "USD", 9))])
>>> [key[2] for key in sorted(keys)]
['R-b', 'R-a', 'R-c']
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from .vocabulary import MIXED_CURRENCY

#: A ring's place in the queue: ``(-score, -tie_measure, ring_id)``, ascending is best first.
QueueKey = tuple[float, float, str]


@dataclass(frozen=True)
class Stake:
    """What a ring has at stake: its commission, the currency of it, and its orders count."""

    commission_total: float
    currency: str | None
    orders: int

    @classmethod
    def from_metrics(cls, metrics: Mapping[str, Any] | None) -> Stake:
        """The stake a ring's ``metrics`` give (missing or unreadable numbers count as 0)."""
        metrics = metrics or {}
        return cls(_number(metrics.get("commission_total")), metrics.get("currency") or None,
                   int(_number(metrics.get("orders"))))


@dataclass(frozen=True)
class QueueEntry:
    """One ring as the queue sees it: its id, its score (as listed) and its stake."""

    ring_id: str
    score: float
    stake: Stake


def queue_keys(entries: Sequence[QueueEntry]) -> list[QueueKey]:
    """The queue key of each entry, in the entries' order (see the module for the rule).

    One pass to find, per score, whether its rings' money is in one currency,
    one pass to make the keys: the cost is linear in the rings.
    """
    currencies: dict[float, set[str | None]] = {}
    for entry in entries:
        if entry.stake.commission_total > 0:
            currencies.setdefault(entry.score, set()).add(entry.stake.currency)
    keys = []
    for entry in entries:
        found = currencies.get(entry.score, set())
        if len(found) <= 1 and MIXED_CURRENCY not in found:
            measure = entry.score * entry.stake.commission_total
        else:
            measure = float(entry.stake.orders)
        keys.append((-entry.score, -measure, entry.ring_id))
    return keys


class Queued(Protocol):
    """What the queue reads of a ring record (:class:`~ringwatch.domain.Ring` is one)."""

    @property
    def ring_id(self) -> str: ...
    @property
    def score(self) -> float: ...
    @property
    def metrics(self) -> Mapping[str, Any]: ...


R = TypeVar("R", bound="Queued | Mapping[str, Any]")


def in_queue_order(rings: Iterable[R]) -> list[R]:
    """Rings sorted as the review queue lists them: records (the stores') or documents with
    ``ring_id``, ``score`` and ``metrics`` (a run's rings before they are records)."""
    rings = list(rings)
    keys = queue_keys([_entry(r) for r in rings])
    order = sorted(range(len(rings)), key=keys.__getitem__)
    return [rings[i] for i in order]


def _entry(ring: Queued | Mapping[str, Any]) -> QueueEntry:
    if isinstance(ring, Mapping):
        return QueueEntry(ring["ring_id"], float(ring["score"]), Stake.from_metrics(ring.get("metrics")))
    return QueueEntry(ring.ring_id, float(ring.score), Stake.from_metrics(ring.metrics))


def _number(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    number = float(value)
    return number if math.isfinite(number) else 0.0
