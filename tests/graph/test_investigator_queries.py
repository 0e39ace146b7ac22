"""The investigator's Neo4j: the graph model and the five example queries of docs/contract.md.

The queries are read out of docs/contract.md (every ```cypher block whose first line
is ``// example: NAME``) and run, exactly as documented, against the real server on
a small graph built so that each one has a known answer: the docs and the tests
cannot drift apart. Rings are written through the store (save_run, review_ring), as
Ringwatch writes them, and inspected with a plain driver, as an investigator would.
"""

from __future__ import annotations

import json
import os
import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from neo4j import Driver, GraphDatabase

from ringwatch.domain import Ring, Run
from ringwatch.graph.store import GraphStore
from ringwatch.loaders import load_snapshot
from ringwatch.reviewing import Reviewer, review_ring

CONTRACT = Path(__file__).resolve().parents[2] / "docs" / "contract.md"
EXAMPLE = re.compile(r"```cypher\n// example: (\w+)\n(.*?)```", re.DOTALL)


def documented_examples() -> dict[str, str]:
    """The example queries of docs/contract.md by name, each as its whole text."""
    return {name: f"// example: {name}\n{body}"
            for name, body in EXAMPLE.findall(CONTRACT.read_text(encoding="utf-8"))}


def test_the_contract_documents_five_example_queries_that_bind_their_values() -> None:
    examples = documented_examples()
    assert sorted(examples) == ["accounts_two_hops_via_devices", "creator_rings_with_evidence_code",
                                "rings_confirmed_last_week", "rings_sharing_a_payout_account",
                                "shops_refunded_after_commission_in_rings"]
    # Values are parameters, never pasted ids (the contract's rule for every query).
    for name, query in examples.items():
        assert not re.search(r"\{id: '", query), name
    assert "$creator_id" in examples["creator_rings_with_evidence_code"]
    assert "$ring_id" in examples["accounts_two_hops_via_devices"]


def test_the_graph_model_names_every_relationship_type_the_store_writes() -> None:
    from ringwatch.graph.model import RELATIONSHIP_TYPES

    text = CONTRACT.read_text(encoding="utf-8")
    section = text[text.index("### Graph model"):text.index("### Bad input")]
    for relationship in (*RELATIONSHIP_TYPES, "HAS_MEMBER"):
        assert f"| `{relationship}` |" in section, relationship


# --- against the real server -------------------------------------------------------------------

def _write_csv(directory: Path, tables: dict[str, list[dict[str, str]]]) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    for name, rows in tables.items():
        pd.DataFrame(rows).to_csv(directory / f"{name}.csv", index=False)
    return directory


def _link(account_type: str, account: str, identifier_type: str, identifier: str) -> dict[str, str]:
    return {"account_type": account_type, "account_id": account, "identifier_type": identifier_type,
            "identifier": identifier, "first_seen": "2026-01-02", "last_seen": "", "events": "1"}


def _order(order_id: str, shop: str, creator: str, refunded_at: str = "",
           buyer: str = "b1") -> dict[str, str]:
    return {"order_id": order_id, "buyer_id": buyer, "shop_id": shop, "creator_id": creator,
            "amount": "20", "currency": "USD", "placed_at": "2026-02-01",
            "status": "refunded" if refunded_at else "completed", "refunded_at": refunded_at}


def _commission(order_id: str, shop: str, creator: str) -> dict[str, str]:
    return {"commission_id": "cm-" + order_id, "order_id": order_id, "creator_id": creator,
            "shop_id": shop, "amount": "2", "rate": "0.1", "created_at": "2026-03-01",
            "status": "paid"}


