"""``ringwatch`` against a store gone wrong, run as a scheduler runs it: real processes, real Neo4j.

The promise of docs/contract.md section 3: every failure ends with one line on
stderr and a code a scheduler can act on (3: the store cannot be reached, retry
later; 2: the input cannot be used). Here that promise is held to time as
well: a Neo4j that accepts connections but never answers, one that freezes, one
that goes away in the middle of a load and one that keeps a statement waiting
each end the command within its configured bound, not after the driver's 60 s
or never; and a snapshot the graph cannot hold is refused before ``--replace``
empties anything.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from ringwatch.graph.local_store import LocalStore
from ringwatch.graph.store import GraphStore
from ringwatch.loaders import load_snapshot

from ..graph.hung_servers import Relay, SilentPort, neo4j_address, write_lock_held
from ..graph.small_snapshots import write_small_snapshot

#: Seconds a command may take beyond its configured wait: starting Python, importing pandas,
#: igraph and the driver on a busy two-core machine.
STARTUP = 10


def _environment(**settings: str) -> dict[str, str]:
    """This process's environment without any RINGWATCH_ setting, plus ``settings``."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith("RINGWATCH_")}
    return {**clean, **settings}


def _neo4j_settings(uri: str, **more: str) -> dict[str, str]:
    """The settings that point a command at ``uri`` with the test Neo4j's user and password."""
    settings = {"RINGWATCH_NEO4J_URI": uri,
                "RINGWATCH_NEO4J_PASSWORD": os.environ.get("RINGWATCH_NEO4J_PASSWORD") or "unused",
                "RINGWATCH_NEO4J_USER": os.environ.get("RINGWATCH_NEO4J_USER", "neo4j")}
    if os.environ.get("RINGWATCH_NEO4J_DATABASE"):
        settings["RINGWATCH_NEO4J_DATABASE"] = os.environ["RINGWATCH_NEO4J_DATABASE"]
    return {**settings, **more}


def _start(args: list[str], cwd: Path, env: dict[str, str]) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "ringwatch", *args], cwd=cwd, env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def _finish(process: subprocess.Popen[str], timeout: float) -> tuple[int, str]:
    """Wait for ``process`` (killing it after ``timeout`` s); its exit code and stderr."""
    try:
        _, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        process.communicate()
        pytest.fail(f"{' '.join(map(str, process.args))} still ran after {timeout} s")  # type: ignore[arg-type]
    return process.returncode, stderr


def _one_line(stderr: str) -> str:
    """The one line a failing command printed on stderr (fails the test if there were more)."""
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert len(lines) == 1, f"expected one line on stderr, got {len(lines)}:\n{stderr}"
    assert lines[0].startswith("ringwatch: error: "), lines[0]
    return lines[0]


@pytest.fixture
def snapshot_dir(tmp_path: Path) -> Path:
    return write_small_snapshot(tmp_path / "snapshot", prefix="s_", creators=20)


COMMANDS: dict[str, list[str]] = {
    "load": ["load", "--data", "snapshot", "--quarantine", "quarantine", "--backend", "neo4j"],
    "detect": ["detect", "--out", "out", "--backend", "neo4j"],
    "run": ["run", "--data", "snapshot", "--out", "out", "--backend", "neo4j"],
    "keys list": ["keys", "list", "--backend", "neo4j"],
}


@pytest.mark.parametrize("command", list(COMMANDS))
def test_a_neo4j_that_never_answers_fails_each_command_within_the_timeout_with_one_line(
        command: str, snapshot_dir: Path) -> None:
    with SilentPort() as silent:
        started = time.monotonic()
        process = _start(COMMANDS[command], snapshot_dir.parent,
                         _environment(**_neo4j_settings(silent.uri, RINGWATCH_NEO4J_TIMEOUT="2")))
        code, stderr = _finish(process, timeout=120)
        took = time.monotonic() - started
    assert code == 3, stderr
    assert took < 2 + STARTUP, f"{command} took {took:.1f} s to give up (the driver alone waits 60 s)"
    line = _one_line(stderr)
    assert f"Neo4j at {silent.uri} did not answer within 2 s" in line
    assert "RINGWATCH_NEO4J_TIMEOUT" in line


@pytest.mark.slow
def test_without_a_setting_a_neo4j_that_never_answers_fails_after_ten_seconds(
        snapshot_dir: Path) -> None:
    with SilentPort() as silent:
        started = time.monotonic()
        process = _start(COMMANDS["detect"], snapshot_dir.parent,
                         _environment(**_neo4j_settings(silent.uri)))
        code, stderr = _finish(process, timeout=120)
        took = time.monotonic() - started
    assert code == 3, stderr
    assert 10 <= took < 10 + STARTUP, f"took {took:.1f} s"
    assert "did not answer within 10 s" in _one_line(stderr)


# --- against the real server ---------------------------------------------------------------------


@pytest.fixture
def neo4j(neo4j_session_store: GraphStore) -> GraphStore:
    """The test Neo4j, emptied; the commands under test reach it through their own settings."""
    neo4j_session_store.clear()
    return neo4j_session_store


def _write(store: GraphStore, directory: Path) -> dict[str, int]:
    """Write the snapshot in ``directory`` into ``store``; the counts afterwards."""
    store.write_snapshot(load_snapshot(directory, quarantine_dir=directory / "_q").snapshot)
    return store.counts()


@pytest.fixture
def relay(neo4j: GraphStore) -> Iterator[Relay]:
    """A port relaying to the test Neo4j, for the test to freeze or cut."""
    with Relay(*neo4j_address()) as relaying:
        yield relaying


