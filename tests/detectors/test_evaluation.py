"""Evaluation against labels gives the hand-computed figures; baselines give rings it can score."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

from ringwatch.detectors.baselines import connected_components_baseline, louvain_baseline
from ringwatch.detectors.context import MarketContext, build_context
from ringwatch.detectors.evaluation import (
    EvaluationError,
    assess,
    calibration,
    calibration_error,
    check_lookalikes,
    evaluate,
    fragmentation,
    load_labels,
    load_lookalikes,
    load_rings,
    precision_by_size,
)
from ringwatch.graph.projections import PROJECTIONS, normalise

# Planted rings (labels.csv).
#   L1 account_farm:   creators c1 c2 c3 c4, buyer b1
#   L2 collusion_ring: creators c5 c6, shop s1, seller sel1, buyers b2 b3
#   L3 self_dealing:   creator c7, seller sel2, shop s2
#   L4 self_purchase:  creator c8, buyer b4
LABELS = pd.DataFrame(
    [("L1", "creator", c, "account_farm") for c in ("c1", "c2", "c3", "c4")]
    + [("L1", "buyer", "b1", "account_farm")]
    + [("L2", "creator", "c5", "collusion_ring"), ("L2", "creator", "c6", "collusion_ring"),
       ("L2", "shop", "s1", "collusion_ring"), ("L2", "seller", "sel1", "collusion_ring"),
       ("L2", "buyer", "b2", "collusion_ring"), ("L2", "buyer", "b3", "collusion_ring")]
    + [("L3", "creator", "c7", "self_dealing"), ("L3", "seller", "sel2", "self_dealing"),
       ("L3", "shop", "s2", "self_dealing")]
    + [("L4", "creator", "c8", "self_purchase"), ("L4", "buyer", "b4", "self_purchase")],
    columns=["ring_id", "account_type", "account_id", "typology"],
)


def ring(*members: str, kind: str = "identity_ring", **extra: object) -> dict:
    """``ring("creator:c1", "device:d1")`` -> a ring dict in the pipeline's shape."""
    return {"kind": kind, "score": 0.5, **extra,
            "members": [{"type": m.split(":")[0], "id": m.split(":")[1]} for m in members]}


# Flagged rings and what they are:
#   F1 c1 c2 c3 b1 (+ device d1, not an account): 4/4 accounts labelled -> correct, account_farm
#   F2 c5 s1 b2 + honest c9 c10 b9: 3/6 labelled, not more than half -> false, collusion_ring
#   F3 honest c11 c12 b10: no labelled account -> false, attributed to no typology
#   F4 c7 sel2: 2/2 -> correct, self_dealing
#   F5 c4 + honest c13 c14: mostly honest, 1/3 -> false, account_farm (its only label)
FLAGGED = [
    ring("creator:c1", "creator:c2", "creator:c3", "buyer:b1", "device:d1"),
    ring("creator:c5", "shop:s1", "buyer:b2", "creator:c9", "creator:c10", "buyer:b9",
         kind="collusion_ring"),
    ring("creator:c11", "creator:c12", "buyer:b10"),
    ring("creator:c7", "seller:sel2", kind="commission_abuse"),
    ring("creator:c4", "creator:c13", "creator:c14"),
]


def test_overall_figures_match_the_hand_computation() -> None:
    result = evaluate(FLAGGED, LABELS).overall
    # Predicted creators: c1 c2 c3 | c5 c9 c10 | c11 c12 | c7 | c4 c13 c14 = 12.
    # True creators c1..c8 = 8; caught: c1 c2 c3 c4 c5 c7 = 6.
    assert (result.flagged_creators, result.true_creators, result.caught_creators) == (12, 8, 6)
    assert result.creator_precision == pytest.approx(6 / 12)
    assert result.creator_recall == pytest.approx(6 / 8)
    assert result.creator_f1 == pytest.approx(2 * 0.5 * 0.75 / (0.5 + 0.75))  # 0.6
    # Correct rings F1, F4 of 5.
    assert (result.flagged_rings, result.correct_rings) == (5, 2)
    assert result.ring_precision == pytest.approx(2 / 5)
    # Planted: L1 4/4 core covered; L2 c5 s1 of c5 c6 s1 sel1 = half -> recalled;
    # L3 c7 sel2 of 3; L4 c8 not covered -> 3 of 4.
    assert (result.planted_rings, result.recalled_rings) == (4, 3)
    assert result.ring_recall == pytest.approx(3 / 4)


