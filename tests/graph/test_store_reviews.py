"""What the review API needs from a store: rings by id with compare-and-set, the audit log, API keys,
accounts and their neighbourhoods.

Each test runs once per store (the parametrised ``store`` fixture): the local
store and the real Neo4j server. Neo4j's accounts and neighbourhoods are also
compared with a local store's for the same snapshots, a hand-built one and a
generated one, since both stores must draw the same picture.
"""

from __future__ import annotations

import os
import subprocess
import sys
import threading
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from ringwatch.domain import (
    AccountType,
    ApiKey,
    AuditEntry,
    Member,
    ReviewStatus,
    Ring,
    RingKind,
    Run,
    Verdict,
)
from ringwatch.graph.local_store import LocalStore
from ringwatch.graph.store import GraphStore, KeyRevocation, default_audit_id
from ringwatch.loaders import Snapshot, load_snapshot

from ..detectors.market import Market

# --- rings: read one, compare-and-set ----------------------------------------------------------


def _ring(ring_id: str, score: float, *, status: str = "new", **extra: Any) -> Ring:
    return Ring.from_json({
        "ring_id": ring_id, "kind": "identity_ring", "score": score, "status": status,
        "review_status": status, "members": [{"type": "creator", "id": "c1"},
                                             {"type": "device", "id": "d1"}],
        "evidence": [{"code": "shared_device", "text": "2 creators used device d1", "weight": 0.4}],
        "metrics": {"creators": 2}, "first_detected": "2026-11-20T00:00:00Z", "run_id": "run-1",
        "last_seen_run": "run-1", "lineage": {}, "history": [], **extra,
    })


def _run(run_id: str) -> Run:
    return Run(run_id)


def _concurrently(count: int, work: Callable[[int], Any]) -> list[Any]:
    """Run ``work(0..count-1)`` on ``count`` threads released together; their results in order."""
    start = threading.Barrier(count)
    results: list[Any] = [None] * count
    errors: list[BaseException] = []

    def run(i: int) -> None:
        try:
            start.wait()
            results[i] = work(i)
        except BaseException as exc:  # re-raised below, in the test's thread
            errors.append(exc)

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    if errors:
        raise errors[0]
    return results


def test_ring_returns_the_latest_record_or_none(store: GraphStore) -> None:
    first = _ring("R-1", 0.5)
    store.save_run(_run("run-1"), [first, _ring("R-2", 0.7)])
    assert store.ring("R-1") == first
    assert store.ring("R-404") is None
    later = _ring("R-1", 0.6, run_id="run-2")
    store.save_run(_run("run-2"), [later])
    assert store.ring("R-1") == later


def test_a_saved_run_comes_back_as_the_same_record(store: GraphStore) -> None:
    run = Run("run-1", started_at="2026-11-20T00:00:00Z", backend=store.backend,
              parameters={"seed": 7}, rings=1, rings_by_kind={"identity_ring": 1},
              extra={"trigger": "api"})
    store.save_run(run, [_ring("R-1", 0.5)])
    assert store.runs() == [run]
    assert store.runs()[0].to_json()["trigger"] == "api"


def test_update_ring_replaces_the_record_when_the_version_matches(store: GraphStore) -> None:
    store.save_run(_run("run-1"), [_ring("R-1", 0.5), _ring("R-2", 0.7)])
    # No version yet counts as version 0.
    confirmed = _ring("R-1", 0.9, status="confirmed", version=1,
                      reviews=[{"action": "confirm", "note": "same phone farm", "actor": "alice",
                                "at": "2026-11-21T00:00:00Z"}])
    assert store.update_ring(confirmed, expected_version=0) is True
    assert store.ring("R-1") == confirmed
    # The searchable fields moved with the record: R-1 now sorts first by score.
    assert [r.ring_id for r in store.rings()] == ["R-1", "R-2"]
    assert store.rings()[0] == confirmed
    escalated = replace(confirmed, review_status=ReviewStatus.ESCALATED, version=2)
    assert store.update_ring(escalated, expected_version=1) is True
    assert store.ring("R-1") == escalated
    assert store.ring("R-1").status == "escalated"  # type: ignore[union-attr]


