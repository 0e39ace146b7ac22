"""How fast Neo4jStore.write_snapshot loads a snapshot, against the bare Bolt transport in the same run.

Generates (or reads with ``--data``) a snapshot of about a million
relationships and, in one run against one server:

1. the ceiling: the very rows the store sends (``$rows`` of every table, built
   as the store builds them) through ``UNWIND $rows AS row RETURN count(*)`` in
   ``--ceiling-batch`` (20,000) row batches: what the driver and Bolt carry per
   second when the server writes nothing;
2. the first load: ``write_snapshot`` into an empty database, with the store's
   write sessions (``--write-sessions``, default 2) and then again with one, and
   the ratio between the two;
3. the incremental load: a second snapshot, the same one with every id prefixed
   (so every key is new to the database), into the now non-empty database;
4. ``--replace``: the first snapshot again with ``replace=True``, which clears
   the graph (kept apart from the write: the clear is timed on its own);
5. optionally (``--merge-path``) the first load again with every row sent
   through the MERGE statements, as every load did before new keys were
   CREATEd, and (``--baseline-orders``) a sample of orders written one row per
   transaction, what a naive loader does.

Rates are snapshot rows per second (and relationships per second); each load's
ratio to its own ceiling is the headline. The last line:

    neo4j ingest: first load R rows/s = X of the Bolt ceiling C rows/s; incremental Y; ...

The database is wiped before and after, so ``--clear`` must be given to say it
may be. Connection settings are the store's: ``RINGWATCH_NEO4J_URI``,
``RINGWATCH_NEO4J_USER``, ``RINGWATCH_NEO4J_PASSWORD``, ``RINGWATCH_NEO4J_DATABASE``.

Example::

    RINGWATCH_NEO4J_PASSWORD=... python bench/bench_neo4j_ingest.py --clear
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from ringwatch.graph import neo4j_ingest
from ringwatch.graph.model import RELATIONSHIP_TYPES
from ringwatch.graph.neo4j_store import Neo4jStore
from ringwatch.loaders import Snapshot, load_snapshot
from ringwatch.store_settings import Neo4jSettings
from ringwatch.tables import TABLES, ColumnType

#: The generator writes about 153,000 relationships per unit of scale (as counted by
#: GraphStore.counts), so this scale gives about a million.
DEFAULT_SCALE = 6.6


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark Neo4jStore.write_snapshot against the bare Bolt transport "
                    "(UNWIND $rows RETURN count(*)) in the same run. Wipes the Neo4j database "
                    "before and after.")
    parser.add_argument("--clear", action="store_true",
                        help="required: allow the benchmark to delete everything in the database")
    parser.add_argument("--data", type=Path,
                        help="snapshot directory to load (default: generate one)")
    parser.add_argument("--scale", type=float, default=DEFAULT_SCALE,
                        help=f"generator scale when --data is not given (default {DEFAULT_SCALE}: "
                             "about 1,000,000 relationships)")
    parser.add_argument("--seed", type=int, default=7, help="generator seed (default 7)")
    parser.add_argument("--batch-size", type=int, default=10_000,
                        help="rows per write transaction (default 10000)")
    parser.add_argument("--ceiling-batch", type=int, default=20_000,
                        help="rows per UNWIND ... RETURN count(*) of the ceiling (default 20000)")
    parser.add_argument("--merge-path", action="store_true",
                        help="also time the first load with every row MERGEd (the path before "
                             "new keys were CREATEd; slow)")
    parser.add_argument("--write-sessions", type=int, default=None,
                        help="sessions writing side by side (default: the store's, "
                             "RINGWATCH_NEO4J_WRITE_SESSIONS or 2); the first load is also "
                             "timed with one session, for the ratio between the two")
    parser.add_argument("--first-only", action="store_true",
                        help="time the ceiling and the first load only (a quick comparison)")
    parser.add_argument("--baseline-orders", type=int, default=2_000,
                        help="orders written one per transaction for the naive baseline "
                             "(default 2000; 0: skip)")
    return parser.parse_args(argv)


def _snapshot(args: argparse.Namespace, scratch: Path) -> Snapshot:
    directory = args.data
    if directory is None:
        from ringwatch.generator import GeneratorConfig, generate_snapshot

        directory = scratch / "snapshot"
        started = time.perf_counter()
        generate_snapshot(directory, GeneratorConfig(scale=args.scale, seed=args.seed,
                                                     fmt="parquet"))
        print(f"generated scale {args.scale:g} in {time.perf_counter() - started:.1f} s",
              flush=True)
    result = load_snapshot(directory)
    print(f"snapshot {directory}: {result.snapshot.rows:,} rows "
          f"({result.summary.quarantined:,} quarantined)", flush=True)
    return result.snapshot


def _disjoint(snapshot: Snapshot, prefix: str) -> Snapshot:
    """``snapshot`` with every id (every column of type id) prefixed: no key is shared."""
    tables = {}
    for spec in TABLES:
        frame = snapshot[spec.name].copy()
        for column in spec.columns:
            if column.type is ColumnType.ID and column.name in frame.columns:
                values = frame[column.name]
                frame[column.name] = values.where(values.isna(), prefix + values.astype(str))
        tables[spec.name] = frame
    return Snapshot(tables)


def _head(snapshot: Snapshot, share: float) -> Snapshot:
    """The first ``share`` of every table's rows."""
    return Snapshot({name: frame.iloc[:max(1, int(len(frame) * share))]
                     for name, frame in snapshot.tables.items()})


