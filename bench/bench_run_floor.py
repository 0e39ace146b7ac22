"""`ringwatch run` against its floor, and where its time goes, per stage (issue 18, item 6).

The floor is what any tool answering the same question must do: read every
table of the snapshot (``pyarrow.csv.read_csv`` with its defaults, both cores)
and make one Leiden pass over the account-identifier graph (python-igraph,
modularity, on the links' integer codes). ``ringwatch run`` (load, validate,
write the local store, detect, write rings.jsonl, run.json and the report)
runs in a fresh process on the same snapshot, its detectors' searches over
``RINGWATCH_WORKERS`` processes (default: every core; ``core/forked.py``);
floor and run alternate ``--repeat`` times and the figure is the ratio of their
medians (this machine is noisy: read the ratio, not the seconds; each round's own
ratio is printed beside it, to show how far one round moves, and the CPU seconds
of both, every thread and worker counted, which move less). The command
allocates Arrow's memory from a pool that reuses freed pages
(``loaders/memory_pool.py``), which pyarrow's default pool does not; the floor
is read both ways, with pyarrow's defaults (the figure) and with the run's pool
(the ratio beside it), so the allocator's share of the figure shows. Peak
memory is the run process's maximum resident set, and its largest worker's
beside it (which counts the pages it shares with the run's process). A third
child runs the same application functions as the command line with a clock at
every stage and prints the profile, and
the time a fresh store object takes to read every projection (the local store
writes them into the load's generation, so this is a Parquet read).

Target (issue 18): at most 1.5x the floor at 2 M rows (generator scale about
21), and time growing no faster than n^1.1 from 1 M to 10 M rows.

    python bench/bench_run_floor.py --scales 10 21 --repeat 3
    python bench/bench_run_floor.py --scales 10 100 --repeat 1      # growth to 10 M rows
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import shutil
import statistics
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

#: The floor, in a child: every table read by pyarrow, one Leiden pass over the links.
FLOOR = """
import sys, time
from pathlib import Path
import numpy as np, pyarrow as pa, pyarrow.csv as pv, pyarrow.compute as pc, igraph as ig
if sys.argv[2] == "reusing":  # the pool `ringwatch` allocates from
    from ringwatch.loaders.memory_pool import load_pool
    pa.set_memory_pool(load_pool())
started, cpu = time.perf_counter(), time.process_time()
tables = {p.stem: pv.read_csv(p) for p in sorted(Path(sys.argv[1]).glob("*.csv"))
          if p.stem not in ("labels", "lookalikes")}
links = tables["identity_links"]
account = pc.binary_join_element_wise(links["account_type"], links["account_id"], ":")
ident = pc.binary_join_element_wise(links["identifier_type"], links["identifier"], ":")
a = pc.dictionary_encode(account).combine_chunks()
i = pc.dictionary_encode(ident).combine_chunks()
n_a = len(a.dictionary)
edges = np.column_stack([a.indices.to_numpy(), i.indices.to_numpy() + n_a])
graph = ig.Graph(n=n_a + len(i.dictionary), edges=edges)
graph.community_leiden(objective_function="modularity", n_iterations=1)
print(time.perf_counter() - started, time.process_time() - cpu)
"""

#: `ringwatch run` as the command line runs it, in a child, with its peak memory.
RUN = """
import resource, sys, time
from ringwatch.api.cli import main
sys.argv = ["ringwatch", "--log-level", "warning", "--quiet", "run", "--data", sys.argv[1],
            "--out", sys.argv[2], "--store", sys.argv[3]]
def cpu():  # this process's threads, and its workers once they have ended
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime
started, used = time.perf_counter(), cpu()
try:
    main()
except SystemExit as exit:
    if exit.code:
        raise
print(time.perf_counter() - started, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
      resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss, cpu() - used)
"""

#: The same application functions with a clock at each stage (the profile).
PROFILE = """
import json, sys, time
from pathlib import Path
from ringwatch.api import cli
from ringwatch.detection import detect_into
from ringwatch.graph.local_store import LocalStore
from ringwatch.loading import validated_snapshot
from ringwatch.loaders.memory_pool import reuse_freed_memory
reuse_freed_memory()  # as the command line's set-up does
data, out, store_dir = map(Path, sys.argv[1:4])
stages, last = [], [time.perf_counter()]
def mark(name):
    now = time.perf_counter()
    stages.append((name, now - last[0]))
    last[0] = now
result = validated_snapshot(data, quarantine_dir=out / "quarantine")  # as `load_into` reads it
mark("read + validate")
store = LocalStore(store_dir)
store.write_snapshot(result.snapshot)
mark("write the local store + projections")
import logging
from ringwatch.detectors import pipeline, registry
from ringwatch.forked import workers_from_env
searches = []
class Kept(logging.Handler):
    def emit(self, record):
        if record.msg == pipeline.SEARCHED:  # one detector's search
            searches.append(record.getMessage())
logging.getLogger("ringwatch.detectors.pipeline").addHandler(Kept())
logging.getLogger("ringwatch.detectors.pipeline").setLevel(logging.INFO)
steps = {d.step for d in registry.detectors()}
step = [None]
def progress(name):
    if name in steps:  # the searches run at once over the workers: one stage
        name = f"detectors' searches ({workers_from_env()} processes)"
    if name == step[0]:
        return
    if step[0] is not None:
        mark("detect: " + step[0])
    else:
        last[0] = time.perf_counter()
    step[0] = name