def test_a_stale_or_missing_ring_is_not_updated(store: GraphStore) -> None:
    original = _ring("R-1", 0.5, version=3)
    store.save_run(_run("run-1"), [original])
    for stale in (0, 2, 4):
        assert store.update_ring(replace(original, review_status=ReviewStatus.DISMISSED,
                                         version=stale + 1), expected_version=stale) is False
    assert store.ring("R-1") == original
    assert store.rings() == [original]
    assert store.update_ring(_ring("R-404", 0.5, version=1), expected_version=0) is False
    assert store.ring("R-404") is None


def test_the_version_a_run_saves_is_the_one_compared(store: GraphStore) -> None:
    store.save_run(_run("run-1"), [_ring("R-1", 0.5, version=1)])
    store.update_ring(_ring("R-1", 0.5, status="confirmed", version=2), expected_version=1)
    # A later run carries the version on; the next review must hold that one.
    store.save_run(_run("run-2"), [_ring("R-1", 0.6, status="confirmed", version=5)])
    assert store.update_ring(_ring("R-1", 0.6, version=3), expected_version=2) is False
    assert store.update_ring(_ring("R-1", 0.6, status="dismissed", version=6),
                             expected_version=5) is True
    assert store.ring("R-1").status == "dismissed"  # type: ignore[union-attr]


@pytest.mark.parametrize("version", [None, 0, 1, "2", 1.5, True])
def test_a_new_record_must_move_the_version_forward(store: GraphStore, version: Any) -> None:
    store.save_run(_run("run-1"), [_ring("R-1", 0.5, version=1)])
    ring = replace(_ring("R-1", 0.5, status="confirmed"), version=version)
    with pytest.raises(ValueError, match="version"):
        store.update_ring(ring, expected_version=1)
    assert store.ring("R-1") == _ring("R-1", 0.5, version=1)


def test_of_concurrent_updates_holding_the_same_version_exactly_one_wins(store: GraphStore) -> None:
    store.save_run(_run("run-1"), [_ring("R-1", 0.5)])
    for expected in range(5):  # several rounds: a lost-update race shows up in some
        def review(i: int, expected: int = expected) -> bool:
            ring = _ring("R-1", 0.5, status="confirmed", version=expected + 1,
                         note=f"reviewer {i}, round {expected}")
            return store.update_ring(ring, expected_version=expected)

        won = _concurrently(8, review)
        assert won.count(True) == 1, won
        winner = won.index(True)
        stored = store.ring("R-1")
        assert stored is not None
        assert stored.note == f"reviewer {winner}, round {expected}"
        assert stored.version == expected + 1


@pytest.mark.neo4j
def test_neo4j_keeps_the_searchable_ring_properties_with_the_document(
        neo4j_session_store: GraphStore) -> None:
    """What investigators query in Neo4j follows a review; membership and no lock marker stay."""
    store = neo4j_session_store
    store.clear()
    store.save_run(_run("run-1"), [_ring("R-1", 0.5)])
    reviewed = replace(_ring("R-1", 0.8, status="confirmed", version=1),
                       kind=RingKind.COLLUSION_RING, members=())
    assert store.update_ring(reviewed, expected_version=0)
    assert not store.update_ring(replace(reviewed, version=2), expected_version=0)
    [ring] = _cypher(store, "MATCH (g:Ring {ring_id: 'R-1'}) "
                            "RETURN g.status AS status, g.score AS score, g.kind AS kind, "
                            "g.version AS version, g._lock AS lock, "
                            "COUNT { (g)-[:HAS_MEMBER]->() } AS members")
    assert ring == {"status": "confirmed", "score": 0.8, "kind": "collusion_ring", "version": 1,
                    "lock": None, "members": 2}


def _cypher(store: GraphStore, query: str) -> list[dict[str, Any]]:
    """Run a literal read query on the store's database, as an investigator would."""
    from neo4j import GraphDatabase

    assert store.backend == "neo4j"
    uri = os.environ.get("RINGWATCH_NEO4J_URI", "bolt://127.0.0.1:7687")
    auth = (os.environ.get("RINGWATCH_NEO4J_USER", "neo4j"), os.environ["RINGWATCH_NEO4J_PASSWORD"])
    with GraphDatabase.driver(uri, auth=auth) as driver:
        records, _, _ = driver.execute_query(
            query, database_=os.environ.get("RINGWATCH_NEO4J_DATABASE", "neo4j"))
    return [r.data() for r in records]