def investigation_snapshot(directory: Path) -> Path:
    """Five creators, two shops; each example query has a known answer on it (see the tests)."""
    orders = [
        _order("o1", "s1", "c1", refunded_at="2026-03-10"),  # refunded after its commission
        _order("o2", "s1", "c1", refunded_at="2026-02-20"),  # refunded before it: not counted
        _order("o3", "s2", "c3", refunded_at="2026-03-10"),
        _order("o4", "s1", "c2", refunded_at="2026-03-10"),
        _order("o5", "s2", "c5", refunded_at="2026-03-10"),  # c5 is in no ring
        _order("o6", "s2", "c4", buyer="b9"),
    ]
    return _write_csv(directory, {
        "creators": [{"creator_id": f"c{i}", "registered_at": "2026-01-01", "region": "US",
                      "agency_id": ""} for i in range(1, 6)],
        "shops": [{"shop_id": f"s{i}", "seller_id": f"sel{i}", "registered_at": "2026-01-01",
                   "region": "US", "category": "beauty"} for i in (1, 2)],
        "identity_links": [
            _link("creator", "c1", "payout_account", "pa1"),
            _link("creator", "c3", "payout_account", "pa1"),
            _link("creator", "c4", "payout_account", "pa2"),
            _link("creator", "c1", "device", "d1"),
            _link("creator", "c5", "device", "d1"),
            _link("creator", "c2", "device", "d2"),
            _link("buyer", "b9", "device", "d2"),
        ],
        "orders": orders,
        "commissions": [_commission(o["order_id"], o["shop_id"], o["creator_id"]) for o in orders],
    })


def _ring(ring_id: str, kind: str, score: float, members: list[tuple[str, str]],
          evidence: list[tuple[str, str, float]]) -> Ring:
    return Ring.from_json({
        "ring_id": ring_id, "kind": kind, "score": score, "status": "new",
        "members": [{"type": t, "id": i} for t, i in members],
        "evidence": [{"code": c, "text": text, "weight": w} for c, text, w in evidence],
        "metrics": {"creators": sum(t == "creator" for t, _ in members)},
        "first_detected": "2026-11-20T00:00:00Z", "run_id": "run-1",
    })


RINGS = [
    _ring("R-A", "identity_ring", 0.9, [("creator", "c1"), ("creator", "c2"), ("device", "d2")],
          [("shared_device", "2 accounts used device d2", 0.5),
           ("shared_payout_account", "c1 is paid to payout account pa1", 0.4)]),
    _ring("R-B", "collusion_ring", 0.7, [("creator", "c3"), ("shop", "s2"), ("payout_account", "pa2")],
          [("abnormal_trade", "c3 and s2 trade far beyond chance", 0.6)]),
    _ring("R-C", "lockstep_ring", 0.6, [("creator", "c1"), ("creator", "c4")],
          [("shared_payout_account", "c1 and c4 registered together", 0.3),
           ("honest_explanation", "no seller's team explains them", 0.0)]),
]


def _query(driver: Driver, query: str, **params: Any) -> list[dict[str, Any]]:
    records, _, _ = driver.execute_query(query, params,  # type: ignore[arg-type]
                                         database_=os.environ.get("RINGWATCH_NEO4J_DATABASE",
                                                                  "neo4j"))
    return [r.data() for r in records]


@pytest.fixture
def driver(neo4j_session_store: GraphStore) -> Iterator[Driver]:
    uri = os.environ.get("RINGWATCH_NEO4J_URI", "bolt://127.0.0.1:7687")
    auth = (os.environ.get("RINGWATCH_NEO4J_USER", "neo4j"), os.environ["RINGWATCH_NEO4J_PASSWORD"])
    with GraphDatabase.driver(uri, auth=auth) as plain:
        yield plain


@pytest.fixture
def investigated(neo4j_session_store: GraphStore, tmp_path: Path) -> GraphStore:
    """The investigation snapshot with its three rings: R-A confirmed now, R-B a month ago, R-C dismissed."""
    store = neo4j_session_store
    store.clear()
    loaded = load_snapshot(investigation_snapshot(tmp_path / "snapshot"))
    assert loaded.summary.quarantined == 0
    store.write_snapshot(loaded.snapshot)
    store.save_run(Run("run-1"), RINGS)
    reviewer = Reviewer("ana", None, "investigator")
    month_ago = (datetime.now(UTC) - timedelta(days=30)).isoformat().replace("+00:00", "Z")
    for ring_id, action, at in (("R-A", "confirm", None), ("R-B", "confirm", month_ago),
                                ("R-C", "dismiss", None)):
        review_ring(store, ring_id, action, reviewer=reviewer, expected_version=0, at=at)
    return store


@pytest.mark.neo4j
def test_rings_sharing_a_payout_account(investigated: GraphStore, driver: Driver) -> None:
    rows = _query(driver, documented_examples()["rings_sharing_a_payout_account"])
    found = {row["payout_account"]: sorted(row["rings"]) for row in rows}
    # pa1 through members c1 (R-A, R-C) and c3 (R-B); pa2 as R-B's member and through c4 (R-C).
    assert found == {"pa1": ["R-A", "R-B", "R-C"], "pa2": ["R-B", "R-C"]}
    assert rows[0]["payout_account"] == "pa1"


