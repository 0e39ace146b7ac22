"""Collusion rings: creators and shops that trade commission among themselves.

Each creator-shop pair's trade is judged against norms the market itself sets
(see :class:`~ringwatch.detectors.config.CollusionConfig`): refunds after the
commission was paid, a commission rate inflated over the shop's and the
category's median, a small pool of buyers ordering again and again, buyers
crowded onto few devices. A pair with enough of these signals is suspicious.
Suspicious pairs, plus creator-creator ties through the same fake buyers,
form a graph whose components (split with Leiden when large) are the rings;
the shops' sellers and the buyer pool join as members.

Camouflage edges (ring creators also promoting ordinary shops) do not pull
ordinary shops in: only suspicious pairs are edges.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ringwatch.domain import RingKind

from .communities import components, groups
from .config import CollusionConfig
from .context import MarketContext
from .rings import Evidence, Finding, Member
from .wording import accounts, count, listed, plural, verb

KIND = RingKind.COLLUSION_RING
_POOL_MIN_ORDERS = 2
_SHOWN_PAIRS = 4
_SHOWN_DEVICES = 5


def pair_signals(ctx: MarketContext, config: CollusionConfig) -> pd.DataFrame:
    """Every judged creator-shop pair with its signals (booleans) and their count."""
    trade = ctx["creator_shop_trade"]
    trade = trade[trade["orders"] >= config.min_pair_orders].copy()
    shops = ctx["shops"].set_index("shop_id")
    trade["category"] = trade["shop_id"].map(shops["category"]).fillna("")
    trade["mean_rate"] = np.where(trade["commissions"] > 0,
                                  trade["rate_total"] / trade["commissions"].clip(lower=1), np.nan)
    rates = _rate_norms(ctx)
    trade["shop_norm"] = trade["shop_id"].map(rates["shop"]).astype(np.float64)
    trade["category_norm"] = trade["category"].map(rates["category"]).astype(
        np.float64).fillna(rates["market"])
    norm = trade[["shop_norm", "category_norm"]].min(axis=1)
    trade["refund_after_share"] = trade["refunded_after_commission"] / trade["orders"]
    # Judged on a smoothed share: a few orders all refunded count, one unlucky order does not.
    market_share = float(trade["refunded_after_commission"].sum() / max(trade["orders"].sum(), 1))
    smoothed = (trade["refunded_after_commission"] + config.prior_orders * market_share) / (
        trade["orders"] + config.prior_orders)
    trade["orders_per_buyer"] = trade["orders"] / trade["buyers"].clip(lower=1)
    trade["devices_per_buyer"] = _devices_per_buyer(ctx, trade)
    trade["sig_refund"] = smoothed >= config.refund_after_share
    trade["sig_rate"] = trade["mean_rate"] >= config.rate_inflation * norm
    trade["sig_pool"] = trade["orders_per_buyer"] >= config.orders_per_buyer
    trade["sig_devices"] = trade["devices_per_buyer"] <= 0.5
    trade["signals"] = trade[["sig_refund", "sig_rate", "sig_pool", "sig_devices"]].sum(axis=1)
    return trade


def _rate_norms(ctx: MarketContext) -> dict:
    """Median agreed rate per shop and per category (affiliations; trade rates where absent)."""
    aff = ctx["affiliations"][["shop_id", "commission_rate"]]
    trade = ctx["creator_shop_trade"]
    traded = trade[trade["commissions"] > 0]
    observed = pd.DataFrame({"shop_id": traded["shop_id"],
                             "commission_rate": traded["rate_total"] / traded["commissions"]})
    rates = aff if len(aff) else observed
    category = ctx["shops"].set_index("shop_id")["category"]
    rates = rates.assign(category=rates["shop_id"].map(category).fillna(""))
    return {"shop": rates.groupby("shop_id")["commission_rate"].median(),
            "category": rates.groupby("category")["commission_rate"].median(),
            "market": float(rates["commission_rate"].median()) if len(rates) else np.nan}


def _devices_per_buyer(ctx: MarketContext, trade: pd.DataFrame) -> pd.Series:
    """Distinct devices per distinct buyer of each pair (NaN when buyers show no devices)."""
    orders = ctx["buyer_orders"]
    orders = orders[orders["creator_id"] != ""][["buyer_id", "shop_id", "creator_id"]]
    links = ctx.links
    devices = links[(links["account_type"] == "buyer") & (links["identifier_type"] == "device")]
    devices = devices[["account_id", "identifier"]].rename(columns={"account_id": "buyer_id"})
    used = orders.merge(devices, on="buyer_id")
    if used.empty:
        return pd.Series(np.nan, index=trade.index)
    per_pair = used.groupby(["creator_id", "shop_id"]).agg(
        buyers=("buyer_id", "nunique"), devices=("identifier", "nunique"))
    ratio = per_pair["devices"] / per_pair["buyers"]
    # Two buyers on one device is a household, not a pattern: judge pools of at least four.
    ratio = ratio[per_pair["buyers"] >= 4]
    keys = pd.MultiIndex.from_arrays([trade["creator_id"], trade["shop_id"]])
    return pd.Series(ratio.reindex(keys).to_numpy(), index=trade.index)


def find_collusion_rings(ctx: MarketContext, config: CollusionConfig = CollusionConfig(), *,
                         seed: int = 42) -> list[Finding]:
    """Return one :class:`Finding` per collusion ring, unscored."""
    pairs = pair_signals(ctx, config)
    suspicious = _complicit_shops_only(pairs, pairs[pairs["signals"] >= config.min_signals],
                                       config)
    suspicious = pd.concat([suspicious.assign(block=False),
                            thin_blocks(ctx, pairs, suspicious, config).assign(block=True)],
                           ignore_index=True)
    if suspicious.empty:
        return []
    pool = _buyer_pool(ctx, suspicious)
    creator_ties = _creator_ties(pool, config.min_shared_buyers)
    nodes_c = "creator:" + suspicious["creator_id"]
    nodes_s = "shop:" + suspicious["shop_id"]
    edges_a = pd.concat([nodes_c, "creator:" + creator_ties["a"]], ignore_index=True)
    edges_b = pd.concat([nodes_s, "creator:" + creator_ties["b"]], ignore_index=True)
    weight = np.r_[suspicious["orders"].to_numpy() * suspicious["signals"].to_numpy(),
                   creator_ties["shared"].to_numpy()].astype(np.float64)
    codes, names = pd.factorize(pd.concat([edges_a, edges_b], ignore_index=True), sort=True)
    half = len(edges_a)
    found = groups(len(names), codes[:half], codes[half:], weight,
                   max_size=config.max_ring_accounts, resolution=config.leiden_resolution,
                   seed=seed)
    sellers = ctx["shops"].set_index("shop_id")["seller_id"]
    ring_of = pd.Series(-1, index=names)
    for g, nodes in enumerate(found):
        keys = names[nodes]
        creators = sum(1 for k in keys if k.startswith("creator:"))
        shops = len(keys) - creators
        if shops and creators >= config.min_creators and len(keys) >= config.min_ring_accounts:
            ring_of.iloc[nodes] = g
    # Each suspicious pair, and each pool order, belongs to the ring of both its ends.
    pair_ring = _ring_of_pair(ring_of, suspicious)
    pool_ring = _ring_of_pair(ring_of, pool)
    # Sorted once for all rings, the way each ring's evidence lists them (split below).
    in_ring = suspicious.assign(ring=pair_ring)[pair_ring >= 0].sort_values(
        ["ring", "orders", "creator_id"], ascending=[True, False, True], kind="stable")
    ring_pool = pool.assign(ring=pool_ring)[pool_ring >= 0]
    per_buyer = ring_pool.groupby(["ring", "buyer_id"])["orders"].sum()
    per_buyer = per_buyer[per_buyer >= _POOL_MIN_ORDERS].reset_index().sort_values(
        ["ring", "orders", "buyer_id"], ascending=[True, False, True], kind="stable")
    trade = _ring_trade(in_ring, per_buyer, _pool_devices(ctx, per_buyer))
    seller_of = sellers.to_dict()
    rings = []
    for g, nodes in enumerate(found):
        if g not in trade:
            continue
        keys = names[nodes]
        creators = {k.partition(":")[2] for k in keys if k.startswith("creator:")}
        shops = {k.partition(":")[2] for k in keys if k.startswith("shop:")}
        rings.append(_finding(creators, shops, seller_of, trade[g]))
    return rings


def thin_blocks(ctx: MarketContext, pairs: pd.DataFrame, strong: pd.DataFrame,
                config: CollusionConfig) -> pd.DataFrame:
    """Creator-shop pairs that form a block whose pooled trade is abnormal.

    Collusion spread thin gives each pair an order or two and at most one
    signal, too little to judge a pair by. What it cannot spread thin is its
    buyer pool: the same few buyers buy through several of its creators and
    hardly anyone else's. Two creators are tied when they share at least
    ``block_min_shared_buyers`` buyers and those are at least
    ``block_min_jaccard`` of their buyers together (a popular creator shares
    buyers with many, but a small share of its crowd with each: no tie).
    Components of such ties, with the shops their shared buyers bought at, are
    blocks; each is judged as a whole against the norms a pair is judged by:
    pooled refund-after-commission share (against the share of the market's
    trade outside the strongly suspicious pairs), pooled commission rate, orders
    per distinct buyer, and a shared pool (``block_shared_buyers`` of its
    buyers buy through two or more of its creators). A block with
    ``min_signals`` of these, ``block_min_fill`` of its creator-shop pairs
    trading, and at least two creators and two shops, is kept. Returns its
    pairs (in the shape of :func:`pair_signals`), strongly suspicious ones left out.
    """
    orders = ctx["buyer_orders"]
    orders = orders[orders["creator_id"] != ""]
    per = orders[["buyer_id", "creator_id"]].drop_duplicates()
    per = per[per.groupby("buyer_id")["creator_id"].transform("size").between(2, 50).to_numpy()]
    if per.empty:
        return pairs.iloc[:0]
    both = per.merge(per, on="buyer_id")
    both = both[both["creator_id_x"] < both["creator_id_y"]]
    shared = both.groupby(["creator_id_x", "creator_id_y"]).size().rename("shared").reset_index()
    reach = orders.groupby("creator_id")["buyer_id"].nunique()
    union = (reach.reindex(shared["creator_id_x"]).to_numpy()
             + reach.reindex(shared["creator_id_y"]).to_numpy() - shared["shared"].to_numpy())
    tied = shared[(shared["shared"].to_numpy() >= config.block_min_shared_buyers)
                  & (shared["shared"].to_numpy() >= config.block_min_jaccard * union)]
    if tied.empty:
        return pairs.iloc[:0]
    codes, names = pd.factorize(pd.concat([tied["creator_id_x"], tied["creator_id_y"]]))
    block_of = pd.Series(components(len(names), codes[:len(tied)], codes[len(tied):]),
                         index=names)
    # The block's trade: the pairs its shared buyers bought at through its creators.
    pool = per.assign(block=block_of.reindex(per["creator_id"]).to_numpy()).dropna()
    pool = pool[pool.groupby(["buyer_id", "block"])["creator_id"].transform("size") >= 2]
    bought = orders.merge(pool[["buyer_id", "creator_id", "block"]], on=["buyer_id", "creator_id"])
    keys = bought[["creator_id", "shop_id", "block"]].drop_duplicates(["creator_id", "shop_id"])
    trade = _all_pairs(ctx, pairs)
    taken = pd.MultiIndex.from_arrays([strong["creator_id"], strong["shop_id"]])
    free = ~pd.MultiIndex.from_arrays([trade["creator_id"], trade["shop_id"]]).isin(taken)
    background = trade[free]
    market_refund = float(background["refunded_after_commission"].sum()
                          / max(background["orders"].sum(), 1))
    blocks = background.merge(keys, on=["creator_id", "shop_id"])
    abnormal = _abnormal_blocks(ctx, blocks, config, market_refund)
    return blocks[blocks["block"].isin(abnormal).to_numpy()].drop(columns="block").reset_index(
        drop=True)


def _all_pairs(ctx: MarketContext, judged: pd.DataFrame) -> pd.DataFrame:
    """Every traded creator-shop pair, with the judged pairs' signals (0 for the rest)."""
    trade = ctx["creator_shop_trade"]
    columns = [c for c in judged.columns if c not in trade.columns]
    merged = trade.merge(judged[["creator_id", "shop_id", *columns]],
                         on=["creator_id", "shop_id"], how="left")
    for column in columns:
        if column.startswith("sig_"):
            merged[column] = merged[column].fillna(False).astype(bool)
    merged["signals"] = merged["signals"].fillna(0).astype(np.int64)
    shops = ctx["shops"].set_index("shop_id")
    rates = _rate_norms(ctx)
    merged["shop_norm"] = merged["shop_id"].map(rates["shop"]).astype(np.float64)
    merged["category_norm"] = merged["shop_id"].map(shops["category"]).map(
        rates["category"]).astype(np.float64).fillna(rates["market"])
    return merged


