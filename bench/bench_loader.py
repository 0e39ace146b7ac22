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

    python bench/bench_loader.py --scale 10 --format csv parquet --repeat 7
    python bench/bench_loader.py --snapshot CSV_DIR PARQUET_DIR --repeat 3 --profile

With several snapshots (the same data as CSV and as Parquet), each round
measures every one, and each line after the first also gives its load time as
a ratio of the first's. ``--baseline-loaders DIR`` adds another revision's
``loaders/`` package (``git archive main loaders | tar -x -C DIR``) to every
round, so that a change is measured against its base in the same conditions;
both must return the same frames.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib.util
import pstats
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pyarrow.csv as pacsv
import pyarrow.parquet as pq

from ringwatch.loaders import load_snapshot
from ringwatch.loaders import snapshot as snapshot_module
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


def profile(snapshot: Path) -> None:
    """Where one load's time goes: the loader's own functions by cumulative time, the tables
    validated one after another (cProfile sees one thread)."""
    profiler = cProfile.Profile()
    with SerialValidation(profiler):
        load_snapshot(snapshot)
    stats = pstats.Stats(profiler)
    stats.sort_stats("cumulative").print_stats(r"loaders/", 25)


class SerialValidation:
    """Validate the tables one after another in the calling thread, where the profiler runs."""

    def __init__(self, profiler: cProfile.Profile) -> None:
        self.profiler = profiler
        self.workers = snapshot_module.WORKERS

    def __enter__(self) -> None:
        snapshot_module.WORKERS = 1
        self.profiler.enable()

    def __exit__(self, *_: object) -> None:
        self.profiler.disable()
        snapshot_module.WORKERS = self.workers


def baseline_loader(directory: Path) -> Callable[[Path], Any]:
    """``load_snapshot`` of a copy of another revision's ``loaders/`` package in ``directory``,
    imported under a name of its own beside this one (it imports the root package as it is)."""
    spec = importlib.util.spec_from_file_location(
        "baseline_loaders", directory / "__init__.py", submodule_search_locations=[str(directory)])
    if spec is None or spec.loader is None:
        raise SystemExit(f"{directory}: no loaders package there")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module.load_snapshot


def measure(snapshots: list[Path], repeat: int, baseline: Callable[[Path], Any] | None = None,
            ) -> None:
    """Pairs of (bare read, load) per snapshot, all snapshots in each round; one line each
    (two with a baseline loader, measured in the same rounds)."""
    files = {s: [p for spec in TABLES if (p := find_table_file(s, spec.name)) is not None]
             for s in snapshots}
    rows = {}
    for snapshot in snapshots:
        result = load_snapshot(snapshot)  # warm-up: imports, page cache
        assert result.summary.reconciles
        rows[snapshot] = (sum(t.read for t in result.summary.tables), result.summary.quarantined)
        if baseline is not None:
            base = baseline(snapshot)
            for name, frame in result.snapshot.tables.items():
                pd.testing.assert_frame_equal(frame, base.snapshot[name])
    bare: dict[Path, list[Timing]] = {s: [] for s in snapshots}
    ours: dict[Path, list[Timing]] = {s: [] for s in snapshots}
    base_times: dict[Path, list[Timing]] = {s: [] for s in snapshots}
    for _ in range(repeat):
        for snapshot in snapshots:
            bare[snapshot].append(timed(lambda s=snapshot: bare_read(files[s])))
            if baseline is not None:
                base_times[snapshot].append(timed(lambda s=snapshot: baseline(s)))
            ours[snapshot].append(timed(lambda s=snapshot: load_snapshot(s)))
    first = snapshots[0]
    for snapshot in snapshots:
        b, o = bare[snapshot], ours[snapshot]
        wall = statistics.median(x.wall / y.wall for y, x in zip(b, o, strict=True))
        cpu = statistics.median(x.cpu / y.cpu for y, x in zip(b, o, strict=True))
        kind = "Parquet" if files[snapshot][0].name.endswith(".parquet") else "CSV"
        read, quarantined = rows[snapshot]
        line = (f"loader, {read:,} rows of {kind} ({snapshot.name}), median of {repeat} pairs: "
                f"bare pyarrow read {statistics.median(y.wall for y in b):.2f} s "
                f"(CPU {statistics.median(y.cpu for y in b):.2f} s); "
                f"read + validate {statistics.median(x.wall for x in o):.2f} s "
                f"(CPU {statistics.median(x.cpu for x in o):.2f} s; {quarantined:,} quarantined); "
                f"ratio {wall:.2f}x wall (target <= 1.5x), {cpu:.2f}x CPU")
        if snapshot != first:
            against = statistics.median(x.wall / y.wall for y, x in zip(ours[first], o, strict=True))
            line += f"; load time {against:.2f}x that of {first.name}"
        print(line)
        if baseline is not None:
            m = base_times[snapshot]
            print(f"  baseline loaders, same rounds: read + validate "
                  f"{statistics.median(x.wall for x in m):.2f} s "
                  f"(CPU {statistics.median(x.cpu for x in m):.2f} s); ratio "
                  f"{statistics.median(x.wall / y.wall for y, x in zip(b, m, strict=True)):.2f}x wall, "
                  f"{statistics.median(x.cpu / y.cpu for y, x in zip(b, m, strict=True)):.2f}x CPU")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    source = parser.add_mutually_exclusive_group(required=True)
    source.add_argument("--snapshot", type=Path, nargs="+",
                        help="snapshot directories, measured in the same rounds")
    source.add_argument("--scale", type=int, help="write a generator snapshot of this scale first")
    parser.add_argument("--format", nargs="+", choices=("csv", "csv.gz", "parquet"),
                        default=["csv"], help="the formats --scale writes (each is measured)")
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--profile", action="store_true",
                        help="print where one load of the first snapshot spends its time")
    parser.add_argument("--baseline-loaders", type=Path, metavar="DIR",
                        help="another revision's loaders/ package, measured in the same rounds")
    args = parser.parse_args()
    baseline = baseline_loader(args.baseline_loaders) if args.baseline_loaders else None
    if args.snapshot:
        if args.profile:
            profile(args.snapshot[0])
        measure(args.snapshot, args.repeat, baseline)
        return
    with tempfile.TemporaryDirectory() as tmp:
        snapshots = []
        for form in args.format:
            snapshot = Path(tmp) / f"scale-{args.scale}-{form}"
            subprocess.run([sys.executable, "-m", "ringwatch.generator", "--out", str(snapshot),
                            "--scale", str(args.scale), "--format", form],
                           check=True, stdout=subprocess.DEVNULL)
            snapshots.append(snapshot)
        if args.profile:
            profile(snapshots[0])
        measure(snapshots, args.repeat, baseline)


if __name__ == "__main__":
    main()
