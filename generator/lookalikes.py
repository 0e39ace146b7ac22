"""Legitimate look-alikes: honest structures that resemble fraud (never labelled).

A detector that flags every shared identifier or every high commission rate
would drown reviewers in these:

- agencies (MCNs) whose creators stream from one office (shared IPs) with a
  studio phone and, in big agencies, a few studio devices; some agencies also
  collect their creators' commissions into one agency payout account;
- households sharing a home device and IP (a few also an email address),
  sometimes linking a seller and a creator who do no business together;
- carrier-grade NAT egresses shared by thousands of accounts (drawn in
  ``population``; one old allowlist entry for such an egress has expired);
- payment aggregators whose one payout account serves hundreds of sellers
  (allowlisted);
- hit shops with a huge loyal, repeat-buying customer base and a few creators
  who sell a lot there;
- premium creators with high rates and high volume in a high-rate category.

Each group is recorded (``Market.lookalike_members``) for ``lookalikes.csv``,
with no random draw of its own, so recording leaves the tables unchanged.
"""

from __future__ import annotations

import numpy as np

from .catalog import CROSS_BORDER_SHARE, DOMESTIC_REGIONS, RATE_HIGH, WELLNESS
from .clock import (
    ALLOWLIST_EXPIRED,
    ALLOWLIST_VALID_UNTIL,
    DAY,
    SNAPSHOT_END,
    WINDOW_START,
    between,
)
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
    SHOP,
    AllowlistEntry,
    Market,
)
from .population import add_orders, normal_rates, start_times, weighted_choice

_AGGREGATORS = ("Paylane Global Ltd", "Oriole Pay HK", "Meridian Settlements", "CrossPay Asia",
                "Tidewater Payments")


def plant_lookalikes(market: Market, sizes: Sizes, *, rng: np.random.Generator) -> None:
    """Add every kind of legitimate look-alike to ``market`` (see the module docstring)."""
    _agency_studios(market, rng)
    _families(market, sizes, rng)
    _payment_aggregators(market, sizes, rng)
    _expired_cgnat_entry(market)
    _carrier_nat_users(market)
    _hit_shops(market, sizes, rng)
    _premium_creators(market, sizes, rng)


def _agency_studios(market: Market, rng: np.random.Generator) -> None:
    """Agency creators log in from the office IPs, share a studio phone, devices, payouts."""
    members = np.flatnonzero(market.creators.agency >= 0)
    if members.size == 0:
        return
    agency = market.creators.agency[members]
    n = market.agencies
    size = np.bincount(agency, minlength=n)
    market.lookalike_members(market.new_lookalikes("agency", n)[agency], CREATOR, members)

    offices = 1 + (rng.random(n) < 0.4).astype(np.int64)
    office_start = market.new_identifiers(IP, int(offices.sum()))[0] + np.cumsum(offices) - offices
    at_office = rng.random(len(members)) < 0.85
    which = office_start[agency] + (rng.random(len(members)) * offices[agency]).astype(np.int64)
    market.link(CREATOR, members[at_office], IP, which[at_office])

    studio_phone = market.new_identifiers(PHONE, n)
    on_phone = rng.random(len(members)) < 0.6
    market.link(CREATOR, members[on_phone], PHONE, studio_phone[agency[on_phone]])

    devices = np.where(size >= 10, rng.integers(1, 4, n), 0)
    device_start = market.new_identifiers(DEVICE, int(devices.sum()))
    device_start = (device_start[0] if device_start.size else 0) + np.cumsum(devices) - devices
    on_device = (devices[agency] > 0) & (rng.random(len(members)) < 0.25)
    chosen = device_start[agency] + (rng.random(len(members)) * devices[agency]).astype(np.int64)
    market.link(CREATOR, members[on_device], DEVICE, chosen[on_device])

    # Some agencies collect their creators' commissions into the agency's own account.
    collects = (size >= 3) & (rng.random(n) < 0.25)
    agency_payout = market.new_identifiers(PAYOUT, n)
    paid_via = collects[agency] & (rng.random(len(members)) < 0.5)
    market.drop_own(CREATOR, members[paid_via], PAYOUT)
    market.link(CREATOR, members[paid_via], PAYOUT, agency_payout[agency[paid_via]])

    largest = int(np.argmax(size))
    market.allowlist.append(AllowlistEntry(
        identifier_type=PHONE, identifier=int(studio_phone[largest]),
        owner="Northstar Creator Studio (MCN)",
        reason="agency studio phone used by its creators for live sessions",
        expires_at=ALLOWLIST_VALID_UNTIL))


