"""The score reads as a probability: bounded, monotone in evidence, corroboration counts more than repeats.

And the ring metrics and shared evidence the score is given: money counted at the ring's own
shops, the market's 95th percentile as the bar for money at stake, the accounts named.
"""

from __future__ import annotations

import math

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from ringwatch.detectors.config import ScoringConfig
from ringwatch.detectors.context import MarketContext
from ringwatch.detectors.rings import Evidence, Finding, Member
from ringwatch.detectors.scoring import (
    TIMING_CODES,
    MetricTables,
    context_evidence,
    metrics,
    score,
)

from .market import Market

CODES = ("shared_device", "shared_phone", "shared_payout_account", "lockstep_device",
         "abnormal_trade", "lockstep_registration", "lockstep_promotion", "commission_at_stake")
items = st.builds(Evidence, st.sampled_from(CODES), st.just("a sentence"),
                  st.floats(min_value=0.0, max_value=1.0))


@given(st.lists(items, max_size=12))
def test_score_is_a_probability(evidence: list[Evidence]) -> None:
    assert 0.0 <= score(evidence) <= 1.0


@given(st.lists(items, max_size=10), items)
def test_more_evidence_never_lowers_the_score(evidence: list[Evidence], extra: Evidence) -> None:
    assert score([*evidence, extra]) >= score(evidence)


@given(st.floats(min_value=0.05, max_value=0.95), st.integers(min_value=2, max_value=8))
def test_independent_kinds_corroborate_more_than_repeats_of_one(weight: float, n: int) -> None:
    repeats = [Evidence("shared_device", f"device d{i}", weight) for i in range(n)]
    kinds = [Evidence(code, "x", weight) for code in CODES[:n]] if n <= len(CODES) else None
    if kinds:
        assert score(kinds) > score(repeats)
    assert score(repeats) < score([*repeats, Evidence("shared_phone", "phone p", weight)])


def test_one_kind_of_tie_stays_short_of_certainty_however_often_repeated() -> None:
    repeated = [Evidence("shared_device", f"device d{i}", 0.95) for i in range(50)]
    assert score(repeated) < 0.999
    assert score(repeated) < score([Evidence(c, "x", 0.95) for c in CODES[:3]])


def test_no_evidence_scores_the_prior() -> None:
    assert score([]) == 0.5
    assert score([], ScoringConfig(prior_log_odds=-2.0)) < 0.15


@settings(max_examples=200)
@given(st.lists(items, max_size=10), st.randoms())
def test_the_order_evidence_comes_in_does_not_matter(evidence: list[Evidence], rnd) -> None:
    shuffled = list(evidence)
    rnd.shuffle(shuffled)
    assert score(shuffled) == score(evidence)


@settings(max_examples=200)
@given(st.lists(items, min_size=1, max_size=10), st.data())
def test_stronger_evidence_never_lowers_the_score(evidence: list[Evidence], data) -> None:
    i = data.draw(st.integers(0, len(evidence) - 1))
    old = evidence[i]
    stronger = Evidence(old.code, old.text, data.draw(st.floats(old.weight, 1.0)))
    assert score([*evidence[:i], stronger, *evidence[i + 1:]]) >= score(evidence)


@given(st.lists(items, max_size=10), st.sampled_from(CODES))
def test_an_item_of_weight_zero_changes_nothing(evidence: list[Evidence], code: str) -> None:
    assert score([*evidence, Evidence(code, "nothing", 0.0)]) == score(evidence)


def test_the_score_is_the_documented_log_odds_sum() -> None:
    config = ScoringConfig()
    evidence = [Evidence("shared_device", "a", 0.8), Evidence("shared_device", "b", 0.5),
                Evidence("shared_phone", "c", 0.6)]
    log_odds = (config.prior_log_odds - math.log(1 - 0.8)
                - config.same_kind_decay * math.log(1 - 0.5) - math.log(1 - 0.6))
    assert score(evidence) == round(1 / (1 + math.exp(-log_odds)), 4)


def test_weights_beyond_the_cap_count_as_the_cap() -> None:
    config = ScoringConfig()
    capped = [Evidence("shared_payout_account", "x", config.max_evidence_weight)]
    assert score([Evidence("shared_payout_account", "x", 1.0)]) == score(capped)
    assert score([Evidence("shared_payout_account", "x", 1.0)]) < 1.0


@given(st.lists(st.builds(Evidence, st.sampled_from(sorted(TIMING_CODES)), st.just("in step"),
                          st.floats(min_value=0.0, max_value=1.0)), min_size=1, max_size=8),
       st.floats(min_value=0.0, max_value=0.3))
def test_acting_in_step_alone_never_scores_beyond_the_cap(timing: list[Evidence],
                                                          money: float) -> None:
    context = [Evidence("commission_at_stake", "money", money),
               Evidence("prior_violations", "violations", 0.3)]
    assert score([*timing, *context]) <= ScoringConfig().timing_only_cap