def _abnormal_blocks(ctx: MarketContext, blocks: pd.DataFrame, config: CollusionConfig,
                     market_refund: float) -> np.ndarray:
    """The blocks (ids in ``blocks["block"]``) whose pooled trade breaks the market's norms.

    All blocks at once, by group-by. Refunds after the commission are judged
    against the market's own share (``market_refund``): pooled over a block
    they are many orders, so ``block_refund_lift`` times the market's share is
    telling where one pair's few orders would be noise.
    """
    if blocks.empty:
        return np.array([])
    blocks = blocks.assign(norm=blocks[["shop_norm", "category_norm"]].min(axis=1))
    per = blocks.groupby("block").agg(
        creators=("creator_id", "nunique"), shops=("shop_id", "nunique"),
        pairs=("creator_id", "size"), orders=("orders", "sum"),
        refunded=("refunded_after_commission", "sum"), commissions=("commissions", "sum"),
        rate_total=("rate_total", "sum"), norm=("norm", "median"))
    bought = ctx["buyer_orders"].merge(blocks[["creator_id", "shop_id", "block"]],
                                       on=["creator_id", "shop_id"])
    via = bought.groupby(["block", "buyer_id"])["creator_id"].nunique()
    per["buyers"] = via.groupby(level="block").size().reindex(per.index).fillna(0)
    per["shared"] = (via >= 2).groupby(level="block").mean().reindex(per.index).fillna(0.0)
    shape = ((per["creators"] >= 2) & (per["shops"] >= 2)
             & (per["pairs"] >= config.block_min_fill * per["creators"] * per["shops"]))
    refund = (per["refunded"] >= 5) & (per["refunded"] >= per["orders"] * min(
        config.refund_after_share, config.block_refund_lift * market_refund))
    rate = (per["commissions"] > 0) & (
        per["rate_total"] >= config.rate_inflation * per["norm"] * per["commissions"])
    pool = (per["buyers"] > 0) & (per["orders"] >= config.orders_per_buyer * per["buyers"])
    shared = per["shared"] >= config.block_shared_buyers
    signals = refund.astype(int) + rate.astype(int) + pool.astype(int) + shared.astype(int)
    return per.index[(shape & (signals >= config.min_signals)).to_numpy()].to_numpy()