def _families(market: Market, sizes: Sizes, rng: np.random.Generator) -> None:
    """Households of two to four accounts on one home device and IP (some, one email too).

    Mostly buyers, sometimes a creator, now and then a seller: a household can
    link a seller and a creator without any self-dealing between them.
    """
    n = sizes.families
    family = np.repeat(np.arange(n), rng.integers(2, 5, n))
    kind = rng.choice(3, len(family), p=[0.2, 0.05, 0.75])  # creator, seller, buyer
    device = market.new_identifiers(DEVICE, n)
    home_ip = market.new_identifiers(IP, n)
    has_ip = rng.random(n) < 0.8
    email = market.new_identifiers(EMAIL, n)
    shares_email = rng.random(n) < 0.15
    groups = market.new_lookalikes("family", n)
    for account_type, honest in ((CREATOR, market.creators.honest),
                                 (SELLER, market.sellers.honest),
                                 (BUYER, market.buyers.honest)):
        household = family[kind == account_type][:honest]
        accounts = rng.permutation(honest)[:len(household)]
        market.lookalike_members(groups[household[:len(accounts)]], account_type, accounts)
        market.link(account_type, accounts, DEVICE, device[household])
        at_home = has_ip[household]
        market.link(account_type, accounts[at_home], IP, home_ip[household[at_home]])
        if account_type == BUYER:
            same_email = shares_email[household]
            market.link(BUYER, accounts[same_email], EMAIL, email[household[same_email]])


def _payment_aggregators(market: Market, sizes: Sizes, rng: np.random.Generator) -> None:
    """About a third of honest sellers (mostly cross-border) are paid through an aggregator."""
    honest = market.sellers.honest
    if honest == 0:
        return
    abroad = market.sellers.region[:honest] >= len(DOMESTIC_REGIONS)
    weight = np.where(abroad, 4.0, 1.0)
    count = min(honest, round(CROSS_BORDER_SHARE * honest))
    sellers = rng.choice(honest, count, replace=False, p=weight / weight.sum())
    accounts = market.new_identifiers(PAYOUT, sizes.aggregators)
    market.drop_own(SELLER, sellers, PAYOUT)
    which = rng.integers(0, len(accounts), count)
    market.link(SELLER, sellers, PAYOUT, accounts[which])
    market.lookalike_members(market.new_lookalikes("payment_aggregator", len(accounts))[which],
                             SELLER, sellers)
    for i, account in enumerate(accounts):
        market.allowlist.append(AllowlistEntry(
            identifier_type=PAYOUT, identifier=int(account),
            owner=f"{_AGGREGATORS[i % len(_AGGREGATORS)]} (payment aggregator)",
            reason="settlement account that pays out many cross-border sellers",
            expires_at=ALLOWLIST_VALID_UNTIL))


def _expired_cgnat_entry(market: Market) -> None:
    """An allowlist entry, long expired, for a carrier NAT egress (still harmless)."""
    pools = market.ip_pools
    if pools is None or pools.cgnat.size == 0:
        return
    market.allowlist.append(AllowlistEntry(
        identifier_type=IP, identifier=int(pools.cgnat[0]), owner="Metro Mobile (carrier)",
        reason="carrier-grade NAT egress reviewed in 2025", expires_at=ALLOWLIST_EXPIRED))


def _carrier_nat_users(market: Market) -> None:
    """Record every account behind each carrier NAT egress (drawn in ``population``)."""
    pools = market.ip_pools
    if pools is None or pools.cgnat.size == 0:
        return
    groups = market.new_lookalikes("carrier_nat", len(pools.cgnat))
    for links in market.links.chunks():
        on_nat = (links["identifier_type"] == IP) & np.isin(links["identifier"], pools.cgnat)
        group = groups[np.searchsorted(pools.cgnat, links["identifier"][on_nat])]
        for account_type in (CREATOR, SELLER, BUYER):
            mine = links["account_type"][on_nat] == account_type
            market.lookalike_members(group[mine], account_type, links["account"][on_nat][mine])


