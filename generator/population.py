"""The honest marketplace, which is most of the data.

Creators (some in agencies), sellers with one to three shops, buyers, their own
devices, IPs, phones, emails and payout accounts, casual affiliations, organic
and attributed orders, and a few minor policy violations. Sizes are heavy-tailed
(shop popularity, creator reach, buyer activity are log-normal), as on real
marketplaces where a few shops and creators carry most of the volume.

Accounts reserved for planted rings are drawn here too, from the same
distributions, and lead the same ordinary lives (own identifiers, casual
affiliations, organic orders): that ordinariness is their camouflage.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from .catalog import (
    CATEGORIES,
    CATEGORY_SHARES,
    CROSS_BORDER_REGIONS,
    CROSS_BORDER_SHARE,
    DOMESTIC_REGIONS,
    DOMESTIC_SHARES,
    HONEST_POLICY_SHARES,
    PRICE_MEDIAN,
    RATE_HIGH,
    RATE_LOW,
)
from .clock import DAY, HISTORY_START, SNAPSHOT_END, WINDOW_START, between, registration_times
from .config import Sizes
from .market import (
    BUYER,
    CREATOR,
    DEVICE,
    EMAIL,
    IP,
    PAYOUT,
    PHONE,
    SELLER,
    Buyers,
    Creators,
    IpPools,
    Market,
    Ring,
    RingSpec,
    Sellers,
    Shops,
)

_CANCEL_RATE = 0.02
#: Share of personal devices and phones that also turn up on an unrelated account
#: (second-hand phones, recycled numbers): honest noise on strong identifiers.
_RECYCLED = 0.004
#: Caps on the log-normal weights, so one freak draw cannot take over the market
#: (the hit shops of ``lookalikes`` are the deliberate outliers).
_POPULARITY_CAP = 150.0
_REACH_CAP = 200.0


def populate(sizes: Sizes, specs: Sequence[RingSpec], *, hard_negatives: bool,
             rng: np.random.Generator) -> Market:
    """Build the honest marketplace, with accounts reserved for ``specs`` living ordinary lives.

    Returns the market with entities, personal identity links, casual
    affiliations, honest orders and honest violations; ``market.rings`` holds
    the accounts reserved for each planted ring.
    """
    creators = _creators(sizes.creators, sum(s.creators for s in specs), rng)
    sellers, shops = _sellers_and_shops(
        sizes.sellers, [n for s in specs for n in s.seller_shops], rng)
    buyers = _buyers(sizes.buyers, sum(s.buyers for s in specs), rng)
    market = Market(creators=creators, sellers=sellers, shops=shops, buyers=buyers,
                    agencies=0, rings=_reserve(specs, creators, sellers, shops, buyers))
    _agencies(market, sizes, rng)
    market.ip_pools = _ip_pools(market, sizes, hard_negatives=hard_negatives, rng=rng)
    _own_identity(market, rng)
    _casual_affiliations(market, rng)
    _honest_orders(market, sizes, rng)
    add_violations(market, np.arange(creators.honest), rng, probability=0.03,
                   policy_shares=HONEST_POLICY_SHARES, severity_shares=(0.85, 0.14, 0.01))
    return market


# --- shared draws (also used by the look-alikes and the planted rings) -----------------

def weighted_choice(weights: np.ndarray, n: int, rng: np.random.Generator) -> np.ndarray:
    """``n`` indices drawn with replacement, proportionally to ``weights``."""
    cdf = np.cumsum(weights, dtype=np.float64)
    picks = np.searchsorted(cdf, rng.random(n) * cdf[-1], side="right")
    return np.minimum(picks, len(weights) - 1)


def order_amounts(categories: np.ndarray, rng: np.random.Generator, *,
                  markup: float = 1.0) -> np.ndarray:
    """Order totals in USD: a log-normal price around the category's median, times a quantity."""
    n = len(categories)
    quantity = 1 + (rng.random(n) < 0.2) + (rng.random(n) < 0.05)
    price = PRICE_MEDIAN[categories] * rng.lognormal(0.0, 0.55, n) * markup
    return np.maximum(np.round(price * quantity, 2), 1.0)


