"""The ``sybil`` profile: identity links only, shaped like airdrop sybil data.

Real sybil data sets (wallets farming an airdrop) carry no orders and no
commissions, only who moved money to whom. Here every account is a creator and
every wallet transfer becomes a ``payout_account`` identity link: an account
that received from (or sent to) a wallet uses that wallet. What makes the data
hard is the same as in the real thing:

- sybil groups have heavy-tailed sizes (a Pareto draw, 5 to about 1,000
  accounts); each is wired as funder stars (one funder wallet linked to many
  accounts, big groups fanned out over several funders that share a few
  accounts), as transfer chains (a-b-c-d: each account linked to the next
  one's wallet), or both;
- exchange hot wallets are shared by thousands of honest accounts (and a few
  sybils): the biggest "stars" in the data are honest;
- honest accounts hold one or two wallets of their own, pay a random other
  account now and then, and friends (two to four) send to each other.

The tail exponent, the wiring mix, the fan-out and the exchange shares are
drawn per seed (:class:`SybilShape`). Labels list every sybil; ``lookalikes.csv``
lists friend groups and each exchange's honest users. The shops, orders,
commissions, affiliations, violations and allowlist tables are written with
their header only: that is what such a data set gives a marketplace detector.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pyarrow as pa

from ringwatch.domain import IdentifierType

from .catalog import DOMESTIC_REGIONS, DOMESTIC_SHARES, REGIONS
from .clock import DAY, HISTORY_START, SNAPSHOT_END, link_times, registration_times
from .iso_times import iso_utc
from .opaque_ids import OpaqueIds
from .tables import chronological, coded_names, lookalike_table

SYBIL_TYPOLOGIES = ("sybil_star", "sybil_chain", "sybil_star_chain")
STAR, CHAIN, STAR_CHAIN = range(3)
#: Smallest and largest sybil group.
MIN_GROUP, MAX_GROUP = 5, 1_000

#: Contract columns (and Arrow types) of the tables this profile leaves header-only.
_EMPTY_TABLES: dict[str, dict[str, pa.DataType]] = {
    "shops": {"shop_id": pa.string(), "seller_id": pa.string(), "registered_at": pa.string(),
              "region": pa.string(), "category": pa.string()},
    "orders": {"order_id": pa.string(), "buyer_id": pa.string(), "shop_id": pa.string(),
               "creator_id": pa.string(), "amount": pa.float64(), "currency": pa.string(),
               "placed_at": pa.string(), "status": pa.string(), "refunded_at": pa.string()},
    "commissions": {"commission_id": pa.string(), "order_id": pa.string(),
                    "creator_id": pa.string(), "shop_id": pa.string(), "amount": pa.float64(),
                    "rate": pa.float64(), "created_at": pa.string(), "status": pa.string()},
    "affiliations": {"creator_id": pa.string(), "shop_id": pa.string(),
                     "commission_rate": pa.float64(), "started_at": pa.string()},
    "violations": {"creator_id": pa.string(), "policy": pa.string(), "severity": pa.string(),
                   "occurred_at": pa.string()},
    "allowlist": {"identifier_type": pa.string(), "identifier": pa.string(), "owner": pa.string(),
                  "reason": pa.string(), "expires_at": pa.string()},
}
_STAGES = ("shape", "honest", "sybils", "tables")


@dataclass(frozen=True)
class SybilSizes:
    """Counts of the sybil profile, from ``scale`` alone (1.0 ≈ 100,000 rows)."""

    honest: int
    groups: int
    exchanges: int
    friend_groups: int

    @classmethod
    def for_scale(cls, scale: float) -> SybilSizes:
        """Sizes at ``scale``; with 250 groups at scale 1 the largest has at least about 350 accounts."""

        def count(per_unit: float, minimum: int) -> int:
            return max(minimum, round(per_unit * scale))

        return cls(honest=count(27_000, 200), groups=count(250, 6), exchanges=count(4, 2),
                   friend_groups=count(400, 5))


@dataclass(frozen=True)
class SybilShape:
    """This seed's shape of the sybil data: drawn once, so held-out seeds differ from tuning ones."""

    #: Pareto tail exponent of group sizes (smaller: heavier tail).
    alpha: float
    #: Probabilities of star, chain and star-plus-chain wiring.
    wiring: tuple[float, float, float]
    #: Accounts per funder wallet in a star, drawn per group between these.
    fanout: tuple[int, int]
    #: Share of star members also funded by a second funder of their group.
    second_funder: float
    #: Share of honest accounts (and of sybils) on an exchange hot wallet.
    honest_exchange: float
    sybil_exchange: float
    #: Share of honest accounts that paid one random other account.
    honest_transfer: float
    #: Share of sybils that also touched a random honest account's wallet.
    sybil_leak: float

    @classmethod
    def draw(cls, rng: np.random.Generator) -> SybilShape:
        """One seed's shape."""
        star = rng.uniform(0.3, 0.5)
        chain = rng.uniform(0.2, 0.4)
        low = int(rng.integers(15, 60))
        return cls(alpha=float(rng.uniform(1.0, 1.3)),
                   wiring=(float(star), float(chain), float(1.0 - star - chain)),
                   fanout=(low, low + int(rng.integers(50, 350))),
                   second_funder=float(rng.uniform(0.05, 0.25)),
                   honest_exchange=float(rng.uniform(0.45, 0.7)),
                   sybil_exchange=float(rng.uniform(0.03, 0.15)),
                   honest_transfer=float(rng.uniform(0.02, 0.08)),
                   sybil_leak=float(rng.uniform(0.0, 0.05)))