def _hit_shops(market: Market, sizes: Sizes, rng: np.random.Generator) -> None:
    """The most popular honest shops get a loyal base of repeat buyers and star creators."""
    honest = np.arange(market.shops.honest)
    hits = honest[np.argsort(-market.shops.popularity[honest])[:sizes.hit_shops]]
    for shop in hits:
        loyal = rng.choice(market.buyers.honest,
                           min(sizes.loyal_buyers_per_hit_shop, market.buyers.honest),
                           replace=False)
        buyers = np.repeat(loyal, 2 + rng.geometric(0.3, len(loyal)))
        stars = rng.choice(market.creators.honest, min(int(rng.integers(4, 9)),
                                                       market.creators.honest), replace=False)
        group = market.new_lookalikes("hit_shop", 1)
        market.lookalike_members(group, SHOP, np.array([shop]))
        market.lookalike_members(group, CREATOR, stars)
        market.lookalike_members(group, BUYER, loyal)
        shops = np.full(len(stars), shop)
        started = start_times(market, stars, shops, rng, latest=WINDOW_START)
        market.affiliations.append(creator=stars, shop=shops,
                                   rate=normal_rates(market, shops, rng), started_at=started,
                                   priority=0)
        share = rng.dirichlet(np.ones(len(stars)))
        star = weighted_choice(share, len(buyers), rng)
        creators = np.where(rng.random(len(buyers)) < 0.45, stars[star], -1)
        start = np.maximum(np.where(creators >= 0, started[star], 0),
                           max(WINDOW_START, int(market.shops.registered_at[shop])))
        add_orders(market, buyers=buyers, shops=np.full(len(buyers), shop), creators=creators,
                   placed_at=between(start, SNAPSHOT_END, rng), rng=rng,
                   refund_rate=0.6 * market.shops.refund_rate[shop])


def _premium_creators(market: Market, sizes: Sizes, rng: np.random.Generator) -> None:
    """Big honest creators selling wellness at rates above even that category's norm."""
    established = WINDOW_START - 30 * DAY
    honest = np.flatnonzero(market.creators.registered_at[:market.creators.honest] < established)
    top = honest[np.argsort(-market.creators.reach[honest])[:max(sizes.premium_creators * 5, 10)]]
    creators = rng.choice(top, min(sizes.premium_creators, len(top)), replace=False)
    market.lookalike_members(market.new_lookalikes("premium_creator", len(creators)), CREATOR,
                             creators)
    shops = market.shops
    wellness = np.flatnonzero((shops.category[:shops.honest] == WELLNESS)
                              & (shops.registered_at[:shops.honest] < established))
    if wellness.size == 0 or creators.size == 0:
        return
    per_creator = rng.integers(2, 5, len(creators))
    creator = np.repeat(creators, per_creator)
    shop = wellness[weighted_choice(market.shops.popularity[wellness], len(creator), rng)]
    pair = np.unique(creator * len(market.shops.seller) + shop)
    creator, shop = pair // len(market.shops.seller), pair % len(market.shops.seller)
    rate = np.round(RATE_HIGH[WELLNESS] - 0.02 + rng.random(len(pair)) * 0.10, 2)
    started = start_times(market, creator, shop, rng, latest=WINDOW_START + 30 * DAY)
    market.affiliations.append(creator=creator, shop=shop, rate=rate, started_at=started,
                               priority=1)
    orders = rng.integers(30, 120, len(pair))
    pick = np.repeat(np.arange(len(pair)), orders)
    add_orders(market, buyers=weighted_choice(market.buyers.activity[:market.buyers.honest],
                                              len(pick), rng),
               shops=shop[pick], creators=creator[pick],
               placed_at=between(np.maximum(started[pick], WINDOW_START), SNAPSHOT_END, rng),
               rng=rng)
