"""Independent pieces of one command's work over forked worker processes, so it uses every core.

What a command computes is pandas and igraph holding the interpreter most of
the time, so threads do not run it at once; processes do. Workers are forked
from the command's process: what the pieces read (a detection's context, the
projections a report draws from) is shared copy-on-write, never pickled, and only what
each piece returns comes back, through a pipe. The command's process is a
worker too. Pieces are taken from one queue in the order given (put the
costliest first: the last to start are then short), so the count of workers
never changes which piece computes what, only where.

What a worker logs is sent back with its results and logged by the command's
process, so the command's handlers (and their locks, which a fork may have
caught held by another thread) are never used in a child. A worker that dies
(killed, out of memory) loses nothing: the command's process does the pieces
it did not send back, and says so. An error a piece raises in a worker is
raised in the command's process, as it would have been there.

Where fork is missing (Windows, macOS' default), with one worker, or with one
piece, everything runs in this process. ``RINGWATCH_WORKERS`` sets the count
(``1``: one process); the default is the cores this process may use.

>>> over_workers([3, 1, 2], lambda n, worker: n * n, workers=2)
[9, 1, 4]
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import pickle
import signal
import sys
import threading
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from multiprocessing.connection import Connection
from typing import Any, TypeVar

from ringwatch import RingwatchError

log = logging.getLogger(__name__)

#: The environment variable that sets how many processes a command's work may use.
WORKERS_ENV = "RINGWATCH_WORKERS"

Piece = TypeVar("Piece")
Result = TypeVar("Result")


class WorkersError(RingwatchError, ValueError):
    """``RINGWATCH_WORKERS`` is not a positive whole number."""


def workers_from_env(environ: Mapping[str, str] = os.environ) -> int:
    """How many processes a command's work may use: ``RINGWATCH_WORKERS``, or every core this
    process may run on.

    >>> workers_from_env({"RINGWATCH_WORKERS": "1"})
    1
    >>> workers_from_env({"RINGWATCH_WORKERS": "0"})  # doctest: +ELLIPSIS
    Traceback (most recent call last):
    ...
    ringwatch.forked.WorkersError: RINGWATCH_WORKERS must be ... (got '0')
    """
    given = environ.get(WORKERS_ENV, "").strip()
    if not given:
        return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    if not given.isdigit() or int(given) < 1:
        raise WorkersError(f"{WORKERS_ENV} must be a whole number of processes, 1 or more (got {given!r})")
    return int(given)


def can_fork() -> bool:
    """Whether worker processes can be forked here (they share memory without pickling it)."""
    return "fork" in multiprocessing.get_all_start_methods()


def over_workers(pieces: Sequence[Piece], work: Callable[[Piece, int], Result], *, workers: int,
                 finished: Callable[[int], None] | None = None,
                 named: Callable[[Piece], str] = repr) -> list[Result]:
    """``work(piece, worker)`` for every piece, over up to ``workers`` processes; in piece order.

    ``worker`` is 0 in this process and 1, 2, ... in the forked ones (a piece may
    say where it ran). Results from workers must pickle. ``finished`` is called
    here with each piece's index as it ends here or its result arrives; ``named``
    says a piece in the log. A thread running at the fork could hold a lock a
    worker then waits on forever, such as that of a module it was importing: no
    fork happens while another thread imports, and a caller's own threads are
    best started after this returns.
    """
    note = finished or (lambda _: None)
    workers = min(workers, len(pieces))
    if workers <= 1 or not can_fork() or not _quiet_threads():
        return [_done(work(piece, 0), index, note) for index, piece in enumerate(pieces)]
    fork = multiprocessing.get_context("fork")
    try:
        taken = fork.Value("i", 0)  # a counter in shared memory, behind a semaphore
    except OSError as exc:  # no shared memory here (a container without /dev/shm, say)
        log.info("no worker processes (%s): working in this process only", exc)
        return over_workers(pieces, work, workers=1, finished=finished, named=named)
    for stream in (sys.stdout, sys.stderr):  # or a worker would write out their buffers again
        if stream is not None:
            stream.flush()
    children = []
    for number in range(1, workers):
        receive, send = fork.Pipe(duplex=False)
        child = fork.Process(target=_work, args=(pieces, work, number, taken, send, os.getpid()),
                             name=f"ringwatch-worker-{number}", daemon=True)
        child.start()
        send.close()
        children.append((child, receive))
    results: dict[int, Result] = {}
    try:
        while (index := _take(len(pieces), taken)) is not None:
            results[index] = _done(work(pieces[index], 0), index, note)
    except BaseException:
        for child, receive in children:
            child.kill()
            child.join()
            receive.close()
        raise
    failures = [_collect(child, receive, results, note) for child, receive in children]
    failure = next((f for f in failures if f is not None), None)
    if failure is not None:
        raise failure
    for index, piece in enumerate(pieces):
        if index not in results:  # taken by a worker that died before sending it
            log.warning("a worker died before sending %s: doing it in this process", named(piece))
            results[index] = _done(work(piece, 0), index, note)
    return [results[index] for index in range(len(pieces))]


def _quiet_threads(wait: float = 1.0) -> bool:
    """Whether no other thread of this process is importing a module (a worker forked then
    would wait forever on the module's lock), waiting up to ``wait`` seconds for them to
    finish; False (do the work in this process) if one still is."""
    me = threading.get_ident()
    deadline = time.monotonic() + wait
    while True:
        importing = False
        for ident, frame in sys._current_frames().items():
            while ident != me and frame is not None and not importing:
                importing = frame.f_code.co_filename.startswith("<frozen importlib")
                frame = frame.f_back
        if not importing:
            return True
        if time.monotonic() > deadline:
            log.info("another thread is importing a module: working in this process only")
            return False
        time.sleep(0.01)


def _done(result: Result, index: int, note: Callable[[int], None]) -> Result:
    note(index)
    return result


def _take(count: int, taken: Any) -> int | None:
    """The index of the next piece no worker has taken, or None when all are."""
    with taken.get_lock():
        index = taken.value
        if index >= count:
            return None
        taken.value = index + 1
    return index


def _work(pieces: Sequence[Any], work: Callable[[Any, int], Any], worker: int, taken: Any,
          send: Connection, parent: int) -> None:
    """A worker: take pieces until none is left, then send all it did at once (a pipe holds
    64 KiB: a send before the end would wait for the command's process to finish its own
    pieces, and this worker would take nothing more meanwhile)."""
    _die_with_parent(parent)
    records = _KeptRecords()
    for logger in [logging.getLogger(), *logging.Logger.manager.loggerDict.values()]:
        if isinstance(logger, logging.Logger):  # (the rest are placeholders, with no handlers)
            for handler in logger.handlers[:]:
                logger.removeHandler(handler)
            if logger is logging.getLogger() or not logger.propagate:
                logger.addHandler(records)
    done: list[tuple[int, Any]] = []
    try:
        while (index := _take(len(pieces), taken)) is not None:
            done.append((index, work(pieces[index], worker)))
    except BaseException as exc:  # sent to the command's process, which raises it
        send.send(("failed", _portable(exc), records.drain()))
    else:
        send.send(("done", done, records.drain()))
    finally:
        send.close()


def _die_with_parent(parent: int) -> None:
    """On Linux, have the kernel kill this worker when the command's process (``parent``) dies:
    killed at the worst moment, it leaves no worker writing behind it."""
    try:
        import ctypes

        ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):  # not Linux: the worker ends when its pieces do
        return
    if os.getppid() != parent:  # the parent died before the request took hold
        os._exit(1)


def _collect(child: multiprocessing.process.BaseProcess, receive: Connection,
             results: dict[int, Any], note: Callable[[int], None]) -> BaseException | None:
    """Read a worker's results into ``results``; the error it raised, if any. Its log records
    are logged here, in the order it made them. A worker that died sends nothing."""
    try:
        what, payload, records = receive.recv()
    except EOFError:
        child.join()
        log.warning("worker %s ended (exit code %s) before it was done", child.name, child.exitcode)
        return None
    finally:
        receive.close()
    child.join()
    for record in records:
        logging.getLogger(record.name).handle(record)
    if what == "failed":
        return payload
    for index, result in payload:
        results[index] = result
        note(index)
    return None


def _portable(exc: BaseException) -> BaseException:
    """``exc`` if it pickles, else a RuntimeError carrying its traceback's text."""
    try:
        pickle.loads(pickle.dumps(exc))
        return exc
    except Exception:
        return RuntimeError("a worker process failed:\n" + "".join(traceback.format_exception(exc)))


class _KeptRecords(logging.Handler):
    """A worker's log records, kept to be sent to the command's process with its results."""

    def __init__(self) -> None:
        super().__init__()
        self.kept: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        record.msg = record.getMessage()
        record.args = None
        if record.exc_info:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
            record.exc_info = None
        self.kept.append(record)

    def drain(self) -> list[logging.LogRecord]:
        kept, self.kept = self.kept, []
        return kept
