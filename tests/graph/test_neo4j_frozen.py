"""A Neo4j server that freezes in the middle of a load fails it within the transaction time limit.

The server enforces ``RINGWATCH_NEO4J_QUERY_TIMEOUT`` itself, so a frozen one
never sends the error; the driver used to wait for the receive timeout the
server announced at login (two minutes). The test freezes the real server
(SIGSTOP) after the first batch of a snapshot write and thaws it (SIGCONT)
afterwards. It needs the server this test run started (its pid file under
``RINGWATCH_NEO4J_HOME``, as ``neo4jctl start`` and scripts/test.sh leave it):
it never stops a process it cannot tell is its own.
"""

from __future__ import annotations

import dataclasses
import os
import signal
import time
from pathlib import Path

import pytest

from ringwatch.graph.errors import StoreTimeoutError
from ringwatch.graph.neo4j_store import Neo4jStore
from ringwatch.graph.store import GraphStore
from ringwatch.loaders import load_snapshot
from ringwatch.store_settings import Neo4jSettings, Neo4jTimeouts

from .small_snapshots import write_small_snapshot

pytestmark = pytest.mark.neo4j

LIMIT = 4.0


def _server_pid() -> int:
    """The pid of the Neo4j server started for this test run, or skip."""
    home = os.environ.get("RINGWATCH_NEO4J_HOME")
    pid_file = Path(home) / "neo4j-server.pid" if home else None
    if pid_file is None or not pid_file.is_file():
        pytest.skip("freezing needs the server this run started (RINGWATCH_NEO4J_HOME with its pid file)")
    return int(pid_file.read_text().strip())


def test_a_server_frozen_mid_load_fails_it_within_the_query_timeout(
        neo4j_session_store: GraphStore, tmp_path: Path) -> None:
    pid = _server_pid()
    neo4j_session_store.clear()
    settings = dataclasses.replace(Neo4jSettings.from_env(),
                                   timeouts=Neo4jTimeouts(connect=5.0, query=LIMIT, retry=0.0))
    snapshot = load_snapshot(write_small_snapshot(tmp_path / "s", prefix="f_", creators=20),
                             quarantine_dir=tmp_path / "q").snapshot
    frozen_at: list[float] = []

    def freeze_after_first_batch(table: str, rows: int) -> None:
        if not frozen_at and rows:
            os.kill(pid, signal.SIGSTOP)
            frozen_at.append(time.monotonic())

    with Neo4jStore(settings, batch_size=5) as store:
        try:
            with pytest.raises(StoreTimeoutError) as failed:
                store.write_snapshot(snapshot, progress=freeze_after_first_batch)
            waited = time.monotonic() - frozen_at[0]
        finally:
            os.kill(pid, signal.SIGCONT)
    # The limit, and the lag a live server's own timeout error may take; not the server's 120 s.
    assert LIMIT - 0.5 <= waited <= LIMIT + 3.0 + 2.0, waited
    assert "RINGWATCH_NEO4J_QUERY_TIMEOUT" in str(failed.value)
    assert "\n" not in str(failed.value)

    # Thawed, the server answers again, and the interrupted load is named as incomplete.
    neo4j_session_store.verify()  # type: ignore[attr-defined]
    with pytest.raises(Exception, match="is incomplete"):
        neo4j_session_store.projection("creators")
    neo4j_session_store.clear()
