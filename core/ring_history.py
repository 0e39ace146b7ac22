"""A ring as of run R: its score, status and size then, from the history the runs left on it.

A listing pinned to a run (the HTTP API pages through one run's rings while a
new run writes) must show each ring as that run saw it. A ring's history has
one entry per run that found it (its score and account count then), and its
first-detected time never changes, so:

- a ring found in R is shown with R's score and size and its review status
  (a dissolved ring's last review decision, ``new`` if none);
- a ring seen only before R is shown as dissolved, with its last score;
- a ring first seen after R is not shown at all.

Members, metrics and evidence are the ring's latest: no run keeps older ones,
but for the money that breaks score ties in the review queue
(:mod:`ringwatch.domain.queue`), which each history entry keeps (an older
entry without it reads as the ring's latest metrics).
Nothing here knows HTTP; :mod:`ringwatch.api.ring_views` builds the API's
sorted, serialised listings on top of it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from ringwatch.domain import HistoryEntry, Lifecycle, Ring, Stake


def account_count(ring: Ring) -> int:
    """How many of a ring's members are accounts (not identifiers)."""
    return sum(1 for m in ring.members if m.is_account)


#: The stake of a ring whose metrics say nothing about money.
NO_STAKE = Stake(0.0, None, 0)


@dataclass(frozen=True)
class RingState:
    """A ring as one run saw it: score, status as listed, how many accounts it held, its money."""

    score: float
    status: str
    accounts: int
    stake: Stake = NO_STAKE


class RunTimeline:
    """The runs a store holds, oldest first: the frame in which a ring is seen as of a run."""

    def __init__(self, run_ids: Iterable[str]) -> None:
        self.run_ids = [str(run_id) for run_id in run_ids]
        self._position = {run_id: i for i, run_id in enumerate(self.run_ids)}

    @property
    def latest(self) -> str | None:
        """The newest run's id, None before the first run."""
        return self.run_ids[-1] if self.run_ids else None

    def knows(self, run_id: str | None) -> bool:
        """Whether ``run_id`` is one of these runs (None is known only when there is no run)."""
        return (run_id is None and not self.run_ids) or run_id in self._position

    def ring_as_of(self, ring: Ring, run_id: str | None) -> RingState | None:
        """The ring as of ``run_id`` (None: as it is now); None if it did not exist yet then."""
        if run_id is None:
            return RingState(float(ring.score), ring.status, account_count(ring),
                             Stake.from_metrics(ring.metrics))
        pinned = self._position.get(run_id, -1)
        history = ring.history or ()
        entry = next((h for h in reversed(history) if h.run_id == run_id), None)
        if entry is not None:
            # Found then: its review decision (a dissolved ring's last one, ``new`` if none).
            return _state(ring, entry, ring.review_status.value)
        seen = [self._position[h.run_id] for h in history if h.run_id in self._position]
        if seen:
            before = [p for p in seen if p < pinned]
            if not before:
                return None
            last = max(before)
            old = next(h for h in history if self._position.get(h.run_id) == last)
            return _state(ring, old, Lifecycle.DISSOLVED.value, zero_is_unknown=True)
        if history:
            return None  # found only by runs this timeline does not know yet (saved mid-read)
        # No history (a ring written by hand or by an older version): its latest state,
        # if it was last seen at or before the pinned run.
        last_seen = self._position.get(ring.last_seen_run or ring.run_id or "")
        if last_seen is not None and last_seen > pinned:
            return None
        return RingState(float(ring.score), ring.status, account_count(ring),
                         Stake.from_metrics(ring.metrics))


def _state(ring: Ring, entry: HistoryEntry, status: str, *, zero_is_unknown: bool = False) -> RingState:
    """The ring's state from one history entry; what the entry lacks is the ring's now."""
    score = ring.score if entry.score is None else entry.score
    known = entry.accounts if not zero_is_unknown else (entry.accounts or None)
    stake = (Stake.from_metrics(ring.metrics) if entry.commission_total is None
             else Stake.from_metrics({"commission_total": entry.commission_total,
                                      "currency": entry.currency, "orders": entry.orders}))
    return RingState(float(score), status, account_count(ring) if known is None else int(known), stake)
