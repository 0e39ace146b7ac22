"""The catch-all's local searches: rings the whole-market peeling never reaches, and what they must not take.

The peeling removes, step by step, every slice lighter than its mode's
average; in a busy market a thin ring's creators are peeled away before the
block around them is small enough to count, or the peeling's budget of blocks
is spent on denser ones. Two local searches peel again inside communities:
of creators and the buyers who reached three creators or more (judged counting
each buyer's reach beyond those three, the reach it was chosen for), and of
creators and the shops they promote (judged as the whole market's blocks are:
its buyers played no part in choosing it). Most tests give the whole-market
peeling no budget (``max_blocks=0``), so what a test shows is the local
searches' own doing, on the ordinary market of ``test_coordinated_blocks``.
"""

from __future__ import annotations

import numpy as np
import pytest

from ringwatch.detectors.config import BlockConfig
from ringwatch.detectors.coordinated_blocks import (
    Block,
    MarketTrade,
    TradeTensor,
    entry_weights,
    find_coordinated_blocks,
    local_blocks,
    peel_blocks,
    shop_blocks,
    spread_test,
    trade_tensor,
)

from .test_coordinated_blocks import _accounts, _market
from .test_coordinated_spread import (
    THIN_CREATORS,
    _plant_camouflage,
    _plant_hit_shop_crowd,
    _plant_thin_ring,
    assert_only_the_thin_ring,
)

#: Orders per buyer of the planted thin ring's pool.
PER_BUYER = 5
#: The whole-market peeling proposes nothing: only the local searches can find a block.
LOCAL_ONLY = BlockConfig(max_blocks=0)


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_a_thin_ring_the_peeling_never_reaches_is_found_once_by_the_local_searches(
        seed: int) -> None:
    market = _market()
    pool = _plant_thin_ring(market, seed, PER_BUYER)
    config = LOCAL_ONLY
    tensor = trade_tensor(market.context())
    weight = entry_weights(tensor.codes, tensor.sizes, config.weight_offset)
    for search in (local_blocks, shop_blocks):  # both propose it ...
        assert any(len(set(THIN_CREATORS) & set(tensor.names[0][b.slices[0]])) >= 7
                   for b in search(tensor, weight, [], config, seed=42))
    rings = find_coordinated_blocks(market.context(), config)
    assert_only_the_thin_ring(rings, pool)  # ... and it is reported once
    [evidence] = rings[0].evidence
    assert "found among" in evidence.text and "reached more of its creators" in evidence.text
    assert evidence.weight >= 0.5


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_a_thin_ring_of_three_order_buyers_is_found_among_creators_who_share_shops(
        seed: int) -> None:
    """Buyers placing three orders each reach too few creators for the buyers' search, read
    beyond three; the creators' shops tie the ring together without them."""
    market = _market()
    pool = _plant_thin_ring(market, seed)
    rings = find_coordinated_blocks(market.context(), LOCAL_ONLY)
    assert_only_the_thin_ring(rings, pool)
    [evidence] = rings[0].evidence
    assert "found among creators who promote the same shops" in evidence.text


def test_the_local_searches_take_nothing_from_the_ordinary_market() -> None:
    assert find_coordinated_blocks(_market().context(), LOCAL_ONLY) == []


def test_the_local_searches_leave_a_hit_shops_crowd_alone() -> None:
    market = _market()
    crowd = _plant_hit_shop_crowd(market)
    rings = find_coordinated_blocks(market.context(), LOCAL_ONLY)
    assert not any(set(crowd) & c for c in _accounts(rings, "creator"))


@pytest.mark.parametrize("seed", [9, 10, 11])
def test_a_camouflaged_rings_honest_neighbourhood_is_not_named_by_the_local_searches(
        seed: int) -> None:
    market = _market()
    pool = _plant_thin_ring(market, per_buyer=PER_BUYER)
    _plant_camouflage(market, seed)
    rings = find_coordinated_blocks(market.context(), LOCAL_ONLY)
    assert len(rings) == 1
    [creators], [buyers] = (_accounts(rings, t) for t in ("creator", "buyer"))
    assert creators <= set(THIN_CREATORS) and len(creators) >= 7
    assert buyers <= set(pool)
    assert not any(m.id.startswith("camo") for m in rings[0].members)


def _thin_ring_tensor(config: BlockConfig) -> tuple[TradeTensor, np.ndarray]:
    """The ordinary market with the thin ring, as a tensor and its entries' weights."""
    market = _market()
    _plant_thin_ring(market, per_buyer=PER_BUYER)
    tensor = trade_tensor(market.context())
    return tensor, entry_weights(tensor.codes, tensor.sizes, config.weight_offset)


def test_a_community_a_proposed_block_already_holds_is_not_searched_again() -> None:
    config = BlockConfig()
    tensor, weight = _thin_ring_tensor(config)
    proposed = peel_blocks(tensor.codes, tensor.sizes, weight, config.max_blocks,
                           max_members=config.max_members)
    thin = set(THIN_CREATORS)
    assert any(len(thin & set(tensor.names[0][b.slices[0]])) >= 7 for b in proposed)
    for search in (local_blocks, shop_blocks):
        searched = search(tensor, weight, [], config, seed=42)
        again = search(tensor, weight, proposed, config, seed=42)
        assert any(len(thin & set(tensor.names[0][b.slices[0]])) >= 7 for b in searched)
        assert not any(len(thin & set(tensor.names[0][b.slices[0]])) >= 5 for b in again)


def test_a_local_blocks_buyers_count_only_beyond_the_reach_they_were_chosen_for() -> None:
    """The search admits buyers who reached three creators, so the spread test gives those
    three away: the same block is less surprising read that way than read from two."""
    config = BlockConfig()
    tensor, weight = _thin_ring_tensor(config)
    [block] = [b for b in local_blocks(tensor, weight, [], config, seed=42)
               if len(set(THIN_CREATORS) & set(tensor.names[0][b.slices[0]])) >= 7]
    assert isinstance(block, Block)
    trade = MarketTrade.of(tensor)
    surprising_two, p_two, _, _ = spread_test(tensor, trade, block, config, 2)
    surprising_three, p_three, _, _ = spread_test(tensor, trade, block, config,
                                                  config.local_reach)
    assert surprising_three <= surprising_two
    assert p_three > p_two
    assert np.isfinite(p_three) and p_three < config.spread_fdr
