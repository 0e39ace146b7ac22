"""Benign look-alikes of the ``evasion`` profile: honest structures at least as hard as the evasive rings.

None of them is labelled, so any ring a detector builds on them is a false
positive, and each group is listed in ``lookalikes.csv`` so a benchmark can
check that it stays unflagged:

- ``studio_agency``: a real agency with studio kit: a few office IPs, studio
  devices used by many members, and a central payout account that collects
  their commissions and *is* on the allowlist;
- ``onboarding_burst``: dozens of honest creators registered on one campaign
  day (identifiers first seen within hours, some on the venue's Wi-Fi), and
  otherwise independent: the honest twin of a burst farm;
- ``payout_hub`` and ``ip_hub``: an exchange-like payout account and a VPN
  egress, each shared by thousands of accounts (a few ring members among them),
  neither allowlisted;
- ``household``: two to four accounts sharing a device, an email and a joint
  payout account: the honest twin of a small farm.
"""

from __future__ import annotations

import numpy as np

from .clock import ALLOWLIST_VALID_UNTIL, DAY, HOUR, SNAPSHOT_END, WINDOW_START
from .config import Sizes
from .evasion import fresh_identity
from .market import BUYER, CREATOR, DEVICE, EMAIL, IP, PAYOUT, PHONE, AllowlistEntry, Market

_STUDIOS = ("Brightline Talent", "Kestrel Live Studio", "Harbor & Vine Creators", "Atlas MCN",
            "Lumen Collective")


class Unclaimed:
    """Honest creators outside any agency, each handed to at most one look-alike group."""

    def __init__(self, market: Market, rng: np.random.Generator) -> None:
        honest = np.arange(market.creators.honest)
        self._pool = rng.permutation(honest[market.creators.agency[:market.creators.honest] < 0])
        self._taken = np.zeros(len(self._pool), dtype=bool)

    def take(self, n: int, where: np.ndarray | None = None) -> np.ndarray:
        """Up to ``n`` unclaimed creators (among those where ``where``, indexed by creator, holds)."""
        free = ~self._taken
        if where is not None:
            free &= where[self._pool]
        chosen = np.flatnonzero(free)[:n]
        self._taken[chosen] = True
        return self._pool[chosen]

    def claim(self, creators: np.ndarray) -> np.ndarray:
        """Hand out these particular creators: those of them still unclaimed (now claimed)."""
        mine = np.flatnonzero(np.isin(self._pool, creators) & ~self._taken)
        self._taken[mine] = True
        return np.sort(self._pool[mine])


def plant_evasion_lookalikes(market: Market, sizes: Sizes, *, rng: np.random.Generator) -> None:
    """Add the evasion profile's look-alikes to ``market`` (see the module docstring)."""
    unclaimed = Unclaimed(market, rng)
    _studio_agencies(market, sizes, unclaimed, rng)
    _onboarding_bursts(market, sizes, unclaimed, rng)
    _households(market, sizes, unclaimed, rng)
    _hubs(market, sizes, rng)


def _studio_agencies(market: Market, sizes: Sizes, unclaimed: Unclaimed,
                     rng: np.random.Generator) -> None:
    n = sizes.studio_agencies
    members = unclaimed.take(int(rng.integers(10, 41, n).sum()))
    if members.size < 2 * n:
        return
    agency = np.sort(rng.integers(0, n, len(members)))
    groups = market.new_lookalikes("studio_agency", n)
    market.lookalike_members(groups[agency], CREATOR, members)
    market.creators.agency[members] = market.agencies + agency
    market.agencies += n

    offices = rng.integers(1, 4, n)
    office_start = market.new_identifiers(IP, int(offices.sum()))[0] + np.cumsum(offices) - offices
    at_office = rng.random(len(members)) < 0.85
    office = office_start[agency] + (rng.random(len(members)) * offices[agency]).astype(np.int64)
    market.link(CREATOR, members[at_office], IP, office[at_office])

    kit = rng.integers(2, 6, n)
    kit_start = market.new_identifiers(DEVICE, int(kit.sum()))[0] + np.cumsum(kit) - kit
    on_kit = rng.random(len(members)) < rng.uniform(0.6, 0.9, n)[agency]
    users = np.repeat(np.flatnonzero(on_kit), 1 + (rng.random(int(on_kit.sum())) < 0.3))
    device = kit_start[agency[users]] + (rng.random(len(users)) * kit[agency[users]]).astype(
        np.int64)
    market.link(CREATOR, members[users], DEVICE, device)
    phone = market.new_identifiers(PHONE, n)
    on_phone = rng.random(len(members)) < 0.5
    market.link(CREATOR, members[on_phone], PHONE, phone[agency[on_phone]])

    central = market.new_identifiers(PAYOUT, n)
    paid_via = rng.random(len(members)) < rng.uniform(0.7, 1.0, n)[agency]
    market.drop_own(CREATOR, members[paid_via], PAYOUT)
    market.link(CREATOR, members[paid_via], PAYOUT, central[agency[paid_via]])
    for i, account in enumerate(central):
        market.allowlist.append(AllowlistEntry(
            identifier_type=PAYOUT, identifier=int(account),
            owner=f"{_STUDIOS[i % len(_STUDIOS)]} (MCN)",
            reason="agency's central payout account that collects its creators' commissions",
            expires_at=ALLOWLIST_VALID_UNTIL))


