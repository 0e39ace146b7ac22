"""The local store's graph: the snapshot kept as keyed Parquet tables, with projections and accounts.

Why tables and not an in-memory graph library: every detector reads
projections (aggregations over edges), which pandas computes vectorised from
the tables in seconds at ten million rows, and Parquet persists them so that a
later ``detect`` or ``serve`` process sees what ``load`` wrote. Node and
relationship counts follow the same graph model as the Neo4j store.

The projections are a function of the snapshot generation, so a load computes
them once and writes them into the generation beside its tables
(``projection-NAME.parquet``): a detection run then reads seven small files
instead of every table and the joins over them (a third of a run at ten
million rows), and since they are written before the generation is switched
to, they can never be stale. A generation written before they were stored
gets them computed from its tables at read, as before. The computation and the
encoding are :mod:`~ringwatch.graph.kept_projections`', which the Neo4j store
keeps its projections with too.
"""

from __future__ import annotations

import heapq
import os
import shutil
from collections.abc import Callable, Iterable, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pandas as pd

from ringwatch.domain import LINKED_ACCOUNT_TYPES
from ringwatch.tables import TABLES, TABLES_BY_NAME, Snapshot, empty_table

from .capabilities import IdentifierUse, Node, WriteProgress
from .errors import IncompleteGenerationError
from .kept_projections import encoded, kept_table, last_per_key, write_parquet
from .local_files import file_stamp
from .local_generations import Generation, Generations
from .local_writes import BackgroundWrites
from .model import identifier_labels
from .projections import PROJECTIONS, from_tables
from .store import node_order


class LocalGraph:
    """Keyed Parquet tables, one file per contract table, in the current snapshot generation.

    Every load writes a new generation (:mod:`~ringwatch.graph.local_generations`)
    that readers see only once it is complete. Reads are cached per process but
    re-read when the current generation or a file changed, so a long-running
    ``serve`` sees what a ``load`` in another process wrote. Writes are the
    caller's to lock (:meth:`write_locked`, :meth:`clear_locked`).
    """

    def __init__(self, directory: Path) -> None:
        self.directory = directory
        self.directory.mkdir(parents=True, exist_ok=True)
        self.generations = Generations(directory)
        self._cache: dict[str, pd.DataFrame] = {}
        self._stamps: dict[str, tuple[Path, tuple[int, int, int] | None]] = {}

    def table(self, name: str) -> pd.DataFrame:
        """A stored table of the current generation (contract columns when nothing was loaded yet).

        Raises :class:`~ringwatch.graph.local_generations.IncompleteGenerationError`
        when the store's only generation was never completed.
        """
        return self._table(name, self.generations.current())

    def _table(self, name: str, generation: Generation | None) -> pd.DataFrame:
        path = _path(generation, name)
        stamp = (path, file_stamp(path)) if path is not None else None
        if name not in self._cache or self._stamps.get(name) != stamp:
            self._cache[name] = _read(path, name)
            if stamp is not None:
                self._stamps[name] = stamp
        return self._cache[name]

    def tables_directory(self) -> Path:
        """The directory of the current generation's ``NAME.parquet`` tables (for Spark to read).

        Before anything was loaded, the store's tables directory (no table in
        it); raises :class:`IncompleteGenerationError` as :meth:`table` does.
        """
        generation = self.generations.current()
        return generation.directory if generation is not None else self.directory

    def tables(self) -> dict[str, pd.DataFrame]:
        """Every table, all from one generation (the pointer is resolved once)."""
        generation = self.generations.current()
        return {spec.name: self._table(spec.name, generation) for spec in TABLES}

    def write_locked(self, snapshot: Snapshot, progress: WriteProgress | None, *,
                     replace: bool = False, before_commit: Callable[[], None] | None = None,
                     ) -> dict[str, int]:
        """Write ``snapshot`` as a new generation and switch to it; the caller holds the lock.

        Without ``replace`` each table is merged with the current generation's
        (a later row wins by key; a table the snapshot leaves empty is carried
        over by a hard link, not rewritten); a table written whole is checked for
        repeated keys (the last row given wins) unless the snapshot says it holds
        each key once (:attr:`~ringwatch.tables.Snapshot.unique_keys`: validated).
        The merge reads the tables as they are on disk now, under the lock, never
        a copy cached before it was taken: two loads take turns and neither loses
        the other's rows.
        ``before_commit`` runs after every table is written, just before the
        switch (``load --replace`` drops the old detections there). Until the
        switch, readers see the previous generation; a load killed at any point
        leaves it as it was.
        """
        previous = _current_or_none(self.generations)
        new = self.generations.begin()
        written: dict[str, int] = {}
        tables: dict[str, pd.DataFrame] = {}
        with BackgroundWrites() as writes:
            for spec in TABLES:
                frame = snapshot[spec.name]
                written[spec.name] = len(frame)
                target = new.directory / f"{spec.name}.parquet"
                old_path = None if replace else _path(previous, spec.name)
                if frame.empty and old_path is not None and old_path.exists():
                    _link_or_copy(old_path, target)
                    tables[spec.name] = _read(target, spec.name)
                    # Reported in its turn, after the tables before it are written.
                    writes.submit(_nothing, target, _told(progress, spec.name, 0))
                    continue
                old = _read(old_path, spec.name) if old_path is not None else None
                if old is None or old.empty:
                    merged = kept_table(snapshot, spec.name)
                else:
                    merged = last_per_key(pd.concat([old, frame], ignore_index=True), spec.name)
                writes.submit(_parquet_of(merged), target,
                              self._table_written(spec.name, len(frame), target, progress))
                tables[spec.name] = merged
            self._write_projections(new, tables, writes)
        if before_commit:
            before_commit()
        self.generations.commit(new, previous)
        return written

    def _table_written(self, name: str, rows: int, target: Path,
                       progress: WriteProgress | None) -> Callable[[], None]:
        """What follows the write of table ``name`` into ``target``: its ``fsync`` started, the
        caller told."""
        def done() -> None:
            self.generations.written(target)
            # Not kept in memory: a run detects on the projections (kept below), and holding
            # every table too would add their size to its peak; a later read takes the file.
            self._cache.pop(name, None)
            if progress:
                progress(name, rows)
        return done

    def _write_projections(self, generation: Generation, tables: Mapping[str, pd.DataFrame],
                           writes: BackgroundWrites) -> None:
        """Compute every projection of the generation's tables and write it into the generation
        (each written while the next is computed: :func:`projections_of` one by one).

        The identity links' projection, which reads no order, is computed on a thread of its
        own meanwhile: the projections were this stage's critical path, one after another on
        this thread (0.77 s for the links, 0.83 s for the order projections at two million
        rows), while the writer thread waited for them a third of the time.
        """
        def write(name: str, frame: pd.DataFrame) -> None:
            target = _projection_path(generation, name)

            def done() -> None:
                self.generations.written(target)
                self._cache[_PROJECTION + name] = frame
                self._stamps[_PROJECTION + name] = (target, file_stamp(target))

            writes.submit(lambda path: path.write_bytes(encoded(frame)), target, done)

        with ThreadPoolExecutor(max_workers=1, thread_name_prefix="projection") as side:
            aside = {name: side.submit(from_tables, tables, name) for name in _ASIDE}
            for name in PROJECTIONS:
                if name not in aside:
                    write(name, from_tables(tables, name))
                for ready in [n for n, future in aside.items() if future.done()]:
                    write(ready, aside.pop(ready).result())
            for name, future in aside.items():
                write(name, future.result())

    def clear_locked(self) -> None:
        """Delete every generation and the pointer; the caller holds the lock."""
        self.generations.clear()
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
        """Projection ``name`` of the current generation: as its load wrote it, or, for a
        generation written before projections were stored, computed from its tables."""
        if name not in PROJECTIONS:
            return from_tables(self.tables(), name)  # (raises, naming the known ones)
        generation = self.generations.current()
        path = _projection_path(generation, name) if generation is not None else None
        if path is None or not path.exists():
            return from_tables(self.tables(), name)
        stamp = (path, file_stamp(path))
        key = _PROJECTION + name
        if key not in self._cache or self._stamps.get(key) != stamp:
            self._cache[key] = pd.read_parquet(path)
            self._stamps[key] = stamp
        return self._cache[key].copy(deep=False)  # a caller's new column stays its own

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


