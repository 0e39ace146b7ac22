"""First load of a snapshot through Neo4j's offline importer (``ringwatch load --backend neo4j --bulk``).

Why it exists: a first load (a new deployment, a rebuild) of a big snapshot
through the driver writes one ``MERGE`` batch after another, at some ten
thousand rows a second; ``neo4j-admin database import full`` builds the store
files directly, many times faster. It can only do so into an empty database of
a server that is stopped while it runs, so this works with the bundled server
only (``tools/neo4j_launcher``, whose ``neo4jctl`` stops and starts it and runs
``neo4j-admin`` from the same jars), and refuses anything else before the
snapshot is read:

- a database that holds any node (a snapshot, or only API keys, audit entries
  or verdicts, which a new store would lose): :class:`DatabaseNotEmptyError`;
- a server that is not the launcher's, or not on a loopback address:
  :class:`NotBundledServerError`.

The load then writes the import files (:mod:`.neo4j_import_files`), stops the
server, imports, starts it again and creates the same constraints and indexes
(``cypher/schema.cypher``) as a driver load does, and completes a snapshot
generation with the snapshot's projections kept, as a driver load does
(:meth:`Neo4jStore.complete_import`). If the importer fails, the
database is imported again from no rows, so the server comes back empty rather
than with a broken store, and the error names the importer's last lines.
"""

from __future__ import annotations

import logging
import subprocess
import tempfile
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import urlsplit

from ringwatch.store_settings import BundledNeo4jSettings, Neo4jSettings
from ringwatch.tables import Snapshot

from .capabilities import WriteProgress, WriteReport
from .errors import DatabaseNotEmptyError, StoreError, StoreUnavailableError
from .kept_projections import as_kept, prepared_projections
from .neo4j_import_files import write_import_files
from .neo4j_store import Neo4jStore
from .store import check_property_names

log = logging.getLogger(__name__)

T = TypeVar("T")

_LOOPBACK = frozenset({"127.0.0.1", "localhost", "::1"})

#: Memory the importer may take outside its heap (its default, 90% of free memory, is a lot to
#: take on a machine that also runs the server's neighbours).
DEFAULT_IMPORT_MEMORY = "2g"


class NotBundledServerError(StoreError):
    """``--bulk`` asked of a Neo4j that is not the bundled launcher's: nothing can stop it and
    import into its store from here."""


class BulkImportError(StoreError):
    """The offline importer failed (the database was left empty; the message has its last lines)."""


class BundledServer:
    """The bundled Neo4j server as its launcher, ``neo4jctl``, sees it: one data dir, one Bolt port."""

    def __init__(self, settings: BundledNeo4jSettings, *, port: int, password: str) -> None:
        self.launcher = settings.launcher
        self.environment = {**settings.environment, "RINGWATCH_NEO4J_BOLT_PORT": str(port),
                            "RINGWATCH_NEO4J_PASSWORD": password}
        if settings.home is not None:
            self.environment["RINGWATCH_NEO4J_HOME"] = str(settings.home)
        self.port = port

    def _ctl(self, *args: str) -> subprocess.CompletedProcess[str]:
        return subprocess.run([str(self.launcher), *args], env=self.environment, text=True,
                              stdin=subprocess.DEVNULL, capture_output=True, check=False)

    def running(self) -> bool:
        """Whether the launcher's server of this data dir is up and ready on this port."""
        return self.launcher.is_file() and self._ctl("status").returncode == 0

    def stop(self) -> None:
        self._checked("stop")

    def start(self) -> None:
        self._checked("start")

    def import_full(self, database: str, arguments: list[str]) -> subprocess.CompletedProcess[str]:
        """Run ``neo4j-admin database import full DATABASE ARGUMENTS`` on the stopped server's store."""
        return self._ctl("admin", "database", "import", "full", database, *arguments)

    def _checked(self, command: str) -> None:
        done = self._ctl(command)
        if done.returncode != 0:
            raise StoreUnavailableError(f"{self.launcher} {command} failed (exit {done.returncode}): "
                                        f"{_tail(done)}")