def test_per_typology_figures_match_the_hand_computation() -> None:
    evaluation = evaluate(FLAGGED, LABELS)
    farm = evaluation["account_farm"]
    # Rings attributed: F1 and F5; their creators c1 c2 c3 c4 c13 c14, 4 labelled.
    assert farm.creator_precision == pytest.approx(4 / 6)
    assert farm.creator_recall == pytest.approx(4 / 4)
    assert farm.creator_f1 == pytest.approx(2 * (4 / 6) * 1 / (4 / 6 + 1))  # 0.8
    assert (farm.ring_precision, farm.ring_recall) == (pytest.approx(1 / 2), 1.0)

    collusion = evaluation["collusion_ring"]
    # F2 alone: creators c5 c9 c10, one labelled; c5 of c5 c6 caught.
    assert collusion.creator_precision == pytest.approx(1 / 3)
    assert collusion.creator_recall == pytest.approx(1 / 2)
    assert collusion.creator_f1 == pytest.approx(2 * (1 / 3) * (1 / 2) / (1 / 3 + 1 / 2))  # 0.4
    assert collusion.ring_precision == 0.0  # F2 is exactly half labelled: a false ring
    assert collusion.ring_recall == 1.0  # L2 is half covered: recalled

    dealing = evaluation["self_dealing"]
    assert (dealing.creator_precision, dealing.creator_recall, dealing.creator_f1) == (1.0, 1.0, 1.0)
    assert (dealing.ring_precision, dealing.ring_recall) == (1.0, 1.0)

    purchase = evaluation["self_purchase"]
    # No ring attributed and c8 missed: every figure 0, with the counts saying why.
    assert (purchase.creator_precision, purchase.creator_recall, purchase.creator_f1) == (0, 0, 0)
    assert (purchase.flagged_rings, purchase.planted_rings, purchase.recalled_rings) == (0, 1, 0)

    assert evaluation.unattributed_rings == 1  # F3


def test_no_rings_flagged_reports_zero_precision_instead_of_failing() -> None:
    evaluation = evaluate([], LABELS)
    overall = evaluation.overall
    assert (overall.creator_precision, overall.creator_recall, overall.creator_f1) == (0, 0, 0)
    assert (overall.ring_precision, overall.ring_recall, overall.flagged_rings) == (0, 0, 0)
    assert overall.planted_rings == 4
    assert "overall" in evaluation.table()
    json.dumps(evaluation.as_dict())


def test_a_ring_of_mostly_honest_accounts_is_a_false_ring() -> None:
    overall = evaluate([ring("creator:c1", "creator:h1", "creator:h2", "shop:h3")], LABELS).overall
    assert (overall.flagged_rings, overall.correct_rings, overall.ring_precision) == (1, 0, 0.0)


def test_a_planted_ring_half_covered_is_recalled_and_buyers_do_not_count() -> None:
    # L2's core is c5 c6 s1 sel1; covering c6 and sel1 is half. Its buyers would not help.
    half = evaluate([ring("creator:c6", "seller:sel1", "creator:c9")], LABELS)
    assert half["collusion_ring"].recalled_rings == 1
    buyers_only = evaluate([ring("buyer:b2", "buyer:b3", "creator:c6")], LABELS)
    assert buyers_only["collusion_ring"].recalled_rings == 0  # c6 alone is 1 of 4


