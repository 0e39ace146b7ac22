"""The command line's and the app's way to a store: their options on top of the environment's settings.

A thin adapter: :func:`ringwatch.stores.open_store` does the opening; this
only folds ``--backend`` and ``--store`` (or the API's settings) into
:meth:`StoreSettings.from_env <ringwatch.store_settings.StoreSettings.from_env>`.
"""

from __future__ import annotations

from pathlib import Path

from ringwatch import stores
from ringwatch.graph.store import GraphStore
from ringwatch.store_settings import Backend, StoreSettings


def open_store(backend: Backend | str, *, store_dir: Path | None = None,
               create: bool = True) -> GraphStore:
    """Open the chosen store: ``local`` under ``store_dir`` (default ``$RINGWATCH_STORE``),
    ``neo4j`` from the ``RINGWATCH_NEO4J_*`` variables (see :func:`ringwatch.stores.open_store`)."""
    return stores.open_store(StoreSettings.from_env(backend=backend, store_dir=store_dir), create=create)