# --- the audit log -----------------------------------------------------------------------------


def _entry(action: str = "confirm", actor: str = "k1", *, audit_id: str | None = None,
           seq: int | None = None, **details: Any) -> AuditEntry:
    return AuditEntry(at="2026-11-20T00:00:00Z", actor=actor, action=action, details=details,
                      seq=seq, audit_id=audit_id)


def test_audit_entries_come_back_oldest_first_numbered_by_the_store(store: GraphStore) -> None:
    assert store.audit_entries() == []
    store.append_audit(_entry("confirm", ring_id="R-1", note="ok"))
    store.append_audit(_entry("dismiss", "k2", ring_id="R-2", audit_id="mine"))
    store.append_audit(_entry("escalate", ring_id="R-1", seq=99))
    entries = store.audit_entries()
    assert [e.seq for e in entries] == [1, 2, 3]  # a caller's seq is replaced
    assert [e.audit_id for e in entries] == [default_audit_id(1), "mine", default_audit_id(3)]
    assert [e.action for e in entries] == ["confirm", "dismiss", "escalate"]
    assert entries[0] == _entry("confirm", ring_id="R-1", note="ok", seq=1,
                                audit_id=default_audit_id(1))
    assert entries[0].to_json() == {"at": "2026-11-20T00:00:00Z", "actor": "k1",
                                    "action": "confirm", "ring_id": "R-1", "note": "ok",
                                    "seq": 1, "audit_id": default_audit_id(1)}


def test_concurrent_audit_appends_are_all_kept_with_distinct_numbers(store: GraphStore) -> None:
    def append(i: int) -> None:
        for k in range(10):
            store.append_audit(_entry(actor=f"t{i}", n=k))

    _concurrently(8, append)
    entries = store.audit_entries()
    assert [e.seq for e in entries] == list(range(1, 81))
    assert sorted((e.actor, e.details["n"]) for e in entries) == sorted(
        (f"t{i}", k) for i in range(8) for k in range(10))
    # Each thread's entries keep the order they were appended in.
    for i in range(8):
        assert [e.details["n"] for e in entries if e.actor == f"t{i}"] == list(range(10))


def test_clear_removes_audit_entries_and_keys_and_restarts_numbering(store: GraphStore) -> None:
    store.append_audit(_entry("confirm"))
    store.save_api_key(_key("k1"))
    store.clear()
    assert store.audit_entries() == [] and store.api_keys() == []
    store.append_audit(_entry("dismiss"))
    assert [e.seq for e in store.audit_entries()] == [1]


_APPEND_FROM_A_PROCESS = """
import sys
from ringwatch.domain import AuditEntry
from ringwatch.graph.local_store import LocalStore
store = LocalStore(sys.argv[1])
for k in range(25):
    store.append_audit(AuditEntry(at="t", actor=sys.argv[2], action="test", details={"n": k}))
"""


def test_local_audit_appends_from_several_processes_are_all_kept(tmp_path: Path) -> None:
    directory = tmp_path / "store"
    LocalStore(directory)
    processes = [subprocess.Popen([sys.executable, "-c", _APPEND_FROM_A_PROCESS, str(directory),
                                   str(p)]) for p in range(4)]
    assert [p.wait(timeout=120) for p in processes] == [0] * 4
    entries = LocalStore(directory).audit_entries()
    assert [e.seq for e in entries] == list(range(1, 101))
    assert sorted((e.actor, e.details["n"]) for e in entries) == sorted(
        (str(p), k) for p in range(4) for k in range(25))


def test_a_torn_last_audit_line_neither_hides_nor_corrupts_later_entries(tmp_path: Path) -> None:
    store = LocalStore(tmp_path / "store")
    store.append_audit(_entry("confirm"))
    with (tmp_path / "store" / "audit.jsonl").open("ab") as f:
        f.write(b'{"action": "half-writ')  # a writer died mid-line
    store.append_audit(_entry("dismiss"))
    assert [(e.seq, e.action) for e in store.audit_entries()] == [(1, "confirm"), (2, "dismiss")]


