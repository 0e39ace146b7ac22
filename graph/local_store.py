"""The embedded store: the graph kept as keyed tables (Parquet) in one directory, no server.

Why tables and not an in-memory graph library: every detector reads
projections (aggregations over edges), which pandas computes vectorised from
the tables in seconds at ten million rows, and Parquet persists them so that a
later ``detect`` or ``serve`` process sees what ``load`` wrote. Node and
relationship counts follow the same graph model as the Neo4j store.

Rings, runs, API keys and the audit log are JSON beside the tables. The API
server and a detection run may write them at the same time, from threads and
from processes, and two loads may write the tables at the same time, so every
read-change-write (a whole snapshot write included) holds :meth:`LocalStore._exclusive`
(a process-wide lock and an ``flock`` on ``directory/.lock``), and every file is
replaced by an atomic rename after an ``fsync`` (the audit log is appended to, and
``fsync``-ed, instead).
"""

from __future__ import annotations

import fcntl
import heapq
import json
import logging
import os
import tempfile
import threading
import time
from collections.abc import Hashable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow as pa

from ringwatch.domain import LINKED_ACCOUNT_TYPES
from ringwatch.durable import fsync_directory
from ringwatch.loaders import TABLES, Snapshot
from ringwatch.loaders.validate import absent_column

from .model import IDENTIFIER_LABELS
from .projections import from_tables
from .store import (
    GraphStore,
    KeyRevocation,
    Node,
    WriteProgress,
    WriteReport,
    check_account_type,
    check_api_key,
    check_property_names,
    default_audit_id,
    new_version,
    node_order,
    sorted_api_keys,
    sorted_identifiers,
    upserted_api_key,
)

log = logging.getLogger(__name__)

DEFAULT_STORE_DIR = ".ringwatch/store"

#: Serialises every locked section of every LocalStore in this process. ``flock`` alone
#: would do between processes; this keeps threads out of each other's way without
#: depending on how the platform treats two ``flock``s from one process.
_PROCESS_LOCK = threading.Lock()


def default_store_dir() -> Path:
    """Where the local store lives: ``$RINGWATCH_STORE``, else ``./.ringwatch/store``."""
    return Path(os.environ.get("RINGWATCH_STORE", DEFAULT_STORE_DIR))


