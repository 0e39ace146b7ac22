"""Loader benchmark: read + validate a whole snapshot vs a bare pyarrow read of the same files.

Target (issue 18, item 1): ``load_snapshot`` (every table read, validated,
reconciled; no store) costs at most 1.5x a bare read of the same files with
pyarrow's defaults (``pyarrow.csv.read_csv``, or ``pyarrow.parquet.read_table``
for Parquet), on 1 M and 10 M rows. Both are measured in the same run, in
pairs (bare, then ours, then the next pair), because this machine is shared
and noisy; the ratio printed is the median of the pairs' ratios. CPU time
(every thread of the process) is printed beside the wall time: the bare read
and the loader both use every core, and a ratio of CPU times moves less when
other jobs take a core away.

Snapshots come from the generator (scale 10 is about 1 M rows, scale 100 about
10 M): give a directory written by ``python -m ringwatch.generator``, or a
scale to write one into a temporary directory first.

    python bench/bench_loader.py --scale 10 --repeat 7
    python bench/bench_loader.py --snapshot SNAPSHOT_DIR --repeat 3
    python bench/bench_loader.py --scale 10 --format parquet
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ringwatch.loaders import load_snapshot
from ringwatch.loaders.read import find_table_file
from ringwatch.tables import TABLES


@dataclass(frozen=True)
class Timing:
    wall: float
    cpu: float


def timed(work: Callable[[], object]) -> Timing:
    """Wall and process CPU time (all threads) of one call."""
    wall, cpu = time.perf_counter(), time.process_time()
    work()
    return Timing(time.perf_counter() - wall, time.process_time() - cpu)


def bare_read(files: list[Path]) -> None:
    """Every table file read by pyarrow with its defaults: the floor a loader cannot beat."""
    for path in files:
        if path.name.endswith(".parquet"):
            pq.read_table(path)
        else:
            pacsv.read_csv(path)


def measure(snapshot: Path, repeat: int) -> None:
    files = [p for spec in TABLES if (p := find_table_file(snapshot, spec.name)) is not None]
    result = load_snapshot(snapshot)  # warm-up: imports, page cache
    rows = sum(t.read for t in result.summary.tables)
    assert result.summary.reconciles
    bare: list[Timing] = []
    ours: list[Timing] = []
    for _ in range(repeat):
        bare.append(timed(lambda: bare_read(files)))
        ours.append(timed(lambda: load_snapshot(snapshot)))
    wall = statistics.median(o.wall / b.wall for b, o in zip(bare, ours, strict=True))
    cpu = statistics.median(o.cpu / b.cpu for b, o in zip(bare, ours, strict=True))
    kind = "Parquet" if files[0].name.endswith(".parquet") else "CSV"
    print(f"loader, {rows:,} rows of {kind} ({snapshot.name}), median of {repeat} pairs: "
          f"bare pyarrow read {statistics.median(b.wall for b in bare):.2f} s "
          f"(CPU {statistics.median(b.cpu for b in bare):.2f} s); "
          f"read + validate {statistics.median(o.wall for o in ours):.2f} s "
          f"(CPU {statistics.median(o.cpu for o in ours):.2f} s; "
          f"{result.summary.quarantined:,} quarantined); "
          f"ratio {wall:.2f}x wall (target <= 1.5x), {cpu:.2f}x CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--snapshot", type=Path, action="append",
                        help="a snapshot directory (repeatable)")
    source.add_argument("--scale", type=int, action="append",
                        help="write a generator snapshot of this scale first (repeatable)")
    parser.add_argument("--format", choices=("csv", "csv.gz", "parquet"), default="csv",
                        help="the format --scale writes")
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    if args.snapshot:
        for snapshot in args.snapshot:
            measure(snapshot, args.repeat)
        return
    with tempfile.TemporaryDirectory() as tmp:
        for scale in args.scale:
            snapshot = Path(tmp) / f"scale-{scale}"
            subprocess.run([sys.executable, "-m", "ringwatch.generator", "--out", str(snapshot),
                            "--scale", str(scale), "--format", args.format],
                           check=True, stdout=subprocess.DEVNULL)
            measure(snapshot, args.repeat)


if __name__ == "__main__":
    main()
