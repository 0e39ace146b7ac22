"""Loads into one local store from several processes at once lose nothing: they take turns.

Each table of the local store is a read-merge-write of one Parquet file. Two
``ringwatch load`` processes that both read a table before either wrote it
each wrote back only their own rows, and both exited 0 (rows of one load were
lost in 2 of 18 runs). A load now holds the store's lock (an ``flock`` on
``STORE/.lock``, the one every other writer of the store takes) for its whole
write, so loads from any process serialise.
"""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from ringwatch.graph.local_store import LocalStore

from ..graph.small_snapshots import ORDERS_PER_CREATOR, write_small_snapshot

pytestmark = pytest.mark.skipif(not Path("/proc/locks").exists(),
                                reason="needs Linux's /proc/locks to see a process wait for a lock")


def _load(snapshot: Path, store: Path, cwd: Path) -> subprocess.Popen[str]:
    """``ringwatch --quiet load`` of ``snapshot`` into the local ``store``, as a new process."""
    environment = {k: v for k, v in os.environ.items() if not k.startswith("RINGWATCH_")}
    return subprocess.Popen(
        [sys.executable, "-m", "ringwatch", "--quiet", "load", "--data", str(snapshot),
         "--store", str(store), "--quarantine", str(cwd / f"quarantine-{snapshot.name}")],
        cwd=cwd, env=environment, text=True, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _waiting_for_lock(pid: int, path: Path) -> bool:
    """Whether process ``pid`` is blocked waiting for a lock on the file at ``path``.

    A blocked request shows in /proc/locks as ``N: -> FLOCK ADVISORY WRITE PID MAJ:MIN:INODE ...``.
    """
    inode = f":{path.stat().st_ino} "
    for line in Path("/proc/locks").read_text().splitlines():
        fields = line.split()
        if "->" in fields and str(pid) in fields and inode in f"{line} ":
            return True
    return False


def test_a_load_waits_while_another_process_holds_the_store_lock(tmp_path: Path) -> None:
    store_dir = tmp_path / "store"
    LocalStore(store_dir)  # the directory, as any earlier command left it
    snapshot = write_small_snapshot(tmp_path / "snapshot", prefix="a_", creators=40)
    lock_path = store_dir / ".lock"
    fd = os.open(lock_path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX)  # as a review or another load would hold it
        load = _load(snapshot, store_dir, tmp_path)
        deadline = time.monotonic() + 120
        while not _waiting_for_lock(load.pid, lock_path):
            if load.poll() is not None:
                pytest.fail(f"the load ended (exit {load.returncode}) while another process held "
                            f"the store's lock: it wrote without taking it\n{load.stderr.read()}")  # type: ignore[union-attr]
            if time.monotonic() > deadline:
                pytest.fail("the load neither waited for the lock nor ended within 120 s")
            time.sleep(0.05)
        assert not list((store_dir / "tables").rglob("*.parquet"))  # nothing written meanwhile
    finally:
        os.close(fd)  # releases the lock
    _, stderr = load.communicate(timeout=120)
    assert load.returncode == 0, stderr
    assert LocalStore(store_dir).counts()["Creator"] == 40


def test_concurrent_loads_into_one_local_store_lose_no_row(tmp_path: Path) -> None:
    creators, loads = 20_000, 3  # 125,000 rows each: big enough for their writes to overlap
    snapshots = [write_small_snapshot(tmp_path / f"snapshot{k}", prefix=f"p{k}_", creators=creators)
                 for k in range(loads)]
    store_dir = tmp_path / "store"
    processes = [_load(snapshot, store_dir, tmp_path) for snapshot in snapshots]
    for process in processes:
        _, stderr = process.communicate(timeout=300)
        assert process.returncode == 0, stderr
    tables = LocalStore(store_dir).tables()
    for table, column, per_load in (("creators", "creator_id", creators),
                                    ("shops", "shop_id", creators // 4),
                                    ("identity_links", "account_id", creators),
                                    ("orders", "order_id", creators * ORDERS_PER_CREATOR),
                                    ("commissions", "commission_id", creators)):
        loaded_by = tables[table][column].str.split("_").str[0].value_counts()
        assert loaded_by.sort_index().to_dict() == {f"p{k}": per_load for k in range(loads)}, table
