"""Detection on Neo4j against detection on the local store, on the same snapshot (issue 18, item 4).

Both stores hold the same snapshot: the local store is loaded by ``ringwatch
load`` into a scratch directory, Neo4j (the server ``RINGWATCH_NEO4J_*`` names)
either already holds it or, with ``--bulk-load``, gets it now through the
offline importer (``ringwatch load --backend neo4j --bulk``: the database must
be empty; ``--clear`` empties it first, keys and audit log included). Both
loads are timed (each keeps its projections with its generation, which
detection then reads), and the benchmark checks that both stores count the
same nodes and relationships before it times detection.

Then ``ringwatch detect`` runs in a fresh process on each store, alternating
``--repeat`` times, and the figure is the ratio of their medians (target: at
most 2x). Each run writes rings.jsonl; the two stores' rings must be the same
(kind, score and members of every ring), else the benchmark fails. Last, one
more fresh process per store runs the same application function as the command
line (``detect_into``) with a clock on every projection read and every
detection step, and prints that profile. With ``--bulk-load`` it also prints
load + detect on each store: the local store's ``ringwatch load`` against
Neo4j's ``load --bulk``. That is not ``ringwatch run --backend neo4j``, which
loads through the driver (``bench_neo4j_ingest.py`` measures that path).

    export RINGWATCH_NEO4J_HOME=.neo4j/bench RINGWATCH_NEO4J_BOLT_PORT=7721 \\
        RINGWATCH_NEO4J_URI=bolt://127.0.0.1:7721 RINGWATCH_NEO4J_PASSWORD=... \\
        RINGWATCH_NEO4J_HEAP=3g RINGWATCH_NEO4J_PAGECACHE=3g
    tools/neo4j_launcher/neo4jctl start
    python bench/bench_neo4j_detection.py --scale 10 --bulk-load          # 1 M rows
    python bench/bench_neo4j_detection.py --data DIR --repeat 1          # DIR already loaded

Each ``detect`` saves a run in the store it ran on (as a scheduled run would),
so the rings of later repeats persist from the first one's.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench_run_floor import child  # a fresh Python per measurement, as the floor's bench runs it

#: ``ringwatch detect`` as the command line runs it, timed inside its process.
DETECT = """
import sys, time
from ringwatch.api.cli import main
backend, out, store = sys.argv[1:4]
sys.argv = ["ringwatch", "--log-level", "warning", "--quiet", "detect", "--backend", backend,
            "--out", out, "--store", store]
started = time.perf_counter()
try:
    main()
except SystemExit as exit:
    if exit.code:
        raise
print(time.perf_counter() - started)
"""

#: detect_into with a clock on each projection read and each detection step.
PROFILE = """
import json, sys, time
from pathlib import Path
from ringwatch.detection import detect_into
from ringwatch.store_settings import StoreSettings
from ringwatch.stores import open_store
backend, out, store_dir = sys.argv[1:4]
store = open_store(StoreSettings.from_env(backend=backend, store_dir=Path(store_dir)))
stages = {}
read = store.projection
def timed_projection(name):
    started = time.perf_counter()
    try:
        return read(name)
    finally:
        key = "read projection " + name
        stages[key] = stages.get(key, 0.0) + time.perf_counter() - started
store.projection = timed_projection
step, last = [None], [time.perf_counter()]
def progress(name):
    now = time.perf_counter()
    if step[0] is not None:
        stages["detect: " + step[0]] = now - last[0]
    step[0], last[0] = name, now
detect_into(store, Path(out), progress=progress)
stages["detect: " + step[0] + " + rings.jsonl, run.json"] = time.perf_counter() - last[0]
store.close()
print(json.dumps(stages))
"""

#: The store's counts, to check that both stores hold the same snapshot.
COUNTS = """
import json, sys
from pathlib import Path
from ringwatch.store_settings import StoreSettings
from ringwatch.stores import open_store
store = open_store(StoreSettings.from_env(backend=sys.argv[1], store_dir=Path(sys.argv[2])))
print(json.dumps(store.counts()))
store.close()
"""


def ringwatch(*args: str, log_level: str = "warning") -> float:
    """Run the ringwatch command line in a fresh process; its wall seconds. Stop if it fails.

    With ``log_level="info"``, the store's timings it logs (import files written, projections
    kept) are printed.
    """
    command = [sys.executable, "-m", "ringwatch", "--log-level", log_level, "--quiet", *args]
    started = time.perf_counter()
    wide = {**os.environ, "COLUMNS": "200"}  # one log record per line
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=wide)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(args[:3])} failed:\n{done.stderr[-3000:]}")
    for line in done.stderr.splitlines():
        if " in " in line and ("kept" in line or "written" in line):
            print(f"  {line.strip()}", flush=True)
    return time.perf_counter() - started


#: Empties the Neo4j database (``--clear``), so that ``--bulk-load`` may import into it.
CLEAR = """
from ringwatch.store_settings import StoreSettings
from ringwatch.stores import open_store
store = open_store(StoreSettings.from_env(backend="neo4j"))
store.clear()
store.close()
print("cleared")
"""


def snapshot_of(args: argparse.Namespace, work: Path) -> Path:
    """The snapshot directory: ``--data``, or one generated at ``--scale`` (kept in ``work``)."""
    if args.data is not None:
        return args.data
    from ringwatch.generator import GeneratorConfig, generate_snapshot

    snapshot = work / f"scale-{args.scale:g}"
    if not (snapshot / "rows.json").exists():
        made = generate_snapshot(snapshot, GeneratorConfig(scale=args.scale, seed=args.seed))
        (snapshot / "rows.json").write_text(json.dumps({"rows": sum(made.rows.values())}))
    return snapshot


def rings_of(out: Path) -> list[tuple[str, float, tuple[tuple[str, str], ...]]]:
    """The rings of a run's rings.jsonl as (kind, score, members), sorted."""
    rings = []
    for line in (out / "rings.jsonl").read_text().splitlines():
        ring = json.loads(line)
        members = tuple(sorted((m["type"], m["id"]) for m in ring["members"]))
        rings.append((ring["kind"], round(float(ring["score"]), 6), members))
    return sorted(rings)


