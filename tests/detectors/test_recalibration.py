"""The per-kind recalibration on verdicts: monotone, bounded, reproducible, inert below its threshold."""

from __future__ import annotations

import numpy as np
import pytest

from ringwatch.detectors.config import RecalibrationConfig
from ringwatch.detectors.recalibration import (
    ISOTONIC,
    SHIFTED,
    UNCHANGED,
    fit,
    latest_per_ring,
    pool_adjacent_violators,
    recalibrate,
)

CONFIG = RecalibrationConfig()


def _verdicts(n: int, *, seed: int, kind: str = "identity_ring", truth=lambda s: 0.2 + 0.6 * s,
              prefix: str = "R") -> list[dict]:
    """``n`` verdicts with scores spread over [0.3, 1], confirmed with probability ``truth(score)``."""
    rng = np.random.default_rng(seed)
    scores = rng.uniform(0.3, 1.0, n)
    confirmed = rng.uniform(size=n) < truth(scores)
    return [{"ring_id": f"{prefix}-{i}", "kind": kind, "verdict": "confirmed" if c else "dismissed",
             "uncalibrated_score": float(s), "score": float(s), "actor": "ann",
             "at": "2026-11-20T00:00:00Z", "run_id": "run-1"}
            for i, (s, c) in enumerate(zip(scores, confirmed, strict=True))]


def test_pool_adjacent_violators_gives_the_weighted_monotone_fit() -> None:
    values, weights, starts = pool_adjacent_violators(np.array([1.0, 0.0, 1.0, 0.0, 0.0, 1.0]),
                                                      np.ones(6))
    assert np.allclose(values, [0.4, 1.0]) and list(weights) == [5, 1] and list(starts) == [0, 5]
    # Equal neighbours are one step.
    values, weights, _ = pool_adjacent_violators(np.array([0.0, 0.0, 1.0, 1.0]), np.ones(4))
    assert list(values) == [0.0, 1.0] and list(weights) == [2, 2]
    values, _, _ = pool_adjacent_violators(np.array([0.1, 0.5, 0.2]), np.array([1.0, 1.0, 3.0]))
    assert np.allclose(values, [0.1, 0.275])


@pytest.mark.parametrize("seed", range(5))
def test_the_fitted_curve_is_monotone_and_bounded(seed: int) -> None:
    calibration = fit(_verdicts(200, seed=seed), [], CONFIG)["identity_ring"]
    assert calibration.method == ISOTONIC
    grid = np.linspace(0.0, 1.0, 501)
    mapped = calibration.apply(grid)
    assert np.all(np.diff(mapped) >= 0)
    assert mapped.min() >= CONFIG.floor and mapped.max() <= CONFIG.ceiling


def test_a_step_resting_on_a_handful_of_agreeing_verdicts_is_never_0_or_1() -> None:
    """Thirty low-scored dismissals and a few high-scored confirmations: the top is not certainty."""
    docs = _verdicts(30, seed=1, truth=lambda s: np.zeros_like(s))
    docs += [{**d, "ring_id": f"top-{i}", "verdict": "confirmed", "uncalibrated_score": 0.99 + i / 1000}
             for i, d in enumerate(docs[:5])]
    calibration = fit(docs, [], CONFIG)["identity_ring"]
    top = calibration.apply(np.array([0.999]))[0]
    share = 5 / 35
    # Five confirmations with a prior of four verdicts at the kind's share: (5 + 4 * share) / 9.
    prior = CONFIG.prior_verdicts
    assert top == pytest.approx((5 + prior * share) / (5 + prior), abs=1e-6)
    assert calibration.apply(np.array([0.3]))[0] == pytest.approx(prior * share / (30 + prior), abs=1e-6)


def test_the_fit_tracks_the_verdicts_it_was_given() -> None:
    """Verdicts whose confirmed share rises from 0.2 to 0.8 with the score: the curve follows it."""
    calibration = fit(_verdicts(2000, seed=3), [], CONFIG)["identity_ring"]
    low, high = calibration.apply(np.array([0.4, 0.9]))
    assert low == pytest.approx(0.2 + 0.6 * 0.4, abs=0.08)
    assert high == pytest.approx(0.2 + 0.6 * 0.9, abs=0.08)


def test_the_same_verdicts_in_another_order_give_the_same_fit_and_fingerprint() -> None:
    docs = _verdicts(120, seed=4)
    one = fit(docs, [], CONFIG)["identity_ring"]
    two = fit(list(reversed(docs)), [], CONFIG)["identity_ring"]
    assert one == two
    changed = fit([{**docs[0], "verdict": "confirmed" if docs[0]["verdict"] == "dismissed"
                    else "dismissed"}, *docs[1:]], [], CONFIG)["identity_ring"]
    assert changed.fingerprint != one.fingerprint


