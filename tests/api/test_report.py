"""The HTML report is one self-contained file: summary, top rings, escaped text, one SVG per ring."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from ringwatch.api.report import write_report
from ringwatch.graph.projections import normalise
from ringwatch.graph.subgraph import Subgraph
from ringwatch.reporting import subgraphs_for

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
        assert len(re.findall(r'class="node( decisive)?"', svg)) == len(sub.nodes)
        assert svg.count("<circle") + svg.count("<rect") == len(sub.nodes)
        assert svg.count('class="edge"') == len(sub.edges)  # small rings: nothing merged
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
    assert ">identity ring<" in identity and "score 0.93" in identity and ">new<" in identity
    assert "commission total" in identity and "1,830.50" in identity
    assert "device d_1 is used by" in identity
    assert "3 creators" in identity and "1 device" in identity and "1 payout account<" in identity
    assert identity.index("3 creators") < identity.index("1 payout account")
    assert "payout_account" not in identity.replace('data-type="payout_account"', "")


def test_the_identifier_the_heaviest_evidence_names_is_drawn_as_decisive(
        tmp_path: Path, rings: list[dict[str, Any]], subgraphs: dict[str, Subgraph]) -> None:
    ring = {**rings[0], "evidence": [
        {"code": "shared_payout_account", "text": "payout account pa_1 is used by 2 creators",
         "weight": 0.9},
        {"code": "shared_device", "text": "device d_1 is used by 3 creators", "weight": 0.2}]}
    page = write_report(tmp_path, run=RUN, rings=[ring], subgraphs=subgraphs).read_text(encoding="utf-8")
    decisive = re.findall(r'<g class="node decisive" data-type="([a-z_]+)"', page)
    assert decisive == ["payout_account"]
    # Evidence naming no identifier (or only with weight 0) marks none.
    plain = {**rings[0], "evidence": [{"code": "shared_device", "text": "device d_1 is shared",
                                       "weight": 0.0}]}
    page = write_report(tmp_path / "b", run=RUN, rings=[plain],
                        subgraphs=subgraphs).read_text(encoding="utf-8")
    assert "node decisive" not in page


def test_the_report_opens_with_contents_linking_every_ring_shown(
        tmp_path: Path, rings: list[dict[str, Any]], subgraphs: dict[str, Subgraph]) -> None:
    page = write_report(tmp_path, run=RUN, rings=rings, subgraphs=subgraphs).read_text(encoding="utf-8")
    toc = page.split('<nav class="toc"', 1)[1].split("</nav>", 1)[0]
    assert page.index('<nav class="toc"') < page.index('id="run"')
    targets = re.findall(r'href="#([^"]+)"', toc)
    assert targets == ["run", "score-help", "rings", "R-identity01", "R-collusion02"]
    for target in targets:  # every link lands on an element of the page
        assert f'id="{target}"' in page, target
    assert "identity ring, score 0.93" in toc and "collusion ring, score" in toc


def test_zero_weight_evidence_is_context_not_evidence(
        tmp_path: Path, rings: list[dict[str, Any]], subgraphs: dict[str, Subgraph]) -> None:
    honest = {"code": "honest_explanation", "text": "a seller's own team explains 40% of them",
              "weight": 0}
    ring = {**rings[0], "evidence": [*rings[0]["evidence"], honest]}
    page = write_report(tmp_path, run=RUN, rings=[ring], subgraphs=subgraphs).read_text(encoding="utf-8")
    listed = page.split('<ol class="evidence">', 1)[1].split("</ol>", 1)[0]
    assert "device d_1 is used by" in listed and "seller's own team" not in listed
    assert listed.count("<li") == 1
    context = page.split('<p class="context">', 1)[1].split("</p>", 1)[0]
    assert "not counted in the score" in context and "seller&#x27;s own team explains 40%" in context
    only_context = {**rings[0], "evidence": [honest]}
    page = write_report(tmp_path / "b", run=RUN, rings=[only_context],
                        subgraphs=subgraphs).read_text(encoding="utf-8")
    assert "<h4>Evidence</h4>" not in page and '<p class="context">' in page


def test_scores_that_would_read_the_same_at_two_decimals_are_told_apart(
        tmp_path: Path, rings: list[dict[str, Any]]) -> None:
    near = [{**rings[0], "ring_id": f"R-near{i}", "score": score}
            for i, score in enumerate((0.9981, 0.9973, 0.95))]
    page = write_report(tmp_path, run=RUN, rings=near, subgraphs={}).read_text(encoding="utf-8")
    said = [article.split("score ", 1)[1].split("<", 1)[0] for article in _articles(page)]
    assert said == ["0.998", "0.997", "0.95"]
    assert "same score, the most commission at stake first" in page


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
    # Links only within the page (the contents); nothing fetched or opened elsewhere.
    assert not re.search(r"""src\s*=|href\s*=\s*"(?!#)|url\(|@import|<link|<script""", page)
    assert 'href="#R-identity01"' in page


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


