"""Honest look-alikes of the ``benign`` profile: structures at scale that look like rings and are not.

On markets made by other generators, and on real ones, most false rings are
built on honest commerce our plain market never had: shops that pay every
creator a boosted rate for a campaign, categories where a third or more of the
orders come back (some after the commission was paid), livestream spikes,
households and dorms, carrier NAT, agencies that collect their creators' pay,
brand teams, resellers, devoted creators, onboarding days. Each kind below is
planted at a realistic share of the market, with its parameters drawn per seed
from wide ranges (:class:`BenignShape`), so no detector can be tuned to one
shape, and each group is listed in ``lookalikes.csv`` (never labelled):

- ``boosted_campaign``: a shop paying every one of its creators two to four
  times its category's usual rate, many of them bringing two to ten orders
  from the shop's ordinary audience;
- ``high_refund_category``: a category (several of its shops) whose buyers
  return a quarter to two thirds of all orders, many only after the
  commission was paid (a long return window), and many creators with two to
  ten orders each there;
- ``flash_sale``: a livestream in which hundreds of buyers order through one
  to three creators at one shop within an hour;
- ``household``: three to eight accounts (buyers, up to two creators,
  sometimes a seller) on a family device and the home Wi-Fi, some also on one
  email or a joint payout account; no planted business between them (an
  ordinary order through a relative's link happens only by chance);
- ``dorm``: ten to thirty residents on one Wi-Fi, a few borrowed devices;
- ``carrier_nat``: mobile-carrier egress IPs shared by a sizeable share of
  all accounts;
- ``agency_payout``: a declared agency of five to forty creators paid into the
  agency's one payout account, which is not on the allowlist;
- ``brand_team``: a brand's in-house creators, registered within a few days,
  promoting only the brand's one to three shops from its office IP at its rate;
- ``wholesale_buyers``: resellers and gift buyers ordering ten to sixty times
  through one creator at one shop;
- ``single_shop_creators``: creators who promote exactly one shop;
- ``onboarding_day``: tens to a couple of hundred creators registered on one
  platform-campaign day, promoting popular shops (some the campaign's featured
  ones).

Creators of different groups never overlap (each is handed out once), so a
ring found on one kind is not blamed on another; no two members of a group
trade with each other in a way that would be fraud (no household buyer buys
through a household creator's link, no household creator earns at the
household seller's shop).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .catalog import CATEGORY_SHARES, RATE_HIGH, RATE_LOW
from .clock import DAY, HOUR, SNAPSHOT_END, WINDOW_START, between
from .evasion_lookalikes import Unclaimed, join_on_one_day
from .market import BUYER, CREATOR, DEVICE, EMAIL, IP, PAYOUT, SELLER, SHOP, Market
from .population import add_orders, normal_rates, start_times, weighted_choice

#: Every kind this profile adds (``household`` and ``carrier_nat`` are broader versions of
#: kinds the other profiles have too).
BENIGN_LOOKALIKES = ("boosted_campaign", "high_refund_category", "flash_sale", "household", "dorm",
                     "carrier_nat", "agency_payout", "brand_team", "wholesale_buyers",
                     "single_shop_creators", "onboarding_day")
#: Affiliations made here override a casual one between the same creator and shop (a
#: campaign's boosted rate applies to the shop's existing creators too).
_PRIORITY = 1


def _per_scale(rng: np.random.Generator, low: float, high: float, scale: float,
               minimum: int) -> int:
    """A count drawn between ``low`` and ``high`` per unit of scale, at least ``minimum``."""
    return max(minimum, round(rng.uniform(low, high) * scale))


def _span(rng: np.random.Generator, low: tuple[int, int], width: tuple[int, int]
          ) -> tuple[int, int]:
    """A drawn integer range [a, b): ``a`` within ``low``, ``b - a`` within ``width``."""
    start = int(rng.integers(*low))
    return start, start + int(rng.integers(*width))


@dataclass(frozen=True)
class BenignShape:
    """This seed's honest look-alikes: how many of each kind, and the ranges they are drawn from.

    Counts are per unit of scale (1.0: 2,000 creators, 6,000 buyers); ranges
    ``(a, b)`` of integers are half-open.
    """

    campaigns: int
    campaign_creators: tuple[int, int]
    #: Boosted rate as a multiple of the category's middle rate, drawn per campaign in here.
    campaign_boost: tuple[float, float]
    #: Distinct fans in a campaign's audience per campaign order (below 1: fans come back).
    campaign_audience: float
    refund_categories: int
    refund_shop_share: float
    refund_rate: tuple[float, float]
    #: Share of the category's refunds that come after the commission was paid.
    refund_late_share: float
    refund_creators: tuple[int, int]  # per shop
    flash_sales: int
    flash_buyers: tuple[int, int]
    households: int
    household_seller: float
    household_email: float
    household_payout: float
    dorms: int
    carrier_nats: int
    carrier_share: float  # of all accounts, per egress
    agencies: int
    agency_paid_share: float
    brand_teams: int
    brand_days: int
    wholesalers: int
    wholesale_refund: float
    single_shops: int
    onboarding_days: int
    onboarding_featured: float

    @classmethod
    def draw(cls, scale: float, rng: np.random.Generator) -> BenignShape:
        """One seed's shape at ``scale``."""
        refund_low = float(rng.uniform(0.25, 0.4))
        boost_low = float(rng.uniform(1.8, 2.6))
        return cls(
            campaigns=_per_scale(rng, 3, 8, scale, 2),
            campaign_creators=_span(rng, (6, 15), (10, 30)),
            campaign_boost=(boost_low, boost_low + float(rng.uniform(0.4, 1.4))),
            campaign_audience=float(rng.uniform(0.5, 2.5)),
            refund_categories=_per_scale(rng, 0.5, 1.5, scale, 1),
            refund_shop_share=float(rng.uniform(0.3, 0.9)),
            refund_rate=(refund_low, float(rng.uniform(refund_low + 0.1, 0.65))),
            refund_late_share=float(rng.uniform(0.2, 0.7)),
            refund_creators=_span(rng, (2, 4), (3, 12)),
            flash_sales=_per_scale(rng, 2, 6, scale, 1),
            flash_buyers=_span(rng, (100, 250), (100, 500)),
            households=_per_scale(rng, 50, 150, scale, 2),
            household_seller=float(rng.uniform(0.05, 0.25)),
            household_email=float(rng.uniform(0.1, 0.5)),
            household_payout=float(rng.uniform(0.05, 0.35)),
            dorms=_per_scale(rng, 2, 8, scale, 1),
            carrier_nats=_per_scale(rng, 1, 3, scale, 1),
            carrier_share=float(rng.uniform(0.1, 0.35)),
            agencies=_per_scale(rng, 2, 6, scale, 1),
            agency_paid_share=float(rng.uniform(0.6, 1.0)),
            brand_teams=_per_scale(rng, 1, 4, scale, 1),
            brand_days=int(rng.integers(1, 6)),
            wholesalers=_per_scale(rng, 10, 40, scale, 2),
            wholesale_refund=float(rng.uniform(0.02, 0.2)),
            single_shops=_per_scale(rng, 8, 25, scale, 2),
            onboarding_days=_per_scale(rng, 0.5, 2.0, scale, 1),
            onboarding_featured=float(rng.uniform(0.1, 0.5)))


