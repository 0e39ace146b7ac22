"""The whole ``ringwatch run`` on Neo4j against the same run on the local store (issue 18, item 4).

Both runs are what a new deployment does with a snapshot: ``ringwatch run
--data SNAPSHOT --out DIR`` in a fresh process, once into a new local store
(``--store`` a new directory) and once with ``--backend neo4j`` into the
database ``RINGWATCH_NEO4J_*`` names, emptied first (keys and audit log
included), so that ``run`` takes the offline importer's path (the bundled
server of ``tools/neo4j_launcher``: it is stopped and started around the
import). Each process is timed from outside (interpreter start to exit) and the
figure is the ratio of the two (target: at most 2x at 10 M rows); both runs must
find the same rings (kind, score, members), else the benchmark fails.

The same process prints where its time went: validation, the store's write
(on Neo4j: the import files, the importer with the server's stop and start,
the projections computed beside it and kept after it, from the store's log),
each detection step, and the report. With ``--repeat N`` both runs alternate N
times (Neo4j emptied before each) and the medians are compared.

    export RINGWATCH_NEO4J_HOME=.neo4j/run RINGWATCH_NEO4J_BOLT_PORT=7721 \\
        RINGWATCH_NEO4J_URI=bolt://127.0.0.1:7721 RINGWATCH_NEO4J_PASSWORD=... \\
        RINGWATCH_NEO4J_HEAP=3g RINGWATCH_NEO4J_PAGECACHE=3g
    tools/neo4j_launcher/neo4jctl start
    python bench/bench_neo4j_run.py --scale 10             # 1 M rows
    python bench/bench_neo4j_run.py --scale 100            # 10 M rows
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import time
from pathlib import Path

from bench_neo4j_detection import CLEAR, rings_of, snapshot_arguments, workspace
from bench_run_floor import child

#: ``ringwatch run`` as the command line runs it, with a clock on each stage; prints the stages
#: as JSON (the seconds of each, in order) and the peak resident memory.
RUN = """
import json, logging, re, resource, sys, time
from ringwatch import loading
from ringwatch.api import cli
data, out, store, backend = sys.argv[1:5]
stages, last = {}, [time.perf_counter()]

def mark(name):
    now = time.perf_counter()
    stages[name] = stages.get(name, 0.0) + now - last[0]
    last[0] = now

class StoreLog(logging.Handler):
    # The stores log the parts of a write they time: import files, import, projections.
    def emit(self, record):
        text = record.getMessage()
        found = re.match(r"(.+?) (?:of generation \\S+ )?(?:kept )?in ([0-9.]+) s", text)
        if found:
            name = "  " + ("projections kept" if "kept" in text else found.group(1))
            stages[name] = float(found.group(2))

for name in ("ringwatch.graph.neo4j_bulk", "ringwatch.graph.neo4j_store"):
    logging.getLogger(name).addHandler(StoreLog())

validate = loading.load_snapshot
def timed_validate(*args, **kwargs):
    try:
        return validate(*args, **kwargs)
    finally:
        mark("load: validate + quarantine")
loading.load_snapshot = timed_validate

load = cli.load_into
def timed_load(*args, **kwargs):
    try:
        return load(*args, **kwargs)
    finally:
        mark("load: write to the store")
cli.load_into = timed_load

detect = cli.detect_into
def timed_detect(store, out, *, progress=None, **kwargs):
    step = [None]
    def clocked(name):
        mark("open the store" if step[0] is None else "detect: " + step[0])
        step[0] = name
        if progress:
            progress(name)
    try:
        return detect(store, out, progress=clocked, **kwargs)
    finally:
        mark("detect: " + step[0] + " + rings.jsonl, run.json")
cli.detect_into = timed_detect

report = cli._write_report
def timed_report(*args, **kwargs):
    try:
        return report(*args, **kwargs)
    finally:
        mark("report.html")
cli._write_report = timed_report

where = ["--backend", "neo4j"] if backend == "neo4j" else ["--store", store]
sys.argv = ["ringwatch", "--log-level", "info", "--quiet", "run", "--data", data, "--out", out,
            *where]
started = time.perf_counter()
try:
    cli.main()
except SystemExit as exit:
    if exit.code:
        raise
mark("the rest (top rings, exit)")
peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20
print(json.dumps({"stages": stages, "inside": time.perf_counter() - started, "peak_gib": peak}))
"""


def timed_run(snapshot: Path, out: Path, store: Path, backend: str) -> tuple[float, dict]:
    """One fresh ``ringwatch run`` process: its wall seconds and its stages."""
    shutil.rmtree(out, ignore_errors=True)
    shutil.rmtree(store, ignore_errors=True)
    started = time.perf_counter()
    line = child(RUN, str(snapshot), str(out), str(store), backend)
    return time.perf_counter() - started, json.loads(line)


def load_average() -> str:
    return " ".join(f"{value:.1f}" for value in os.getloadavg())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    snapshot_arguments(parser)
    parser.add_argument("--repeat", type=int, default=1, help="runs per store (default 1)")
    args = parser.parse_args(argv)
    found = workspace(args, "ringwatch-neo4j-run-")
    if found is None:
        return 2
    work, snapshot = found
    print(f"snapshot {snapshot}; load average {load_average()}", flush=True)

    seconds: dict[str, list[float]] = {"local": [], "neo4j": []}
    profiles: dict[str, dict] = {}
    for _ in range(args.repeat):
        for backend in seconds:
            if backend == "neo4j":
                child(CLEAR)
            wall, profile = timed_run(snapshot, work / f"out-{backend}", work / "local-store",
                                      backend)
            seconds[backend].append(wall)
            profiles[backend] = profile
            print(f"  run --backend {backend}: {wall:.2f} s (peak {profile['peak_gib']:.2f} GiB; "
                  f"load average {load_average()})", flush=True)
    rings = rings_of(work / "out-local")
    if rings != rings_of(work / "out-neo4j"):
        print("the two stores' rings differ", file=sys.stderr)
        return 1
    local, neo4j = (statistics.median(seconds[b]) for b in ("local", "neo4j"))
    print(f"neo4j run: {len(rings)} rings (the same on both stores); local {local:.2f} s, "
          f"neo4j {neo4j:.2f} s: {neo4j / local:.2f}x (target <= 2x)", flush=True)

    names = list(dict.fromkeys([*profiles["local"]["stages"], *profiles["neo4j"]["stages"]]))
    print(f"profile of the last runs (seconds)      {'--backend local':>16} {'--backend neo4j':>16}")
    for name in names:
        cells = [profiles[b]["stages"].get(name) for b in ("local", "neo4j")]
        text = [f"{cell:16.2f}" if cell is not None else f"{'':16}" for cell in cells]
        print(f"    {name:<40}{text[0]} {text[1]}")
    print(f"    {'inside the process':<40}{profiles['local']['inside']:16.2f} "
          f"{profiles['neo4j']['inside']:16.2f}")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
