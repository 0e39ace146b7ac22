"""Planted fraud: four typologies of adversarial creator networks, all labelled.

Each ring is a small dense structure in the graph, planted on top of accounts
that otherwise live ordinary lives (see ``population``). Nothing about a member
alone gives it away: ids, registration times, regions and personal identifiers
come from the honest distributions. What gives a ring away is its structure:

- ``account_farm``: 4-15 creators run from 1-3 devices and phones, paid into one
  or two payout accounts (not every member uses every shared identifier), often
  with a few buyer accounts on the same devices inflating their sales;
- ``collusion_ring``: 3-8 creators and 2-5 shops of complicit sellers trading
  fake orders through one small pool of buyers on a few devices, at commission
  rates above the category's norm, many refunded after the commission was paid;
- ``self_purchase``: a creator buying through their own affiliate link with
  buyer accounts sharing the creator's device, payout account or phone, and
  refunding after the commission is paid;
- ``self_dealing``: a seller running a creator account (shared device, phone,
  payout account or email) that earns commission on the seller's own shop.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from .catalog import RATE_HIGH, RATE_LOW, RING_POLICY_SHARES
from .clock import DAY, SNAPSHOT_END, WINDOW_START, between
from .market import (
    BUYER,
    CREATOR,
    DEVICE,
    EMAIL,
    IP,
    PAYOUT,
    PHONE,
    SELLER,
    SHOP,
    TYPOLOGIES,
    Market,
    Ring,
    RingSpec,
)
from .population import add_orders, add_violations, normal_rates, start_times, weighted_choice

#: Affiliations made for a ring override casual ones between the same creator and shop.
RING_PRIORITY = 2


def plan_rings(per_typology: int, rng: np.random.Generator) -> list[RingSpec]:
    """``per_typology`` rings of each typology, with member counts, in random id order."""
    specs = [_spec(typology, rng) for typology in TYPOLOGIES for _ in range(per_typology)]
    order = rng.permutation(len(specs))
    return [replace(specs[i], ring_id=f"L-{n + 1:04d}") for n, i in enumerate(order)]


def plant_rings(market: Market, *, rng: np.random.Generator) -> None:
    """Give every reserved ring of the four typologies its shared identifiers, deals, orders, labels.

    Rings of other typologies (the evasion profile's, see ``evasion``) are left
    to their own planter, so adding them never changes how these are drawn.
    """
    sampler = MarketSampler(market)
    for ring in market.rings:
        if ring.spec.typology not in _PLANTERS:
            continue
        _PLANTERS[ring.spec.typology](market, ring, sampler, rng)
        add_violations(market, ring.creators, rng, probability=0.12,
                       policy_shares=RING_POLICY_SHARES, severity_shares=(0.45, 0.45, 0.10))


def _spec(typology: str, rng: np.random.Generator) -> RingSpec:
    if typology == "account_farm":
        buyers = 0 if rng.random() < 0.3 else int(rng.integers(2, 7))
        return RingSpec("", typology, int(rng.integers(4, 16)), (), buyers)
    if typology == "collusion_ring":
        sellers = int(rng.integers(1, 4))
        shops = int(rng.integers(max(2, sellers), 6))
        split = 1 + rng.multinomial(shops - sellers, np.full(sellers, 1 / sellers))
        return RingSpec("", typology, int(rng.integers(3, 9)), tuple(int(x) for x in split),
                        int(rng.integers(5, 26)))
    if typology == "self_purchase":
        return RingSpec("", typology, 1, (), int(rng.integers(1, 4)))
    shops = int(rng.choice([1, 2, 3], p=[0.5, 0.35, 0.15]))
    return RingSpec("", typology, 1, (shops,), 0)


# --- the typologies --------------------------------------------------------------------

def _account_farm(market: Market, ring: Ring, sampler: MarketSampler,
                  rng: np.random.Generator) -> None:
    start, end = active_window(rng)
    registered_before(market, ring, start, rng)
    members = ring.creators
    mostly_one_region(market, members, rng, share=0.8)
    devices = market.new_identifiers(DEVICE, int(rng.integers(1, 4)))
    payouts = market.new_identifiers(PAYOUT, int(rng.integers(1, 3)))
    phones = market.new_identifiers(PHONE, int(rng.integers(1, 3)))
    proxies = market.new_identifiers(IP, int(rng.integers(1, 3)))

    # Not every member uses every shared identifier, but each shares at least one
    # strong identifier with another member: a member linked to nothing would be
    # indistinguishable from an honest account.
    on_device, on_payout, on_phone = rng.random((3, len(members))) < [[0.85], [0.7], [0.5]]
    device_of = rng.choice(devices, len(members))
    payout_of = rng.choice(payouts, len(members))
    phone_of = rng.choice(phones, len(members))
    alone = np.ones(len(members), dtype=bool)
    for used, chosen in ((on_device, device_of), (on_payout, payout_of), (on_phone, phone_of)):
        values, users = np.unique(chosen[used], return_counts=True)
        alone &= ~(used & np.isin(chosen, values[users > 1]))
    on_device[alone] = True
    device_of[alone] = devices[0]
    if np.count_nonzero(device_of[on_device] == devices[0]) < 2:
        on_device[:2] = True
        device_of[:2] = devices[0]
    device_users = members[on_device]
    market.drop_own(CREATOR, device_users[rng.random(len(device_users)) < 0.6], DEVICE)
    second = rng.random(len(device_users)) < 0.35
    link_shared(market, CREATOR, np.concatenate([device_users, device_users[second]]), DEVICE,
            np.concatenate([device_of[on_device], rng.choice(devices, int(second.sum()))]),
            start, rng)
    for used, kind, chosen in ((on_payout, PAYOUT, payout_of), (on_phone, PHONE, phone_of)):
        market.drop_own(CREATOR, members[used], kind)
        link_shared(market, CREATOR, members[used], kind, chosen[used], start, rng)
    on_proxy = rng.random(len(members)) < 0.6
    link_shared(market, CREATOR, members[on_proxy], IP, rng.choice(proxies, int(on_proxy.sum())),
            start, rng)

    buyers = ring.buyers
    if buyers.size:
        on_device = rng.random(len(buyers)) < 0.8
        market.drop_own(BUYER, buyers[on_device & (rng.random(len(buyers)) < 0.5)], DEVICE)
        link_shared(market, BUYER, buyers[on_device], DEVICE,
                rng.choice(devices, int(on_device.sum())), start, rng)
        on_proxy = rng.random(len(buyers)) < 0.7
        link_shared(market, BUYER, buyers[on_proxy], IP, rng.choice(proxies, int(on_proxy.sum())),
                start, rng)

    targets = sampler.open_shops(int(rng.integers(2, 5)), start, rng)
    creator = np.repeat(members, 1 + (rng.random(len(members)) < 0.5))
    creator, shop = distinct_pairs(market, creator, rng.choice(targets, len(creator)))
    started = affiliate(market, creator, shop, normal_rates(market, shop, rng), start, rng)
    if buyers.size:
        ring_orders(market, buyers=buyers, creators=creator, shops=shop, started=started,
                     n=int(rng.integers(10, 61)), window=(start, end), rng=rng,
                     refund_rate=rng.uniform(0.15, 0.5), late_share=0.8)
    market.label(ring, CREATOR, members)
    market.label(ring, BUYER, buyers)


def _collusion_ring(market: Market, ring: Ring, sampler: MarketSampler,
                    rng: np.random.Generator) -> None:
    start, end = active_window(rng)
    registered_before(market, ring, start, rng)
    creators, shops, buyers = ring.creators, ring.shops, ring.buyers
    mostly_one_region(market, creators, rng, share=0.6)

    devices = market.new_identifiers(DEVICE, min(4, 1 + len(buyers) // 8))
    proxies = market.new_identifiers(IP, int(rng.integers(1, 4)))
    on_device = rng.random(len(buyers)) < 0.85
    market.drop_own(BUYER, buyers[on_device & (rng.random(len(buyers)) < 0.8)], DEVICE)
    link_shared(market, BUYER, buyers[on_device], DEVICE, rng.choice(devices, int(on_device.sum())),
            start, rng)
    on_proxy = rng.random(len(buyers)) < 0.7
    link_shared(market, BUYER, buyers[on_proxy], IP, rng.choice(proxies, int(on_proxy.sum())),
            start, rng)
    if rng.random() < 0.3:  # a seller and a creator met on one network (weak evidence)
        meeting = market.new_identifiers(IP, 1)
        link_shared(market, SELLER, ring.sellers[:1], IP, meeting, start, rng)
        link_shared(market, CREATOR, creators[:1], IP, meeting, start, rng)

    creator, shop = trade_grid(creators, shops, 0.8, rng)
    rate = inflated_rates(market, shop, (1.6, 2.6), rng)
    started = affiliate(market, creator, shop, rate, start, rng)
    ring_orders(market, buyers=buyers, creators=creator, shops=shop, started=started,
                 n=int(rng.integers(40, 161)), window=(start, end), rng=rng,
                 buyer_weights=rng.dirichlet(np.full(len(buyers), 0.7)),
                 refund_rate=rng.uniform(0.35, 0.8), late_share=0.85,
                 markup=rng.uniform(1.2, 2.0))
    market.label(ring, CREATOR, creators)
    market.label(ring, SELLER, ring.sellers)
    market.label(ring, SHOP, shops)
    market.label(ring, BUYER, buyers)


def _self_purchase(market: Market, ring: Ring, sampler: MarketSampler,
                   rng: np.random.Generator) -> None:
    start, end = active_window(rng)
    registered_before(market, ring, start, rng)
    creator, buyers = ring.creators, ring.buyers
    share_device, share_payout, share_phone = rng.random(3) < [0.7, 0.4, 0.4]
    share_device |= not (share_payout or share_phone)
    if share_device:
        device = market.new_identifiers(DEVICE, 1)
        market.drop_own(BUYER, buyers[rng.random(len(buyers)) < 0.5], DEVICE)
        link_shared(market, CREATOR, creator, DEVICE, device, start, rng)
        link_shared(market, BUYER, buyers, DEVICE, device, start, rng)
    for shared, kind in ((share_payout, PAYOUT), (share_phone, PHONE)):
        if shared:
            one_operator(market, [(CREATOR, creator), (BUYER, buyers)], kind, start, rng)
    if rng.random() < 0.6:
        home = market.new_identifiers(IP, 1)
        link_shared(market, CREATOR, creator, IP, home, start, rng)
        link_shared(market, BUYER, buyers, IP, home, start, rng)

    shops = sampler.open_shops(int(rng.integers(1, 3)), start, rng)
    creators = np.full(len(shops), creator[0])
    started = affiliate(market, creators, shops, normal_rates(market, shops, rng), start, rng)
    ring_orders(market, buyers=buyers, creators=creators, shops=shops, started=started,
                 n=int(rng.integers(5, 41)), window=(start, end), rng=rng,
                 refund_rate=rng.uniform(0.4, 0.9), late_share=0.85)
    market.label(ring, CREATOR, creator)
    market.label(ring, BUYER, buyers)


def _self_dealing(market: Market, ring: Ring, sampler: MarketSampler,
                  rng: np.random.Generator) -> None:
    start, end = active_window(rng)
    registered_before(market, ring, start, rng)
    seller, creator, shops = ring.sellers, ring.creators, ring.shops
    kinds = np.array([DEVICE, PHONE, PAYOUT, EMAIL])
    shared = rng.random(4) < [0.6, 0.5, 0.5, 0.3]
    if not shared[:3].any():
        shared[rng.integers(0, 3)] = True
    for kind in kinds[shared]:
        one_operator(market, [(SELLER, seller), (CREATOR, creator)], int(kind), start, rng)

    promoted = rng.permutation(shops)[:int(rng.integers(1, len(shops) + 1))]
    creators = np.full(len(promoted), creator[0])
    rate = np.round(np.minimum(normal_rates(market, promoted, rng)
                               * rng.uniform(1.0, 1.6, len(promoted)), 0.5), 2)
    started = affiliate(market, creators, promoted, rate, start, rng)
    n = int(rng.integers(20, 101))
    buyers = sampler.honest_buyers(n, rng)
    ring_orders(market, buyers=buyers, creators=creators, shops=promoted, started=started,
                 n=n, window=(start, end), rng=rng, buyer_weights=np.full(n, 1.0 / n))
    market.label(ring, SELLER, seller)
    market.label(ring, CREATOR, creator)
    market.label(ring, SHOP, promoted)


_PLANTERS: dict[str, Callable[[Market, Ring, MarketSampler, np.random.Generator], None]] = {
    "account_farm": _account_farm,
    "collusion_ring": _collusion_ring,
    "self_purchase": _self_purchase,
    "self_dealing": _self_dealing,
}


# --- shared steps -------------------------------------------------------------------

def active_window(rng: np.random.Generator) -> tuple[int, int]:
    """When a ring operates: one to five months starting in the first half of the window."""
    start = WINDOW_START + int(rng.random() * 0.55 * (SNAPSHOT_END - WINDOW_START))
    return start, min(SNAPSHOT_END - DAY, start + int(rng.uniform(45, 150) * DAY))


def registered_before(market: Market, ring: Ring, start: int, rng: np.random.Generator) -> None:
    """Move any member that registered after a month before ``start`` to earlier.

    Moving a registration earlier never breaks what was drawn from it (links,
    affiliations and orders all come after it).
    """
    cutoff = start - 30 * DAY
    for times, members in ((market.creators.registered_at, ring.creators),
                           (market.shops.registered_at, ring.shops),
                           (market.buyers.since, ring.buyers)):
        late = members[times[members] > cutoff]
        times[late] = cutoff - rng.integers(0, 120 * DAY, len(late))
    if ring.shops.size:
        owners, which = np.unique(market.shops.seller[ring.shops], return_inverse=True)
        earliest = np.full(len(owners), np.iinfo(np.int64).max)
        np.minimum.at(earliest, which, market.shops.registered_at[ring.shops])
        times = market.sellers.registered_at
        times[owners] = np.minimum(times[owners], earliest)


def mostly_one_region(market: Market, creators: np.ndarray, rng: np.random.Generator, *,
                      share: float) -> None:
    """Rings are local: most members claim the region of one of them."""
    region = market.creators.region
    home = region[rng.choice(creators)]
    region[creators[rng.random(len(creators)) < share]] = home


def link_shared(market: Market, account_type: int, accounts: np.ndarray, identifier_type: int,
                identifiers: np.ndarray, start: int, rng: np.random.Generator) -> None:
    """Link accounts to a ring's shared identifiers, first seen around when the ring began."""
    accounts = np.asarray(accounts)
    not_before = start - rng.integers(0, 60 * DAY, len(accounts))
    market.link(account_type, accounts, identifier_type, identifiers, not_before=not_before)


def one_operator(market: Market, groups: list[tuple[int, np.ndarray]], identifier_type: int,
                 start: int, rng: np.random.Generator) -> None:
    """Accounts of one operator use one identifier of a type instead of their own."""
    identifier = market.new_identifiers(identifier_type, 1)
    for account_type, accounts in groups:
        market.drop_own(account_type, accounts, identifier_type)
        link_shared(market, account_type, accounts, identifier_type, identifier, start, rng)


class MarketSampler:
    """Draws from the honest marketplace that every ring needs, in O(log n) per ring.

    Cumulative weights are computed once, not once per ring, so planting stays
    linear in the number of rings.
    """

    def __init__(self, market: Market) -> None:
        shops = market.shops
        honest = np.arange(shops.honest)
        self._shops = honest[np.argsort(shops.registered_at[honest], kind="stable")]
        self._shop_opened = shops.registered_at[self._shops]
        self._shop_cdf = np.cumsum(shops.popularity[self._shops])
        self._buyer_cdf = np.cumsum(market.buyers.activity[:market.buyers.honest])

    def open_shops(self, n: int, start: int, rng: np.random.Generator) -> np.ndarray:
        """Up to ``n`` distinct honest shops, popular ones first, open a month before ``start``."""
        available = max(1, int(np.searchsorted(self._shop_opened, start - 30 * DAY)))
        cdf = self._shop_cdf[:available]
        picks = np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right")
        return np.unique(self._shops[np.minimum(picks, available - 1)])

    def honest_buyers(self, n: int, rng: np.random.Generator) -> np.ndarray:
        """``n`` honest buyers, the active ones more often."""
        picks = np.searchsorted(self._buyer_cdf, rng.random(n) * self._buyer_cdf[-1], side="right")
        return np.minimum(picks, len(self._buyer_cdf) - 1)


def distinct_pairs(market: Market, creators: np.ndarray, shops: np.ndarray
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Distinct (creator, shop) pairs of the given ones, sorted."""
    n_shops = len(market.shops.seller)
    pairs = np.unique(creators * n_shops + shops)
    return pairs // n_shops, pairs % n_shops


def affiliate(market: Market, creators: np.ndarray, shops: np.ndarray, rates: np.ndarray,
              start: int, rng: np.random.Generator) -> np.ndarray:
    """Ring affiliations, begun shortly before the ring starts trading; returns start times."""
    latest = start - rng.integers(DAY, 20 * DAY, len(creators))
    started = start_times(market, creators, shops, rng, latest=latest)
    market.affiliations.append(creator=creators, shop=shops, rate=rates, started_at=started,
                               priority=RING_PRIORITY)
    return started


def ring_orders(market: Market, *, buyers: np.ndarray, creators: np.ndarray, shops: np.ndarray,
                started: np.ndarray, n: int, window: tuple[int, int], rng: np.random.Generator,
                buyer_weights: np.ndarray | None = None, refund_rate: float | None = None,
                late_share: float = 0.0, markup: float = 1.0) -> None:
    """``n`` orders by ``buyers`` through the ring's (creator, shop) deals inside ``window``."""
    deal = rng.integers(0, len(creators), n)
    weights = np.full(len(buyers), 1.0) if buyer_weights is None else buyer_weights
    start, end = window
    add_orders(market, buyers=buyers[weighted_choice(weights, n, rng)], shops=shops[deal],
               creators=creators[deal],
               placed_at=between(np.maximum(started[deal], start), end, rng), rng=rng,
               refund_rate=refund_rate, late_share=late_share, markup=markup)


def trade_grid(creators: np.ndarray, shops: np.ndarray, density: float,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """The creator-shop pairs a ring trades on: each pair with ``density``, every creator and
    every shop on at least one. Returns the pairs' creators and shops."""
    grid = rng.random((len(creators), len(shops))) < density
    grid[np.arange(len(creators)), rng.integers(0, len(shops), len(creators))] = True
    grid[rng.integers(0, len(creators), len(shops)), np.arange(len(shops))] = True
    row, col = np.nonzero(grid)
    return creators[row], shops[col]


def inflated_rates(market: Market, shop: np.ndarray, factor: tuple[float, float],
                   rng: np.random.Generator) -> np.ndarray:
    """Commission rates ``factor`` times the category's middle rate, above its honest range."""
    category = market.shops.category[shop]
    norm = (RATE_LOW[category] + RATE_HIGH[category]) / 2
    return np.round(np.clip(norm * rng.uniform(*factor, len(shop)),
                            RATE_HIGH[category] + 0.02, 0.6), 2)
