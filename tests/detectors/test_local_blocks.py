"""The catch-all's local search: rings the whole-market peeling never reaches, and what it must not take.

The peeling removes, step by step, every slice lighter than its mode's
average; in a busy market a thin ring's creators are peeled away before the
block around them is small enough to count, or the peeling's budget of blocks
is spent on denser ones. The local search peels again inside each community
of creators and buyers that buyers reaching three creators or more tie
together, and judges what it finds by the spread test alone, counting each
buyer's reach only beyond the three creators the search chose it for. So the
thin ring here is one whose buyers place about five of its orders each (a
pool a fifth the size of its orders); one of three-order buyers is left to the
whole-market peeling. Most tests give that peeling no budget
(``max_blocks=0``), so what a test shows is the local search's own doing, on
the ordinary market of ``test_coordinated_blocks``.
"""

from __future__ import annotations

import dataclasses

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
#: The whole-market peeling proposes nothing: only the local search can find a block.
LOCAL_ONLY = BlockConfig(max_blocks=0)


@pytest.mark.parametrize("seed", [5, 6, 7])
def test_a_thin_ring_the_peeling_never_reaches_is_found_by_the_local_search(seed: int) -> None:
    market = _market()
    pool = _plant_thin_ring(market, seed, PER_BUYER)
    ctx = market.context()
    assert find_coordinated_blocks(ctx, dataclasses.replace(LOCAL_ONLY, local_reach=10**9)) == []
    rings = find_coordinated_blocks(ctx, LOCAL_ONLY)
    assert_only_the_thin_ring(rings, pool)
    [evidence] = rings[0].evidence
    assert "found among accounts its buyers tie together" in evidence.text
    assert "reached more of its creators" in evidence.text
    assert evidence.weight >= 0.5


def test_the_local_search_takes_nothing_from_the_ordinary_market() -> None:
    assert find_coordinated_blocks(_market().context(), LOCAL_ONLY) == []


def test_the_local_search_leaves_a_hit_shops_crowd_alone() -> None:
    market = _market()
    crowd = _plant_hit_shop_crowd(market)
    rings = find_coordinated_blocks(market.context(), LOCAL_ONLY)
    assert not any(set(crowd) & c for c in _accounts(rings, "creator"))


@pytest.mark.parametrize("seed", [9, 10, 11])
def test_a_camouflaged_rings_honest_neighbourhood_is_not_named_by_the_local_search(
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
    searched = local_blocks(tensor, weight, [], config, seed=42)
    again = local_blocks(tensor, weight, proposed, config, seed=42)
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
