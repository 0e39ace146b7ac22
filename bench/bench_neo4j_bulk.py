"""How much faster a first load through Neo4j's offline importer is than the driver load.

Generates (or reads with ``--data``) a snapshot of about a million
relationships and loads it into an empty database twice, in the same run: once
through ``Neo4jStore.write_snapshot`` (the driver, ``UNWIND $rows`` batches),
once through ``Neo4jBulkImport.write_snapshot`` (``ringwatch load --bulk``:
import files, stop, ``neo4j-admin database import full``, start, schema). Both
timings cover the write only (the snapshot is validated once, before either),
and both end with the schema in place. Checks that both loads count the same
nodes and relationships. The last line is the result:

    neo4j bulk: N rels; driver T1 s = R1 rels/s; bulk T2 s = R2 rels/s; ratio X

Needs the bundled server (tools/neo4j_launcher) that ``RINGWATCH_NEO4J_URI``
and ``RINGWATCH_NEO4J_HOME`` name; the database is wiped before and after, so
``--clear`` must be given to say it may be.

Example::

    export RINGWATCH_NEO4J_HOME=.neo4j/bench RINGWATCH_NEO4J_BOLT_PORT=7711 \\
        RINGWATCH_NEO4J_URI=bolt://127.0.0.1:7711 RINGWATCH_NEO4J_PASSWORD=...
    tools/neo4j_launcher/neo4jctl start
    python bench/bench_neo4j_bulk.py --clear
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from ringwatch.graph.model import RELATIONSHIP_TYPES
from ringwatch.graph.neo4j_bulk import Neo4jBulkImport
from ringwatch.graph.neo4j_store import Neo4jStore
from ringwatch.loaders import Snapshot, load_snapshot
from ringwatch.store_settings import BundledNeo4jSettings, Neo4jSettings

#: About 153,000 relationships per unit of scale (as GraphStore.counts counts them).
DEFAULT_SCALE = 6.6


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description="Benchmark the bulk first load (offline importer) against the driver load. "
                    "Wipes the Neo4j database before and after.")
    parser.add_argument("--clear", action="store_true",
                        help="required: allow the benchmark to delete everything in the database")
    parser.add_argument("--data", type=Path, help="snapshot directory (default: generate one)")
    parser.add_argument("--scale", type=float, default=DEFAULT_SCALE,
                        help=f"generator scale without --data (default {DEFAULT_SCALE}: about "
                             "1,000,000 relationships)")
    parser.add_argument("--seed", type=int, default=7, help="generator seed (default 7)")
    parser.add_argument("--batch-size", type=int, default=10_000,
                        help="rows per transaction of the driver load (default 10000)")
    return parser.parse_args(argv)


def _snapshot(args: argparse.Namespace, scratch: Path) -> Snapshot:
    directory = args.data
    if directory is None:
        from ringwatch.generator import GeneratorConfig, generate_snapshot

        directory = scratch / "snapshot"
        generate_snapshot(directory, GeneratorConfig(scale=args.scale, seed=args.seed,
                                                     fmt="parquet"))
    result = load_snapshot(directory)
    print(f"snapshot {directory}: {result.snapshot.rows:,} rows", flush=True)
    return result.snapshot


def _relationships(counts: dict[str, int]) -> int:
    return sum(counts[relationship] for relationship in RELATIONSHIP_TYPES)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    if not args.clear:
        print("refusing to run: this benchmark deletes everything in the Neo4j database; "
              "pass --clear to allow it", file=sys.stderr)
        return 2
    with tempfile.TemporaryDirectory(prefix="ringwatch-bench-") as scratch:
        snapshot = _snapshot(args, Path(scratch))

    settings = Neo4jSettings.from_env()
    store = Neo4jStore(settings, batch_size=args.batch_size)
    try:
        store.verify()
        store.clear()
        driver = store.write_snapshot(snapshot)
        driver_counts = store.counts()
        store.clear()
    finally:
        store.close()
    rels = _relationships(driver_counts)
    print(f"driver: {rels:,} relationships in {driver.seconds:.1f} s", flush=True)

    with Neo4jBulkImport.open(settings, BundledNeo4jSettings.from_env()) as bulk:
        try:
            started = time.perf_counter()
            bulk.write_snapshot(snapshot)
            bulk_seconds = time.perf_counter() - started
            bulk_counts = bulk.counts()
        finally:
            cleaner = Neo4jStore(settings, batch_size=args.batch_size)
            cleaner.clear()
            cleaner.close()
    print(f"bulk: {_relationships(bulk_counts):,} relationships in {bulk_seconds:.1f} s",
          flush=True)
    if bulk_counts != driver_counts:
        print(f"the two loads differ: driver {driver_counts}, bulk {bulk_counts}", file=sys.stderr)
        return 1
    print(f"neo4j bulk: {rels} rels; driver {driver.seconds:.1f} s = "
          f"{rels / driver.seconds:,.0f} rels/s; bulk {bulk_seconds:.1f} s = "
          f"{rels / bulk_seconds:,.0f} rels/s; ratio {driver.seconds / bulk_seconds:.1f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
