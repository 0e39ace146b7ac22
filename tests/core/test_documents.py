"""The typed documents name exactly the fields Ringwatch writes (tests/fixtures/contract), in order.

A ``TypedDict`` is a plain dictionary at run time, so nothing forces it to follow
the records: these tests do. A field added to :class:`~ringwatch.domain.Ring`,
:class:`~ringwatch.domain.Run` or a ring's picture without its document fails here.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ringwatch.domain import (
    RING_FIELDS,
    RUN_FIELDS,
    STORED_FIELDS,
    HistoryDocument,
    MemberDocument,
    RingDocument,
    RunDocument,
)
from ringwatch.graph.subgraph import SubgraphEdge, SubgraphNode, ring_subgraph

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "contract"


def _keys(document: type) -> set[str]:
    return set(document.__required_keys__) | set(document.__optional_keys__)  # type: ignore[attr-defined]


def test_the_ring_document_lists_the_ring_fields_then_the_stored_ones() -> None:
    assert tuple(RingDocument.__annotations__) == (*RING_FIELDS, *STORED_FIELDS)


def test_every_field_of_the_fixture_rings_and_their_parts_is_in_a_document() -> None:
    stored = json.loads((FIXTURES / "store" / "rings.json").read_text())
    written = [json.loads(line) for run in ("first_run", "second_run")
               for line in (FIXTURES / run / "rings.jsonl").read_text().splitlines()]
    rings = [*stored, *written]
    assert rings
    assert set().union(*(ring.keys() for ring in rings)) <= _keys(RingDocument)
    assert {tuple(m) for r in rings for m in r["members"]} == {tuple(MemberDocument.__annotations__)}
    entries = [h for r in rings for h in r.get("history", [])]
    assert entries and set().union(*(h.keys() for h in entries)) <= _keys(HistoryDocument)


def test_the_run_document_names_every_run_field_and_what_the_fixture_runs_hold() -> None:
    assert set(RUN_FIELDS) <= _keys(RunDocument)
    runs = [json.loads((FIXTURES / run / "run.json").read_text()) for run in ("first_run", "second_run")]
    assert set().union(*(run.keys() for run in runs)) <= _keys(RunDocument)


def test_a_ring_picture_has_only_the_fields_its_node_and_edge_types_name() -> None:
    links = pd.DataFrame({"account_type": ["creator", "creator"], "account_id": ["c1", "c2"],
                          "identifier_type": ["device", "device"], "identifier": ["d1", "d1"],
                          "events": [3, 1]})
    trade = pd.DataFrame({"creator_id": ["c1"], "shop_id": ["s1"], "orders": [4], "gmv": [80.0],
                          "commission_total": [8.0]})
    shops = pd.DataFrame({"shop_id": ["s1"], "seller_id": ["x1"]})
    members: list[MemberDocument] = [{"type": t, "id": i} for t, i in (
        ("creator", "c1"), ("creator", "c2"), ("device", "d1"), ("shop", "s1"), ("seller", "x1"))]
    sub = ring_subgraph(members, {"identity_links": links, "creator_shop_trade": trade, "shops": shops})
    assert {e["type"] for e in sub.edges} == {"USES", "TRADES", "OWNS"}
    assert all(set(n) == _keys(SubgraphNode) for n in sub.nodes)
    assert all(SubgraphEdge.__required_keys__ <= set(e) <= _keys(SubgraphEdge)  # type: ignore[attr-defined]
               for e in sub.edges)
    assert sub.to_dict() == {"nodes": sub.nodes, "edges": sub.edges, "truncated": False}