def _ring_of_pair(ring_of: pd.Series, frame: pd.DataFrame) -> np.ndarray:
    """The ring holding both the creator and the shop of each row, else -1."""
    a = ring_of.reindex("creator:" + frame["creator_id"]).fillna(-1).to_numpy()
    b = ring_of.reindex("shop:" + frame["shop_id"]).fillna(-1).to_numpy()
    return np.where(a == b, a, -1).astype(np.int64)


def _complicit_shops_only(pairs: pd.DataFrame, suspicious: pd.DataFrame,
                          config: CollusionConfig) -> pd.DataFrame:
    """Keep suspicious pairs at shops that take part, not shops a lone abuser buys from.

    A shop is complicit when several creators trade abnormally with it, or when
    abnormal trade is a large share of its attributed orders; one creator
    buying through its own link at an ordinary shop is self-purchase, and the
    commission-abuse detector reports it without blaming the shop.
    """
    per_shop = suspicious.groupby("shop_id").agg(creators=("creator_id", "nunique"),
                                                  orders=("orders", "sum"))
    total = pairs.groupby("shop_id")["orders"].sum()
    share = per_shop["orders"] / total.reindex(per_shop.index)
    complicit = per_shop.index[(per_shop["creators"] >= 2) | (share >= config.complicit_share)]
    return suspicious[suspicious["shop_id"].isin(complicit)]


