"""A ring's subgraph holds exactly its members and the edges among them, and exports cleanly."""

from __future__ import annotations

import io
import subprocess
import sys

import networkx as nx
import pandas as pd
import pytest

from ringwatch.graph.projections import normalise
from ringwatch.graph.subgraph import Subgraph, ring_subgraph, ring_subgraphs


def _link(account_type: str, account_id: str, identifier_type: str, identifier: str,
          events: int) -> dict:
    return {"account_type": account_type, "account_id": account_id, "identifier_type": identifier_type,
            "identifier": identifier, "events": events, "first_seen_ms": 0, "last_seen_ms": 0}


@pytest.fixture
def projections() -> dict[str, pd.DataFrame]:
    """A farm of three creators sharing device d1 and payout account pa1, plus a creator-shop pair.

    Outside the ring: creator c9 also uses d1, c1 also uses IP ip9, buyer b1 also buys from
    shop s2, and a buyer whose id is ``c2`` uses d1 (ids are only unique within a type).
    """
    links = [
        _link("creator", "c1", "device", "d1", 4), _link("creator", "c2", "device", "d1", 3),
        _link("creator", "c3", "device", "d1", 1), _link("creator", "c1", "payout_account", "pa1", 2),
        _link("creator", "c2", "payout_account", "pa1", 2),
        _link("creator", "c3", "payout_account", "pa1", 5),
        _link("creator", "c9", "device", "d1", 7), _link("creator", "c1", "ip", "ip9", 9),
        _link("buyer", "c2", "device", "d1", 1),
    ]
    trade = [{"creator_id": "c1", "shop_id": "s1", "orders": 5, "gmv": 250.0, "refunded_orders": 1,
              "refunded_after_commission": 1, "commissions": 5, "commission_total": 12.5,
              "rate_total": 0.5, "buyers": 1},
             {"creator_id": "c9", "shop_id": "s1", "orders": 8, "gmv": 80.0, "refunded_orders": 0,
              "refunded_after_commission": 0, "commissions": 8, "commission_total": 4.0,
              "rate_total": 0.8, "buyers": 3}]
    orders = [
        {"buyer_id": "b1", "shop_id": "s1", "creator_id": "c1", "orders": 3, "gmv": 30.0,
         "refunded_orders": 1, "refunded_after_commission": 1},
        {"buyer_id": "b1", "shop_id": "s1", "creator_id": "", "orders": 1, "gmv": 10.0,
         "refunded_orders": 0, "refunded_after_commission": 0},
        {"buyer_id": "b1", "shop_id": "s2", "creator_id": "c2", "orders": 2, "gmv": 20.0,
         "refunded_orders": 0, "refunded_after_commission": 0},
    ]
    shops = [{"shop_id": "s1", "seller_id": "x1", "registered_at_ms": 0, "category": "beauty"},
             {"shop_id": "s2", "seller_id": "x2", "registered_at_ms": 0, "category": "toys"}]
    return {
        "identity_links": normalise(pd.DataFrame(links), "identity_links"),
        "creator_shop_trade": normalise(pd.DataFrame(trade), "creator_shop_trade"),
        "buyer_orders": normalise(pd.DataFrame(orders), "buyer_orders"),
        "shops": normalise(pd.DataFrame(shops), "shops"),
    }


MEMBERS = [{"type": t, "id": i} for t, i in [
    ("creator", "c1"), ("creator", "c2"), ("creator", "c3"), ("device", "d1"),
    ("payout_account", "pa1"), ("shop", "s1"), ("seller", "x1"), ("buyer", "b1"),
]]


def test_nodes_are_exactly_the_members_accounts_first(projections: dict[str, pd.DataFrame]) -> None:
    sub = ring_subgraph(MEMBERS, projections)
    assert [n["id"] for n in sub.nodes] == [
        "creator:c1", "creator:c2", "creator:c3", "shop:s1", "seller:x1", "buyer:b1",
        "payout_account:pa1", "device:d1",
    ]
    assert sub.nodes[0] == {"id": "creator:c1", "type": "creator", "label": "c1", "flagged": True}
    assert all(n["flagged"] for n in sub.nodes)
    assert not sub.truncated