def normal_rates(market: Market, shops: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Commission rates inside each shop's category norm, in whole percent."""
    category = market.shops.category[shops]
    rate = RATE_LOW[category] + rng.random(len(shops)) * (RATE_HIGH[category] - RATE_LOW[category])
    return np.round(rate, 2)


def start_times(market: Market, creators: np.ndarray, shops: np.ndarray,
                rng: np.random.Generator, *, latest: np.ndarray | int = SNAPSHOT_END - 3 * DAY
                ) -> np.ndarray:
    """When each (creator, shop) affiliation starts: after both registered, before ``latest``.

    A pair that registered after ``latest`` starts within a day of registering.
    """
    low = np.maximum(market.creators.registered_at[creators], market.shops.registered_at[shops])
    high = np.maximum(np.asarray(latest, dtype=np.int64), low + DAY)
    return low + ((high - low) * rng.beta(1.0, 2.5, len(low))).astype(np.int64)


def add_orders(market: Market, *, buyers: np.ndarray, shops: np.ndarray, creators: np.ndarray,
               placed_at: np.ndarray, rng: np.random.Generator,
               refund_rate: np.ndarray | float | None = None, late_share: float = 0.0,
               markup: float = 1.0) -> None:
    """Append orders; refunds follow the shop's own rate unless ``refund_rate`` overrides it.

    ``late_share`` of the refunded attributed orders are refunded only after
    their commission was paid out (the settlement stage times them).
    """
    n = len(buyers)
    if n == 0:
        return
    rate = market.shops.refund_rate[shops] if refund_rate is None else refund_rate
    draw = rng.random(n)
    refunded = draw < rate
    cancelled = ~refunded & (draw < rate + _CANCEL_RATE)
    late = refunded & (creators >= 0) & (rng.random(n) < late_share)
    market.orders.append(
        buyer=buyers, shop=shops, creator=creators,
        amount=order_amounts(market.shops.category[shops], rng, markup=markup),
        placed_at=placed_at, refunded=refunded, cancelled=cancelled, late_refund=late)


def add_violations(market: Market, creators: np.ndarray, rng: np.random.Generator, *,
                   probability: float, policy_shares: np.ndarray,
                   severity_shares: tuple[float, float, float]) -> None:
    """Give each of ``creators`` a policy violation with ``probability``."""
    who = creators[rng.random(len(creators)) < probability]
    if who.size == 0:
        return
    occurred = between(np.maximum(market.creators.registered_at[who], WINDOW_START - 365 * DAY),
                       SNAPSHOT_END, rng)
    market.violations.append(
        creator=who, policy=rng.choice(len(policy_shares), len(who), p=policy_shares),
        severity=rng.choice(3, len(who), p=severity_shares), occurred_at=occurred)


def shops_in_categories(market: Market, categories: np.ndarray, rng: np.random.Generator,
                        *, candidates: np.ndarray | None = None) -> np.ndarray:
    """One shop per requested category, popular shops more likely (any shop if none fits)."""
    pool = np.arange(len(market.shops.seller)) if candidates is None else candidates
    picks = np.empty(len(categories), dtype=np.int64)
    for category in np.unique(categories):
        wanted = categories == category
        fitting = pool[market.shops.category[pool] == category]
        if fitting.size == 0:
            fitting = pool
        chosen = weighted_choice(market.shops.popularity[fitting], int(wanted.sum()), rng)
        picks[wanted] = fitting[chosen]
    return picks


# --- entities -----------------------------------------------------------------------

def _creators(honest: int, planted: int, rng: np.random.Generator) -> Creators:
    n = honest + planted
    return Creators(
        registered_at=registration_times(n, rng),
        region=rng.choice(len(DOMESTIC_REGIONS), n, p=DOMESTIC_SHARES).astype(np.int16),
        agency=np.full(n, -1, dtype=np.int64),
        reach=np.minimum(rng.lognormal(0.0, 1.3, n), _REACH_CAP),
        niche=rng.choice(len(CATEGORIES), (n, 2), p=CATEGORY_SHARES),
        honest=honest)


def _sellers_and_shops(honest: int, planted_shops: list[int], rng: np.random.Generator
                       ) -> tuple[Sellers, Shops]:
    n = honest + len(planted_shops)
    registered = registration_times(n, rng, end=SNAPSHOT_END - 30 * DAY)
    domestic = rng.choice(len(DOMESTIC_REGIONS), n, p=DOMESTIC_SHARES)
    abroad = len(DOMESTIC_REGIONS) + (rng.random(n) < 0.25) * (len(CROSS_BORDER_REGIONS) - 1)
    region = np.where(rng.random(n) < CROSS_BORDER_SHARE, abroad, domestic).astype(np.int16)
    per_seller = np.concatenate([rng.choice([1, 2, 3], honest, p=[0.65, 0.25, 0.10]),
                                 np.asarray(planted_shops, dtype=np.int64)]).astype(np.int64)
    seller = np.repeat(np.arange(n), per_seller)
    m = len(seller)
    shop_registered = registered[seller] + (
        (SNAPSHOT_END - 10 * DAY - registered[seller]) * rng.beta(1.0, 4.0, m)).astype(np.int64)
    main = rng.choice(len(CATEGORIES), n, p=CATEGORY_SHARES)
    category = np.where(rng.random(m) < 0.75, main[seller],
                        rng.choice(len(CATEGORIES), m, p=CATEGORY_SHARES))
    shop_region = np.where(rng.random(m) < 0.9, region[seller],
                           rng.choice(len(DOMESTIC_REGIONS), m, p=DOMESTIC_SHARES))
    shops = Shops(seller=seller, registered_at=shop_registered,
                  region=shop_region.astype(np.int16), category=category,
                  popularity=np.minimum(rng.lognormal(0.0, 1.5, m), _POPULARITY_CAP),
                  refund_rate=rng.beta(2.0, 38.0, m),
                  honest=int(per_seller[:honest].sum()))
    return Sellers(registered_at=registered, region=region, honest=honest), shops


def _buyers(honest: int, planted: int, rng: np.random.Generator) -> Buyers:
    n = honest + planted
    return Buyers(since=registration_times(n, rng, start=HISTORY_START,
                                           end=SNAPSHOT_END - 5 * DAY),
                  activity=rng.lognormal(0.0, 1.0, n), honest=honest)


def _reserve(specs: Sequence[RingSpec], creators: Creators, sellers: Sellers, shops: Shops,
             buyers: Buyers) -> list[Ring]:
    """Hand each ring the accounts drawn for it (after the honest ones)."""
    shop_start = np.concatenate([[0], np.cumsum(np.bincount(shops.seller))])
    c, s, b = creators.honest, sellers.honest, buyers.honest
    rings = []
    for number, spec in enumerate(specs):
        ring_sellers = np.arange(s, s + len(spec.seller_shops))
        ring_shops = np.concatenate(
            [np.arange(shop_start[x], shop_start[x + 1]) for x in ring_sellers]
            or [np.empty(0, dtype=np.int64)])
        rings.append(Ring(number=number, spec=spec, creators=np.arange(c, c + spec.creators),
                          sellers=ring_sellers, shops=ring_shops,
                          buyers=np.arange(b, b + spec.buyers)))
        c, s, b = c + spec.creators, s + len(spec.seller_shops), b + spec.buyers
    return rings


def _agencies(market: Market, sizes: Sizes, rng: np.random.Generator) -> None:
    """Put a share of honest creators into agencies (MCNs): a few big ones, many small."""
    honest = market.creators.honest
    members = round(sizes.agency_share * honest)
    big = rng.integers(25, 61, sizes.big_agencies)
    big = big[np.cumsum(big) <= members]
    small = 2 + rng.geometric(0.22, max(1, members // 2))
    small = small[np.cumsum(small) <= members - big.sum()]
    agency_sizes = np.concatenate([big, small])
    if agency_sizes.size == 0:
        return
    chosen = rng.permutation(honest)[:agency_sizes.sum()]
    market.creators.agency[chosen] = np.repeat(np.arange(len(agency_sizes)), agency_sizes)
    market.agencies = len(agency_sizes)
    # A few ring creators also sit in some agency: membership is no alibi.
    planted = np.arange(honest, len(market.creators.agency))
    joined = planted[rng.random(len(planted)) < 0.05]
    market.creators.agency[joined] = rng.integers(0, market.agencies, len(joined))


# --- identity ------------------------------------------------------------------------

def _ip_pools(market: Market, sizes: Sizes, *, hard_negatives: bool,
              rng: np.random.Generator) -> IpPools:
    accounts = (len(market.creators.reach) + len(market.sellers.region)
                + len(market.buyers.activity))
    nat = market.new_identifiers(IP, max(5, accounts // 30))
    cgnat = (market.new_identifiers(IP, sizes.cgnat_ips) if hard_negatives
             else np.empty(0, dtype=np.int64))
    return IpPools(cgnat=cgnat, nat=nat, nat_weights=rng.lognormal(0.0, 1.2, len(nat)))


def draw_ips(market: Market, n: int, rng: np.random.Generator) -> np.ndarray:
    """IPs for ``n`` links: a carrier-grade NAT egress, a small shared NAT, or the account's own."""
    pools = market.ip_pools
    assert pools is not None
    ips = np.empty(n, dtype=np.int64)
    draw = rng.random(n)
    p_cgnat = 0.3 if pools.cgnat.size else 0.0
    p_nat = 0.3 if pools.cgnat.size else 0.4
    cgnat = draw < p_cgnat
    ips[cgnat] = pools.cgnat[rng.integers(0, max(1, len(pools.cgnat)), int(cgnat.sum()))]
    nat = (draw >= p_cgnat) & (draw < p_cgnat + p_nat)
    ips[nat] = pools.nat[weighted_choice(pools.nat_weights, int(nat.sum()), rng)]
    own = draw >= p_cgnat + p_nat
    ips[own] = market.new_identifiers(IP, int(own.sum()))
    return ips


#: account type -> identifier type -> (probabilities of having a first, second, third one).
_OWN_IDENTIFIERS: dict[int, dict[int, tuple[float, ...]]] = {
    CREATOR: {DEVICE: (1.0, 0.35, 0.08), IP: (1.0, 0.5, 0.2), PAYOUT: (0.96,), PHONE: (1.0,),
              EMAIL: (1.0,)},
    SELLER: {DEVICE: (1.0, 0.4), IP: (1.0, 0.5), PAYOUT: (1.0,), PHONE: (1.0,), EMAIL: (1.0,)},
    BUYER: {DEVICE: (1.0, 0.2), IP: (1.0, 0.35), PAYOUT: (0.15,), PHONE: (0.55,),
            EMAIL: (0.92,)},
}


def _own_identity(market: Market, rng: np.random.Generator) -> None:
    """Every account's personal identifiers (buyers' payout accounts are saved wallets)."""
    counts = {CREATOR: len(market.creators.reach), SELLER: len(market.sellers.region),
              BUYER: len(market.buyers.activity)}
    for account_type, identifiers in _OWN_IDENTIFIERS.items():
        n = counts[account_type]
        for identifier_type, chances in identifiers.items():
            how_many = sum((rng.random(n) < p).astype(np.int64) for p in chances)
            accounts = np.repeat(np.arange(n), how_many)
            if identifier_type == IP:
                values = draw_ips(market, len(accounts), rng)
            else:
                values = market.new_identifiers(identifier_type, len(accounts))
                if identifier_type in (DEVICE, PHONE) and len(values):
                    reused = np.flatnonzero(rng.random(len(values)) < _RECYCLED)
                    values[reused] = values[rng.integers(0, len(values), len(reused))]
            market.link(account_type, accounts, identifier_type, values, own=True)


# --- commerce ------------------------------------------------------------------------

def _casual_affiliations(market: Market, rng: np.random.Generator) -> None:
    """Creators promote a few shops in their niches at the category's usual rate."""
    creators = market.creators
    n = len(creators.reach)
    per_creator = rng.geometric(0.5, n) + np.floor(0.6 * np.log1p(creators.reach)).astype(int)
    per_creator[rng.random(n) < 0.1] = 0
    creator = np.repeat(np.arange(n), np.minimum(per_creator, 25))
    draw = rng.random(len(creator))
    category = np.where(draw < 0.6, creators.niche[creator, 0],
                        np.where(draw < 0.85, creators.niche[creator, 1],
                                 rng.choice(len(CATEGORIES), len(creator), p=CATEGORY_SHARES)))
    shop = shops_in_categories(market, category, rng)
    _, first = np.unique(creator * len(market.shops.seller) + shop, return_index=True)
    first.sort()
    creator, shop = creator[first], shop[first]
    market.affiliations.append(creator=creator, shop=shop, rate=normal_rates(market, shop, rng),
                               started_at=start_times(market, creator, shop, rng), priority=0)


def _active_share(start: np.ndarray) -> np.ndarray:
    """Share of the order window after ``start``: a late starter has had less time to sell."""
    return np.clip((SNAPSHOT_END - np.maximum(start, WINDOW_START))
                   / (SNAPSHOT_END - WINDOW_START), 0.0, 1.0)


def _honest_orders(market: Market, sizes: Sizes, rng: np.random.Generator) -> None:
    """Organic orders by shop popularity and attributed ones through casual affiliations."""
    shops = market.shops
    weight = shops.popularity * _active_share(shops.registered_at)
    shop = weighted_choice(weight, sizes.organic_orders, rng)
    add_orders(market, buyers=weighted_choice(market.buyers.activity, len(shop), rng),
               shops=shop, creators=np.full(len(shop), -1, dtype=np.int64),
               placed_at=between(np.maximum(shops.registered_at[shop], WINDOW_START),
                                 SNAPSHOT_END, rng),
               rng=rng)

    aff = market.affiliations.concat()
    weight = (market.creators.reach[aff["creator"]] * np.sqrt(shops.popularity[aff["shop"]])
              * _active_share(aff["started_at"] + DAY))
    if aff["creator"].size == 0 or weight.sum() <= 0:
        return
    pick = weighted_choice(weight, sizes.attributed_orders, rng)
    add_orders(market, buyers=weighted_choice(market.buyers.activity, len(pick), rng),
               shops=aff["shop"][pick], creators=aff["creator"][pick],
               placed_at=between(np.maximum(aff["started_at"][pick], WINDOW_START),
                                 SNAPSHOT_END, rng),
               rng=rng)
