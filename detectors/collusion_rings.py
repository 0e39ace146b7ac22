"""Collusion rings: creators and shops that trade commission among themselves.

Each creator-shop pair's trade is judged against its peers (see
:class:`~ringwatch.detectors.config.CollusionConfig`): refunds after the
commission was paid and repeat orders, each an exact binomial test against the
same shop's organic trade and its category's median shop; a commission rate
over the higher of the shop's and the category's median; buyers crowded onto
few devices. Pairs raising a signal propose rings: with creator-creator ties
through the same fake buyers they form a graph whose components (split with
Leiden when large) are candidate rings. A candidate is kept only when its
pooled trade raises two signals, tested the same way with false discoveries
controlled over every candidate (Benjamini-Hochberg); the shops' sellers and
the buyer pool join as members.

Camouflage edges (ring creators also promoting ordinary shops) do not pull
ordinary shops in: only suspicious pairs are edges.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from ringwatch.domain import RingKind
from ringwatch.graph.projections import joint_codes
from ringwatch.wording import accounts, count, listed, plural, verb

from .communities import components, groups
from .config import CollusionConfig
from .context import MarketContext
from .detector import Detector, WorkedOn, attributed_orders
from .distinct import distinct
from .folding import fold_into_owner
from .frames import kept_rows
from .rings import Evidence, Finding, Member
from .significance import bh_qvalues, binomial_tail, evidence_weight, smoothed_share

KIND = RingKind.COLLUSION_RING
_POOL_MIN_ORDERS = 2
_SHOWN_PAIRS = 4
_SHOWN_DEVICES = 5


def pair_signals(ctx: MarketContext, config: CollusionConfig, *,
                 nulls: pd.DataFrame | None = None, rates: dict | None = None) -> pd.DataFrame:
    """Every judged creator-shop pair with its signals (booleans), their count and their tests.

    Each count is tested against what the same shop's organic orders and its
    category's median shop show (see :func:`shop_nulls`): refunds after the
    commission with an exact binomial tail against ``refund_lift`` times the
    honest share (at least ``refund_floor``), repeat orders likewise against the
    shop's own repeat buying. A pair's signal is a screen at ``screen_alpha``
    (it proposes, the ring's pooled trade is what is judged, see
    :func:`_judged_rings`); the Benjamini-Hochberg q-values over every pair
    judged (``q_refund``, ``q_repeat``) are what the evidence quotes. A rate is
    inflated only against the higher of the shop's and the category's median:
    a boost every creator of the shop gets is the shop's campaign, not a signal.
    ``nulls`` are :func:`shop_nulls` and ``rates`` :func:`_rate_norms` when the caller has
    them already.
    """
    trade = ctx["creator_shop_trade"]
    trade = trade[trade["orders"] >= config.min_pair_orders].copy()
    shops = ctx["shops"].set_index("shop_id")
    trade["category"] = trade["shop_id"].map(shops["category"]).fillna("")
    trade["mean_rate"] = np.where(trade["commissions"] > 0,
                                  trade["rate_total"] / trade["commissions"].clip(lower=1), np.nan)
    rates = _rate_norms(ctx) if rates is None else rates
    trade["shop_norm"] = trade["shop_id"].map(rates["shop"]).astype(np.float64)
    trade["category_norm"] = trade["category"].map(rates["category"]).astype(
        np.float64).fillna(rates["market"])
    norm = trade[["shop_norm", "category_norm"]].max(axis=1)
    nulls = (shop_nulls(ctx, config) if nulls is None else nulls).reindex(trade["shop_id"])
    trade["refund_null"] = nulls["refund"].fillna(0.0).to_numpy()
    trade["repeat_null"] = nulls["repeat"].fillna(0.0).to_numpy()
    orders = trade["orders"].to_numpy()
    trade["refund_after_share"] = trade["refunded_after_commission"] / trade["orders"]
    trade["orders_per_buyer"] = trade["orders"] / trade["buyers"].clip(lower=1)
    trade["p_refund"] = binomial_tail(
        trade["refunded_after_commission"].to_numpy(), orders,
        np.maximum(config.refund_lift * trade["refund_null"].to_numpy(), config.refund_floor))
    repeats = (trade["orders"] - trade["buyers"].clip(lower=1)).to_numpy()
    trade["p_repeat"] = binomial_tail(
        repeats, orders - 1,
        np.maximum(config.refund_lift * trade["repeat_null"].to_numpy(), config.repeat_floor))
    q = bh_qvalues(np.r_[trade["p_refund"].to_numpy(), trade["p_repeat"].to_numpy()])
    trade["q_refund"], trade["q_repeat"] = q[:len(trade)], q[len(trade):]
    trade["devices_per_buyer"] = _devices_per_buyer(ctx, trade)
    trade["sig_refund"] = trade["p_refund"] <= config.screen_alpha
    trade["sig_rate"] = (trade["mean_rate"] >= config.rate_inflation * norm) & (
        trade["commissions"] >= config.min_rate_commissions)
    trade["sig_pool"] = trade["p_repeat"] <= config.screen_alpha
    trade["sig_devices"] = trade["devices_per_buyer"] <= 0.5
    trade["signals"] = trade[["sig_refund", "sig_rate", "sig_pool", "sig_devices"]].sum(axis=1)
    return trade


def shop_nulls(ctx: MarketContext, config: CollusionConfig) -> pd.DataFrame:
    """Per shop, the honest refund-after-commission share and repeat share a pair is tested against.

    Refunds: the higher of the shop's own organic refund share (smoothed toward
    its category's by ``null_prior_orders`` orders) and the refund-after-commission
    share of its category's median shop: a category that refunds a lot, or a
    shop whose customers do, is its own norm.
    Repeats: the shop's organic repeat share (orders beyond a buyer's first),
    smoothed toward its category's. A shop with no organic orders is judged by
    its category alone. Columns ``refund`` and ``repeat``, indexed by shop_id.
    """
    shops = ctx["shops"][["shop_id", "category"]].set_index("shop_id")["category"]
    orders = ctx["buyer_orders"]
    organic = orders[orders["creator_id"] == ""]
    own = organic.groupby("shop_id").agg(orders=("orders", "sum"),
                                         refunded=("refunded_orders", "sum"),
                                         buyers=("buyer_id", "nunique"))
    own = own.reindex(shops.index).fillna(0.0)
    own["category"] = shops.reindex(own.index).fillna("").to_numpy()
    by_cat = own.groupby("category")[["orders", "refunded", "buyers"]].sum()
    cat = by_cat.reindex(own["category"]).set_axis(own.index)
    # Organic orders carry no commission to fake: they are the honest reference. A shop or
    # category without any says nothing here (0), and the category's median shop decides.
    total = float(own["orders"].sum())
    market_refund = float(own["refunded"].sum()) / total if total else 0.0
    market_repeat = max(0.0, 1 - float(own["buyers"].sum()) / total) if total else 0.0
    cat_refund = smoothed_share(cat["refunded"], cat["orders"], market_refund,
                                config.null_prior_orders)
    cat_repeat = smoothed_share((cat["orders"] - cat["buyers"]).clip(lower=0), cat["orders"],
                                market_repeat, config.null_prior_orders)
    shop_refund = smoothed_share(own["refunded"], own["orders"], cat_refund,
                                 config.null_prior_orders)
    shop_repeat = smoothed_share((own["orders"] - own["buyers"]).clip(lower=0), own["orders"],
                                 cat_repeat, config.null_prior_orders)
    attributed = ctx["creator_shop_trade"].groupby("shop_id")[
        ["orders", "refunded_after_commission"]].sum().reindex(own.index).fillna(0.0)
    traded = attributed[attributed["orders"] > 0]
    market_after = float((traded["refunded_after_commission"] / traded["orders"]).median()) if len(
        traded) else 0.0
    # The category's typical shop, not its pooled trade: a median over shops is not moved by
    # the few complicit shops a category holds, and a category whose every shop refunds a
    # lot after the commission (fashion try-ons) sets its own norm.
    after = pd.Series(smoothed_share(attributed["refunded_after_commission"], attributed["orders"],
                                     market_after, config.null_prior_orders), index=own.index)
    others = after.groupby(own["category"]).transform("median")
    return pd.DataFrame({"refund": np.maximum(shop_refund, others), "repeat": shop_repeat},
                        index=own.index)


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
    orders = kept_rows(orders[["buyer_id", "shop_id", "creator_id"]],
                       (orders["creator_id"] != "").to_numpy())
    links = ctx.links
    devices = kept_rows(links[["account_id", "identifier"]],
                        ((links["account_type"] == "buyer")
                         & (links["identifier_type"] == "device")).to_numpy())
    # Joined and counted on integer codes (buyers numbered across both sides, pairs across the
    # orders and ``trade``): on the ids' text, the join and the two distinct counts hashed
    # every id again, most of this signal's cost.
    buyer = joint_codes(orders["buyer_id"], devices["account_id"])
    creator = joint_codes(trade["creator_id"], orders["creator_id"])
    shop = joint_codes(trade["shop_id"], orders["shop_id"])
    n_shops = 1 + max((int(codes.max()) for codes in shop if len(codes)), default=0)
    pair = [c * n_shops + s for c, s in zip(creator, shop, strict=True)]  # ``trade``'s, orders'
    used = pd.DataFrame({"buyer": buyer[0], "pair": pair[1]}).merge(
        pd.DataFrame({"buyer": buyer[1], "device": pd.factorize(devices["identifier"])[0]}),
        on="buyer")
    if used.empty:
        return pd.Series(np.nan, index=trade.index)
    per_pair = used.groupby("pair").agg(buyers=("buyer", "nunique"), devices=("device", "nunique"))
    ratio = per_pair["devices"] / per_pair["buyers"]
    # Two buyers on one device is a household, not a pattern: judge pools of at least four.
    ratio = ratio[per_pair["buyers"] >= 4]
    return pd.Series(ratio.reindex(pair[0]).to_numpy(), index=trade.index)


def find_collusion_rings(ctx: MarketContext, config: CollusionConfig = CollusionConfig(), *,
                         seed: int = 42) -> list[Finding]:
    """Return one :class:`Finding` per collusion ring, unscored."""
    nulls = shop_nulls(ctx, config)  # once: every test of the run reads the same norms
    rates = _rate_norms(ctx)  # and the agreed rates' norms likewise
    pairs = pair_signals(ctx, config, nulls=nulls, rates=rates)
    suspicious = _complicit_shops_only(pairs, pairs[pairs["signals"] >= config.screen_min_signals],
                                       config)
    suspicious = pd.concat([suspicious.assign(block=False),
                            thin_blocks(ctx, pairs, suspicious, config, nulls,
                                          rates).assign(block=True)],
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
    ring_of, pooled = _judged_rings(ctx, suspicious.assign(block=pair_ring), ring_of, config,
                                    nulls)
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
    seller_of = dict(zip(sellers.index.tolist(), sellers.tolist(), strict=True))  # not to_dict(),
    # which reads Arrow text a value at a time: 44 ms against 6 for 25,000 shops
    rings = []
    for g, nodes in enumerate(found):
        if g not in trade:
            continue
        keys = names[nodes]
        creators = {k.partition(":")[2] for k in keys if k.startswith("creator:")}
        shops = {k.partition(":")[2] for k in keys if k.startswith("shop:")}
        rings.append(_finding(creators, shops, seller_of, trade[g], pooled.loc[g],
                              config.max_test_weight))
    return rings


def _judged_rings(ctx: MarketContext, grouped: pd.DataFrame, ring_of: pd.Series,
                  config: CollusionConfig, nulls: pd.DataFrame
                  ) -> tuple[pd.Series, pd.DataFrame]:
    """``ring_of`` without the proposed rings whose pooled trade is not abnormal, and the
    kept rings' pooled tests (by ring, see :func:`_abnormal_blocks`).

    Pairs are only screened one by one (``screen_alpha``, unadjusted): a pair's
    few orders rarely prove anything alone. The accusation is the ring's: its
    pairs' refunds and repeat orders pooled, each tested against its shops'
    honest shares, every proposed ring's tests through Benjamini-Hochberg
    together (see :func:`_abnormal_blocks`).
    """
    grouped = grouped[grouped["block"].to_numpy() >= 0]
    _, market_refund = _outside(ctx["creator_shop_trade"], grouped)
    kept = _abnormal_blocks(ctx, grouped, config, nulls, market_refund, shape=False)
    return ring_of.where(ring_of.isin(kept.index), -1), kept


def _outside(trade: pd.DataFrame, taken: pd.DataFrame) -> tuple[pd.DataFrame, float]:
    """``trade`` without ``taken``'s creator-shop pairs, and its refund-after-commission share.

    The share is the market's background a pooled block or ring is held against.
    """
    keys = pd.MultiIndex.from_arrays([taken["creator_id"], taken["shop_id"]])
    free = ~pd.MultiIndex.from_arrays([trade["creator_id"], trade["shop_id"]]).isin(keys)
    background = trade[free]
    return background, float(background["refunded_after_commission"].sum()
                             / max(background["orders"].sum(), 1))


def thin_blocks(ctx: MarketContext, pairs: pd.DataFrame, strong: pd.DataFrame,
                config: CollusionConfig, nulls: pd.DataFrame | None = None,
                rates: dict | None = None) -> pd.DataFrame:
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
    ``nulls`` and ``rates`` as :func:`pair_signals` takes them.
    """
    orders = ctx["buyer_orders"]
    orders = kept_rows(orders[["buyer_id", "creator_id", "shop_id"]],
                       (orders["creator_id"] != "").to_numpy())
    # On integer codes: creators numbered in the order of their ids, so comparing codes
    # compares ids and sorting by codes sorts by ids, as the text would.
    buyer = pd.factorize(orders["buyer_id"])[0].astype(np.int64)
    creator, creators = pd.factorize(orders["creator_id"], sort=True)
    creator, n = creator.astype(np.int64), max(len(creators), 1)
    key = buyer * n + creator
    # Each buyer's creators, once each (in the order first seen), for buyers of 2 to 50.
    per = np.sort(np.unique(key, return_index=True)[1])
    buyers_per = np.bincount(buyer[per])[buyer[per]]
    per = per[(buyers_per >= 2) & (buyers_per <= 50)]
    if not len(per):
        return pairs.iloc[:0]
    x, y = _pairs_within(buyer[per], creator[per])
    tied_key, shared = np.unique(x * n + y, return_counts=True)  # by (creator, creator)
    x, y = tied_key // n, tied_key % n
    reach = np.bincount(distinct(key) % n, minlength=n)  # distinct buyers per creator
    union = reach[x] + reach[y] - shared
    tied = (shared >= config.block_min_shared_buyers) & (shared >= config.block_min_jaccard * union)
    if not tied.any():
        return pairs.iloc[:0]
    codes, names = pd.factorize(np.r_[x[tied], y[tied]])
    block_of = np.full(n, np.nan)
    block_of[names] = components(len(names), codes[:int(tied.sum())], codes[int(tied.sum()):])
    # The block's trade: the pairs its shared buyers bought at through its creators.
    pooled = per[~np.isnan(block_of[creator[per]])]
    # ... of two or more of its creators each.
    block = block_of[creator[pooled]].astype(np.int64)
    _, at, together = np.unique(buyer[pooled] * (int(block.max()) + 1) + block,
                                return_inverse=True, return_counts=True)
    bought = np.isin(key, key[pooled[together[at] >= 2]])
    shop = pd.factorize(orders["shop_id"])[0].astype(np.int64)
    # One row per creator-shop pair bought at (a creator is in one block: its block).
    first = np.sort(np.flatnonzero(bought)[
        np.unique(creator[bought] * (int(shop.max()) + 1) + shop[bought], return_index=True)[1]])
    keys = orders[["creator_id", "shop_id"]].iloc[first].assign(block=block_of[creator[first]])
    background, market_refund = _outside(_all_pairs(ctx, pairs, rates), strong)
    blocks = background.merge(keys, on=["creator_id", "shop_id"])
    nulls = shop_nulls(ctx, config) if nulls is None else nulls
    abnormal = _abnormal_blocks(ctx, blocks, config, nulls, market_refund)
    kept = blocks[blocks["block"].isin(abnormal.index).to_numpy()]
    return _accused_shops_only(kept, nulls).drop(columns="block").reset_index(drop=True)