class LocalStore(GraphStore):
    """Keyed Parquet tables under ``directory/tables``, rings and runs as JSON beside them."""

    backend = "local"
    embedded = True

    def __init__(self, directory: Path | str | None = None) -> None:
        self.directory = Path(directory) if directory is not None else default_store_dir()
        (self.directory / "tables").mkdir(parents=True, exist_ok=True)
        self._cache: dict[str, pd.DataFrame] = {}
        self._stamps: dict[str, tuple[int, int, int] | None] = {}

    # --- tables ---------------------------------------------------------------------------

    def _table_path(self, name: str) -> Path:
        return self.directory / "tables" / f"{name}.parquet"

    def table(self, name: str) -> pd.DataFrame:
        """A stored table (contract columns even when nothing was loaded yet).

        Cached per process, but re-read when the file changed: a long-running
        ``serve`` sees what a ``load`` in another process wrote.
        """
        stamp = _stamp(self._table_path(name))
        if name not in self._cache or self._stamps.get(name) != stamp:
            self._cache[name] = self._read_table(name)
            self._stamps[name] = stamp
        return self._cache[name]

    def _read_table(self, name: str) -> pd.DataFrame:
        """A table as it is on disk now, bypassing the cache (contract columns when absent)."""
        path = self._table_path(name)
        if path.exists():
            return pd.read_parquet(path)
        spec = next(t for t in TABLES if t.name == name)
        return pa.table({c.name: absent_column(c, 0) for c in spec.columns}).to_pandas()

    def tables(self) -> dict[str, pd.DataFrame]:
        return {spec.name: self.table(spec.name) for spec in TABLES}

    def write_snapshot(self, snapshot: Snapshot, *, progress: WriteProgress | None = None,
                       replace: bool = False) -> WriteReport:
        """Merge each table into its stored one (a later row wins by key), holding the store's lock.

        Each table is a read-merge-write of its whole file: two loads into one
        store that both read a table before either wrote it would each write
        back only their own rows, and one load's rows would be lost while both
        succeed. So the whole write holds :meth:`_exclusive` (loads from any
        process take turns) and merges with the table as it is on disk now,
        never with a copy cached before the lock was taken.
        """
        check_property_names(snapshot)
        started = time.perf_counter()
        written: dict[str, int] = {}
        with self._exclusive():
            if replace:
                self._clear_locked()
            for spec in TABLES:
                new = snapshot[spec.name]
                written[spec.name] = len(new)
                path = self._table_path(spec.name)
                if new.empty and path.exists():
                    if progress:
                        progress(spec.name, 0)
                    continue
                old = self._read_table(spec.name)
                merged = new if old.empty else pd.concat([old, new], ignore_index=True)
                merged = merged.drop_duplicates(list(spec.key), keep="last", ignore_index=True)
                _atomic_parquet(merged, path)
                self._cache[spec.name] = merged
                self._stamps[spec.name] = _stamp(path)
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

    @contextmanager
    def _exclusive(self) -> Iterator[None]:
        """Hold the store's write lock: against other threads, then other processes.

        The ``flock`` is released when its descriptor is closed, also when the
        process dies, so a crashed writer never leaves the store locked.
        """
        with _PROCESS_LOCK:
            fd = os.open(self.directory / ".lock", os.O_RDWR | os.O_CREAT, 0o644)
            try:
                fcntl.flock(fd, fcntl.LOCK_EX)
                yield
            finally:
                os.close(fd)

    def save_run(self, run: dict[str, Any], rings: Iterable[dict[str, Any]]) -> None:
        rings = list(rings)
        with self._exclusive():
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

    def ring(self, ring_id: str) -> dict[str, Any] | None:
        return next((r for r in self._json("rings") if r["ring_id"] == ring_id), None)

    def update_ring(self, ring: dict[str, Any], *, expected_version: int) -> bool:
        new_version(ring, expected_version)
        with self._exclusive():
            stored = self._json("rings")
            for i, old in enumerate(stored):
                if old["ring_id"] == ring["ring_id"]:
                    if (old.get("version") or 0) != expected_version:
                        return False
                    stored[i] = ring
                    _atomic_text(json.dumps(stored), self.directory / "rings.json")
                    return True
            return False

    # --- audit log and API keys --------------------------------------------------------------

    @property
    def _audit_path(self) -> Path:
        return self.directory / "audit.jsonl"

    def append_audit(self, entry: dict[str, Any]) -> None:
        with self._exclusive():
            path = self._audit_path
            seq = _last_audit_seq(path) + 1
            record = {**entry, "seq": seq, "audit_id": entry.get("audit_id") or default_audit_id(seq)}
            line = (json.dumps(record) + "\n").encode()
            created = not path.exists()
            with path.open("ab") as f:
                if not created and _ends_without_newline(path):
                    # A torn last line from a crashed writer: keep it apart from this entry.
                    f.write(b"\n")
                f.write(line)
                f.flush()
                os.fsync(f.fileno())
            if created:
                fsync_directory(path.parent)

    def audit_entries(self) -> list[dict[str, Any]]:
        path = self._audit_path
        if not path.exists():
            return []
        entries = []
        with path.open("rb") as f:
            for number, line in enumerate(f, start=1):
                record = _audit_record(line)
                if record is not None:
                    entries.append(record)
                elif line.endswith(b"\n") and line.strip():
                    # (A last line without its newline may be an append still being written.)
                    log.warning("%s line %d is not a whole audit entry (a torn write?); skipped",
                                path, number)
        return sorted(entries, key=lambda e: e["seq"])

    @property
    def _keys_path(self) -> Path:
        return self.directory / "api_keys.json"

    def save_api_key(self, key: dict[str, Any]) -> None:
        check_api_key(key)
        with self._exclusive():
            keys = self._json("api_keys")
            stored = next((k for k in keys if k["key_id"] == key["key_id"]), None)
            keys = [k for k in keys if k["key_id"] != key["key_id"]] + [upserted_api_key(stored, key)]
            _atomic_text(json.dumps(keys), self._keys_path)

    def api_keys(self) -> list[dict[str, Any]]:
        return sorted_api_keys(self._json("api_keys"))

    def revoke_api_key(self, key_id: str, *, at: str) -> KeyRevocation | None:
        with self._exclusive():
            keys = self._json("api_keys")
            for i, stored in enumerate(keys):
                if stored["key_id"] == key_id:
                    if stored.get("revoked_at"):
                        return KeyRevocation(stored, revoked_now=False)
                    keys[i] = {**stored, "revoked_at": at}
                    _atomic_text(json.dumps(keys), self._keys_path)
                    return KeyRevocation(keys[i], revoked_now=True)
            return None

    def record_api_key_use(self, key_id: str, *, at: str) -> None:
        with self._exclusive():
            keys = self._json("api_keys")
            for i, stored in enumerate(keys):
                if stored["key_id"] == key_id and str(stored.get("last_used_at") or "") < at:
                    keys[i] = {**stored, "last_used_at": at}
                    _atomic_text(json.dumps(keys), self._keys_path)
                    return

    def api_keys_revision(self) -> Hashable:
        """The keys file's inode, size and times (one ``stat``, no read).

        Every write replaces the file by a rename of a new file, made while the
        old one still exists, so each write changes the inode it shows; with
        the size and the nanosecond times on top, two states compare equal
        only if nothing was written in between (short of writes within one
        clock tick that end with a file of the very same size on a reused inode).
        """
        try:
            status = os.stat(self._keys_path)
        except FileNotFoundError:
            return None
        return status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns

    # --- accounts and neighbourhoods ---------------------------------------------------------
    #
    # Computed from the tables with vectorised scans (one pass over each table a question
    # needs, for a whole frontier at once): about 0.2 s per 10M-row column. An index per
    # column (factorised codes + sort order) would make lookups O(log n) but costs seconds
    # to build and ~100 MB per column at that size; not worth it yet.

    def _account_exists(self, account_type: str, account_id: str) -> bool:
        if account_type == "creator":
            return bool((self.table("creators")["creator_id"] == account_id).any())
        if account_type == "shop":
            return bool((self.table("shops")["shop_id"] == account_id).any())
        links = self.table("identity_links")
        linked = ((links["account_id"] == account_id) & (links["account_type"] == account_type)).any()
        if linked:
            return True
        if account_type == "seller":
            return bool((self.table("shops")["seller_id"] == account_id).any())
        return bool((self.table("orders")["buyer_id"] == account_id).any())

    def account(self, account_type: str, account_id: str) -> dict[str, Any] | None:
        check_account_type(account_type)
        if not self._account_exists(account_type, account_id):
            return None
        links = self.table("identity_links")
        mine = links[(links["account_id"] == account_id) & (links["account_type"] == account_type)]
        shared = links[links["identifier"].isin(mine["identifier"].unique())]
        shared_by = shared.groupby(["identifier_type", "identifier"]).size()
        identifiers = [{"type": str(kind), "id": str(identifier),
                        "shared_by": int(shared_by[(kind, identifier)])}
                       for kind, identifier in zip(mine["identifier_type"], mine["identifier"],
                                                   strict=True)]
        return {"type": account_type, "id": account_id, "identifiers": sorted_identifiers(identifiers)}

    def _adjacent(self, nodes: Sequence[Node], per_node: int) -> Mapping[Node, Iterable[Node]]:
        ids: dict[str, set[str]] = {}
        for kind, node_id in nodes:
            ids.setdefault(kind, set()).add(node_id)
        found: dict[Node, set[Node]] = {}
        self._add_uses(ids, found)
        self._add_owns(ids, found)
        self._add_orders(ids, found)
        first = per_node + 1
        # A hub keeps only its first neighbours (the walk sorts and cuts them again).
        return {node: heapq.nsmallest(first, others, key=node_order) if len(others) > first
                else others for node, others in found.items()}

    def _add_uses(self, ids: dict[str, set[str]], found: dict[Node, set[Node]]) -> None:
        """USES both ways: accounts to their identifiers, identifiers to the accounts using them."""
        links = self.table("identity_links")
        sides = (("account_type", "account_id", "identifier_type", "identifier", LINKED_ACCOUNT_TYPES),
                 ("identifier_type", "identifier", "account_type", "account_id", IDENTIFIER_LABELS))
        for from_type, from_id, to_type, to_id, kinds in sides:
            wanted = set().union(*(ids.get(k, set()) for k in kinds))
            if not wanted:
                continue
            rows = links.loc[links[from_id].isin(wanted), [from_type, from_id, to_type, to_id]]
            for kind, node_id, other_kind, other_id in zip(*(rows[c].tolist() for c in rows.columns),
                                                           strict=True):
                # An id matched under another type (buyer "x" for creator "x") is not this node.
                if node_id in ids.get(kind, ()):
                    found.setdefault((kind, node_id), set()).add((other_kind, other_id))

    def _add_owns(self, ids: dict[str, set[str]], found: dict[Node, set[Node]]) -> None:
        """OWNS both ways: sellers to their shops, shops to their seller."""
        shops = self.table("shops")
        for kind, column, other_kind, other_column in (("seller", "seller_id", "shop", "shop_id"),
                                                       ("shop", "shop_id", "seller", "seller_id")):
            if kind in ids:
                rows = shops.loc[shops[column].isin(ids[kind]), [column, other_column]]
                _add_pairs(found, kind, rows[column], other_kind, rows[other_column])

    def _add_orders(self, ids: dict[str, set[str]], found: dict[Node, set[Node]]) -> None:
        """TRADES and BOUGHT both ways, from the orders (a creator's: attributed orders only)."""
        orders = self.table("orders")
        columns = {"creator": "creator_id", "shop": "shop_id", "buyer": "buyer_id"}
        for kind, column in columns.items():
            if kind not in ids:
                continue
            rows = orders.loc[orders[column].isin(ids[kind]), list(columns.values())]
            for other_kind, other_column in columns.items():
                if other_kind != kind:
                    pairs = rows[[column, other_column]].dropna().drop_duplicates()
                    pairs = pairs[pairs[other_column] != ""]
                    _add_pairs(found, kind, pairs[column], other_kind, pairs[other_column])

    def clear(self) -> None:
        with self._exclusive():
            self._clear_locked()

    def _clear_locked(self) -> None:
        """:meth:`clear`'s work, for a caller that already holds :meth:`_exclusive` (not reentrant)."""
        for path in (self.directory / "tables").glob("*.parquet"):
            path.unlink()
        for name in ("rings.json", "runs.json", "api_keys.json", "audit.jsonl"):
            (self.directory / name).unlink(missing_ok=True)
        self._cache.clear()
        self._stamps.clear()


