"""Collusion is judged against the shop's and the category's own trade, with its sample size.

The false collusion rings seen on markets we never built: two creators with two
orders each, one of each refunded, at a rate over a thin norm; and creators of a
shop that pays every one of them a boosted rate, in a category whose buyers
refund a lot. Neither is a ring. The planted ring, judged by the same tests, is.
"""

from __future__ import annotations

import numpy as np

from ringwatch.detectors.collusion_rings import find_collusion_rings, pair_signals
from ringwatch.detectors.config import CollusionConfig
from ringwatch.detectors.significance import bh_qvalues, binomial_tail

from .market import Market


def _market() -> Market:
    m = Market()
    m.background(creators=20, shops=10, buyers=150)
    return m


def _creators_in_rings(market: Market) -> set[str]:
    return {m.id for ring in find_collusion_rings(market.context()) for m in ring.members
            if m.type == "creator"}


def test_two_orders_each_with_one_refund_never_make_a_ring() -> None:
    market = _market()
    shop = market.shop("few_s", seller="few_sel")
    for i in range(2):
        creator = market.creator(f"few_c{i}")
        market.affiliate(creator, shop, 0.2)
        for k in range(2):
            market.order(f"few_b{k}", shop, creator, rate=0.2, refunded_after_commission=k == 0,
                         day=3 + k)
    assert not _creators_in_rings(market) & {"few_c0", "few_c1"}


def test_a_shop_paying_every_creator_a_boosted_rate_in_a_high_refund_category_is_no_ring() -> None:
    market = _market()
    rng = np.random.default_rng(5)
    for s in range(4):  # the category: every shop's buyers refund about 40 %
        shop = market.shop(f"fashion_s{s}", seller=f"fashion_sel{s}", category="fashion")
        boosted = s == 0  # a campaign: 40 % for every creator of this shop
        for b in range(30):  # organic orders refund as much as attributed ones
            market.order(f"fashion_org{s}_{b}", shop, refunded_after_commission=rng.random() < 0.4)
        for c in range(8):
            creator = market.creator(f"fashion_c{s}{c}")
            market.affiliate(creator, shop, 0.4 if boosted else 0.12)
            for k in range(int(rng.integers(2, 11))):
                market.order(f"fashion_b{s}{c}{k % 3}", shop, creator,
                             rate=0.4 if boosted else 0.12,
                             refunded_after_commission=rng.random() < 0.4, day=2 + k)
    assert not {c for c in _creators_in_rings(market) if c.startswith("fashion")}


def test_the_planted_ring_is_judged_by_the_same_tests_and_found() -> None:
    market = _market()
    creators, shops, _ = market.plant_collusion()
    pairs = pair_signals(market.context(), CollusionConfig())
    planted = pairs[pairs["creator_id"].isin(creators) & pairs["shop_id"].isin(shops)]
    # Each pair's refunds are screened against the shop's honest share, not a market constant.
    assert planted["sig_refund"].all() and (planted["refund_null"] < 0.1).all()
    assert _creators_in_rings(market) >= set(creators)


def test_refund_tests_know_their_sample_size() -> None:
    # Two of two refunded is weaker evidence than eight of ten, at the same null.
    tails = binomial_tail(np.array([2, 8]), np.array([2, 10]), np.array([0.2, 0.2]))
    assert tails[0] > tails[1]
    # Benjamini-Hochberg never makes a p-value smaller, and keeps the order of the tests.
    p = np.array([0.04, 0.001, 0.3, np.nan])
    q = bh_qvalues(p)
    assert np.all(q[:3] >= p[:3]) and np.isnan(q[3]) and q[1] < q[0] < q[2]