def _pairs_within(group: np.ndarray, member: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of ``member`` codes listed in one ``group`` (a member listed once per group),
    smaller code first, one row per group they share: all of a group's pairs, vectorised."""
    order = np.argsort(group, kind="stable")
    group, member = group[order], member[order]
    starts = np.flatnonzero(np.r_[True, group[1:] != group[:-1]])
    sizes = np.diff(np.r_[starts, len(group)])
    # Each row with every row after it in its group: k(k-1)/2 pairs in a group of k.
    later = np.repeat(sizes, sizes) - (np.arange(len(group)) - np.repeat(starts, sizes)) - 1
    row = np.repeat(np.arange(len(group)), later)
    after = row + 1 + np.arange(len(row)) - np.repeat(np.cumsum(later) - later, later)
    a, b = member[row], member[after]
    return np.minimum(a, b), np.maximum(a, b)


def _accused_shops_only(kept: pd.DataFrame, nulls: pd.DataFrame) -> pd.DataFrame:
    """A block's pairs at shops whose trade with the block shows something, not camouflage.

    The block's creators also buy, through its shared buyers, at ordinary shops;
    such a shop joins the ring only when the block's trade there raised a
    signal or refunded after the commission more than the shop's honest share.
    """
    if kept.empty:
        return kept
    null = nulls["refund"].reindex(kept["shop_id"]).fillna(0.0).to_numpy()
    at_shop = kept.assign(expected=null * kept["orders"].to_numpy()).groupby(
        ["block", "shop_id"]).agg(signals=("signals", "sum"),
                                  refunded=("refunded_after_commission", "sum"),
                                  expected=("expected", "sum"))
    accused = at_shop.index[(at_shop["signals"] > 0)
                            | (at_shop["refunded"] > at_shop["expected"])]
    keys = pd.MultiIndex.from_arrays([kept["block"], kept["shop_id"]])
    return kept[keys.isin(accused)]


def _all_pairs(ctx: MarketContext, judged: pd.DataFrame, rates: dict | None = None,
               ) -> pd.DataFrame:
    """Every traded creator-shop pair, with the judged pairs' signals (0 for the rest)
    (``rates``: :func:`_rate_norms`, when the caller has them)."""
    trade = ctx["creator_shop_trade"]
    columns = [c for c in judged.columns if c not in trade.columns]
    merged = trade.merge(judged[["creator_id", "shop_id", *columns]],
                         on=["creator_id", "shop_id"], how="left")
    for column in columns:
        if column.startswith("sig_"):
            merged[column] = merged[column].fillna(False).astype(bool)
    merged["signals"] = merged["signals"].fillna(0).astype(np.int64)
    shops = ctx["shops"].set_index("shop_id")
    rates = _rate_norms(ctx) if rates is None else rates
    merged["shop_norm"] = merged["shop_id"].map(rates["shop"]).astype(np.float64)
    merged["category_norm"] = merged["shop_id"].map(shops["category"]).map(
        rates["category"]).astype(np.float64).fillna(rates["market"])
    return merged


def _abnormal_blocks(ctx: MarketContext, blocks: pd.DataFrame, config: CollusionConfig,
                     shop_norms: pd.DataFrame, market_refund: float, *,
                     shape: bool = True) -> pd.DataFrame:
    """The blocks (indexed by ``blocks["block"]``) whose pooled trade breaks the market's norms.

    All blocks at once, by group-by. Pooled over a block, the refunds after
    the commission and the repeat orders are many orders, each tested with an
    exact binomial tail against the honest share of the block's shops (see
    :func:`shop_nulls`; refunds also against ``block_refund_lift`` times
    ``market_refund``, the share of the market's other trade), both families
    through Benjamini-Hochberg together at ``fdr`` over every block judged.
    Each kept block's row holds its pooled counts, nulls and q-values
    (``orders``, ``refunded``, ``refund_null``, ``q_refund``, ``repeats``,
    ``repeat_null``, ``q_repeat``): what its evidence quotes and weighs.
    """
    if blocks.empty:
        return pd.DataFrame(columns=["orders", "refunded", "refund_null", "q_refund", "repeats",
                                     "repeat_null", "q_repeat"])
    nulls = shop_norms.reindex(blocks["shop_id"])
    blocks = blocks.assign(
        norm=blocks[["shop_norm", "category_norm"]].max(axis=1),
        refund_mass=nulls["refund"].fillna(0.0).to_numpy() * blocks["orders"].to_numpy(),
        repeat_mass=nulls["repeat"].fillna(0.0).to_numpy() * blocks["orders"].to_numpy())
    per = blocks.groupby("block").agg(
        creators=("creator_id", "nunique"), shops=("shop_id", "nunique"),
        pairs=("creator_id", "size"), orders=("orders", "sum"),
        refunded=("refunded_after_commission", "sum"), commissions=("commissions", "sum"),
        rate_total=("rate_total", "sum"), norm=("norm", "median"),
        refund_mass=("refund_mass", "sum"), repeat_mass=("repeat_mass", "sum"))
    bought = ctx["buyer_orders"].merge(blocks[["creator_id", "shop_id", "block"]],
                                       on=["creator_id", "shop_id"])
    via = bought.groupby(["block", "buyer_id"])["creator_id"].nunique()
    per["buyers"] = via.groupby(level="block").size().reindex(per.index).fillna(0)
    per["shared"] = (via >= 2).groupby(level="block").mean().reindex(per.index).fillna(0.0)
    dense = ((per["creators"] >= 2) & (per["shops"] >= 2)
             & (per["pairs"] >= config.block_min_fill * per["creators"] * per["shops"]))
    if not shape:
        dense = pd.Series(True, index=per.index)
    orders = per["orders"].to_numpy(dtype=np.float64)
    refund_null = np.maximum.reduce([
        config.refund_lift * per["refund_mass"].to_numpy() / np.maximum(orders, 1),
        np.full(len(per), config.block_refund_lift * market_refund),
        np.full(len(per), config.refund_floor)])
    repeat_null = np.maximum(config.refund_lift * per["repeat_mass"].to_numpy()
                             / np.maximum(orders, 1), config.repeat_floor)
    repeats = (per["orders"] - per["buyers"].clip(lower=1)).to_numpy()
    p = np.r_[binomial_tail(per["refunded"].to_numpy(), orders, refund_null),
              binomial_tail(repeats, orders - 1, repeat_null)]
    q = bh_qvalues(p)
    refund = q[:len(per)] <= config.fdr
    pool = q[len(per):] <= config.fdr
    rate = ((per["commissions"] >= config.min_rate_commissions)
            & (per["rate_total"] >= config.rate_inflation * per["norm"] * per["commissions"]))
    shared = per["shared"] >= config.block_shared_buyers
    signals = refund.astype(int) + rate.to_numpy(dtype=int) + pool.astype(int) + shared.to_numpy(
        dtype=int)
    tests = pd.DataFrame({
        "orders": per["orders"].to_numpy(), "refunded": per["refunded"].to_numpy(),
        "refund_null": refund_null, "q_refund": q[:len(per)], "repeats": repeats,
        "repeat_null": repeat_null, "q_repeat": q[len(per):]}, index=per.index)
    return tests[dense.to_numpy() & (signals >= config.min_signals)]


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
             trade: _RingTrade, pooled: pd.Series, max_test_weight: float) -> Finding:
    """One ring's members, its evidence sentences (each naming whom it is about) and metrics.

    The ring's weight comes from its pooled tests (``pooled``, a row of
    :func:`_abnormal_blocks`), read through :func:`evidence_weight`; the pairs
    it was proposed from are listed for the reviewer at weight 0, as their
    counts are the pooled ones again.
    """
    members = {Member("creator", c) for c in creators} | {Member("shop", s) for s in shops}
    members |= {Member("seller", seller_of[s]) for s in shops if s in seller_of}
    members |= {Member("buyer", b) for b in trade.pool_buyers}
    evidence = _pooled_trade(pooled, sorted(creators), sorted(shops), max_test_weight)
    evidence += [_abnormal_trade(row) for row in trade.shown_pairs]
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


