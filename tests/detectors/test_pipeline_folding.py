"""One operator, one ring: a farm that also trades fake orders is one ring, not two.

The identity detector finds the farm by what its accounts share; the collusion
detector finds the same creators by how they trade. The pipeline folds a
collusion ring into the identity ring holding at least half its creators; a
collusion ring that only touches an identity ring stays a ring of its own.
"""

from __future__ import annotations

from pathlib import Path

from ringwatch.detectors.pipeline import find_rings
from ringwatch.graph.local_store import LocalStore

from .market import Market


def _trade_fake_orders(market: Market, creators: list[str], tag: str) -> list[str]:
    """Two complicit shops and six fake buyers on two devices trade through ``creators``,
    at inflated rates, most orders refunded after the commission was paid."""
    shops = [market.shop(f"{tag}_s{i}", seller=f"{tag}_sel{i}") for i in range(2)]
    buyers = [f"{tag}_b{i}" for i in range(6)]
    for i, b in enumerate(buyers):
        market.link("buyer", b, "device", f"{tag}_dev{i % 2}")
    for c in creators:
        for s in shops:
            market.affiliate(c, s, 0.3)
            for k, b in enumerate(buyers):
                market.order(b, s, c, rate=0.3, refunded_after_commission=k % 3 != 0, day=3 + k)
    return shops


def _rings(market: Market, tmp_path: Path) -> list:
    return find_rings(market.load(LocalStore(tmp_path / "store"), tmp_path / "snapshot"))


def test_a_farm_trading_fake_orders_is_one_identity_ring_with_its_shops(tmp_path: Path) -> None:
    market = Market()
    market.background()
    farm = market.plant_farm(5)
    shops = _trade_fake_orders(market, farm, "farmtrade")
    rings = _rings(market, tmp_path)
    holding = [r for r in rings if {m.id for m in r.members} & set(farm)]
    assert [r.kind for r in holding] == ["identity_ring"]
    [ring] = holding
    assert {m.id for m in ring.members if m.type == "creator"} == set(farm)
    assert set(shops) <= {m.id for m in ring.members if m.type == "shop"}
    codes = {e.code for e in ring.evidence}
    assert "shared_payout_account" in codes and "abnormal_trade" in codes


def test_a_collusion_ring_that_only_touches_a_farm_stays_its_own_ring(tmp_path: Path) -> None:
    market = Market()
    market.background()
    farm = market.plant_farm(5)
    traders = [farm[0]] + [market.creator(f"trader_c{i}") for i in range(3)]
    _trade_fake_orders(market, traders, "ring2")
    rings = _rings(market, tmp_path)
    kinds = {r.kind: {m.id for m in r.members if m.type == "creator"} for r in rings}
    assert kinds["identity_ring"] == set(farm)
    assert set(traders[1:]) <= kinds["collusion_ring"]
