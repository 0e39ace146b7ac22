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
from .wording import accounts as named_accounts
from .wording import count, listed

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
    codes, accounts = pd.factorize(pd.concat([pairs["a"], pairs["b"]]))
    agency_of = agency.reindex(accounts).to_numpy()
    agency_a, agency_b = agency_of[codes[:len(pairs)]], agency_of[codes[len(pairs):]]
    same_agency = pd.notna(agency_a) & (agency_a == agency_b)
    expected = same_agency & pairs["identifier_type"].isin(config.agency_expected_types).to_numpy()
    return pairs[~expected]


def find_identity_rings(ctx: MarketContext, config: IdentityConfig = IdentityConfig(), *,
                        seed: int = 42) -> list[Finding]:
    """Return one :class:`Finding` per identity ring, unscored."""
    pairs = strong_links(ctx, config)
    if pairs.empty:
        return []
    codes, accounts = pd.factorize(pd.concat([pairs["a"], pairs["b"]]), sort=True)
    n, half = len(accounts), len(pairs)
    pa_, pb_ = codes[:half].astype(np.int64), codes[half:].astype(np.int64)
    # Summed weight per account pair, on integer keys.
    key, inverse = np.unique(pa_ * n + pb_, return_inverse=True)
    weight = np.bincount(inverse, weights=pairs["weight"].to_numpy())
    src, dst = key // n, key % n
    decisive = pairs["identifier_type"].map(config.type_weights).fillna(0.0).to_numpy() \
        >= config.link_threshold
    seeds = ig.Graph(n=n, edges=np.column_stack([pa_[decisive], pb_[decisive]]))
    label = agglomerate(n, src, dst, weight, threshold=config.link_threshold,
                        initial=np.asarray(seeds.connected_components().membership))
    same = label[src] == label[dst]
    found = groups(n, src[same], dst[same], weight[same], max_size=config.max_ring_accounts,
                   resolution=config.leiden_resolution, seed=seed)
    kinds = pd.Series(accounts).str.split(":", n=1).str[0].to_numpy()
    operators = np.isin(kinds, ("creator", "seller"))
    found = [nodes for nodes in found if operators[nodes].sum() >= config.min_operator_accounts]
    group_of = np.full(n, -1)
    for g, nodes in enumerate(found):
        group_of[nodes] = g
    # The identifiers shared inside each group, from the same (filtered) pairs.
    ga, gb = group_of[pa_], group_of[pb_]
    inside = (ga == gb) & (ga >= 0)
    shared = pd.DataFrame({
        "group": np.r_[ga[inside], ga[inside]],
        "ident": np.r_[pairs["ident"].to_numpy()[inside], pairs["ident"].to_numpy()[inside]],
        "identifier_type": np.r_[pairs["identifier_type"].to_numpy()[inside],
                                 pairs["identifier_type"].to_numpy()[inside]],
        "account": np.r_[pa_[inside], pb_[inside]],
    }).drop_duplicates()
    shared["key"] = accounts[shared["account"].to_numpy()]
    shared = shared.sort_values(["group", "ident", "key"], kind="stable")
    per_ident = shared.groupby(["group", "ident", "identifier_type"], sort=True)["key"].agg(list)
    evidence = _evidence(per_ident, config)
    return [
        Finding(KIND,
                frozenset(_member(k) for k in accounts[nodes]) | frozenset(
                    Member(t, i) for t, i in evidence[g][1]),
                sorted(evidence[g][0], key=lambda e: (-e.weight, e.text))[:_SHOWN_EVIDENCE],
                {"shared_identifiers": len(evidence[g][1])})
        for g, nodes in enumerate(found) if g in evidence
    ]


def _member(key: str) -> Member:
    kind, _, ident = key.partition(":")
    return Member(kind, ident)


def _evidence(per_ident: pd.Series,
              config: IdentityConfig) -> dict[int, tuple[list[Evidence], list[tuple[str, str]]]]:
    """Per group: one evidence sentence per shared identifier, and the identifiers themselves.

    ``per_ident`` maps (group, ident, identifier_type) to the sorted account keys
    using the identifier. Each sentence names the identifier and its accounts,
    so it reads alone wherever it is shown.
    """
    found: dict[int, tuple[list[Evidence], list[tuple[str, str]]]] = {}
    for (group, ident, identifier_type), keys in per_ident.items():
        n = len(keys)
        value = ident.partition(":")[2]
        weight = config.type_weights.get(identifier_type, 0.0) * (1.0 - 0.5 ** (n - 1))
        sentences, identifiers = found.setdefault(int(group), ([], []))
        identifiers.append((identifier_type, value))
        sentences.append(Evidence(
            f"shared_{identifier_type}",
            f"{describe_type(identifier_type)} {value} is used by {count(n, 'account')} of this "
            f"ring: {_who(keys)}", weight))
    return found


def _who(keys: list[str]) -> str:
    """``creators c1, c2 and c3`` or, across types, ``5 creators (c1, ...) and 2 buyers (b1 and b2)``."""
    by_kind: dict[str, list[str]] = {}
    for key in keys:
        kind, _, account = key.partition(":")
        by_kind.setdefault(kind, []).append(account)
    parts = sorted(by_kind.items(), key=lambda kv: (-len(kv[1]), kv[0]))
    if len(parts) == 1:
        return named_accounts(*parts[0])
    return listed([f"{count(len(ids), kind)} ({listed(ids)})" for kind, ids in parts],
                  shown=len(parts))
