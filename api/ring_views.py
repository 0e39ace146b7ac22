"""Rings as the API lists them: read once, indexed, viewed as of a run, served from memory.

Why a cache: ``store.rings()`` reads a JSON file (local) or runs a query
(Neo4j); the list endpoint must answer hundreds of times a second. A
:class:`RingIndex` holds every ring and run as read at one moment, with
indexes by id and by member, and builds sorted, pre-serialised views on
demand. :class:`RingCache` keeps the current index keyed by the latest
run id and a review counter: a review or a run made through this process
invalidates it at once, and it is re-read every ``max_age`` seconds to pick up
what other processes (``ringwatch detect``, another server) wrote.

Why views *as of a run*: the first page of a listing pins the latest run, and
every later page is cut from the same run's view, so a run that finishes
between two pages neither reorders nor changes the set being paged. What a ring
looked like as of a run is :mod:`ringwatch.ring_history`'s rule; this module
only sorts, filters, pages and serialises.
"""

from __future__ import annotations

import asyncio
import bisect
import json
import math
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, TypedDict

from fastapi.concurrency import run_in_threadpool

from ringwatch.domain import OPEN_STATUSES, QueueEntry, QueueKey, Ring, Run, Stake, queue_keys
from ringwatch.graph.capabilities import RingRepository
from ringwatch.ring_history import RunTimeline, account_count

#: How many (run, sort) views one index keeps; older pinned runs are rebuilt on demand.
MAX_VIEWS = 16

#: The most overlapping rings one ring's detail lists (the most shared first): an account a
#: whole market passes through (a hub buyer) could otherwise tie a ring to thousands.
MAX_OVERLAPS = 100


