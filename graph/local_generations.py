"""The local store's snapshot generations: a load becomes visible only once it is complete.

Why: a ``load`` killed in the middle of writing (SIGKILL, a power cut, a full
disk) used to leave some tables new and others old or missing, and ``detect``
then ran on that half graph without a word. Now every load writes a whole new
generation, one directory of Parquet tables under ``tables/``, and only then
switches the pointer file ``tables/CURRENT`` to it: the pointer is written
last, with ``fsync`` and an atomic rename, so a reader sees either the previous
generation or the new one, never a mix. Every reader resolves the pointer
first.

Layout (``tables/`` is :class:`~ringwatch.graph.local_graph.LocalGraph`'s directory)::

    tables/CURRENT            {"generation": "g-...", "previous": "g-..." | null}
    tables/g-<time>-<hex>/    one generation: <table>.parquet per contract table
    tables/<table>.parquet    a store written before generations existed (read as "legacy")

A directory that ``CURRENT`` does not name is a load that never finished (or
one that is still running). The previous generation is kept until the next
load completes, so a reader that resolved the pointer just before a switch can
still open its files; anything older, and any unfinished directory, is removed
by the next load under the store's lock.
"""

from __future__ import annotations

import json
import shutil
import time
import uuid
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from ringwatch.durable import fsync_directory, fsync_path

from .errors import IncompleteGenerationError
from .local_files import atomic_text, file_stamp

#: The pointer file's name inside the tables directory.
POINTER = "CURRENT"
#: The name under which a store written before generations existed is reported.
LEGACY = "legacy"
_PREFIX = "g-"


@dataclass(frozen=True)
class Generation:
    """One generation's name and directory."""

    name: str
    directory: Path


class Generations:
    """The generations under one tables directory: which is current, new ones, the switch."""

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self._pointer = directory / POINTER
        self._seen: tuple[tuple[int, int, int] | None, Generation | None] | None = None
        self._syncing: ThreadPoolExecutor | None = None
        self._pending: list[Future[Path]] = []

    def current(self) -> Generation | None:
        """The complete generation readers see; ``None`` when nothing was ever loaded.

        Raises :class:`IncompleteGenerationError` naming the generation when the
        only one there is was never completed. Cheap: the pointer is re-read
        only when its file changed.
        """
        stamp = file_stamp(self._pointer)
        if self._seen is not None and self._seen[0] == stamp and stamp is not None:
            return self._seen[1]
        if stamp is None:
            found = self._without_pointer()
        else:
            name = json.loads(self._pointer.read_text(encoding="utf-8"))["generation"]
            found = Generation(name, self.directory / name)
        self._seen = (stamp, found)
        return found

    def _without_pointer(self) -> Generation | None:
        """A store without a pointer: legacy tables, nothing, or only an unfinished load."""
        if any(self.directory.glob("*.parquet")):
            return Generation(LEGACY, self.directory)
        unfinished = sorted(p.name for p in self.directory.glob(f"{_PREFIX}*") if p.is_dir())
        if unfinished:
            raise IncompleteGenerationError(
                f"the store's only snapshot generation {unfinished[-1]} in {self.directory} is "
                "incomplete (its load was interrupted, or is still running): load the snapshot again")
        return None

    def begin(self) -> Generation:
        """A new, empty generation directory; invisible to readers until :meth:`commit`."""
        name = f"{_PREFIX}{time.strftime('%Y%m%dT%H%M%S', time.gmtime())}-{uuid.uuid4().hex[:8]}"
        directory = self.directory / name
        directory.mkdir(parents=True)
        return Generation(name, directory)

    def written(self, path: Path) -> None:
        """Start making a table file of a new generation durable, in the background.

        The ``fsync`` of one table overlaps the writing of the next, so making
        the generation durable costs a load almost no time; :meth:`commit`
        waits for all of them before it switches the pointer.
        """
        if self._syncing is None:
            self._syncing = ThreadPoolExecutor(max_workers=1, thread_name_prefix="fsync")
        self._pending.append(self._syncing.submit(fsync_path, path))

    def commit(self, new: Generation, previous: Generation | None) -> None:
        """Make ``new`` the current generation: its files durable first, then the pointer.

        The caller holds the store's lock. After the switch, every generation
        but ``new`` and ``previous`` is removed (unfinished ones included).
        """
        pending, self._pending = self._pending, []
        synced = {future.result() for future in pending}
        for path in new.directory.iterdir():
            if path not in synced:  # carried over by a hard link: clean already, a cheap fsync
                fsync_path(path)
        fsync_directory(new.directory)
        doc = {"generation": new.name, "previous": previous.name if previous else None}
        atomic_text(json.dumps(doc) + "\n", self._pointer)
        self._seen = None
        self._remove_all_but({new.name} | ({previous.name} if previous else set()))

    def clear(self) -> None:
        """Remove the pointer and every generation (``clear`` of the whole store)."""
        self._pointer.unlink(missing_ok=True)
        self._seen = None
        self._remove_all_but(set())
        fsync_directory(self.directory)

    def _remove_all_but(self, keep: set[str]) -> None:
        """Delete the generations not in ``keep``; legacy tables count as generation ``legacy``."""
        for path in self.directory.glob(f"{_PREFIX}*"):
            if path.is_dir() and path.name not in keep:
                shutil.rmtree(path, ignore_errors=True)
        if LEGACY not in keep:
            for path in self.directory.glob("*.parquet"):
                path.unlink(missing_ok=True)

