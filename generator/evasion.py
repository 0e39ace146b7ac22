"""Evasive fraud for the ``evasion`` profile: rings built to slip past rules tuned on the plain ones.

Each tactic is a typology of its own in ``labels.csv``, so a benchmark can say
which evasion a detector misses. Every tactic's knobs (group sizes, burst
widths, how often a chain closes, how much camouflage) are drawn once per seed
(:class:`Tactics`), so a detector tuned on a few seeds meets other settings on
the held-out ones.

- ``agency_farm``: a farm whose creators declare one agency (sharing inside an
  agency is expected), log in from a fake office IP, share payout accounts in
  small groups off the allowlist, sit on a device chain and registered in a
  burst;
- ``device_chain_farm``: each account has its own device, shared only with its
  neighbour (a-b, b-c, c-d...), so no identifier is shared by more than two;
- ``split_payout_farm``: payouts split over several small payout accounts,
  each shared by two or three farm accounts, overlapping along the farm;
- ``burst_farm``: accounts registered within hours of each other with fresh
  identifiers first seen in the same narrow windows; they share only proxy IPs
  and, now and then, a payout account between two;
- ``thin_collusion``: fake orders spread over many creator-shop pairs, each
  pair showing at most one weak signal, while the creator-shop-buyer block is
  dense as a whole;
- ``camouflaged_collusion``: a collusion ring whose creators, buyers and shops
  also do plenty of ordinary business with ordinary counterparts.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

import numpy as np

from .catalog import RING_POLICY_SHARES
from .clock import DAY, HOUR, SNAPSHOT_END, WINDOW_START, between
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
    Market,
    Ring,
    RingSpec,
)
from .population import add_orders, add_violations, normal_rates
from .typologies import (
    MarketSampler,
    active_window,
    affiliate,
    distinct_pairs,
    inflated_rates,
    link_shared,
    mostly_one_region,
    registered_before,
    ring_orders,
    trade_grid,
)

EVASION_TYPOLOGIES = ("agency_farm", "device_chain_farm", "split_payout_farm", "burst_farm",
                      "thin_collusion", "camouflaged_collusion")


@dataclass(frozen=True)
class Tactics:
    """How this seed's adversaries evade: drawn once per snapshot, shared by every ring of a tactic."""

    #: agency farm: accounts per shared payout account (2 or 3).
    payout_group: int
    #: agency farm: share of members on the farm's "office" IP.
    office_share: float
    #: agency and burst farms: width of the registration burst, in seconds.
    burst_width: int
    #: device chains: chance that a chain closes into a loop.
    chain_closed: float
    #: device chains: share of chain links that skip one account (a-c instead of a-b).
    chain_skip: float
    #: chain and split-payout farms: share of members also on a proxy IP.
    proxy_share: float
    #: split-payout farm: share of windows of three (the rest are pairs).
    split_threes: float
    #: split-payout farm: extra payout accounts across the farm, per member.
    split_extra: float
    #: burst farm: chance that two consecutive members share a payout account.
    burst_payout_pairs: float
    #: thin collusion: share of creator-shop pairs that trade.
    thin_density: float
    #: thin collusion: at most this many fake orders per pair.
    thin_orders: int
    #: thin collusion: commission rate multiplier on the pairs whose signal is the rate.
    thin_rate_bump: float
    #: camouflaged collusion: ordinary orders per fake order.
    camouflage: float

    @classmethod
    def draw(cls, rng: np.random.Generator) -> Tactics:
        """One seed's tactics."""
        return cls(
            payout_group=int(rng.choice([2, 3])),
            office_share=float(rng.uniform(0.5, 0.9)),
            burst_width=int(rng.uniform(1, 12) * HOUR),
            chain_closed=float(rng.uniform(0.0, 0.4)),
            chain_skip=float(rng.uniform(0.0, 0.25)),
            proxy_share=float(rng.uniform(0.0, 0.5)),
            split_threes=float(rng.uniform(0.2, 0.8)),
            split_extra=float(rng.uniform(0.0, 0.3)),
            burst_payout_pairs=float(rng.uniform(0.1, 0.5)),
            thin_density=float(rng.uniform(0.6, 0.95)),
            thin_orders=int(rng.integers(1, 4)),
            thin_rate_bump=float(rng.uniform(1.15, 1.45)),
            camouflage=float(rng.uniform(1.0, 4.0)),
        )