@pytest.mark.neo4j
def test_a_creators_rings_with_one_evidence_code(investigated: GraphStore, driver: Driver) -> None:
    query = documented_examples()["creator_rings_with_evidence_code"]
    rows = _query(driver, query, creator_id="c1", code="shared_payout_account")
    assert [(r["ring"], r["kind"]) for r in rows] == [("R-A", "identity_ring"), ("R-C", "lockstep_ring")]
    assert rows[0]["evidence"] == ["c1 is paid to payout account pa1"]
    assert _query(driver, query, creator_id="c3", code="shared_payout_account") == []
    assert [r["ring"] for r in _query(driver, query, creator_id="c3", code="abnormal_trade")] == ["R-B"]


@pytest.mark.neo4j
def test_accounts_two_hops_from_a_ring_through_devices(investigated: GraphStore,
                                                       driver: Driver) -> None:
    rows = _query(driver, documented_examples()["accounts_two_hops_via_devices"], ring_id="R-A")
    # c5 shares member c1's device d1; b9 uses d2, which is itself a member; c2 is in the ring.
    assert rows == [{"label": "Buyer", "account": "b9", "devices": ["d2"]},
                    {"label": "Creator", "account": "c5", "devices": ["d1"]}]


@pytest.mark.neo4j
def test_shops_with_most_refunds_after_commission_in_rings(investigated: GraphStore,
                                                          driver: Driver) -> None:
    rows = _query(driver, documented_examples()["shops_refunded_after_commission_in_rings"])
    # s1: o1 (c1) and o4 (c2); o2 was refunded before its commission. s2: o3 (c3); o5's c5 is in no ring.
    assert [(r["shop"], r["refunded_orders"]) for r in rows] == [("s1", 2), ("s2", 1)]
    assert sorted(rows[0]["rings"]) == ["R-A", "R-C"]


@pytest.mark.neo4j
def test_rings_confirmed_last_week(investigated: GraphStore, driver: Driver) -> None:
    rows = _query(driver, documented_examples()["rings_confirmed_last_week"])
    assert [(r["ring"], r["reviewed_by"]) for r in rows] == [("R-A", "ana")]
    assert rows[0]["reviewed_at"].to_native() > datetime.now(UTC) - timedelta(minutes=5)


@pytest.mark.neo4j
def test_ring_evidence_is_parallel_list_properties(investigated: GraphStore, driver: Driver) -> None:
    [row] = _query(driver, "MATCH (g:Ring {ring_id: $id}) RETURN properties(g) AS p", id="R-C")
    p = row["p"]
    assert p["evidence_codes"] == ["shared_payout_account", "honest_explanation"]
    assert p["evidence_weights"] == [0.3, 0.0]
    assert p["evidence_texts"][1] == "no seller's team explains them"
    assert p["status"] == "dismissed" and p["reviewed_by"] == "ana"
    # The review kept the evidence properties (update_ring sets them with the document).
    assert investigated.ring("R-C").evidence == RINGS[2].evidence  # type: ignore[union-attr]


@pytest.mark.neo4j
def test_a_ring_stored_before_the_evidence_lists_still_reads(neo4j_session_store: GraphStore,
                                                             driver: Driver) -> None:
    store = neo4j_session_store
    store.clear()
    old = RINGS[0]
    _query(driver, "CREATE (:Ring {ring_id: $id, kind: $kind, score: $score, status: 'new', doc: $doc})",
           id=old.ring_id, kind=str(old.kind), score=old.score, doc=json.dumps(old.to_json()))
    assert store.ring("R-A") == old
    assert store.rings() == [old]
    reviewed = review_ring(store, "R-A", "escalate", reviewer=Reviewer("ana", None, "investigator"),
                           expected_version=0)
    [row] = _query(driver, "MATCH (g:Ring {ring_id: 'R-A'}) RETURN g.evidence_codes AS codes, "
                   "g.status AS status")
    assert row == {"codes": ["shared_device", "shared_payout_account"], "status": "escalated"}
    assert store.ring("R-A") == reviewed