# --- readable pictures of dense rings --------------------------------------------------------

SVG = "{http://www.w3.org/2000/svg}"
CHAR_EM = 0.62  # a monospace character is about 0.6 em wide


def _dense_collusion() -> Subgraph:
    """30 creators, 6 shops and their sellers, 80 buyers on 10 devices: 386 edges, a hairball."""
    creators = [f"c_{i:02d}" for i in range(30)]
    shops = [f"s_{i}" for i in range(6)]
    nodes = ([_node("creator", c) for c in creators] + [_node("shop", s) for s in shops]
             + [_node("seller", f"x_{i}") for i in range(6)]
             + [_node("buyer", f"b_{i:02d}") for i in range(80)]
             + [_node("device", f"d_{i}") for i in range(10)])
    edges = [_edge(f"creator:{c}", f"shop:{shops[(i + k) % 6]}", "TRADES", i + 2 + k)
             for i, c in enumerate(creators) for k in range(2)]
    edges += [_edge(f"seller:x_{i}", f"shop:s_{i}", "OWNS", 1) for i in range(6)]
    for b in range(80):
        buyer = f"buyer:b_{b:02d}"
        edges += [_edge(buyer, f"creator:{creators[b % 30]}", "BOUGHT", 2),
                  _edge(buyer, f"creator:{creators[(b + 7) % 30]}", "BOUGHT", 1),
                  _edge(buyer, f"shop:{shops[b % 6]}", "BOUGHT", 3),
                  _edge(buyer, f"device:d_{b % 10}", "USES", 4)]
    return Subgraph(nodes=nodes, edges=edges)


def _farm(creators: int, long_id: str = "") -> Subgraph:
    """An identity ring: ``creators`` creators on one device, one payout account and one phone."""
    ids = [f"farm_c{i:02d}" for i in range(creators)] + ([long_id] if long_id else [])
    hubs = [("device", "d_55"), ("payout_account", "pa_7"), ("phone", "ph_1")]
    return Subgraph(nodes=[_node("creator", c) for c in ids] + [_node(k, i) for k, i in hubs],
                    edges=[_edge(f"creator:{c}", f"{k}:{i}", "USES", 1 + n % 5)
                           for n, c in enumerate(ids) for k, i in hubs])


def _ring_for(ring_id: str, kind: str, sub: Subgraph, **metrics: Any) -> dict[str, Any]:
    return {"ring_id": ring_id, "kind": kind, "score": 0.9, "status": "new",
            "members": [{"type": n["type"], "id": n["label"]} for n in sub.nodes],
            "evidence": [], "metrics": metrics, "first_detected": "2026-11-20T00:00:00Z"}


def _picture(tmp_path: Path, kind: str, sub: Subgraph) -> tuple[ET.Element, str]:
    ring = _ring_for("R-dense", kind, sub)
    page = write_report(tmp_path, run=RUN, rings=[ring], subgraphs={"R-dense": sub}).read_text(
        encoding="utf-8")
    svg = page[page.index("<svg"):page.index("</svg>") + len("</svg>")]
    return ET.fromstring(svg), page


def _drawn_nodes(svg: ET.Element) -> list[dict[str, Any]]:
    """Each drawn node: type, centre, radius, members it stands for, and its label text."""
    out = []
    for g in svg.iter(f"{SVG}g"):
        if "node" not in g.get("class", "").split():
            continue
        circle, rect = g.find(f"{SVG}circle"), g.find(f"{SVG}rect")
        if circle is not None:
            x, y, r = (float(circle.get(a)) for a in ("cx", "cy", "r"))
        else:
            r = float(rect.get("width")) / 2
            x, y = float(rect.get("x")) + r, float(rect.get("y")) + r
        out.append({"type": g.get("data-type"), "x": x, "y": y, "r": r,
                    "members": int(g.get("data-members")), "text": "".join(g.find(f"{SVG}text").itertext())})
    return out