def _orders_only(snapshot: Snapshot, n: int) -> Snapshot:
    """The first ``n`` orders and nothing else (every other table empty)."""
    return Snapshot({name: frame.iloc[:n] if name == "orders" else frame.iloc[:0]
                     for name, frame in snapshot.tables.items()})


def _relationships(store: Neo4jStore) -> int:
    counts = store.counts()
    return sum(counts[relationship] for relationship in RELATIONSHIP_TYPES)


def _ceiling(store: Neo4jStore, snapshot: Snapshot, batch: int) -> float:
    """Rows per second through ``UNWIND $rows RETURN count(*)``: the rows the store sends, built
    beforehand (as the store builds them) so that only the driver, Bolt and the server count."""
    rows = [row for spec in TABLES for row in neo4j_ingest._rows(snapshot[spec.name], spec.name)]
    started = time.perf_counter()
    with store._driver.session(database=store.database) as session:
        for start in range(0, len(rows), batch):
            record = session.run("UNWIND $rows AS row RETURN count(*) AS n",
                                 rows=rows[start:start + batch]).single()
            assert record is not None and record["n"] == len(rows[start:start + batch])
    return len(rows) / (time.perf_counter() - started)


class _TableClock:
    """Seconds per table of one load, from the store's progress calls (a table's time runs from
    the previous table's last batch to its own last batch, so the first includes the key checks)."""

    def __init__(self) -> None:
        self.mark = time.perf_counter()
        self.seconds: dict[str, float] = {}

    def __call__(self, table: str, rows: int) -> None:
        now = time.perf_counter()
        self.seconds[table] = self.seconds.get(table, 0.0) + now - self.mark
        self.mark = now

    def line(self) -> str:
        return ", ".join(f"{table} {seconds:.1f} s" for table, seconds in self.seconds.items()
                         if seconds >= 0.05)


