"""The marketplace under construction, as integer-coded columns.

Every stage (honest population, look-alikes, planted rings) appends chunks of
numpy columns here; identifiers and accounts are plain integer indices until the
tables are written, so the stages stay vectorised and cheap and the opaque ids
are assigned once, at the end, with no trace of who was planted where.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import numpy as np

from ringwatch.domain import LINKED_ACCOUNT_TYPES, AccountType, IdentifierType

from .clock import link_times

#: Account types by code (the codes below index it).
ACCOUNT_TYPES = LINKED_ACCOUNT_TYPES
CREATOR, SELLER, BUYER = 0, 1, 2
#: Labels also name shops as members.
LABEL_ACCOUNT_TYPES = (*ACCOUNT_TYPES, AccountType.SHOP)
SHOP = 3

IDENTIFIER_TYPES = tuple(IdentifierType)
DEVICE, IP, PAYOUT, PHONE, EMAIL = range(5)

TYPOLOGIES = ("account_farm", "collusion_ring", "self_purchase", "self_dealing")
#: ``first_seen`` left to ``link_times`` (the usual case); any other value pins it.
UNPINNED = -1


class Columns:
    """Column-wise accumulator: stages append chunks, the writer concatenates once."""

    def __init__(self, **dtypes: str) -> None:
        self._dtypes = {name: np.dtype(kind) for name, kind in dtypes.items()}
        self._chunks: list[dict[str, np.ndarray]] = []

    def append(self, **values: object) -> None:
        """Append one chunk; scalars are broadcast to the chunk's length."""
        if values.keys() != self._dtypes.keys():
            raise ValueError(f"expected columns {sorted(self._dtypes)}, got {sorted(values)}")
        arrays = {name: v for name, v in values.items() if isinstance(v, np.ndarray) and v.ndim}
        lengths = {len(v) for v in arrays.values()}
        if len(lengths) != 1:
            raise ValueError(f"a chunk needs arrays of one length, got {sorted(lengths)}")
        n = lengths.pop()
        self._chunks.append({
            name: (arrays[name].astype(dtype, copy=False) if name in arrays
                   else np.full(n, values[name], dtype))
            for name, dtype in self._dtypes.items()
        })

    def concat(self) -> dict[str, np.ndarray]:
        """All chunks appended so far, one array per column."""
        return {name: np.concatenate([c[name] for c in self._chunks] or [np.empty(0, dtype)])
                for name, dtype in self._dtypes.items()}

    def chunks(self) -> Iterator[dict[str, np.ndarray]]:
        """The chunks appended so far, one at a time (to scan without concatenating everything)."""
        yield from self._chunks

    def __len__(self) -> int:
        return sum(len(next(iter(c.values()))) for c in self._chunks)


@dataclass
class Creators:
    """Creator accounts; indices >= ``honest`` are planted in rings."""

    registered_at: np.ndarray
    region: np.ndarray
    agency: np.ndarray  # -1: no agency
    reach: np.ndarray  # relative audience size, heavy-tailed
    niche: np.ndarray  # (n, 2) preferred categories
    honest: int


@dataclass
class Sellers:
    """Seller accounts (they appear as shops' owners and in identity links)."""

    registered_at: np.ndarray
    region: np.ndarray
    honest: int


@dataclass
class Shops:
    """Shops; ``seller`` is the owning seller's index."""

    seller: np.ndarray
    registered_at: np.ndarray
    region: np.ndarray
    category: np.ndarray
    popularity: np.ndarray
    refund_rate: np.ndarray
    honest: int


@dataclass
class Buyers:
    """Buyer accounts (they appear in orders and identity links)."""

    since: np.ndarray
    activity: np.ndarray
    honest: int


@dataclass(frozen=True)
class RingSpec:
    """How many accounts of each kind one planted ring gets."""

    ring_id: str
    typology: str
    creators: int
    seller_shops: tuple[int, ...]  # shops per complicit seller
    buyers: int


@dataclass(frozen=True)
class Ring:
    """A planted ring with the indices of the accounts reserved for it."""

    number: int  # position in ``Market.rings``
    spec: RingSpec
    creators: np.ndarray
    sellers: np.ndarray
    shops: np.ndarray
    buyers: np.ndarray


