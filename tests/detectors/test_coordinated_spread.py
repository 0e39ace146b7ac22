"""The catch-all's spread test: thin rings the density test misses at scale, and what it must not take.

At 100,000 rows chance's densest block is denser than a thin collusion ring
(each creator-shop pair one to three orders), so the density test misses
it; the spread test asks instead whether the block's buyers reach more of
its creators than their own orders elsewhere explain. Each test switches the
density test out of reach (``min_lift``), so what it shows is the spread
test's own doing, on the ordinary market of ``test_coordinated_blocks``:

- a thin ring as small as the generator's at scale 1 is found, and named
  without the ordinary accounts around it;
- a camouflaged ring's honest neighbourhood (its creators' deals with
  small ordinary shops, those shops' own creators and customers), which the
  peeling takes into the ring's block, is never named;
- an ordinary block of many creators and shops whose buyers spread over
  them at one hit shop is not flagged, although its buyers do spread.
"""

from __future__ import annotations

import dataclasses
import random

import numpy as np
import pytest

from ringwatch.detectors.config import BlockConfig
from ringwatch.detectors.coordinated_blocks import (
    MarketTrade,
    entry_weights,
    find_coordinated_blocks,
    peel_blocks,
    spread_test,
    trade_tensor,
)

from .market import Market
from .test_coordinated_blocks import _accounts, _market

#: The density test out of reach: only the spread test can flag a block.
SPREAD_ONLY = BlockConfig(min_lift=1e9)

THIN_CREATORS = [f"thin_c{i}" for i in range(10)]
THIN_SHOPS = [f"thin_s{j}" for j in range(4)]


def _plant_thin_ring(market: Market, seed: int = 5, per_buyer: float = 3) -> list[str]:
    """Ten creators by four shops (a grid four fifths full), one or two orders per pair from a
    pool of buyers a third the size of the orders (``per_buyer``), each pool buyer also ordering
    once in the ordinary market: the generator's thin collusion at scale 1 (five to twelve
    creators, two to eight shops, one to three orders per pair). Returns the buyers."""
    rng = random.Random(seed)
    for s in THIN_SHOPS:
        market.shop(s, seller=f"{s}_seller")
    deals = [(c, s) for c in THIN_CREATORS for s in THIN_SHOPS if rng.random() < 0.8]
    for c in THIN_CREATORS:
        market.creator(c)
        market.link("creator", c, "device", f"{c}_phone")
    for c, s in deals:
        market.affiliate(c, s, 0.1)
    orders = [deal for deal in deals for _ in range(rng.randint(1, 2))]
    pool = [f"thin_b{k}" for k in range(round(len(orders) / per_buyer))]
    for c, s in orders:
        market.order(rng.choice(pool), s, c, day=1 + rng.randrange(25))
    for b in pool:
        market.order(b, f"s{rng.randrange(40)}", f"c{rng.randrange(80)}", day=1 + rng.randrange(25))
    return pool


def assert_only_the_thin_ring(rings: list, pool: list[str]) -> None:
    """One ring: most of the thin ring's creators and shops, and nothing but its own accounts."""
    assert len(rings) == 1
    [creators], [shops], [buyers] = (_accounts(rings, t) for t in ("creator", "shop", "buyer"))
    assert creators <= set(THIN_CREATORS) and len(creators) >= 7
    assert shops <= set(THIN_SHOPS) and len(shops) >= 3
    assert buyers <= set(pool)


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_a_thin_ring_as_small_as_the_scale_one_ones_is_found_by_its_spread(seed: int) -> None:
    market = _market()
    pool = _plant_thin_ring(market, seed)
    rings = find_coordinated_blocks(market.context(), SPREAD_ONLY)
    assert_only_the_thin_ring(rings, pool)
    [evidence] = rings[0].evidence
    assert "reached more of its creators" in evidence.text and "too little on its own" in evidence.text
    assert evidence.weight >= 0.5


def _plant_camouflage(market: Market, seed: int) -> None:
    """Three small ordinary shops, each with its own creator, that two of the ring's creators
    also promote; each shop's two customers order once through a ring creator and once
    through the shop's own creator (the neighbourhood of a camouflaged ring)."""
    rng = random.Random(seed)
    for j in range(3):
        shop = market.shop(f"camo_s{j}", seller=f"camo_sel{j}")
        local = market.creator(f"camo_c{j}")
        market.affiliate(local, shop, 0.1)
        ring_creators = rng.sample(THIN_CREATORS, 2)
        for c in ring_creators:
            market.affiliate(c, shop, 0.1)
        for k in range(2):
            market.order(f"camo_b{j}_{k}", shop, rng.choice(ring_creators),
                         day=1 + rng.randrange(25))
            market.order(f"camo_b{j}_{k}", shop, local, day=1 + rng.randrange(25))