def plan_evasion(per_typology: int, rng: np.random.Generator) -> list[RingSpec]:
    """``per_typology`` rings of each evasion tactic, with member counts (ids given by the caller)."""
    return [_spec(typology, rng) for typology in EVASION_TYPOLOGIES for _ in range(per_typology)]


def number_rings(specs: list[RingSpec], rng: np.random.Generator) -> list[RingSpec]:
    """All rings in random order, numbered ``L-0001``...: neither an id nor a position says the tactic."""
    order = rng.permutation(len(specs))
    return [replace(specs[i], ring_id=f"L-{n + 1:04d}") for n, i in enumerate(order)]


def plant_evasion(market: Market, *, rng: np.random.Generator) -> Tactics:
    """Plant every reserved ring of an evasion tactic; returns the tactics drawn for this seed."""
    tactics = Tactics.draw(rng)
    sampler = MarketSampler(market)
    for ring in market.rings:
        planter = _PLANTERS.get(ring.spec.typology)
        if planter is None:
            continue
        planter(market, ring, sampler, tactics, rng)
        add_violations(market, ring.creators, rng, probability=0.08,
                       policy_shares=RING_POLICY_SHARES, severity_shares=(0.5, 0.42, 0.08))
    return tactics


def _spec(typology: str, rng: np.random.Generator) -> RingSpec:
    def farm_buyers(low: int, high: int, none: float) -> int:
        return 0 if rng.random() < none else int(rng.integers(low, high + 1))

    if typology == "agency_farm":
        return RingSpec("", typology, int(rng.integers(6, 21)), (), farm_buyers(2, 6, 0.5))
    if typology == "device_chain_farm":
        return RingSpec("", typology, int(rng.integers(5, 16)), (), farm_buyers(2, 5, 0.5))
    if typology == "split_payout_farm":
        return RingSpec("", typology, int(rng.integers(5, 16)), (), farm_buyers(2, 5, 0.6))
    if typology == "burst_farm":
        return RingSpec("", typology, int(rng.integers(6, 21)), (), 0)
    if typology == "thin_collusion":
        sellers = int(rng.integers(2, 5))
        return RingSpec("", typology, int(rng.integers(5, 13)),
                        tuple(int(x) for x in rng.integers(1, 3, sellers)),
                        int(rng.integers(8, 31)))
    if typology == "camouflaged_collusion":
        sellers = int(rng.integers(1, 4))
        shops = int(rng.integers(max(2, sellers), 6))
        split = 1 + rng.multinomial(shops - sellers, np.full(sellers, 1 / sellers))
        return RingSpec("", typology, int(rng.integers(3, 9)), tuple(int(x) for x in split),
                        int(rng.integers(5, 26)))
    raise ValueError(f"unknown evasion typology {typology!r}")


# --- the tactics ---------------------------------------------------------------------------

def _agency_farm(market: Market, ring: Ring, sampler: MarketSampler, tactics: Tactics,
                 rng: np.random.Generator) -> None:
    start, end = active_window(rng)
    registered_before(market, ring, start, rng)
    creators = ring.creators
    mostly_one_region(market, creators, rng, share=0.8)
    market.creators.agency[creators] = market.agencies
    market.agencies += 1
    registered = burst_registration(market, CREATOR, creators, tactics.burst_width, rng)
    soon = registered + rng.integers(0, tactics.burst_width + 1, len(creators))

    types, accounts, first_seen = _members(ring, soon, rng)
    device_chain(market, types, accounts, tactics, start, rng, first_seen=first_seen)
    sizes = small_groups(len(creators), tactics.payout_group)
    group = np.repeat(np.arange(len(sizes)), sizes)[rng.permutation(len(creators))]
    payouts = market.new_identifiers(PAYOUT, len(sizes))
    market.drop_own(CREATOR, creators, PAYOUT)
    market.link(CREATOR, creators, PAYOUT, payouts[group], first_seen=soon)
    office = market.new_identifiers(IP, int(rng.integers(1, 3)))
    at_office = rng.random(len(creators)) < tactics.office_share
    market.link(CREATOR, creators[at_office], IP, rng.choice(office, int(at_office.sum())),
                first_seen=soon[at_office])
    _farm_commerce(market, ring, sampler, (start, end), rng)


