"""Thin collusion: one weak signal per pair, a dense abnormal block as a whole; and its honest twin."""

from __future__ import annotations

import pytest

from ringwatch.detectors.collusion_rings import find_collusion_rings, pair_signals
from ringwatch.detectors.config import CollusionConfig

from .market import Market


@pytest.fixture
def market() -> Market:
    m = Market()
    m.background(creators=20, shops=10, buyers=120)
    return m


def _block(market: Market, name: str, *, fake: bool) -> tuple[list[str], list[str]]:
    """Five creators by four shops, three orders on every pair at a rate of 0.16 (the norm is
    0.1). Fake: eight buyers rotate through every pair and one order in three is refunded
    after the commission; honest: a campaign, every order its own buyer, no refunds."""
    creators = [market.creator(f"{name}_c{i}") for i in range(5)]
    shops = [market.shop(f"{name}_s{j}", seller=f"{name}_sel{j}") for j in range(4)]
    n = 0
    for c in creators:
        for s in shops:
            market.affiliate(c, s, 0.1)
            for k in range(3):
                buyer = f"{name}_b{n % 8}" if fake else f"{name}_b{n}"
                market.order(buyer, s, c, rate=0.16, day=2 + k,
                             refunded_after_commission=fake and k == 0)
                n += 1
    return creators, shops


def test_thin_collusion_is_found_as_a_block_though_no_pair_is_suspicious(
        market: Market) -> None:
    creators, shops = _block(market, "thin", fake=True)
    ctx = market.context()
    pairs = pair_signals(ctx, CollusionConfig())
    planted = pairs[pairs["creator_id"].isin(creators)]
    assert len(planted) == 20 and planted["signals"].max() == 1  # thin: one signal per pair
    rings = find_collusion_rings(ctx)
    assert len(rings) == 1
    ring = rings[0]
    assert {m.id for m in ring.members if m.type == "creator"} == set(creators)
    assert {m.id for m in ring.members if m.type == "shop"} == set(shops)
    # Each pair's rate alone only proposes it; the ring stands on its pooled trade.
    assert {e.code for e in ring.evidence} & {"dense_block", "shared_buyer_pool"}


def test_an_honest_campaign_block_with_a_high_rate_is_not_a_ring(
        market: Market) -> None:
    _block(market, "campaign", fake=False)
    assert find_collusion_rings(market.context()) == []


def test_pairs_within_groups_are_every_pair_a_self_join_gives() -> None:
    """The vectorised pairs of members sharing a group are the self-join's, one per group."""
    import itertools

    import numpy as np

    from ringwatch.detectors.collusion_rings import _pairs_within

    rng = np.random.default_rng(3)
    rows = {(int(g), int(m)) for g, m in zip(rng.integers(0, 40, 400), rng.integers(0, 60, 400),
                                              strict=True)}
    group, member = (np.array(c) for c in zip(*sorted(rows, key=lambda _: rng.random()),
                                              strict=True))
    x, y = _pairs_within(group, member)
    expected = sorted((min(a, b), max(a, b)) for g in set(group.tolist())
                      for a, b in itertools.combinations(member[group == g].tolist(), 2))
    assert len(expected) > 100
    assert sorted(zip(x.tolist(), y.tolist(), strict=True)) == expected
    assert (x < y).all()