# --- verdicts ----------------------------------------------------------------------------------


def test_verdicts_come_back_as_appended(store: GraphStore) -> None:
    first = Verdict("R-1", "identity_ring", ReviewStatus.CONFIRMED, 0.8, 0.9, "alice",
                    "2026-11-20T00:00:00Z", run_id="run-1", key_id="k1")
    later = replace(first, verdict=ReviewStatus.DISMISSED, at="2026-11-21T00:00:00Z", key_id=None)
    store.append_verdict(first)
    store.append_verdict(later)
    assert store.verdicts() == [first, later]


# --- API keys ----------------------------------------------------------------------------------


def _key(key_id: str, *, role: str = "viewer", created_at: str = "2026-11-20T00:00:00Z") -> ApiKey:
    return ApiKey(key_id=key_id, hash=f"sha256-of-{key_id}", role=role, label=f"{key_id}'s key",
                  created_at=created_at)


def test_api_keys_round_trip_oldest_first_and_upsert_by_key_id(store: GraphStore) -> None:
    assert store.api_keys() == []
    late, early = _key("k2", created_at="2026-11-21T00:00:00Z"), _key("k1", role="admin")
    store.save_api_key(late)
    store.save_api_key(early)
    assert store.api_keys() == [early, late]
    relabelled = replace(late, label="ci", extra={"team": "risk"})
    store.save_api_key(relabelled)
    assert store.api_keys() == [early, relabelled]


@pytest.mark.parametrize("bad", [
    ApiKey("k1", "h", "viewer", None, None, extra={"key": "rw_live_secret"}),
    ApiKey("k1", "h", "viewer", None, None, extra={"raw_key": "rw_live_secret"}),
    ApiKey("k1", "", "viewer", None, None),
    ApiKey("", "h", "viewer", None, None),
])
def test_a_key_record_with_a_raw_key_or_without_id_or_hash_is_refused(store: GraphStore,
                                                                       bad: ApiKey) -> None:
    with pytest.raises(ValueError):
        store.save_api_key(bad)
    assert store.api_keys() == []


def test_revoking_a_key_keeps_its_record_with_the_time_it_was_revoked(store: GraphStore) -> None:
    store.save_api_key(_key("k1"))
    store.save_api_key(_key("k2"))
    revoked = store.revoke_api_key("k1", at="2026-11-22T10:00:00Z")
    assert revoked == KeyRevocation(replace(_key("k1"), revoked_at="2026-11-22T10:00:00Z"),
                                    revoked_now=True)
    assert store.api_keys() == [revoked.record, _key("k2")]
    # Revoking again changes nothing: the first time stays, and the caller learns it was revoked.
    for at in ("2026-11-23T10:00:00Z", "2026-11-22T10:00:00Z"):
        assert store.revoke_api_key("k1", at=at) == KeyRevocation(revoked.record, revoked_now=False)
    assert store.api_keys()[0].revoked_at == "2026-11-22T10:00:00Z"


def test_revoking_an_unknown_key_is_none_and_writes_nothing(store: GraphStore) -> None:
    assert store.revoke_api_key("k404", at="2026-11-22T10:00:00Z") is None
    store.save_api_key(_key("k1"))
    before = store.api_keys_revision()
    assert store.revoke_api_key("k404", at="2026-11-22T10:00:00Z") is None
    assert store.api_keys() == [_key("k1")]
    assert store.api_keys_revision() == before


def test_saving_a_revoked_key_again_does_not_revive_it(store: GraphStore) -> None:
    store.save_api_key(_key("k1"))
    store.revoke_api_key("k1", at="2026-11-22T10:00:00Z")
    store.save_api_key(replace(_key("k1"), label="relabelled"))  # raced the revocation
    [record] = store.api_keys()
    assert record.label == "relabelled" and record.revoked_at == "2026-11-22T10:00:00Z"