def test_a_shared_identifier_beside_the_timing_lifts_the_cap() -> None:
    timing = [Evidence("lockstep_registration", "registered together", 0.9),
              Evidence("lockstep_promotion", "promote one shop together", 0.9)]
    assert score(timing) == ScoringConfig().timing_only_cap
    with_tie = score([*timing, Evidence("shared_payout_account", "one payout account", 0.5)])
    assert with_tie > 0.95
    # an identifier taken up in step is a shared identifier, not timing
    assert score([*timing, Evidence("lockstep_device", "one device, first used together", 0.5)]) \
        == with_tie


# --- ring metrics and the evidence every kind shares ------------------------------------------


@pytest.fixture(scope="module")
def collusion() -> tuple[MarketContext, list[str], list[str]]:
    """The planted collusion ring on a background market, with two prior violations."""
    market = Market()
    market.background()
    creators, shops, _ = market.plant_collusion()
    market.violation("col_c1")
    market.violation("col_c1", policy="spam_comments", severity="high")
    return market.context(), creators, shops


def _finding(creators: list[str], shops: list[str] = ()) -> Finding:
    return Finding("collusion_ring", frozenset(
        [Member("creator", c) for c in creators] + [Member("shop", s) for s in shops]))


def test_metrics_count_the_rings_trade_with_its_own_shops(collusion) -> None:
    ctx, creators, shops = collusion
    [m] = metrics([_finding(creators, shops)], MetricTables.from_context(ctx), ctx.as_of_ms)
    # 3 creators x 2 shops x 6 buyers, 40.00 each at 30%; 4 of every 6 refunded after commission.
    assert {k: m[k] for k in ("creators", "shops", "orders", "commission_total", "currency",
                              "refunded_after_commission", "refund_rate", "prior_violations")} == {
        "creators": 3, "shops": 2, "orders": 36, "commission_total": 432.0, "currency": "USD",
        "refunded_after_commission": 24, "refund_rate": 0.6667, "prior_violations": 2}
    assert m["median_account_age_days"] == 302.0  # 2025-06-01 to the snapshot's 2026-03-30
    assert m.earners == ("col_c0", "col_c1", "col_c2")  # equal earnings: by id
    assert m.at_ring_shops
    assert m.violators == ("col_c1",)
    assert "earners" not in m  # the names ride outside the JSON metrics


def test_a_ring_without_shops_counts_all_its_creators_trade(collusion) -> None:
    ctx, creators, shops = collusion
    tables = MetricTables.from_context(ctx)
    [with_shops, without] = metrics([_finding(creators, shops), _finding(creators)], tables,
                                    ctx.as_of_ms)
    assert without["orders"] == with_shops["orders"] + 9  # three camouflage orders each
    assert not without.at_ring_shops
    assert "shops" not in without


def test_a_ring_with_no_trade_has_zero_money_and_no_currency(collusion) -> None:
    ctx, _, _ = collusion
    [m] = metrics([Finding("identity_ring", frozenset({Member("creator", "bg_c0"),
                                                        Member("device", "nobody")}))],
                  MetricTables.from_context(ctx), ctx.as_of_ms)
    assert m["orders"] > 0  # bg_c0 trades: the identifier member does not count as a shop
    [empty] = metrics([Finding("identity_ring", frozenset({Member("seller", "s_x")}))],
                      MetricTables.from_context(ctx), ctx.as_of_ms)
    assert (empty["orders"], empty["commission_total"], empty["currency"],
            empty["refund_rate"], empty["median_account_age_days"]) == (0, 0.0, None, 0.0, None)


def test_context_evidence_names_the_earners_and_the_violators(collusion) -> None:
    ctx, creators, shops = collusion
    tables = MetricTables.from_context(ctx)
    [m] = metrics([_finding(creators, shops)], tables, ctx.as_of_ms)
    assert tables.commission_p95 <= 432.0
    found = {e.code: e for e in context_evidence(m, tables)}
    assert found["commission_at_stake"].text.startswith(
        "creators col_c0, col_c1 and col_c2 earned 432.00 USD commission at this ring's shops")
    assert found["commission_at_stake"].weight == 0.2
    assert found["prior_violations"].text == "creator col_c1 has 2 prior policy violations"
    assert found["prior_violations"].weight == pytest.approx(0.2)


def test_context_evidence_stays_quiet_below_the_markets_95th_percentile(collusion) -> None:
    ctx, _, _ = collusion
    tables = MetricTables.from_context(ctx)
    [m] = metrics([_finding(["bg_c0"])], tables, ctx.as_of_ms)
    assert m["commission_total"] < tables.commission_p95
    assert context_evidence(m, tables) == []
    many = context_evidence({"prior_violations": 7}, tables)
    assert [(e.code, e.weight) for e in many] == [("prior_violations", 0.3)]  # capped
    assert many[0].text == "the ring's creators have 7 prior policy violations"


@settings(max_examples=200)
@given(st.lists(items, max_size=8), st.floats(min_value=0.05, max_value=0.95))
def test_a_kind_not_yet_seen_always_raises_the_score(evidence: list[Evidence],
                                                     weight: float) -> None:
    unseen = [code for code in CODES if code not in {e.code for e in evidence}]
    assume(unseen and score(evidence) < 0.99)  # (the score is rounded to four places)
    assert score([*evidence, Evidence(unseen[0], "corroboration", weight)]) > score(evidence)
