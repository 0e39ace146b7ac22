"""Coordinated blocks: trade among a few creators, shops and buyers far beyond chance, no rule named.

Each market is hand-built so the answer is known: an ordinary market of many
creators, shops and buyers buying a few times each, a planted block (six
creators, three shops, fifteen buyers trading among themselves at ordinary
rates, without refunds, about two orders per buyer: no named rule fires),
and, one per test, an honest look-alike that must stay unflagged: a hit shop
with a loyal repeat crowd, a flash sale, a wholesale buyer, a creator
promoting a single shop.
"""

from __future__ import annotations

import random

from ringwatch.detectors.config import BlockConfig, DetectionConfig
from ringwatch.detectors.context import MarketContext
from ringwatch.detectors.coordinated_blocks import find_coordinated_blocks, leave_out
from ringwatch.detectors.pipeline import find_rings
from ringwatch.detectors.rings import Member
from ringwatch.detectors.scoring import score

from .market import Market

BLOCK_CREATORS = [f"blk_c{i}" for i in range(6)]
BLOCK_SHOPS = [f"blk_s{i}" for i in range(3)]
BLOCK_BUYERS = [f"blk_b{i}" for i in range(15)]


def _market(seed: int = 7) -> Market:
    """80 creators promoting two of 40 shops each; 900 buyers, each ordering 2 to 4 times
    through creators of their choosing (popular ones more often)."""
    rng = random.Random(seed)
    market = Market()
    shops = [market.shop(f"s{i}", seller=f"sel{i}") for i in range(40)]
    creators = []
    for i in range(80):
        c = market.creator(f"c{i}")
        market.link("creator", c, "device", f"d{i}")
        promoted = rng.sample(shops, 2)
        for s in promoted:
            market.affiliate(c, s, 0.1)
        creators.append((c, promoted))
    weights = [1 / (1 + i) for i in range(len(creators))]
    for b in range(900):
        for _ in range(rng.randint(2, 4)):
            c, promoted = rng.choices(creators, weights)[0]
            market.order(f"b{b}", rng.choice(promoted), c, day=1 + rng.randrange(25))
    return market


def _plant_block(market: Market, seed: int = 11) -> None:
    """Six creators, three shops, fifteen buyers trading among themselves: 36 orders at
    ordinary rates, nothing refunded, nothing shared."""
    rng = random.Random(seed)
    for s in BLOCK_SHOPS:
        market.shop(s, seller=f"{s}_seller")
    for c in BLOCK_CREATORS:
        market.creator(c)
        market.link("creator", c, "device", f"{c}_phone")
        for s in BLOCK_SHOPS:
            market.affiliate(c, s, 0.1)
    for k, b in enumerate(BLOCK_BUYERS):
        for _ in range(2 + (k % 3 == 0)):
            market.order(b, rng.choice(BLOCK_SHOPS), rng.choice(BLOCK_CREATORS),
                         day=1 + rng.randrange(25))


def _accounts(rings: list, member_type: str) -> list[set[str]]:
    return [{m.id for m in r.members if m.type == member_type} for r in rings]


def _flagged(ctx: MarketContext) -> list:
    return find_coordinated_blocks(ctx, BlockConfig())


def _assert_only_the_block(rings: list) -> None:
    assert len(rings) == 1, [sorted(r) for r in _accounts(rings, "creator")]
    [creators], [shops], [buyers] = (_accounts(rings, t) for t in ("creator", "shop", "buyer"))
    # Nothing from outside the block, and most of it (a thinly trading member may be peeled off).
    assert creators <= set(BLOCK_CREATORS) and len(creators) >= 4
    assert shops == set(BLOCK_SHOPS)
    assert buyers <= set(BLOCK_BUYERS) and 2 * len(buyers) > len(BLOCK_BUYERS)


def test_a_planted_block_no_named_rule_catches_is_one_coordinated_block() -> None:
    market = _market()
    _plant_block(market)
    ctx = market.context()
    named = find_rings(ctx, DetectionConfig(skip=("coordinated_blocks",)))
    assert not any(set(BLOCK_CREATORS) & c for c in _accounts(named, "creator"))
    rings = _flagged(ctx)
    _assert_only_the_block(rings)
    [ring] = rings
    assert ring.kind == "coordinated_block"
    [evidence] = ring.evidence
    assert "possible creator-shop-buyer cells" in evidence.text and "shuffles" in evidence.text
    assert score(ring.evidence) >= 0.5


def test_the_ordinary_market_alone_has_no_coordinated_block() -> None:
    assert _flagged(_market().context()) == []


def test_a_hit_shop_with_a_loyal_repeat_crowd_stays_unflagged() -> None:
    market = _market()
    _plant_block(market)
    market.shop("hit", seller="hit_seller")
    fans = [market.creator(f"hit_c{i}") for i in range(8)]
    rng = random.Random(3)
    for b in range(60):
        for _ in range(6):
            market.order(f"loyal_b{b}", "hit", rng.choice(fans), day=1 + rng.randrange(25))
    _assert_only_the_block(_flagged(market.context()))


def test_a_flash_sale_through_one_creator_stays_unflagged() -> None:
    market = _market()
    _plant_block(market)
    market.shop("flash", seller="flash_seller")
    market.creator("host")
    for b in range(300):
        market.order(f"rush_b{b}", "flash", "host", day=12)
        if b % 2:  # half of them are regular buyers of the market too
            market.order(f"rush_b{b}", "s1", "c1", day=13)
    _assert_only_the_block(_flagged(market.context()))


def test_a_wholesale_buyer_ordering_dozens_of_times_via_one_creator_stays_unflagged() -> None:
    market = _market()
    _plant_block(market)
    market.creator("rep")
    market.affiliate("rep", "s2", 0.1)
    for k in range(40):
        market.order("wholesale", "s2", "rep", day=1 + k % 25)
        market.order("wholesale", "s3", "c3", day=1 + k % 25)
    _assert_only_the_block(_flagged(market.context()))


def test_a_creator_promoting_a_single_shop_stays_unflagged() -> None:
    market = _market()
    _plant_block(market)
    market.shop("solo_s", seller="solo_seller")
    market.creator("solo")
    market.affiliate("solo", "solo_s", 0.1)
    for b in range(120):
        for _ in range(1 + b % 3):
            market.order(f"solo_b{b}", "solo_s", "solo", day=1 + b % 25)
    _assert_only_the_block(_flagged(market.context()))


def test_a_block_another_ring_holds_is_left_out() -> None:
    market = _market()
    _plant_block(market)
    rings = _flagged(market.context())
    [creators] = _accounts(rings, "creator")
    held = frozenset(Member("creator", c) for c in sorted(creators)[:-2])
    assert leave_out(rings, held, BlockConfig()) == []
    one = sorted(creators)[0]
    partly = leave_out(rings, frozenset({Member("creator", one)}), BlockConfig())
    assert _accounts(partly, "creator") == [creators - {one}]