def snapshot_arguments(parser: argparse.ArgumentParser) -> None:
    """The options that choose the snapshot (:func:`snapshot_of`), shared with bench_neo4j_run."""
    parser.add_argument("--data", type=Path, help="snapshot directory (default: generate one)")
    parser.add_argument("--scale", type=float, default=10,
                        help="generator scale without --data (default 10: about 1 M rows; 100: "
                             "about 10 M)")
    parser.add_argument("--seed", type=int, default=7, help="generator seed (default 7)")
    parser.add_argument("--work", type=Path, default=None,
                        help="scratch directory (snapshots are kept there between runs); "
                             "default a temporary one")


def workspace(args: argparse.Namespace, prefix: str) -> tuple[Path, Path] | None:
    """The scratch directory and the snapshot (:func:`snapshot_of`), or None (said on stderr)
    when no Neo4j password is set."""
    if not os.environ.get("RINGWATCH_NEO4J_PASSWORD"):
        print("set RINGWATCH_NEO4J_URI and RINGWATCH_NEO4J_PASSWORD (see --help)", file=sys.stderr)
        return None
    work = args.work or Path(tempfile.mkdtemp(prefix=prefix))
    work.mkdir(parents=True, exist_ok=True)
    return work, snapshot_of(args, work)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    snapshot_arguments(parser)
    parser.add_argument("--bulk-load", action="store_true",
                        help="load the snapshot into the (empty) Neo4j database first, through "
                             "the offline importer")
    parser.add_argument("--clear", action="store_true",
                        help="empty the Neo4j database first (everything in it: keys, audit log)")
    parser.add_argument("--repeat", type=int, default=1, help="detect runs per store (default 1)")
    args = parser.parse_args(argv)
    found = workspace(args, "ringwatch-neo4j-detection-")
    if found is None:
        return 2
    work, snapshot = found
    store = work / "local-store"
    shutil.rmtree(store, ignore_errors=True)
    if args.clear:
        child(CLEAR)
    loads = {"local": ringwatch("load", "--data", str(snapshot), "--store", str(store),
                                "--quarantine", str(work / "quarantine-local"))}
    if args.bulk_load:
        loads["neo4j"] = ringwatch("load", "--backend", "neo4j", "--bulk", "--data", str(snapshot),
                                   "--quarantine", str(work / "quarantine-neo4j"), log_level="info")
    local_counts = json.loads(child(COUNTS, "local", str(store)))
    neo4j_counts = json.loads(child(COUNTS, "neo4j", str(store)))
    if local_counts != neo4j_counts:
        print(f"the stores hold different snapshots: local {local_counts}, neo4j {neo4j_counts}",
              file=sys.stderr)
        return 1
    rows = sum(local_counts.values())
    print(f"snapshot {snapshot}: {rows:,} nodes and relationships in each store", flush=True)

    seconds: dict[str, list[float]] = {"local": [], "neo4j": []}
    for _ in range(args.repeat):
        for backend in seconds:
            out = work / f"out-{backend}"
            shutil.rmtree(out, ignore_errors=True)
            seconds[backend].append(float(child(DETECT, backend, str(out), str(store))))
            print(f"  detect --backend {backend}: {seconds[backend][-1]:.2f} s", flush=True)
    if rings_of(work / "out-local") != rings_of(work / "out-neo4j"):
        print("the two stores' rings differ", file=sys.stderr)
        return 1
    local, neo4j = (statistics.median(seconds[b]) for b in ("local", "neo4j"))
    rings = len(rings_of(work / "out-local"))
    print(f"neo4j detection: {rows:,} nodes+rels, {rings} rings (the same on both stores); "
          f"local {local:.2f} s, neo4j {neo4j:.2f} s: {neo4j / local:.2f}x (target <= 2x)",
          flush=True)
    if "neo4j" in loads:
        both = {b: loads[b] + statistics.median(seconds[b]) for b in seconds}
        print(f"load + detect: local load {loads['local']:.2f} s + detect = {both['local']:.2f} s; "
              f"neo4j load --bulk {loads['neo4j']:.2f} s + detect = {both['neo4j']:.2f} s: "
              f"{both['neo4j'] / both['local']:.2f}x", flush=True)

    for backend in seconds:
        out = work / f"profile-{backend}"
        shutil.rmtree(out, ignore_errors=True)
        stages = json.loads(child(PROFILE, backend, str(out), str(store)))
        total = sum(spent for name, spent in stages.items() if not name.startswith("read "))
        print(f"profile --backend {backend} (the reads are inside 'detect: reading projections'):")
        for name, spent in stages.items():
            share = "" if name.startswith("read ") else f"{spent / total:6.1%}"
            print(f"    {name:<46} {spent:7.2f} s  {share}")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
