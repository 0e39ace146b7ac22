"""The bulk first load (offline importer) against the driver load, on a real bundled Neo4j.

These tests start a bundled server of their own (tools/neo4j_launcher, a data
dir under pytest's tmp and a free port), because a bulk load stops and starts
the server it imports into: the suite's shared server must not go away under
the other tests.
"""

from __future__ import annotations

import json
import os
import secrets
import shutil
import socket
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ringwatch.graph.neo4j_bulk import (
    DatabaseNotEmptyError,
    Neo4jBulkImport,
    NotBundledServerError,
)
from ringwatch.graph.neo4j_store import Neo4jStore
from ringwatch.graph.projections import PROJECTIONS
from ringwatch.loaders import load_snapshot
from ringwatch.store_settings import DEFAULT_LAUNCHER, BundledNeo4jSettings, Neo4jSettings
from ringwatch.tables import Snapshot

from ..conftest import _neo4j_required
from ..snapshots import write_generated_snapshot
from .neo4j_contents import graph_contents

pytestmark = pytest.mark.neo4j


@dataclass(frozen=True)
class Bundled:
    neo4j: Neo4jSettings
    launcher: BundledNeo4jSettings
    environment: dict[str, str]


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Bundled]:
    """A bundled server of this module's own, stopped at the end."""
    if shutil.which("java") is None or not DEFAULT_LAUNCHER.is_file():
        message = "the bundled Neo4j needs java and tools/neo4j_launcher"
        if _neo4j_required():
            pytest.fail(message)
        pytest.skip(message)
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    home = tmp_path_factory.mktemp("bundled-neo4j")
    password = f"bulk-{secrets.token_hex(8)}"
    env = {**os.environ, "RINGWATCH_NEO4J_HOME": str(home), "RINGWATCH_NEO4J_BOLT_PORT": str(port),
           "RINGWATCH_NEO4J_PASSWORD": password, "RINGWATCH_NEO4J_URI": f"bolt://127.0.0.1:{port}"}
    started = subprocess.run([str(DEFAULT_LAUNCHER), "start"], env=env, capture_output=True,
                             text=True, check=False)
    if started.returncode != 0:
        message = f"could not start a bundled Neo4j: {started.stdout}{started.stderr}"
        if _neo4j_required():
            pytest.fail(message)
        pytest.skip(message)
    try:
        yield Bundled(Neo4jSettings.from_env(env), BundledNeo4jSettings.from_env(env), env)
    finally:
        subprocess.run([str(DEFAULT_LAUNCHER), "stop"], env=env, capture_output=True, check=False)


@pytest.fixture
def empty(bundled: Bundled) -> Bundled:
    """The bundled server with an empty database."""
    with Neo4jStore(bundled.neo4j) as store:
        store.clear()
    return bundled


@pytest.fixture(scope="module")
def tricky_snapshot(tmp_path_factory: pytest.TempPathFactory) -> Snapshot:
    """A generated marketplace (every table, organic orders, agencies, violations, allowlist) in
    Parquet, whose creators carry extra columns of every type, with quotes, commas, line
    breaks, empty strings and missing values."""
    directory = write_generated_snapshot(tmp_path_factory.mktemp("tricky"), scale=0.05,
                                         fmt="parquet")
    creators = pd.read_parquet(directory / "creators.parquet")
    n = len(creators)
    notes = ['say "hi", then\nleave', "", None, "plain", "a;b|c", "émoji ✓"]
    creators["note"] = [notes[i % len(notes)] for i in range(n)]
    creators["level"] = pd.array([i if i % 4 else None for i in range(n)], dtype="Int64")
    creators["weight"] = [i / 3 if i % 5 else float("nan") for i in range(n)]
    creators["vip"] = [i % 2 == 0 for i in range(n)]
    creators.to_parquet(directory / "creators.parquet")
    return load_snapshot(directory).snapshot


def _kept_projections(settings: Neo4jSettings) -> dict[str, bytes]:
    """The projections the graph's load kept, under the key a reader computes now: name -> bytes."""
    with Neo4jStore(settings) as store:
        key = store._snapshot_key()
        return {name: data for name in PROJECTIONS
                if (data := store._read_kept(key, name)) is not None}


def _add_key_node(settings: Neo4jSettings, key_id: str) -> None:
    """An API key node, as the key store keeps one, written without the store's record types."""
    with Neo4jStore(settings) as store, store._driver.session() as session:
        session.run("CREATE (:ApiKey {key_id: $key_id})", key_id=key_id).consume()


def _key_ids(settings: Neo4jSettings) -> list[str]:
    with Neo4jStore(settings) as store, store._driver.session() as session:
        return session.run("MATCH (k:ApiKey) RETURN k.key_id AS id ORDER BY id").value("id")


def _schema(settings: Neo4jSettings) -> list[tuple[str, Any]]:
    with Neo4jStore(settings) as store, store._driver.session() as session:
        rows = session.run("SHOW CONSTRAINTS YIELD name, labelsOrTypes, properties").data()
    return sorted((row["name"], row["labelsOrTypes"], row["properties"]) for row in rows)


