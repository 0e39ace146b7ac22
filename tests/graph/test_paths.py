"""How two accounts are connected: the same shortest paths from both stores.

A hand-built market where the answer is known: creator a shares a device with
creator b, b shares a payout account with c, c trades with shop s (orders), a
buyer bought from d through the same shop; a carrier IP used by sixty buyers and
by a and x is a hub. Every test runs on both stores (the ``store`` fixture).
"""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from ringwatch.api.app import create_app
from ringwatch.api.settings import ApiSettings
from ringwatch.graph.paths import shortest_paths
from ringwatch.graph.store import GraphStore
from ringwatch.loaders import load_snapshot

from ..api.api_support import make_key
from ..detectors.market import Market

HUB_USERS = 60  # more than the search's per-node limit (50): a hub


def _market() -> Market:
    market = Market()
    market.shop("s", seller="sel")
    market.shop("s2", seller="sel2")
    for creator in ("a", "b", "c", "d", "x", "far"):
        market.creator(creator)
    market.link("creator", "a", "device", "dev_ab")
    market.link("creator", "b", "device", "dev_ab")
    market.link("creator", "b", "payout_account", "pay_bc")
    market.link("creator", "c", "payout_account", "pay_bc")
    market.link("creator", "d", "phone", "ph_d")
    market.order("buyer1", "s", "c")
    market.order("buyer1", "s", "c")
    market.order("buyer2", "s2", "d")
    market.link("creator", "a", "ip", "carrier")
    market.link("creator", "x", "ip", "carrier")
    for i in range(HUB_USERS):
        market.link("buyer", f"crowd{i}", "ip", "carrier")
    return market


@pytest.fixture
def market(store: GraphStore, tmp_path: Path) -> GraphStore:
    store.write_snapshot(load_snapshot(_market().write(tmp_path / "snapshot")).snapshot)
    return store


def _ids(path: list[tuple[str, str]]) -> list[str]:
    return [f"{t}:{i}" for t, i in path]


def test_two_creators_tied_through_a_device_and_a_payout_account(market: GraphStore) -> None:
    found = market.paths(("creator", "a"), ("creator", "c"), max_hops=4)
    assert found is not None and found.complete
    assert found.hops == 4
    assert [_ids(p) for p in found.paths] == [
        ["creator:a", "device:dev_ab", "creator:b", "payout_account:pay_bc", "creator:c"]]


def test_a_path_through_orders_names_the_shop_and_stops_at_the_hop_limit(market: GraphStore) -> None:
    found = market.paths(("creator", "a"), ("seller", "sel"), max_hops=6)
    assert found is not None and found.hops == 6
    assert [_ids(p) for p in found.paths] == [
        ["creator:a", "device:dev_ab", "creator:b", "payout_account:pay_bc", "creator:c",
         "shop:s", "seller:sel"]]
    short = market.paths(("creator", "a"), ("seller", "sel"), max_hops=5)
    assert short is not None and short.paths == [] and short.hops is None
    assert short.complete and "at most 5 hops" in (short.reason or "")


def test_a_hub_joins_two_accounts_but_is_never_walked_through(market: GraphStore) -> None:
    found = market.paths(("creator", "a"), ("creator", "x"), max_hops=4)
    assert found is not None
    assert [_ids(p) for p in found.paths] == [["creator:a", "ip:carrier", "creator:x"]]
    assert ("ip", "carrier") in found.hubs
    # Through the hub's crowd only: a buyer of the crowd is two hops from a, but the search
    # does not walk through the IP's sixty users to find it.
    crowd = market.paths(("creator", "a"), ("buyer", "crowd7"), max_hops=4)
    assert crowd is not None and crowd.paths == [[("creator", "a"), ("ip", "carrier"),
                                                  ("buyer", "crowd7")]]
    beyond = market.paths(("creator", "x"), ("creator", "b"), max_hops=6)
    assert beyond is not None and beyond.paths == []


def test_unknown_accounts_have_no_paths_and_a_deadline_stops_the_search(market: GraphStore) -> None:
    assert market.paths(("creator", "a"), ("creator", "nobody"), max_hops=4) is None
    adjacent = market._adjacent  # the store's own hook, so the search meets real reads
    stopped = shortest_paths(("creator", "a"), ("creator", "c"), adjacent, max_hops=4,
                             per_node=50, deadline=time.monotonic() - 1)
    assert not stopped.complete and stopped.paths == [] and "time limit" in (stopped.reason or "")


def test_the_api_names_every_hop_with_its_numbers_and_marks_hubs(market: GraphStore) -> None:
    key = make_key(market, "viewer")
    app = create_app(ApiSettings(cache_seconds=0.0), store=market)
    with TestClient(app, headers={"X-API-Key": key}) as client:
        body = client.get("/paths", params={"from": "creator:a", "to": "shop:s",
                                            "max_hops": 6}).json()
        assert body["length"] == 5 and body["complete"]
        [path] = body["paths"]
        assert [n["id"] for n in path["nodes"]] == [
            "creator:a", "device:dev_ab", "creator:b", "payout_account:pay_bc", "creator:c",
            "shop:s"]
        trades = path["hops"][-1]
        assert (trades["source"], trades["target"], trades["type"]) == ("creator:c", "shop:s",
                                                                        "TRADES")
        assert trades["orders"] == 2
        assert path["nodes"][3]["shared_by"] == 2
        hub = client.get("/paths", params={"from": "creator:a", "to": "creator:x"}).json()
        assert [n["hub"] for n in hub["paths"][0]["nodes"]] == [False, True, False]
        assert hub["paths"][0]["nodes"][1]["shared_by"] == HUB_USERS + 2
        assert client.get("/paths", params={"from": "creator:a", "to": "creator:zz"}
                          ).status_code == 404
        assert client.get("/paths", params={"from": "device:dev_ab", "to": "creator:a"}
                          ).status_code == 422