def test_the_key_revision_moves_with_every_save_and_revocation(store: GraphStore) -> None:
    seen = [store.api_keys_revision()]
    assert seen[0] is None  # no key yet
    for change in (lambda: store.save_api_key(_key("k1")),
                   lambda: store.save_api_key(_key("k2")),
                   lambda: store.save_api_key(_key("k2", role="admin")),
                   lambda: store.revoke_api_key("k1", at="2026-11-22T10:00:00Z")):
        change()
        seen.append(store.api_keys_revision())
        hash(seen[-1])  # the server keeps and compares it
        assert seen[-1] not in seen[:-1]
    # Reading changes nothing.
    store.api_keys()
    assert store.api_keys_revision() == seen[-1]


def test_the_key_revision_after_clear_differs_from_before(store: GraphStore) -> None:
    store.save_api_key(_key("k1"))
    before = store.api_keys_revision()
    store.clear()
    store.save_api_key(_key("k1"))
    assert store.api_keys_revision() != before


def test_a_key_revoked_by_another_process_moves_the_revision_this_one_reads(tmp_path: Path) -> None:
    directory = tmp_path / "store"
    store = LocalStore(directory)
    store.save_api_key(_key("k1"))
    before = store.api_keys_revision()
    subprocess.run([sys.executable, "-c", "import sys\nfrom ringwatch.graph.local_store import "
                    "LocalStore\nLocalStore(sys.argv[1]).revoke_api_key('k1', at='2026-11-22T10:00:00Z')",
                    str(directory)], check=True, timeout=120)
    assert store.api_keys_revision() != before
    assert store.api_keys()[0].revoked_at == "2026-11-22T10:00:00Z"


def test_a_keys_last_use_is_recorded_and_never_moves_back(store: GraphStore) -> None:
    store.save_api_key(_key("k1"))
    store.save_api_key(_key("k2"))
    store.record_api_key_use("k1", at="2026-11-22T10:00:00Z")
    assert store.api_keys() == [replace(_key("k1"), last_used_at="2026-11-22T10:00:00Z"), _key("k2")]
    store.record_api_key_use("k1", at="2026-11-22T09:00:00Z")  # a late write from another server
    assert store.api_keys()[0].last_used_at == "2026-11-22T10:00:00Z"
    store.record_api_key_use("k1", at="2026-11-22T11:00:00Z")
    assert store.api_keys()[0].last_used_at == "2026-11-22T11:00:00Z"
    store.record_api_key_use("k404", at="2026-11-22T11:00:00Z")  # unknown: nothing happens
    assert [k.key_id for k in store.api_keys()] == ["k1", "k2"]
    # A save keeps the recorded use, and the revocation keeps it too.
    store.save_api_key(replace(_key("k1"), label="ci"))
    revoked = store.revoke_api_key("k1", at="2026-11-22T12:00:00Z")
    assert revoked is not None and revoked.record.last_used_at == "2026-11-22T11:00:00Z"
    assert store.api_keys()[0].last_used_at == "2026-11-22T11:00:00Z"


# --- accounts and neighbourhoods ---------------------------------------------------------------

#: A hub IP used by this many buyers: more than the default of 50 neighbours read per node.
HUB_BUYERS = 60

#: Ids whose order differs between code points (Python) and UTF-16 code units (Neo4j).
HIGH_BMP, ASTRAL = "bx-\uffff", "bx-\U0001f600"


def _market() -> Market:
    """A small market with known neighbourhoods.

    c1 and c2 share device d1 (with buyer b1); c1 also uses phone p1. Seller x1
    owns s1 and shares payout account pa1 with c3; x2 owns s2. Orders: b1 -> s1
    via c1, b2 -> s1 via c1, b2 -> s2 organic, b3 -> s2 via c2. Buyer "c2" (a
    buyer sharing creator c2's id) uses email e2 and buys from s2. c3 also uses
    hub IP ip-hub, shared by HUB_BUYERS buyers hb00, hb01, ... Device dx is used by
    two buyers whose ids order differently in code points and UTF-16 code units.
    """
    m = Market()
    for creator in ("c1", "c2", "c3"):
        m.creator(creator)
    m.shop("s1", seller="x1")
    m.shop("s2", seller="x2")
    for account_type, account_id, identifier_type, identifier in (
            ("creator", "c1", "device", "d1"), ("creator", "c2", "device", "d1"),
            ("buyer", "b1", "device", "d1"), ("creator", "c1", "phone", "p1"),
            ("seller", "x1", "payout_account", "pa1"), ("creator", "c3", "payout_account", "pa1"),
            ("buyer", "c2", "email", "e2"), ("creator", "c3", "ip", "ip-hub"),
            ("buyer", HIGH_BMP, "device", "dx"), ("buyer", ASTRAL, "device", "dx")):
        m.link(account_type, account_id, identifier_type, identifier)
    for b in range(HUB_BUYERS):
        m.link("buyer", f"hb{b:02d}", "ip", "ip-hub")
    m.order("b1", "s1", "c1")
    m.order("b2", "s1", "c1")
    m.order("b2", "s2")
    m.order("b3", "s2", "c2")
    m.order("c2", "s2")
    return m