def test_a_bulk_load_makes_the_same_graph_as_a_driver_load(empty: Bundled,
                                                           tricky_snapshot: Snapshot) -> None:
    with Neo4jStore(empty.neo4j) as store:
        store.write_snapshot(tricky_snapshot)
        driver_counts = store.counts()
    driver_graph, driver_schema = graph_contents(empty.neo4j), _schema(empty.neo4j)
    driver_kept = _kept_projections(empty.neo4j)
    with Neo4jStore(empty.neo4j) as store:
        store.clear()

    with Neo4jBulkImport.open(empty.neo4j, empty.launcher) as bulk:
        report = bulk.write_snapshot(tricky_snapshot)
        bulk_counts = bulk.counts()
    bulk_graph = graph_contents(empty.neo4j)

    assert report.rows == {name: len(frame) for name, frame in tricky_snapshot.tables.items()}
    assert bulk_counts == driver_counts and driver_counts["USES"] > 0
    assert len(bulk_graph[0]) == len(driver_graph[0]) and len(bulk_graph[1]) == len(driver_graph[1])
    assert bulk_graph == driver_graph
    assert _schema(empty.neo4j) == driver_schema
    # Both loads completed a generation with every projection kept, the same bytes.
    assert sorted(driver_kept) == sorted(PROJECTIONS)
    assert _kept_projections(empty.neo4j) == driver_kept
    notes = {dict(props).get("note") for (labels, _), props in bulk_graph[0] if "Creator" in labels}
    assert {'say "hi", then\nleave', "", None, "émoji ✓"} <= notes


def test_a_bulk_load_then_loads_through_the_driver_idempotently(empty: Bundled,
                                                                tricky_snapshot: Snapshot) -> None:
    with Neo4jBulkImport.open(empty.neo4j, empty.launcher) as bulk:
        bulk.write_snapshot(tricky_snapshot)
    before = graph_contents(empty.neo4j)
    with Neo4jStore(empty.neo4j) as store:
        store.write_snapshot(tricky_snapshot)  # MERGE on the constraints the bulk load created
    assert graph_contents(empty.neo4j) == before


def test_a_database_holding_anything_is_refused_and_left_as_it_was(empty: Bundled) -> None:
    _add_key_node(empty.neo4j, "k1")
    with pytest.raises(DatabaseNotEmptyError, match="empty database only"):
        Neo4jBulkImport.open(empty.neo4j, empty.launcher)
    assert _key_ids(empty.neo4j) == ["k1"]


def test_a_server_that_is_not_the_bundled_one_is_refused(bundled: Bundled, tmp_path: Path) -> None:
    elsewhere = BundledNeo4jSettings(launcher=bundled.launcher.launcher, home=tmp_path / "other",
                                     environment=bundled.environment)
    with pytest.raises(NotBundledServerError, match="not the bundled server"):
        Neo4jBulkImport.open(bundled.neo4j, elsewhere)
    remote = Neo4jSettings(uri="bolt://db.example:7687", password="irrelevant")
    with pytest.raises(NotBundledServerError, match="bundled Neo4j server only"):
        Neo4jBulkImport.open(remote, bundled.launcher)


def test_the_command_line_refuses_a_non_empty_database_with_exit_code_2(
        bundled: Bundled, tmp_path: Path) -> None:
    snapshot = write_generated_snapshot(tmp_path / "snapshot", scale=0.02)
    with Neo4jStore(bundled.neo4j) as store:
        store.clear()
    _add_key_node(bundled.neo4j, "k2")
    done = subprocess.run([sys.executable, "-m", "ringwatch", "-q", "load", "--backend", "neo4j",
                           "--bulk", "--data", str(snapshot), "--quarantine",
                           str(tmp_path / "q")], env=bundled.environment, capture_output=True,
                          text=True, check=False)
    assert done.returncode == 2, done.stderr
    assert "--bulk imports into an empty database only" in done.stderr
    assert _key_ids(bundled.neo4j) == ["k2"]


def _rings(out: Path) -> list[tuple[str, float, list[tuple[str, str]]]]:
    rings = [json.loads(line) for line in (out / "rings.jsonl").read_text().splitlines()]
    return sorted((r["kind"], r["score"], sorted((m["type"], m["id"]) for m in r["members"]))
                  for r in rings)


def test_run_imports_into_a_new_deployment_and_loads_through_the_driver_after(
        empty: Bundled, tmp_path: Path) -> None:
    snapshot = write_generated_snapshot(tmp_path / "snapshot", scale=0.05)

    def run(out: str, *flags: str) -> subprocess.CompletedProcess[str]:
        # Debug: which load path ``run`` took is said at that level.
        return subprocess.run([sys.executable, "-m", "ringwatch", "--log-level", "debug", "-q",
                               "run", "--backend", "neo4j", "--data", str(snapshot), "--out",
                               str(tmp_path / out), *flags], env={**empty.environment,
                                                                  "COLUMNS": "200"},
                              capture_output=True, text=True, check=False)

    first = run("first")
    assert first.returncode == 0, first.stderr
    assert "import files written" in first.stderr  # the offline importer's path
    with Neo4jStore(empty.neo4j) as store:
        counts = store.counts()
    assert counts["USES"] > 0 and _kept_projections(empty.neo4j).keys() == set(PROJECTIONS)

    second = run("second")  # the database holds a snapshot now: the driver, in place
    assert second.returncode == 0, second.stderr
    assert "import files written" not in second.stderr
    assert "loading through the driver" in second.stderr
    with Neo4jStore(empty.neo4j) as store:
        assert store.counts() == counts
    assert _rings(tmp_path / "first") == _rings(tmp_path / "second") != []

    insisted = run("third", "--bulk")  # --bulk insists on the importer: refused, nothing changed
    assert insisted.returncode == 2, insisted.stderr
    assert "--bulk imports into an empty database only" in insisted.stderr
    with Neo4jStore(empty.neo4j) as store:
        assert store.counts() == counts