class Neo4jBulkImport:
    """A :class:`~ringwatch.graph.capabilities.SnapshotSink` that loads through the offline importer.

    Opened by :meth:`open`, which checks the server and the database before any
    snapshot is read; :meth:`write_snapshot` checks emptiness again right before
    it stops the server. ``import_memory`` bounds the importer's off-heap
    memory; ``staging`` is where the import files go (default: the system's
    temporary directory); they are deleted afterwards.
    """

    backend = "neo4j"

    def __init__(self, settings: Neo4jSettings, server: BundledServer, *,
                 import_memory: str = DEFAULT_IMPORT_MEMORY, staging: Path | None = None) -> None:
        self.settings = settings
        self.uri = settings.uri
        self.server = server
        self.import_memory = import_memory
        self.staging = staging
        self._store = Neo4jStore(settings)

    @classmethod
    def open(cls, settings: Neo4jSettings, bundled: BundledNeo4jSettings, *,
             import_memory: str = DEFAULT_IMPORT_MEMORY, staging: Path | None = None
             ) -> Neo4jBulkImport:
        """The sink, once ``settings`` are known to name the bundled server, up and holding nothing."""
        parts = urlsplit(settings.uri)
        if parts.scheme not in ("bolt", "neo4j") or parts.hostname not in _LOOPBACK:
            raise NotBundledServerError(
                f"--bulk imports into the bundled Neo4j server only (tools/neo4j_launcher, on "
                f"127.0.0.1), not {settings.uri}: load without --bulk")
        server = BundledServer(bundled, port=parts.port or 7687, password=settings.password)
        if not server.running():
            raise NotBundledServerError(
                f"Neo4j at {settings.uri} is not the bundled server of {server.launcher} "
                f"(data dir {bundled.home or 'the launcher default'}; start it with "
                f"neo4jctl start, or set RINGWATCH_NEO4J_HOME and RINGWATCH_NEO4J_LAUNCHER to it), "
                "so --bulk cannot stop it and import: load without --bulk")
        sink = cls(settings, server, import_memory=import_memory, staging=staging)
        try:
            sink._store.verify()
            sink._refuse_unless_empty()
        except BaseException:
            sink.close()
            raise
        return sink

    def __enter__(self) -> Neo4jBulkImport:
        return self

    def __exit__(self, error_type: type[BaseException] | None, error: BaseException | None,
                 tb: TracebackType | None) -> None:
        self.close()

    def close(self) -> None:
        self._store.close()

    def _refuse_unless_empty(self) -> None:
        if not self._store.holds_nothing():
            raise DatabaseNotEmptyError(
                f"--bulk imports into an empty database only, and database "
                f"{self.settings.database!r} at {self.uri} holds nodes (a snapshot, or API keys, "
                "audit entries or verdicts, which the import would delete): load without --bulk")

    def write_snapshot(self, snapshot: Snapshot, *, progress: WriteProgress | None = None,
                       replace: bool = False) -> WriteReport:
        """Import ``snapshot`` into the empty database; ``replace`` changes nothing (it is empty)."""
        check_property_names(snapshot)
        started = time.perf_counter()
        self._refuse_unless_empty()
        # The projections need the snapshot only, not the server: they are computed on a thread
        # while the import files are written and the importer runs (a subprocess).
        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="projections") as pool:
            prepared = pool.submit(_timed, lambda: prepared_projections(as_kept(snapshot)))
            with tempfile.TemporaryDirectory(prefix="ringwatch-import-", dir=self.staging) as scratch:
                files = write_import_files(snapshot, Path(scratch))
                log.info("import files written in %.1f s", time.perf_counter() - started)
                self._store.close()
                _, seconds = _timed(self.server.stop)
                log.info("server stopped in %.1f s", seconds)
                try:
                    _, seconds = _timed(self._import, files.arguments(), Path(scratch))
                    log.info("imported in %.1f s", seconds)
                finally:
                    _, seconds = _timed(self.server.start)
                    log.info("server started in %.1f s", seconds)
                    self._store = Neo4jStore(self.settings)
            projections, seconds = prepared.result()
            log.info("projections computed in %.1f s, beside the import", seconds)
        _, seconds = _timed(self._store.create_schema)
        log.info("constraints and indexes created in %.1f s", seconds)
        self._store.complete_import(snapshot, prepared=projections)
        if progress:
            for table, rows in files.rows.items():
                progress(table, rows)
        return WriteReport(files.rows, time.perf_counter() - started)

    @property
    def store(self) -> Neo4jStore:
        """The Neo4j store on the database this sink imported into, open until :meth:`close`.

        ``ringwatch run`` detects through it: it holds the projections the import
        kept in memory (:meth:`Neo4jStore.complete_import`), so detection reads
        none of them back.
        """
        return self._store

    def _import(self, arguments: list[str], scratch: Path) -> None:
        options = ["--overwrite-destination=true", "--id-type=integer",
                   f"--max-off-heap-memory={self.import_memory}",
                   f"--report-file={scratch / 'import.report'}"]
        done = self.server.import_full(self.settings.database, [*options, *arguments])
        if done.returncode == 0:
            log.debug("importer: %s", _tail(done))
            return
        # A failed import leaves a half-written store: make it an empty one again.
        empty = scratch / "empty.csv"
        empty.write_text(":ID\n")
        restored = self.server.import_full(self.settings.database,
                                           [*options, f"--nodes={empty}"])
        state = ("the database was left empty" if restored.returncode == 0 else
                 f"restoring an empty database failed too: {_tail(restored)}")
        raise BulkImportError(f"neo4j-admin database import failed (exit {done.returncode}); "
                              f"{state}: {_tail(done)}")

    def counts(self) -> dict[str, int]:
        return self._store.counts()


def _timed(function: Callable[..., T], *args: Any) -> tuple[T, float]:
    """``function(*args)`` and the seconds it took (on its thread)."""
    started = time.perf_counter()
    return function(*args), time.perf_counter() - started


def _tail(done: subprocess.CompletedProcess[str], lines: int = 5) -> str:
    text = "\n".join(part for part in (done.stdout, done.stderr) if part).strip()
    return " / ".join(text.splitlines()[-lines:]) or "no output"


__all__ = ["BulkImportError", "BundledServer", "DatabaseNotEmptyError", "Neo4jBulkImport",
           "NotBundledServerError"]
