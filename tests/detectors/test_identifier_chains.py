"""Chains of personal identifiers judged against the chains the same snapshot makes when shuffled.

A device-rotating farm ties twenty accounts one to the next through devices
two of them use; a family shares one tablet. Whether a chain is long is the
market's to say: where accounts use many devices and devices pass between
users, shuffles chain as far, and a long chain says nothing.
"""

from __future__ import annotations

from itertools import pairwise

import numpy as np
import pandas as pd

from ringwatch.detectors.identifier_chains import ChainNull, shared_links
from ringwatch.detectors.identity_rings import find_identity_rings
from ringwatch.detectors.scoring import score

from .market import Market


def _chain(market: Market, name: str, size: int) -> list[str]:
    """``size`` creators, each sharing one device with the next only."""
    creators = [market.creator(f"{name}_c{i}") for i in range(size)]
    for i in range(size - 1):
        market.link("creator", creators[i], "device", f"{name}_d{i}")
        market.link("creator", creators[i + 1], "device", f"{name}_d{i}")
    return creators


def _quiet_market(honest: int = 300) -> Market:
    """Honest creators on devices of their own, and some families sharing a tablet among three."""
    market = Market()
    for i in range(honest):
        c = market.creator(f"h{i}")
        market.link("creator", c, "device", f"h_d{i}")
        if i % 10 < 3:  # a tablet for every three in ten
            market.link("creator", c, "device", f"tablet{i // 10}")
    return market


def _chain_evidence(rings: list, creators: list[str]) -> list:
    ring = next(r for r in rings if set(creators) <= {m.id for m in r.members})
    return [e for e in ring.evidence if e.code == "chain_device"]


def test_a_long_device_chain_is_judged_beyond_chance_and_lifts_the_ring() -> None:
    market = _quiet_market()
    farm = _chain(market, "rot", 16)
    rings = find_identity_rings(market.context())
    chain = _chain_evidence(rings, farm)
    # One chain in a market, ten shuffles that never made one: q = (0 + 1) / 11, as far as
    # ten shuffles can see, and worth what such a q-value can say at most.
    assert len(chain) == 1 and 0.3 < chain[0].weight < 0.5
    assert "16 accounts of this ring are tied one to another through 15 devices" in chain[0].text
    assert "(q = 0.091)" in chain[0].text
    ring = next(r for r in rings if set(farm) <= {m.id for m in r.members})
    without = [e for e in ring.evidence if e.code != "chain_device"]
    assert score(ring.evidence) > score(without) + 0.05
    # The families' tablets chain nobody: none of them is a ring or carries a chain.
    assert not any(m.id.startswith("h") for r in rings for m in r.members)


def test_the_same_chain_says_nothing_where_the_market_chains_at_random() -> None:
    """Every honest account uses three devices, and many devices pass between two users: the
    shuffles make chains as long as the farm's, so the farm's chain carries no weight."""
    market = Market()
    rng = np.random.default_rng(7)
    devices = [f"pool_d{k}" for k in range(700)]
    for i in range(400):
        c = market.creator(f"h{i}")
        for d in rng.choice(devices, size=3, replace=False):
            market.link("creator", c, "device", str(d))
    farm = _chain(market, "rot", 16)
    context = market.context()
    shared = context.links[context.links["sharing"].between(2, 4)]
    assert shared["ident"].nunique() > 300  # the market does share devices widely
    holding = [r for r in find_identity_rings(context) if set(farm) & {m.id for m in r.members}]
    assert holding  # the chain rule still makes the farm a ring: only its weight is in question
    for ring in holding:
        assert not [e for e in ring.evidence if e.code == "chain_device"]


def _links(rows: list[tuple[str, str]], identifier_type: str = "device") -> pd.DataFrame:
    frame = pd.DataFrame(rows, columns=["account", "ident"])
    frame["identifier_type"] = identifier_type
    frame["sharing"] = frame.groupby("ident")["account"].transform("nunique")
    frame["account_code"] = pd.factorize(frame["account"])[0]
    return frame


def test_counts_listed_in_any_order_draw_the_same_shuffles() -> None:
    """A distributed engine hands histograms in its own order: the null must not depend on it."""
    rows = [(f"a{i}", f"d{i // 2}") for i in range(40)] + [(f"a{i}", f"e{i}") for i in range(40)]
    rows += [(f"a{i}", f"d{(i + 1) // 2 + 100}") for i in range(0, 40, 3)]
    links = _links(rows)
    personal = {"device": 4}
    first = ChainNull.of(links, personal, shuffles=5, seed=3)
    per_account = links["account"].value_counts().to_numpy()
    per_ident = links["ident"].value_counts().to_numpy()
    reordered = ChainNull.from_counts({"device": (per_account[::-1], np.roll(per_ident, 7))},
                                      shared_links(links, personal), personal, shuffles=5, seed=3)
    np.testing.assert_array_equal(first.by_type["device"].null, reordered.by_type["device"].null)
    np.testing.assert_array_equal(first.by_type["device"].observed,
                                  reordered.by_type["device"].observed)


def test_a_longer_chain_is_never_judged_weaker_and_an_unseen_type_says_nothing() -> None:
    rows = [(f"a{i}", f"d{i}") for i in range(200)]
    rows += [(f"f{i}", f"t{i // 3}") for i in range(30)]  # ten tablets of three
    rows += [(f"r{i}", f"rd{i}") for i in range(12)] + [(f"r{i + 1}", f"rd{i}") for i in range(11)]
    null = ChainNull.of(_links(rows), {"device": 4}, shuffles=10)
    qs = [null.judge("device", k)[0] for k in range(2, 14)]
    assert all(a >= b for a, b in pairwise(qs))
    assert qs[1] > 0.5  # a chain of three is what every tablet makes
    q, here, chance = null.judge("device", 12)
    assert q < 0.2 and here == 1 and chance < 0.5
    assert null.judge("phone", 12) == (1.0, 0, 0.0)