def json_safe(value: Any) -> Any:
    """``value`` with NaN and infinities replaced by ``None``: they are not JSON."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [json_safe(v) for v in value]
    return value


def parse_time(text: Any) -> float | None:
    """Seconds since the epoch of an ISO-8601 stamp (UTC when no offset); None if unreadable."""
    if not isinstance(text, str) or not text:
        return None
    try:
        stamp = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if stamp.tzinfo is None:
        stamp = stamp.replace(tzinfo=UTC)
    return stamp.timestamp()


class RingSummaryJson(TypedDict):
    """A ring as a list of rings serves it (the API's ``RingSummary``)."""

    ring_id: str
    kind: str
    score: float
    status: str
    first_detected: str | None
    last_seen_run: str | None
    metrics: Any
    accounts: int
    top_evidence: str | None


class RingOverlapJson(TypedDict):
    """An open ring sharing accounts with the one asked for (``overlaps`` of ``GET /rings/{id}``)."""

    ring_id: str
    kind: str
    status: str
    score: float
    shared_accounts: int


def member_keys(ring: Ring) -> frozenset[str]:
    """Every member of a ring as ``type:id``."""
    return frozenset(m.key for m in ring.members)


def summarise(ring: Ring, *, score: float | None = None, status: str | None = None,
              accounts: int | None = None) -> RingSummaryJson:
    """The RingSummary of a ring (optionally with its score, status and size as of a run)."""
    strongest = max(ring.evidence, key=lambda e: e.weight or 0.0) if ring.evidence else None
    return {
        "ring_id": ring.ring_id, "kind": str(ring.kind),
        "score": ring.score if score is None else score,
        "status": ring.status if status is None else status,
        "first_detected": ring.first_detected,
        "last_seen_run": ring.last_seen_run or ring.run_id,
        "metrics": json_safe(dict(ring.metrics or {})),
        "accounts": account_count(ring) if accounts is None else accounts,
        "top_evidence": strongest.text if strongest else None,
    }


@dataclass(frozen=True)
class Listed:
    """One ring in a view: its sort key, what filters look at, and its serialised summary.

    The key is ``(-score, -expected commission at stake or orders, ring_id)`` in the
    ``score`` order (:func:`ringwatch.domain.queue_keys`) and ``(-first_detected, 0, ring_id)``
    in the ``recent`` order; a cursor carries the last one served.
    """

    key: QueueKey
    ring_id: str
    kind: str
    score: float
    status: str
    first_detected: float
    members: frozenset[str]
    json: bytes


@dataclass(frozen=True)
class RingFilter:
    """The listing's filters; ``statuses`` None means every status."""

    kind: str | None = None
    statuses: frozenset[str] | None = OPEN_STATUSES
    min_score: float | None = None
    member: str | None = None
    since: float | None = None

    @property
    def empty(self) -> bool:
        return (self.kind is None and self.statuses is None and self.min_score is None
                and self.member is None and self.since is None)

    def __call__(self, item: Listed) -> bool:
        return ((self.kind is None or item.kind == self.kind)
                and (self.statuses is None or item.status in self.statuses)
                and (self.min_score is None or item.score >= self.min_score)
                and (self.member is None or self.member in item.members)
                and (self.since is None or item.first_detected >= self.since))


@dataclass(frozen=True)
class RingView:
    """Rings as of one run in one order; ``keys`` ascending, for bisecting a cursor."""

    run_id: str | None
    sort: str
    items: list[Listed]
    keys: list[QueueKey]

    def page(self, *, after: QueueKey | None, limit: int,
             wanted: RingFilter) -> tuple[list[Listed], QueueKey | None]:
        """Up to ``limit`` rings after the key ``after``; and the key to continue from, if any."""
        start = 0 if after is None else bisect.bisect_right(self.keys, after)
        if wanted.empty:
            chosen = self.items[start:start + limit + 1]
        else:
            chosen = []
            for item in self.items[start:]:
                if wanted(item):
                    chosen.append(item)
                    if len(chosen) > limit:
                        break
        if len(chosen) > limit:
            return chosen[:limit], chosen[limit - 1].key
        return chosen, None


@dataclass
class RingIndex:
    """Every ring and run as read from the store at one moment, indexed (treat as read-only)."""

    rings: list[Ring]
    runs: list[Run]
    generation: int
    read_at: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        #: The rings by id: what views and summaries are computed from.
        self.records: dict[str, Ring] = {r.ring_id: r for r in self.rings}
        self.timeline = RunTimeline(r.run_id for r in self.runs)
        self.latest_run: str | None = self.timeline.latest
        self.by_member: dict[str, list[str]] = {}
        for ring in self.records.values():
            for key in member_keys(ring):
                self.by_member.setdefault(key, []).append(ring.ring_id)
        self.open_members: frozenset[str] = frozenset(
            key for ring in self.records.values() if ring.status in OPEN_STATUSES
            for key in member_keys(ring))
        #: Account (``type:id``) -> the open rings holding it: what :meth:`overlaps` reads, built
        #: once per index so that a ring's detail costs a lookup per account, never a scan.
        self.open_by_account: dict[str, list[str]] = {}
        for ring in self.records.values():
            if ring.status in OPEN_STATUSES:
                for key in ring.account_keys:
                    self.open_by_account.setdefault(key, []).append(ring.ring_id)
        self._views: OrderedDict[tuple[str | None, str], RingView] = OrderedDict()
        self._lock = threading.Lock()

    def knows_run(self, run_id: str | None) -> bool:
        return self.timeline.knows(run_id)

    def view(self, run_id: str | None, sort: str) -> RingView:
        """The rings as of ``run_id`` in ``sort`` order (built once per index)."""
        with self._lock:
            found = self._views.get((run_id, sort))
            if found is not None:
                self._views.move_to_end((run_id, sort))
                return found
        built = self._build_view(run_id, sort)
        with self._lock:
            self._views[(run_id, sort)] = built
            while len(self._views) > MAX_VIEWS:
                self._views.popitem(last=False)
        return built

    def _build_view(self, run_id: str | None, sort: str) -> RingView:
        found = [(ring, state) for ring in self.records.values()
                 if (state := self.timeline.ring_as_of(ring, run_id)) is not None]
        firsts = [parse_time(ring.first_detected) or 0.0 for ring, _ in found]
        if sort == "score":
            keys = queue_keys([QueueEntry(ring.ring_id, state.score, state.stake)
                               for ring, state in found])
        else:
            keys = [(-first, 0.0, ring.ring_id) for (ring, _), first in zip(found, firsts, strict=True)]
        items = []
        for (ring, state), first, key in zip(found, firsts, keys, strict=True):
            summary = summarise(ring, score=state.score, status=state.status,
                                accounts=state.accounts)
            items.append(Listed(
                key=key, ring_id=ring.ring_id,
                kind=str(ring.kind), score=state.score, status=state.status, first_detected=first,
                members=member_keys(ring), json=json.dumps(summary).encode()))
        items.sort(key=lambda item: item.key)
        return RingView(run_id, sort, items, [item.key for item in items])

    def overlaps(self, ring_id: str, accounts: Iterable[str]) -> list[RingOverlapJson]:
        """The open rings other than ``ring_id`` that hold any of ``accounts`` (``type:id``).

        Each as ``{ring_id, kind, status, score, shared_accounts}``, the most shared
        accounts first, then by ring id; at most :data:`MAX_OVERLAPS`.
        """
        shared: dict[str, int] = {}
        for key in set(accounts):
            for other in self.open_by_account.get(key, ()):
                if other != ring_id:
                    shared[other] = shared.get(other, 0) + 1
        ranked = sorted(shared.items(), key=lambda kv: (-kv[1], kv[0]))[:MAX_OVERLAPS]
        return [{"ring_id": other, "kind": str(self.records[other].kind),
                 "status": self.records[other].status, "score": self.records[other].score,
                 "shared_accounts": n} for other, n in ranked]

    def summaries(self, ring_ids: Iterable[str]) -> list[RingSummaryJson]:
        """Current-state summaries of these rings in the queue's order (highest score first)."""
        rings = [self.records[i] for i in ring_ids if i in self.records]
        keys = queue_keys([QueueEntry(r.ring_id, float(r.score), Stake.from_metrics(r.metrics))
                           for r in rings])
        return [summarise(r) for _, r in sorted(zip(keys, rings, strict=True), key=lambda kr: kr[0])]


class RingCache:
    """The current :class:`RingIndex`, re-read when invalidated or older than ``max_age``.

    ``invalidate`` is called after a review or a run made through this
    process, and the next request waits for the re-read (a reviewer sees
    their own review at once). An index that is merely old is re-read by
    one request while the others keep answering from it.
    """

    def __init__(self, store: RingRepository, *, max_age: float = 5.0,
                 clock: Callable[[], float] = time.monotonic) -> None:
        self._store = store
        self._max_age = max_age
        self._clock = clock
        self._index: RingIndex | None = None
        self._generation = 0
        self._generation_lock = threading.Lock()
        self._read_lock = asyncio.Lock()

    @property
    def generation(self) -> int:
        return self._generation

    def invalidate(self) -> None:
        """Make the next request re-read the store (safe from any thread)."""
        with self._generation_lock:
            self._generation += 1

    def read(self) -> RingIndex:
        """Read the store now (blocking; runs in a worker thread).

        Runs are read before rings: a run saved in between then shows up only
        in ring histories, and :meth:`~ringwatch.ring_history.RunTimeline.ring_as_of`
        leaves out what only that unknown run found, so the index is consistent
        as of the last run it knows.
        """
        generation = self._generation
        runs = self._store.runs()
        rings = self._store.rings()
        return RingIndex(rings, runs, generation, read_at=self._clock())

    async def get(self) -> RingIndex:
        """The index to answer from."""
        index = self._index
        if index is not None and index.generation == self._generation:
            if self._clock() - index.read_at <= self._max_age:
                return index
            if self._read_lock.locked():
                return index  # someone is re-reading already; old data is good enough
        async with self._read_lock:
            index = self._index
            if (index is None or index.generation != self._generation
                    or self._clock() - index.read_at > self._max_age):
                index = await run_in_threadpool(self.read)
                self._index = index
            return index
