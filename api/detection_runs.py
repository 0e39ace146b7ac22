"""Detection runs started over HTTP: one at a time, in a background thread.

A run takes seconds to minutes, longer than an HTTP request should, so
``POST /runs`` reserves the single run slot, records who asked, and hands the
work to a thread; the client polls ``GET /runs/{run_id}``. The slot is a lock
in this process: two servers on one store could still run at once, which is
safe (ids are matched against whatever the store holds when a run saves)
but wasteful.
"""

from __future__ import annotations

import contextvars
import logging
import threading
from collections.abc import Callable, Mapping
from typing import Any, Protocol, Required, TypedDict

from ringwatch.detectors.pipeline import run_detection
from ringwatch.domain import new_run_id, utc_stamp
from ringwatch.graph.capabilities import DetectionStore

log = logging.getLogger(__name__)


class RunDetection(Protocol):
    """Does a detection run on ``store`` and saves it under ``run_id`` with ``extra`` in its record.

    :func:`ringwatch.detectors.pipeline.run_detection` is the one the app
    uses unless it is given another (a test's run that waits, or fails).
    """

    def __call__(self, store: DetectionStore, *, run_id: str, extra: Mapping[str, Any]) -> Any: ...


class BackgroundRun(TypedDict, total=False):
    """A run started here that the store has no record of yet: running, or failed (``error``)."""

    run_id: Required[str]
    status: Required[str]
    backend: Required[str]
    started_at: Required[str]
    started_by: Required[str]
    error: str


class DetectionRunner:
    """The run slot, the thread doing the run, and what became of runs started here.

    ``detect`` does the run; ``on_finish`` is called after every run,
    successful or not (the app uses it to drop its cached rings).
    """

    def __init__(self, store: DetectionStore, *, detect: RunDetection = run_detection,
                 on_finish: Callable[[], None] = lambda: None) -> None:
        self._store = store
        self._detect = detect
        self._on_finish = on_finish
        self._slot = threading.Lock()
        self._records: dict[str, BackgroundRun] = {}
        self._records_lock = threading.Lock()
        self._running: str | None = None
        self._thread: threading.Thread | None = None

    @property
    def running(self) -> str | None:
        """The id of the run in progress, if any."""
        return self._running

    def reserve(self, *, started_by: str) -> str | None:
        """Take the run slot; returns the new run's id, or None while another run holds it."""
        if not self._slot.acquire(blocking=False):
            return None
        run_id = new_run_id()
        self._running = run_id
        with self._records_lock:
            self._records[run_id] = {
                "run_id": run_id, "status": "running", "backend": self._store.backend,
                "started_at": utc_stamp(),
                "started_by": started_by}
        return run_id

    def release(self, run_id: str) -> None:
        """Give the slot back without running (the request failed after reserving)."""
        with self._records_lock:
            self._records.pop(run_id, None)
        self._running = None
        self._slot.release()

    def launch(self, run_id: str, *, extra: Mapping[str, Any]) -> None:
        """Start the reserved run in a thread that carries the request's log context.

        ``extra`` goes into the run's record (who started it, and how).
        """
        context = contextvars.copy_context()
        self._thread = threading.Thread(target=context.run, args=(self._work, run_id, extra),
                                        name=f"detection-{run_id}", daemon=True)
        self._thread.start()

    def _work(self, run_id: str, extra: Mapping[str, Any]) -> None:
        try:
            self._detect(self._store, run_id=run_id, extra=extra)
        except Exception:
            log.exception("detection run %s failed", run_id)
            self._update(run_id, status="failed",
                         error="the run failed; the server log has the details")
        else:
            with self._records_lock:
                self._records.pop(run_id, None)  # the store's run record is the truth now
            log.info("detection run %s finished", run_id)
        finally:
            self._running = None
            try:
                self._on_finish()
            finally:
                self._slot.release()

    def _update(self, run_id: str, *, status: str, error: str) -> None:
        with self._records_lock:
            if run_id in self._records:
                self._records[run_id] = {**self._records[run_id], "status": status, "error": error}

    def records(self) -> list[BackgroundRun]:
        """Runs started here that the store has no record of: running or failed, newest first."""
        with self._records_lock:
            return sorted(self._records.values(), key=lambda r: r["started_at"], reverse=True)

    def record(self, run_id: str) -> BackgroundRun | None:
        with self._records_lock:
            found = self._records.get(run_id)
            return BackgroundRun(**found) if found else None

    def wait(self, timeout: float | None = None) -> bool:
        """Wait for a run in progress; True when none is left running."""
        thread = self._thread
        if thread is not None:
            thread.join(timeout)
            return not thread.is_alive()
        return True