def _pooled_trade(pooled: pd.Series, creators: list[str], shops: list[str],
                  max_test_weight: float) -> list[Evidence]:
    """The ring's pooled refund and repeat-order tests as evidence: each whose q-value weighs
    anything (below 1/e), whether or not it was one of the signals that kept the ring."""
    found = []
    where = f"{accounts('creator', creators)} at {accounts('shop', shops)}"
    orders = int(pooled["orders"])
    weights = evidence_weight(np.array([pooled["q_refund"], pooled["q_repeat"]]),
                              cap=max_test_weight)
    if weights[0] > 0:
        found.append(Evidence(
            "pooled_trade",
            f"pooled over {where}, {int(pooled['refunded']):,} of "
            f"{count(orders, 'order')} were refunded after the commission was paid, where "
            f"honest trade at its shops would refund about {pooled['refund_null']:.0%} "
            f"(q = {pooled['q_refund']:.2g}, over every ring judged)", float(weights[0])))
    if weights[1] > 0:
        found.append(Evidence(
            "pooled_trade",
            f"pooled over {where}, {int(pooled['repeats']):,} of "
            f"{count(orders, 'order')} came from buyers who had already ordered, where its "
            f"shops' customers would repeat about {pooled['repeat_null']:.0%} "
            f"(q = {pooled['q_repeat']:.2g}, over every ring judged)", float(weights[1])))
    return found