def test_edges_are_exactly_those_with_both_ends_in_the_ring(
        projections: dict[str, pd.DataFrame]) -> None:
    sub = ring_subgraph(MEMBERS, projections)
    assert [(e["source"], e["type"], e["target"], e["weight"]) for e in sub.edges] == [
        ("creator:c1", "USES", "device:d1", 4.0),
        ("creator:c1", "USES", "payout_account:pa1", 2.0),
        ("creator:c2", "USES", "device:d1", 3.0),
        ("creator:c2", "USES", "payout_account:pa1", 2.0),
        ("creator:c3", "USES", "device:d1", 1.0),
        ("creator:c3", "USES", "payout_account:pa1", 5.0),
        ("creator:c1", "TRADES", "shop:s1", 5.0),
        ("buyer:b1", "BOUGHT", "creator:c1", 3.0),  # attributed orders only
        ("buyer:b1", "BOUGHT", "creator:c2", 2.0),  # through c2, though from a shop outside
        ("buyer:b1", "BOUGHT", "shop:s1", 4.0),  # attributed and organic; shop s2 is outside
        ("seller:x1", "OWNS", "shop:s1", 1.0),
    ]


def test_edges_carry_labels_and_the_numbers_behind_them(projections: dict[str, pd.DataFrame]) -> None:
    edges = {(e["source"], e["target"]): e for e in ring_subgraph(MEMBERS, projections).edges}
    assert edges[("creator:c1", "device:d1")] == {
        "source": "creator:c1", "target": "device:d1", "type": "USES", "weight": 4.0,
        "label": "4 events", "events": 4}
    trade = edges[("creator:c1", "shop:s1")]
    assert trade["orders"] == 5 and trade["commission_total"] == 12.5 and trade["gmv"] == 250.0
    assert trade["label"] == "5 orders, 12.50 commission"
    assert edges[("buyer:b1", "shop:s1")]["label"] == "4 orders"
    assert edges[("seller:x1", "shop:s1")]["label"] == "owns"
    for edge in edges.values():  # plain Python values: JSON and the networkx writers take them
        assert all(type(v) in (str, int, float) for v in edge.values()), edge


def test_ids_are_matched_together_with_their_type(projections: dict[str, pd.DataFrame]) -> None:
    sub = ring_subgraph([{"type": "creator", "id": "c2"}, {"type": "device", "id": "d1"}], projections)
    assert [(e["source"], e["target"]) for e in sub.edges] == [("creator:c2", "device:d1")]
    sub = ring_subgraph([{"type": "buyer", "id": "c2"}, {"type": "device", "id": "d1"}], projections)
    assert [(e["source"], e["target"]) for e in sub.edges] == [("buyer:c2", "device:d1")]


def test_cap_keeps_accounts_before_identifiers_and_says_truncated(
        projections: dict[str, pd.DataFrame]) -> None:
    sub = ring_subgraph(MEMBERS, projections, max_nodes=6)
    assert sub.truncated
    assert {n["type"] for n in sub.nodes} == {"creator", "shop", "seller", "buyer"}
    assert [e["type"] for e in sub.edges] == ["TRADES", "BOUGHT", "BOUGHT", "BOUGHT", "OWNS"]

    sub = ring_subgraph(MEMBERS, projections, max_nodes=7)
    assert [n["id"] for n in sub.nodes][-1] == "payout_account:pa1"
    assert sum(e["type"] == "USES" for e in sub.edges) == 3

    assert not ring_subgraph(MEMBERS, projections, max_nodes=8).truncated


def test_cap_keeps_the_best_connected_within_a_type(projections: dict[str, pd.DataFrame]) -> None:
    sub = ring_subgraph(MEMBERS, projections, max_nodes=1)
    assert [n["id"] for n in sub.nodes] == ["creator:c1"]  # 4 edges against 3 for c2 and 2 for c3
    assert sub.edges == [] and sub.truncated