def _text_boxes(svg: ET.Element) -> list[tuple[float, float, float, float]]:
    """The box of every line of text, from its anchor, its font size and monospace widths."""
    boxes = []
    for text in svg.iter(f"{SVG}text"):
        size = float(text.get("font-size"))
        lines = [(text.get("x"), text.get("y"), text.text or "")] if not list(text) else [
            (t.get("x"), t.get("y"), t.text or "") for t in text]
        for x, y, line in lines:
            width, x0 = len(line) * CHAR_EM * size, float(x)
            x0 -= {"start": 0, "middle": width / 2, "end": width}[text.get("text-anchor")]
            boxes.append((x0, float(y) - 0.8 * size, x0 + width, float(y) + 0.25 * size))
    return boxes


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> bool:
    return min(a[2], b[2]) - max(a[0], b[0]) > 1 and min(a[3], b[3]) - max(a[1], b[1]) > 1


def _assert_labels_readable(svg: ET.Element) -> None:
    """Every text 11 px or more, inside the picture, overlapping no other text and no node."""
    texts = list(svg.iter(f"{SVG}text"))
    assert texts and all(float(t.get("font-size")) >= 11 for t in texts)
    _, _, width, height = (float(v) for v in svg.get("viewBox").split())
    boxes = _text_boxes(svg)
    for box in boxes:
        assert box[0] >= 0 and box[1] >= 0 and box[2] <= width and box[3] <= height, box
    for i, a in enumerate(boxes):
        assert not any(_overlap(a, b) for b in boxes[i + 1:]), a
    nodes = _drawn_nodes(svg)
    shapes = [(n["x"] - n["r"], n["y"] - n["r"], n["x"] + n["r"], n["y"] + n["r"]) for n in nodes]
    # A label sits beside its node, never on it or on another node.
    assert not any(_overlap(box, shape) for box in boxes for shape in shapes)


def test_picture_text_is_never_shrunk_below_11px_by_the_stylesheet(
        tmp_path: Path, rings: list[dict[str, Any]], subgraphs: dict[str, Subgraph]) -> None:
    page = write_report(tmp_path, run=RUN, rings=rings, subgraphs=subgraphs).read_text(encoding="utf-8")
    rules = re.findall(r"svg\.graph text[^{]*\{([^}]*)\}", page)
    assert rules
    for rule in rules:
        sizes = re.findall(r"font(?:-size)?:\s*(\d+(?:\.\d+)?)px", rule)
        assert all(float(size) >= 11 for size in sizes), rule


def test_a_dense_collusion_ring_is_drawn_in_columns_by_type_with_merged_edges(tmp_path: Path) -> None:
    sub = _dense_collusion()
    svg, page = _picture(tmp_path, "collusion_ring", sub)
    assert svg.get("data-layout") == "layered"
    nodes = _drawn_nodes(svg)
    # Every member is drawn once; no type has more than 12 nodes; the buyer pool is one node.
    assert sum(n["members"] for n in nodes) == len(sub.nodes)
    assert all(sum(n["type"] == t for n in nodes) <= 12 for t in {n["type"] for n in nodes})
    assert [n["text"] for n in nodes if n["type"] == "buyer"] == ["80 buyers"]
    assert "19 more creators" in [n["text"] for n in nodes if n["type"] == "creator"]
    assert "Drawn as one node each: 19 creators, 80 buyers" in page
    # Edges gathered by folded nodes are merged, each carrying how many it stands for.
    edges = [e for e in svg if e.get("class") == "edge"]
    assert len(edges) <= 70 < len(sub.edges) == 386
    assert sum(int(e.get("data-count")) for e in edges) == len(sub.edges)
    counts = [t.text for t in svg.iter(f"{SVG}text") if t.get("class") == "edge-count"]
    assert counts and all(re.fullmatch(r"\d+ (buyers|creators|links)|×\d+", c) for c in counts)
    # One column per type, left to right: sellers | shops | creators | buyers | devices.
    columns: dict[str, set[float]] = {}
    for n in nodes:
        columns.setdefault(n["type"], set()).add(n["x"])
    assert all(len(xs) == 1 for xs in columns.values()), columns
    order = [columns[t].pop() for t in ("seller", "shop", "creator", "buyer", "device")]
    assert order == sorted(order) and len(set(order)) == 5
    _assert_labels_readable(svg)


