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
>>> from ringwatch.detectors.config import IdentityConfig
>>> rings = find_identity_rings(context, IdentityConfig())  # doctest: +SKIP
"""

from __future__ import annotations

import igraph as ig
import numpy as np
import pandas as pd

from .communities import agglomerate, groups
from .config import IdentityConfig
from .context import MarketContext
from .rings import Evidence, Finding, Member
from .sharing import identifier_pairs

KIND = "identity_ring"
_SHOWN_EVIDENCE = 8


def describe_type(identifier_type: str) -> str:
    """``payout_account`` -> ``payout account``: identifier types as a reviewer reads them."""
    return {"ip": "IP", "payout_account": "payout account"}.get(identifier_type, identifier_type)


def strong_links(ctx: MarketContext, config: IdentityConfig) -> pd.DataFrame:
    """Identifier pairs that count: hub identifiers and expected in-agency sharing removed."""
    pairs = identifier_pairs(ctx.links, max_sharing=config.max_sharing,
                             type_weights=config.type_weights)
    creators = ctx["creators"]
    agency = pd.Series(creators["agency_id"].to_numpy(),
                       index="creator:" + creators["creator_id"]).replace("", np.nan)
    agency_a = pairs["a"].map(agency)
    same_agency = agency_a.notna() & (agency_a == pairs["b"].map(agency))
    expected = same_agency & pairs["identifier_type"].isin(config.agency_expected_types)
    return pairs[~expected.to_numpy()]


def find_identity_rings(ctx: MarketContext, config: IdentityConfig = IdentityConfig(), *,
                        seed: int = 42) -> list[Finding]:
    """Return one :class:`Finding` per identity ring, unscored."""
    pairs = strong_links(ctx, config)
    if pairs.empty:
        return []
    strength = pairs.groupby(["a", "b"], sort=False)["weight"].sum().reset_index()
    codes, accounts = pd.factorize(pd.concat([strength["a"], strength["b"]]), sort=True)
    half = len(strength)
    src, dst, weight = codes[:half], codes[half:], strength["weight"].to_numpy()
    decisive = pairs["identifier_type"].map(config.type_weights).fillna(0.0).to_numpy() \
        >= config.link_threshold
    seeds = ig.Graph(n=len(accounts), edges=np.column_stack([
        accounts.get_indexer(pairs["a"][decisive]), accounts.get_indexer(pairs["b"][decisive])]))
    label = agglomerate(len(accounts), src, dst, weight, threshold=config.link_threshold,
                        initial=np.asarray(seeds.connected_components().membership))
    same = label[src] == label[dst]
    found = groups(len(accounts), src[same], dst[same], weight[same],
                   max_size=config.max_ring_accounts, resolution=config.leiden_resolution,
                   seed=seed)
    group_of = pd.Series(-1, index=accounts)
    for g, nodes in enumerate(found):
        group_of.iloc[nodes] = g
    # The identifiers shared inside each group, from the same (filtered) pairs.
    ga, gb = pairs["a"].map(group_of), pairs["b"].map(group_of)
    inside = pairs[(ga == gb).to_numpy() & (ga >= 0).to_numpy()].assign(group=ga)
    shared = pd.concat([inside[["group", "ident", "identifier_type", "a"]].rename(columns={"a": "account"}),
                        inside[["group", "ident", "identifier_type", "b"]].rename(columns={"b": "account"})])
    shared = shared.drop_duplicates()
    by_group = dict(tuple(shared.groupby("group")))
    rings = []
    for g, nodes in enumerate(found):
        members = [_member(key) for key in accounts[nodes]]
        operators = sum(1 for m in members if m.type in ("creator", "seller"))
        if operators < config.min_operator_accounts or g not in by_group:
            continue
        rings.append(_finding(members, by_group[g], config))
    return rings


def _member(key: str) -> Member:
    kind, _, ident = key.partition(":")
    return Member(kind, ident)


def _finding(accounts: list[Member], shared: pd.DataFrame, config: IdentityConfig) -> Finding:
    evidence = []
    identifiers = []
    for (ident, identifier_type), users in shared.groupby(["ident", "identifier_type"]):
        kinds = pd.Series([a.partition(":")[0] for a in users["account"]]).value_counts()
        n = int(kinds.sum())
        who = ", ".join(f"{c} {t}{'s' if c > 1 else ''}" for t, c in kinds.items())
        value = ident.partition(":")[2]
        identifiers.append(Member(identifier_type, value))
        weight = config.type_weights.get(identifier_type, 0.0) * (1.0 - 0.5 ** (n - 1))
        evidence.append(Evidence(
            f"shared_{identifier_type}",
            f"{describe_type(identifier_type)} {value} is used by {n} accounts of this ring ({who})",
            weight))
    evidence.sort(key=lambda e: (-e.weight, e.text))
    return Finding(KIND, frozenset(accounts) | frozenset(identifiers), evidence[:_SHOWN_EVIDENCE],
                   {"shared_identifiers": len(identifiers)})