def _abnormal_trade(row: Any) -> Evidence:
    """One suspicious creator-shop pair: its orders and each signal it raised, in numbers."""
    said = [f"creator {row.creator_id} brought {count(int(row.orders), 'order')} to shop "
            f"{row.shop_id}"]
    if row.sig_refund:
        said.append(f"{int(row.refunded_after_commission)} of them ({row.refund_after_share:.0%}) "
                    f"refunded after the commission was paid, where this shop's and its "
                    f"category's honest trade refunds {row.refund_null:.0%} (q = {row.q_refund:.2g})")
    if row.sig_rate:
        said.append(f"commission rate {row.mean_rate:.0%} where the shop's creators' median is "
                    f"{row.shop_norm:.0%} and its category's {row.category_norm:.0%}")
    if row.sig_pool:
        said.append(f"{row.orders_per_buyer:.1f} orders per buyer from "
                    f"{count(int(row.buyers), 'buyer')}, where the shop's customers repeat "
                    f"{row.repeat_null:.0%} of orders (q = {row.q_repeat:.2g})")
    if row.sig_devices:
        said.append(f"only {row.devices_per_buyer:.2f} distinct devices per buyer")
    return Evidence("abnormal_trade", "; ".join(said), 0.0)


def _pool_devices(ctx: MarketContext, pool: pd.DataFrame) -> pd.DataFrame:
    """Devices shared by at least two pool buyers of one ring: ring, identifier, buyer_id rows."""
    links = ctx.links
    used = links.loc[(links["account_type"] == "buyer") & (links["identifier_type"] == "device"),
                     ["account_id", "identifier"]]
    used = pool[["ring", "buyer_id"]].merge(used, left_on="buyer_id", right_on="account_id")
    used = used[["ring", "identifier", "buyer_id"]].drop_duplicates()
    buyers = used.groupby(["ring", "identifier"])["buyer_id"].transform("size")
    return used[buyers.to_numpy() >= 2]


DETECTOR = Detector(
    name="collusion_rings", kind=KIND, step="collusion rings", config="collusion",
    projections=("creator_shop_trade", "buyer_orders", "shops", "identity_links"),
    find=lambda ctx, config: find_collusion_rings(ctx, config.collusion, seed=config.seed),
    worked_on=lambda ctx: WorkedOn(attributed_orders(ctx), "orders attributed to creators",
                                   "no orders attributed to a creator: collusion needs order "
                                   "data"),
    gives_way_to=(RingKind.IDENTITY_RING,), give_way=fold_into_owner,
    cost=1.7)