def test_no_members_or_no_projections_give_an_empty_or_edgeless_graph(
        projections: dict[str, pd.DataFrame]) -> None:
    assert ring_subgraph([], projections) == Subgraph(nodes=[], edges=[], truncated=False)
    sub = ring_subgraph(MEMBERS, {})
    assert len(sub.nodes) == len(MEMBERS) and sub.edges == []


def test_rings_built_together_are_each_as_built_alone(projections: dict[str, pd.DataFrame]) -> None:
    """The report builds twenty rings in one pass: rings that share members (c1, d1, s1) must
    each get exactly the edges among their own members, none of another ring's."""
    other = [{"type": t, "id": i} for t, i in [("creator", "c1"), ("creator", "c9"), ("device", "d1"),
                                               ("shop", "s1")]]
    buyers = [{"type": t, "id": i} for t, i in [("buyer", "b1"), ("shop", "s2"), ("creator", "c2")]]
    rings = [MEMBERS, other, [], buyers, MEMBERS]
    together = ring_subgraphs(rings, projections)
    assert together == [ring_subgraph(members, projections) for members in rings]
    assert together[0] == together[4] and together[2] == Subgraph(nodes=[], edges=[])
    assert [(e["source"], e["target"], e["weight"]) for e in together[1].edges] == [
        ("creator:c1", "device:d1", 4.0), ("creator:c9", "device:d1", 7.0),
        ("creator:c1", "shop:s1", 5.0), ("creator:c9", "shop:s1", 8.0)]
    assert [(e["source"], e["target"], e["weight"]) for e in together[3].edges] == [
        ("buyer:b1", "creator:c2", 2.0), ("buyer:b1", "shop:s2", 2.0)]
    assert "creator:c9" not in {e["source"] for e in together[0].edges}


def test_graphml_round_trip(projections: dict[str, pd.DataFrame]) -> None:
    sub = ring_subgraph(MEMBERS, projections)
    buffer = io.BytesIO()
    nx.write_graphml(sub.to_networkx(), buffer)
    back = nx.read_graphml(io.BytesIO(buffer.getvalue()))
    assert set(back.nodes) == {n["id"] for n in sub.nodes}
    assert back.nodes["device:d1"]["type"] == "device"
    assert back.nodes["creator:c1"]["flagged"] == 1
    got = sorted((u, v, d["relationship"], d["weight"]) for u, v, d in back.edges(data=True))
    assert got == sorted((e["source"], e["target"], e["type"], e["weight"]) for e in sub.edges)


def test_gexf_round_trip(projections: dict[str, pd.DataFrame], tmp_path) -> None:
    sub = ring_subgraph(MEMBERS, projections)
    path = tmp_path / "ring.gexf"
    nx.write_gexf(sub.to_networkx(), path)
    back = nx.read_gexf(path)
    assert set(back.nodes) == {n["id"] for n in sub.nodes}
    assert back.nodes["payout_account:pa1"]["label"] == "pa1"
    got = sorted((u, v, d["relationship"]) for u, v, d in back.edges(data=True))
    assert got == sorted((e["source"], e["target"], e["type"]) for e in sub.edges)
    trade = next(d for u, v, d in back.edges(data=True) if d["relationship"] == "TRADES")
    assert trade["orders"] == 5 and trade["commission_total"] == 12.5


def test_to_networkx_uses_only_plain_attribute_values(projections: dict[str, pd.DataFrame]) -> None:
    graph = ring_subgraph(MEMBERS, projections, max_nodes=5).to_networkx()
    assert graph.graph == {"truncated": 1}
    values = [v for _, d in graph.nodes(data=True) for v in d.values()]
    values += [v for _, _, d in graph.edges(data=True) for v in d.values()]
    assert values and all(type(v) in (str, int, float) for v in values)


def test_drawing_the_report_does_not_import_networkx() -> None:
    """Every run writes the report; networkx is for the API's exports only (0.2 s to import)."""
    code = ("import sys\nimport ringwatch.api.report, ringwatch.reporting, ringwatch.graph.subgraph\n"
            "print('networkx' in sys.modules)")
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert done.stdout.strip() == "False"
