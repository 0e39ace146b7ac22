"""Lockstep rings: creators tied by nothing but time and target.

A farm that gives every account its own phone, device, email and payout
account leaves no shared identifier to find. What it cannot hide is its
schedule and its purpose: the operator registers the accounts in one sitting
and points them at the same few shops. CopyCatch (Beutel et al., WWW 2013)
finds exactly this shape in page likes: many users acting on the same targets
in the same window. Here the window is registration and the targets are the
shops the creators promote.

Each test is against the market itself. A *cohort* is every creator
registered in one window (fixed windows of a few widths, each also shifted by
half a width so a sitting that straddles a boundary is not cut in two). For a
cohort of ``n`` creators and a shop promoted by ``k`` of the market's ``N``
creators, chance alone puts about ``n * k / N`` of the cohort on that shop
(the count is hypergeometric if registering in the window has nothing to do
with which shops one promotes); a cell (cohort, shop) is lockstep when its
count is so far above that that it would happen by chance less than
``alpha`` times over all the cells looked at (a Bonferroni bound). So:

- an honest onboarding day (a large cohort, each creator promoting shops of
  their own choosing) spreads over popular shops as the market does: no cell
  stands out, however big the day;
- a brand's launch that many creators join is one shop promoted by creators
  registered at all times: no cohort;
- a farm of ten creators registered within hours, several of them on the same
  small shop, is millions of times more than chance.

Creators joined through lockstep cells (sharing a cell, or cells that share a
creator) form one ring when at least ``min_creators`` of them are in it.
Counting is vectorised: one groupby per width and offset, no loop per
creator or pair.

Acting in step is not yet fraud: brands onboard their own creator teams in a
week. Each ring is therefore weighed against that honest explanation (see
:func:`honest_explanation`): its coordination evidence counts only for the
part it leaves unexplained, and a ring it mostly explains is no ring.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ringwatch.domain import RingKind
from ringwatch.wording import accounts, count, listed, span, type_noun, verb

from .communities import components_through
from .config import DetectionConfig, LockstepConfig
from .context import MarketContext
from .detector import Detector, WorkedOn
from .folding import fold_into_owner
from .rings import Evidence, Finding, Member
from .significance import evidence_weight

KIND = RingKind.LOCKSTEP_RING
_HOUR_MS = 3_600_000


def lockstep_cells(ctx: MarketContext, config: LockstepConfig) -> pd.DataFrame:
    """Every (cohort, shop) cell holding far more of the cohort than chance would.

    Returns one row per creator in such a cell: ``cell`` (an integer id),
    ``creator_id``, ``shop_id``, ``window_ms``, ``cohort_start_ms``,
    ``cohort`` (creators registered in the window), ``on_shop`` (of them,
    promoting the shop), ``expected`` (by chance), ``log10_p`` (the
    chance of ``on_shop`` or more, see :func:`_tail_log10`) and ``log10_q``
    (that chance times the cells looked at, at most 1: Bonferroni).

    Cells are counted on integer codes (:class:`_Promotions`): the creators'
    promotions are joined to their registrations once, and each width and
    offset only numbers the cohorts; the rows of a cell's creators are built
    only for the cells that pass.
    """
    creators = ctx["creators"]
    registered = creators.loc[creators["registered_at_ms"].notna(),
                              ["creator_id", "registered_at_ms"]]
    affiliations = ctx["affiliations"][["creator_id", "shop_id"]].drop_duplicates()
    if registered.empty or affiliations.empty:
        return _no_cells()
    market = len(registered)
    t = registered["registered_at_ms"].to_numpy(dtype=np.int64)
    t0 = int(t.min())
    promotions = _Promotions.of(registered["creator_id"], affiliations)
    # A cohort is drawn from the ``market`` registered creators: a shop's promoters are counted
    # among them too (a creator with no registration time is in neither; counted here alone,
    # a shop could have more promoters than the market has creators, and no chance to test).
    promoters = pd.Series(np.bincount(promotions.shop, minlength=len(promotions.shops)),
                          index=promotions.shops)
    per_window = []
    for hours in config.window_hours:
        width = int(hours * _HOUR_MS)
        for offset in (0, width // 2):  # two phases: a sitting on a boundary stays whole
            bucket = (t - t0 + offset) // width
            buckets, of_creator, sizes = np.unique(bucket, return_inverse=True,
                                                   return_counts=True)
            in_cohort = sizes[of_creator] >= config.min_creators
            cells = promotions.cells(bucket, in_cohort)
            cells["cohort"] = sizes[np.searchsorted(buckets, cells["bucket"].to_numpy())]
            cells["window_ms"] = width
            cells["cohort_start_ms"] = t0 - offset + cells["bucket"].to_numpy() * width
            per_window.append((bucket, in_cohort, cells))
    tested = sum(len(cells) for *_, cells in per_window)
    threshold = math.log10(config.alpha / max(tested, 1))
    found = []
    next_cell = 0
    for bucket, in_cohort, cells in per_window:
        cells = cells[cells["on_shop"] >= config.min_creators].copy()
        if cells.empty:
            continue
        promoting = cells["shop_id"].map(promoters).to_numpy()
        cells["expected"] = cells["cohort"].to_numpy() * promoting / market
        cells["log10_p"] = _tail_log10(cells["on_shop"].to_numpy(), cells["cohort"].to_numpy(),
                                       promoting, market)
        cells = cells[cells["log10_p"].to_numpy() <= threshold]
        # Bonferroni-adjusted over every cell looked at: what the evidence weighs.
        cells["log10_q"] = np.minimum(cells["log10_p"].to_numpy() + math.log10(max(tested, 1)), 0.0)
        if cells.empty:
            continue
        cells = cells.assign(cell=np.arange(next_cell, next_cell + len(cells)))
        next_cell += len(cells)
        on = promotions.rows(bucket, in_cohort)
        found.append(on.merge(cells, on=["bucket", "shop_id"]).drop(columns="bucket"))
    if not found:
        return _no_cells()
    return pd.concat(found, ignore_index=True)


@dataclass(frozen=True)
class _Promotions:
    """The registered creators' promotions (affiliation rows), joined to the creators once.

    ``creator``: each promotion's creator as a position among the registered
    creators, in the order an inner merge of the creators with the promotions
    gives them (the creators' order, then the promotions'); ``shop``: its shop
    as a code into ``shops``, the shop ids in sorted order (so cells sorted by
    code are sorted by id, as a group-by sorts them); ``creator_ids`` and
    ``shop_ids``: the rows' ids.
    """

    creator: np.ndarray
    shop: np.ndarray
    shops: pd.Index
    creator_ids: np.ndarray
    shop_ids: np.ndarray

    @classmethod
    def of(cls, creator_ids: pd.Series, affiliations: pd.DataFrame) -> _Promotions:
        registered = pd.Index(creator_ids)
        if registered.is_unique:  # one row per creator, as every store's projection keeps them
            position = registered.get_indexer(affiliations["creator_id"])
            row = np.arange(len(affiliations))
        else:  # each of a creator's rows joins its promotions, as the merge does
            joined = pd.DataFrame({"creator_id": creator_ids.to_numpy(),
                                   "position": np.arange(len(creator_ids))}).merge(
                pd.DataFrame({"creator_id": affiliations["creator_id"].to_numpy(),
                              "row": np.arange(len(affiliations))}), on="creator_id")
            position, row = joined["position"].to_numpy(), joined["row"].to_numpy()
        shop_codes, shops = pd.factorize(affiliations["shop_id"], sort=True)
        shop = shop_codes[row]
        kept = np.flatnonzero((position >= 0) & (shop >= 0))  # a group-by drops a missing shop
        kept = kept[np.lexsort((row[kept], position[kept]))]
        return cls(position[kept], shop[kept], pd.Index(shops),
                   creator_ids.to_numpy()[position[kept]],
                   affiliations["shop_id"].to_numpy()[row[kept]])

    def cells(self, bucket: np.ndarray, in_cohort: np.ndarray) -> pd.DataFrame:
        """``bucket``, ``shop_id`` and ``on_shop`` (creators of the cohort promoting the shop) per
        (cohort, shop) cell with any, sorted by cohort then shop id: ``bucket`` is each
        registered creator's cohort, ``in_cohort`` whether that cohort is counted."""
        kept = in_cohort[self.creator]
        cohort, shop = bucket[self.creator[kept]], self.shop[kept]
        if not len(cohort):
            return pd.DataFrame({"bucket": np.zeros(0, dtype=np.int64),
                                 "shop_id": self.shops[:0].to_numpy(),
                                 "on_shop": np.zeros(0, dtype=np.int64)})
        low = int(cohort.min())
        key = (cohort - low) * len(self.shops) + shop
        keys, on_shop = np.unique(key, return_counts=True)
        return pd.DataFrame({"bucket": keys // len(self.shops) + low,
                             "shop_id": self.shops[keys % len(self.shops)].to_numpy(),
                             "on_shop": on_shop.astype(np.int64)})

    def rows(self, bucket: np.ndarray, in_cohort: np.ndarray) -> pd.DataFrame:
        """One row per promotion of a counted cohort's creator: ``creator_id``, ``bucket``,
        ``shop_id``, as ``cohort.merge(affiliations, on="creator_id")`` gives them."""
        kept = in_cohort[self.creator]
        return pd.DataFrame({"creator_id": self.creator_ids[kept],
                             "bucket": bucket[self.creator[kept]],
                             "shop_id": self.shop_ids[kept]})