def test_an_identity_ring_is_drawn_as_two_circles_identifiers_inside(tmp_path: Path) -> None:
    sub = _farm(20)
    svg, _ = _picture(tmp_path, "identity_ring", sub)
    assert svg.get("data-layout") == "concentric"
    nodes = _drawn_nodes(svg)
    accounts = [n for n in nodes if n["type"] == "creator"]
    hubs = [n for n in nodes if n["type"] != "creator"]
    assert len(accounts) == 12 and sum(n["members"] for n in accounts) == 20
    cx = sum(n["x"] for n in accounts) / len(accounts)
    cy = sum(n["y"] for n in accounts) / len(accounts)

    def radius(n: dict[str, Any]) -> float:
        return ((n["x"] - cx) ** 2 + (n["y"] - cy) ** 2) ** 0.5

    outer, inner = {round(radius(n)) for n in accounts}, {round(radius(n)) for n in hubs}
    assert max(outer) - min(outer) <= 1 and max(inner) - min(inner) <= 1
    assert max(inner) < min(outer)
    _assert_labels_readable(svg)


def test_node_labels_are_whole_long_ids_wrap_instead_of_being_cut(tmp_path: Path) -> None:
    long_id = "creator-account-0123456789abcdefghijklmnop"
    svg, _ = _picture(tmp_path, "identity_ring", _farm(4, long_id))
    texts = [n["text"] for n in _drawn_nodes(svg)]
    assert long_id in texts and not any("…" in t for t in texts)
    assert "farm_c00" in texts
    _assert_labels_readable(svg)


def test_small_rings_stay_small_and_readable(
        tmp_path: Path, subgraphs: dict[str, Subgraph]) -> None:
    for kind, rid in (("identity_ring", "R-identity01"), ("collusion_ring", "R-collusion02")):
        svg, _ = _picture(tmp_path / rid, kind, subgraphs[rid])
        _, _, width, height = (float(v) for v in svg.get("viewBox").split())
        assert width <= 720 and height <= 480
        _assert_labels_readable(svg)


def test_metric_names_are_shown_whole(tmp_path: Path) -> None:
    sub = _farm(3)
    ring = _ring_for("R-m", "identity_ring", sub, refunded_after_commission=12,
                     median_account_age_days=33.5, commission_total=10.0)
    page = write_report(tmp_path, run=RUN, rings=[ring], subgraphs={}).read_text(encoding="utf-8")
    assert '<th data-metric="refunded_after_commission">refunded after commission</th>' in page
    assert '<th data-metric="median_account_age_days">median account age days</th>' in page
    rule = re.search(r"table\.metrics th\{([^}]*)\}", page)
    assert rule and "white-space:normal" in rule.group(1) and "ellipsis" not in page


def test_the_report_says_what_the_score_means(
        tmp_path: Path, rings: list[dict[str, Any]], subgraphs: dict[str, Subgraph]) -> None:
    page = write_report(tmp_path, run=RUN, rings=rings, subgraphs=subgraphs).read_text(encoding="utf-8")
    section = re.search(r'<section class="score-help"[^>]*>(.*?)</section>', page, re.S)
    assert section
    text = re.sub(r"<[^>]+>", "", section.group(1))
    assert "What the score means" in text
    assert "probability that the ring is mostly fraudulent" in text
    assert "among rings scored about 0.8, about eight in ten are mostly fraudulent" in text
    assert "a single tie" in text and "calibration table of ringwatch eval" in text
    assert page.index("What the score means") < page.index('<article class="ring"')
    assert 'title="Estimated probability that the ring is mostly fraudulent' in page


@pytest.mark.parametrize(("currency", "shown"), [
    ("USD", "1,830.50 USD"), ("EUR", "1,830.50 EUR"), ("mixed", "1,830.50 (summed over mixed currencies)"),
    (None, "1,830.50"),
])
def test_money_is_shown_with_the_ring_currency(tmp_path: Path, currency: str | None, shown: str) -> None:
    metrics: dict[str, Any] = {"commission_total": 1830.5, "gmv": 12000.0, "orders": 20}
    if currency is not None:
        metrics["currency"] = currency
    ring = _ring_for("R-money", "collusion_ring", _farm(3), **metrics)
    page = write_report(tmp_path, run=RUN, rings=[ring], subgraphs={}).read_text(encoding="utf-8")
    cells = dict(re.findall(r'<th data-metric="([^"]+)">[^<]*</th><td class="num">([^<]*)</td>', page))
    assert cells["commission_total"] == shown
    assert cells["gmv"] == shown.replace("1,830.50", "12,000.00")
    assert cells["orders"] == "20"  # a count, not money
    assert "currency" not in cells  # said with each amount instead
