"""Detection time now against the detection of an earlier commit, on the same store, in one run.

Target (issue: detection that holds against adversaries): detection time grows
at most 30 % over the detectors as they were before that work, on the 1 M and
10 M row benchmarks. Both versions load one generated snapshot into a local
store of their own (with their own loader and store: the store's layout moves
between versions, and a version must read what it writes), then run
``run_detection`` on copies of it, alternately, ``--repeat`` times each; only
detection is timed. The ratio of the
medians is the figure (machines here are noisy: read the ratio, not seconds);
the ratio of the processes' CPU times is printed beside it, since it moves less
when other jobs compete for the cores.

The earlier version is checked out with ``git worktree`` into a temporary
directory and imported from there under the package name ``ringwatch`` (the
repository's folders linked into one package, as the wheel installs them).

    python bench/bench_detection_growth.py --scales 10 100 --baseline-ref a10802e
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
FOLDERS = ("api", "cypher", "detectors", "generator", "graph", "loaders")

#: Runs in a child process: loads the snapshot into a store once (argv: snapshot, store).
LOAD = """
import sys
from pathlib import Path
from ringwatch.graph.local_store import LocalStore
from ringwatch.loaders import load_snapshot
LocalStore(Path(sys.argv[2])).write_snapshot(load_snapshot(Path(sys.argv[1])).snapshot)
"""

#: Runs in a child process: one detection on a copy of the store, prints its seconds.
CHILD = """
import json, shutil, sys, tempfile, time
from pathlib import Path
from ringwatch.graph.local_store import LocalStore
from ringwatch.detectors.pipeline import run_detection
source = Path(sys.argv[1])
with tempfile.TemporaryDirectory() as tmp:
    store = Path(tmp) / "store"
    shutil.copytree(source, store)
    started, cpu = time.perf_counter(), time.process_time()
    result = run_detection(LocalStore(store))
    print(json.dumps({"seconds": time.perf_counter() - started, "cpu": time.process_time() - cpu,
                      "rings": len(result.rings)}))
"""


@contextmanager
def package_of(ref: str, into: Path) -> Iterator[Path]:
    """A directory to put on PYTHONPATH that imports ``ringwatch`` as it was at ``ref``, for
    the block; its git worktree is removed after."""
    tree = into / "tree"
    subprocess.run(["git", "worktree", "add", "--detach", str(tree), ref], cwd=REPO, check=True,
                   capture_output=True)
    try:
        for folder in FOLDERS:
            link = tree / "core" / folder
            if not link.exists():
                link.symlink_to(tree / folder, target_is_directory=True)
        root = into / "path"
        root.mkdir()
        (root / "ringwatch").symlink_to(tree / "core", target_is_directory=True)
        yield root
    finally:
        subprocess.run(["git", "worktree", "remove", "--force", str(tree)], cwd=REPO,
                       capture_output=True)


def _env(pythonpath: str | None) -> dict[str, str] | None:
    import os

    return {**os.environ, "PYTHONPATH": pythonpath} if pythonpath else None


def detect_once(store: Path, pythonpath: str | None) -> dict:
    done = subprocess.run([sys.executable, "-c", CHILD, str(store)], capture_output=True,
                          text=True, check=True, env=_env(pythonpath))
    return json.loads(done.stdout.strip().splitlines()[-1])


def loaded_stores(scale: float, seed: int, into: Path, baseline: str) -> tuple[Path, Path]:
    """The snapshot generated once, loaded by this version and by the baseline's own code."""
    from ringwatch.generator import GeneratorConfig, generate_snapshot

    snapshot = into / f"snapshot-{scale:g}"
    made = generate_snapshot(snapshot, GeneratorConfig(scale=scale, seed=seed))
    stores = into / f"store-{scale:g}", into / f"store-{scale:g}-baseline"
    for store, pythonpath in zip(stores, (None, baseline), strict=True):
        subprocess.run([sys.executable, "-c", LOAD, str(snapshot), str(store)], check=True,
                       env=_env(pythonpath))
    shutil.rmtree(snapshot)
    print(f"scale {scale:g}: {sum(made.rows.values()):,} rows loaded", flush=True)
    return stores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scales", type=float, nargs="+", default=[10.0])
    parser.add_argument("--baseline-ref", default="a10802e",
                        help="commit whose detectors are the baseline (default: main before the "
                        "adversarial-detection work)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=7)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp_name:
        tmp = Path(tmp_name)
        with package_of(args.baseline_ref, tmp) as baseline:
            for scale in args.scales:
                store, store_before = loaded_stores(scale, args.seed, tmp, str(baseline))
                now, before = [], []
                for _ in range(args.repeat):  # alternate, so drift hits both alike
                    before.append(detect_once(store_before, str(baseline)))
                    now.append(detect_once(store, None))
                t_now = statistics.median(r["seconds"] for r in now)
                t_before = statistics.median(r["seconds"] for r in before)
                c_now = statistics.median(r["cpu"] for r in now)
                c_before = statistics.median(r["cpu"] for r in before)
                print(f"scale {scale:g}: detection now {t_now:.2f} s ({now[0]['rings']} rings), "
                      f"at {args.baseline_ref} {t_before:.2f} s ({before[0]['rings']} rings): "
                      f"ratio {t_now / t_before:.2f}x (target <= 1.30x); CPU time "
                      f"{c_now:.2f} s vs {c_before:.2f} s: {c_now / c_before:.2f}x", flush=True)
                shutil.rmtree(store)
                shutil.rmtree(store_before)


if __name__ == "__main__":
    main()
