"""The local store's files: its one lock and the atomic ways it replaces a file.

The API server and a detection run may write the store at the same time, from
threads and from processes, and two loads may write its tables at the same
time, so every read-change-write (a whole snapshot write included) holds the
store's :class:`StoreLock`, and every file is replaced by an atomic rename
after an ``fsync``. The tables (:mod:`~ringwatch.graph.local_graph`) and the
documents (:mod:`~ringwatch.graph.local_documents`) share one lock, so that
``load --replace`` can clear both under it.
"""

from __future__ import annotations

import fcntl
import os
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from ringwatch.durable import PRIVATE_FILE_MODE, fsync_directory

from .kept_projections import write_parquet

#: Serialises every locked section of every local store in this process. ``flock`` alone
#: would do between processes; this keeps threads out of each other's way without
#: depending on how the platform treats two ``flock``s from one process.
_PROCESS_LOCK = threading.Lock()


class StoreLock:
    """The write lock of one store directory: against other threads, then other processes.

    Not reentrant: a section that holds it calls only ``*_locked`` methods.
    """

    def __init__(self, directory: Path) -> None:
        self.path = directory / ".lock"

    @contextmanager
    def held(self) -> Iterator[None]:
        """Hold the lock for the ``with`` block.

        The ``flock`` is released when its descriptor is closed, also when the
        process dies, so a crashed writer never leaves the store locked.
        """
        with _PROCESS_LOCK:
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, PRIVATE_FILE_MODE)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)


def file_stamp(path: Path) -> tuple[int, int, int] | None:
    """What tells a cached file from a rewritten one: its inode, size and modification time.

    Every write replaces the file by a rename, so a rewrite shows a new inode
    (or, should the inode be reused, most likely a new size or time); the
    modification time alone can repeat within one clock tick.
    """
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return status.st_ino, status.st_size, status.st_mtime_ns


def atomic_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write then rename, so a reader never sees half a table."""
    tmp = path.with_suffix(".parquet.tmp")
    write_parquet(frame, tmp)
    tmp.replace(path)


def atomic_text(text: str, path: Path) -> None:
    """Write, ``fsync`` and rename, so a reader never sees half a file and a crash never loses a write."""
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    Path(f.name).replace(path)
    fsync_directory(path.parent)
