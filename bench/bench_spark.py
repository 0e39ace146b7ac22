"""Detection with the Spark engine (local[2]) beside the in-process engine on the same store.

Issue 19: on one small machine Spark is expected to be slower (a JVM, Arrow
copies between the JVM and Python, a shuffle per projection and per round of
connected components, all for data that fits in one process); this says by
how much, where the time goes, and how much memory Spark holds (the Python
driver's peak RSS and the JVM's, with its Python workers, sampled every 0.2 s).
Both engines run the same pipeline on copies of one loaded local store, and the
rings are checked equal.

    python bench/bench_spark.py --scale 10          # about 1 M snapshot rows
    python bench/bench_spark.py --scale 100 --driver-memory 4g   # about 10 M
"""

from __future__ import annotations

import argparse
import json
import logging
import os
import resource
import shutil
import tempfile
import threading
import time
from pathlib import Path


def _rss_tree_kb(root: int) -> int:
    """Resident memory of ``root`` and every process below it (the JVM and its Python workers)."""
    children: dict[int, list[int]] = {}
    rss: dict[int, int] = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            status = (entry / "status").read_text()
        except OSError:
            continue
        fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
        pid = int(entry.name)
        children.setdefault(int(fields.get("PPid", "0").strip()), []).append(pid)
        rss[pid] = int(fields.get("VmRSS", "0 kB").split()[0])
    total, stack = 0, [root]
    while stack:
        pid = stack.pop()
        total += rss.get(pid, 0)
        stack.extend(children.get(pid, []))
    return total


class PeakSampler(threading.Thread):
    """The peak resident memory of a process tree, sampled in the background."""

    def __init__(self, pid: int, every: float = 0.2) -> None:
        super().__init__(daemon=True)
        self.pid, self.every, self.peak_kb = pid, every, 0
        self._done = threading.Event()

    def run(self) -> None:
        while not self._done.is_set():
            self.peak_kb = max(self.peak_kb, _rss_tree_kb(self.pid))
            self._done.wait(self.every)

    def stop(self) -> int:
        self._done.set()
        self.join()
        return self.peak_kb


class StepClock:
    """Seconds per pipeline step (the ``progress`` callback marks each step's start)."""

    def __init__(self) -> None:
        self.marks: list[tuple[str, float]] = []

    def __call__(self, step: str) -> None:
        self.marks.append((step, time.perf_counter()))

    def seconds(self, end: float) -> dict[str, float]:
        ends = [t for _, t in self.marks[1:]] + [end]
        return {step: round(e - t, 1) for (step, t), e in zip(self.marks, ends, strict=True)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=10.0, help="generator scale (10 = ~1 M rows)")
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--master", default="local[2]")
    parser.add_argument("--data", type=Path, help="a snapshot directory instead of generating one")
    parser.add_argument("--driver-memory", default="4g",
                        help="spark.driver.memory (local mode: the one JVM's heap; Spark's default "
                        "1g cannot collect the 10 M-row projections)")
    parser.add_argument("--shuffle-partitions", type=int, default=None,
                        help="spark.sql.shuffle.partitions (default: twice the local cores)")
    args = parser.parse_args()
    logging.basicConfig(format="%(asctime)s %(name)s %(message)s")
    logging.getLogger("ringwatch.spark").setLevel(logging.INFO)  # the identity stage's parts

    from ringwatch.detectors.pipeline import run_detection
    from ringwatch.generator import GeneratorConfig, generate_snapshot
    from ringwatch.graph.local_store import LocalStore
    from ringwatch.loading import load_into
    from ringwatch.spark.engine import SparkEngine
    from ringwatch.spark.session import spark_session

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        data = args.data or generate_snapshot(
            root / "snapshot", GeneratorConfig(scale=args.scale, seed=args.seed)).path
        loaded = load_into(LocalStore(root / "in_process"), data, quarantine_dir=root / "q")
        rows = sum(t.read for t in loaded.summary.tables)
        shutil.copytree(root / "in_process", root / "spark")

        clock_ours, clock_theirs = StepClock(), StepClock()
        started = time.perf_counter()
        ours = run_detection(LocalStore(root / "in_process"), progress=clock_ours)
        in_process = time.perf_counter() - started
        steps_ours = clock_ours.seconds(time.perf_counter())
        python_peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss

        started = time.perf_counter()
        spark = spark_session(args.master, shuffle_partitions=args.shuffle_partitions,
                              conf={"spark.driver.memory": args.driver_memory,
                                    "spark.driver.maxResultSize": "0"})
        session = time.perf_counter() - started
        jvm = int(spark.sparkContext._jvm.ProcessHandle.current().pid())
        sampler = PeakSampler(jvm)
        sampler.start()
        store = LocalStore(root / "spark")
        started = time.perf_counter()
        theirs = run_detection(store, engine=SparkEngine(spark, store.graph.tables_directory()),
                               progress=clock_theirs)
        on_spark = time.perf_counter() - started
        steps_theirs = clock_theirs.seconds(time.perf_counter())
        jvm_peak_kb = sampler.stop()
        driver_peak_kb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        spark.stop()

    def rings(result, digits=9):
        return sorted((r["kind"], r["score"] if digits is None else round(r["score"], digits),
                       tuple(sorted(m["id"] for m in r["members"]))) for r in result.rings)

    def by_members(result):
        return {(r["kind"], tuple(sorted(m["id"] for m in r["members"]))): r for r in result.rings}

    ours_by, theirs_by = by_members(ours), by_members(theirs)
    score_gaps = [abs(ours_by[k]["score"] - theirs_by[k]["score"]) for k in ours_by.keys() & theirs_by.keys()]

    print(json.dumps({
        "scale": args.scale, "snapshot_rows": rows, "master": args.master,
        "driver_memory": args.driver_memory,
        "identity_links": next(t.read for t in loaded.summary.tables if t.table == "identity_links"),
        "cores": os.cpu_count(),
        "in_process_seconds": round(in_process, 1),
        "spark_session_seconds": round(session, 1),
        "spark_seconds": round(on_spark, 1),
        "ratio_spark_to_in_process": round(on_spark / in_process, 2),
        "in_process_steps": steps_ours, "spark_steps": steps_theirs,
        "rings": len(ours.rings), "same_rings": rings(ours) == rings(theirs),
        "identical_scores": rings(ours, None) == rings(theirs, None),
        "largest_score_difference": max(score_gaps, default=0.0),
        "same_ring_ids": [r["ring_id"] for r in ours.rings] == [r["ring_id"] for r in theirs.rings],
        "python_peak_mb_after_in_process": round(python_peak_kb / 1024),
        "driver_peak_mb": round(driver_peak_kb / 1024),
        "jvm_and_workers_peak_mb": round(jvm_peak_kb / 1024),
    }, indent=2))


if __name__ == "__main__":
    main()
