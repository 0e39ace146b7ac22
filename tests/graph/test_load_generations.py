"""``ringwatch load`` killed with SIGKILL at several points, as a scheduler or the OOM killer would.

A load is a snapshot generation that readers see only once it is complete: a
killed load must leave what readers saw before (the local store: the previous
generation, detection still working on it; Neo4j: a graph that every reader
refuses, naming the unfinished generation, instead of a half graph detected on
with exit code 0), and must never touch what the team made: API keys, the
audit log, reviewers' verdicts, the runs and rings with their review status.

The process is killed by the ``RINGWATCH_LOAD_CRASH_AT=table:NAME`` hook of
:mod:`ringwatch.loading` once the store reported table NAME written.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from ringwatch.domain import ApiKey, AuditEntry, Ring, Run, Verdict
from ringwatch.graph.errors import IncompleteGenerationError
from ringwatch.graph.local_store import LocalStore
from ringwatch.graph.store import GraphStore
from ringwatch.loading import CRASH_AT_ENV

from .small_snapshots import write_small_snapshot

#: Where the load dies: after the first table, in the middle (orders, before commissions), and
#: after the last table (the local store: every table written, just before the switch).
POINTS = ("table:creators", "table:orders", "table:allowlist")


def _ringwatch(store: GraphStore, cwd: Path, *args: str,
               crash_at: str | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m ringwatch ARGS`` on ``store`` as a separate process, as a shell would."""
    env = {k: v for k, v in os.environ.items() if k != CRASH_AT_ENV}
    if crash_at:
        env[CRASH_AT_ENV] = crash_at
    where = (["--store", str(store.directory)] if isinstance(store, LocalStore)
             else ["--backend", "neo4j"])
    return subprocess.run([sys.executable, "-m", "ringwatch", "--quiet", *args, *where], cwd=cwd,
                          env=env, text=True, capture_output=True, timeout=300, check=False)


def _team_made(store: GraphStore) -> None:
    """What a team makes between loads: a run with a reviewed ring, a key, an audit entry, verdicts."""
    ring = Ring.from_json({"ring_id": "R-1", "kind": "identity_ring", "score": 0.9,
                           "status": "confirmed", "members": [{"type": "creator", "id": "old_c0"}],
                           "evidence": [], "metrics": {}})
    store.save_run(Run("run-1"), [ring])
    store.save_api_key(ApiKey("k1", "h1", "investigator", "ann", "2026-11-20T00:00:00Z"))
    store.append_audit(AuditEntry(at="2026-11-20T00:00:00Z", actor="ann", action="review.confirm"))
    store.append_verdict(Verdict.from_json({
        "ring_id": "R-1", "kind": "identity_ring", "verdict": "confirmed",
        "uncalibrated_score": 0.9, "score": 0.9, "actor": "ann", "at": "2026-11-20T00:00:00Z",
        "run_id": "run-1", "key_id": "k1"}))


def _kept(store: GraphStore) -> tuple[object, ...]:
    """Everything a load must leave alone, in a comparable form."""
    return (store.api_keys(), store.audit_entries(), store.verdicts(),
            [(r.ring_id, r.status) for r in store.rings()], [r.run_id for r in store.runs()])


@pytest.mark.parametrize("replace", [True, False])
@pytest.mark.parametrize("point", POINTS)
def test_a_killed_load_leaves_the_previous_generation_and_what_the_team_made(
        store: GraphStore, tmp_path: Path, point: str, replace: bool) -> None:
    old = write_small_snapshot(tmp_path / "old", prefix="old_", creators=8)
    new = write_small_snapshot(tmp_path / "new", prefix="new_", creators=12)
    loaded = _ringwatch(store, tmp_path, "load", "--data", str(old))
    assert loaded.returncode == 0, loaded.stderr
    _team_made(store)
    counts, creators, kept = store.counts(), store.projection("creators"), _kept(store)

    extra = ["--replace"] if replace else []
    killed = _ringwatch(store, tmp_path, "load", "--data", str(new), *extra, crash_at=point)
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    assert _kept(store) == kept
    if isinstance(store, LocalStore):
        # Readers still see the previous generation, whole, and detection runs on it.
        assert store.counts() == counts
        assert store.projection("creators").equals(creators)
        detected = _ringwatch(store, tmp_path, "detect", "--out", str(tmp_path / "out"))
        assert detected.returncode == 0, detected.stderr
    else:
        # The half graph is refused by every reader, named, instead of detected on.
        with pytest.raises(IncompleteGenerationError, match=r"generation g-\S+ .* is incomplete"):
            store.projection("creators")
        detected = _ringwatch(store, tmp_path, "detect", "--out", str(tmp_path / "out"))
        assert detected.returncode == 2, detected.stderr
        assert "is incomplete" in detected.stderr and len(detected.stderr.splitlines()) == 1
        assert _kept(store) == kept

    # Loading again completes a generation, and readers see it.
    again = _ringwatch(store, tmp_path, "load", "--data", str(new), *extra)
    assert again.returncode == 0, again.stderr
    assert set(store.projection("creators")["creator_id"]) >= {f"new_c{i}" for i in range(12)}
    assert store.api_keys() == kept[0] and store.audit_entries() == kept[1]
    assert store.verdicts() == kept[2]


def test_detection_on_a_store_whose_only_generation_is_incomplete_exits_2_naming_it(
        store: GraphStore, tmp_path: Path) -> None:
    snapshot = write_small_snapshot(tmp_path / "new", prefix="new_", creators=8)
    killed = _ringwatch(store, tmp_path, "load", "--data", str(snapshot), crash_at="table:orders")
    assert killed.returncode == -signal.SIGKILL, killed.stderr

    detected = _ringwatch(store, tmp_path, "detect", "--out", str(tmp_path / "out"))

    assert detected.returncode == 2, detected.stderr
    [line] = detected.stderr.splitlines()
    assert "snapshot generation g-" in line and "is incomplete" in line
    assert "load the snapshot again" in line