def test_a_planted_ring_of_buyers_only_is_judged_on_its_buyers() -> None:
    labels = pd.DataFrame([("L9", "buyer", "b1", "mule"), ("L9", "buyer", "b2", "mule")],
                          columns=["ring_id", "account_type", "account_id", "typology"])
    result = evaluate([ring("buyer:b1", "creator:c1", "creator:c2")], labels)
    assert result["mule"].recalled_rings == 1
    assert result["mule"].true_creators == 0 and result["mule"].creator_recall == 0.0


def test_a_ring_goes_to_the_typology_most_of_its_labelled_accounts_carry() -> None:
    rings = [ring("creator:c5", "shop:s1", "creator:c1")]  # two collusion labels, one farm
    evaluation = evaluate(rings, LABELS)
    assert evaluation["collusion_ring"].flagged_rings == 1
    assert evaluation["account_farm"].flagged_rings == 0
    assert evaluation["account_farm"].caught_creators == 1  # recall still sees c1


def test_dissolved_rings_are_not_flagged() -> None:
    rings = [ring("creator:c1", "creator:c2", status="dissolved")]
    assert evaluate(rings, LABELS).overall.flagged_rings == 0


def test_table_and_dict_show_every_typology_and_overall() -> None:
    evaluation = evaluate(FLAGGED, LABELS)
    table = evaluation.table()
    for name in ("account_farm", "collusion_ring", "self_dealing", "self_purchase", "overall"):
        assert name in table
    assert "0.600" in table  # overall creator F1
    data = json.loads(json.dumps(evaluation.as_dict()))
    assert data["overall"]["ring_precision"] == pytest.approx(0.4)
    assert set(data["typologies"]) == {"account_farm", "collusion_ring", "self_dealing",
                                       "self_purchase"}


