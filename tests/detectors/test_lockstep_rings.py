"""Lockstep rings: a farm tied only by when it registered and which shops it promotes.

Each market is hand-built so the answer is known: a farm with nothing shared
(its own device, phone and payout account per account) registered in one
sitting and crowding onto three small shops, beside the honest look-alikes that
must stay unflagged: an onboarding day whose newcomers promote popular shops, a
brand launch many creators join at different times, and a farm that an identity
ring already holds.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

import numpy as np
import pandas as pd

from ringwatch.detectors.config import LockstepConfig
from ringwatch.detectors.context import MarketContext
from ringwatch.detectors.lockstep_rings import find_lockstep_rings, lockstep_cells
from ringwatch.domain import utc_stamp
from ringwatch.graph.local_store import LocalStore

from .market import Market

START = datetime(2025, 1, 1, tzinfo=UTC)
POPULAR = [f"pop_s{i}" for i in range(5)]


def _at(days: float) -> str:
    return utc_stamp(START + timedelta(days=days))


def _market(honest: int = 300) -> Market:
    """Creators who joined over a year, each on its own identifiers, promoting two shops:
    one of five popular shops and one of sixty ordinary ones."""
    market = Market()
    for s in POPULAR:
        market.shop(s, seller=f"{s}_seller")
    for s in range(60):
        market.shop(f"ord_s{s}", seller=f"ord_sel{s}")
    for i in range(honest):
        c = market.creator(f"h{i}", registered=_at(i * 365 / honest))
        market.link("creator", c, "device", f"h_d{i}")
        market.link("creator", c, "payout_account", f"h_pa{i}")
        market.affiliate(c, POPULAR[i % len(POPULAR)], 0.1)
        market.affiliate(c, f"ord_s{(i * 7) % 60}", 0.1)
    return market


def _lockstep_farm(market: Market, size: int = 6, *, day: float = 200) -> list[str]:
    """``size`` creators registered within three hours, nothing shared, each promoting two of
    three small shops that nobody else promotes much."""
    targets = [market.shop(f"tgt_s{s}", seller=f"tgt_sel{s}") for s in range(3)]
    farm = []
    for i in range(size):
        c = market.creator(f"farm_c{i}", registered=_at(day + i / 48))
        market.link("creator", c, "device", f"farm_d{i}")
        market.link("creator", c, "phone", f"farm_p{i}")
        market.link("creator", c, "payout_account", f"farm_pa{i}")
        for s in (i % 3, (i + 1) % 3):
            market.affiliate(c, targets[s], 0.1)
        farm.append(c)
    return farm


def _context(market: Market, tmp_path: Path) -> MarketContext:
    return market.load(LocalStore(tmp_path / "store"), tmp_path / "snapshot")


def _creators(rings: list) -> list[set[str]]:
    return [{m.id for m in r.members if m.type == "creator"} for r in rings]


def test_a_farm_tied_only_by_its_sitting_and_its_shops_is_one_lockstep_ring(
        tmp_path: Path) -> None:
    market = _market()
    farm = _lockstep_farm(market)
    rings = find_lockstep_rings(_context(market, tmp_path))
    assert _creators(rings) == [set(farm)]
    [ring] = rings
    assert ring.kind == "lockstep_ring"
    shops_named = {e.text.split("all promote shop ")[1].split(";")[0] for e in ring.evidence}
    assert shops_named == {"tgt_s0", "tgt_s1", "tgt_s2"}
    assert all(e.code == "lockstep_promotion" for e in ring.evidence)


def test_an_onboarding_day_promoting_popular_shops_is_not_a_ring(tmp_path: Path) -> None:
    market = _market()
    for i in range(60):  # sixty newcomers in three hours, on the shops everyone promotes
        c = market.creator(f"new_c{i}", registered=_at(200 + i / 480))
        market.link("creator", c, "device", f"new_d{i}")
        market.affiliate(c, POPULAR[i % len(POPULAR)], 0.1)
        market.affiliate(c, f"ord_s{(i * 11) % 60}", 0.1)
    ctx = _context(market, tmp_path)
    assert find_lockstep_rings(ctx) == []
    assert lockstep_cells(ctx, LockstepConfig()).empty


def test_a_brand_launch_joined_by_creators_of_every_age_is_not_a_ring(tmp_path: Path) -> None:
    market = _market()
    market.shop("launch", seller="brand")
    for i in range(0, 300, 10):  # thirty creators registered over the year join one shop
        market.affiliate(f"h{i}", "launch", 0.15)
    assert find_lockstep_rings(_context(market, tmp_path)) == []


def test_the_farm_is_found_beside_an_onboarding_day_on_the_same_day(tmp_path: Path) -> None:
    # The cohort's chance share of a shop grows with the cohort, so sixty newcomers on the
    # farm's day make its shops a weaker surprise; eight creators on them still stand out.
    market = _market(1000)
    farm = _lockstep_farm(market, 8)
    for i in range(60):
        c = market.creator(f"new_c{i}", registered=_at(200 + i / 480))
        market.affiliate(c, POPULAR[i % len(POPULAR)], 0.1)
    assert _creators(find_lockstep_rings(_context(market, tmp_path))) == [set(farm)]


def test_creators_another_ring_already_holds_are_left_to_that_ring(tmp_path: Path) -> None:
    market = _market()
    farm = _lockstep_farm(market)
    ctx = _context(market, tmp_path)
    assert find_lockstep_rings(ctx, taken=frozenset(farm[:4])) == []
    assert _creators(find_lockstep_rings(ctx, taken=frozenset(farm[:1]))) == [set(farm[1:])]


def test_the_pipeline_reports_the_farm_as_a_lockstep_ring_with_its_registration_burst(
        tmp_path: Path) -> None:
    from ringwatch.detectors.pipeline import find_rings

    market = _market()
    farm = _lockstep_farm(market)
    rings = [r for r in find_rings(_context(market, tmp_path)) if r.kind == "lockstep_ring"]
    assert _creators(rings) == [set(farm)]
    assert any(e.code == "lockstep_registration" for e in rings[0].evidence)


def test_the_chance_bound_falls_with_the_count_and_rises_with_popularity() -> None:
    import math

    import numpy as np

    from ringwatch.detectors.lockstep_rings import _tail_log10

    p = _tail_log10(np.array([3, 6, 6, 2]), np.array([10, 10, 10, 100]),
                    np.array([20, 20, 200, 500]), 1000)
    assert p[1] < p[0] < 0 and p[1] < p[2] < 0
    assert p[3] == 0.0  # two of a hundred on a shop half the market promotes: no excess
    # Against the exact hypergeometric tail: P(X >= 3), N=1000, k=20, n=10.
    def pmf(j: int) -> float:
        return math.comb(20, j) * math.comb(980, 10 - j) / math.comb(1000, 10)
    exact = math.log10(sum(pmf(j) for j in range(3, 11)))
    assert exact <= p[0] < exact + 0.05


def test_a_lockstep_group_mostly_inside_an_identity_ring_joins_it(tmp_path: Path) -> None:
    from ringwatch.detectors.pipeline import find_rings

    market = _market()
    farm = _lockstep_farm(market)
    for c in farm[:4]:  # four of the six also share one payout account and one SIM
        market.link("creator", c, "payout_account", "farm_shared_pa")
        market.link("creator", c, "phone", "farm_shared_sim")
    rings = [r for r in find_rings(_context(market, tmp_path))
             if {m.id for m in r.members} & set(farm)]
    assert [r.kind for r in rings] == ["identity_ring"]
    assert _creators(rings) == [set(farm)]
    assert any(e.code == "lockstep_promotion" for e in rings[0].evidence)


def test_a_farm_account_on_no_crowded_shop_joins_through_the_farms_proxy(tmp_path: Path) -> None:
    market = _market()
    farm = _lockstep_farm(market)
    straggler = market.creator("farm_straggler", registered=_at(200.1))
    market.affiliate(straggler, "ord_s3", 0.1)  # promotes no farm shop
    for c in [*farm, straggler]:
        market.link("creator", c, "ip", "farm_proxy")
    loner = market.creator("same_day_loner", registered=_at(200.12))  # same day, no shared tie
    market.link("creator", loner, "ip", "loner_home")
    [ring] = find_lockstep_rings(_context(market, tmp_path))
    assert _creators([ring]) == [{*farm, straggler}]
    tie = next(e for e in ring.evidence if e.code == "lockstep_cohort_tie")
    assert "farm_straggler" in tie.text and "IP farm_proxy" in tie.text


def _brand_team(market: Market, size: int = 8, *, day: float = 150, shared: int = 0) -> list[str]:
    """``size`` creators registered within a day, promoting the two shops of one seller; the
    first ``shared`` of them also promote a shop of another seller."""
    brand = [market.shop(f"brand_s{s}", seller="brand_sel") for s in range(2)]
    other = market.shop("elsewhere_s", seller="elsewhere_sel")
    team = []
    for i in range(size):
        c = market.creator(f"team_c{i}", registered=_at(day + i / 24))
        market.link("creator", c, "device", f"team_d{i}")
        market.link("creator", c, "payout_account", f"team_pa{i}")
        for shop in brand:
            market.affiliate(c, shop, 0.12)
        if i < shared:
            market.affiliate(c, other, 0.1)
        team.append(c)
    return team


def test_a_sellers_own_team_onboarded_in_one_sitting_is_no_ring(tmp_path: Path) -> None:
    """Same sitting, same shops as a farm; but every creator promotes one seller's shops only."""
    market = _market()
    _brand_team(market)
    farm = _lockstep_farm(market, day=250)
    assert _creators(find_lockstep_rings(_context(market, tmp_path))) == [set(farm)]