def _device_chain_farm(market: Market, ring: Ring, sampler: MarketSampler, tactics: Tactics,
                       rng: np.random.Generator) -> None:
    start, end = active_window(rng)
    registered_before(market, ring, start, rng)
    mostly_one_region(market, ring.creators, rng, share=0.7)
    types, accounts, _ = _members(ring, None, rng)
    device_chain(market, types, accounts, tactics, start, rng)
    _proxies(market, types, accounts, tactics.proxy_share, start, rng)
    _farm_commerce(market, ring, sampler, (start, end), rng)


def _split_payout_farm(market: Market, ring: Ring, sampler: MarketSampler, tactics: Tactics,
                       rng: np.random.Generator) -> None:
    start, end = active_window(rng)
    registered_before(market, ring, start, rng)
    mostly_one_region(market, ring.creators, rng, share=0.7)
    types, accounts, _ = _members(ring, None, rng)  # farm buyers save the farm's wallets too
    n = len(accounts)
    window, position = payout_windows(n, tactics.split_threes, rng)
    order = rng.permutation(n)
    member, payout = order[position], window
    extra = round(tactics.split_extra * n)
    if extra and n >= 3:
        a = rng.integers(0, n, extra)
        b = (a + rng.integers(2, n, extra)) % n  # never a's neighbour on the path
        payout = np.concatenate([payout, np.repeat(window.max() + 1 + np.arange(extra), 2)])
        member = np.concatenate([member, np.column_stack([order[a], order[b]]).ravel()])
    payouts = market.new_identifiers(PAYOUT, int(payout.max()) + 1)
    for account_type in np.unique(types):
        mine = types[member] == account_type
        market.drop_own(int(account_type), accounts[types == account_type], PAYOUT)
        link_shared(market, int(account_type), accounts[member[mine]], PAYOUT,
                    payouts[payout[mine]], start, rng)
    _proxies(market, types, accounts, tactics.proxy_share, start, rng)
    _farm_commerce(market, ring, sampler, (start, end), rng)


