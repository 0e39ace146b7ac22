"""The embedded store: the graph kept as keyed tables (Parquet) in one directory, no server.

Why tables and not an in-memory graph library: every detector reads
projections (aggregations over edges), which pandas computes vectorised from
the tables in seconds at ten million rows, and Parquet persists them so that a
later ``detect`` or ``serve`` process sees what ``load`` wrote. Node and
relationship counts follow the same graph model as the Neo4j store.
"""

from __future__ import annotations

import json
import os
import tempfile
import time
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa
from ringwatch.loaders import TABLES, Snapshot
from ringwatch.loaders.validate import absent_column

from .model import IDENTIFIER_LABELS
from .projections import from_tables
from .store import GraphStore, WriteProgress, WriteReport

DEFAULT_STORE_DIR = ".ringwatch/store"


def default_store_dir() -> Path:
    """Where the local store lives: ``$RINGWATCH_STORE``, else ``./.ringwatch/store``."""
    return Path(os.environ.get("RINGWATCH_STORE", DEFAULT_STORE_DIR))


class LocalStore(GraphStore):
    """Keyed Parquet tables under ``directory/tables``, rings and runs as JSON beside them."""

    backend = "local"

    def __init__(self, directory: Path | str | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_store_dir()
        (self.directory / "tables").mkdir(parents=True, exist_ok=True)
        self._cache: dict[str, pd.DataFrame] = {}

    # --- tables ---------------------------------------------------------------------------

    def _table_path(self, name: str) -> Path:
        return self.directory / "tables" / f"{name}.parquet"

    def table(self, name: str) -> pd.DataFrame:
        """A stored table (contract columns even when nothing was loaded yet)."""
        if name not in self._cache:
            path = self._table_path(name)
            if path.exists():
                self._cache[name] = pd.read_parquet(path)
            else:
                spec = next(t for t in TABLES if t.name == name)
                self._cache[name] = pa.table(
                    {c.name: absent_column(c, 0) for c in spec.columns}).to_pandas()
        return self._cache[name]

    def tables(self) -> dict[str, pd.DataFrame]:
        return {spec.name: self.table(spec.name) for spec in TABLES}

    def write_snapshot(self, snapshot: Snapshot, *,
                       progress: WriteProgress | None = None) -> WriteReport:
        started = time.perf_counter()
        written: dict[str, int] = {}
        for spec in TABLES:
            new = snapshot[spec.name]
            written[spec.name] = len(new)
            if new.empty and self._table_path(spec.name).exists():
                continue
            old = self.table(spec.name)
            merged = new if old.empty else pd.concat([old, new], ignore_index=True)
            merged = merged.drop_duplicates(list(spec.key), keep="last", ignore_index=True)
            _atomic_parquet(merged, self._table_path(spec.name))
            self._cache[spec.name] = merged
            if progress:
                progress(spec.name, len(new))
        return WriteReport(written, time.perf_counter() - started)

    def counts(self) -> dict[str, int]:
        t = self.tables()
        links = t["identity_links"]
        orders = t["orders"]
        creators = t["creators"]
        identifiers = links.drop_duplicates(["identifier_type", "identifier"])
        per_type = identifiers["identifier_type"].value_counts()
        buyers = pd.concat([orders["buyer_id"],
                            links.loc[links["account_type"] == "buyer", "account_id"]]).nunique()
        sellers = pd.concat([t["shops"]["seller_id"],
                             links.loc[links["account_type"] == "seller", "account_id"]]).nunique()
        counts = {
            "Creator": len(creators), "Shop": len(t["shops"]), "Seller": sellers,
            "Buyer": buyers, "Order": len(orders), "Commission": len(t["commissions"]),
            "Agency": creators["agency_id"].dropna().nunique(),
            **{label: int(per_type.get(kind, 0)) for kind, label in IDENTIFIER_LABELS.items()},
            "Violation": len(t["violations"]), "AllowlistEntry": len(t["allowlist"]),
            "OWNS": len(t["shops"]), "USES": len(links), "PLACED": len(orders),
            "FROM": len(orders), "ATTRIBUTED_TO": int(orders["creator_id"].notna().sum()),
            "EARNED": len(t["commissions"]), "FOR": len(t["commissions"]),
            "PROMOTES": len(t["affiliations"]),
            "MEMBER_OF": int(creators["agency_id"].notna().sum()),
            "COMMITTED": len(t["violations"]),
        }
        return {k: int(v) for k, v in counts.items()}

    def projection(self, name: str) -> pd.DataFrame:
        return from_tables(self.tables(), name)

    # --- rings and runs ----------------------------------------------------------------------

    def _json(self, name: str) -> list[dict[str, Any]]:
        path = self.directory / f"{name}.json"
        return json.loads(path.read_text()) if path.exists() else []

    def save_run(self, run: dict[str, Any], rings: Iterable[dict[str, Any]]) -> None:
        stored = {r["ring_id"]: r for r in self._json("rings")}
        for ring in rings:
            stored[ring["ring_id"]] = ring
        runs = [r for r in self._json("runs") if r["run_id"] != run["run_id"]] + [run]
        _atomic_text(json.dumps(list(stored.values())), self.directory / "rings.json")
        _atomic_text(json.dumps(runs), self.directory / "runs.json")

    def rings(self) -> list[dict[str, Any]]:
        return sorted(self._json("rings"), key=lambda r: (-r["score"], r["ring_id"]))

    def runs(self) -> list[dict[str, Any]]:
        return self._json("runs")

    def clear(self) -> None:
        for path in (self.directory / "tables").glob("*.parquet"):
            path.unlink()
        for name in ("rings.json", "runs.json"):
            (self.directory / name).unlink(missing_ok=True)
        self._cache.clear()


def _atomic_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write then rename, so a reader never sees half a table."""
    tmp = path.with_suffix(".parquet.tmp")
    frame.to_parquet(tmp, index=False)
    tmp.replace(path)


def _atomic_text(text: str, path: Path) -> None:
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as f:
        f.write(text)
    Path(f.name).replace(path)