def test_below_the_threshold_a_kind_keeps_its_scores() -> None:
    few = _verdicts(CONFIG.min_verdicts - 1, seed=5)
    rings = [{"kind": "identity_ring", "score": 0.8}, {"kind": "lockstep_ring", "score": 0.7}]
    recalibrated, record = recalibrate(rings, few, CONFIG)
    assert [r["score"] for r in recalibrated] == [0.8, 0.7]
    assert [r["uncalibrated_score"] for r in recalibrated] == [0.8, 0.7]
    assert {k: v["method"] for k, v in record.items()} == {
        "identity_ring": UNCHANGED, "lockstep_ring": UNCHANGED}
    assert "needs 30 verdicts" in record["identity_ring"]["reason"]
    assert record["lockstep_ring"]["verdicts"] == 0


def test_a_kind_reviewers_almost_always_confirm_moves_its_level_and_keeps_its_ranking() -> None:
    """Scores of 0.3-1 confirmed but for one or two: a curve cannot be shaped, the level can."""
    one_sided = _verdicts(100, seed=6, kind="collusion_ring", prefix="C",
                          truth=lambda s: (s > 0.33).astype(float))
    calibration = fit(one_sided, [], CONFIG)["collusion_ring"]
    assert calibration.dismissed < CONFIG.min_each and calibration.method == SHIFTED
    reviewed = np.array([v["uncalibrated_score"] for v in one_sided])
    # The reviewed rings now read, on average, the kind's smoothed confirmed share.
    share = (calibration.confirmed + 1) / (calibration.verdicts + 2)
    assert calibration.apply(reviewed).mean() == pytest.approx(share, abs=1e-4)
    grid = np.linspace(0.05, 0.95, 19)
    moved = calibration.apply(grid)
    below = moved < CONFIG.ceiling  # the ranking is kept, but for ties at the ceiling
    assert np.all(np.diff(moved) >= 0) and np.all(np.diff(moved[below]) > 0) and below.sum() > 10
    assert np.all(moved > grid) and moved.max() <= CONFIG.ceiling
    rings = [{"kind": "collusion_ring", "score": 0.6}, {"kind": "collusion_ring", "score": 0.8}]
    recalibrated, record = recalibrate(rings, one_sided, CONFIG)
    assert 0.8 < recalibrated[0]["score"] < recalibrated[1]["score"] <= CONFIG.ceiling
    assert record["collusion_ring"]["method"] == SHIFTED
    assert record["collusion_ring"]["shift"] == calibration.shift > 0
    assert "knots" not in record["collusion_ring"]


def test_a_kind_reviewers_mostly_dismiss_is_moved_down() -> None:
    dismissed = _verdicts(40, seed=7, kind="coordinated_block", prefix="B",
                          truth=lambda s: np.zeros_like(s))
    calibration = fit(dismissed, [], CONFIG)["coordinated_block"]
    assert calibration.method == SHIFTED and calibration.shift < 0
    assert calibration.apply(np.array([0.9]))[0] < 0.2


def test_recalibrate_moves_only_the_kind_with_enough_verdicts_and_records_it() -> None:
    docs = _verdicts(200, seed=7, truth=lambda s: np.full_like(s, 0.1))  # mostly dismissed
    rings = [{"kind": "identity_ring", "score": 0.95}, {"kind": "collusion_ring", "score": 0.95}]
    recalibrated, record = recalibrate(rings, docs, CONFIG)
    assert recalibrated[0]["score"] < 0.3 and recalibrated[0]["uncalibrated_score"] == 0.95
    assert recalibrated[1]["score"] == 0.95
    assert record["identity_ring"]["method"] == ISOTONIC
    assert record["identity_ring"]["confirmed"] + record["identity_ring"]["dismissed"] == 200
    assert record["identity_ring"]["knots"]
    assert rings[0]["score"] == 0.95  # the input is not changed


def test_a_ring_reviewed_twice_counts_once_by_its_latest_verdict() -> None:
    first = _verdicts(1, seed=8)[0]
    later = {**first, "verdict": "confirmed" if first["verdict"] == "dismissed" else "dismissed",
             "at": "2026-11-21T00:00:00Z"}
    kept = latest_per_ring([first, later])
    assert len(kept) == 1 and kept[0].verdict.value == later["verdict"]


def test_switched_off_nothing_moves() -> None:
    docs = _verdicts(200, seed=9, truth=lambda s: np.full_like(s, 0.1))
    recalibrated, record = recalibrate([{"kind": "identity_ring", "score": 0.95}], docs,
                                       RecalibrationConfig(enabled=False))
    assert recalibrated[0]["score"] == 0.95 and record["identity_ring"]["method"] == UNCHANGED