class _BuyerPool:
    """Honest buyers handed to at most one group each (households, dorms, resellers)."""

    def __init__(self, market: Market, rng: np.random.Generator) -> None:
        self._pool = rng.permutation(market.buyers.honest)
        self._next = 0

    def take(self, n: int) -> np.ndarray:
        chosen = self._pool[self._next:self._next + max(0, int(n))]
        self._next += len(chosen)
        return chosen


class _Planting:
    """What every planter shares: the market, this seed's shape, its draws, the account pools."""

    def __init__(self, market: Market, shape: BenignShape, rng: np.random.Generator) -> None:
        self.market, self.shape, self.rng = market, shape, rng
        self.creators = Unclaimed(market, rng)
        self.buyers = _BuyerPool(market, rng)
        aff = market.affiliations.concat()
        self.affiliations = aff
        self.promotes = np.zeros(len(market.creators.reach), dtype=bool)
        self.promotes[aff["creator"]] = True
        self.used_shops = np.zeros(len(market.shops.seller), dtype=bool)
        honest_buyers = market.buyers.activity[:market.buyers.honest]
        self._buyer_weights = honest_buyers

    def ordinary_buyers(self, n: int) -> np.ndarray:
        """``n`` honest buyers, the active ones more often (with repeats)."""
        return weighted_choice(self._buyer_weights, n, self.rng)

    def free_shops(self, candidates: np.ndarray, n: int) -> np.ndarray:
        """Up to ``n`` distinct shops of ``candidates`` no other group uses, popular ones likelier."""
        free = candidates[~self.used_shops[candidates]]
        if free.size == 0 or n <= 0:
            return free[:0]
        weight = self.market.shops.popularity[free]
        chosen = self.rng.choice(free, min(n, len(free)), replace=False, p=weight / weight.sum())
        self.used_shops[chosen] = True
        return chosen

    def affiliate(self, creators: np.ndarray, shops: np.ndarray, rates: np.ndarray,
                  started: np.ndarray) -> None:
        self.market.affiliations.append(creator=creators, shop=shops, rate=rates,
                                        started_at=started, priority=_PRIORITY)

    def record(self, kind: str, members: list[tuple[int, np.ndarray]]) -> None:
        """One look-alike group of ``kind`` with its members (account type, accounts)."""
        group = self.market.new_lookalikes(kind, 1)
        for account_type, accounts in members:
            self.market.lookalike_members(group, account_type, np.unique(accounts))