@dataclass(frozen=True)
class AllowlistEntry:
    """An identifier the marketplace knows to be shared legitimately."""

    identifier_type: int
    identifier: int
    owner: str
    reason: str
    expires_at: str


@dataclass
class IpPools:
    """Shared IPs: carrier-grade NAT egresses (thousands of accounts) and small NATs."""

    cgnat: np.ndarray
    nat: np.ndarray
    nat_weights: np.ndarray


@dataclass
class Market:
    """The whole marketplace under construction (see the module docstring)."""

    creators: Creators
    sellers: Sellers
    shops: Shops
    buyers: Buyers
    agencies: int
    rings: list[Ring]
    ip_pools: IpPools | None = None
    identifier_counts: list[int] = field(default_factory=lambda: [0] * len(IDENTIFIER_TYPES))
    links: Columns = field(default_factory=lambda: Columns(
        account_type="i1", account="i8", identifier_type="i1", identifier="i8", since="i8",
        own="?", pinned="i8"))
    dropped: Columns = field(default_factory=lambda: Columns(
        account_type="i1", account="i8", identifier_type="i1"))
    affiliations: Columns = field(default_factory=lambda: Columns(
        creator="i8", shop="i8", rate="f8", started_at="i8", priority="i1"))
    orders: Columns = field(default_factory=lambda: Columns(
        buyer="i8", shop="i8", creator="i8", amount="f8", placed_at="i8",
        refunded="?", cancelled="?", late_refund="?"))
    violations: Columns = field(default_factory=lambda: Columns(
        creator="i8", policy="i1", severity="i1", occurred_at="i8"))
    labels: Columns = field(default_factory=lambda: Columns(
        ring="i4", account_type="i1", account="i8"))
    allowlist: list[AllowlistEntry] = field(default_factory=list)
    #: Legitimate look-alike groups (never labelled): members, and the kind of each group.
    lookalikes: Columns = field(default_factory=lambda: Columns(
        group="i4", account_type="i1", account="i8"))
    lookalike_kinds: list[str] = field(default_factory=list)

    def new_identifiers(self, identifier_type: int, n: int) -> np.ndarray:
        """``n`` fresh identifiers of a type, never used before."""
        start = self.identifier_counts[identifier_type]
        self.identifier_counts[identifier_type] = start + int(n)
        return np.arange(start, start + int(n), dtype=np.int64)

    def since(self, account_type: int, accounts: np.ndarray) -> np.ndarray:
        """When each account appeared (registration, or a buyer's first activity)."""
        times = (self.creators.registered_at, self.sellers.registered_at,
                 self.buyers.since)[account_type]
        return times[accounts]

    def link(self, account_type: int, accounts: np.ndarray, identifier_type: int,
             identifiers: np.ndarray, *, not_before: np.ndarray | int | None = None,
             own: bool = False, first_seen: np.ndarray | None = None) -> None:
        """Record that ``accounts`` use ``identifiers`` (pairwise).

        Times are drawn for all links at once in ``final_links``: first seen
        after the account appeared (and after ``not_before``), unless
        ``first_seen`` pins it (a registration burst sets up its identifiers in
        the same hours). ``own`` marks an account's personal identifiers, which a
        later stage may replace (``drop_own``) when it gives the account a shared
        one instead.
        """
        accounts = np.asarray(accounts, dtype=np.int64)
        if accounts.size == 0:
            return
        since = self.since(account_type, accounts)
        if not_before is not None:
            since = np.maximum(since, not_before)
        pinned = (UNPINNED if first_seen is None
                  else np.broadcast_to(np.asarray(first_seen, dtype=np.int64), accounts.shape))
        self.links.append(account_type=account_type, account=accounts,
                          identifier_type=identifier_type,
                          identifier=np.broadcast_to(identifiers, accounts.shape),
                          since=since, own=own, pinned=pinned)

    def drop_own(self, account_type: int, accounts: np.ndarray, identifier_type: int) -> None:
        """Forget the personal identifiers of one type of ``accounts`` (replaced by shared ones)."""
        accounts = np.asarray(accounts, dtype=np.int64)
        if accounts.size:
            self.dropped.append(account_type=account_type, account=accounts,
                                identifier_type=identifier_type)

    def label(self, ring: Ring, account_type: int, accounts: np.ndarray) -> None:
        """List ``accounts`` as members of a planted ring (ground truth, never an input)."""
        accounts = np.unique(np.asarray(accounts, dtype=np.int64))
        if accounts.size:
            self.labels.append(ring=ring.number, account_type=account_type,
                               account=accounts)

    def new_lookalikes(self, kind: str, n: int) -> np.ndarray:
        """Numbers of ``n`` new look-alike groups of ``kind`` (see :meth:`lookalike_members`)."""
        start = len(self.lookalike_kinds)
        self.lookalike_kinds.extend([kind] * int(n))
        return np.arange(start, start + int(n), dtype=np.int64)

    def lookalike_members(self, groups: np.ndarray | int, account_type: int,
                          accounts: np.ndarray) -> None:
        """List ``accounts`` (pairwise with ``groups``) as members of legitimate look-alike groups.

        Recorded so a benchmark can check that no honest structure is flagged;
        planted ring members are left out when the file is written.
        """
        accounts = np.asarray(accounts, dtype=np.int64)
        if accounts.size:
            self.lookalikes.append(group=np.broadcast_to(groups, accounts.shape),
                                   account_type=account_type, account=accounts)

    def final_links(self, rng: np.random.Generator) -> dict[str, np.ndarray]:
        """Identity links, one row per account and identifier, with first/last seen and events.

        Personal identifiers replaced by shared ones are left out; an account
        linked twice to one identifier keeps the link recorded first.
        """
        links = self.links.concat()
        account = self._global_accounts(links["account_type"], links["account"])
        dropped = self.dropped.concat()
        replaced = np.isin(
            account * len(IDENTIFIER_TYPES) + links["identifier_type"],
            self._global_accounts(dropped["account_type"], dropped["account"])
            * len(IDENTIFIER_TYPES) + dropped["identifier_type"])
        identifier = self._global_identifiers(links["identifier_type"], links["identifier"])
        pair = (account << 32) | identifier
        kept = np.flatnonzero(~(links["own"] & replaced))
        _, first = np.unique(pair[kept], return_index=True)
        kept = kept[np.sort(first)]
        result = {name: links[name][kept]
                  for name in ("account_type", "account", "identifier_type", "identifier")}
        result["first_seen"], result["last_seen"], result["events"] = link_times(
            links["since"][kept], rng, pinned=links["pinned"][kept])
        return result

    def _global_accounts(self, account_type: np.ndarray, account: np.ndarray) -> np.ndarray:
        """One index space for creators, sellers and buyers."""
        sizes = np.array([len(self.creators.reach), len(self.sellers.region),
                          len(self.buyers.activity)], dtype=np.int64)
        return (np.cumsum(sizes) - sizes)[account_type] + account

    def _global_identifiers(self, identifier_type: np.ndarray, identifier: np.ndarray
                            ) -> np.ndarray:
        """One index space for identifiers of every type (below 2**32)."""
        sizes = np.array(self.identifier_counts, dtype=np.int64)
        if sizes.sum() >= 2**32:
            raise OverflowError("too many identifiers for one snapshot")
        return (np.cumsum(sizes) - sizes)[identifier_type] + identifier

    def final_affiliations(self) -> dict[str, np.ndarray]:
        """One affiliation per creator and shop: a ring's terms win over an earlier casual one."""
        aff = self.affiliations.concat()
        key = aff["creator"] * len(self.shops.seller) + aff["shop"]
        order = np.lexsort((-aff["priority"], key))
        k = key[order]
        first = np.ones(len(k), dtype=bool)
        first[1:] = k[1:] != k[:-1]
        chosen = order[first]
        group = np.cumsum(first) - 1
        earliest = np.full(int(first.sum()), np.iinfo(np.int64).max)
        np.minimum.at(earliest, group, aff["started_at"][order])
        result = {name: values[chosen] for name, values in aff.items() if name != "priority"}
        result["started_at"] = earliest
        result["key"] = k[first]
        return result
