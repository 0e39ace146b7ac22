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

A kind whose verdicts are (nearly) all one way, say forty blocks confirmed and
none dismissed, has said how often it is right but not where along its score
range the other outcome would lie: a curve would flatten its ranking. Its
scores are moved instead by one constant in log-odds (``logit_shift``:
recalibration in the large), chosen so that its reviewed rings' mean score
becomes the kind's confirmed share, smoothed by the rule of succession
((confirmed + 1) / (verdicts + 2): forty of forty reads 0.98, never 1). The
ranking is kept exactly; a team that confirmed every ring scored 0.7 sees the
next ones scored as what they have been.

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
SHIFTED = "logit_shift"
UNCHANGED = "none"
#: Scores are kept this far from 0 and 1 before their log-odds are taken.
_EDGE = 1e-4


@dataclass(frozen=True)
class KindCalibration:
    """How one kind's scores were mapped in a run, and what the mapping rests on.

    ``knots`` are the fitted curve's ``(uncalibrated score, recalibrated score)``
    points (:data:`ISOTONIC`); ``shift`` is the log-odds every score is moved by
    (:data:`SHIFTED`); neither when ``method`` is :data:`UNCHANGED` (``reason``
    then says why).
    """

    kind: str
    method: str
    verdicts: int
    confirmed: int
    dismissed: int
    fingerprint: str
    knots: tuple[tuple[float, float], ...] = ()
    reason: str | None = None
    shift: float = 0.0
    floor: float = 0.0
    ceiling: float = 1.0

    @property
    def applied(self) -> bool:
        return self.method in (ISOTONIC, SHIFTED)

    def apply(self, scores: np.ndarray) -> np.ndarray:
        """``scores`` (uncalibrated) mapped through the fit; unchanged when nothing was fitted."""
        scores = np.asarray(scores, dtype=np.float64)
        if self.method == SHIFTED:
            return np.clip(shifted(scores, self.shift), self.floor, self.ceiling)
        if not self.applied:
            return scores
        x, y = np.array(self.knots, dtype=np.float64).T
        return np.interp(scores, x, y)

    def to_json(self) -> CalibrationDocument:
        doc: CalibrationDocument = {"method": self.method, "verdicts": self.verdicts,
                               "confirmed": self.confirmed, "dismissed": self.dismissed,
                               "fingerprint": self.fingerprint}
        if self.method == ISOTONIC:
            doc["knots"] = [list(k) for k in self.knots]
        if self.method == SHIFTED:
            doc["shift"] = self.shift
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


def shifted(scores: np.ndarray, shift: float) -> np.ndarray:
    """``scores`` moved by ``shift`` in log-odds."""
    p = np.clip(np.asarray(scores, dtype=np.float64), _EDGE, 1 - _EDGE)
    return 1.0 / (1.0 + np.exp(-(np.log(p / (1 - p)) + shift)))


def logit_shift(scores: np.ndarray, target: float, *, floor: float = 0.0,
                ceiling: float = 1.0) -> float:
    """The log-odds shift that makes the mean of ``scores``, shifted and clipped to
    ``[floor, ceiling]``, equal ``target`` (as near as the bounds allow).

    The mean of shifted scores rises with the shift, so a bisection finds it;
    60 halvings of [-20, 20] leave it exact to far below a score's four decimals.
    """
    low, high = -20.0, 20.0
    for _ in range(60):
        middle = (low + high) / 2
        if float(np.clip(shifted(scores, middle), floor, ceiling).mean()) < target:
            low = middle
        else:
            high = middle
    return round((low + high) / 2, 6)


def fit_kind(kind: str, verdicts: list[Verdict], config: RecalibrationConfig) -> KindCalibration:
    """The recalibration of one kind from its verdicts (one per ring), or why there is none."""
    confirmed = sum(v.confirmed for v in verdicts)
    dismissed = len(verdicts) - confirmed
    base = {"kind": kind, "verdicts": len(verdicts), "confirmed": confirmed, "dismissed": dismissed,
            "fingerprint": fingerprint(verdicts)}
    if not config.enabled:
        return KindCalibration(method=UNCHANGED, reason="recalibration is off", **base)
    if len(verdicts) < config.min_verdicts:
        return KindCalibration(method=UNCHANGED, reason=(
            f"needs {config.min_verdicts} verdicts; has {confirmed} confirmed, "
            f"{dismissed} dismissed"), **base)
    scores = np.array([v.uncalibrated_score for v in verdicts], dtype=np.float64)
    if min(confirmed, dismissed) < config.min_each:
        # Too few of one outcome for a curve's shape: move the level only (module docstring).
        target = (confirmed + 1) / (len(verdicts) + 2)
        return KindCalibration(method=SHIFTED, shift=logit_shift(
                                   scores, target, floor=config.floor, ceiling=config.ceiling),
                               floor=config.floor, ceiling=config.ceiling, **base)
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