@pytest.mark.parametrize("seed", [9, 10, 11])
def test_a_camouflaged_rings_honest_neighbourhood_is_not_named(seed: int) -> None:
    """The peeling's block takes the neighbourhood in (a third of its accounts, checked
    below); the flagged ring names only the ring's core, its surprising buyers' trade."""
    market = _market()
    pool = _plant_thin_ring(market)
    _plant_camouflage(market, seed)
    ctx = market.context()
    rings = find_coordinated_blocks(ctx, SPREAD_ONLY)
    assert len(rings) == 1
    [creators], [shops], [buyers] = (_accounts(rings, t) for t in ("creator", "shop", "buyer"))
    assert creators <= set(THIN_CREATORS) and len(creators) >= 7
    assert shops <= set(THIN_SHOPS)
    assert buyers <= set(pool)
    tensor = trade_tensor(ctx)
    weight = entry_weights(tensor.codes, tensor.sizes, SPREAD_ONLY.weight_offset)
    [block] = [b for b in peel_blocks(tensor.codes, tensor.sizes, weight, SPREAD_ONLY.max_blocks,
                                      max_members=SPREAD_ONLY.max_members)
               if set(tensor.names[0][b.slices[0]]) & creators]
    peeled = {str(x) for m in range(3) for x in tensor.names[m][block.slices[m]]}
    assert len({x for x in peeled if x.startswith("camo")}) >= 6


def _plant_hit_shop_crowd(market: Market, seed: int = 13) -> list[str]:
    """An honest block of many creators and shops: a hit shop promoted by twelve creators,
    each of whom also promotes one of seven small shops; twenty regulars order four to seven
    times at the hit shop through whichever creator's stream they watch, and once or twice
    at a small shop. Returns the hit shop's creators."""
    rng = random.Random(seed)
    market.shop("hit", seller="hit_seller")
    small = [market.shop(f"small_s{j}", seller=f"small_sel{j}") for j in range(7)]
    creators = [market.creator(f"hit_c{i}") for i in range(12)]
    for i, c in enumerate(creators):
        market.link("creator", c, "device", f"{c}_phone")
        market.affiliate(c, "hit", 0.1)
        market.affiliate(c, small[i % len(small)], 0.1)
    for b in range(20):
        for _ in range(rng.randint(4, 7)):
            market.order(f"fan_b{b}", "hit", rng.choice(creators), day=1 + rng.randrange(25))
        for _ in range(rng.randint(1, 2)):
            i = rng.randrange(len(creators))
            market.order(f"fan_b{b}", small[i % len(small)], creators[i], day=1 + rng.randrange(25))
    for k in range(300):  # the hit shop's casual customers
        market.order(f"casual_b{k}", "hit", rng.choice(creators), day=1 + rng.randrange(25))
    return creators


def test_an_ordinary_block_of_many_creators_at_one_hit_shop_is_not_flagged() -> None:
    market = _market()
    crowd = _plant_hit_shop_crowd(market)
    ctx = market.context()
    assert find_coordinated_blocks(ctx, SPREAD_ONLY) == []
    # The crowd's buyers do spread over its creators: it is the busiest shop's test that
    # tells it from a ring, not a lack of spread.
    tensor = trade_tensor(ctx)
    weight = entry_weights(tensor.codes, tensor.sizes, SPREAD_ONLY.weight_offset)
    trade = MarketTrade.of(tensor)
    blocks = peel_blocks(tensor.codes, tensor.sizes, weight, SPREAD_ONLY.max_blocks,
                         max_members=SPREAD_ONLY.max_members)
    creator_ids = tensor.names[0]
    crowd_blocks = [b for b in blocks
                    if np.isin(creator_ids[b.slices[0]], crowd).sum() >= 3]
    assert crowd_blocks
    tests = [spread_test(tensor, trade, b, SPREAD_ONLY) for b in crowd_blocks]
    assert min(p for _, p, _, _ in tests) <= 0.01
    assert all(without > SPREAD_ONLY.spread_without for _, p, without, _ in tests if p <= 0.01)


def test_without_the_busiest_shop_check_the_hit_shop_crowd_would_be_flagged() -> None:
    """The check is what keeps the crowd out: switched off, the spread test flags it."""
    market = _market()
    crowd = _plant_hit_shop_crowd(market)
    lax = dataclasses.replace(SPREAD_ONLY, spread_without=1.0)
    rings = find_coordinated_blocks(market.context(), lax)
    assert any(set(crowd) & c for c in _accounts(rings, "creator"))