def _timed_load(store: Neo4jStore, snapshot: Snapshot, label: str, ceiling: float,
                **kwargs: Any) -> dict[str, float]:
    before = _relationships(store) if not kwargs.get("replace") else 0
    clock = _TableClock()
    report = store.write_snapshot(snapshot, progress=clock, **kwargs)
    rels = _relationships(store) - before
    rate = snapshot.rows / report.seconds
    print(f"{label}: {snapshot.rows:,} rows ({rels:,} relationships) in {report.seconds:.1f} s "
          f"= {rate:,.0f} rows/s, {rels / report.seconds:,.0f} rels/s; "
          f"{rate / ceiling:.3f} of the ceiling", flush=True)
    print(f"  per table: {clock.line()}", flush=True)
    return {"rate": rate, "ratio": rate / ceiling}


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    if not args.clear:
        print("refusing to run: this benchmark deletes everything in the Neo4j database; "
              "pass --clear to allow it", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="ringwatch-bench-") as scratch:
        snapshot = _snapshot(args, Path(scratch))
    second = _disjoint(snapshot, "x-")

    store = Neo4jStore(Neo4jSettings.from_env(), batch_size=args.batch_size,
                       ingest_workers=args.write_sessions)
    one_session = Neo4jStore(Neo4jSettings.from_env(), batch_size=args.batch_size,
                             ingest_workers=1)
    results: dict[str, dict[str, float]] = {}
    try:
        store.verify()
        store.clear()
        store.create_schema()  # so that no timing below includes it
        ceiling = _ceiling(store, snapshot, args.ceiling_batch)
        print(f"ceiling (UNWIND $rows RETURN count(*), {args.ceiling_batch:,} rows a batch): "
              f"{ceiling:,.0f} rows/s", flush=True)
        sessions = store.ingest_workers
        # A first write of every statement (a slice of each table, then cleared), so that
        # neither timed load pays for the server's compiling and warming up alone.
        store.write_snapshot(_disjoint(_head(snapshot, 0.05), "warm-"))
        store.clear()
        store.create_schema()
        results["first"] = _timed_load(store, snapshot,
                                       f"first load (empty database, {sessions} sessions)",
                                       ceiling)
        store.clear()
        store.create_schema()
        results["one"] = _timed_load(one_session, snapshot, "first load, one session", ceiling)
        print(f"  {sessions} sessions against one: "
              f"{results['first']['rate'] / results['one']['rate']:.2f}x", flush=True)
        if args.first_only:
            print(f"neo4j ingest: first load {results['first']['rate']:,.0f} rows/s = "
                  f"{results['first']['ratio']:.3f} of the Bolt ceiling {ceiling:,.0f} rows/s "
                  f"({sessions} sessions; one session {results['one']['ratio']:.3f}; "
                  "first load only; target >= 0.3)")
            return 0
        results["incremental"] = _timed_load(store, second, "incremental load (disjoint keys)",
                                             ceiling)
        results["again"] = _timed_load(store, snapshot, "same snapshot again (every key MERGEd)",
                                       ceiling)
        results["replace"] = _timed_load(store, second, "--replace (clearing included)",
                                         ceiling, replace=True)
        if args.merge_path:
            store.clear()
            store.create_schema()
            original = neo4j_ingest.new_keys
            neo4j_ingest.new_keys = lambda run, snap: {  # type: ignore[assignment]
                name: np.zeros(len(frame), dtype=bool) for name, frame in snap.tables.items()}
            try:
                results["merge"] = _timed_load(store, snapshot, "first load, every row MERGEd",
                                               ceiling)
            finally:
                neo4j_ingest.new_keys = original
        if args.baseline_orders:
            store.clear()
            store.create_schema()
            naive = Neo4jStore(Neo4jSettings.from_env(), batch_size=1)
            try:
                sample = _orders_only(snapshot, args.baseline_orders)
                report = naive.write_snapshot(sample)
                rate = len(sample["orders"]) / report.seconds
                print(f"one row per transaction: {len(sample['orders']):,} orders in "
                      f"{report.seconds:.1f} s = {rate:,.0f} rows/s; "
                      f"{rate / ceiling:.4f} of the ceiling", flush=True)
            finally:
                naive.close()
    finally:
        store.clear()
        store.close()
        one_session.close()

    parts = [f"first load {results['first']['rate']:,.0f} rows/s = "
             f"{results['first']['ratio']:.3f} of the Bolt ceiling {ceiling:,.0f} rows/s "
             f"({store.ingest_workers} sessions; one session {results['one']['ratio']:.3f})",
             f"incremental {results['incremental']['ratio']:.3f}",
             f"same again {results['again']['ratio']:.3f}",
             f"--replace {results['replace']['ratio']:.3f}"]
    if "merge" in results:
        parts.append(f"all-MERGE first load {results['merge']['ratio']:.3f}")
    print("neo4j ingest: " + "; ".join(parts) + " (target >= 0.3)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