def find_lockstep_rings(ctx: MarketContext, config: LockstepConfig = LockstepConfig(), *,
                        taken: frozenset[str] = frozenset()) -> list[Finding]:
    """One :class:`Finding` per group of creators joined by lockstep cells, unscored.

    Groups are found over every creator; ``taken`` creators (already in a ring
    of another kind, which is the one a reviewer should see them in) are then
    left out of each group's members, and a group left with fewer than
    ``min_creators`` is dropped. Its evidence still names every creator of a
    cell: what it says of them stays true.
    """
    cells = lockstep_cells(ctx, config)
    if cells.empty:
        return []
    creator_codes, creator_names = pd.factorize(cells["creator_id"])
    cell_codes, _ = pd.factorize(cells["cell"])
    component = components_through(len(creator_names), creator_codes, cell_codes)
    cells = cells.assign(group=component[creator_codes])
    mates = _cohort_mates(ctx, cells, config)
    rings = []
    for g, group in cells.groupby("group", sort=True):
        found = mates.get(g)
        creators = set(group["creator_id"]) | (set(found[0]) if found else set())
        ring = _finding(sorted(creators), group, config)
        if found:
            ring.evidence.append(_mates_evidence(*found))
        rings.append(ring)
    unexplained = []
    for ring, explanation in zip(rings, honest_explanation(ctx, rings), strict=True):
        if explanation.share >= config.max_explained:
            continue
        ring.explained = explanation.share
        ring.evidence = [replace(e, weight=e.weight * (1.0 - explanation.share))
                         for e in ring.evidence]
        if explanation.share > 0:
            ring.evidence.append(Evidence("honest_explanation", explanation.text, 0.0))
        unexplained.append(ring)
    return leave_out(unexplained, taken, config)


