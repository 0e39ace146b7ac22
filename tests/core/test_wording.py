"""One wording module: member types, counts and money read the same in evidence, report and page."""

from __future__ import annotations

import re
from pathlib import Path

from ringwatch.domain import MIXED_CURRENCY, IdentifierType
from ringwatch.graph.subgraph import Subgraph
from ringwatch.reporting import GROUP_ABOVE, ring_picture
from ringwatch.wording import count, money, type_noun

APP_JS = Path(__file__).resolve().parents[2] / "api" / "static" / "ui" / "app.js"


def test_member_types_are_said_as_a_reader_says_them_in_agreement_with_the_count() -> None:
    assert [type_noun("ip", n) for n in (1, 2)] == ["IP", "IPs"]
    assert [type_noun("payout_account", n) for n in (1, 3)] == ["payout account", "payout accounts"]
    assert [type_noun("email", n) for n in (1, 2)] == ["email", "emails"]
    assert type_noun("creator", 0) == "creators"
    assert count(2, type_noun("ip"), type_noun("ip", 2)) == "2 IPs"


def test_every_identifier_type_has_a_singular_and_a_different_plural() -> None:
    for identifier in IdentifierType:
        assert type_noun(identifier, 1) != type_noun(identifier, 2), identifier
        assert "_" not in type_noun(identifier, 2)


def test_a_folded_group_in_a_picture_uses_the_same_plural() -> None:
    ips = [f"ph_{i}" for i in range(GROUP_ABOVE + 3)]
    nodes = [{"id": "creator:c1", "type": "creator", "label": "c1"}]
    nodes += [{"id": f"ip:{p}", "type": "ip", "label": p} for p in ips]
    edges = [{"source": "creator:c1", "target": f"ip:{p}", "type": "USES", "weight": 1.0} for p in ips]
    picture = ring_picture(Subgraph(nodes=nodes, edges=edges))
    folded = [" ".join(n.lines) for n in picture.nodes if n.folded]
    assert folded == [f"{len(ips) - GROUP_ABOVE + 1} more IPs"]


def test_mixed_currencies_are_worded_once_for_evidence_report_and_page() -> None:
    assert money(12, MIXED_CURRENCY) == "12.00 (summed over mixed currencies)"
    assert money(1830.5, "EUR") == "1,830.50 EUR"
    page_words = re.search(r'currency === "mixed" \? number \+ " \(([^)]*)\)"', APP_JS.read_text())
    assert page_words is not None and money(0, MIXED_CURRENCY).endswith(f"({page_words[1]})")