def group_sizes(groups: int, alpha: float, rng: np.random.Generator) -> np.ndarray:
    """Heavy-tailed sybil group sizes: a Pareto(``alpha``) from 5, capped at about 1,000.

    Stratified (one draw per 1/``groups`` quantile, shuffled), so the tail is
    always reached: with 250 groups (scale 1) and alpha <= 1.3 the largest has
    at least 5 * 250 ** (1 / 1.3), about 350, accounts.
    """
    u = (np.arange(groups) + rng.random(groups)) / groups
    sizes = np.floor(MIN_GROUP * (1.0 - u) ** (-1.0 / alpha))
    return rng.permutation(np.clip(sizes, MIN_GROUP, MAX_GROUP).astype(np.int64))


class _Links:
    """(account, wallet, pinned first-seen) chunks; wallets are numbered as they are made."""

    def __init__(self) -> None:
        self.wallets = 0
        self._chunks: list[tuple[np.ndarray, np.ndarray, np.ndarray]] = []

    def new_wallets(self, n: int) -> np.ndarray:
        start = self.wallets
        self.wallets += int(n)
        return np.arange(start, self.wallets, dtype=np.int64)

    def add(self, accounts: np.ndarray, wallets: np.ndarray, pinned: np.ndarray | int = -1
            ) -> None:
        accounts = np.asarray(accounts, dtype=np.int64)
        self._chunks.append((accounts, np.broadcast_to(wallets, accounts.shape).astype(np.int64),
                             np.broadcast_to(pinned, accounts.shape).astype(np.int64)))

    def concat(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Distinct (account, wallet) links, the first recorded kept."""
        account, wallet, pinned = (np.concatenate([c[i] for c in self._chunks]) for i in range(3))
        _, first = np.unique(account * self.wallets + wallet, return_index=True)
        first.sort()
        return account[first], wallet[first], pinned[first]


def generate_sybil(scale: float, seed: int
                   ) -> tuple[dict[str, pa.Table], pa.Table, pa.Table, dict[str, int]]:
    """The sybil profile's tables, labels, look-alikes and groups planted per typology."""
    sizes = SybilSizes.for_scale(scale)
    streams = np.random.SeedSequence(seed).spawn(len(_STAGES))
    rng = {stage: np.random.default_rng(s) for stage, s in zip(_STAGES, streams, strict=True)}
    shape = SybilShape.draw(rng["shape"])
    sybil_sizes = group_sizes(sizes.groups, shape.alpha, rng["shape"])
    wiring = rng["shape"].choice(3, sizes.groups, p=shape.wiring)

    honest = sizes.honest
    total = honest + int(sybil_sizes.sum())
    links = _Links()
    own = links.new_wallets(total)
    links.add(np.arange(total), own)
    exchanges = links.new_wallets(sizes.exchanges)
    registered = np.empty(total, dtype=np.int64)
    registered[:honest] = registration_times(honest, rng["honest"])
    friends, exchange_users = _honest_links(links, own, exchanges, honest, shape, sizes,
                                            rng["honest"])
    group = _sybil_links(links, own, exchanges, registered, honest, sybil_sizes, wiring, shape,
                         rng["sybils"])
    return _tables(links, registered, honest, group, wiring, friends, exchange_users,
                   rng["tables"])


def _honest_links(links: _Links, own: np.ndarray, exchanges: np.ndarray, honest: int,
                  shape: SybilShape, sizes: SybilSizes, rng: np.random.Generator
                  ) -> tuple[np.ndarray, np.ndarray]:
    """Second wallets, exchange deposits, random payments and friend groups of honest accounts.

    Returns each honest account's friend group (-1: none) and exchange (-1: none).
    """
    second = np.flatnonzero(rng.random(honest) < 0.3)
    links.add(second, links.new_wallets(len(second)))
    popularity = 1.0 / np.arange(1, len(exchanges) + 1) ** 1.1
    users = np.flatnonzero(rng.random(honest) < shape.honest_exchange)
    exchange_of = np.full(honest, -1, dtype=np.int64)
    exchange_of[users] = rng.choice(len(exchanges), len(users), p=popularity / popularity.sum())
    links.add(users, exchanges[exchange_of[users]])
    twice = users[rng.random(len(users)) < 0.15]
    links.add(twice, exchanges[rng.integers(0, len(exchanges), len(twice))])
    payers = np.flatnonzero(rng.random(honest) < shape.honest_transfer)
    payees = (payers + rng.integers(1, honest, len(payers))) % honest
    links.add(payers, own[payees])

    size = rng.integers(2, 5, sizes.friend_groups)
    size = size[np.cumsum(size) <= honest // 4]
    members = rng.permutation(honest)[:int(size.sum())]
    group = np.repeat(np.arange(len(size)), size)
    friend_of = np.full(honest, -1, dtype=np.int64)
    friend_of[members] = group
    # A path inside each group (each friend paid the next), and now and then back.
    nxt = np.flatnonzero(group[1:] == group[:-1])
    links.add(members[nxt], own[members[nxt + 1]])
    back = nxt[rng.random(len(nxt)) < 0.5]
    links.add(members[back + 1], own[members[back]])
    return friend_of, exchange_of


def _sybil_links(links: _Links, own: np.ndarray, exchanges: np.ndarray, registered: np.ndarray,
                 honest: int, sizes: np.ndarray, wiring: np.ndarray, shape: SybilShape,
                 rng: np.random.Generator) -> np.ndarray:
    """Wire every sybil group (stars, chains or both); returns each sybil's group number."""
    group = np.repeat(np.arange(len(sizes)), sizes)
    accounts = honest + np.arange(len(group))
    first = np.cumsum(sizes) - sizes
    position = np.arange(len(group)) - first[group]
    # Each group's accounts are made in one campaign: a few hours to a few weeks.
    campaign = HISTORY_START + (rng.random(len(sizes)) * (SNAPSHOT_END - 90 * DAY - HISTORY_START)
                                ).astype(np.int64)
    spread = (rng.uniform(0.1, 30.0, len(sizes)) * DAY).astype(np.int64)
    registered[accounts] = campaign[group] + (rng.random(len(group)) * spread[group]).astype(
        np.int64)
    funded = registered[accounts] + rng.integers(0, 3 * DAY, len(group))

    star = np.isin(wiring, (STAR, STAR_CHAIN))[group]
    fanout = rng.integers(shape.fanout[0], shape.fanout[1] + 1, len(sizes))
    funders = np.where(np.isin(wiring, (STAR, STAR_CHAIN)), -(-sizes // fanout), 0)
    funder_start = links.wallets + np.cumsum(funders) - funders
    links.new_wallets(int(funders.sum()))
    k = funders[group]
    which = funder_start[group] + (rng.random(len(group)) * np.maximum(k, 1)).astype(np.int64)
    links.add(accounts[star], which[star], funded[star])
    again = star & (k > 1) & (rng.random(len(group)) < shape.second_funder)
    other = funder_start[group] + (rng.random(len(group)) * np.maximum(k, 1)).astype(np.int64)
    links.add(accounts[again], other[again], funded[again])

    chain = np.isin(wiring, (CHAIN, STAR_CHAIN))[group] & (position < sizes[group] - 1)
    links.add(accounts[chain], own[accounts[chain] + 1], funded[chain])

    on_exchange = rng.random(len(group)) < shape.sybil_exchange
    links.add(accounts[on_exchange], exchanges[rng.integers(0, len(exchanges),
                                                            int(on_exchange.sum()))])
    leak = rng.random(len(group)) < shape.sybil_leak
    links.add(accounts[leak], own[rng.integers(0, honest, int(leak.sum()))])
    return group


def _tables(links: _Links, registered: np.ndarray, honest: int, group: np.ndarray,
            wiring: np.ndarray, friend_of: np.ndarray, exchange_of: np.ndarray,
            rng: np.random.Generator
            ) -> tuple[dict[str, pa.Table], pa.Table, pa.Table, dict[str, int]]:
    creator_ids, wallet_ids = OpaqueIds("c_", rng), OpaqueIds("pa_", rng)
    total = len(registered)
    rows = chronological(registered, rng)
    region = rng.choice(len(DOMESTIC_REGIONS), total, p=DOMESTIC_SHARES)
    creators = pa.table({
        "creator_id": creator_ids.encode(rows),
        "registered_at": iso_utc(registered[rows]),
        "region": coded_names(REGIONS, region[rows]),
        "agency_id": pa.nulls(total, pa.string()),
    })

    account, wallet, pinned = links.concat()
    since = registered[account]
    first_seen, last_seen, events = link_times(since, rng, pinned=np.where(
        pinned >= 0, np.maximum(pinned, since), -1))
    order = chronological(first_seen, rng)
    n = len(order)
    identity_links = pa.table({
        "account_type": pa.array(np.full(n, "creator", dtype=object), type=pa.string()),
        "account_id": creator_ids.encode(account[order]),
        "identifier_type": pa.array(np.full(n, IdentifierType.PAYOUT_ACCOUNT.value, dtype=object),
                                    type=pa.string()),
        "identifier": wallet_ids.encode(wallet[order]),
        "first_seen": iso_utc(first_seen[order]),
        "last_seen": iso_utc(last_seen[order]),
        "events": pa.array(events[order], type=pa.int64()),
    })
    tables = {"creators": creators, "shops": _empty("shops"), "identity_links": identity_links,
              **{name: _empty(name) for name in _EMPTY_TABLES if name != "shops"}}

    # Labels: one ring per sybil group, numbered in random order.
    number = rng.permutation(len(wiring))
    ring_names = [f"L-{n + 1:04d}" for n in range(len(wiring))]
    sybils = honest + np.arange(len(group))
    labels = pa.table({
        "ring_id": coded_names(ring_names, number[group]),
        "account_type": pa.array(np.full(len(group), "creator", dtype=object), type=pa.string()),
        "account_id": creator_ids.encode(sybils),
        "typology": coded_names(SYBIL_TYPOLOGIES, wiring[group]),
    }).sort_by([("ring_id", "ascending"), ("account_id", "ascending")])

    # Look-alikes: friend groups, then each exchange's honest users.
    friends = np.flatnonzero(friend_of >= 0)
    users = np.flatnonzero(exchange_of >= 0)
    n_friends = int(friend_of.max()) + 1 if friends.size else 0
    n_exchanges = int(exchange_of.max()) + 1 if users.size else 0
    group_of = np.concatenate([friend_of[friends], n_friends + exchange_of[users]])
    members = np.concatenate([friends, users])
    kinds = ["friends"] * n_friends + ["exchange"] * n_exchanges
    names = [f"G-{n + 1:05d}" for n in range(len(kinds))]
    lookalikes = lookalike_table(
        coded_names(names, group_of),
        pa.array(np.full(len(members), "creator", dtype=object), type=pa.string()),
        creator_ids.encode(members), coded_names(kinds, group_of))
    planted = {typology: int((wiring == code).sum()) for code, typology in enumerate(SYBIL_TYPOLOGIES)}
    return tables, labels, lookalikes, planted


def _empty(name: str) -> pa.Table:
    """A header-only table with the contract's columns."""
    return pa.table({column: pa.array([], type=kind) for column, kind in _EMPTY_TABLES[name].items()})