def plant_benign_lookalikes(market: Market, scale: float, *, rng: np.random.Generator
                            ) -> BenignShape:
    """Add the benign profile's look-alikes to ``market`` (see the module docstring); returns the shape."""
    shape = BenignShape.draw(scale, rng)
    planting = _Planting(market, shape, rng)
    # High-refund categories first: they re-draw the refunds of their shops' existing orders,
    # and the shops they take are not handed to another kind.
    _high_refund_categories(planting)
    _boosted_campaigns(planting)
    _flash_sales(planting)
    _brand_teams(planting)
    _single_shop_creators(planting)
    _wholesale_buyers(planting)
    _agency_payouts(planting)
    _households(planting)
    _dorms(planting)
    _carrier_nats(planting)
    _onboarding_days(planting)
    return shape


# --- commerce that looks like collusion ------------------------------------------------------

def _middle_rate(market: Market, shops: np.ndarray) -> np.ndarray:
    category = market.shops.category[shops]
    return (RATE_LOW[category] + RATE_HIGH[category]) / 2


def _trade(p: _Planting, creators: np.ndarray, shop_of: np.ndarray, per_creator: np.ndarray,
           started: np.ndarray, window: tuple[np.ndarray | int, np.ndarray | int],
           buyers: np.ndarray | None = None, *, refund_rate: float | np.ndarray | None = None,
           late_share: float = 0.0) -> None:
    """``per_creator`` orders by each creator at ``shop_of`` it, inside its window after ``started``.

    Buyers are ordinary ones (or drawn uniformly from ``buyers``, an audience).
    """
    pick = np.repeat(np.arange(len(creators)), per_creator)
    if pick.size == 0:
        return
    low = np.maximum(np.maximum(started, np.asarray(window[0]))[pick], WINDOW_START)
    high = np.broadcast_to(np.asarray(window[1]), creators.shape)[pick]
    who = (p.ordinary_buyers(len(pick)) if buyers is None
           else buyers[p.rng.integers(0, len(buyers), len(pick))])
    add_orders(p.market, buyers=who, shops=shop_of[pick], creators=creators[pick],
               placed_at=between(low, high, p.rng), rng=p.rng,
               refund_rate=None if refund_rate is None else (
                   refund_rate if np.isscalar(refund_rate) else np.asarray(refund_rate)[pick]),
               late_share=late_share)


