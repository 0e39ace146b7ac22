"""Identity rings against evasion tactics, each beside the honest look-alike that must stay unflagged.

Every market here is small and hand-built, so the right answer is known: an
agency that is a farm and one that is a studio, a device chain and a family,
a funder wallet that paid its accounts in one night and an exchange wallet
that gathered them over a year, payout accounts that would chain whole
regions together.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from ringwatch.detectors.config import IdentityConfig
from ringwatch.detectors.identity_rings import find_identity_rings
from ringwatch.domain import utc_stamp

from .market import Market

START = datetime(2025, 1, 1, tzinfo=UTC)


def _at(days: float) -> str:
    return utc_stamp(START + timedelta(days=days))


@pytest.fixture
def market() -> Market:
    m = Market()
    m.background()
    return m


def _creator_sets(rings: list) -> list[set[str]]:
    return [{m.id for m in ring.members if m.type == "creator"} for ring in rings]


def _studio_agency(market: Market, name: str, size: int = 8) -> list[str]:
    """An honest agency: office IP, studio phone and camera for all, a central payout account
    for half of them, and each creator's own device and payout account besides."""
    members = [market.creator(f"{name}_c{i}", agency=name) for i in range(size)]
    for i, c in enumerate(members):
        market.link("creator", c, "ip", f"{name}_office")
        market.link("creator", c, "phone", f"{name}_studio_phone")
        market.link("creator", c, "device", f"{name}_camera")
        market.link("creator", c, "device", f"{name}_own_d{i}")
        market.link("creator", c, "payout_account",
                    f"{name}_central" if i % 2 == 0 else f"{name}_own_pa{i}")
    return members


def test_a_farm_declared_as_an_agency_is_found_beside_an_honest_studio(
        market: Market) -> None:
    honest = _studio_agency(market, "studio")
    farm = [market.creator(f"mcn_c{i}", agency="mcn_front") for i in range(9)]
    for i, c in enumerate(farm):  # payouts split in threes, phones in threes, no studio kit
        market.link("creator", c, "payout_account", f"mcn_pa{i // 3}")
        market.link("creator", c, "phone", f"mcn_sim{(i + 1) // 3}")
    rings = find_identity_rings(market.context())
    found = _creator_sets(rings)
    assert set(farm) in found
    assert not any(set(honest) & ring for ring in found)


def test_a_farm_in_the_agency_shield_was_missed_when_all_agency_sharing_was_expected(
        market: Market) -> None:
    farm = [market.creator(f"mcn_c{i}", agency="mcn_front") for i in range(6)]
    for i, c in enumerate(farm):
        market.link("creator", c, "payout_account", f"mcn_pa{i // 2}")
        market.link("creator", c, "phone", f"mcn_sim{i // 2}")
        market.link("creator", c, "device", f"mcn_d{(i + 1) // 2}")
    context = market.context()
    assert set(farm) in _creator_sets(find_identity_rings(context))
    shielded = IdentityConfig(studio_min_accounts=1, studio_share=0.0)  # the old rule: all expected
    assert not any(set(farm) & ring for ring in _creator_sets(
        find_identity_rings(context, shielded)))


def test_a_device_chain_farm_is_one_ring_but_a_family_tablet_is_not(
        market: Market) -> None:
    chain = [market.creator(f"rot_c{i}") for i in range(8)]
    for i in range(len(chain) - 1):  # each device shared by one account and the next only
        market.link("creator", chain[i], "device", f"rot_d{i}")
        market.link("creator", chain[i + 1], "device", f"rot_d{i}")
    family = [market.creator(f"fam_c{i}") for i in range(3)]
    for c in family:  # one tablet and the home network
        market.link("creator", c, "device", "family_tablet")
        market.link("creator", c, "ip", "family_wifi")
    found = _creator_sets(find_identity_rings(market.context()))
    assert set(chain) in found
    assert not any(set(family) & ring for ring in found)


