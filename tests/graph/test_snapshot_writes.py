"""How both stores write a snapshot: progress counts each row once, a snapshot the graph cannot
hold is refused before anything changes, and ``replace`` empties the graph, runs and rings only after
that check, keeping API keys, the audit log and reviewers' verdicts.

Each test runs once per store (the parametrised ``store`` fixture): the local
store and the real Neo4j server.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from neo4j import GraphDatabase

from ringwatch.domain import ApiKey, AuditEntry, Ring, Run, Verdict
from ringwatch.graph.errors import UnstorableColumnError
from ringwatch.graph.store import GraphStore
from ringwatch.loaders import Snapshot, SnapshotError, load_snapshot

from .small_snapshots import write_small_snapshot


def _neo4j_rows(query: str) -> list[dict[str, Any]]:
    """Ask the test Neo4j directly, as an investigator would, with a driver of our own."""
    auth = (os.environ.get("RINGWATCH_NEO4J_USER", "neo4j"), os.environ["RINGWATCH_NEO4J_PASSWORD"])
    with GraphDatabase.driver(os.environ.get("RINGWATCH_NEO4J_URI", "bolt://127.0.0.1:7687"),
                              auth=auth) as driver:
        records, _, _ = driver.execute_query(
            query, database_=os.environ.get("RINGWATCH_NEO4J_DATABASE", "neo4j"))
    return [r.data() for r in records]


def _snapshot(tmp_path: Path, prefix: str, creators: int = 12, **extra: dict[str, str]) -> Snapshot:
    """A validated small snapshot (ids under ``prefix``), with extra columns per table."""
    directory = write_small_snapshot(tmp_path / prefix, prefix=prefix, creators=creators, extra=extra)
    return load_snapshot(directory, quarantine_dir=tmp_path / f"{prefix}quarantine").snapshot


def _with_column(snapshot: Snapshot, table: str, column: object) -> Snapshot:
    """``snapshot`` with one more column in ``table``, named as given (not possible through a CSV)."""
    tables = dict(snapshot.tables)
    frame = tables[table].copy()
    frame[column] = "x"
    tables[table] = frame
    return Snapshot(tables)


@pytest.mark.parametrize("batch_size", [3, 10_000])
def test_progress_reports_each_row_of_the_snapshot_exactly_once(
        store: GraphStore, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, batch_size: int) -> None:
    # Regression: Neo4j reported a running total per batch, which the progress bar added up
    # ("writing orders 647614/193426").
    if store.backend == "neo4j":
        monkeypatch.setattr(store, "batch_size", batch_size)
    snapshot = _snapshot(tmp_path, "p_", creators=25)
    calls: list[tuple[str, int]] = []
    store.write_snapshot(snapshot, progress=lambda table, rows: calls.append((table, rows)))
    assert sum(rows for _, rows in calls) == snapshot.rows
    per_table: dict[str, int] = {}
    for table, rows in calls:
        assert rows >= 0
        per_table[table] = per_table.get(table, 0) + rows
    assert {t: n for t, n in per_table.items() if n} == {
        name: len(frame) for name, frame in snapshot.tables.items() if len(frame)}
    if store.backend == "neo4j" and batch_size == 3:
        assert len([c for c in calls if c[0] == "orders"]) == -(-len(snapshot["orders"]) // 3)


@pytest.mark.parametrize(("table", "column", "why"), [
    ("creators", "", "has no name"),
    ("orders", "note\x00", "NUL character"),
    ("creators", "id", "clashes with 'id'"),
    ("commissions", "id", "clashes with 'id'"),
    ("shops", 7, "not named by text"),
])
@pytest.mark.parametrize("replace", [False, True])
def test_a_column_the_graph_cannot_hold_is_refused_before_anything_changes(
        store: GraphStore, tmp_path: Path, table: str, column: object, why: str,
        replace: bool) -> None:
    store.write_snapshot(_snapshot(tmp_path, "old_"))
    before = store.counts()
    bad = _with_column(_snapshot(tmp_path, "new_"), table, column)
    with pytest.raises(UnstorableColumnError, match=why) as refused:
        store.write_snapshot(bad, replace=replace)
    assert isinstance(refused.value, SnapshotError)  # the input's fault: exit code 2
    assert f"table {table}: column {column!r}" in str(refused.value)
    assert "\n" not in str(refused.value)
    assert store.counts() == before  # with replace too: nothing cleared, nothing written


def test_every_refused_column_is_named_in_one_message(store: GraphStore, tmp_path: Path) -> None:
    bad = _with_column(_with_column(_snapshot(tmp_path, "new_"), "creators", "id"), "orders", "")
    with pytest.raises(UnstorableColumnError) as refused:
        store.write_snapshot(bad)
    message = str(refused.value)
    assert "table creators: column 'id'" in message and "table orders: column ''" in message
    assert message.endswith("rename or drop these columns and load again")


def test_an_id_column_of_a_relationship_table_is_kept_as_a_property(
        store: GraphStore, tmp_path: Path) -> None:
    """identity_links rows are USES relationships, which have no key of ours to clash with."""
    snapshot = _snapshot(tmp_path, "p_", identity_links={"id": "link-1", "channel": "app"})
    store.write_snapshot(snapshot)
    assert store.counts()["USES"] == len(snapshot["identity_links"])
    if store.backend == "local":
        links = store.table("identity_links")  # type: ignore[attr-defined]
        assert set(links["id"]) == {"link-1"} and set(links["channel"]) == {"app"}
    else:
        assert _neo4j_rows("MATCH ()-[u:USES]->() RETURN DISTINCT u.id AS id, u.channel AS channel") \
            == [{"id": "link-1", "channel": "app"}]


def test_replace_leaves_only_the_new_snapshot(store: GraphStore, tmp_path: Path) -> None:
    old, new = _snapshot(tmp_path, "old_", creators=8), _snapshot(tmp_path, "new_", creators=12)
    store.write_snapshot(old)
    store.write_snapshot(new, replace=True)
    counts = store.counts()
    assert counts["Creator"] == 12 and counts["Order"] == len(new["orders"])
    creators = store.projection("creators")
    assert set(creators["creator_id"]) == set(new["creators"]["creator_id"])


def _verdict(ring_id: str, verdict: str, score: float) -> Verdict:
    return Verdict.from_json({
        "ring_id": ring_id, "kind": "identity_ring", "verdict": verdict, "uncalibrated_score": score,
        "score": score, "actor": "ann", "at": "2026-11-20T00:00:00Z", "run_id": "run-1",
        "key_id": "k1"})


def test_replace_keeps_keys_audit_and_verdicts_but_drops_the_old_runs_and_rings(
        store: GraphStore, tmp_path: Path) -> None:
    """``load --replace`` replaces the market and what was found in it, never what the team made."""
    store.write_snapshot(_snapshot(tmp_path, "old_", creators=8))
    store.save_run(Run("run-1"), [Ring.from_json({
        "ring_id": "R-1", "kind": "identity_ring", "score": 0.9, "status": "new",
        "members": [{"type": "creator", "id": "old_c0"}], "evidence": [], "metrics": {}})])
    store.save_api_key(ApiKey("k1", "h1", "investigator", "ann", "2026-11-20T00:00:00Z"))
    store.append_audit(AuditEntry(at="2026-11-20T00:00:00Z", actor="ann", action="review.confirm"))
    store.append_verdict(_verdict("R-1", "confirmed", 0.9))
    store.append_verdict(_verdict("R-2", "dismissed", 0.4))

    store.write_snapshot(_snapshot(tmp_path, "new_", creators=12), replace=True)

    assert store.counts()["Creator"] == 12
    assert store.rings() == [] and store.runs() == []
    assert [k.key_id for k in store.api_keys()] == ["k1"]
    assert [(v.ring_id, v.verdict) for v in store.verdicts()] == [("R-1", "confirmed"),
                                                                   ("R-2", "dismissed")]
    # The audit log carries on numbering where it was, after the replace.
    store.append_audit(AuditEntry(at="2026-11-21T00:00:00Z", actor="bob", action="review.dismiss"))
    assert [(e.seq, e.actor) for e in store.audit_entries()] == [(1, "ann"), (2, "bob")]


def test_verdicts_come_back_oldest_first_and_clear_removes_them(store: GraphStore) -> None:
    for i in range(5):
        store.append_verdict(_verdict(f"R-{i}", "confirmed" if i % 2 else "dismissed", i / 10))
    assert [v.ring_id for v in store.verdicts()] == [f"R-{i}" for i in range(5)]
    assert store.verdicts()[3] == _verdict("R-3", "confirmed", 0.3)
    store.clear()
    assert store.verdicts() == []


def test_without_replace_a_second_snapshot_adds_to_the_first(store: GraphStore, tmp_path: Path) -> None:
    store.write_snapshot(_snapshot(tmp_path, "a_", creators=8))
    store.write_snapshot(_snapshot(tmp_path, "b_", creators=12))
    assert store.counts()["Creator"] == 20


def test_the_check_names_the_file_when_told_it(tmp_path: Path) -> None:
    from ringwatch.graph.store import check_property_names

    bad = _with_column(_snapshot(tmp_path, "p_"), "creators", "id")
    with pytest.raises(UnstorableColumnError, match=r"^creators\.csv: column 'id' clashes"):
        check_property_names(bad, files={"creators": "creators.csv"})
    check_property_names(Snapshot({"creators": pd.DataFrame({"creator_id": ["c1"], "note": ["x"]})}))
