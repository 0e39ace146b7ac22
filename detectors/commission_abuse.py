"""Commission abuse: one operator on both sides of a commissioned order.

* Self-purchase: the buyer shares a personal identifier (device, payout
  account, phone, email) with the creator the order is attributed to, and does
  it repeatedly; refunds after the commission was paid make it worse.
* Self-dealing: a seller and a creator who brings commissioned orders to the
  seller's own shop share a personal identifier.

Hub identifiers (shared by more than ``max_sharing`` accounts) and allowlisted
ones never count: a payment aggregator's payout account does not make every
seller the same person. Each case becomes one ring of the accounts involved
and the identifiers that tie them.
"""

from __future__ import annotations

import pandas as pd

from .config import AbuseConfig
from .context import MarketContext
from .identity_rings import describe_type
from .rings import Evidence, Finding, Member

KIND = "commission_abuse"
_SHOWN = 4


def personal_ties(ctx: MarketContext, config: AbuseConfig, left: str, right: str) -> pd.DataFrame:
    """Pairs (``left`` account, ``right`` account) sharing a personal identifier.

    Columns ``left``, ``right``, ``identifier_type``, ``identifier``.
    """
    links = ctx.links
    personal = links[links["identifier_type"].isin(config.strong_types)
                     & (links["sharing"] <= config.max_sharing)]
    cols = ["account_id", "identifier_type", "identifier"]
    a = personal.loc[personal["account_type"] == left, cols].rename(columns={"account_id": "left"})
    b = personal.loc[personal["account_type"] == right, cols].rename(columns={"account_id": "right"})
    return a.merge(b, on=["identifier_type", "identifier"]).drop_duplicates()


def _ties(tie: pd.DataFrame, code: str, who: str, accounts: pd.Series,
          creator: str) -> tuple[set[Member], list[Evidence]]:
    """The identifiers tying an account to a creator, as members and (the first few) as evidence."""
    members = {Member(t, i) for t, i in zip(tie["identifier_type"], tie["identifier"], strict=True)}
    evidence = [
        Evidence(code, f"{who} {account} shares {describe_type(kind)} {ident} with creator "
                       f"{creator}", 0.5)
        for account, kind, ident in zip(accounts.head(_SHOWN), tie["identifier_type"].head(_SHOWN),
                                        tie["identifier"].head(_SHOWN), strict=True)
    ]
    return members, evidence


def find_self_purchase(ctx: MarketContext, config: AbuseConfig = AbuseConfig()) -> list[Finding]:
    """Creators whose linked buyer accounts order through their own affiliate link."""
    ties = personal_ties(ctx, config, "buyer", "creator").rename(
        columns={"left": "buyer_id", "right": "creator_id"})
    if ties.empty:
        return []
    orders = ctx["buyer_orders"]
    own = orders.merge(ties[["buyer_id", "creator_id"]].drop_duplicates(),
                       on=["buyer_id", "creator_id"])
    per_creator = own.groupby("creator_id").agg(
        orders=("orders", "sum"), refunded_after=("refunded_after_commission", "sum"),
        gmv=("gmv", "sum"))
    cases = per_creator[per_creator["orders"] >= config.min_self_orders]
    own = own[own["creator_id"].isin(cases.index)]
    ties = ties.merge(own[["buyer_id", "creator_id"]].drop_duplicates(),
                      on=["buyer_id", "creator_id"])
    bought_by = dict(tuple(own.groupby("creator_id")))
    ties_by = dict(tuple(ties.groupby("creator_id")))
    rings = []
    for creator, case in cases.iterrows():
        bought, tie = bought_by[creator], ties_by[creator]
        members = {Member("creator", creator)}
        members |= {Member("buyer", b) for b in bought["buyer_id"]}
        shared, evidence = _ties(tie, "self_purchase", "buyer", tie["buyer_id"], creator)
        members |= shared
        evidence.append(Evidence(
            "own_link_orders",
            f"{int(case['orders'])} orders worth {case['gmv']:,.2f} were placed by those buyers "
            f"through creator {creator}'s own affiliate link", min(0.6, 0.1 * case["orders"])))
        if case["refunded_after"]:
            evidence.append(Evidence(
                "refund_after_commission",
                f"{int(case['refunded_after'])} of them were refunded after the commission "
                f"was paid", min(0.6, 0.15 * case["refunded_after"])))
        rings.append(Finding(KIND, frozenset(members), evidence,
                             {"scheme": "self_purchase", "own_link_orders": int(case["orders"])}))
    return rings


def find_self_dealing(ctx: MarketContext, config: AbuseConfig = AbuseConfig()) -> list[Finding]:
    """Sellers who run a creator account that earns commission at their own shop."""
    ties = personal_ties(ctx, config, "seller", "creator").rename(
        columns={"left": "seller_id", "right": "creator_id"})
    if ties.empty:
        return []
    shops = ctx["shops"][["shop_id", "seller_id"]]
    trade = ctx["creator_shop_trade"].merge(shops, on="shop_id")
    own = trade.merge(ties[["seller_id", "creator_id"]].drop_duplicates(),
                      on=["seller_id", "creator_id"])
    own = own[own["commissions"] >= 1]
    per_pair = own.groupby(["seller_id", "creator_id"]).agg(
        orders=("orders", "sum"), commission=("commission_total", "sum"),
        shops=("shop_id", lambda s: sorted(set(s))))
    cases = per_pair[per_pair["orders"] >= config.min_self_dealing_orders]
    ties_by = dict(tuple(ties.groupby(["seller_id", "creator_id"])))
    rings = []
    for (seller, creator), case in cases.iterrows():
        tie = ties_by[(seller, creator)]
        members = {Member("seller", seller), Member("creator", creator)}
        members |= {Member("shop", s) for s in case["shops"]}
        shared, evidence = _ties(tie, "self_dealing", "seller", tie["seller_id"], creator)
        members |= shared
        evidence.append(Evidence(
            "own_shop_commission",
            f"creator {creator} earned {case['commission']:,.2f} commission on "
            f"{int(case['orders'])} orders at the seller's own shop "
            f"{', '.join(case['shops'])}", min(0.6, 0.1 * case["orders"])))
        rings.append(Finding(KIND, frozenset(members), evidence,
                             {"scheme": "self_dealing", "own_shop_orders": int(case["orders"])}))
    return rings


def find_commission_abuse(ctx: MarketContext, config: AbuseConfig = AbuseConfig()) -> list[Finding]:
    """All commission-abuse cases: self-purchase and self-dealing."""
    return find_self_purchase(ctx, config) + find_self_dealing(ctx, config)
