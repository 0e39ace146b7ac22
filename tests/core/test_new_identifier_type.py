"""Adding an identifier type is one row of the domain's type table (issue 17's "done when").

A SIM card type is registered in a temporary table; a snapshot that uses it is
loaded, detected and served by the API on each store, with no other change: the
loader accepts it, the store writes and reads it back (Neo4j: the generated
statements), the detectors weigh it from its row, and the API and the page's
vocabulary name it.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ringwatch.api.app import create_app
from ringwatch.api.settings import ApiSettings
from ringwatch.detectors.config import DetectionConfig
from ringwatch.detectors.pipeline import run_detection
from ringwatch.domain import IdentifierTypeInfo, member_types
from ringwatch.graph.store import GraphStore
from ringwatch.loading import load_into

from ..api.api_support import make_key
from ..detectors.market import Market

#: Personal and decisive on its own (weight 0.9 reaches the link threshold), like a payout account.
SIM = IdentifierTypeInfo("sim", "SIM card", "SIM cards", "SimCard", "#3d5a80",
                         evidence_weight=0.9, personal_sharing=4, sharing_cap=20)
FARM = [f"simfarm_c{i}" for i in range(4)]


@pytest.fixture
def sim_registered(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(member_types, "IDENTIFIER_TYPES", (*member_types.IDENTIFIER_TYPES, SIM))


def _snapshot(directory: Path) -> Path:
    """A small market and a farm of four creators on one SIM card (and nothing else shared)."""
    market = Market()
    market.background()
    for creator in FARM:
        market.link("creator", market.creator(creator), "sim", "sim_card_1")
    return market.write(directory)


def test_a_type_added_to_the_table_is_loaded_detected_and_served(
        sim_registered: None, store: GraphStore, tmp_path: Path) -> None:
    loaded = load_into(store, _snapshot(tmp_path / "snapshot"), quarantine_dir=tmp_path / "q")
    assert loaded.summary.quarantined == 0
    assert store.counts()["SimCard"] == 1
    links = store.projection("identity_links")
    assert set(links.loc[links["identifier_type"] == "sim", "account_id"]) == set(FARM)

    result = run_detection(store, DetectionConfig(), now=datetime(2026, 4, 1, tzinfo=UTC))
    [ring] = [r for r in result.rings if {"type": "sim", "id": "sim_card_1"} in r["members"]]
    assert ring["kind"] == "identity_ring"
    assert {m["id"] for m in ring["members"] if m["type"] == "creator"} == set(FARM)
    assert any("SIM card sim_card_1" in e["text"] for e in ring["evidence"])

    key = make_key(store, "viewer")
    app = create_app(ApiSettings(cache_seconds=0.0), store=store)
    with TestClient(app, headers={"X-API-Key": key}) as client:
        served = client.get(f"/rings/{ring['ring_id']}")
        assert served.status_code == 200
        assert {"type": "sim", "id": "sim_card_1"} in served.json()["members"]
        graph = client.get(f"/rings/{ring['ring_id']}/graph").json()
        assert {"id": "sim:sim_card_1", "type": "sim"}.items() <= next(
            n for n in graph["nodes"] if n["type"] == "sim").items()
        account = client.get(f"/accounts/creator/{FARM[0]}").json()
        assert {"type": "sim", "id": "sim_card_1", "shared_by": 4} in account["identifiers"]
        vocabulary = client.get("/vocabulary").json()
        [row] = [t for t in vocabulary["identifier_types"] if t["name"] == "sim"]
        assert (row["plural"], row["colour"], row["sharing_cap"]) == ("SIM cards", "#3d5a80", 20)
        assert vocabulary["type_order"].index("sim") == vocabulary["type_order"].index(
            "payout_account") + 1  # by evidence weight


def test_a_snapshot_naming_an_unregistered_type_is_quarantined(store: GraphStore,
                                                               tmp_path: Path) -> None:
    loaded = load_into(store, _snapshot(tmp_path / "snapshot"), quarantine_dir=tmp_path / "q")
    assert loaded.summary.quarantined == len(FARM)