def test_a_team_whose_creators_also_serve_other_sellers_is_discounted_not_cleared(
        tmp_path: Path) -> None:
    """Half the group promotes another seller's shop too: half the coordination is explained."""
    market = _market()
    team = _brand_team(market, shared=4)
    [ring] = find_lockstep_rings(_context(market, tmp_path))
    assert _creators([ring]) == [set(team)]
    assert ring.explained == 0.5
    [said] = [e for e in ring.evidence if e.code == "honest_explanation"]
    assert "4 of the 8 creators" in said.text and "brand_sel" in said.text
    assert all(e.weight <= 0.5 * LockstepConfig().max_weight + 1e-9 for e in ring.evidence
               if e.code == "lockstep_promotion")


def _cells_by_merge(ctx: MarketContext, config: LockstepConfig) -> list[pd.DataFrame]:
    """Every width's and offset's cells by their definition: each registered creator's cohort
    merged with the promotions on the creator's id, counted per (cohort, shop)."""
    registered = ctx["creators"].loc[ctx["creators"]["registered_at_ms"].notna(),
                                     ["creator_id", "registered_at_ms"]]
    affiliations = ctx["affiliations"][["creator_id", "shop_id"]].drop_duplicates()
    t = registered["registered_at_ms"].to_numpy(dtype=np.int64)
    found = []
    for hours in config.window_hours:
        width = int(hours * 3_600_000)
        for offset in (0, width // 2):
            cohort = pd.DataFrame({"creator_id": registered["creator_id"].to_numpy(),
                                   "bucket": (t - int(t.min()) + offset) // width})
            sizes = cohort.groupby("bucket")["creator_id"].size()
            cohort = cohort[cohort["bucket"].map(sizes).to_numpy() >= config.min_creators]
            found.append(cohort.merge(affiliations, on="creator_id"))
    return found


def test_cells_are_counted_as_the_merge_of_cohorts_and_promotions_counts_them() -> None:
    """On codes, each cell and each row of its creators are those the plain merge and group-by
    give, in their order, on random markets: ids whose order of appearance is not their sort
    order, creators with no registration or no promotion, a creator registered twice,
    promotions repeated, shops promoted by no registered creator."""
    for seed in range(30):
        rng = np.random.default_rng(seed)
        n = int(rng.integers(5, 60))
        ids = [f"c{v}" for v in rng.permutation(1000)[:n]]
        registered = rng.integers(0, 30 * 24, n).astype("float64") * 3_600_000
        registered[rng.random(n) < 0.1] = np.nan
        if seed % 5 == 4:  # a creator registered twice: each of its rows joins its promotions
            ids, registered = [*ids, ids[0]], np.r_[registered, 12 * 3_600_000.0]
        creators = pd.DataFrame({"creator_id": pd.array(ids, dtype="str"),
                                 "registered_at_ms": pd.array(registered, dtype="Int64")})
        rows = int(rng.integers(0, 4 * n))
        shops = [f"s{v:03d}" for v in rng.permutation(40)[:int(rng.integers(1, 12))]]
        affiliations = pd.DataFrame({
            "creator_id": pd.array([*rng.choice(ids, rows), "c_unregistered"], dtype="str"),
            "shop_id": pd.array([*rng.choice(shops, rows), shops[0]], dtype="str")})
        ctx = MarketContext({"creators": creators, "affiliations": affiliations},
                            pd.DataFrame(), (), 0)
        config = LockstepConfig(window_hours=(float(rng.choice([6.0, 24.0])), 168.0),
                                alpha=1e9, min_creators=int(rng.integers(1, 4)))
        cells = lockstep_cells(ctx, config)
        expected = [on.merge(on.groupby(["bucket", "shop_id"])["creator_id"].size()
                             .reset_index(name="on_shop"), on=["bucket", "shop_id"])
                    for on in _cells_by_merge(ctx, config)]
        expected = [e[e["on_shop"] >= config.min_creators] for e in expected]
        rows_expected = sum(len(e) for e in expected)
        assert len(cells) == rows_expected, seed
        if rows_expected == 0:
            continue
        assert rows_expected > 0
        want = pd.concat(expected, ignore_index=True)
        pd.testing.assert_frame_equal(
            cells[["creator_id", "shop_id", "on_shop"]].reset_index(drop=True),
            want[["creator_id", "shop_id", "on_shop"]].reset_index(drop=True), obj=f"seed {seed}")


def test_a_shops_promoters_are_counted_among_the_registered_creators_a_cohort_is_drawn_from(
        ) -> None:
    """Creators with no registration time are outside the market a cohort is drawn from, so
    they do not count as a shop's promoters either: counted, the shop below would have 36
    promoters in a market of 12 creators, and the chance of its cell could not be computed."""
    hour = 3_600_000
    registered = [f"sit{i}" for i in range(6)] + [f"other{i}" for i in range(6)]
    times = [i * hour // 10 for i in range(6)] + [(30 + 40 * i) * 24 * hour for i in range(6)]
    creators = pd.DataFrame({
        "creator_id": pd.array([*registered, *(f"unreg{i}" for i in range(30))], dtype="str"),
        "registered_at_ms": pd.array([*times, *([None] * 30)], dtype="Int64")})
    promoting = [*(f"sit{i}" for i in range(6)), *(f"unreg{i}" for i in range(30))]
    affiliations = pd.DataFrame({
        "creator_id": pd.array([*promoting, *(f"other{i}" for i in range(6))], dtype="str"),
        "shop_id": pd.array(["x"] * len(promoting) + [f"o{i}" for i in range(6)], dtype="str")})
    ctx = MarketContext({"creators": creators, "affiliations": affiliations},
                        pd.DataFrame(), (), 0)
    cells = lockstep_cells(ctx, LockstepConfig(window_hours=(24.0,), alpha=1.0, min_creators=3))
    on_x = cells[cells["shop_id"] == "x"]
    assert sorted(set(on_x["creator_id"])) == [f"sit{i}" for i in range(6)]
    assert on_x["on_shop"].eq(6).all() and on_x["cohort"].eq(6).all()
    assert on_x["expected"].eq(6 * 6 / 12).all()  # six of the twelve registered promote x
    assert (on_x["log10_p"] < 0).all()