def _stamp(path: Path) -> tuple[int, int, int] | None:
    """What tells a cached table from a rewritten one: the file's inode, size and modification time.

    Every write replaces the file by a rename, so a rewrite shows a new inode
    (or, should the inode be reused, most likely a new size or time); the
    modification time alone can repeat within one clock tick.
    """
    try:
        status = path.stat()
    except FileNotFoundError:
        return None
    return status.st_ino, status.st_size, status.st_mtime_ns


def _atomic_parquet(frame: pd.DataFrame, path: Path) -> None:
    """Write then rename, so a reader never sees half a table."""
    tmp = path.with_suffix(".parquet.tmp")
    frame.to_parquet(tmp, index=False)
    tmp.replace(path)


def _atomic_text(text: str, path: Path) -> None:
    """Write, ``fsync`` and rename, so a reader never sees half a file and a crash never loses a write."""
    with tempfile.NamedTemporaryFile("w", dir=path.parent, delete=False, suffix=".tmp") as f:
        f.write(text)
        f.flush()
        os.fsync(f.fileno())
    Path(f.name).replace(path)
    fsync_directory(path.parent)


def _audit_record(line: bytes) -> dict[str, Any] | None:
    """One audit log line as its entry, ``None`` when it is not a whole entry (a torn write)."""
    try:
        record = json.loads(line)
    except ValueError:
        return None
    return record if isinstance(record, dict) and isinstance(record.get("seq"), int) else None