def _burst_farm(market: Market, ring: Ring, sampler: MarketSampler, tactics: Tactics,
                rng: np.random.Generator) -> None:
    start, end = active_window(rng)
    registered_before(market, ring, start, rng)
    creators = ring.creators
    mostly_one_region(market, creators, rng, share=0.8)
    registered = burst_registration(market, CREATOR, creators, tactics.burst_width, rng)
    fresh_identity(market, CREATOR, creators, registered, tactics.burst_width, rng,
                   kinds=(DEVICE, PHONE, EMAIL))
    n = len(creators)
    paired = np.repeat(rng.random(n // 2) < tactics.burst_payout_pairs, 2)
    paired = np.concatenate([paired, np.zeros(n % 2, dtype=bool)])
    market.drop_own(CREATOR, creators, PAYOUT)
    soon = registered + rng.integers(0, tactics.burst_width + 1, n)
    pair_payouts = market.new_identifiers(PAYOUT, int(paired.sum()) // 2)
    market.link(CREATOR, creators[paired], PAYOUT, np.repeat(pair_payouts, 2),
                first_seen=soon[paired])
    market.link(CREATOR, creators[~paired], PAYOUT,
                market.new_identifiers(PAYOUT, int((~paired).sum())), first_seen=soon[~paired])
    proxies = market.new_identifiers(IP, int(rng.integers(1, 4)))
    on_proxy = np.repeat(np.arange(n), 1 + (rng.random(n) < 0.4))
    market.link(CREATOR, creators[on_proxy], IP, rng.choice(proxies, len(on_proxy)),
                first_seen=soon[on_proxy] + rng.integers(0, tactics.burst_width + 1,
                                                         len(on_proxy)))
    _farm_commerce(market, ring, sampler, (start, end), rng)


def _thin_collusion(market: Market, ring: Ring, sampler: MarketSampler, tactics: Tactics,
                    rng: np.random.Generator) -> None:
    start, end = active_window(rng)
    registered_before(market, ring, start, rng)
    creators, shops, buyers = ring.creators, ring.shops, ring.buyers
    mostly_one_region(market, creators, rng, share=0.5)
    creator, shop = trade_grid(creators, shops, tactics.thin_density, rng)
    # One weak signal per pair at most: a rate a little above the norm, or one order refunded
    # after its commission, or nothing but the orders themselves.
    signal = rng.choice(3, len(creator), p=[0.4, 0.35, 0.25])
    rate = normal_rates(market, shop, rng)
    bumped = signal == 0
    rate[bumped] = np.round(np.minimum(rate[bumped] * tactics.thin_rate_bump, 0.6), 2)
    started = affiliate(market, creator, shop, rate, start, rng)
    per_pair = rng.integers(1, tactics.thin_orders + 1, len(creator))
    deal = np.repeat(np.arange(len(creator)), per_pair)
    first = np.r_[True, deal[1:] != deal[:-1]]
    refund = np.where((signal[deal] == 1) & first, 0.9, 0.02)
    # A pool about a third the size of the orders: each buyer buys through several creators,
    # so the creator-shop-buyer block is dense although every pair is thin. Reserved buyers
    # the pool does not need stay ordinary (and unlabelled).
    pool = buyers[:int(np.clip(round(len(deal) / 3), min(3, len(buyers)), len(buyers)))]
    add_orders(market, buyers=pool[rng.integers(0, len(pool), len(deal))],
               shops=shop[deal], creators=creator[deal],
               placed_at=between(np.maximum(started[deal], start), end, rng), rng=rng,
               refund_rate=refund, late_share=0.9, markup=float(rng.uniform(1.0, 1.3)))
    on_proxy = rng.random(len(pool)) < 0.2
    link_shared(market, BUYER, pool[on_proxy], IP,
                rng.choice(market.new_identifiers(IP, 2), int(on_proxy.sum())), start, rng)
    _label_all(market, ring, buyers=pool)


def _camouflaged_collusion(market: Market, ring: Ring, sampler: MarketSampler, tactics: Tactics,
                           rng: np.random.Generator) -> None:
    start, end = active_window(rng)
    registered_before(market, ring, start, rng)
    creators, shops, buyers = ring.creators, ring.shops, ring.buyers
    mostly_one_region(market, creators, rng, share=0.5)
    devices = market.new_identifiers(DEVICE, min(4, 1 + len(buyers) // 8))
    on_device = rng.random(len(buyers)) < 0.7
    link_shared(market, BUYER, buyers[on_device], DEVICE,
                rng.choice(devices, int(on_device.sum())), start, rng)

    creator, shop = trade_grid(creators, shops, 0.8, rng)
    rate = inflated_rates(market, shop, (1.5, 2.2), rng)
    started = affiliate(market, creator, shop, rate, start, rng)
    fake = int(rng.integers(30, 121))
    ring_orders(market, buyers=buyers, creators=creator, shops=shop, started=started, n=fake,
                window=(start, end), rng=rng,
                buyer_weights=rng.dirichlet(np.full(len(buyers), 0.7)),
                refund_rate=float(rng.uniform(0.3, 0.7)), late_share=0.85,
                markup=float(rng.uniform(1.1, 1.8)))

    # Camouflage: ordinary deals with ordinary shops, ordinary purchases, ordinary customers.
    ordinary = round(tactics.camouflage * fake)
    honest_shops = sampler.open_shops(2 * len(creators) + 2, start, rng)
    pair_creator, pair_shop = distinct_pairs(
        market, np.repeat(creators, 2), rng.choice(honest_shops, 2 * len(creators)))
    pair_started = affiliate(market, pair_creator, pair_shop,
                             normal_rates(market, pair_shop, rng), start, rng)
    pick = rng.integers(0, len(pair_creator), ordinary)
    add_orders(market, buyers=sampler.honest_buyers(ordinary, rng), shops=pair_shop[pick],
               creators=pair_creator[pick],
               placed_at=between(np.maximum(pair_started[pick], start), end, rng), rng=rng)
    own = ordinary // 2
    add_orders(market, buyers=buyers[rng.integers(0, len(buyers), own)],
               shops=rng.choice(honest_shops, own), creators=np.full(own, -1, dtype=np.int64),
               placed_at=between(start, end, rng, own), rng=rng)
    organic = rng.choice(shops, ordinary)
    add_orders(market, buyers=sampler.honest_buyers(ordinary, rng), shops=organic,
               creators=np.full(ordinary, -1, dtype=np.int64),
               placed_at=between(np.maximum(market.shops.registered_at[organic], WINDOW_START),
                                 SNAPSHOT_END, rng), rng=rng)
    _label_all(market, ring)


_Planter = Callable[[Market, Ring, MarketSampler, Tactics, np.random.Generator], None]
_PLANTERS: dict[str, _Planter] = {
    "agency_farm": _agency_farm,
    "device_chain_farm": _device_chain_farm,
    "split_payout_farm": _split_payout_farm,
    "burst_farm": _burst_farm,
    "thin_collusion": _thin_collusion,
    "camouflaged_collusion": _camouflaged_collusion,
}


# --- building blocks (the evasion look-alikes use some of them too) ------------------------

def burst_registration(market: Market, account_type: int, accounts: np.ndarray, width: int,
                       rng: np.random.Generator) -> np.ndarray:
    """Move the accounts' registrations into one burst of ``width`` seconds; returns the new times.

    The burst lies before every member's earlier registration, as moving a
    registration earlier never breaks what was drawn from it.
    """
    times = market.creators.registered_at if account_type == CREATOR else market.buyers.since
    at = int(times[accounts].min()) - width - int(rng.integers(0, 30 * DAY))
    registered = at + rng.integers(0, max(1, width), len(accounts))
    times[accounts] = registered
    return registered


def fresh_identity(market: Market, account_type: int, accounts: np.ndarray,
                   registered: np.ndarray, width: int, rng: np.random.Generator, *,
                   kinds: tuple[int, ...]) -> None:
    """Replace the accounts' own identifiers of ``kinds`` by new ones, first seen soon after registering.

    "Soon" is within ``width`` seconds of ``registered``: a burst sets its
    accounts up in the same narrow windows.
    """
    for kind in kinds:
        market.drop_own(account_type, accounts, kind)
        market.link(account_type, accounts, kind, market.new_identifiers(kind, len(accounts)),
                    first_seen=registered + rng.integers(0, width + 1, len(accounts)))


def device_chain(market: Market, types: np.ndarray, accounts: np.ndarray, tactics: Tactics,
                 start: int, rng: np.random.Generator, *,
                 first_seen: np.ndarray | None = None) -> None:
    """Each account's device is shared with one neighbour only: a-b, b-c, c-d... (sometimes a-c).

    The accounts' own devices are replaced. A chain of n accounts uses n-1
    devices (n when it closes into a loop); every account stays connected.
    """
    n = len(accounts)
    if n < 2:
        return
    order = rng.permutation(n)
    types, accounts = types[order], accounts[order]
    when = None if first_seen is None else first_seen[order]
    closed = n >= 4 and rng.random() < tactics.chain_closed
    links = n if closed else n - 1
    left = np.arange(links)
    right = (left + 1) % n
    skip = (rng.random(links) < tactics.chain_skip) & (left + 2 < n)
    right = np.where(skip, left + 2, right)
    devices = market.new_identifiers(DEVICE, links)
    position = np.concatenate([left, right])
    device = np.concatenate([devices, devices])
    for account_type in np.unique(types):
        mine = types[position] == account_type
        market.drop_own(int(account_type), accounts[types == account_type], DEVICE)
        who = accounts[position[mine]]
        if when is None:
            link_shared(market, int(account_type), who, DEVICE, device[mine], start, rng)
        else:
            market.link(int(account_type), who, DEVICE, device[mine],
                        first_seen=when[position[mine]])


def small_groups(n: int, size: int) -> np.ndarray:
    """Sizes of groups of two or three (mostly ``size``) that add up to ``n`` (>= 2)."""
    sizes = [size] * (n // size)
    rest = n % size
    if rest == 1 and sizes:  # never a group of one: 2+1 -> 3, 3+1 -> 2+2
        sizes[-1] += 1
        if sizes[-1] > 3:
            sizes[-1:] = [2, 2]
    elif rest:
        sizes.append(rest)
    return np.asarray(sizes, dtype=np.int64)


def payout_windows(n: int, threes: float, rng: np.random.Generator
                   ) -> tuple[np.ndarray, np.ndarray]:
    """Windows of two or three consecutive positions of ``n``, each overlapping the next by one.

    Returns (window, position) pairs: one payout account per window, shared by
    its two or three positions, and the windows form one path over all ``n``.
    """
    if n < 2:
        return np.zeros(n, dtype=np.int64), np.arange(n, dtype=np.int64)
    sizes = np.where(rng.random(n) < threes, 3, 2)
    starts = np.cumsum(sizes - 1) - (sizes - 1)
    keep = starts < n - 1
    sizes, starts = np.minimum(sizes[keep], n - starts[keep]), starts[keep]
    window = np.repeat(np.arange(len(sizes)), sizes)
    offset = np.arange(int(sizes.sum())) - np.repeat(np.cumsum(sizes) - sizes, sizes)
    return window, np.repeat(starts, sizes) + offset


def _members(ring: Ring, creator_times: np.ndarray | None, rng: np.random.Generator
             ) -> tuple[np.ndarray, np.ndarray, np.ndarray | None]:
    """A farm's accounts as (types, indices) and, when the creators' times are given, first-seen times.

    Farm buyers join the creators' structures; with times given, a buyer's
    link is first seen at a random creator's time.
    """
    types = np.concatenate([np.full(len(ring.creators), CREATOR), np.full(len(ring.buyers), BUYER)])
    accounts = np.concatenate([ring.creators, ring.buyers])
    if creator_times is None:
        return types, accounts, None
    buyer_times = rng.choice(creator_times, len(ring.buyers)) if len(ring.buyers) else \
        np.empty(0, dtype=np.int64)
    return types, accounts, np.concatenate([creator_times, buyer_times])


def _proxies(market: Market, types: np.ndarray, accounts: np.ndarray, share: float, start: int,
             rng: np.random.Generator) -> None:
    """A share of the accounts also log in through one or two proxy IPs (weak evidence)."""
    proxies = market.new_identifiers(IP, int(rng.integers(1, 3)))
    on_proxy = rng.random(len(accounts)) < share
    for account_type in np.unique(types[on_proxy]):
        who = accounts[on_proxy & (types == account_type)]
        link_shared(market, int(account_type), who, IP, rng.choice(proxies, len(who)), start, rng)


def _farm_commerce(market: Market, ring: Ring, sampler: MarketSampler, window: tuple[int, int],
                   rng: np.random.Generator) -> None:
    """A farm's deals with a few open shops and, with farm buyers, their fake orders; labels."""
    start, _ = window
    creators = ring.creators
    targets = sampler.open_shops(int(rng.integers(2, 5)), start, rng)
    creator = np.repeat(creators, 1 + (rng.random(len(creators)) < 0.5))
    creator, shop = distinct_pairs(market, creator, rng.choice(targets, len(creator)))
    started = affiliate(market, creator, shop, normal_rates(market, shop, rng), start, rng)
    if ring.buyers.size:
        ring_orders(market, buyers=ring.buyers, creators=creator, shops=shop, started=started,
                    n=int(rng.integers(10, 61)), window=window, rng=rng,
                    refund_rate=float(rng.uniform(0.15, 0.5)), late_share=0.8)
    _label_all(market, ring)


def _label_all(market: Market, ring: Ring, *, buyers: np.ndarray | None = None) -> None:
    """Label the ring's accounts (``buyers``: the ones it used, when not all of its reserved)."""
    market.label(ring, CREATOR, ring.creators)
    market.label(ring, SELLER, ring.sellers)
    market.label(ring, SHOP, ring.shops)
    market.label(ring, BUYER, ring.buyers if buyers is None else buyers)
