"""How fast Neo4jStore.write_snapshot loads a snapshot, against one MERGE per transaction.

Generates (or reads with ``--data``) a snapshot of about a million
relationships, writes it into Neo4j through ``Neo4jStore.write_snapshot``
(``UNWIND $rows`` batches, ``--batch-size`` rows per transaction) and reports
relationships per second. The baseline, in the same run, writes a sample of
orders through the same statements one row per transaction (``batch_size=1``),
which is what a naive loader does; its rate per relationship is extrapolated.
The last line is the result:

    neo4j ingest: N rels in T s = R rels/s; one-MERGE-per-transaction baseline: B rels/s; ratio X

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

from ringwatch.graph.model import RELATIONSHIP_TYPES
from ringwatch.graph.neo4j_store import Neo4jStore
from ringwatch.loaders import Snapshot, load_snapshot
from ringwatch.store_settings import Neo4jSettings

#: The generator writes about 153,000 relationships per unit of scale (as counted by
#: GraphStore.counts), so this scale gives about a million.
DEFAULT_SCALE = 6.6


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark Neo4jStore.write_snapshot (batched UNWIND) against one "
                    "MERGE per transaction. Wipes the Neo4j database before and after.")
    parser.add_argument("--clear", action="store_true",
                        help="required: allow the benchmark to delete everything in the database")
    parser.add_argument("--data", type=Path,
                        help="snapshot directory to load (default: generate one)")
    parser.add_argument("--scale", type=float, default=DEFAULT_SCALE,
                        help=f"generator scale when --data is not given (default {DEFAULT_SCALE}: "
                             "about 1,000,000 relationships)")
    parser.add_argument("--seed", type=int, default=7, help="generator seed (default 7)")
    parser.add_argument("--batch-size", type=int, default=10_000,
                        help="rows per write transaction for the batched load (default 10000)")
    parser.add_argument("--baseline-orders", type=int, default=2_000,
                        help="orders written one per transaction for the baseline (default 2000)")
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


def _relationships(store: Neo4jStore) -> int:
    counts = store.counts()
    return sum(counts[relationship] for relationship in RELATIONSHIP_TYPES)


def _orders_only(snapshot: Snapshot, n: int) -> Snapshot:
    """The first ``n`` orders and nothing else (every other table empty)."""
    return Snapshot({name: frame.iloc[:n] if name == "orders" else frame.iloc[:0]
                     for name, frame in snapshot.tables.items()})


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    if not args.clear:
        print("refusing to run: this benchmark deletes everything in the Neo4j database; "
              "pass --clear to allow it", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="ringwatch-bench-") as scratch:
        snapshot = _snapshot(args, Path(scratch))

    store = Neo4jStore(Neo4jSettings.from_env(), batch_size=args.batch_size)
    baseline_store = Neo4jStore(Neo4jSettings.from_env(), batch_size=1)
    try:
        store.verify()
        store.clear()
        # Writing nothing creates the schema, so neither timing below includes it.
        store.write_snapshot(_orders_only(snapshot, 0))
        baseline_store.write_snapshot(_orders_only(snapshot, 0))

        last = {"at": time.perf_counter()}

        def progress(table: str, rows: int) -> None:
            now = time.perf_counter()
            print(f"  {table}: {rows:,} rows (+{now - last['at']:.1f} s)", flush=True)
            last["at"] = now

        report = store.write_snapshot(snapshot, progress=progress)
        rels = _relationships(store)
        rate = rels / report.seconds
        print(f"batched ({args.batch_size:,} rows per transaction): {rels:,} relationships "
              f"in {report.seconds:.1f} s = {rate:,.0f} rels/s", flush=True)

        store.clear()
        sample = _orders_only(snapshot, args.baseline_orders)
        baseline_report = baseline_store.write_snapshot(sample)
        baseline_rels = _relationships(baseline_store)
        baseline_rate = baseline_rels / baseline_report.seconds
        print(f"baseline (1 row per transaction): {len(sample['orders']):,} orders, "
              f"{baseline_rels:,} relationships in {baseline_report.seconds:.1f} s "
              f"= {baseline_rate:,.0f} rels/s", flush=True)
    finally:
        try:
            store.clear()
        finally:
            baseline_store.close()
            store.close()

    print(f"neo4j ingest: {rels} rels in {report.seconds:.1f} s = {rate:,.0f} rels/s; "
          f"one-MERGE-per-transaction baseline: {baseline_rate:,.0f} rels/s; "
          f"ratio {rate / baseline_rate:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