def _ends_without_newline(path: Path) -> bool:
    with path.open("rb") as f:
        if f.seek(0, os.SEEK_END) == 0:
            return False
        f.seek(-1, os.SEEK_END)
        return f.read(1) != b"\n"


def _last_audit_seq(path: Path) -> int:
    """The ``seq`` of the last whole entry of the audit log (0 if none), reading only its tail."""
    if not path.exists():
        return 0
    with path.open("rb") as f:
        end = f.seek(0, os.SEEK_END)
        size = 4096
        while True:
            start = max(0, end - size)
            f.seek(start)
            lines = f.read(end - start).split(b"\n")
            if start > 0:
                lines = lines[1:]  # may begin mid-line
            for line in reversed(lines):
                record = _audit_record(line)
                if record is not None:
                    return int(record["seq"])
            if start == 0:
                return 0
            size *= 4


def _add_pairs(found: dict[Node, set[Node]], kind: str, node_ids: pd.Series, other_kind: str,
               other_ids: pd.Series) -> None:
    """Record ``(kind, node_id)`` -> ``(other_kind, other_id)`` for each row."""
    for node_id, other_id in zip(node_ids.tolist(), other_ids.tolist(), strict=True):
        found.setdefault((kind, node_id), set()).add((other_kind, other_id))
