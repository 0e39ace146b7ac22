"""What Ringwatch writes is its owner's alone: 0600 files and 0700 directories, like the key file.

The command line runs with the umask every deployment inherits (022 here,
which leaves files world-readable unless Ringwatch says otherwise).
"""

from __future__ import annotations

import os
import stat
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from ringwatch.domain import AuditEntry, ReviewStatus, Verdict
from ringwatch.graph.local_store import LocalStore


@contextmanager
def umask(mask: int) -> Iterator[None]:
    old = os.umask(mask)
    try:
        yield
    finally:
        os.umask(old)


def _open_to_others(root: Path) -> list[str]:
    """Every file or directory under ``root`` (and ``root``) that group or others may use."""
    found = []
    for path in [root, *root.rglob("*")]:
        mode = stat.S_IMODE(path.lstat().st_mode)
        if mode & 0o077:
            found.append(f"{path.relative_to(root.parent)} {oct(mode)}")
    return found


def test_the_demo_store_outputs_and_keys_are_private(tmp_path: Path) -> None:
    out = tmp_path / "demo"
    with umask(0o022):
        for args in (["demo", "--out", str(out), "--scale", "0.02"],
                     ["keys", "create", "--role", "admin", "--store", str(out / "store")]):
            done = subprocess.run([sys.executable, "-m", "ringwatch", "-q", *args],
                                  capture_output=True, text=True, timeout=300)
            assert done.returncode == 0, done.stderr[-2000:]
    written = {p.name for p in out.rglob("*")}
    assert {"rings.jsonl", "report.html", "api_keys.json"} <= written, sorted(written)
    assert any(name.endswith(".parquet") for name in written)
    assert _open_to_others(out) == []


def test_the_local_store_appends_its_logs_owner_only_under_any_umask(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    with umask(0o022):
        store.append_audit(AuditEntry(at="2026-11-02T09:00:00Z", actor="alice", action="test"))
        store.append_verdict(Verdict(ring_id="R-1", kind="identity_ring", verdict=ReviewStatus.CONFIRMED,
                                     uncalibrated_score=0.5, score=0.5, actor="alice",
                                     at="2026-11-02T09:00:00Z", run_id="run-1"))
    for name in ("audit.jsonl", "verdicts.jsonl", ".lock"):
        found = next((tmp_path / "store").rglob(name))
        assert stat.S_IMODE(found.stat().st_mode) == 0o600, name