@dataclass(frozen=True)
class Explanation:
    """How much of a lockstep ring's coordination an honest structure accounts for, and why."""

    share: float
    text: str


def honest_explanation(ctx: MarketContext, rings: list[Finding]) -> list[Explanation]:
    """Per ring, how much of its acting in step a seller's own creator team accounts for.

    The share of the ring's creators who promote the shops of one seller
    only, the same seller for all of them: a brand onboards its in-house
    creators together and they promote its shops and nothing else, where a
    farm's accounts serve whoever pays them (and, bought second-hand, carry
    the promotions of their past). Counted over the ring's creators, with the
    counts in the words, so a reviewer can check it. It never clears a ring
    that also shares identifiers or trades abnormally: those are other kinds'
    evidence, which this discount never touches.

    A campaign day's cohort sent to a few featured shops is the other honest
    way to act in step; what tells it from a farm here (the share of the
    creators' promotions at the crowded shops) does not hold for farms of
    accounts that promoted other shops before, so it is not used
    (BENCHMARKS.md: onboarding days are a known weakness).
    """
    if not rings:
        return []
    members = pd.DataFrame([(i, m.id) for i, r in enumerate(rings) for m in r.members
                            if m.type == "creator"], columns=["ring", "creator_id"])
    promoted = members.merge(ctx["affiliations"][["creator_id", "shop_id"]], on="creator_id")
    promoted = promoted.merge(ctx["shops"][["shop_id", "seller_id"]], on="shop_id", how="left")
    sellers = promoted.groupby(["ring", "creator_id"])["seller_id"].agg(["nunique", "first"])
    single = sellers[sellers["nunique"] == 1].reset_index()
    per_seller = single.groupby(["ring", "first"]).size()
    sizes = members.groupby("ring").size()
    found = []
    for i in range(len(rings)):  # one per ring: few
        n = int(sizes.get(i, 0))
        mine = per_seller[per_seller.index.get_level_values("ring") == i]
        if mine.empty or not n:
            found.append(Explanation(0.0, ""))
            continue
        seller, on_team = mine.idxmax()[1], int(mine.max())
        share = on_team / n
        found.append(Explanation(share, (
            f"{on_team} of the {count(n, 'creator')} of this ring promote only shops of seller "
            f"{seller}: a seller's own creator team acts in step, so the ring's coordination "
            f"counts {1 - share:.0%}")))
    return found


