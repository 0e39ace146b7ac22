"""The Neo4j store never waits without a bound: connecting, each transaction, and its retries.

A port that accepts connections and never answers (what a hung or frozen
server looks like from the client) must fail within the connect timeout, not
the driver's 60 s; a statement stuck behind a lock must fail at the
transaction time limit, not wait for ever; each with a :class:`StoreTimeoutError`
(exit code 3) that names the setting to change.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from ringwatch.graph.errors import StoreTimeoutError, StoreUnavailableError
from ringwatch.graph.neo4j_store import Neo4jStore
from ringwatch.graph.store import GraphStore
from ringwatch.loaders import load_snapshot
from ringwatch.store_settings import Neo4jSettings, Neo4jTimeouts, SettingsError

from .hung_servers import SilentPort, write_lock_held
from .small_snapshots import write_small_snapshot

ENV = ("RINGWATCH_NEO4J_TIMEOUT", "RINGWATCH_NEO4J_QUERY_TIMEOUT", "RINGWATCH_NEO4J_RETRY_TIME")


@pytest.fixture
def no_timeout_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in ENV:
        monkeypatch.delenv(name, raising=False)


def test_the_defaults_are_explicit_and_bounded(no_timeout_env: None) -> None:
    timeouts = Neo4jTimeouts.from_env()
    assert timeouts == Neo4jTimeouts(connect=10.0, query=1800.0, retry=30.0)


def test_the_timeouts_come_from_the_environment(no_timeout_env: None,
                                                monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("RINGWATCH_NEO4J_TIMEOUT", "2.5")
    monkeypatch.setenv("RINGWATCH_NEO4J_QUERY_TIMEOUT", "0")  # no limit
    monkeypatch.setenv("RINGWATCH_NEO4J_RETRY_TIME", " 4 ")
    assert Neo4jTimeouts.from_env() == Neo4jTimeouts(connect=2.5, query=None, retry=4.0)


@pytest.mark.parametrize(("variable", "value"), [
    ("RINGWATCH_NEO4J_TIMEOUT", "0"), ("RINGWATCH_NEO4J_TIMEOUT", "ten"),
    ("RINGWATCH_NEO4J_QUERY_TIMEOUT", "-1"), ("RINGWATCH_NEO4J_RETRY_TIME", "inf"),
    ("RINGWATCH_NEO4J_RETRY_TIME", "nan"),
])
def test_a_setting_out_of_range_is_an_error_naming_it(
        no_timeout_env: None, monkeypatch: pytest.MonkeyPatch, variable: str, value: str) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(SettingsError, match=rf"^{variable} must be a number of seconds") as raised:
        Neo4jTimeouts.from_env()
    assert not isinstance(raised.value, StoreUnavailableError)  # an invalid setting: exit 1


def test_a_port_that_never_answers_fails_verify_within_the_connect_timeout() -> None:
    with SilentPort() as silent:
        store = Neo4jStore(Neo4jSettings(silent.uri, password="irrelevant",
                                         timeouts=Neo4jTimeouts(connect=1.0)))
        started = time.monotonic()
        try:
            with pytest.raises(StoreTimeoutError) as raised:
                store.verify()
        finally:
            store.close()
    assert time.monotonic() - started < 8  # the driver alone waited 60 s
    message = str(raised.value)
    assert silent.uri in message and "within 1 s" in message and "RINGWATCH_NEO4J_TIMEOUT" in message


def test_a_statement_on_a_port_that_never_answers_fails_after_its_retries() -> None:
    """Without verify: the first statement meets the silence, is retried, and gives up."""
    with SilentPort() as silent:
        store = Neo4jStore(Neo4jSettings(silent.uri, password="irrelevant",
                                         timeouts=Neo4jTimeouts(connect=1.0, retry=1.0)))
        started = time.monotonic()
        try:
            # The first statement a reader runs: is the snapshot generation complete?
            with pytest.raises(StoreTimeoutError,
                               match="while running Cypher statement 'incomplete_generation'"):
                store.counts()
        finally:
            store.close()
    assert time.monotonic() - started < 12


# --- against the real server -------------------------------------------------------------------


@pytest.fixture
def held_creator(neo4j_session_store: GraphStore, tmp_path: Path) -> Iterator[Path]:
    """A loaded snapshot whose creator ``h_c0`` another transaction holds a write lock on."""
    neo4j_session_store.clear()
    snapshot_dir = write_small_snapshot(tmp_path / "held", prefix="h_", creators=8)
    neo4j_session_store.write_snapshot(
        load_snapshot(snapshot_dir, quarantine_dir=tmp_path / "q").snapshot)
    with write_lock_held("MATCH (c:Creator {id: 'h_c0'}) SET c.held = true"):
        yield snapshot_dir


@pytest.mark.neo4j
def test_a_statement_stuck_behind_a_lock_fails_at_the_transaction_time_limit(
        held_creator: Path, neo4j_session_store: Neo4jStore, tmp_path: Path) -> None:
    settings = Neo4jSettings.from_env()
    store = Neo4jStore(dataclasses.replace(settings, timeouts=Neo4jTimeouts(query=1.5)))
    snapshot = load_snapshot(held_creator, quarantine_dir=tmp_path / "q2").snapshot
    started = time.monotonic()
    try:
        with pytest.raises(StoreTimeoutError) as raised:
            store.write_snapshot(snapshot)
    finally:
        store.close()
    assert time.monotonic() - started < 15  # without a limit it waits as long as the lock is held
    message = str(raised.value)
    assert "'write_creators' did not finish within 1.5 s" in message
    assert "RINGWATCH_NEO4J_QUERY_TIMEOUT" in message
