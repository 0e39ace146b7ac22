"""The command line's and the app's way to a store: their options on top of the environment's settings.

A thin adapter, not a second factory: :func:`ringwatch.stores.open_store` is
the one function that opens a store; :func:`store_for` only folds
``--backend`` and ``--store`` (or the API's settings) into
:meth:`StoreSettings.from_env <ringwatch.store_settings.StoreSettings.from_env>`
and hands the result to it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from ringwatch.graph.store import GraphStore
from ringwatch.store_settings import Backend, BundledNeo4jSettings, StoreSettings
from ringwatch.stores import open_store, quiet_driver_logs

if TYPE_CHECKING:
    from ringwatch.graph.neo4j_bulk import Neo4jBulkImport


def store_for(backend: Backend | str, *, store_dir: Path | None = None,
              create: bool = True) -> GraphStore:
    """The store the command line's options name: ``local`` under ``store_dir`` (default
    ``$RINGWATCH_STORE``), ``neo4j`` from the ``RINGWATCH_NEO4J_*`` variables, opened by
    :func:`ringwatch.stores.open_store` (``create=False``: refuse a local store never loaded)."""
    return open_store(StoreSettings.from_env(backend=backend, store_dir=store_dir), create=create)


def bulk_import_for() -> Neo4jBulkImport:
    """The offline importer's sink for ``ringwatch load --backend neo4j --bulk``, from the
    ``RINGWATCH_NEO4J_*`` variables; refuses a server that is not the bundled one or a database
    that holds anything, before a snapshot is read."""
    from ringwatch.graph.neo4j_bulk import Neo4jBulkImport  # the driver loads only when it is used

    settings = StoreSettings.from_env(backend=Backend.neo4j)
    quiet_driver_logs()
    return Neo4jBulkImport.open(settings.neo4j, BundledNeo4jSettings.from_env())