def _cohort_mates(ctx: MarketContext, cells: pd.DataFrame,
                  config: LockstepConfig) -> dict[int, tuple[list[str], list[str]]]:
    """Per group: creators of its cohorts that share an identifier with it, and those identifiers.

    A farm's accounts do not all land on a shop its mates crowd: one that
    promotes a shop only it and one other account of the farm promote is
    in no lockstep cell. It is still registered in the same sitting and, as
    a rule, logs in through the same proxy. A creator registered in one of a
    group's cohort windows who shares an identifier used by at most
    ``mate_max_sharing`` accounts with one of the group's creators joins it.
    Only ever extends a group lockstep cells already made: a venue's
    onboarding day sharing the venue's IP makes no group to extend.
    """
    links = ctx.links
    links = links[(links["account_type"] == "creator")
                  & (links["sharing"] <= config.mate_max_sharing).to_numpy()]
    if links.empty:
        return {}
    registered = ctx["creators"].set_index("creator_id")["registered_at_ms"].dropna()
    windows = cells.drop_duplicates(["group", "window_ms", "cohort_start_ms"])
    cohort = []
    for row in windows.itertuples():  # a few windows per group, few groups
        start, end = int(row.cohort_start_ms), int(row.cohort_start_ms) + int(row.window_ms)
        inside = registered.index[((registered >= start) & (registered < end)).to_numpy()]
        cohort.append(pd.DataFrame({"group": row.group, "creator_id": inside}))
    cohort = pd.concat(cohort, ignore_index=True).drop_duplicates()
    members = cells[["group", "creator_id"]].drop_duplicates()
    held = members.merge(links[["account_id", "ident"]], left_on="creator_id",
                         right_on="account_id")[["group", "ident"]].drop_duplicates()
    candidates = cohort.merge(links[["account_id", "ident"]], left_on="creator_id",
                              right_on="account_id").merge(held, on=["group", "ident"])
    candidates = candidates.merge(members, on=["group", "creator_id"], how="left",
                                  indicator=True)
    joined = candidates[(candidates["_merge"] == "left_only").to_numpy()]
    return {int(g): (sorted(set(rows["creator_id"])), sorted(set(rows["ident"])))
            for g, rows in joined.groupby("group")}


def _mates_evidence(creators: list[str], identifiers: list[str]) -> Evidence:
    """Why cohort mates joined: registered in the ring's window, sharing its identifiers."""
    shown = [f"{type_noun(id_type)} {value}"
             for id_type, _, value in (i.partition(":") for i in identifiers)]
    return Evidence(
        "lockstep_cohort_tie",
        f"{accounts('creator', creators)}, registered in the same window as this ring's "
        f"creators, {verb(len(creators), 'shares', 'share')} {listed(shown)} with them", 0.3)


def leave_out(rings: list[Finding], taken: frozenset[str], config: LockstepConfig) -> list[Finding]:
    """``rings`` without the ``taken`` creators; a ring left with too few creators is dropped."""
    kept = []
    for ring in rings:
        members = frozenset(m for m in ring.members if m.id not in taken)
        if len(members) >= config.min_creators:
            kept.append(Finding(ring.kind, members, ring.evidence,
                                {**ring.metrics, "lockstep_creators": len(members)},
                                ring.explained))
    return kept


