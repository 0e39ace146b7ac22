"""The shared key check a server store's requests wait for: fresh for each caller, shared by many.

:class:`~ringwatch.api.auth.CoalescedCheck` is what makes "revoked means
refused at the next request" affordable on Neo4j: requests that wait at the
same time share one revision read, but none is answered by a read that began
before it asked.
"""

from __future__ import annotations

import asyncio
import itertools
import threading
import time

import pytest

from ringwatch.api.auth import CoalescedCheck


class _Store:
    """A stand-in for the revision read: counts runs, records what each run saw, can be slowed."""

    def __init__(self, *, seconds: float = 0.0) -> None:
        self.seconds = seconds
        self.value = 0
        self.runs: list[int] = []
        self.lock = threading.Lock()
        self.fail: Exception | None = None

    def check(self) -> None:
        with self.lock:
            seen = self.value
        time.sleep(self.seconds)
        self.runs.append(seen)
        if self.fail is not None:
            raise self.fail


def test_callers_waiting_together_share_one_run() -> None:
    store = _Store(seconds=0.05)

    async def scenario() -> None:
        check = CoalescedCheck(store.check)
        first = asyncio.create_task(check.run())
        await asyncio.sleep(0.01)  # the first run is under way
        await asyncio.gather(*(check.run() for _ in range(20)), first)

    asyncio.run(scenario())
    assert len(store.runs) == 2  # the first caller's run, and one for the twenty who came later


def test_a_caller_is_never_answered_by_a_run_that_began_before_it_asked() -> None:
    store = _Store(seconds=0.05)

    async def scenario() -> None:
        check = CoalescedCheck(store.check)
        early = asyncio.create_task(check.run())
        await asyncio.sleep(0.01)  # the early run has read value 0 and is still going
        with store.lock:
            store.value = 1  # a revocation, made while that run is in flight
        await check.run()  # must wait for a run that reads value 1
        assert store.runs[-1] == 1
        await early

    asyncio.run(scenario())
    assert store.runs == [0, 1]


def test_runs_start_at_least_the_spacing_apart() -> None:
    store = _Store()
    starts: list[float] = []

    def timed() -> None:
        starts.append(time.monotonic())
        store.check()

    async def scenario() -> None:
        check = CoalescedCheck(timed, min_interval=0.5)
        for _ in range(4):
            await check.run()

    asyncio.run(scenario())
    gaps = [b - a for a, b in itertools.pairwise(starts)]
    # The spacing is kept between dispatches; a worker thread on a loaded machine may start a
    # check tens of milliseconds after its dispatch, so the check's own clock gets a margin.
    assert len(starts) == 4 and all(gap >= 0.4 for gap in gaps), gaps


def test_an_error_reaches_every_waiter_and_the_next_run_starts_afresh() -> None:
    store = _Store(seconds=0.02)
    store.fail = ConnectionError("store down")

    async def scenario() -> None:
        check = CoalescedCheck(store.check)
        results = await asyncio.gather(*(check.run() for _ in range(5)), return_exceptions=True)
        assert all(isinstance(r, ConnectionError) for r in results)
        store.fail = None
        await check.run()

    asyncio.run(scenario())


def test_a_waiter_that_gives_up_does_not_cancel_the_run_for_the_others() -> None:
    store = _Store(seconds=0.05)

    async def scenario() -> None:
        check = CoalescedCheck(store.check)
        impatient = asyncio.create_task(check.run())
        patient = asyncio.create_task(check.run())
        await asyncio.sleep(0.01)
        impatient.cancel()  # a client hung up
        with pytest.raises(asyncio.CancelledError):
            await impatient
        await patient

    asyncio.run(scenario())
    assert store.runs == [0]


def test_a_check_used_again_on_a_new_event_loop_still_runs() -> None:
    store = _Store()
    check = CoalescedCheck(store.check)
    for _ in range(3):  # as when one app is served by several test clients in turn
        asyncio.run(check.run())
    assert len(store.runs) == 3
