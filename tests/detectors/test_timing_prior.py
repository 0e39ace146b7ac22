"""What acting in step means is read from the market: onboarding days are no rings, burst farms are.

A ring whose only evidence is timing (its creators registered together and
crowd the same shops) scores at most the share of the market's in-step groups
that also carry independent evidence (shared identifiers, abnormal trade),
smoothed (``scoring.TimingPrior``). On a benign market every in-step group is
an onboarding cohort with nothing else to it, so none is flagged; on an
evasion market most in-step groups are farms that also share identifiers, so
the burst farm with nothing but its schedule stays flagged for a reviewer.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest

from ringwatch.detectors.config import ScoringConfig
from ringwatch.detectors.evaluation import correct_rings, load_labels
from ringwatch.detectors.pipeline import run_detection
from ringwatch.detectors.rings import Evidence
from ringwatch.detectors.scoring import TimingPrior, score
from ringwatch.generator import GeneratorConfig, generate_snapshot
from ringwatch.graph.local_store import LocalStore
from ringwatch.loaders import load_snapshot

IN_STEP = Evidence("lockstep_promotion", "crowd one shop", 0.9)
TIE = Evidence("shared_payout_account", "one payout account", 0.9)
BURST = Evidence("lockstep_registration", "registered together", 0.5)


def test_the_prior_counts_in_step_groups_and_those_with_independent_evidence() -> None:
    prior = TimingPrior.of([[IN_STEP, BURST], [IN_STEP, TIE], [IN_STEP, TIE, BURST], [TIE],
                            [BURST]])
    assert prior == TimingPrior(groups=3, corroborated=2)
    assert prior.cap(0.6) == pytest.approx(0.6)  # (2 + 1) / (3 + 2) = 0.6
    assert TimingPrior(groups=4, corroborated=0).cap(0.6) == pytest.approx(1 / 6)
    assert TimingPrior(groups=0, corroborated=0).cap(0.6) == 0.5


def test_a_timing_only_ring_scores_at_most_the_market_cap_and_a_tie_lifts_it() -> None:
    assert score([IN_STEP, BURST], timing_cap=0.2) == 0.2
    assert score([IN_STEP, BURST]) == ScoringConfig().timing_only_cap
    assert score([IN_STEP, BURST, TIE], timing_cap=0.2) > 0.95


def _rings(tmp_path: Path, profile: str, seed: int) -> tuple[list[dict], list[bool]]:
    snapshot = tmp_path / "snapshot"
    generate_snapshot(snapshot, GeneratorConfig(scale=0.25, seed=seed, profile=profile))
    store = LocalStore(tmp_path / "store")
    store.write_snapshot(load_snapshot(snapshot).snapshot)
    rings = run_detection(store, now=datetime(2026, 10, 1, tzinfo=UTC), run_id=profile).rings
    return rings, correct_rings(rings, load_labels(snapshot / "labels.csv"))


def _timing_only(ring: dict) -> bool:
    return any(e["code"] == "market_prior" and "crowding shops in step" in e["text"]
               for e in ring["evidence"])


def test_onboarding_days_of_a_benign_market_are_not_flagged(tmp_path: Path) -> None:
    rings, correct = _rings(tmp_path, "benign", 101)  # a cohort of 28 was scored 0.99, then 0.6
    timing = [(r, ok) for r, ok in zip(rings, correct, strict=True) if _timing_only(r)]
    assert timing, "the market's onboarding day is found acting in step"
    assert all(not ok and r["score"] < 0.5 for r, ok in timing)
    said = [e["text"] for r, _ in timing for e in r["evidence"] if e["code"] == "market_prior"]
    assert all(t.startswith("in this snapshot 0 of the ") for t in said)


def test_a_burst_farm_with_nothing_but_its_schedule_stays_flagged(tmp_path: Path) -> None:
    rings, correct = _rings(tmp_path, "evasion", 101)
    timing = [(r, ok) for r, ok in zip(rings, correct, strict=True) if _timing_only(r)]
    assert timing and all(ok and r["score"] >= 0.5 for r, ok in timing)
