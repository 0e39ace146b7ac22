"""How `ringwatch run` on the local store grows with input size.

Generates snapshots of about 100 thousand, 1 million and 10 million rows
(generator scale 1, 10, 100), runs ``ringwatch run`` on each in a fresh
process, and prints wall time, peak memory and the growth exponent between
sizes (log time / log rows). Target (issue: detection): the run fits in the
machine's 24 GiB at 10 million rows and its time grows no faster than about
n^1.15. The exponent is a ratio of two measurements made in the same run, so
it tolerates this machine's noise better than absolute seconds.

    python bench/bench_run_scaling.py --scales 1 10 100
"""

from __future__ import annotations

import argparse
import itertools
import json
import math
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def run_once(snapshot: Path, work: Path) -> tuple[float, float]:
    """Run `ringwatch run` in a child process; return (seconds, peak RSS in GiB of that child)."""
    store, out = work / "store", work / "out"
    shutil.rmtree(store, ignore_errors=True)
    shutil.rmtree(out, ignore_errors=True)
    script = ("import resource, sys; from ringwatch.api.cli import main; "
              "sys.argv = ['ringwatch', '--log-level', 'warning', 'run', '--data', sys.argv[1], "
              "'--out', sys.argv[2], '--store', sys.argv[3]]\n"
              "try:\n    main()\nexcept SystemExit as e:\n    code = e.code\nelse:\n    code = 0\n"
              "print('PEAK_KB', resource.getrusage(resource.RUSAGE_SELF).ru_maxrss, file=sys.stderr)\n"
              "sys.exit(code)")
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script, str(snapshot), str(out), str(store)],
                          capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"ringwatch run failed on {snapshot}:\n{done.stderr[-3000:]}")
    peak_kb = next(int(line.split()[1]) for line in done.stderr.splitlines()
                   if line.startswith("PEAK_KB"))
    return seconds, peak_kb / 1024 / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[1, 10, 100])
    parser.add_argument("--work", type=Path, default=None,
                        help="Where snapshots are generated (kept between runs); default a temp dir.")
    args = parser.parse_args()
    from ringwatch.generator import GeneratorConfig, generate_snapshot

    work = args.work or Path(tempfile.mkdtemp(prefix="ringwatch-scaling-"))
    results = []
    for scale in args.scales:
        snapshot = work / f"scale-{scale:g}"
        if not (snapshot / "labels.csv").exists():
            made = generate_snapshot(snapshot, GeneratorConfig(scale=scale, seed=7))
            rows = sum(made.rows.values())
            (snapshot / "rows.json").write_text(json.dumps({"rows": rows}))
        rows = json.loads((snapshot / "rows.json").read_text())["rows"]
        seconds, peak = run_once(snapshot, work / f"run-{scale:g}")
        results.append((rows, seconds, peak))
        print(f"run: {rows:>11,} rows  {seconds:8.1f} s  peak {peak:5.2f} GiB", flush=True)
    for (r0, t0, _), (r1, t1, _) in itertools.pairwise(results):
        print(f"growth {r0:,} -> {r1:,} rows: time x{t1 / t0:.1f} for rows x{r1 / r0:.1f}, "
              f"exponent {math.log(t1 / t0) / math.log(r1 / r0):.2f} (target <= 1.15)")
    if len(results) >= 2:
        (r0, t0, _), (r1, t1, _) = results[0], results[-1]
        print(f"overall exponent {math.log(t1 / t0) / math.log(r1 / r0):.2f}; "
              f"peak memory {max(p for _, _, p in results):.2f} GiB (limit 24 GiB)")
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
