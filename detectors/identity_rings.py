"""Identity rings: accounts that are one operator, found through what they share.

Creators, sellers and buyers are linked when the identifiers they share
(devices, payout accounts, phones, emails, IPs) add up, weighted by type and
rarity, to a strong link (see :class:`~ringwatch.detectors.config.IdentityConfig`).
Hub identifiers (carrier NAT, aggregators) are capped away, allowlisted ones
were already removed by the context, and sharing inside one declared agency
counts only for payout accounts. Accounts on one decisive identifier (a type
whose weight alone reaches the link threshold: a payout account) start in
one group; groups then merge while their summed ties reach the threshold;
large ones are split with Leiden. A group is a ring when it holds enough
operator accounts.

Example
-------
On a small generated marketplace (one planted account farm), read in memory:

>>> import tempfile
>>> from ringwatch.detectors.config import IdentityConfig
>>> from ringwatch.detectors.context import MarketContext
>>> from ringwatch.generator import GeneratorConfig, generate_snapshot
>>> from ringwatch.loaders import load_snapshot
>>> made = generate_snapshot(tempfile.mkdtemp(), GeneratorConfig(scale=0.02, seed=1))
>>> context = MarketContext.from_tables(load_snapshot(made.path).snapshot.tables)
>>> rings = find_identity_rings(context, IdentityConfig())
>>> [str(ring.kind) for ring in rings]
['identity_ring']
>>> ring = rings[0]
>>> ring.count("creator") >= 2 and all(e.text for e in ring.evidence)
True
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np
import pandas as pd

from ringwatch.domain import RingKind, identifier_types
from ringwatch.wording import accounts as named_accounts
from ringwatch.wording import count, listed, percent, span, type_noun, verb

from .communities import agglomerate, components, components_through, groups
from .config import IdentityConfig
from .context import MarketContext
from .detector import Detector, WorkedOn
from .frames import kept_rows
from .identifier_chains import ChainNull, runs_through
from .lockstep import lockstep_identifiers, registration_bursts
from .rings import Evidence, Finding, Member
from .sharing import identifier_pairs, per_value, rarity
from .significance import evidence_weight

KIND = RingKind.IDENTITY_RING
_SHOWN_EVIDENCE = 8


def everyday_kinds() -> list[str]:
    """The identifier types shared every day by nature (IPs): never judged everyday by rate."""
    return [t.name for t in identifier_types() if t.everyday]


def strong_links(ctx: MarketContext, config: IdentityConfig,
                 lockstep: pd.DataFrame | None = None, *, everyday: set[str] | None = None,
                 studio_kits: pd.Series | None = None) -> pd.DataFrame:
    """Identifier pairs that count, with their weight and whether each is decisive on its own.

    Hub identifiers are capped away unless in lockstep (those pairs get the
    type's full weight, up to ``lockstep_max_sharing`` accounts); studio kit
    inside a declared agency is expected sharing and left out.

    Every rule here reads one identifier's links at a time except three
    market-wide facts: ``lockstep`` (:func:`lockstep_of`), ``everyday``
    (:func:`everyday_types`) and ``studio_kits`` (:func:`studio_kit_counts`).
    Given them, a distributed engine runs this on the links of a bucket of
    identifiers (every link of each) and gets that bucket's rows of the
    market's result; left out, they are computed from ``ctx``.
    """
    pairs = linked_pairs(ctx, config, lockstep_of(ctx, config) if lockstep is None else lockstep,
                         everyday=everyday)
    return pairs[~_studio_kit(ctx, pairs, config, studio_kits)].reset_index(drop=True)


def linked_pairs(ctx: MarketContext, config: IdentityConfig, lockstep: pd.DataFrame, *,
                 everyday: set[str] | None = None) -> pd.DataFrame:
    """:func:`strong_links` before studio kit is left out (what :func:`studio_kit_counts` reads)."""
    pairs = identifier_pairs(ctx.links, max_sharing=config.max_sharing,
                             type_weights=config.type_weights, personal=config.personal_sharing)
    in_step = ctx.links[ctx.links["ident"].isin(lockstep["ident"])]
    if len(in_step):
        stepped = identifier_pairs(
            in_step, max_sharing=dict.fromkeys(config.lockstep_types, config.lockstep_max_sharing),
            type_weights=config.type_weights,
            personal=dict.fromkeys(config.lockstep_types, config.lockstep_max_sharing))
        pairs = pd.concat([pairs[~pairs["ident"].isin(lockstep["ident"])], stepped],
                          ignore_index=True)
    pairs = _everyday_sharing(ctx, pairs, config, set(lockstep["ident"]), everyday)
    pairs["decisive"] = (pairs["weight"] >= config.link_threshold) | (
        pairs["ident"].isin(lockstep["ident"]) & (pairs["weight"] >= config.chain_weight))
    return pairs


def everyday_types(ctx: MarketContext, config: IdentityConfig) -> set[str]:
    """Identifier types this market shares every day: above ``everyday_sharing_rate``.

    The share of the accounts using the type that share one of its identifiers
    (below the hub cap) with another account. In a marketplace few creators
    share a payout account (a few percent); in a data set of wallet transfers a
    fifth to a third of the accounts do, because paying a friend shares a
    wallet. Sharing that common proves little between two accounts by itself.
    A rate is only trusted over ``everyday_min_accounts`` sharing accounts: a
    handful of accounts says nothing about a market's habits.
    """
    links = ctx.links
    if links.empty:
        return set()
    codes, types = pd.factorize(links["identifier_type"])
    sharing = links["sharing"].to_numpy()
    cap = pd.Series(types).map(config.max_sharing).fillna(0).to_numpy()[codes]
    shared = (sharing >= 2) & (sharing <= cap)
    # Only the types near the rate by links (a cheap lower bound) are counted by account.
    by_link = np.bincount(codes, weights=shared) / np.maximum(np.bincount(codes), 1)
    near = everyday_candidates(np.asarray(types), by_link, config)
    everyday = set()
    for t in np.flatnonzero(near):  # a type or two
        mine = codes == t
        account, _ = pd.factorize(links["account"][mine])
        users = int(account.max()) + 1
        sharers = len(np.unique(account[shared[mine]]))
        if shared_every_day(users, sharers, config):
            everyday.add(types[t])
    return everyday


def everyday_candidates(types: np.ndarray, shared_link_share: np.ndarray,
                        config: IdentityConfig) -> np.ndarray:
    """Which ``types`` come near the everyday rate by the share of their links shared.

    An account holds one or more links of a type, so the share of links shared
    is a cheap lower bound of the share of accounts sharing: only these types
    are counted by account (:func:`shared_every_day`). IPs never: their weight
    is small by design.
    """
    return (shared_link_share > config.everyday_sharing_rate / 3) & ~np.isin(types, everyday_kinds())


def shared_every_day(users: int, sharers: int, config: IdentityConfig) -> bool:
    """Whether a type whose ``sharers`` of its ``users`` accounts share one of its identifiers
    (below the hub cap) is shared every day (see :func:`everyday_types`)."""
    return sharers / users > config.everyday_sharing_rate and sharers >= config.everyday_min_accounts


def _everyday_sharing(ctx: MarketContext, pairs: pd.DataFrame, config: IdentityConfig,
                      lockstep: set[str], everyday: set[str] | None = None) -> pd.DataFrame:
    """Discount pairs of an everyday type unless the two accounts were made together.

    Where a type is shared every day (:func:`everyday_types`), a pair on it
    keeps its weight only when both accounts are creators registered within
    ``co_registration_days`` of each other (a farm's accounts are made in one
    campaign; a friend who was paid registered years apart); other pairs count
    ``everyday_discount`` of their weight, so they corroborate but neither decide
    nor chain. Identifiers in lockstep keep their weight.
    """
    everyday = everyday_types(ctx, config) if everyday is None else everyday
    if not everyday or pairs.empty:
        return pairs
    is_everyday = pairs["identifier_type"].isin(everyday).to_numpy()
    candidates = pairs[is_everyday]
    creators = ctx["creators"]
    registered = pd.Series(creators["registered_at_ms"].to_numpy(dtype=np.float64),
                           index="creator:" + creators["creator_id"])
    gap = np.abs(registered.reindex(candidates["a"]).to_numpy()
                 - registered.reindex(candidates["b"]).to_numpy())
    together = gap <= config.co_registration_days * 86_400_000  # NaN (not creators): False
    weak = np.zeros(len(pairs), dtype=bool)
    weak[np.flatnonzero(is_everyday)] = ~together & ~candidates["ident"].isin(lockstep).to_numpy()
    pairs = pairs.copy()
    pairs.loc[weak, "weight"] = pairs.loc[weak, "weight"] * config.everyday_discount
    return pairs


def lockstep_of(ctx: MarketContext, config: IdentityConfig,
              background: pd.DataFrame | None = None) -> pd.DataFrame:
    """Identifiers in lockstep in any of the configured windows (the narrowest one wins).

    ``background``: the market's links as ``lockstep_identifiers`` takes it, when
    ``ctx.links`` holds only the shared identifiers' links (a distributed engine's).
    """
    return lockstep_identifiers(
        ctx.links, windows=[(int(hours * 3_600_000), share)
                            for hours, share in config.lockstep_windows],
        min_accounts=config.lockstep_min_accounts, min_share=config.lockstep_share,
        types=config.lockstep_types, background=background)


def _studio_kit(ctx: MarketContext, pairs: pd.DataFrame, config: IdentityConfig,
                kits: pd.Series | None = None) -> np.ndarray:
    """Pairs inside one agency on what looks like its studio kit: expected sharing.

    Studio kit is an identifier at least ``studio_min_accounts`` members use,
    and either most of the agency (``studio_share``) or one of the agency's
    few shared identifiers of its type (``studio_kit_per_type``): one office IP,
    a couple of studio phones, one central payout account. A farm behind an
    agency splits its members over many small shared identifiers instead.
    ``kits``: :func:`studio_kit_counts` of the whole market's pairs, when
    ``pairs`` are a part of them.
    """
    agency, agency_a, same, users = _agency_users(ctx, pairs)
    if users is None:
        return same
    agency_size = agency.value_counts()
    kit_count = _kit_count(users) if kits is None else kits
    users["kits"] = kit_count.reindex(
        pd.MultiIndex.from_frame(users[["agency", "identifier_type"]])).fillna(0).to_numpy()
    users["size"] = agency_size.reindex(users["agency"]).to_numpy()
    users["studio"] = (users["members"] >= config.studio_min_accounts) & (
        (users["members"] >= config.studio_share * users["size"])
        | (users["kits"] <= config.studio_kit_per_type))
    studio = users.set_index(["ident", "agency"])["studio"]
    is_kit = np.zeros(len(pairs), dtype=bool)  # only a pair inside one agency can be
    inside = np.flatnonzero(same)
    is_kit[inside] = studio.reindex(pd.MultiIndex.from_arrays(
        [pairs["ident"].to_numpy()[inside], agency_a[inside]])).fillna(False).to_numpy(dtype=bool)
    return (same & is_kit
            & pairs["identifier_type"].isin(config.agency_expected_types).to_numpy())


def _agency_users(ctx: MarketContext, pairs: pd.DataFrame
                  ) -> tuple[pd.Series, np.ndarray, np.ndarray, pd.DataFrame | None]:
    """Each creator's agency, each pair's first account's agency, whether a pair is inside one
    agency, and the ``members`` of each agency on each identifier of such a pair (``None``
    when no pair is)."""
    creators = ctx["creators"]
    agency = pd.Series(creators["agency_id"].to_numpy(),
                       index="creator:" + creators["creator_id"]).replace("", np.nan).dropna()
    if agency.empty or pairs.empty:
        return agency, np.full(len(pairs), np.nan), np.zeros(len(pairs), dtype=bool), None
    codes, accounts = pd.factorize(pd.concat([pairs["a"], pairs["b"]]))
    agency_of = agency.reindex(accounts).to_numpy()
    agency_a, agency_b = agency_of[codes[:len(pairs)]], agency_of[codes[len(pairs):]]
    same = pd.notna(agency_a) & (agency_a == agency_b)
    if not same.any():
        return agency, agency_a, same, None
    links = kept_rows(ctx.links[["ident", "identifier_type", "account"]],
                      ctx.links["ident"].isin(pairs["ident"][same].unique()).to_numpy())
    links = links.drop_duplicates(["ident", "account"])
    links = links.assign(agency=agency.reindex(links["account"]).to_numpy()).dropna()
    users = links.groupby(["ident", "agency", "identifier_type"]).size().rename("members")
    return agency, agency_a, same, users.reset_index()


def _kit_count(users: pd.DataFrame) -> pd.Series:
    """Per agency and identifier type, how many of its identifiers two or more members share."""
    return users[users["members"] >= 2].groupby(["agency", "identifier_type"]).size()


def studio_kit_counts(ctx: MarketContext, pairs: pd.DataFrame) -> pd.Series:
    """The market-wide fact :func:`_studio_kit` reads: per (agency, identifier type), how many
    identifiers of ``pairs`` (:func:`linked_pairs`' rows) two or more of its members share.

    Additive over disjoint sets of identifiers: a distributed engine sums its
    buckets' counts and hands the total to :func:`strong_links`.
    """
    users = _agency_users(ctx, pairs)[3]
    if users is None:
        return pd.Series([], dtype=np.int64, index=pd.MultiIndex.from_arrays(
            [[], []], names=["agency", "identifier_type"]))
    return _kit_count(users)


def find_identity_rings(ctx: MarketContext, config: IdentityConfig = IdentityConfig(), *,
                        seed: int = 42) -> list[Finding]:
    """Return one :class:`Finding` per identity ring, unscored."""
    lockstep = lockstep_of(ctx, config)
    pairs = strong_links(ctx, config, lockstep)
    if pairs.empty:
        return []
    return rings_from_links(pairs, IdentityMarket.of(ctx, config, lockstep), config, seed=seed)


@dataclass(frozen=True)
class IdentityMarket:
    """What identity rings read of the whole market once the strong links are made.

    Everything after :func:`strong_links` works inside one connected component
    of the links, except these market-wide facts: the identifiers in lockstep
    (for evidence), those in lockstep at the joins' narrower settings, every
    creator's registration time (the background of a registration burst) and
    how rare sharing is per type, and the chains its personal identifiers make
    against chance's. A distributed engine computes them once and hands them to
    :func:`rings_from_links` on each component's links.
    """

    lockstep: pd.DataFrame
    join_lockstep: frozenset[str]
    creators: pd.DataFrame
    rarity: SharingRarity
    chains: ChainNull

    @classmethod
    def of(cls, ctx: MarketContext, config: IdentityConfig,
           lockstep: pd.DataFrame | None = None) -> IdentityMarket:
        """The market-wide facts of ``ctx`` (``lockstep``: :func:`lockstep_of`'s, if already made)."""
        lockstep = lockstep_of(ctx, config) if lockstep is None else lockstep
        return cls(lockstep, join_lockstep(ctx, config),
                   ctx["creators"][["creator_id", "registered_at_ms"]],
                   SharingRarity.from_identifiers(_per_identifier(ctx.links)),
                   ChainNull.of(ctx.links, chain_types(config), shuffles=config.chain_shuffles))


def _per_identifier(links: pd.DataFrame) -> pd.DataFrame:
    """One row per identifier of the context's ``links`` (``identifier_type``, ``sharing``, both
    the same on each of its links), found by its integer code, not by hashing its text."""
    first = np.unique(links["ident_code"].to_numpy(), return_index=True)[1]
    return links[["identifier_type", "sharing"]].take(first)


def chain_types(config: IdentityConfig) -> dict[str, int]:
    """The identifier types a chain runs through, each with its personal sharing: the types
    whose tie between two accounts reaches ``chain_weight`` alone, everyday ones (IPs) aside."""
    everyday = set(everyday_kinds())
    return {t: config.personal_sharing.get(t, 2) for t, w in config.type_weights.items()
            if w >= config.chain_weight and t not in everyday}


def rings_from_links(pairs: pd.DataFrame, market: IdentityMarket,
                     config: IdentityConfig = IdentityConfig(), *, seed: int = 42) -> list[Finding]:
    """Identity rings from strong links (:func:`strong_links`' rows), unscored.

    ``pairs`` may be the whole market's or one connected component's (rows in
    the market's order): every ring lies inside one component, and the groups
    found in a component do not depend on the others.
    """
    if pairs.empty:
        return []
    codes, accounts = pd.factorize(pd.concat([pairs["a"], pairs["b"]]), sort=True)
    n, half = len(accounts), len(pairs)
    pa_, pb_ = codes[:half].astype(np.int64), codes[half:].astype(np.int64)
    # Summed weight per account pair, on integer keys.
    key, inverse = np.unique(pa_ * n + pb_, return_inverse=True)
    weight = np.bincount(inverse, weights=pairs["weight"].to_numpy())
    src, dst = key // n, key % n
    decisive = pairs["decisive"].to_numpy()
    atoms = components(n, pa_[decisive], pb_[decisive])
    # Through a personal identifier every member it ties counts (a buyer on a farm's own
    # phone); through a wider one, the identifier counts once between two groups (one
    # payroll account shared with a whole farm is still one weak tie).
    personal = (pairs["sharing"].to_numpy() <= pd.Series(
        per_value(pairs["identifier_type"], config.personal_sharing)).fillna(2).to_numpy())
    ident_code = pd.factorize(pairs["ident"])[0]
    via = np.where(personal, len(ident_code) + np.arange(half), ident_code)
    label = agglomerate(n, pa_, pb_, pairs["weight"].to_numpy(), threshold=config.link_threshold,
                        initial=atoms, via=via)
    operators = _operators(accounts)
    chained = personal & (pairs["weight"].to_numpy() >= config.chain_weight)
    label = _chains(n, pa_[chained], pb_[chained], label, operators, config)
    absorbing = pairs["identifier_type"].isin(config.absorb_types).to_numpy()
    label = _absorb(ident_code[absorbing], pa_[absorbing], pb_[absorbing], label, config)
    label = _lockstep_joins(market, pairs, pa_, pb_, label, atoms, accounts, config)
    same = label[src] == label[dst]
    found = groups(n, src[same], dst[same], weight[same], max_size=config.max_ring_accounts,
                   resolution=config.split_density, seed=seed, objective="cpm", atoms=atoms)
    found = [nodes for nodes in found if operators[nodes].sum() >= config.min_operator_accounts]
    group_of = np.full(n, -1)
    for g, nodes in enumerate(found):
        group_of[nodes] = g
    # The identifiers shared inside each group, from the same (filtered) pairs.
    ga, gb = group_of[pa_], group_of[pb_]
    inside = (ga == gb) & (ga >= 0)
    ident_inside = pairs["ident"][inside].to_numpy()
    type_inside = pairs["identifier_type"][inside].to_numpy()
    shared = pd.DataFrame({
        "group": np.r_[ga[inside], ga[inside]],
        "ident": np.r_[ident_inside, ident_inside],
        "identifier_type": np.r_[type_inside, type_inside],
        "account": np.r_[pa_[inside], pb_[inside]],
    }).drop_duplicates()
    shared["key"] = accounts[shared["account"].to_numpy()]
    shared = shared.sort_values(["group", "ident", "key"], kind="stable")
    per_ident = shared.groupby(["group", "ident", "identifier_type"], sort=True)["key"].agg(list)
    # Each pair carries its identifier's accounts market-wide (``sharing``, as the context's links).
    sharing = pairs[["ident", "sharing"]].drop_duplicates("ident").set_index("ident")["sharing"]
    evidence = _evidence(per_ident, config, sharing, market.lockstep, market.rarity)
    for g, items in _chain_evidence(pairs, inside, ga, pa_, pb_, market.chains,
                                    chain_types(config)).items():
        if g in evidence:
            evidence[g][0].extend(items)
    homes = _one_household(per_ident, sharing, market.lockstep, config.household_accounts)
    return [
        Finding(KIND,
                frozenset(_member(k) for k in accounts[nodes]) | frozenset(
                    Member(t, i) for t, i in evidence[g][1]),
                sorted(evidence[g][0], key=lambda e: (-e.weight, e.text))[:_SHOWN_EVIDENCE],
                {"shared_identifiers": len(evidence[g][1]),
                 **({"rarest_sharing_share": round(min(evidence[g][2]), 6)} if evidence[g][2] else {})},
                one_household=g in homes)
        for g, nodes in enumerate(found) if g in evidence
    ]


def _chain_evidence(pairs: pd.DataFrame, inside: np.ndarray, group: np.ndarray, a: np.ndarray,
                    b: np.ndarray, chains: ChainNull, types: Mapping[str, int],
                    ) -> dict[int, list[Evidence]]:
    """Per group, one sentence per identifier type whose chain inside the group is longer than
    chance makes it in this snapshot (:mod:`.identifier_chains`).

    A group's chain through a type: the largest set of its accounts tied one to
    another through identifiers of that type that two accounts up to the type's
    personal sharing use (``pairs``' rows ``inside`` the group ``group``, accounts
    ``a``-``b``). Its weight is what its q-value can say at most
    (:func:`~ringwatch.detectors.significance.evidence_weight`); a chain chance
    makes as often carries none and is not said.
    """
    through = inside & runs_through(pairs, types)
    if not through.any():
        return {}
    type_code, type_names = pd.factorize(pairs["identifier_type"][through])
    n = int(max(a.max(), b.max())) + 1
    src, dst = type_code * n + a[through], type_code * n + b[through]
    nodes, inverse = np.unique(np.r_[src, dst], return_inverse=True)
    label = components(len(nodes), inverse[: len(src)], inverse[len(src):])
    size = np.bincount(label)
    label = label[inverse[: len(src)]]  # each tie's chain
    chain = pd.DataFrame({"group": group[through], "type": type_code, "size": size[label],
                          "label": label})
    longest = chain.sort_values("size", kind="stable").drop_duplicates(["group", "type"], keep="last")
    found: dict[int, list[Evidence]] = {}
    for row in longest.itertuples(index=False):
        identifier_type = str(type_names[row.type])
        q, here, chance = chains.judge(identifier_type, int(row.size))
        weight = float(evidence_weight(np.array([q]), cap=1.0)[0])
        if weight <= 0:
            continue
        links = int(pd.unique(pairs["ident"][through][label == row.label]).size)
        found.setdefault(int(row.group), []).append(Evidence(
            f"chain_{identifier_type}",
            f"{count(int(row.size), 'account')} of this ring are tied one to another through "
            f"{count(links, type_noun(identifier_type))}, each used by 2 to "
            f"{types[identifier_type]} accounts; this snapshot holds "
            f"{count(here, 'such chain')} of {int(row.size)} accounts or more, and its "
            f"{type_noun(identifier_type)} links shuffled at random (every account keeping its "
            f"number of {type_noun(identifier_type, 2)}, every {type_noun(identifier_type)} its "
            f"number of users) make {chance:.2g} per shuffle (q = {q:.2g})", weight))
    return found


def _one_household(per_ident: pd.Series, sharing: pd.Series, lockstep: pd.DataFrame,
                   most: int) -> set[int]:
    """The groups whose shared identifiers are one closed bundle of at most ``most`` accounts.

    One home leaves exactly that: every identifier the group shares is used by
    all of its accounts and by nobody outside (``sharing``, market-wide), none
    taken up in step with a crowd (``lockstep``). A farm that rotates devices or
    payout accounts ties its accounts through different identifiers, and a
    borrowed device or phone used outside the group is not a home's either; those
    groups are not households. ``per_ident``: as in :func:`_evidence`.
    """
    stepped = set(lockstep["ident"]) if len(lockstep) else set()
    homes: set[int] = set()
    for group, keys in per_ident.groupby(level="group", sort=False):
        bundles = {tuple(k) for k in keys}
        if len(bundles) != 1:
            continue
        size = len(next(iter(bundles)))
        idents = keys.index.get_level_values("ident")
        if (size <= most and not stepped.intersection(idents)
                and all(int(sharing.get(i, size)) == size for i in idents)):
            homes.add(int(group))
    return homes


@dataclass(frozen=True)
class SharingRarity:
    """How rare sharing is in this snapshot: per identifier type, every identifier's ``sharing``.

    A reviewer reading "payout account p_12 is shared by 6 accounts" cannot tell
    whether that is odd for this market; the share of the market's payout
    accounts shared by 6 or more says it, with the count it is a share of. The
    identifiers are the context's links (allowlisted ones are already left out:
    their sharing is declared legitimate), counted once each; ``sorted_sharing``
    holds, per type, their accounts-per-identifier ascending, so a share is one
    binary search.
    """

    sorted_sharing: Mapping[str, np.ndarray]

    @classmethod
    def from_identifiers(cls, identifiers: pd.DataFrame) -> SharingRarity:
        """From one row per identifier (``identifier_type``, ``sharing``): types by code, one sort
        of the counts per type."""
        codes, types = pd.factorize(identifiers["identifier_type"], sort=True)
        values = identifiers["sharing"].to_numpy(dtype=np.int64)
        return cls({str(t): np.sort(values[codes == c]) for c, t in enumerate(types)})

    def at_least(self, identifier_type: str, accounts: int) -> tuple[float, int]:
        """The share of this type's identifiers used by ``accounts`` or more, and how many there are."""
        values = self.sorted_sharing.get(identifier_type)
        if values is None or len(values) == 0:
            return 0.0, 0
        beyond = len(values) - int(np.searchsorted(values, accounts, side="left"))
        return beyond / len(values), len(values)


def _chains(n: int, src: np.ndarray, dst: np.ndarray, label: np.ndarray,
            operators: np.ndarray, config: IdentityConfig) -> np.ndarray:
    """Join groups linked by a chain of personal ties when the chain is longer than a family.

    ``src``/``dst`` are accounts tied through one personal identifier (used by
    at most ``personal_sharing`` accounts of its type, weight at least
    ``chain_weight``: a device two accounts share, say). Groups so tied are joined when the joined
    whole holds ``chain_min_operators`` operators or more; shorter chains (a
    family's tablet) are left as they were. A chain assembles a ring out of
    pieces none of which is one yet: a group that already holds
    ``min_operator_accounts`` operators is not extended by a single personal tie,
    which is what a recycled phone number or a second-hand device leaves between
    a farm and a stranger's family.
    """
    held = np.bincount(label, weights=operators.astype(np.float64), minlength=n)
    piece = held[label] < config.min_operator_accounts
    moderate = (label[src] != label[dst]) & piece[src] & piece[dst]
    if not moderate.any():
        return label
    chain = components(n, label[src[moderate]], label[dst[moderate]])[label]
    size = np.bincount(chain, weights=operators.astype(np.float64), minlength=n)
    return np.where(size[chain] >= config.chain_min_operators, n + chain, label)


def _absorb(ident: np.ndarray, a: np.ndarray, b: np.ndarray, label: np.ndarray,
            config: IdentityConfig) -> np.ndarray:
    """Lone accounts on an identifier that is mostly one group's join that group.

    A farm's busy phone is used by too many accounts to be personal, so one
    member's tie to it is weak; but when ``absorb_share`` of its users already
    sit in one group of at least ``min_operator_accounts``, it is that group's
    phone, and an account alone on it belongs there too. Groups are never
    merged this way, only accounts still alone.
    """
    if len(ident) == 0:
        return label
    users = pd.DataFrame({"ident": np.r_[ident, ident], "account": np.r_[a, b]}).drop_duplicates()
    users["group"] = label[users["account"].to_numpy()]
    size = np.bincount(label, minlength=label.max() + 1)
    users["alone"] = size[users["group"].to_numpy()] == 1
    per_ident = users.groupby("ident")["account"].transform("size").to_numpy()
    held = users.groupby(["ident", "group"])["account"].transform("size").to_numpy()
    owner = users[(held >= config.absorb_share * per_ident) & ~users["alone"].to_numpy()
                  & (held >= config.min_operator_accounts)]
    owner = owner.drop_duplicates("ident").set_index("ident")["group"]
    lone = users[users["alone"].to_numpy() & users["ident"].isin(owner.index).to_numpy()]
    lone = lone.drop_duplicates("account")
    label = label.copy()
    label[lone["account"].to_numpy()] = owner.reindex(lone["ident"]).to_numpy()
    return label


def join_lockstep(ctx: MarketContext, config: IdentityConfig,
                  background: pd.DataFrame | None = None) -> frozenset[str]:
    """The identifiers in lockstep at the joins' settings (see :func:`_lockstep_joins`;
    ``background`` as :func:`lockstep_of` takes it)."""
    if not config.lockstep_join_types:
        return frozenset()
    hours, share = config.lockstep_windows[0]
    return frozenset(lockstep_identifiers(
        ctx.links, windows=[(int(hours * 3_600_000), share)],
        min_accounts=config.lockstep_join_min_accounts, min_share=config.lockstep_share,
        types=config.lockstep_join_types, background=background)["ident"])


def _lockstep_joins(market: IdentityMarket, pairs: pd.DataFrame, a: np.ndarray, b: np.ndarray,
                    label: np.ndarray, atoms: np.ndarray, names: np.ndarray,
                    config: IdentityConfig) -> np.ndarray:
    """Join accounts that took up weak identifiers in lockstep and were made in one burst.

    A proxy IP says little (an office, a venue's Wi-Fi). But accounts that
    appeared on proxies within a window the market was quiet in
    (:mod:`ringwatch.detectors.lockstep`; each proxy with at least
    ``lockstep_join_min_accounts`` of them, proxies that share accounts taken
    together, since a farm rotates a few), whose creators also registered in
    one burst, and among whom at least ``lockstep_min_pairs`` pairs are tied
    decisively (two on one payout account), are a farm that registered in a
    sitting. An honest onboarding day fails the market test or has no decisive
    pair inside. ``names`` are the accounts' ``type:id`` keys by code.
    """
    if not config.lockstep_join_types:
        return label
    hours, share = config.lockstep_windows[0]
    on = pairs["ident"].isin(market.join_lockstep).to_numpy()
    if not on.any():
        return label
    users = pd.DataFrame({"ident": np.r_[pairs["ident"].to_numpy()[on],
                                         pairs["ident"].to_numpy()[on]],
                          "account": np.r_[a[on], b[on]]}).drop_duplicates()
    # Candidates: accounts joined through the lockstep identifiers (proxies sharing accounts).
    ident_code, _ = pd.factorize(users["ident"])
    n = len(label)
    candidate = components_through(n, users["account"].to_numpy(), ident_code)
    users["candidate"] = candidate[users["account"].to_numpy()]
    accounts = users.drop_duplicates("account")
    atom_size = np.bincount(atoms)
    accounts = accounts.assign(paired=atom_size[atoms[accounts["account"].to_numpy()]] >= 2)
    paired = accounts.groupby("candidate")["paired"].sum()
    member_type, _, account_id = pd.Series(names[accounts["account"].to_numpy()]).str.partition(
        ":").T.to_numpy()  # names are "type:id" per account code
    creator = member_type == "creator"
    members = pd.DataFrame({"group": accounts["candidate"].to_numpy()[creator],
                            "creator_id": account_id[creator]})
    bursts = registration_bursts(
        members, market.creators, windows=[(int(hours * 3_600_000), share)],
        min_accounts=config.lockstep_min_accounts, min_share=config.lockstep_share)
    joined = [c for c in bursts["ident"] if paired.get(c, 0) >= 2 * config.lockstep_min_pairs]
    if not joined:
        return label
    chosen = accounts[accounts["candidate"].isin(joined)]
    first = chosen.groupby("candidate")["account"].transform("first").to_numpy()
    merged = components(int(label.max()) + 1, label[chosen["account"].to_numpy()], label[first])
    return merged[label]


def _operators(accounts: pd.Index) -> np.ndarray:
    """Which ``type:id`` account keys are operators' (creators and sellers), on the text's
    prefix (splitting a million keys in Python costs half a second)."""
    return pd.Series(accounts).str.startswith(("creator:", "seller:")).to_numpy(dtype=bool)


def _member(key: str) -> Member:
    member_type, _, ident = key.partition(":")
    return Member(member_type, ident)


def _evidence(per_ident: pd.Series, config: IdentityConfig, sharing: pd.Series,
              lockstep: pd.DataFrame, rarity_of: SharingRarity,
              ) -> dict[int, tuple[list[Evidence], list[tuple[str, str]], list[float]]]:
    """Per group: one evidence sentence per shared identifier, the identifiers themselves, and
    how rare in the snapshot the sharing of each is (the share of its type shared as widely).

    ``per_ident`` maps (group, ident, identifier_type) to the sorted account keys
    using the identifier. Each sentence names the identifier and its accounts,
    so it reads alone wherever it is shown. Its weight is what the sharing says
    about one operator: the type's weight, less for an identifier the market
    shares widely (``sharing``: accounts per identifier), more for more ring
    members on it; an identifier in lockstep (``lockstep``, by ``ident``) is
    said so, with its window against the market's. A shared identifier's sentence
    ends with how rare such sharing is in the snapshot (``rarity_of``): wording
    only, the weight does not read it.
    """
    found: dict[int, tuple[list[Evidence], list[tuple[str, str]], list[float]]] = {}
    stepped = lockstep.set_index("ident") if len(lockstep) else None
    for (group, ident, identifier_type), keys in per_ident.items():
        n = len(keys)
        value = ident.partition(":")[2]
        base = config.type_weights.get(identifier_type, 0.0) * (1.0 - 0.5 ** (n - 1))
        sentences, identifiers, shares = found.setdefault(int(group), ([], [], []))
        identifiers.append((identifier_type, value))
        if stepped is not None and ident in stepped.index:
            step = stepped.loc[ident]
            sentences.append(Evidence(
                f"lockstep_{identifier_type}",
                f"{type_noun(identifier_type)} {value} was first used by "
                f"{int(step['in_window'])} of its {count(int(step['accounts']), 'account')} within "
                f"{span(step['window_ms'] / 3_600_000)} of each other, while the market's other "
                f"{type_noun(identifier_type)} links in that window were "
                f"{step['market_share']:.1%} of all; {count(n, 'account')} of this ring use it: "
                f"{_who(keys)}", base))
            continue
        total = int(sharing.get(ident, n))
        cap = config.max_sharing.get(identifier_type, 2) + 1
        personal = config.personal_sharing.get(identifier_type, 2)
        weight = base * float(rarity(np.array([total]), np.array([cap]), personal)[0])
        beyond = f" (and by {count(total - n, 'account')} outside it)" if total > n else ""
        share, of_type = rarity_of.at_least(identifier_type, total)
        shares.append(share)
        sentences.append(Evidence(
            f"shared_{identifier_type}",
            f"{type_noun(identifier_type)} {value} is used by {count(n, 'account')} of this "
            f"ring{beyond}: {_who(keys)}; {_how_rare(identifier_type, total, share, of_type)}",
            weight))
    return found


def _how_rare(identifier_type: str, accounts: int, share: float, of_type: int) -> str:
    """``in this snapshot 0.41% of the 2,431 payout accounts are used by 6 accounts or more``."""
    return (f"in this snapshot {percent(share)} of the {count(of_type, type_noun(identifier_type))} "
            f"{verb(of_type, 'is', 'are')} used by {count(accounts, 'account')} or more")


def _who(keys: list[str]) -> str:
    """``creators c1, c2 and c3`` or, across types, ``5 creators (c1, ...) and 2 buyers (b1 and b2)``."""
    by_type: dict[str, list[str]] = {}
    for key in keys:
        account_type, _, account = key.partition(":")
        by_type.setdefault(account_type, []).append(account)
    parts = sorted(by_type.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    if len(parts) == 1:
        return named_accounts(*parts[0])
    return listed([f"{count(len(ids), account_type)} ({listed(ids)})" for account_type, ids in parts],
                  shown=len(parts))


DETECTOR = Detector(
    name="identity_rings", kind=KIND, step="identity rings", config="identity",
    projections=("identity_links", "creators", "allowlist"),
    find=lambda ctx, config: find_identity_rings(ctx, config.identity, seed=config.seed),
    worked_on=lambda ctx: WorkedOn(len(ctx.links),
                                   "identity links (allowlisted identifiers left out)",
                                   "no identity links to compare accounts by"),
    cost=2.0)