def _buyer_pool(ctx: MarketContext, suspicious: pd.DataFrame) -> pd.DataFrame:
    """Buyer orders on suspicious pairs: buyer, creator, shop, orders."""
    orders = ctx["buyer_orders"]
    keys = pd.MultiIndex.from_arrays([suspicious["creator_id"], suspicious["shop_id"]])
    on_pair = pd.MultiIndex.from_arrays([orders["creator_id"], orders["shop_id"]]).isin(keys)
    return orders.loc[on_pair, ["buyer_id", "creator_id", "shop_id", "orders",
                                "refunded_after_commission"]]


def _creator_ties(pool: pd.DataFrame, min_shared: int) -> pd.DataFrame:
    """Creator pairs whose suspicious trade shares at least ``min_shared`` buyers."""
    per = pool[["buyer_id", "creator_id"]].drop_duplicates()
    per = per[per.groupby("buyer_id")["creator_id"].transform("size").between(2, 50)]
    both = per.merge(per, on="buyer_id")
    both = both[both["creator_id_x"] < both["creator_id_y"]]
    shared = both.groupby(["creator_id_x", "creator_id_y"]).size().reset_index(name="shared")
    shared = shared[shared["shared"] >= min_shared]
    return shared.rename(columns={"creator_id_x": "a", "creator_id_y": "b"})