def test_labels_round_trip_through_the_file(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    LABELS.to_csv(path, index=False)
    loaded = load_labels(path)
    assert evaluate(FLAGGED, loaded) == evaluate(FLAGGED, LABELS)


def test_labels_missing_a_column_name_the_file_and_the_column(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    LABELS.drop(columns=["typology"]).to_csv(path, index=False)
    with pytest.raises(EvaluationError, match=r"labels\.csv.*typology"):
        load_labels(path)


def test_labels_with_empty_values_or_unknown_types_list_every_bad_row(tmp_path: Path) -> None:
    path = tmp_path / "labels.csv"
    path.write_text("ring_id,account_type,account_id,typology\n"
                    "L1,creator,c1,account_farm\nL1,creator,,account_farm\nL2,robot,r1,x\n")
    with pytest.raises(EvaluationError) as error:
        load_labels(path)
    message = str(error.value)
    assert str(path) in message and "empty account_id on row 2" in message
    assert "account_type not one of" in message and "row 3" in message


def test_a_missing_labels_file_is_an_evaluation_error(tmp_path: Path) -> None:
    with pytest.raises(EvaluationError, match=r"nowhere\.csv"):
        load_labels(tmp_path / "nowhere.csv")


def test_rings_round_trip_and_bad_json_names_the_line(tmp_path: Path) -> None:
    path = tmp_path / "rings.jsonl"
    path.write_text("\n".join(json.dumps(r) for r in FLAGGED) + "\n\n")
    assert load_rings(path) == FLAGGED
    path.write_text(json.dumps(FLAGGED[0]) + "\n{not json\n")
    with pytest.raises(EvaluationError, match=r"rings\.jsonl:2: not valid JSON"):
        load_rings(path)
    path.write_text(json.dumps({"kind": "identity_ring"}) + "\n")
    with pytest.raises(EvaluationError, match=r"rings\.jsonl:1: ring has no 'members'"):
        load_rings(path)


# --- fragmentation, calibration, size, look-alikes -------------------------------------------

#: FLAGGED with scores: F1 0.95 (correct), F2 0.85, F3 0.82, F4 0.15 (correct), F5 0.05.
SCORED = [{**r, "score": s} for r, s in zip(FLAGGED, (0.95, 0.85, 0.82, 0.15, 0.05), strict=True)]

# Look-alike groups (honest by construction):
#   G1 family {c11, b10}: both in F3 -> touched and joined
#   G2 agency {c20, c21}: untouched
#   G3 agency {c13, c9}: c13 in F5, c9 in F2 -> touched, not joined (no one ring holds two)
#   G4 premium_creator {c14}: in F5 -> touched, and joined (a one-account group)
LOOKALIKES = pd.DataFrame(
    [("G1", "creator", "c11", "family"), ("G1", "buyer", "b10", "family"),
     ("G2", "creator", "c20", "agency"), ("G2", "creator", "c21", "agency"),
     ("G3", "creator", "c13", "agency"), ("G3", "creator", "c9", "agency"),
     ("G4", "creator", "c14", "premium_creator")],
    columns=["group_id", "account_type", "account_id", "kind"])


def test_fragmentation_counts_flagged_rings_per_found_planted_ring() -> None:
    result = fragmentation(FLAGGED, LABELS)
    # Found: L1 (pieces F1 and F5, which holds c4), L2 (F2), L3 (F4); L4 is not found.
    assert (result.found_rings, result.pieces, result.worst) == (3, 4, 2)
    assert result.mean == pytest.approx(4 / 3)
    # One flagged ring per planted ring is ideal, even when buyers are left out of it.
    ideal = fragmentation([ring("creator:c1", "creator:c2", "creator:c3", "creator:c4")], LABELS)
    assert (ideal.found_rings, ideal.mean) == (1, 1.0)
    assert fragmentation([], LABELS).mean == 0.0


def test_calibration_buckets_rings_by_score_and_observes_their_precision() -> None:
    buckets = {b.name: b for b in calibration(SCORED, LABELS)}
    assert len(buckets) == 10 and "0.9-1.0" in buckets and "0.0-0.1" in buckets
    assert (buckets["0.9-1.0"].rings, buckets["0.9-1.0"].precision) == (1, 1.0)
    assert (buckets["0.8-0.9"].rings, buckets["0.8-0.9"].correct) == (2, 0)
    assert buckets["0.8-0.9"].mean_score == pytest.approx(0.835)
    assert (buckets["0.1-0.2"].rings, buckets["0.1-0.2"].precision) == (1, 1.0)
    assert (buckets["0.0-0.1"].rings, buckets["0.0-0.1"].precision) == (1, 0.0)
    assert sum(b.rings for b in buckets.values()) == 5
    gap = (0.05 + 2 * 0.835 + 0.85 + 0.05) / 5
    assert calibration_error(buckets.values()) == pytest.approx(gap)
    top = calibration([{**FLAGGED[0], "score": 1.0}], LABELS)
    assert top[-1].rings == 1  # a score of 1.0 falls in the last bucket


def test_precision_by_ring_size_counts_accounts_not_identifiers() -> None:
    buckets = {b.name: b for b in precision_by_size(FLAGGED, LABELS)}
    assert list(buckets) == ["1-2", "3-5", "6-10", "11-30", "31-100", ">100"]
    assert (buckets["1-2"].rings, buckets["1-2"].correct) == (1, 1)  # F4
    assert (buckets["3-5"].rings, buckets["3-5"].correct) == (3, 1)  # F1 (device left out), F3, F5
    assert (buckets["6-10"].rings, buckets["6-10"].correct) == (1, 0)  # F2
    assert buckets[">100"].rings == 0 and buckets[">100"].precision == 0.0


def test_look_alike_groups_touched_and_joined_by_flagged_rings() -> None:
    checks = {c.kind: c for c in check_lookalikes(FLAGGED, LOOKALIKES)}
    assert list(checks) == ["agency", "family", "premium_creator", "all"]
    agency, family, premium, total = (checks[k] for k in ("agency", "family", "premium_creator",
                                                          "all"))
    assert (agency.groups, agency.touched, agency.joined) == (2, 1, 0)
    assert (family.groups, family.touched, family.joined) == (1, 1, 1)
    assert (premium.touched, premium.joined) == (1, 1)
    assert (total.groups, total.touched, total.joined) == (4, 3, 2)
    assert (total.accounts, total.flagged_accounts) == (7, 5)
    assert check_lookalikes([], LOOKALIKES)[-1].touched == 0


def test_assess_gathers_every_figure_and_agrees_with_evaluate() -> None:
    quality = assess([*SCORED, ring("creator:c1", status="dissolved")], LABELS, LOOKALIKES,
                     flag_score=0.0)
    assert quality.evaluation == evaluate(SCORED, LABELS)
    assert quality.typologies_recalled == ("account_farm", "collusion_ring", "self_dealing")
    assert quality.typologies_missed == ("self_purchase",)
    assert quality.fragmentation.mean == pytest.approx(4 / 3)
    assert quality.lookalikes_all is not None and quality.lookalikes_all.touched == 3
    table = quality.table()
    for text in ("fragmentation: 1.33", "3/4", "missed: self_purchase", "0.9-1.0", "31-100",
                 "premium_creator"):
        assert text in table
    data = json.loads(json.dumps(quality.as_dict()))
    assert data["fragmentation"]["worst"] == 2 and len(data["calibration"]) == 10
    assert assess(SCORED, LABELS).lookalikes == ()


def test_only_rings_scored_at_the_flag_line_are_flagged_but_every_ring_is_calibrated() -> None:
    quality = assess(SCORED, LABELS, LOOKALIKES)  # the default line, 0.5: F4 and F5 are below
    assert quality.evaluation == evaluate(SCORED[:3], LABELS)
    assert sum(b.rings for b in quality.calibration) == len(SCORED)
    assert quality.lookalikes_all is not None and quality.lookalikes_all.touched == 2  # G1, G3


def test_a_group_a_ring_holds_no_more_of_than_chance_would_is_not_joined() -> None:
    """G1 (a creator and a buyer in F3) is joined in a small market, not in one where the
    group's members are a large share of the market's accounts of their types."""
    small = {"creator": 10_000, "shop": 100, "seller": 100, "buyer": 10_000}
    crowded = {"creator": 4, "shop": 100, "seller": 100, "buyer": 2}
    joined = {c.kind: c.joined for c in check_lookalikes(SCORED, LOOKALIKES, small)}
    assert joined["family"] == 1
    joined = {c.kind: c.joined for c in check_lookalikes(SCORED, LOOKALIKES, crowded)}
    assert joined["family"] == 0


def test_lookalikes_round_trip_and_a_missing_column_is_named(tmp_path: Path) -> None:
    path = tmp_path / "lookalikes.csv"
    LOOKALIKES.to_csv(path, index=False)
    assert load_lookalikes(path).equals(LOOKALIKES)
    LOOKALIKES.drop(columns="kind").to_csv(path, index=False)
    with pytest.raises(EvaluationError, match=r"lookalikes\.csv.*kind"):
        load_lookalikes(path)


# --- baselines on a hand-built market ---------------------------------------------------------

def market(links: list[tuple[str, str, str, str]], *,
           allowlist: tuple[tuple[str, str], ...] = ()) -> MarketContext:
    """A context with the given (account_type, account_id, identifier_type, identifier) links."""
    projections = {name: normalise(pd.DataFrame(), name) for name in PROJECTIONS}
    projections["identity_links"] = normalise(pd.DataFrame(
        [(*link, 1, 1_700_000_000_000, 1_700_000_000_000) for link in links],
        columns=list(PROJECTIONS["identity_links"].columns)), "identity_links")
    projections["allowlist"] = normalise(pd.DataFrame(
        [(t, i, "aggregator", "shared payout", 4_000_000_000_000) for t, i in allowlist],
        columns=list(PROJECTIONS["allowlist"].columns)), "allowlist")
    return build_context(projections)


# Farm A: c1 c2 c3 and buyer b1 on device d1 and phone p1 (phone p1 is allowlisted).
# Farm B: c4 c5 on payout account pa1 and device d2. A lone creator c6 with buyer b2 on ip1;
# ip1 is also used by c1, so components join c6 and b2 to farm A.
LINKS = [
    ("creator", "c1", "device", "d1"), ("creator", "c2", "device", "d1"),
    ("creator", "c3", "device", "d1"), ("buyer", "b1", "device", "d1"),
    ("creator", "c1", "phone", "p1"), ("creator", "c2", "phone", "p1"),
    ("creator", "c3", "phone", "p1"),
    ("creator", "c4", "payout_account", "pa1"), ("creator", "c5", "payout_account", "pa1"),
    ("creator", "c4", "device", "d2"), ("creator", "c5", "device", "d2"),
    ("creator", "c6", "ip", "ip1"), ("buyer", "b2", "ip", "ip1"), ("creator", "c1", "ip", "ip1"),
    ("seller", "sel9", "email", "e9"),
]


def accounts_of(rings: list[dict]) -> list[set[str]]:
    return [{f"{m['type']}:{m['id']}" for m in r["members"]} for r in rings]


def assert_valid_rings(rings: list[dict], kind: str) -> None:
    for r in rings:
        assert r["kind"] == kind and 0.0 <= r["score"] <= 1.0
        assert all(set(m) == {"type", "id"} for m in r["members"])
        assert sum(m["type"] == "creator" for m in r["members"]) >= 2
    found = [a for group in accounts_of(rings) for a in group]
    assert len(found) == len(set(found))  # a partition: no account in two rings


def test_components_baseline_joins_anything_shared_even_allowlisted() -> None:
    ctx = market(LINKS, allowlist=(("phone", "p1"), ("device", "d1")))
    rings = connected_components_baseline(ctx)
    assert_valid_rings(rings, "baseline_components")
    assert sorted(accounts_of(rings), key=len) == [
        {"creator:c4", "creator:c5"},
        {"creator:c1", "creator:c2", "creator:c3", "buyer:b1", "creator:c6", "buyer:b2"},
    ]
    assert evaluate(rings, LABELS).overall.flagged_rings == 2


def test_louvain_baseline_separates_weakly_tied_groups_and_is_seeded() -> None:
    ctx = market(LINKS)
    rings = louvain_baseline(ctx, seed=3)
    assert_valid_rings(rings, "baseline_louvain")
    groups = accounts_of(rings)
    assert {"creator:c4", "creator:c5"} in groups
    assert any({"creator:c1", "creator:c2", "creator:c3"} <= g for g in groups)
    assert louvain_baseline(ctx, seed=3) == rings


def test_louvain_baseline_skips_identifiers_shared_too_widely() -> None:
    ctx = market(LINKS)
    # With at most 2 accounts per identifier only pa1 and d2 (c4, c5) remain.
    rings = louvain_baseline(ctx, max_sharing=2)
    assert accounts_of(rings) == [{"creator:c4", "creator:c5"}]


def test_baselines_on_an_empty_market_flag_nothing() -> None:
    ctx = market([])
    assert connected_components_baseline(ctx) == []
    assert louvain_baseline(ctx) == []


def test_chance_calibration_error_is_what_sampling_alone_puts_into_the_figure() -> None:
    import numpy as np

    from ringwatch.detectors.evaluation import (
        calibration_error,
        chance_calibration_error,
        score_buckets,
    )

    assert chance_calibration_error([1.0, 1.0, 0.0]) == 0.0  # certain scores never miss
    few = chance_calibration_error([0.7] * 20)
    many = chance_calibration_error([0.7] * 2000)
    assert 0.05 < few < 0.12  # E|mean of 20 draws - 0.7| is about 0.08
    assert many < few / 5
    # A perfectly calibrated detector's measured ECE scatters around the chance figure.
    rng = np.random.default_rng(3)
    scores = rng.uniform(0.5, 1.0, 30)
    measured = [calibration_error(score_buckets(scores, rng.random(30) < scores))
                for _ in range(400)]
    assert abs(np.mean(measured) - chance_calibration_error(scores)) < 0.01
    # A detector scoring every ring 1.0 when half are wrong is off by 0.5, whatever chance says.
    assert calibration_error(score_buckets([1.0] * 10, [True, False] * 5)) == 0.5
