"""Commission abuse: one operator on both sides of a commissioned order.

* Self-purchase: the buyer shares a personal identifier (device, payout
  account, phone, email) with the creator the order is attributed to, and does
  it repeatedly; refunds after the commission was paid make it worse.
* Self-dealing: a seller and a creator who brings commissioned orders to the
  seller's own shop share a personal identifier.

Each count is weighed as a test, not by a constant: how much of the linked
accounts' trade goes to the creator's link (or the seller's shops) against
that link's (those shops') share of the market, and refunds after the
commission against the refund share honest trade at the same shops shows
(lifted as collusion lifts it). Every case's test goes through
Benjamini-Hochberg together and the q-value becomes a weight by its
Bayes-factor bound (``significance.evidence_weight``).

Hub identifiers (shared by more than ``max_sharing`` accounts) and allowlisted
ones never count: a payment aggregator's payout account does not make every
seller the same person. Each case becomes one ring of the accounts involved
and the identifiers that tie them.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Hashable

import numpy as np
import pandas as pd

from ringwatch.domain import RingKind
from ringwatch.graph.projections import group_currency
from ringwatch.wording import accounts, count, listed, money, plural, type_noun, verb

from .collusion_rings import shop_nulls
from .config import AbuseConfig, CollusionConfig
from .context import MarketContext
from .detector import Detector, WorkedOn, attributed_orders
from .folding import fold_into_identity
from .rings import Evidence, Finding, Member
from .significance import judged

KIND = RingKind.COMMISSION_ABUSE
_SHOWN = 4


def personal_ties(ctx: MarketContext, config: AbuseConfig, left: str, right: str) -> pd.DataFrame:
    """Pairs (``left`` account, ``right`` account) sharing a personal identifier.

    Columns ``left``, ``right``, ``identifier_type``, ``identifier``.
    """
    links = ctx.links
    # An identifier only one account uses ties nobody: most are, so they go first.
    personal = links.loc[(links["identifier_type"].isin(config.strong_types)
                          & (links["sharing"] <= config.max_sharing)
                          & (links["sharing"] >= 2)).to_numpy(),
                         ["account_type", "account_id", "identifier_type", "identifier"]]
    cols = ["account_id", "identifier_type", "identifier"]
    a = personal.loc[personal["account_type"] == left, cols].rename(columns={"account_id": "left"})
    b = personal.loc[personal["account_type"] == right, cols].rename(columns={"account_id": "right"})
    return a.merge(b, on=["identifier_type", "identifier"]).drop_duplicates()


def _ties_by(ties: pd.DataFrame, keys: list[str], account: str,
             ) -> dict[Hashable, list[tuple[str, str, str]]]:
    """Each case's ties, by its key (``keys``' values; a tuple of them for several): the
    (``account``, identifier type, identifier) of each row, in the rows' order.

    Why: the columns are read once as plain lists, where a sub-frame per case and a
    list per column of it cost a tenth of a millisecond a case, most of the loop over cases.
    """
    columns = [ties[k].tolist() for k in keys]
    key_values = columns[0] if len(keys) == 1 else zip(*columns, strict=True)
    grouped: dict[Hashable, list[tuple[str, str, str]]] = defaultdict(list)
    for key, row in zip(key_values, zip(ties[account].tolist(), ties["identifier_type"].tolist(),
                                        ties["identifier"].tolist(), strict=True), strict=True):
        grouped[key].append(row)
    return grouped


def _ties(tie: list[tuple[str, str, str]], code: str, who: str,
          creator: str) -> tuple[set[Member], list[Evidence]]:
    """The identifiers tying an account to a creator (``tie``: a case's rows of
    :func:`_ties_by`), as members and (the first few) as evidence."""
    members = {Member(identifier_type, ident) for _, identifier_type, ident in tie}
    evidence = [
        Evidence(code, f"{who} {account} shares {type_noun(identifier_type)} {ident} with creator "
                       f"{creator}", 0.5)
        for account, identifier_type, ident in tie[:_SHOWN]
    ]
    return members, evidence


def find_self_purchase(ctx: MarketContext, config: AbuseConfig = AbuseConfig(),
                       norms: CollusionConfig = CollusionConfig()) -> list[Finding]:
    """Creators whose linked buyer accounts order through their own affiliate link.

    ``norms`` says how honest refund shares are estimated and lifted (the
    collusion detector's, so both judge a refund alike).
    """
    ties = personal_ties(ctx, config, "buyer", "creator").rename(
        columns={"left": "buyer_id", "right": "creator_id"})
    if ties.empty:
        return []
    orders = ctx["buyer_orders"]
    own = orders.merge(ties[["buyer_id", "creator_id"]].drop_duplicates(),
                       on=["buyer_id", "creator_id"])
    honest = shop_nulls(ctx, norms)["refund"].reindex(own["shop_id"]).fillna(0.0).to_numpy()
    own = own.assign(honest_refunds=honest * own["orders"].to_numpy())
    per_creator = own.groupby("creator_id").agg(
        orders=("orders", "sum"), refunded_after=("refunded_after_commission", "sum"),
        gmv=("gmv", "sum"), honest_refunds=("honest_refunds", "sum"))
    per_creator["currency"] = group_currency(own, "creator_id")
    cases = per_creator[per_creator["orders"] >= config.min_self_orders].copy()
    cases["refund_null"] = np.maximum(
        norms.refund_lift * cases["honest_refunds"] / cases["orders"], norms.refund_floor)
    cases["q_refund"], cases["refund_weight"] = judged(
        cases["refunded_after"].to_numpy(), cases["orders"].to_numpy(),
        cases["refund_null"].to_numpy(), cap=norms.max_test_weight)
    _test_preference(cases, orders, own, norms)
    own = own[own["creator_id"].isin(cases.index)]
    ties = ties.merge(own[["buyer_id", "creator_id"]].drop_duplicates(),
                      on=["buyer_id", "creator_id"])
    # Each case's buyers, most orders first (ties by id): one sort for all cases.
    per_buyer = own.groupby(["creator_id", "buyer_id"], as_index=False)["orders"].sum()
    per_buyer = per_buyer.sort_values(["creator_id", "orders", "buyer_id"],
                                      ascending=[True, False, True], kind="stable")
    buyers_by = per_buyer.groupby("creator_id", sort=False)["buyer_id"].agg(list).to_dict()
    ties_by = _ties_by(ties, ["creator_id"], "buyer_id")
    rings = []
    for creator, case in cases.iterrows():
        buyers, tie = buyers_by[creator], ties_by[creator]
        members = {Member("creator", creator)}
        members |= {Member("buyer", b) for b in buyers}
        shared, evidence = _ties(tie, "self_purchase", "buyer", creator)
        members |= shared
        evidence += _own_link_evidence(creator, buyers, case)
        rings.append(Finding(KIND, frozenset(members), evidence,
                             {"scheme": "self_purchase", "own_link_orders": int(case["orders"])}))
    return rings


def _test_preference(cases: pd.DataFrame, orders: pd.DataFrame, own: pd.DataFrame,
                     norms: CollusionConfig) -> None:
    """Add to ``cases`` how far the linked buyers prefer their creator's link beyond chance.

    Of all the orders a case's linked buyers placed through any creator's
    link (``through_any``), those through the creator's own link are tested
    against the creator's share of the market's attributed orders, lifted by
    ``norms.refund_lift`` (a buyer who likes a creator's picks comes back to
    it): an exact binomial tail, every case through Benjamini-Hochberg
    together, the q-value read as a weight (``significance.evidence_weight``).
    A relative's two orders among forty is no preference; a second account
    that buys nowhere else is.
    """
    attributed = orders[orders["creator_id"] != ""]
    total = float(attributed["orders"].sum())
    linked = own[["creator_id", "buyer_id"]].drop_duplicates()
    # Only the cases' creators and their linked buyers are read: group those rows alone.
    mine = attributed[attributed["creator_id"].isin(cases.index).to_numpy()]
    share = mine.groupby("creator_id")["orders"].sum() / max(total, 1.0)
    theirs = attributed[attributed["buyer_id"].isin(linked["buyer_id"].unique()).to_numpy()]
    per_buyer = theirs.groupby("buyer_id")["orders"].sum()
    linked = linked.assign(through_any=per_buyer.reindex(linked["buyer_id"]).to_numpy())
    cases["through_any"] = linked.groupby("creator_id")["through_any"].sum().reindex(
        cases.index).fillna(cases["orders"]).to_numpy()
    cases["link_share"] = share.reindex(cases.index).fillna(0.0).to_numpy()
    cases["q_preference"], cases["preference_weight"] = _preference(
        cases["orders"], cases["through_any"], cases["link_share"], norms)


def _preference(orders: pd.Series, through_any: pd.Series, share: pd.Series,
                norms: CollusionConfig) -> tuple[np.ndarray, np.ndarray]:
    """``orders`` of ``through_any`` against ``share`` lifted by ``norms.refund_lift``: q, weight."""
    return judged(orders.to_numpy(), through_any.to_numpy(),
                  np.minimum(norms.refund_lift * share.to_numpy(), 1.0), cap=norms.max_test_weight)


def _own_link_evidence(creator: str, buyers: list[str], case: pd.Series) -> list[Evidence]:
    """The orders a creator's linked buyers placed through its own link, and their refunds.

    Each sentence names the buyers and the creator: the pipeline may fold the
    last one alone into an identity ring, where no neighbouring sentence says
    who "they" are.
    """
    orders, refunded = int(case["orders"]), int(case["refunded_after"])
    who = accounts("buyer", buyers)
    link = f"creator {creator}'s own affiliate link"
    evidence = [Evidence(
        "own_link_orders",
        f"{who} placed {count(orders, 'order')} worth {money(case['gmv'], case['currency'])} "
        f"through {link}: {orders:,} of the {count(int(case['through_any']), 'order')} "
        f"{verb(len(buyers), 'it', 'they')} placed through creators' links, where creator "
        f"{creator} brings {case['link_share']:.2%} of the market's attributed orders "
        f"(q = {case['q_preference']:.2g}, over every case judged)",
        float(case["preference_weight"]))]
    if refunded:
        share = (f"all {count(orders, 'order')}" if refunded == orders
                 else f"{refunded:,} of the {count(orders, 'order')}")
        evidence.append(Evidence(
            "refund_after_commission",
            f"{share} that {who} placed through {link} {verb(refunded, 'was', 'were')} "
            f"refunded after the commission was paid, where honest trade at the same shops "
            f"would refund about {case['refund_null']:.0%} (q = {case['q_refund']:.2g}, over "
            f"every case judged)", float(case["refund_weight"])))
    return evidence


def find_self_dealing(ctx: MarketContext, config: AbuseConfig = AbuseConfig(),
                      norms: CollusionConfig = CollusionConfig()) -> list[Finding]:
    """Sellers who run a creator account that earns commission at their own shop.

    How much of the creator's trade goes to the seller's shops is tested
    against those shops' share of the market's attributed orders, lifted by
    ``norms.refund_lift`` (a creator may well favour a shop it likes), as
    :func:`_test_preference` tests a self-purchase.
    """
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
    per_pair["currency"] = group_currency(own, ["seller_id", "creator_id"])
    cases = per_pair[per_pair["orders"] >= config.min_self_dealing_orders].copy()
    total = float(trade["orders"].sum())
    seller_share = trade.groupby("seller_id")["orders"].sum() / max(total, 1.0)
    creator_orders = trade.groupby("creator_id")["orders"].sum()
    cases["through_any"] = creator_orders.reindex(
        cases.index.get_level_values("creator_id")).to_numpy()
    cases["shop_share"] = seller_share.reindex(
        cases.index.get_level_values("seller_id")).fillna(0.0).to_numpy()
    cases["q_preference"], cases["preference_weight"] = _preference(
        cases["orders"], cases["through_any"], cases["shop_share"], norms)
    ties_by = _ties_by(ties, ["seller_id", "creator_id"], "seller_id")
    rings = []
    for (seller, creator), case in cases.iterrows():
        tie = ties_by[(seller, creator)]
        members = {Member("seller", seller), Member("creator", creator)}
        members |= {Member("shop", s) for s in case["shops"]}
        shared, evidence = _ties(tie, "self_dealing", "seller", creator)
        members |= shared
        evidence.append(Evidence(
            "own_shop_commission",
            f"creator {creator} earned {money(case['commission'], case['currency'])} commission "
            f"on {count(int(case['orders']), 'order')} at seller {seller}'s own "
            f"{plural(len(case['shops']), 'shop')} {listed(case['shops'])}: "
            f"{int(case['orders']):,} of the {count(int(case['through_any']), 'order')} it "
            f"brought to any shop, where seller {seller}'s shops take "
            f"{case['shop_share']:.2%} of the market's attributed orders "
            f"(q = {case['q_preference']:.2g}, over every case judged)",
            float(case["preference_weight"])))
        rings.append(Finding(KIND, frozenset(members), evidence,
                             {"scheme": "self_dealing", "own_shop_orders": int(case["orders"])}))
    return rings


def find_commission_abuse(ctx: MarketContext, config: AbuseConfig = AbuseConfig(),
                          norms: CollusionConfig = CollusionConfig()) -> list[Finding]:
    """All commission-abuse cases: self-purchase and self-dealing (``norms``: see
    :func:`find_self_purchase`)."""
    return find_self_purchase(ctx, config, norms) + find_self_dealing(ctx, config, norms)


def _worked_on(ctx: MarketContext) -> WorkedOn:
    """Attributed orders, when buyers' or sellers' identity links can tie them to their creator."""
    linked = ctx.links["account_type"].isin(("buyer", "seller")).any() if len(ctx.links) else False
    return WorkedOn(attributed_orders(ctx) if linked else 0,
                    "attributed orders, judged against buyer and seller identity links",
                    "needs orders attributed to creators and identity links of buyers or sellers")


DETECTOR = Detector(
    name=KIND.value, kind=KIND, step="commission abuse", config="abuse",
    projections=("creator_shop_trade", "buyer_orders", "identity_links", "shops"),
    find=lambda ctx, config: find_commission_abuse(ctx, config.abuse, config.collusion),
    worked_on=_worked_on,
    gives_way_to=(RingKind.IDENTITY_RING,), give_way=fold_into_identity,
    cost=0.5)