def test_a_recycled_phone_does_not_chain_a_family_onto_a_farm(market: Market) -> None:
    """A farm's member and a stranger share one phone (a recycled number); the stranger shares a
    tablet with family: before, the chain rule joined the family onto the farm's ring."""
    farm = [market.creator(f"farm_c{i}") for i in range(8)]
    for c in farm:  # one purse: a ring by itself
        market.link("creator", c, "payout_account", "farm_pa")
    family = [market.creator(f"fam_c{i}") for i in range(2)]
    for c in family:
        market.link("creator", c, "device", "family_tablet")
    market.link("creator", farm[0], "phone", "recycled_number")
    market.link("creator", family[0], "phone", "recycled_number")
    found = _creator_sets(find_identity_rings(market.context()))
    assert set(farm) in found
    assert not any(set(family) & ring for ring in found)


def test_payouts_split_over_small_accounts_are_one_ring(market: Market) -> None:
    farm = [market.creator(f"split_c{i}") for i in range(10)]
    for i, c in enumerate(farm):  # five payout accounts, each shared by two neighbours
        market.link("creator", c, "payout_account", f"split_pa{i // 2}")
        market.link("creator", c, "device", f"split_d{(i + 1) // 2}")
    found = _creator_sets(find_identity_rings(market.context()))
    assert set(farm) in found


def _spread_market(honest: int = 400) -> Market:
    """A market whose accounts joined over a year: first-seen times spread evenly."""
    market = Market()
    for i in range(honest):
        c = market.creator(f"h{i}")
        market.link("creator", c, "payout_account", f"h_pa{i}", first_seen=_at(i * 365 / honest))
    return market


def test_a_funder_wallet_that_paid_its_sybils_in_one_night_is_a_ring() -> None:
    market = _spread_market()
    sybils = [market.creator(f"syb{i}") for i in range(120)]
    for i, c in enumerate(sybils):  # beyond every hub cap, but all first seen within hours
        market.link("creator", c, "payout_account", "funder", first_seen=_at(200 + i / 500))
    rings = find_identity_rings(market.context())
    found = _creator_sets(rings)
    assert set(sybils) in found
    ring = rings[found.index(set(sybils))]
    assert any(e.code == "lockstep_payout_account" for e in ring.evidence)


def test_an_exchange_wallet_used_over_a_year_is_not_a_ring() -> None:
    market = _spread_market()
    for i in range(300):  # 300 honest accounts withdrew to one exchange wallet, over the year
        market.link("creator", f"h{i}", "payout_account", "exchange_hot",
                    first_seen=_at(5 + i * 350 / 300))
    assert find_identity_rings(market.context()) == []


def test_an_onboarding_day_moves_the_market_and_flags_nobody() -> None:
    market = Market()
    for i in range(200):  # a campaign day: everyone registers and links that day
        c = market.creator(f"new{i}", registered="2026-02-01")
        market.link("creator", c, "payout_account", "campaign_aggregator",
                    first_seen=_at(396 + i / 1000))
        market.link("creator", c, "payout_account", f"own_pa{i}", first_seen=_at(396 + i / 1000))
    assert find_identity_rings(market.context()) == []


def test_payout_accounts_do_not_chain_a_region_into_one_giant_ring() -> None:
    market = _spread_market(100)
    rings_planted = []
    for r in range(4):  # four farms of six on their own payout account and phone ...
        farm = [market.creator(f"f{r}_c{i}") for i in range(6)]
        for c in farm:
            market.link("creator", c, "payout_account", f"f{r}_pa", first_seen=_at(10 * r))
            market.link("creator", c, "phone", f"f{r}_sim", first_seen=_at(10 * r))
        rings_planted.append(set(farm))
    # ... and a chain of 25-account payout accounts (a payroll service) through all of them.
    everyone = sorted(set().union(*rings_planted) | {f"h{i}" for i in range(100)})
    for k in range(0, len(everyone), 24):  # the payroll signs its clients up over the year
        for j, c in enumerate(everyone[k:k + 25]):
            market.link("creator", c, "payout_account", f"payroll{k}", first_seen=_at(k + 12 * j))
    found = _creator_sets(find_identity_rings(market.context()))
    for farm in rings_planted:
        assert farm in found
    assert max(len(ring) for ring in found) <= 6