@dataclass
class _RingTrade:
    """What one ring's evidence says about its trade, gathered for every ring at once.

    Built by :func:`_ring_trade` with one groupby per quantity over all rings
    (thousands at scale), so that :func:`_finding` only formats plain values.
    """

    pairs: int
    shown_pairs: list[Any] = field(default_factory=list)  # rows, most orders first
    thin_pairs: int = 0
    thin_creators: list[str] = field(default_factory=list)
    thin_shops: list[str] = field(default_factory=list)
    thin_orders: int = 0
    thin_refunded: int = 0
    pool_buyers: list[str] = field(default_factory=list)  # most orders first
    pool_orders: int = 0
    devices: list[str] = field(default_factory=list)  # most pool buyers first
    device_buyers: list[str] = field(default_factory=list)  # sorted


def _ring_trade(pairs: pd.DataFrame, buyers: pd.DataFrame,
                devices: pd.DataFrame) -> dict[int, _RingTrade]:
    """Per ring (by its ``ring`` column): its suspicious pairs, thin block, buyer pool, devices.

    ``pairs`` come most orders first within a ring, ``buyers`` most orders
    first; ``devices`` holds one row per (ring, device, pool buyer) of devices
    two or more of a ring's pool buyers share.
    """
    trade = {int(g): _RingTrade(int(n)) for g, n in pairs.groupby("ring").size().items()}
    for row in pairs.groupby("ring", sort=False).head(_SHOWN_PAIRS).itertuples():
        trade[int(row.ring)].shown_pairs.append(row)
    thin = pairs[pairs["block"].to_numpy(dtype=bool)] if "block" in pairs else pairs.iloc[:0]
    if len(thin):
        by_ring = thin.groupby("ring")
        sums = by_ring.agg(n=("orders", "size"), orders=("orders", "sum"),
                           refunded=("refunded_after_commission", "sum"))
        creators = _sorted_unique(thin, "creator_id")
        shops = _sorted_unique(thin, "shop_id")
        for g, row in sums.iterrows():
            one = trade[int(g)]
            one.thin_pairs, one.thin_orders = int(row["n"]), int(row["orders"])
            one.thin_refunded = int(row["refunded"])
            one.thin_creators, one.thin_shops = creators[g], shops[g]
    if len(buyers):
        listed_buyers = buyers.groupby("ring", sort=False)["buyer_id"].agg(list)
        orders = buyers.groupby("ring")["orders"].sum()
        for g, ids in listed_buyers.items():
            if int(g) in trade:
                trade[int(g)].pool_buyers = ids
                trade[int(g)].pool_orders = int(orders[g])
    if len(devices):
        per_device = devices.groupby(["ring", "identifier"])["buyer_id"].nunique().reset_index(
            name="buyers").sort_values(["ring", "buyers", "identifier"],
                                       ascending=[True, False, True], kind="stable")
        ranked = per_device.groupby("ring", sort=False)["identifier"].agg(list)
        on_them = _sorted_unique(devices, "buyer_id")
        for g, ids in ranked.items():
            if int(g) in trade:
                trade[int(g)].devices = ids
                trade[int(g)].device_buyers = on_them[g]
    return trade