def _boosted_campaigns(p: _Planting) -> None:
    """Shops paying every creator a boosted rate; many creators, a few orders each."""
    m, s, rng = p.market, p.shape, p.rng
    honest = np.arange(m.shops.honest)
    # Categories whose norm is around ten percent: a boost there reads as 25-50 %.
    mid = (RATE_LOW + RATE_HIGH) / 2
    fitting = honest[(mid[m.shops.category[honest]] >= 0.09)
                     & (m.shops.registered_at[honest] < SNAPSHOT_END - 60 * DAY)]
    aff = p.affiliations
    for shop in p.free_shops(fitting, s.campaigns):
        start = int(between(max(WINDOW_START, int(m.shops.registered_at[shop]) + 7 * DAY),
                            SNAPSHOT_END - 20 * DAY, rng))
        end = min(SNAPSHOT_END, start + int(rng.integers(7, 46)) * DAY)
        new = p.creators.take(int(rng.integers(*s.campaign_creators)),
                              where=m.creators.registered_at < start - DAY)
        existing = np.unique(aff["creator"][aff["shop"] == shop])
        everyone = np.union1d(new, existing)
        if new.size < 2:
            continue
        rate = round(float(np.clip(mid[m.shops.category[shop]] * rng.uniform(*s.campaign_boost),
                                   RATE_HIGH[m.shops.category[shop]] + 0.05, 0.6)), 2)
        shops = np.full(len(everyone), shop)
        started = start_times(m, everyone, shops, rng, latest=start - DAY)
        p.affiliate(everyone, shops, np.full(len(everyone), rate), started)
        orders = rng.integers(2, 11, len(new))
        audience = p.ordinary_buyers(max(10, round(orders.sum() * s.campaign_audience)))
        new_started = started[np.searchsorted(everyone, new)]
        _trade(p, new, np.full(len(new), shop), orders, new_started, (start, end), audience,
               refund_rate=m.shops.refund_rate[shop] * rng.uniform(0.8, 2.0))
        p.record("boosted_campaign", [(SHOP, np.array([shop])),
                                      (SELLER, m.shops.seller[[shop]]),
                                      (CREATOR, np.concatenate([new, p.creators.claim(existing)]))])


def _high_refund_categories(p: _Planting) -> None:
    """Categories whose buyers send back a quarter to two thirds of their orders, some late."""
    m, s, rng = p.market, p.shape, p.rng
    honest = np.arange(m.shops.honest)
    categories = rng.choice(len(CATEGORY_SHARES), min(s.refund_categories, len(CATEGORY_SHARES)),
                            replace=False, p=CATEGORY_SHARES)
    for category in categories:
        in_category = honest[m.shops.category[honest] == category]
        shops = p.free_shops(in_category, max(3, round(s.refund_shop_share * len(in_category))))
        if shops.size == 0:
            continue
        rate = float(rng.uniform(*s.refund_rate))
        # Every order at these shops, already placed or placed below, refunds at the category's
        # rate: the refunds are the category's, not any one creator's.
        for chunk in m.orders.chunks():
            at = np.isin(chunk["shop"], shops)
            n = int(at.sum())
            if n == 0:
                continue
            draw = rng.random(n)
            refunded = draw < rate
            chunk["refunded"] = _put(chunk["refunded"], at, refunded)
            chunk["cancelled"] = _put(chunk["cancelled"], at, ~refunded & (draw < rate + 0.02))
            chunk["late_refund"] = _put(chunk["late_refund"], at, refunded & (
                chunk["creator"][at] >= 0) & (rng.random(n) < s.refund_late_share))
        per_shop = rng.integers(*s.refund_creators, len(shops))
        new = p.creators.take(int(per_shop.sum()),
                              where=m.creators.registered_at < SNAPSHOT_END - 45 * DAY)
        if new.size == 0:
            continue
        home = np.repeat(shops, per_shop)[:len(new)]
        # A third of them also promote a second shop of the category.
        second = rng.random(len(new)) < 0.33
        creator = np.concatenate([new, new[second]])
        shop = np.concatenate([home, shops[rng.integers(0, len(shops), int(second.sum()))]])
        pair = np.unique(creator * len(m.shops.seller) + shop)
        creator, shop = pair // len(m.shops.seller), pair % len(m.shops.seller)
        started = start_times(m, creator, shop, rng, latest=SNAPSHOT_END - 30 * DAY)
        p.affiliate(creator, shop, normal_rates(m, shop, rng), started)
        _trade(p, creator, shop, rng.integers(2, 11, len(creator)), started,
               (WINDOW_START, SNAPSHOT_END), refund_rate=rate, late_share=s.refund_late_share)
        aff = p.affiliations
        existing = aff["creator"][np.isin(aff["shop"], shops)]
        p.record("high_refund_category", [
            (SHOP, shops), (SELLER, m.shops.seller[shops]),
            (CREATOR, np.concatenate([new, p.creators.claim(existing)]))])