def test_a_large_loose_component_is_split_where_its_ties_are_thin() -> None:
    market = Market()
    blocks = []
    for r in range(6):  # six dense farms of ten, joined in a line by single shared devices
        farm = [market.creator(f"b{r}_c{i}") for i in range(10)]
        for c in farm:
            market.link("creator", c, "payout_account", f"b{r}_pa")
            market.link("creator", c, "phone", f"b{r}_sim")
        blocks.append(set(farm))
        if r:
            market.link("creator", f"b{r - 1}_c0", "device", f"bridge{r}")
            market.link("creator", f"b{r}_c0", "device", f"bridge{r}")
    found = _creator_sets(find_identity_rings(market.context()))
    assert sorted(map(sorted, found)) == sorted(map(sorted, blocks))


def _registration_market(onboarding_day: bool) -> tuple[Market, list[str]]:
    """Creators who joined over a year, and a farm of five registered within three hours;
    on an onboarding day, a hundred honest creators registered in the same hours."""
    market = _spread_market(200)
    farm = [market.creator(f"burst_c{i}", registered=_at(300 + i / 40)) for i in range(5)]
    for c in farm:
        market.link("creator", c, "payout_account", "burst_pa", first_seen=_at(301))
        market.link("creator", c, "phone", "burst_sim", first_seen=_at(301))
    if onboarding_day:
        for i in range(100):
            market.creator(f"campaign_c{i}", registered=_at(300 + i / 500))
    return market, farm


def test_a_ring_registered_in_one_sitting_says_so() -> None:
    from ringwatch.detectors.pipeline import find_rings

    market, farm = _registration_market(onboarding_day=False)
    [ring] = [r for r in find_rings(market.context()) if r.kind == "identity_ring"]
    assert {m.id for m in ring.members if m.type == "creator"} == set(farm)
    burst = next(e for e in ring.evidence if e.code == "lockstep_registration")
    assert burst.text.startswith("5 of the 5 creators of this ring (burst_c0")


def test_an_onboarding_day_is_no_registration_burst() -> None:
    from ringwatch.detectors.pipeline import find_rings

    market, _ = _registration_market(onboarding_day=True)
    rings = find_rings(market.context())
    assert rings and not any(e.code == "lockstep_registration" for r in rings for e in r.evidence)


def _sitting(market: Market, name: str, size: int, *, day: float, pairs: int) -> list[str]:
    """Creators registered within a few hours, all first seen on one new IP within hours, each on
    its own payout account except ``pairs`` pairs sharing one."""
    members = [market.creator(f"{name}_c{i}", registered=_at(day + i / 100)) for i in range(size)]
    for i, c in enumerate(members):
        market.link("creator", c, "ip", f"{name}_ip", first_seen=_at(day + 0.2 + i / 200))
        shared = i < 2 * pairs
        market.link("creator", c, "payout_account", f"{name}_pa{i // 2 if shared else 100 + i}",
                    first_seen=_at(day + 0.3))
    return members


def test_a_farm_registered_in_one_sitting_behind_one_proxy_is_one_ring() -> None:
    market = _spread_market(300)
    farm = _sitting(market, "sitting", 8, day=250, pairs=1)
    found = _creator_sets(find_identity_rings(market.context()))
    assert set(farm) in found


def test_an_onboarding_day_at_one_venue_without_any_decisive_tie_is_not_a_ring() -> None:
    market = _spread_market(300)
    _sitting(market, "venue", 30, day=250, pairs=0)
    assert find_identity_rings(market.context()) == []