@pytest.mark.neo4j
def test_a_frozen_neo4j_fails_a_replacing_load_within_the_timeout_and_keeps_the_graph(
        neo4j: GraphStore, relay: Relay, tmp_path: Path) -> None:
    before = _write(neo4j, write_small_snapshot(tmp_path / "old", prefix="old_", creators=10))
    write_small_snapshot(tmp_path / "snapshot", prefix="new_", creators=30)
    env = _environment(**_neo4j_settings(relay.uri, RINGWATCH_NEO4J_TIMEOUT="2"))
    code, stderr = _finish(_start(COMMANDS["keys list"], tmp_path, env), timeout=120)
    assert code == 0, stderr  # the relay passes a working Neo4j through

    relay.freeze()
    started = time.monotonic()
    code, stderr = _finish(_start([*COMMANDS["load"], "--replace"], tmp_path, env), timeout=120)
    took = time.monotonic() - started
    assert code == 3, stderr
    assert took < 2 + STARTUP, f"took {took:.1f} s"
    assert f"Neo4j at {relay.uri} did not answer within 2 s" in _one_line(stderr)
    assert neo4j.counts() == before


@pytest.mark.neo4j
def test_a_neo4j_lost_during_a_load_fails_it_after_the_retry_time_with_one_line(
        neo4j: GraphStore, relay: Relay, tmp_path: Path) -> None:
    write_small_snapshot(tmp_path / "snapshot", prefix="big_", creators=12_000)  # ~75,000 rows
    env = _environment(**_neo4j_settings(relay.uri, RINGWATCH_NEO4J_TIMEOUT="2",
                                         RINGWATCH_NEO4J_RETRY_TIME="2"))
    process = _start(["--quiet", *COMMANDS["load"]], tmp_path, env)
    _wait_for(lambda: relay.sent > 200_000 or process.poll() is not None, "the first batches")
    assert process.poll() is None, "the load ended before the test could cut Neo4j off"
    relay.cut()
    cut = time.monotonic()
    code, stderr = _finish(process, timeout=120)
    took = time.monotonic() - cut
    assert code == 3, stderr
    # Retries for 2 s (the driver's 30 s by default), the last backoff at most 2.4 s more.
    assert took < 2 + 2.4 + STARTUP / 2, f"gave up {took:.1f} s after Neo4j went away"
    line = _one_line(stderr)  # no driver warnings about each retry, no connection errors
    # a first load CREATEs what is new ('ingest_...'), a reload MERGEs ('write_...')
    assert re.search(rf"Neo4j at {re.escape(relay.uri)} failed while running Cypher statement "
                     r"'(ingest|write)_", line), line
    assert "(retried for 2 s, RINGWATCH_NEO4J_RETRY_TIME)" in line


@pytest.mark.neo4j
def test_a_load_stuck_behind_a_lock_fails_at_the_query_time_limit_with_one_line(
        neo4j: GraphStore, tmp_path: Path) -> None:
    _write(neo4j, write_small_snapshot(tmp_path / "snapshot", prefix="h_", creators=20))
    env = _environment(**_neo4j_settings(os.environ.get("RINGWATCH_NEO4J_URI",
                                                        "bolt://127.0.0.1:7687"),
                                         RINGWATCH_NEO4J_QUERY_TIMEOUT="2"))
    with write_lock_held("MATCH (c:Creator {id: 'h_c0'}) SET c.held = true"):
        started = time.monotonic()
        code, stderr = _finish(_start(["--quiet", *COMMANDS["load"]], tmp_path, env), timeout=90)
        took = time.monotonic() - started
    assert code == 3, stderr
    assert took < 2 + STARTUP, f"took {took:.1f} s"
    line = _one_line(stderr)
    assert "'write_creators' did not finish within 2 s" in line
    assert "RINGWATCH_NEO4J_QUERY_TIMEOUT" in line


# --- a snapshot the graph cannot hold, with --replace ----------------------------------------------


@pytest.fixture(params=["local", pytest.param("neo4j", marks=pytest.mark.neo4j)])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[list[str], GraphStore]:
    """The options that point ``ringwatch load`` at a store, and that store, for both stores."""
    if request.param == "local":
        return ["--store", str(tmp_path / "store")], LocalStore(tmp_path / "store")
    store = request.getfixturevalue("neo4j")
    return ["--backend", "neo4j"], store


@pytest.mark.parametrize("column", ["id", ""])
def test_a_column_the_graph_cannot_hold_fails_a_replacing_load_and_keeps_the_graph(
        backend: tuple[list[str], GraphStore], tmp_path: Path, column: str) -> None:
    options, store = backend
    before = _write(store, write_small_snapshot(tmp_path / "old", prefix="old_", creators=10))
    write_small_snapshot(tmp_path / "bad", prefix="new_", creators=4,
                         extra={"creators": {column: "x"}})
    env = _environment(**_neo4j_settings(os.environ.get("RINGWATCH_NEO4J_URI",
                                                        "bolt://127.0.0.1:7687")))
    code, stderr = _finish(_start(["--quiet", "load", "--data", "bad", "--quarantine", "quarantine",
                                   "--replace", *options], tmp_path, env), timeout=120)
    assert code == 2, stderr
    line = _one_line(stderr)
    assert "creators.csv" in line
    if column:
        assert "column 'id' clashes with 'id'" in line
    assert store.counts() == before


def _wait_for(condition: Callable[[], bool], what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            pytest.fail(f"waited {timeout} s for {what}")
        time.sleep(0.01)
