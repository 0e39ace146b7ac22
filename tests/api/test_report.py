"""The HTML report is one self-contained file: summary, top rings, escaped text, one SVG per ring."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from ringwatch.api.report import subgraphs_for, write_report
from ringwatch.graph.projections import normalise
from ringwatch.graph.subgraph import Subgraph

EVIL = "<script>alert(1)</script>"


def _node(kind: str, ident: str) -> dict[str, Any]:
    return {"id": f"{kind}:{ident}", "type": kind, "label": ident, "flagged": True}


def _edge(source: str, target: str, kind: str, weight: float) -> dict[str, Any]:
    return {"source": source, "target": target, "type": kind, "weight": weight, "label": f"{weight:g}"}


RUN: dict[str, Any] = {
    "run_id": "run-20261120T000000Z-abc123", "started_at": "2026-11-20T00:00:00Z", "backend": "local",
    "duration_seconds": 1.5, "rings": 5,
    "rings_by_kind": {"identity_ring": 3, "collusion_ring": 2, "commission_abuse": 0},
    "new": 4, "persisting": 1, "dissolved": 7, "as_of_ms": 1_790_000_000_000,
    "allowlist": [
        {"identifier_type": "payout_account", "identifier": "pa_agg", "owner": "Paylane",
         "reason": "aggregator", "expired": False, "accounts": 240},
        {"identifier_type": "ip", "identifier": "ip_nat", "owner": "Metro Mobile",
         "reason": "carrier NAT", "expired": True, "accounts": 1339},
    ],
}

SUMMARY: dict[str, Any] = {
    "snapshot": "/data/snap", "reconciles": True,
    "tables": [{"table": "orders", "file": "orders.csv", "read": 1234, "loaded": 1200,
                "quarantined": 34, "reasons": {"unknown_shop": 30, "bad_amount": 4}}],
}


@pytest.fixture
def rings() -> list[dict[str, Any]]:
    identity = {
        "ring_id": "R-identity01", "kind": "identity_ring", "score": 0.93, "status": "new",
        "members": [{"type": "creator", "id": EVIL}, {"type": "creator", "id": "c_2"},
                    {"type": "creator", "id": "c_3"}, {"type": "device", "id": "d_1"},
                    {"type": "payout_account", "id": "pa_1"}],
        "evidence": [{"code": "shared_device", "text": f"device d_1 is used by {EVIL} and 2 others",
                      "weight": 0.6}],
        "metrics": {"creators": 3, "commission_total": 1830.5, "refund_rate": 0.62},
        "first_detected": "2026-11-20T00:00:00Z", "run_id": RUN["run_id"],
    }
    collusion = {
        "ring_id": "R-collusion02", "kind": "collusion_ring", "score": 0.71, "status": "persisting",
        "members": [{"type": "creator", "id": "c_9"}, {"type": "shop", "id": "s_1"},
                    {"type": "seller", "id": "x_1"}],
        "evidence": [{"code": "abnormal_trade", "text": "creator c_9 brought 7 orders to shop s_1",
                      "weight": 0.4}],
        "metrics": {"creators": 1, "shops": 1, "orders": 7},
        "first_detected": "2026-11-13T00:00:00Z", "run_id": RUN["run_id"],
    }
    return [identity, collusion]


@pytest.fixture
def subgraphs() -> dict[str, Subgraph]:
    evil = f"creator:{EVIL}"
    identity = Subgraph(
        nodes=[_node("creator", EVIL), _node("creator", "c_2"), _node("creator", "c_3"),
               _node("payout_account", "pa_1"), _node("device", "d_1")],
        edges=[_edge(evil, "device:d_1", "USES", 4), _edge("creator:c_2", "device:d_1", "USES", 2),
               _edge("creator:c_3", "device:d_1", "USES", 1),
               _edge(evil, "payout_account:pa_1", "USES", 3),
               _edge("creator:c_2", "payout_account:pa_1", "USES", 1)])
    collusion = Subgraph(
        nodes=[_node("creator", "c_9"), _node("shop", "s_1"), _node("seller", "x_1")],
        edges=[_edge("creator:c_9", "shop:s_1", "TRADES", 7), _edge("seller:x_1", "shop:s_1", "OWNS", 1)])
    return {"R-identity01": identity, "R-collusion02": collusion}


def _articles(page: str) -> list[str]:
    return page.split('<article class="ring"')[1:]


def test_report_is_written_with_every_ring_and_one_picture_each(
        tmp_path: Path, rings: list[dict[str, Any]], subgraphs: dict[str, Subgraph]) -> None:
    path = write_report(tmp_path / "out", run=RUN, rings=rings, subgraphs=subgraphs, summary=SUMMARY)
    assert path == tmp_path / "out" / "report.html" and path.is_file()
    page = path.read_text(encoding="utf-8")
    assert page.startswith("<!DOCTYPE html>")
    for ring in rings:
        assert ring["ring_id"] in page
    articles = _articles(page)
    assert len(articles) == 2 and page.count("<svg") == 2
    for article, ring in zip(articles, rings, strict=True):
        sub = subgraphs[ring["ring_id"]]
        svg = article[article.index("<svg"):article.index("</svg>") + len("</svg>")]
        assert svg.count('class="node"') == len(sub.nodes)
        assert svg.count("<circle") + svg.count("<rect") == len(sub.nodes)
        assert svg.count("<line") == len(sub.edges)
        ET.fromstring(svg)  # well-formed, with the untrusted ids escaped


def test_untrusted_ids_and_text_are_escaped(
        tmp_path: Path, rings: list[dict[str, Any]], subgraphs: dict[str, Subgraph]) -> None:
    page = write_report(tmp_path, run=RUN, rings=rings, subgraphs=subgraphs).read_text(encoding="utf-8")
    assert EVIL not in page
    assert "<script" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page


def test_summary_shows_run_counts_allowlist_and_load(
        tmp_path: Path, rings: list[dict[str, Any]], subgraphs: dict[str, Subgraph]) -> None:
    page = write_report(tmp_path, run=RUN, rings=rings, subgraphs=subgraphs,
                        summary=SUMMARY).read_text(encoding="utf-8")
    assert RUN["run_id"] in page and "local" in page and "2026-11-20T00:00:00Z" in page
    stats = dict((name, int(value)) for value, name in re.findall(
        r'<span class="value">(\d+)</span><span class="name">([^<]+)</span>', page))
    assert stats == {"rings": 5, "identity rings": 3, "collusion rings": 2, "commission abuse": 0,
                     "new": 4, "persisting": 1, "dissolved": 7}
    assert '<span class="allow-used">1</span> of 2 entries used' in page
    assert '<span class="allow-expired">1</span> expired' in page
    assert "pa_agg" in page and "expired, not applied" in page
    assert re.search(r"<td>orders</td>.*?1234.*?1200.*?34.*?bad_amount: 4, unknown_shop: 30", page)


def test_load_table_is_left_out_without_a_summary(
        tmp_path: Path, rings: list[dict[str, Any]], subgraphs: dict[str, Subgraph]) -> None:
    page = write_report(tmp_path, run=RUN, rings=rings, subgraphs=subgraphs).read_text(encoding="utf-8")
    assert "<h3>Load</h3>" not in page


def test_ring_card_shows_kind_score_metrics_evidence_and_members_by_type(
        tmp_path: Path, rings: list[dict[str, Any]], subgraphs: dict[str, Subgraph]) -> None:
    page = write_report(tmp_path, run=RUN, rings=rings, subgraphs=subgraphs).read_text(encoding="utf-8")
    identity = _articles(page)[0]
    assert "identity_ring" in identity and "score 0.93" in identity and ">new<" in identity
    assert "commission total" in identity and "1,830.50" in identity
    assert "device d_1 is used by" in identity
    assert "creator (3)" in identity and "device (1)" in identity and "payout_account (1)" in identity
    assert identity.index("creator (3)") < identity.index("payout_account (1)")


def test_only_the_top_rings_are_shown_and_a_missing_picture_is_said(
        tmp_path: Path, rings: list[dict[str, Any]], subgraphs: dict[str, Subgraph]) -> None:
    page = write_report(tmp_path, run=RUN, rings=rings, subgraphs={}, top=1).read_text(encoding="utf-8")
    assert "Top 1 of 2 rings" in page
    assert "R-identity01" in page and "R-collusion02" not in page
    assert "No picture." in page and "<svg" not in page


def test_report_is_self_contained_and_deterministic(
        tmp_path: Path, rings: list[dict[str, Any]], subgraphs: dict[str, Subgraph]) -> None:
    first = write_report(tmp_path / "a", run=RUN, rings=rings, subgraphs=subgraphs,
                         summary=SUMMARY).read_bytes()
    second = write_report(tmp_path / "b", run=RUN, rings=rings, subgraphs=subgraphs,
                          summary=SUMMARY).read_bytes()
    assert first == second
    page = first.decode("utf-8")
    assert not re.search(r"""(src|href)\s*=|url\(|@import|<link|<script""", page)


def test_truncated_picture_says_how_many_members_are_shown(
        tmp_path: Path, rings: list[dict[str, Any]], subgraphs: dict[str, Subgraph]) -> None:
    cut = Subgraph(nodes=subgraphs["R-identity01"].nodes[:2], edges=[], truncated=True)
    page = write_report(tmp_path, run=RUN, rings=rings[:1], subgraphs={"R-identity01": cut}).read_text(
        encoding="utf-8")
    assert "Showing 2 of 5 members" in page


def test_subgraphs_for_builds_the_top_rings_from_projections(rings: list[dict[str, Any]]) -> None:
    links = pd.DataFrame([{"account_type": "creator", "account_id": "c_2", "identifier_type": "device",
                           "identifier": "d_1", "events": 2, "first_seen_ms": 0, "last_seen_ms": 0}])
    shops = pd.DataFrame([{"shop_id": "s_1", "seller_id": "x_1", "registered_at_ms": 0, "category": ""}])
    projections = {"identity_links": normalise(links, "identity_links"), "shops": normalise(shops, "shops")}
    subs = subgraphs_for(rings, projections, top=2)
    assert list(subs) == ["R-identity01", "R-collusion02"]
    assert [(e["source"], e["target"]) for e in subs["R-identity01"].edges] == [("creator:c_2", "device:d_1")]
    assert [e["type"] for e in subs["R-collusion02"].edges] == ["OWNS"]
    assert list(subgraphs_for(rings, projections, top=1)) == ["R-identity01"]
