"""What only the Neo4j store has: configuration, error translation, and the graph as Neo4j holds it.

The graph is inspected with the driver directly, since what investigators
query in Neo4j (labels, DATETIME properties, ring membership) is the subject.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from neo4j import Driver, GraphDatabase

from ringwatch import cypher
from ringwatch.domain import Ring, Run
from ringwatch.graph.errors import QueryError, StoreUnavailableError
from ringwatch.graph.neo4j_store import Neo4jStore
from ringwatch.graph.store import GraphStore
from ringwatch.loaders import Snapshot, load_snapshot
from ringwatch.store_settings import Neo4jSettings


def test_the_store_refuses_to_guess_a_password(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("RINGWATCH_NEO4J_PASSWORD", raising=False)
    with pytest.raises(StoreUnavailableError, match="RINGWATCH_NEO4J_PASSWORD is not set"):
        Neo4jStore(Neo4jSettings.from_env())


def test_an_unknown_statement_name_is_a_key_error_naming_the_known_ones() -> None:
    with pytest.raises(KeyError, match="write_orders"):
        cypher.load("write_ordres")


def test_every_statement_file_parses_into_statements() -> None:
    for name in cypher.names():
        assert cypher.statements(name), name
    assert len(cypher.statements("schema")) > 1


def test_a_closed_port_is_unavailable_not_a_crash() -> None:
    store = Neo4jStore(Neo4jSettings("bolt://127.0.0.1:9", password="irrelevant"))
    try:
        with pytest.raises(StoreUnavailableError, match=r"127\.0\.0\.1:9"):
            store.verify()
    finally:
        store.close()


# --- against the real server -------------------------------------------------------------------


def _run(driver: Driver, query: str, **params: Any) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(query, params,  # type: ignore[arg-type]
                                         database_=os.environ.get("RINGWATCH_NEO4J_DATABASE",
                                                                  "neo4j"))
    return [r.data() for r in records]


@pytest.fixture
def neo4j(neo4j_session_store: GraphStore) -> GraphStore:
    neo4j_session_store.clear()
    return neo4j_session_store


@pytest.fixture
def driver(neo4j: GraphStore) -> Iterator[Driver]:
    """A plain driver on the same database, to look at the graph as an investigator would."""
    uri = os.environ.get("RINGWATCH_NEO4J_URI", "bolt://127.0.0.1:7687")
    auth = (os.environ.get("RINGWATCH_NEO4J_USER", "neo4j"), os.environ["RINGWATCH_NEO4J_PASSWORD"])
    with GraphDatabase.driver(uri, auth=auth) as plain:
        yield plain


@pytest.mark.neo4j
def test_wrong_password_is_unavailable(neo4j: Neo4jStore) -> None:
    store = Neo4jStore(Neo4jSettings(neo4j.uri, password="certainly-not-the-password"))
    try:
        with pytest.raises(StoreUnavailableError):
            store.verify()
    finally:
        store.close()


@pytest.mark.neo4j
def test_times_are_datetimes_and_extra_columns_are_properties(
        neo4j: GraphStore, driver: Driver, bad_snapshot: Path) -> None:
    neo4j.write_snapshot(load_snapshot(bad_snapshot).snapshot)
    [c1] = _run(driver, "MATCH (c:Creator {id: $id}) RETURN properties(c) AS p", id="c1")
    assert c1["p"]["note"] == "first" and c1["p"]["region"] == "US"
    assert "creator_id" not in c1["p"] and "agency_id" not in c1["p"]
    assert c1["p"]["registered_at"].to_native() == datetime(2026, 1, 1, tzinfo=UTC)
    [o5] = _run(driver, "MATCH (o:Order {id: $id}) RETURN properties(o) AS p", id="o5")
    assert set(o5["p"]) == {"id", "amount", "currency", "placed_at", "status", "refunded_at"}
    assert o5["p"]["status"] == "refunded"
    [uses] = _run(driver, "MATCH (:Seller {id: $id})-[u:USES]->(:PayoutAccount) "
                  "RETURN properties(u) AS p", id="sel1")
    assert uses["p"]["events"] == 2 and "last_seen" not in uses["p"]
    [cm] = _run(driver, "MATCH (c:Commission {id: $id}) RETURN properties(c) AS p", id="cm4")
    assert set(cm["p"]) == {"id", "amount", "rate", "created_at", "status", "shop_id"}


@pytest.mark.neo4j
def test_microseconds_survive_the_round_trip(neo4j: GraphStore, driver: Driver,
                                             bad_snapshot: Path) -> None:
    snapshot = load_snapshot(bad_snapshot).snapshot
    tables = {name: frame.copy() for name, frame in snapshot.tables.items()}
    tables["creators"].loc[0, "registered_at"] = pd.Timestamp("1969-07-20T20:17:40.000001Z")
    neo4j.write_snapshot(Snapshot(tables))
    [row] = _run(driver, "MATCH (c:Creator {id: $id}) RETURN c.registered_at AS t",
                 id=tables["creators"].loc[0, "creator_id"])
    assert row["t"].to_native() == datetime(1969, 7, 20, 20, 17, 40, 1, tzinfo=UTC)


@pytest.mark.neo4j
def test_violations_and_allowlist_entries_get_composite_ids(
        neo4j: GraphStore, driver: Driver, bad_snapshot: Path) -> None:
    snapshot = load_snapshot(bad_snapshot).snapshot
    tables = dict(snapshot.tables)
    when = pd.Timestamp("2026-01-10T08:00:00Z")
    tables["violations"] = pd.DataFrame({
        "creator_id": ["c1"], "policy": ["fake_orders"], "severity": ["high"],
        "occurred_at": pd.Series([when]).astype("datetime64[us, UTC]")})
    tables["allowlist"] = pd.DataFrame({
        "identifier_type": ["payout_account"], "identifier": ["pa1"], "owner": ["PayFast"],
        "reason": ["aggregator"],
        "expires_at": pd.Series([when]).astype("datetime64[us, UTC]")})
    neo4j.write_snapshot(Snapshot(tables))
    neo4j.write_snapshot(Snapshot(tables))
    rows = _run(driver, "MATCH (:Creator {id: 'c1'})-[:COMMITTED]->(v:Violation) RETURN v.id AS id")
    assert rows == [{"id": "c1|fake_orders|2026-01-10T08:00:00.000000Z"}]
    rows = _run(driver, "MATCH (e:AllowlistEntry) RETURN e.id AS id, e.owner AS owner")
    assert rows == [{"id": "payout_account|pa1", "owner": "PayFast"}]


@pytest.mark.neo4j
def test_a_ring_saved_again_has_exactly_its_new_members(
        neo4j: GraphStore, driver: Driver, bad_snapshot: Path) -> None:
    neo4j.write_snapshot(load_snapshot(bad_snapshot).snapshot)
    ring = {"ring_id": "R-1", "kind": "identity_ring", "score": 0.7, "status": "new",
            "members": [{"type": "creator", "id": "c1"}, {"type": "device", "id": "d1"}],
            "evidence": [], "metrics": {}, "first_detected": "2026-11-20T00:00:00Z"}
    neo4j.save_run(Run.from_json({"run_id": "run-1", "params": {"k": [1, 2]}}),
                   [Ring.from_json(ring)])
    moved = {**ring, "score": 0.8, "members": [{"type": "creator", "id": "c2"},
                                               {"type": "device", "id": "d1"},
                                               {"type": "phone", "id": "p-new"}]}
    neo4j.save_run(Run("run-2"), [Ring.from_json(moved)])
    members = _run(driver, "MATCH (:Ring {ring_id: 'R-1'})-[:HAS_MEMBER]->(m) "
                   "RETURN labels(m)[0] AS label, m.id AS id ORDER BY label, id")
    assert members == [{"label": "Creator", "id": "c2"}, {"label": "Device", "id": "d1"},
                       {"label": "Phone", "id": "p-new"}]
    [existing] = _run(driver, "MATCH (c:Creator {id: 'c2'}) RETURN count(c) AS n")
    assert existing["n"] == 1  # matched, not duplicated
    [ring_node] = _run(driver, "MATCH (g:Ring {ring_id: 'R-1'}) "
                       "RETURN g.score AS score, g.last_run_id AS last_run_id")
    assert ring_node == {"score": 0.8, "last_run_id": "run-2"}
    [run] = _run(driver, "MATCH (r:Run {run_id: 'run-1'}) RETURN r.params AS params")
    assert run["params"] == '{"k": [1, 2]}'


@pytest.mark.neo4j
def test_a_failing_statement_is_a_query_error_naming_it(neo4j: GraphStore,
                                                        bad_snapshot: Path) -> None:
    tables = dict(load_snapshot(bad_snapshot).snapshot.tables)
    creators = tables["creators"].copy()
    creators["registered_at"] = pd.NaT  # a required time missing: not a validated snapshot
    tables["creators"] = creators
    # Creators new to the store go through ingest_creators, known ones through write_creators.
    with pytest.raises(QueryError, match="'ingest_creators' failed"):
        neo4j.write_snapshot(Snapshot(tables))