def _snapshot(tmp_path: Path) -> Snapshot:
    result = load_snapshot(_market().write(tmp_path / "snapshot"))
    assert result.summary.quarantined == 0, result.summary.as_dict()
    return result.snapshot


@pytest.fixture
def market(store: GraphStore, tmp_path: Path) -> GraphStore:
    """The store holding :func:`_market`."""
    store.write_snapshot(_snapshot(tmp_path))
    return store


def _ids(result: dict | None, part: str = "nodes") -> list:
    assert result is not None
    if part == "nodes":
        return [n["id"] for n in result["nodes"]]
    return [(e["source"], e["type"], e["target"]) for e in result["edges"]]


def test_account_lists_identifiers_with_how_many_accounts_share_them(market: GraphStore) -> None:
    assert market.account("creator", "c1") == {
        "type": "creator", "id": "c1",
        "identifiers": [{"type": "device", "id": "d1", "shared_by": 3},
                        {"type": "phone", "id": "p1", "shared_by": 1}]}
    assert market.account("creator", "c3") == {
        "type": "creator", "id": "c3",
        "identifiers": [{"type": "ip", "id": "ip-hub", "shared_by": HUB_BUYERS + 1},
                        {"type": "payout_account", "id": "pa1", "shared_by": 2}]}
    # Creator c2 and buyer c2 are different accounts with different identifiers.
    assert market.account("creator", "c2")["identifiers"] == [
        {"type": "device", "id": "d1", "shared_by": 3}]
    assert market.account("buyer", "c2")["identifiers"] == [
        {"type": "email", "id": "e2", "shared_by": 1}]
    assert market.account("seller", "x1")["identifiers"] == [
        {"type": "payout_account", "id": "pa1", "shared_by": 2}]


def test_account_finds_each_account_type_that_a_snapshot_made(market: GraphStore) -> None:
    for account_type, account_id in (("creator", "c2"), ("shop", "s1"), ("seller", "x2"),
                                     ("buyer", "b2"), ("buyer", "hb07")):
        found = market.account(account_type, account_id)
        assert found is not None, (account_type, account_id)
        assert (found["type"], found["id"]) == (account_type, account_id)
    assert market.account("shop", "s1")["identifiers"] == []
    assert market.account("seller", "x2")["identifiers"] == []  # exists: it owns s2
    assert market.account("buyer", "b2")["identifiers"] == []  # exists: it placed orders


def test_an_unknown_account_is_none(market: GraphStore) -> None:
    # A ring member is not an account: Neo4j MERGEs a node for it, which must not count.
    market.save_run(_run("run-1"), [replace(_ring("R-1", 0.5), members=tuple(
        Member(AccountType(t), "ghost") for t in ("creator", "buyer", "seller", "shop")))])
    for account_type, account_id in (("creator", "ghost"), ("buyer", "ghost"), ("seller", "ghost"),
                                     ("shop", "ghost"), ("creator", "b1"), ("seller", "c1"),
                                     ("buyer", "s1"), ("shop", "x1")):
        assert market.account(account_type, account_id) is None, (account_type, account_id)
        assert market.neighbourhood(account_type, account_id, hops=1, limit=10) is None


def test_an_empty_store_knows_no_accounts(store: GraphStore) -> None:
    for account_type in ("creator", "shop", "seller", "buyer"):
        assert store.account(account_type, "c1") is None
        assert store.neighbourhood(account_type, "c1", hops=2, limit=10) is None