run = detect_into(store, out, progress=progress)
mark("detect: " + step[0] + " + rings.jsonl, run.json")
cli._write_report(store, out, run, top=20, summary=result.summary.as_dict())
mark("report.html")
from ringwatch.graph.projections import PROJECTIONS
fresh = LocalStore(store_dir)  # as a later `detect` process opens it: nothing cached
started = time.perf_counter()
for name in PROJECTIONS:
    fresh.projection(name)
reads = time.perf_counter() - started
print(json.dumps({"stages": stages, "projection_reads": reads, "searches": searches}))
"""


def child(script: str, *args: str) -> str:
    """Run ``script`` in a fresh Python with ``args``; its last stdout line."""
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True,
                          check=False)
    if done.returncode != 0:
        raise SystemExit(f"child failed:\n{done.stderr[-3000:]}")
    return done.stdout.strip().splitlines()[-1]


def snapshot_of(scale: float, work: Path) -> tuple[Path, int]:
    """A generated snapshot (kept in ``work`` between runs) and its data rows."""
    from ringwatch.generator import GeneratorConfig, generate_snapshot

    snapshot = work / f"scale-{scale:g}"
    if not (snapshot / "rows.json").exists():
        made = generate_snapshot(snapshot, GeneratorConfig(scale=scale, seed=7))
        (snapshot / "rows.json").write_text(json.dumps({"rows": sum(made.rows.values())}))
    return snapshot, json.loads((snapshot / "rows.json").read_text())["rows"]


@dataclass(frozen=True)
class Measured:
    """Medians of the alternating runs (seconds), the pairs' own ratios and the peaks (GiB)."""

    floor: float
    pooled: float
    run: float
    floor_cpu: float
    run_cpu: float
    ratios: list[float]
    peak: float
    worker: float


def measure(snapshot: Path, work: Path, repeat: int) -> Measured:
    """The floor (pyarrow's default pool, then the run's) and the run, alternating ``repeat``
    times: wall and CPU seconds (every thread, and the run's workers), each round's ratio of
    run to floor, and the peaks: the run's process, and its largest worker (whose resident
    set counts the pages it shares with the run's process, copy-on-write)."""
    floors, floor_cpus, pooled, runs, run_cpus, peaks, workers = [], [], [], [], [], [], []
    for _ in range(repeat):
        wall, cpu = child(FLOOR, str(snapshot), "default").split()
        floors.append(float(wall))
        floor_cpus.append(float(cpu))
        pooled.append(float(child(FLOOR, str(snapshot), "reusing").split()[0]))
        target = work / "run"
        shutil.rmtree(target, ignore_errors=True)
        seconds, peak_kb, worker_kb, cpu = child(RUN, str(snapshot), str(target / "out"),
                                                 str(target / "store")).split()
        runs.append(float(seconds))
        run_cpus.append(float(cpu))
        peaks.append(int(peak_kb) / 1024 / 1024)
        workers.append(int(worker_kb) / 1024 / 1024)
    return Measured(statistics.median(floors), statistics.median(pooled), statistics.median(runs),
                    statistics.median(floor_cpus), statistics.median(run_cpus),
                    [r / f for r, f in zip(runs, floors, strict=True)], max(peaks), max(workers))


def profile(snapshot: Path, work: Path) -> tuple[list[tuple[str, float]], float, list[str]]:
    """Seconds per stage of one run, of reading every projection from the loaded store
    afresh (what "reading projections" costs the store; the rest of that stage is the
    detectors' preparation of the shared arrays), and each detector's search: its seconds
    and the process it ran in (the searches run at once over the workers, one stage)."""
    target = work / "profile"
    shutil.rmtree(target, ignore_errors=True)
    found = json.loads(child(PROFILE, str(snapshot), str(target / "out"), str(target / "store")))
    return [tuple(s) for s in found["stages"]], found["projection_reads"], found["searches"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[10, 21])
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--work", type=Path, default=None,
                        help="Where snapshots are generated (kept between runs); default a temp dir.")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="ringwatch-floor-"))
    results = []
    for scale in args.scales:
        snapshot, rows = snapshot_of(scale, work)
        m = measure(snapshot, work, args.repeat)
        results.append((rows, m.run))
        print(f"scale {scale:g}: {rows:,} rows; run {m.run:.2f} s against the floor's {m.floor:.2f} s: "
              f"{m.run / m.floor:.2f}x (target <= 1.5x); against the floor read with the run's "
              f"memory pool ({m.pooled:.2f} s): {m.run / m.pooled:.2f}x; peak {m.peak:.2f} GiB "
              f"(largest worker {m.worker:.2f} GiB, shared pages included)", flush=True)
        print(f"    each round's ratio: {min(m.ratios):.2f}x to {max(m.ratios):.2f}x; CPU (every "
              f"thread and worker): run {m.run_cpu:.2f} s against the floor's {m.floor_cpu:.2f} s, "
              f"{m.run_cpu / m.floor_cpu:.2f}x", flush=True)
        stages, reads, searches = profile(snapshot, work)
        total = sum(s for _, s in stages)
        for name, seconds in stages:
            print(f"    {name:<42} {seconds:7.2f} s  {seconds / total:6.1%}")
            if name.startswith("detect: detectors' searches"):
                for line in searches:
                    print(f"        {line}")
        print(f"    (every projection read from the loaded store afresh: {reads:.2f} s)")
    for (r0, t0), (r1, t1) in itertools.pairwise(results):
        print(f"growth {r0:,} -> {r1:,} rows: time x{t1 / t0:.2f} for rows x{r1 / r0:.2f}, "
              f"exponent {math.log(t1 / t0) / math.log(r1 / r0):.2f} (target <= 1.1 from 1 M to 10 M)")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