def _put(values: np.ndarray, where: np.ndarray, new: np.ndarray) -> np.ndarray:
    out = values.copy()
    out[where] = new
    return out


def _flash_sales(p: _Planting) -> None:
    """Livestream spikes: hundreds of buyers through one to three creators at one shop in an hour."""
    m, s, rng = p.market, p.shape, p.rng
    honest = np.arange(m.shops.honest)
    established = honest[m.shops.registered_at[honest] < SNAPSHOT_END - 60 * DAY]
    popular = established[np.argsort(-m.shops.popularity[established])[:max(10, len(
        established) // 10)]]
    reach = m.creators.reach
    for shop in p.free_shops(popular, s.flash_sales):
        sale = int(between(max(WINDOW_START, int(m.shops.registered_at[shop]) + 30 * DAY),
                           SNAPSHOT_END - 20 * DAY, rng))
        hosts = p.creators.take(int(rng.integers(1, 4)),
                                where=(reach >= np.median(reach))
                                & (m.creators.registered_at < sale - 30 * DAY))
        if hosts.size == 0:
            continue
        n = min(int(rng.integers(*s.flash_buyers)), m.buyers.honest // 3)
        weight = m.buyers.activity[:m.buyers.honest]
        crowd = rng.choice(m.buyers.honest, n, replace=False, p=weight / weight.sum())
        buyers = np.concatenate([crowd, crowd[rng.random(n) < 0.1]])  # some order twice
        shops = np.full(len(hosts), shop)
        started = start_times(m, hosts, shops, rng, latest=sale - DAY)
        p.affiliate(hosts, shops, normal_rates(m, shops, rng), started)
        host = weighted_choice(rng.dirichlet(np.ones(len(hosts))), len(buyers), rng)
        add_orders(m, buyers=buyers, shops=np.full(len(buyers), shop), creators=hosts[host],
                   placed_at=sale + rng.integers(0, HOUR, len(buyers)), rng=rng,
                   refund_rate=m.shops.refund_rate[shop] * rng.uniform(1.0, 2.5))
        p.record("flash_sale", [(SHOP, np.array([shop])), (SELLER, m.shops.seller[[shop]]),
                                (CREATOR, hosts), (BUYER, crowd)])


def _brand_teams(p: _Planting) -> None:
    """A brand's in-house creators: registered in a few days, promoting only its shops, its office IP."""
    m, s, rng = p.market, p.shape, p.rng
    registered = m.creators.registered_at
    for _ in range(s.brand_teams):
        day = int(between(WINDOW_START - 300 * DAY, SNAPSHOT_END - 60 * DAY, rng))
        width = s.brand_days * DAY
        # The brand: an honest seller whose shops (one to three) were open by then.
        sellers = np.unique(m.shops.seller[:m.shops.honest][
            m.shops.registered_at[:m.shops.honest] < day])
        if sellers.size == 0:
            continue
        seller = int(rng.choice(sellers))
        shops = np.flatnonzero((m.shops.seller == seller) & (m.shops.registered_at < day))[:3]
        shops = shops[~p.used_shops[shops]]
        team = p.creators.take(int(rng.integers(5, 21)),
                               where=~p.promotes & (registered > day + width))
        if team.size < 2 or shops.size == 0:
            continue
        p.used_shops[shops] = True
        joined = day + rng.integers(0, width, len(team))
        registered[team] = joined  # earlier than before: nothing drawn from it breaks
        if rng.random() < 0.5:  # half the brands declare their team as an agency
            m.creators.agency[team] = m.agencies
            m.agencies += 1
        office = m.new_identifiers(IP, 1)
        at_office = rng.random(len(team)) < 0.9
        m.link(CREATOR, team[at_office], IP, office,
               first_seen=joined[at_office] + rng.integers(0, 8 * HOUR, int(at_office.sum())))
        creator = np.repeat(team, len(shops))
        shop = np.tile(shops, len(team))
        factor = rng.uniform(0.8, 1.8)  # the brand's own rate, the same for its whole team
        rate = np.round(np.clip(_middle_rate(m, shop) * factor, 0.02, 0.6), 2)
        started = registered[creator] + rng.integers(0, 3 * DAY, len(creator))
        p.affiliate(creator, shop, rate, started)
        _trade(p, creator, shop, rng.integers(2, 21, len(creator)), started,
               (WINDOW_START, SNAPSHOT_END))
        p.record("brand_team", [(CREATOR, team), (SHOP, shops),
                                (SELLER, np.array([seller]))])


def _single_shop_creators(p: _Planting) -> None:
    """Creators devoted to one shop: they promote nothing else and bring it all their orders."""
    m, s, rng = p.market, p.shape, p.rng
    honest = np.arange(m.shops.honest)
    open_long = honest[m.shops.registered_at[honest] < SNAPSHOT_END - 90 * DAY]
    for shop in p.free_shops(open_long, s.single_shops):
        creators = p.creators.take(int(rng.integers(1, 4)),
                                   where=~p.promotes & (m.creators.registered_at
                                                        < SNAPSHOT_END - 60 * DAY))
        if creators.size == 0:
            continue
        shops = np.full(len(creators), shop)
        started = start_times(m, creators, shops, rng, latest=SNAPSHOT_END - 45 * DAY)
        p.affiliate(creators, shops, normal_rates(m, shops, rng), started)
        _trade(p, creators, shops, rng.integers(5, 61, len(creators)), started,
               (WINDOW_START, SNAPSHOT_END))
        p.record("single_shop_creators", [(SHOP, np.array([shop])), (CREATOR, creators)])


def _wholesale_buyers(p: _Planting) -> None:
    """Resellers and gift buyers: ten to sixty orders each through one creator at one shop."""
    m, s, rng = p.market, p.shape, p.rng
    aff = p.affiliations
    # Deals a reseller can have used for months, at shops no other group has.
    usable = (~p.used_shops[aff["shop"]] & (aff["shop"] < m.shops.honest)
              & (aff["started_at"] < SNAPSHOT_END - 60 * DAY))
    rows = np.flatnonzero(usable)[np.argsort(aff["creator"][usable], kind="stable")]
    by_creator = aff["creator"][rows]
    eligible = np.zeros(len(m.creators.reach), dtype=bool)
    eligible[by_creator] = True
    for _ in range(s.wholesalers):
        creator = p.creators.take(1, where=eligible)
        if creator.size == 0:
            break
        row = rows[np.searchsorted(by_creator, creator[0])]
        shop, started = int(aff["shop"][row]), int(aff["started_at"][row])
        buyers = p.buyers.take(int(rng.integers(1, 4)))
        per_buyer = rng.integers(10, 61, len(buyers))
        who = np.repeat(buyers, per_buyer)
        add_orders(m, buyers=who, shops=np.full(len(who), shop),
                   creators=np.full(len(who), creator[0]),
                   placed_at=between(max(started, WINDOW_START), SNAPSHOT_END, rng, len(who)),
                   rng=rng, refund_rate=s.wholesale_refund)
        p.record("wholesale_buyers", [(CREATOR, creator), (SHOP, np.array([shop])),
                                      (BUYER, buyers)])


# --- identity that looks like a farm ---------------------------------------------------------

def _agency_payouts(p: _Planting) -> None:
    """Declared agencies collecting their creators' commissions into one account, not allowlisted."""
    m, s, rng = p.market, p.shape, p.rng
    for _ in range(s.agencies):
        members = p.creators.take(int(rng.integers(5, 41)))
        if members.size < 3:
            continue
        m.creators.agency[members] = m.agencies
        m.agencies += 1
        paid = rng.random(len(members)) < s.agency_paid_share
        paid[:2] = True
        account = m.new_identifiers(PAYOUT, 1)
        m.drop_own(CREATOR, members[paid], PAYOUT)
        m.link(CREATOR, members[paid], PAYOUT, account)
        if rng.random() < 0.5:
            office = m.new_identifiers(IP, 1)
            at_office = rng.random(len(members)) < rng.uniform(0.5, 0.9)
            m.link(CREATOR, members[at_office], IP, office)
        p.record("agency_payout", [(CREATOR, members)])


def _households(p: _Planting) -> None:
    """Three to eight accounts on a family device and the home Wi-Fi; some share an email or a purse."""
    m, s, rng = p.market, p.shape, p.rng
    n = s.households
    size = rng.integers(3, 9, n)
    start = np.cumsum(size) - size
    home = np.repeat(np.arange(n), size)
    rank = _rank_within(home, start, rng)
    is_seller = (rank == 0) & (rng.random(n) < s.household_seller)[home]
    wants_creator = (~is_seller & (rng.random(len(home)) < 0.25) & (rank >= 1)
                     & (rank <= 2))  # two at most
    creators = p.creators.take(int(wants_creator.sum()))
    is_creator = wants_creator.copy()
    is_creator[np.flatnonzero(wants_creator)[len(creators):]] = False
    sellers = rng.choice(m.sellers.honest, int(is_seller.sum()), replace=False)
    is_seller, sellers = _no_trade_with_household_seller(p, home, is_seller, is_creator,
                                                         sellers, creators)
    is_buyer = ~is_creator & ~is_seller
    buyers = p.buyers.take(int(is_buyer.sum()))
    keep = ~is_buyer | (np.cumsum(is_buyer) <= len(buyers))
    accounts = np.empty(len(home), dtype=np.int64)
    kind = np.where(is_creator, CREATOR, np.where(is_seller, SELLER, BUYER))
    accounts[is_creator], accounts[is_seller] = creators, sellers
    accounts[is_buyer & keep] = buyers
    home, rank, kind, accounts = home[keep], rank[keep], kind[keep], accounts[keep]

    device = m.new_identifiers(DEVICE, n)
    wifi = m.new_identifiers(IP, n)
    email = m.new_identifiers(EMAIL, n)
    purse = m.new_identifiers(PAYOUT, n)
    on_device = (rank < 2) | (rng.random(len(home)) < 0.8)
    on_email = (rng.random(n) < s.household_email)[home] & ((rank < 2) | (rng.random(len(home))
                                                                         < 0.4))
    on_purse = (rng.random(n) < s.household_payout)[home] & (rank < 2)
    groups = m.new_lookalikes("household", n)
    for account_type in (CREATOR, SELLER, BUYER):
        mine = kind == account_type
        who, where = accounts[mine], home[mine]
        m.lookalike_members(groups[where], account_type, who)
        m.link(account_type, who, IP, wifi[where])
        for used, identifier_type, values, replaces in ((on_device[mine], DEVICE, device, False),
                                                        (on_email[mine], EMAIL, email, True),
                                                        (on_purse[mine], PAYOUT, purse, True)):
            if replaces:
                m.drop_own(account_type, who[used], identifier_type)
            m.link(account_type, who[used], identifier_type, values[where[used]])


def _rank_within(group: np.ndarray, start: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """A random order of the members of each group (0, 1, ... within each group)."""
    order = np.lexsort((rng.random(len(group)), group))
    rank = np.empty(len(group), dtype=np.int64)
    rank[order] = np.arange(len(group)) - start[group[order]]
    return rank


def _no_trade_with_household_seller(p: _Planting, home: np.ndarray, is_seller: np.ndarray,
                                    is_creator: np.ndarray, sellers: np.ndarray,
                                    creators: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Drop a household's seller when one of its creators already promotes the seller's shops.

    Such a pair would be self-dealing, not a look-alike of it. Returns the seller mask and
    the sellers kept.
    """
    m = p.market
    aff = p.affiliations
    creator_home = home[is_creator]
    seller_home = home[is_seller]
    seller_of_home = np.full(int(home.max()) + 1 if home.size else 0, -1, dtype=np.int64)
    seller_of_home[seller_home] = sellers
    theirs = seller_of_home[creator_home]
    promoted = np.isin(aff["creator"], creators)
    pairs = set(zip(aff["creator"][promoted].tolist(),
                    m.shops.seller[aff["shop"][promoted]].tolist(), strict=True))
    bad_homes = {int(h) for c, h, s in zip(creators.tolist(), creator_home.tolist(),
                                           theirs.tolist(), strict=True)
                 if s >= 0 and (c, s) in pairs}
    if not bad_homes:
        return is_seller, sellers
    keep = ~np.isin(seller_home, list(bad_homes))
    mask = is_seller.copy()
    mask[np.flatnonzero(is_seller)[~keep]] = False
    return mask, sellers[keep]


def _dorms(p: _Planting) -> None:
    """Ten to thirty residents on one Wi-Fi, with a few devices passed around."""
    m, s, rng = p.market, p.shape, p.rng
    for _ in range(s.dorms):
        size = int(rng.integers(10, 31))
        is_creator = rng.random(size) < rng.uniform(0.1, 0.35)
        creators = p.creators.take(int(is_creator.sum()))
        buyers = p.buyers.take(size - len(creators))
        kinds = np.r_[np.full(len(creators), CREATOR), np.full(len(buyers), BUYER)]
        residents = np.r_[creators, buyers]
        if residents.size < 2:
            continue
        wifi = m.new_identifiers(IP, 1)
        for account_type, who in ((CREATOR, creators), (BUYER, buyers)):
            m.link(account_type, who, IP, wifi)
        for device in m.new_identifiers(DEVICE, int(rng.integers(1, 5))):
            users = rng.choice(len(residents), min(len(residents), int(rng.integers(2, 5))),
                               replace=False)
            for account_type in (CREATOR, BUYER):
                mine = users[kinds[users] == account_type]
                m.link(account_type, residents[mine], DEVICE, device)
        p.record("dorm", [(CREATOR, creators), (BUYER, buyers)])


def _carrier_nats(p: _Planting) -> None:
    """Mobile-carrier egress IPs, each used by a sizeable share of all accounts (ring members too)."""
    m, s, rng = p.market, p.shape, p.rng
    counts = ((CREATOR, len(m.creators.reach)), (SELLER, len(m.sellers.region)),
              (BUYER, len(m.buyers.activity)))
    for egress in m.new_identifiers(IP, s.carrier_nats):
        share = s.carrier_share * rng.uniform(0.5, 1.5)
        members = []
        for account_type, n in counts:
            users = np.flatnonzero(rng.random(n) < share)
            m.link(account_type, users, IP, egress)
            members.append((account_type, users))
        p.record("carrier_nat", members)


def _onboarding_days(p: _Planting) -> None:
    """A platform campaign day: tens to hundreds of creators join and promote popular shops."""
    m, s, rng = p.market, p.shape, p.rng
    registered = m.creators.registered_at
    honest = np.arange(m.shops.honest)
    popularity = m.shops.popularity[honest]
    top = honest[np.argsort(-popularity)[:max(20, len(honest) // 20)]]
    for _ in range(s.onboarding_days):
        day = int(between(WINDOW_START - 200 * DAY, SNAPSHOT_END - 45 * DAY, rng))
        cap = max(10, round(0.08 * m.creators.honest))
        members = p.creators.take(min(int(rng.integers(20, 201)), cap),
                                  where=registered > day + DAY)
        if members.size < 2:
            continue
        join_on_one_day(m, members, day, (0.2, 0.6), rng)
        featured = rng.choice(top, min(len(top), int(rng.integers(3, 7))), replace=False)
        creator = np.repeat(members, rng.integers(1, 4, len(members)))
        anywhere = honest[weighted_choice(popularity, len(creator), rng)]
        chosen = np.where(rng.random(len(creator)) < s.onboarding_featured,
                          featured[rng.integers(0, len(featured), len(creator))], anywhere)
        pair = np.unique(creator * len(m.shops.seller) + chosen)
        creator, shop = pair // len(m.shops.seller), pair % len(m.shops.seller)
        started = np.maximum(registered[creator], m.shops.registered_at[shop]) + rng.integers(
            DAY, 30 * DAY, len(creator))
        started = np.minimum(started, SNAPSHOT_END - DAY)
        p.affiliate(creator, shop, normal_rates(m, shop, rng), started)
        _trade(p, creator, shop, rng.integers(0, 7, len(creator)), started,
               (WINDOW_START, SNAPSHOT_END))
        p.record("onboarding_day", [(CREATOR, members)])
