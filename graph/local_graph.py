"""The local store's graph: the snapshot kept as keyed Parquet tables, with projections and accounts.

Why tables and not an in-memory graph library: every detector reads
projections (aggregations over edges), which pandas computes vectorised from
the tables in seconds at ten million rows, and Parquet persists them so that a
later ``detect`` or ``serve`` process sees what ``load`` wrote. Node and
relationship counts follow the same graph model as the Neo4j store.
"""

from __future__ import annotations

import heapq
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import pandas as pd

from ringwatch.domain import LINKED_ACCOUNT_TYPES
from ringwatch.tables import TABLES, TABLES_BY_NAME, Snapshot, empty_table

from .capabilities import IdentifierUse, Node, WriteProgress
from .local_files import atomic_parquet, file_stamp
from .model import identifier_labels
from .projections import from_tables
from .store import node_order


class LocalGraph:
    """Keyed Parquet tables in one directory, one file per contract table.

    Reads are cached per process but re-read when a file changed, so a
    long-running ``serve`` sees what a ``load`` in another process wrote.
    Writes are the caller's to lock (:meth:`write_locked`, :meth:`clear_locked`).
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self._cache: dict[str, pd.DataFrame] = {}
        self._stamps: dict[str, tuple[int, int, int] | None] = {}

    def _path(self, name: str) -> Path:
        return self.directory / f"{name}.parquet"

    def table(self, name: str) -> pd.DataFrame:
        """A stored table (contract columns even when nothing was loaded yet)."""
        stamp = file_stamp(self._path(name))
        if name not in self._cache or self._stamps.get(name) != stamp:
            self._cache[name] = self._read(name)
            self._stamps[name] = stamp
        return self._cache[name]

    def _read(self, name: str) -> pd.DataFrame:
        """A table as it is on disk now, bypassing the cache (contract columns when absent)."""
        path = self._path(name)
        return pd.read_parquet(path) if path.exists() else empty_table(TABLES_BY_NAME[name])

    def tables(self) -> dict[str, pd.DataFrame]:
        return {spec.name: self.table(spec.name) for spec in TABLES}

    def write_locked(self, snapshot: Snapshot, progress: WriteProgress | None) -> dict[str, int]:
        """Merge each table into its stored one (a later row wins by key); the caller holds the lock.

        Each table is a read-merge-write of its whole file: two loads into one
        store that both read a table before either wrote it would each write
        back only their own rows, and one load's rows would be lost while both
        succeed. So the whole write holds the store's lock (loads from any
        process take turns) and merges with the table as it is on disk now,
        never with a copy cached before the lock was taken.
        """
        written: dict[str, int] = {}
        for spec in TABLES:
            new = snapshot[spec.name]
            written[spec.name] = len(new)
            path = self._path(spec.name)
            if new.empty and path.exists():
                if progress:
                    progress(spec.name, 0)
                continue
            old = self._read(spec.name)
            merged = new if old.empty else pd.concat([old, new], ignore_index=True)
            merged = merged.drop_duplicates(list(spec.key), keep="last", ignore_index=True)
            atomic_parquet(merged, path)
            self._cache[spec.name] = merged
            self._stamps[spec.name] = file_stamp(path)
            if progress:
                progress(spec.name, len(new))
        return written

    def clear_locked(self) -> None:
        """Delete every table; the caller holds the lock."""
        for path in self.directory.glob("*.parquet"):
            path.unlink()
        self._cache.clear()
        self._stamps.clear()

    def counts(self) -> dict[str, int]:
        """Nodes per label and relationships per type, as the graph model names them."""
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
            **{label: int(per_type.get(id_type, 0)) for id_type, label in identifier_labels().items()},
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

    # --- accounts and neighbourhoods ---------------------------------------------------------
    #
    # Computed from the tables with vectorised scans (one pass over each table a question
    # needs, for a whole frontier at once): about 0.2 s per 10M-row column. An index per
    # column (factorised codes + sort order) would make lookups O(log n) but costs seconds
    # to build and ~100 MB per column at that size; not worth it yet.

    def account_exists(self, account_type: str, account_id: str) -> bool:
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

    def identifiers(self, account_type: str, account_id: str) -> list[IdentifierUse] | None:
        """The identifiers an account uses, each with how many accounts share it; ``None``: no account."""
        if not self.account_exists(account_type, account_id):
            return None
        links = self.table("identity_links")
        mine = links[(links["account_id"] == account_id) & (links["account_type"] == account_type)]
        shared = links[links["identifier"].isin(mine["identifier"].unique())]
        shared_by = shared.groupby(["identifier_type", "identifier"]).size()
        return [{"type": str(id_type), "id": str(identifier),
                 "shared_by": int(shared_by[(id_type, identifier)])}
                for id_type, identifier in zip(mine["identifier_type"], mine["identifier"], strict=True)]

    def adjacent(self, nodes: Sequence[Node], per_node: int) -> Mapping[Node, Iterable[Node]]:
        ids: dict[str, set[str]] = {}
        for node_type, node_id in nodes:
            ids.setdefault(node_type, set()).add(node_id)
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
                 ("identifier_type", "identifier", "account_type", "account_id", identifier_labels()))
        for from_type, from_id, to_type, to_id, types in sides:
            wanted = set().union(*(ids.get(k, set()) for k in types))
            if not wanted:
                continue
            rows = links.loc[links[from_id].isin(wanted), [from_type, from_id, to_type, to_id]]
            for node_type, node_id, other_type, other_id in zip(*(rows[c].tolist() for c in rows.columns),
                                                           strict=True):
                # An id matched under another type (buyer "x" for creator "x") is not this node.
                if node_id in ids.get(node_type, ()):
                    found.setdefault((node_type, node_id), set()).add((other_type, other_id))

    def _add_owns(self, ids: dict[str, set[str]], found: dict[Node, set[Node]]) -> None:
        """OWNS both ways: sellers to their shops, shops to their seller."""
        shops = self.table("shops")
        for node_type, column, other_type, other_column in (("seller", "seller_id", "shop", "shop_id"),
                                                       ("shop", "shop_id", "seller", "seller_id")):
            if node_type in ids:
                rows = shops.loc[shops[column].isin(ids[node_type]), [column, other_column]]
                _add_pairs(found, node_type, rows[column], other_type, rows[other_column])

    def _add_orders(self, ids: dict[str, set[str]], found: dict[Node, set[Node]]) -> None:
        """TRADES and BOUGHT both ways, from the orders (a creator's: attributed orders only)."""
        orders = self.table("orders")
        columns = {"creator": "creator_id", "shop": "shop_id", "buyer": "buyer_id"}
        for node_type, column in columns.items():
            if node_type not in ids:
                continue
            rows = orders.loc[orders[column].isin(ids[node_type]), list(columns.values())]
            for other_type, other_column in columns.items():
                if other_type != node_type:
                    pairs = rows[[column, other_column]].dropna().drop_duplicates()
                    pairs = pairs[pairs[other_column] != ""]
                    _add_pairs(found, node_type, pairs[column], other_type, pairs[other_column])


def _add_pairs(found: dict[Node, set[Node]], node_type: str, node_ids: pd.Series, other_type: str,
               other_ids: pd.Series) -> None:
    """Record ``(node_type, node_id)`` -> ``(other_type, other_id)`` for each row."""
    for node_id, other_id in zip(node_ids.tolist(), other_ids.tolist(), strict=True):
        found.setdefault((node_type, node_id), set()).add((other_type, other_id))