def _onboarding_bursts(market: Market, sizes: Sizes, unclaimed: Unclaimed,
                       rng: np.random.Generator) -> None:
    registered = market.creators.registered_at
    for _ in range(sizes.onboarding_bursts):
        day = WINDOW_START - 365 * DAY + int(rng.random() * (SNAPSHOT_END - 60 * DAY
                                                             - WINDOW_START + 365 * DAY))
        members = unclaimed.take(int(rng.integers(30, 121)), where=registered > day + DAY)
        if members.size < 2:
            continue
        group = market.new_lookalikes("onboarding_burst", 1)
        market.lookalike_members(group, CREATOR, members)
        join_on_one_day(market, members, day, (0.3, 0.7), rng)


def join_on_one_day(market: Market, members: np.ndarray, day: int,
                    venue_share: tuple[float, float], rng: np.random.Generator) -> np.ndarray:
    """Honest creators registering on one ``day`` (an onboarding event); returns their times.

    Each gets fresh identifiers of its own within hours, and a share drawn from
    ``venue_share`` signs up on the venue's one Wi-Fi IP. Registration moves
    earlier than drawn before: nothing drawn from it breaks.
    """
    joined = day + rng.integers(0, DAY, len(members))
    market.creators.registered_at[members] = joined
    fresh_identity(market, CREATOR, members, joined, 6 * HOUR, rng,
                   kinds=(DEVICE, PHONE, EMAIL, PAYOUT))
    venue = market.new_identifiers(IP, 1)
    on_venue = rng.random(len(members)) < rng.uniform(*venue_share)
    market.link(CREATOR, members[on_venue], IP, venue,
                first_seen=joined[on_venue] + rng.integers(0, 3 * HOUR, int(on_venue.sum())))
    return joined


def _households(market: Market, sizes: Sizes, unclaimed: Unclaimed,
                rng: np.random.Generator) -> None:
    n = sizes.households
    household = np.repeat(np.arange(n), rng.integers(2, 5, n))
    is_creator = rng.random(len(household)) < 0.35
    creators = unclaimed.take(int(is_creator.sum()))
    is_creator[np.flatnonzero(is_creator)[len(creators):]] = False
    buyers = rng.permutation(market.buyers.honest)[:int((~is_creator).sum())]
    keep = is_creator | (np.cumsum(~is_creator) <= len(buyers))
    household, is_creator = household[keep], is_creator[keep]
    groups = market.new_lookalikes("household", n)
    device = market.new_identifiers(DEVICE, n)
    email = market.new_identifiers(EMAIL, n)
    joint = market.new_identifiers(PAYOUT, n)
    shares_email = rng.random(n) < 0.8
    shares_payout = rng.random(n) < 0.7
    for account_type, accounts, home in ((CREATOR, creators, household[is_creator]),
                                         (BUYER, buyers, household[~is_creator])):
        market.lookalike_members(groups[home], account_type, accounts)
        market.link(account_type, accounts, DEVICE, device[home])
        for shares, kind, values in ((shares_email, EMAIL, email), (shares_payout, PAYOUT, joint)):
            who = shares[home]
            market.drop_own(account_type, accounts[who], kind)
            market.link(account_type, accounts[who], kind, values[home[who]])


def _hubs(market: Market, sizes: Sizes, rng: np.random.Generator) -> None:
    """Exchange-like payout accounts and VPN egress IPs used by thousands (ring members too)."""
    n_creators, n_buyers = len(market.creators.reach), len(market.buyers.activity)
    for kind, identifier_type in (("payout_hub", PAYOUT), ("ip_hub", IP)):
        hubs = market.new_identifiers(identifier_type, sizes.hubs)
        groups = market.new_lookalikes(kind, sizes.hubs)
        for hub, group in zip(hubs, groups, strict=True):
            users = int(sizes.hub_users * rng.uniform(0.75, 1.5))
            creators = rng.choice(n_creators, min(n_creators, int(users * 0.3)), replace=False)
            buyers = rng.choice(n_buyers, min(n_buyers, users - len(creators)), replace=False)
            for account_type, accounts in ((CREATOR, creators), (BUYER, buyers)):
                market.link(account_type, accounts, identifier_type, hub)
                market.lookalike_members(group, account_type, accounts)