def _sorted_unique(frame: pd.DataFrame, column: str) -> pd.Series:
    """Per ring, the sorted distinct values of ``column`` (a list per ring)."""
    distinct = frame[["ring", column]].drop_duplicates().sort_values(["ring", column])
    return distinct.groupby("ring", sort=False)[column].agg(list)


def _finding(creators: set[str], shops: set[str], seller_of: dict[str, str],
             trade: _RingTrade) -> Finding:
    """One ring's members, its evidence sentences (each naming whom it is about) and metrics."""
    members = {Member("creator", c) for c in creators} | {Member("shop", s) for s in shops}
    members |= {Member("seller", seller_of[s]) for s in shops if s in seller_of}
    members |= {Member("buyer", b) for b in trade.pool_buyers}
    evidence = [_abnormal_trade(row) for row in trade.shown_pairs]
    if trade.pool_buyers and len(creators) + len(shops) > 2:
        evidence.append(Evidence(
            "shared_buyer_pool",
            f"{accounts('buyer', trade.pool_buyers)} placed "
            f"{count(trade.pool_orders, 'order')} across "
            f"{accounts('shop', sorted(shops))} through {accounts('creator', sorted(creators))}",
            min(0.6, 0.1 * len(shops) + 0.1 * len(creators))))
    if trade.thin_pairs:
        c, s = len(trade.thin_creators), len(trade.thin_shops)
        refunded = trade.thin_refunded
        evidence.append(Evidence(
            "dense_block",
            f"{accounts('creator', trade.thin_creators)} and "
            f"{accounts('shop', trade.thin_shops)} trade with each other in "
            f"{trade.thin_pairs} of the {c * s} possible creator-shop pairs, each pair with one "
            f"weak signal; pooled, {refunded} of their {count(trade.thin_orders, 'order')} "
            f"{verb(refunded, 'was', 'were')} refunded after the commission was paid",
            min(0.8, 0.1 * trade.thin_pairs)))
    if trade.devices:
        members |= {Member("device", d) for d in trade.devices}
        on_them = trade.device_buyers
        evidence.append(Evidence(
            "pool_devices",
            f"{accounts('buyer', on_them)} of this ring's buyer pool "
            f"{verb(len(on_them), 'uses', 'share')} {plural(len(trade.devices), 'device')} "
            f"{listed(trade.devices, shown=_SHOWN_DEVICES)}", 0.3))
    return Finding(KIND, frozenset(members), evidence,
                   {"suspicious_pairs": trade.pairs, "buyer_pool": len(trade.pool_buyers)})


def _abnormal_trade(row: Any) -> Evidence:
    """One suspicious creator-shop pair: its orders and each signal it raised, in numbers."""
    said = [f"creator {row.creator_id} brought {count(int(row.orders), 'order')} to shop "
            f"{row.shop_id}"]
    if row.sig_refund:
        said.append(f"{row.refund_after_share:.0%} refunded after the commission was paid")
    if row.sig_rate:
        said.append(f"commission rate {row.mean_rate:.0%} against a norm of "
                    f"{min(row.shop_norm, row.category_norm):.0%}")
    if row.sig_pool:
        said.append(f"{row.orders_per_buyer:.1f} orders per buyer from "
                    f"{count(int(row.buyers), 'buyer')}")
    if row.sig_devices:
        said.append(f"only {row.devices_per_buyer:.2f} distinct devices per buyer")
    return Evidence("abnormal_trade", "; ".join(said), 0.2 * row.signals)


def _pool_devices(ctx: MarketContext, pool: pd.DataFrame) -> pd.DataFrame:
    """Devices shared by at least two pool buyers of one ring: ring, identifier, buyer_id rows."""
    links = ctx.links
    used = links.loc[(links["account_type"] == "buyer") & (links["identifier_type"] == "device"),
                     ["account_id", "identifier"]]
    used = pool[["ring", "buyer_id"]].merge(used, left_on="buyer_id", right_on="account_id")
    used = used[["ring", "identifier", "buyer_id"]].drop_duplicates()
    buyers = used.groupby(["ring", "identifier"])["buyer_id"].transform("size")
    return used[buyers.to_numpy() >= 2]
