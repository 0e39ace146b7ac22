"""The score reads as a probability: bounded, monotone in evidence, corroboration counts more than repeats."""

from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from ringwatch.detectors.config import ScoringConfig
from ringwatch.detectors.rings import Evidence
from ringwatch.detectors.scoring import score

CODES = ("shared_device", "shared_phone", "shared_payout_account", "lockstep_device",
         "abnormal_trade")
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
