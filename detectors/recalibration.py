"""Recalibrating a kind's scores on reviewers' verdicts: what a score of that kind has meant so far.

A ring's score is the detector's reading of its evidence (:mod:`.scoring`);
on a market the detectors never saw, that reading can be far off (rings
scored 0.7 that were fraudulent one time in ten). Reviewers' confirm and
dismiss decisions (:class:`~ringwatch.domain.Verdict`, kept by the store's
verdict log across snapshots) are that market's own answer. Once a kind has
enough of them (:class:`~.config.RecalibrationConfig`), the next run maps
that kind's scores through a curve fitted on them:

1. Verdicts are taken one per ring, the latest (a reviewer who changed their
   mind is heard once), each with the ring's *uncalibrated* score when it was
   reviewed, so a fit never fits an earlier fit's output.
2. An isotonic regression of verdict (1 confirmed, 0 dismissed) on that score
   (pool-adjacent-violators): the most faithful monotone curve, which keeps
   the detector's ranking (a higher score never ends up lower) and assumes no
   shape, where Platt scaling would force a logistic one that a detector's
   scores (bunched near 0.9) rarely follow.
3. Each step of it is smoothed by a beta prior worth ``prior_verdicts``
   verdicts, centred on the kind's share of confirmed verdicts, so that a
   step resting on a handful of verdicts is never 0 or 1; smoothing moves
   small steps more than large ones, so the steps are pooled once more to stay
   monotone. This replaces Platt scaling for the few-verdicts case: with few
   verdicts the curve is a few steps, each pulled towards the kind's share.
4. Scores are interpolated linearly between the steps' mean scores (flat
   beyond the first and last), then clipped to ``[floor, ceiling]``.

The run records, per kind, which curve it used (its knots), how many
verdicts it rests on and a fingerprint of them, so a score can be reproduced;
each ring keeps its uncalibrated score beside the recalibrated one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from ringwatch.domain import CalibrationDocument, RingDocument, Verdict, latest_per_ring

from .config import RecalibrationConfig

#: ``method`` of a kind whose scores were refitted, and of one left as the detector scored it.
ISOTONIC = "isotonic_beta_smoothed"
UNCHANGED = "none"


@dataclass(frozen=True)
class KindCalibration:
    """How one kind's scores were mapped in a run, and what the mapping rests on.

    ``knots`` are the fitted curve's ``(uncalibrated score, recalibrated score)``
    points (empty when ``method`` is :data:`UNCHANGED`; ``reason`` then says why).
    """

    kind: str
    method: str
    verdicts: int
    confirmed: int
    dismissed: int
    fingerprint: str
    knots: tuple[tuple[float, float], ...] = ()
    reason: str | None = None

    @property
    def applied(self) -> bool:
        return self.method == ISOTONIC

    def apply(self, scores: np.ndarray) -> np.ndarray:
        """``scores`` (uncalibrated) mapped through the curve; unchanged when nothing was fitted."""
        scores = np.asarray(scores, dtype=np.float64)
        if not self.applied:
            return scores
        x, y = np.array(self.knots, dtype=np.float64).T
        return np.interp(scores, x, y)

    def to_json(self) -> CalibrationDocument:
        doc: CalibrationDocument = {"method": self.method, "verdicts": self.verdicts,
                               "confirmed": self.confirmed, "dismissed": self.dismissed,
                               "fingerprint": self.fingerprint}
        if self.applied:
            doc["knots"] = [list(k) for k in self.knots]
        if self.reason:
            doc["reason"] = self.reason
        return doc


def fingerprint(verdicts: Iterable[Verdict]) -> str:
    """A short hash of the verdicts a fit rests on (ring, verdict, uncalibrated score), in any order."""
    lines = sorted(f"{v.ring_id}\t{v.verdict.value}\t{v.uncalibrated_score:.6f}" for v in verdicts)
    return hashlib.sha256("\n".join(lines).encode()).hexdigest()[:16]


def pool_adjacent_violators(values: np.ndarray, weights: np.ndarray) -> tuple[np.ndarray, np.ndarray,
                                                                              np.ndarray]:
    """The weighted isotonic (non-decreasing) fit of ``values``, as blocks of consecutive items.

    Returns each block's fitted value, its total weight, and the index of its
    first item (scipy's pool-adjacent-violators). Blocks are maximal:
    neighbours of equal value are one block (one step of the curve, which the
    smoothing then treats as one).
    """
    # Imported here: scipy.optimize costs every command a second at start, and only a run
    # with enough verdicts to refit ever gets here.
    from scipy.optimize import isotonic_regression

    pooled = isotonic_regression(np.asarray(values, dtype=np.float64),
                                 weights=np.asarray(weights, dtype=np.float64))
    starts = pooled.blocks[:-1].astype(np.int64)
    return pooled.x[starts], pooled.weights, starts


def fit_kind(kind: str, verdicts: list[Verdict], config: RecalibrationConfig) -> KindCalibration:
    """The recalibration of one kind from its verdicts (one per ring), or why there is none."""
    confirmed = sum(v.confirmed for v in verdicts)
    dismissed = len(verdicts) - confirmed
    base = {"kind": kind, "verdicts": len(verdicts), "confirmed": confirmed, "dismissed": dismissed,
            "fingerprint": fingerprint(verdicts)}
    if not config.enabled:
        return KindCalibration(method=UNCHANGED, reason="recalibration is off", **base)
    if len(verdicts) < config.min_verdicts or min(confirmed, dismissed) < config.min_each:
        return KindCalibration(method=UNCHANGED, reason=(
            f"needs {config.min_verdicts} verdicts with {config.min_each} each confirmed and "
            f"dismissed; has {confirmed} confirmed, {dismissed} dismissed"), **base)
    scores = np.array([v.uncalibrated_score for v in verdicts], dtype=np.float64)
    outcome = np.array([v.confirmed for v in verdicts], dtype=np.float64)
    # Equal scores are one point (their mean verdict): isotonic regression cannot order them.
    x, inverse, counts = np.unique(scores, return_inverse=True, return_counts=True)
    y = np.bincount(inverse, weights=outcome) / counts
    share = confirmed / len(verdicts)
    value, weight, starts = pool_adjacent_violators(y, counts.astype(np.float64))
    # Each block's mean score, weighted by its verdicts: where its step sits.
    block = np.repeat(np.arange(len(starts)), np.diff(np.append(starts, len(x))))
    centre = np.bincount(block, weights=x * counts) / weight
    prior = config.prior_verdicts
    smoothed = (value * weight + prior * share) / (weight + prior)
    # Smoothing pulls light steps harder than heavy ones, which can reverse a pair; pool again.
    value2, _, starts2 = pool_adjacent_violators(smoothed, weight + prior)
    block2 = np.repeat(np.arange(len(starts2)), np.diff(np.append(starts2, len(centre))))
    centre2 = np.bincount(block2, weights=centre * weight) / np.bincount(block2, weights=weight)
    fitted = np.clip(value2, config.floor, config.ceiling)
    knots = tuple((round(float(a), 6), round(float(b), 6)) for a, b in zip(centre2, fitted, strict=True))
    return KindCalibration(method=ISOTONIC, knots=knots, **base)


def fit(verdicts: Iterable[Mapping[str, Any]], kinds: Iterable[str],
        config: RecalibrationConfig) -> dict[str, KindCalibration]:
    """Per kind (those in ``kinds`` and those with verdicts), its recalibration from ``verdicts``."""
    by_kind: dict[str, list[Verdict]] = {}
    for verdict in latest_per_ring(verdicts):
        by_kind.setdefault(verdict.kind, []).append(verdict)
    return {kind: fit_kind(kind, by_kind.get(kind, []), config)
            for kind in sorted(set(kinds) | set(by_kind))}


def recalibrate(rings: list[RingDocument], verdicts: Iterable[Verdict | Mapping[str, Any]],
                config: RecalibrationConfig) -> tuple[list[RingDocument], dict[str, CalibrationDocument]]:
    """The run's rings with recalibrated scores, and the record of it for the run (``calibration``).

    Every ring keeps the detector's score as ``uncalibrated_score``; ``score``
    is the recalibrated one where its kind has a fit, the detector's otherwise.
    """
    fits = fit(verdicts, (r["kind"] for r in rings), config)
    kinds = np.array([r["kind"] for r in rings], dtype=object)
    raw = np.array([float(r["score"]) for r in rings], dtype=np.float64)
    new = raw.copy()
    for kind, calibration in fits.items():
        if calibration.applied:
            mine = kinds == kind
            new[mine] = np.round(calibration.apply(raw[mine]), 4)
    rings = [{**r, "score": float(s), "uncalibrated_score": float(u)}
             for r, s, u in zip(rings, new, raw, strict=True)]
    return rings, {kind: calibration.to_json() for kind, calibration in fits.items()}
