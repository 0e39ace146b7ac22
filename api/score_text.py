"""How a score is written for a reader: two decimals, more where two would hide a difference.

Why: many rings score 0.99 or more, and at two decimals 0.9973 and 0.9981 both
read "1.00": a reviewer cannot tell them apart, and "1.00" claims a certainty
no score has. So a score is written with two decimals, and with more (up to
:data:`MAX_DECIMALS`, the precision scores are written to) when

- on its own, two decimals would round it to 1.00 or 0.00 although it is
  neither (0.9973 reads "0.997", 0.0004 reads "0.0004"), or
- in a list, it would read the same as a neighbour (the score just above or
  below it) that is a different number (0.9981 and 0.9973 read "0.998" and
  "0.997"; two scores that are equal read the same, as they should).

Each score gets the fewest decimals that do this, so a list stays easy to scan.
Rounding is half up on the number's exact value, as JavaScript's ``toFixed``
does, so the review page (``api/static/ui/app.js``, ``fmtScores``), the run
summary and the HTML report write every score alike.

Example
-------
>>> score_texts([0.9981, 0.9973, 0.95, 0.95, 0.4])
['0.998', '0.997', '0.95', '0.95', '0.40']
>>> score_text(0.9999), score_text(1.0), score_text(0.93)
('0.9999', '1.00', '0.93')
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from decimal import ROUND_HALF_UP, Decimal
from typing import TypeGuard

#: Fewest decimals a score is written with.
MIN_DECIMALS = 2
#: Most decimals: scores are written to four (``ringwatch.detectors.scoring.score``).
MAX_DECIMALS = 4


def fixed(score: float, decimals: int) -> str:
    """``score`` with ``decimals`` decimals, half up on its exact value (JavaScript's ``toFixed``)."""
    return str(Decimal(score).quantize(Decimal(1).scaleb(-decimals), rounding=ROUND_HALF_UP))


def _alone(score: float) -> int:
    """Decimals so that a score that is not 0 or 1 never reads as 0.00 or 1.00."""
    for decimals in range(MIN_DECIMALS, MAX_DECIMALS + 1):
        if score in (0.0, 1.0) or float(fixed(score, decimals)) not in (0.0, 1.0):
            return decimals
    return MAX_DECIMALS


def _apart(a: float, b: float) -> int:
    """Decimals so that two different scores read differently (as many as allowed if they cannot)."""
    if a == b:
        return MIN_DECIMALS
    for decimals in range(MIN_DECIMALS, MAX_DECIMALS + 1):
        if fixed(a, decimals) != fixed(b, decimals):
            return decimals
    return MAX_DECIMALS


def score_text(score: float | None) -> str:
    """One score on its own (a ring's page, its history), ``—`` when there is none."""
    if not _readable(score):
        return "—"
    return fixed(score, _alone(score))


def score_texts(scores: Sequence[float | None]) -> list[str]:
    """Scores as a list shows them, in the list's order (see the module for the rule).

    Equal scores next to each other are one run and share their decimals, so
    they also read the same.
    """
    decimals = [0] * len(scores)
    for i, score in enumerate(scores):
        if not _readable(score):
            continue
        decimals[i] = _alone(score)
        for j in (i - 1, i + 1):
            if 0 <= j < len(scores) and _readable(scores[j]):
                decimals[i] = max(decimals[i], _apart(score, scores[j]))
    start = 0
    for i in range(1, len(scores) + 1):
        if i == len(scores) or scores[i] != scores[start]:
            widest = max(decimals[start:i])
            decimals[start:i] = [widest] * (i - start)
            start = i
    return [fixed(score, d) if _readable(score) else "—" for score, d in zip(scores, decimals, strict=True)]


def _readable(score: float | None) -> TypeGuard[float]:
    return isinstance(score, int | float) and not isinstance(score, bool) and math.isfinite(score)