def _finding(creators: list[str], cells: pd.DataFrame, config: LockstepConfig) -> Finding:
    """The ring's creators and one evidence item per shop they crowd onto (strongest first)."""
    strongest = (cells.sort_values(["log10_p", "window_ms", "shop_id"], kind="stable")
                 .drop_duplicates("shop_id"))
    evidence = []
    for row in strongest.head(config.shown_shops).itertuples():
        on_shop = sorted(cells.loc[cells["cell"] == row.cell, "creator_id"])
        evidence.append(Evidence(
            "lockstep_promotion",
            f"{accounts('creator', on_shop)}, registered within {span(row.window_ms / _HOUR_MS)} "
            f"of each other ({count(int(row.cohort), 'creator')} registered in that window), "
            f"all promote shop {row.shop_id}; by chance about {row.expected:.2f} of them would "
            f"(a chance of 1 in 10^{-row.log10_p:.0f})",
            float(evidence_weight(np.array([10.0 ** row.log10_q]), cap=config.max_weight)[0])))
    return Finding(KIND, frozenset(Member("creator", c) for c in creators), evidence,
                   {"lockstep_shops": int(cells["shop_id"].nunique()),
                    "lockstep_creators": len(creators)})


def _tail_log10(on_shop: np.ndarray, cohort: np.ndarray, promoters: np.ndarray,
                market: int) -> np.ndarray:
    """log10 of an upper bound on the chance of ``on_shop`` or more of a cohort on one shop.

    The null is that registering in the window has nothing to do with which
    shops a creator promotes: the cohort of ``cohort`` creators is then a random
    draw from the ``market`` creators, ``promoters`` of whom promote the shop,
    and the count on the shop is hypergeometric. The tail is at most its first
    term over ``1 - r``, ``r`` the ratio of the second term to the first (the
    ratios fall along the tail); where the count is no excess at all the
    result is 0 (probability 1).
    """
    x, n, k = (a.astype(np.float64) for a in (on_shop, cohort, promoters))
    big_n = float(market)
    term = (_log_choose(k, x) + _log_choose(big_n - k, n - x) - _log_choose(np.full_like(n, big_n),
                                                                            n))
    ratio = (k - x) * (n - x) / ((x + 1) * np.maximum(big_n - k - n + x + 1, 1.0))
    excess = (x > n * k / big_n) & (ratio < 1)
    tail = term - np.log1p(-np.where(excess, ratio, 0.0))
    return np.where(excess, np.minimum(tail, 0.0) / math.log(10), 0.0)


def _log_choose(n: np.ndarray, k: np.ndarray) -> np.ndarray:
    """log C(n, k) elementwise (lgamma; the arrays are the few cells with an excess)."""
    lgamma = np.vectorize(math.lgamma, otypes=[np.float64])
    if not len(n):
        return np.zeros(0)
    return lgamma(n + 1) - lgamma(k + 1) - lgamma(n - k + 1)


def _no_cells() -> pd.DataFrame:
    return pd.DataFrame({c: [] for c in ("cell", "creator_id", "shop_id", "window_ms",
                                         "cohort_start_ms", "cohort", "on_shop", "expected",
                                         "log10_p", "log10_q")})


def give_way(rings: list[Finding], owners: list[Finding], config: DetectionConfig) -> list[Finding]:
    """Rings mostly inside an owner join it; the rest leave out the creators owners hold.

    Lockstep rings are the kind for accounts nothing else ties.
    """
    rest = fold_into_owner(rings, owners)
    taken = frozenset(m.id for f in owners for m in f.members if m.type == "creator")
    return leave_out(rest, taken, config.lockstep)


def _worked_on(ctx: MarketContext) -> WorkedOn:
    """Affiliations of creators whose registration time is known.

    Arrow's ``is_in``: pandas' ``isin`` on Arrow text makes a Python scalar of every
    value looked for (a quarter of a second for the dated creators of 2 M rows), and
    this runs before any detector starts.
    """
    dated = ctx["creators"].loc[ctx["creators"]["registered_at_ms"].notna(), "creator_id"]
    affiliated = pa.array(ctx["affiliations"]["creator_id"], type=pa.large_string())
    found = pc.is_in(affiliated, value_set=pa.array(dated, type=pa.large_string()))
    return WorkedOn(int(pc.sum(found).as_py() or 0),
                    "affiliations of creators with a registration time",
                    "needs creators' registration times and their shop affiliations")


DETECTOR = Detector(
    name="lockstep_rings", kind=KIND, step="lockstep rings", config="lockstep",
    projections=("creators", "affiliations", "shops", "identity_links"),
    find=lambda ctx, config: find_lockstep_rings(ctx, config.lockstep),
    worked_on=_worked_on,
    gives_way_to=(RingKind.IDENTITY_RING, RingKind.COLLUSION_RING), give_way=give_way,
    cost=0.3)