def test_account_refuses_a_type_that_is_not_an_account(market: GraphStore) -> None:
    with pytest.raises(ValueError, match="unknown account type 'device'"):
        market.account("device", "d1")
    with pytest.raises(ValueError, match="unknown account type"):
        market.neighbourhood("ip", "ip-hub", hops=1, limit=10)


def test_neighbourhood_of_one_hop(market: GraphStore) -> None:
    result = market.neighbourhood("creator", "c1", hops=1, limit=200)
    assert result is not None and result["truncated"] is False
    # The account first, then its neighbours by type and id.
    assert _ids(result) == ["creator:c1", "buyer:b1", "buyer:b2", "device:d1", "phone:p1", "shop:s1"]
    assert result["nodes"][3] == {"id": "device:d1", "type": "device", "label": "d1"}
    # Every edge among those nodes, the ones between neighbours included.
    assert _ids(result, "edges") == [
        ("buyer:b1", "BOUGHT", "creator:c1"), ("buyer:b1", "USES", "device:d1"),
        ("buyer:b1", "BOUGHT", "shop:s1"), ("buyer:b2", "BOUGHT", "creator:c1"),
        ("buyer:b2", "BOUGHT", "shop:s1"), ("creator:c1", "USES", "device:d1"),
        ("creator:c1", "USES", "phone:p1"), ("creator:c1", "TRADES", "shop:s1"),
    ]


def test_neighbourhood_of_two_hops(market: GraphStore) -> None:
    result = market.neighbourhood("creator", "c1", hops=2, limit=200)
    assert result is not None and result["truncated"] is False
    assert _ids(result) == [
        "creator:c1", "buyer:b1", "buyer:b2", "device:d1", "phone:p1", "shop:s1",
        "shop:s2",  # from b2
        "creator:c2",  # from d1 (the creator c2, not the buyer c2)
        "seller:x1",  # from s1
    ]
    assert _ids(result, "edges") == [
        ("buyer:b1", "BOUGHT", "creator:c1"), ("buyer:b1", "USES", "device:d1"),
        ("buyer:b1", "BOUGHT", "shop:s1"), ("buyer:b2", "BOUGHT", "creator:c1"),
        ("buyer:b2", "BOUGHT", "shop:s1"), ("buyer:b2", "BOUGHT", "shop:s2"),
        ("creator:c1", "USES", "device:d1"), ("creator:c1", "USES", "phone:p1"),
        ("creator:c1", "TRADES", "shop:s1"), ("creator:c2", "USES", "device:d1"),
        ("creator:c2", "TRADES", "shop:s2"), ("seller:x1", "OWNS", "shop:s1"),
    ]


def test_neighbourhood_stops_adding_nodes_at_the_limit(market: GraphStore) -> None:
    result = market.neighbourhood("creator", "c1", hops=2, limit=7)
    assert result is not None and result["truncated"] is True
    assert _ids(result) == ["creator:c1", "buyer:b1", "buyer:b2", "device:d1", "phone:p1",
                            "shop:s1", "shop:s2"]
    edges = _ids(result, "edges")
    assert ("buyer:b2", "BOUGHT", "shop:s2") in edges
    assert all(e[0] in _ids(result) and e[2] in _ids(result) for e in edges)
    assert _ids(market.neighbourhood("creator", "c1", hops=2, limit=1)) == ["creator:c1"]


def test_neighbourhood_of_a_buyer_and_a_seller(market: GraphStore) -> None:
    buyer = market.neighbourhood("buyer", "c2", hops=1, limit=200)
    assert _ids(buyer) == ["buyer:c2", "email:e2", "shop:s2"]
    assert _ids(buyer, "edges") == [("buyer:c2", "USES", "email:e2"), ("buyer:c2", "BOUGHT", "shop:s2")]
    seller = market.neighbourhood("seller", "x1", hops=2, limit=200)
    assert _ids(seller) == ["seller:x1", "payout_account:pa1", "shop:s1", "creator:c3", "buyer:b1",
                            "buyer:b2", "creator:c1"]
    assert seller["truncated"] is False