#: Projections computed on a thread beside the others (see ``LocalGraph._write_projections``).
_ASIDE = ("identity_links",)

#: A stored projection's file name in its generation, before the projection's name (and cache key).
_PROJECTION = "projection-"


def _projection_path(generation: Generation, name: str) -> Path:
    """Where projection ``name`` of ``generation`` is stored."""
    return generation.directory / f"{_PROJECTION}{name}.parquet"


def _path(generation: Generation | None, name: str) -> Path | None:
    """Where table ``name`` of ``generation`` is (``None``: nothing was loaded)."""
    return None if generation is None else generation.directory / f"{name}.parquet"


def _read(path: Path | None, name: str) -> pd.DataFrame:
    """A table as it is on disk now, bypassing the cache (contract columns when absent)."""
    return pd.read_parquet(path) if path is not None and path.exists() else \
        empty_table(TABLES_BY_NAME[name])


def _current_or_none(generations: Generations) -> Generation | None:
    """The current generation, or ``None`` when there is none or only an unfinished one."""
    try:
        return generations.current()
    except IncompleteGenerationError:
        return None


def _parquet_of(frame: pd.DataFrame) -> Callable[[Path], None]:
    """A write of ``frame`` as a Parquet table (no index), for :class:`BackgroundWrites`."""
    return lambda path: write_parquet(frame, path)


def _told(progress: WriteProgress | None, name: str, rows: int) -> Callable[[], None]:
    """Tell ``progress`` (if any) that ``rows`` rows of table ``name`` were written."""
    return lambda: progress(name, rows) if progress else None


def _nothing(path: Path) -> None:
    """A file that is in place already (a table carried over by a link)."""


def _link_or_copy(source: Path, target: Path) -> None:
    """Carry a table over to a new generation: a hard link (no copy) where the filesystem allows."""
    try:
        os.link(source, target)
    except OSError:
        shutil.copy2(source, target)


def _add_pairs(found: dict[Node, set[Node]], node_type: str, node_ids: pd.Series, other_type: str,
               other_ids: pd.Series) -> None:
    """Record ``(node_type, node_id)`` -> ``(other_type, other_id)`` for each row."""
    for node_id, other_id in zip(node_ids.tolist(), other_ids.tolist(), strict=True):
        found.setdefault((node_type, node_id), set()).add((other_type, other_id))
