"""The local store's file writes during a load, on a thread of their own.

Why: a load's Parquet writes (encoding, compression, the bytes to the file)
are a third of writing the store, and pyarrow does them without holding the
interpreter. On their own thread they overlap the pandas work that the load
does meanwhile (the repeated-key check of the next table, the projections),
which needs the interpreter: on two cores, most of the writing disappears
from the load's time. A second thread computing projections instead was
measured and overlaps nothing, as both hold the interpreter.

One writer thread, so the files are written one at a time in the order they
were given, and what was done is reported to the caller in that order, from
the caller's thread.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path
from types import TracebackType

#: Called, on the caller's thread, once a file given to :meth:`BackgroundWrites.submit` is written.
Written = Callable[[], None]


class BackgroundWrites:
    """Writes handed to one background thread, each followed by its ``written`` callback.

    Use as a context manager: leaving the block waits for every write and runs
    the remaining callbacks (a write's error is raised there, or by the next
    :meth:`report_done`), so nothing the load commits can be half written.
    """

    def __init__(self, *, name: str = "parquet") -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix=name)
        self._queue: deque[tuple[Future[Path], Written | None]] = deque()

    def submit(self, write: Callable[[Path], None], path: Path, written: Written | None = None) -> None:
        """Write ``path`` by ``write(path)`` on the writer thread; ``written`` runs once it is done."""
        self._queue.append((self._pool.submit(_write, write, path), written))
        self.report_done()

    def report_done(self) -> None:
        """Run the callbacks of the writes finished so far, in the order they were given."""
        while self._queue and self._queue[0][0].done():
            self._finish(*self._queue.popleft())

    def wait(self) -> None:
        """Wait for every write given so far and run their callbacks."""
        while self._queue:
            self._finish(*self._queue.popleft())

    def _finish(self, future: Future[Path], written: Written | None) -> None:
        future.result()
        if written is not None:
            written()

    def __enter__(self) -> BackgroundWrites:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        try:
            if kind is None:
                self.wait()
        finally:
            self._pool.shutdown(wait=True, cancel_futures=True)


def _write(write: Callable[[Path], None], path: Path) -> Path:
    write(path)
    return path