def test_a_hub_identifier_is_expanded_to_its_first_neighbours_only(market: GraphStore) -> None:
    result = market.neighbourhood("creator", "c3", hops=2, limit=1000)
    assert result is not None and result["truncated"] is True
    # ip-hub's 61 accounts in (type, id) order are hb00..hb59, then c3: the first 50 are kept.
    hub_buyers = [n for n in _ids(result) if n.startswith("buyer:hb")]
    assert hub_buyers == [f"buyer:hb{b:02d}" for b in range(50)]
    assert _ids(result)[:3] == ["creator:c3", "ip:ip-hub", "payout_account:pa1"]
    assert _ids(result)[-1] == "seller:x1"
    assert len(result["nodes"]) == 3 + 50 + 1
    small = market.neighbourhood("creator", "c3", hops=2, limit=1000, per_node=5)
    assert [n for n in _ids(small) if n.startswith("buyer:")] == [f"buyer:hb{b:02d}" for b in range(5)]
    # Reached at the last hop, the hub is not expanded: nothing is missing within 1 hop of hb00.
    edge = market.neighbourhood("buyer", "hb00", hops=1, limit=1000)
    assert _ids(edge) == ["buyer:hb00", "ip:ip-hub"] and edge["truncated"] is False


def test_hub_neighbours_are_taken_in_the_same_string_order_by_both_stores(market: GraphStore) -> None:
    # UTF-16 code units (Neo4j's order) put U+1F600 before U+FFFF; code points put it after.
    result = market.neighbourhood("buyer", HIGH_BMP, hops=2, limit=100, per_node=1)
    assert _ids(result) == [f"buyer:{HIGH_BMP}", "device:dx", f"buyer:{ASTRAL}"]


def test_neighbourhood_refuses_bad_sizes(market: GraphStore) -> None:
    for bad in ({"hops": 0, "limit": 10}, {"hops": 1, "limit": 0},
                {"hops": 1, "limit": 10, "per_node": 0}):
        with pytest.raises(ValueError):
            market.neighbourhood("creator", "c1", **bad)


@pytest.mark.neo4j
def test_both_stores_draw_the_same_neighbourhoods(neo4j_session_store: GraphStore, tmp_path: Path,
                                                  generated_snapshot: Path) -> None:
    """Neo4j against a local store loaded from the same snapshot: same accounts, same pictures."""
    store = neo4j_session_store
    for name, snapshot in (("market", _snapshot(tmp_path)),
                           ("generated", load_snapshot(generated_snapshot).snapshot)):
        store.clear()
        store.write_snapshot(snapshot)
        reference = LocalStore(tmp_path / f"reference-{name}")
        reference.write_snapshot(snapshot)
        for account_type, account_id in _some_accounts(snapshot):
            assert store.account(account_type, account_id) == reference.account(
                account_type, account_id), (name, account_type, account_id)
            for hops, limit, per_node in ((1, 200, 50), (2, 200, 50), (2, 40, 7)):
                got = store.neighbourhood(account_type, account_id, hops=hops, limit=limit,
                                          per_node=per_node)
                assert got == reference.neighbourhood(account_type, account_id, hops=hops,
                                                      limit=limit, per_node=per_node), (
                    name, account_type, account_id, hops, limit, per_node)


def _some_accounts(snapshot: Snapshot) -> list[tuple[str, str]]:
    """A few accounts of every type, the best connected first (they have the busiest neighbourhoods)."""
    links, orders, shops = (snapshot.tables[t] for t in ("identity_links", "orders", "shops"))
    out = []
    for account_type in ("creator", "seller", "buyer"):
        mine = links[links["account_type"] == account_type]
        out += [(account_type, str(i)) for i in mine["account_id"].value_counts().index[:3]]
    out += [("shop", str(i)) for i in orders["shop_id"].value_counts().index[:3]]
    out += [("buyer", str(i)) for i in orders["buyer_id"].value_counts().index[:2]]
    out += [("creator", str(i)) for i in orders["creator_id"].dropna().value_counts().index[:2]]
    out += [("seller", str(shops["seller_id"].iloc[0]))]
    return list(dict.fromkeys(out))
